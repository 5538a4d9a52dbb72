/*
 * est_rules.h: the decisions of online enrollment (EST, RFC 7030, est.c),
 * pure so that unit tests reach them: who may enroll for a phone (its
 * profile's authenticationMode and what the client presented), the
 * deadline (upgradeFinishTime), what a refusal does to the phone's
 * certificateStatus; the per-address rate limit; the csrattrs answer.
 * No database, no gSOAP, no sockets.
 */
#ifndef AXLPROV_EST_RULES_H
#define AXLPROV_EST_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "capf.h"
#include "metrics.h"

enum est_op { EST_ENROLL, EST_REENROLL };

/* What the decision needs to know of the phone the request names. */
struct est_phone_view {
	const char *name;
	const char *auth_mode;   /* the profile's authenticationMode */
	const char *auth_string; /* the phone's authenticationString */
	const char *operation;   /* certificateOperation */
	const char *finish_time; /* upgradeFinishTime, "" = no deadline */
	bool ships_mic;          /* its model leaves the factory with a MIC */
	const char *lsc_serial;  /* its current LSC's serial, "" = none */
};

/* What the client presented. */
struct est_creds {
	bool basic; /* an HTTP Basic Authorization header */
	const char *user, *password;
	const struct cert_facts *cert; /* the TLS client certificate (kind CERT_NONE: none) */
};

/* How a request ends.  http 0: go on (check the request, sign, record). */
struct est_verdict {
	int http; /* 0, 400, 401 or 403 */
	enum metrics_enroll outcome;
	const char *status; /* certificateStatus to set (only ever for a pending phone), or NULL */
	bool end_operation; /* the deadline passed: the operation ends */
	bool auth_checked;  /* an authentication string was checked ... */
	bool auth_ok;       /* ... with this result (the login back-off counts it) */
	char why[256];      /* the refusal's text, never a secret */
};

/* Decides an enrollment (op) for phone ph with creds at now. */
void est_decide(enum est_op op, const struct est_phone_view *ph, const struct est_creds *c,
		time_t now, struct est_verdict *v);

/* The request itself was refused after authentication (its CN, key or
 * signature; why says which): 400, and Upgrade Failed for a pending phone. */
void est_refuse_request(const struct est_phone_view *ph, const char *why, struct est_verdict *v);

/* upgradeFinishTime "YYYY:MM:DD:HH:MM" (server local time) into *when:
 * 1; "" (no deadline): 0; anything else: -1. */
int est_deadline(const char *text, time_t *when);

/* The authentication string check: constant time in the secret's content;
 * an empty stored string matches nothing. */
bool est_string_matches(const char *stored, const char *given);

/* Whether f is a valid credential of phone ph: its current LSC, or a MIC
 * (for a model that ships one) naming it; unexpired and trusted. */
bool est_cert_valid(const struct est_phone_view *ph, const struct cert_facts *f);

/* The phone a client certificate names: an LSC's CN, or the device name
 * after the last '-' of a MIC's CN ("CP-8865-SEP..."); "" for others. */
void est_cert_device(const struct cert_facts *f, char *out, size_t size);

/* csrattrs (RFC 7030 4.5): the DER CsrAttrs for a phone's profile (keyOrder
 * and ecKeySize; NULL: what every request needs, the CN and a SHA-256
 * signature).  Returns the length written into out, 0 when it does not fit. */
size_t est_csrattrs(const char *key_order, const char *ec_key_size, unsigned char *out,
		    size_t size);

/* A per-address request budget per minute (0: off), a fixed table. */
#define EST_RATE_SLOTS 256
struct est_rate {
	pthread_mutex_t lock;
	long per_minute;
	struct {
		char addr[48];
		time_t window; /* the minute counted */
		long count;
	} slot[EST_RATE_SLOTS];
};
void est_rate_init(struct est_rate *r, long per_minute);
/* Counts a request from addr at now; false when over the budget. */
bool est_rate_allow(struct est_rate *r, const char *addr, time_t now);

#endif
