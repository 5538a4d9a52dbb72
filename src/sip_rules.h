/*
 * sip_rules.h: the registrar's and the sender's decisions, free of any SIP
 * stack or database: digest nonces and responses (RFC 7616), what a
 * security profile and the phone's certificate let through, registration
 * expiry (RFC 3261 §10.3), the NOTIFY that carries an action, and which
 * delivery failures are retried.  sip_registrar.c and sip_notifier.c apply
 * them to real messages.
 */
#ifndef AXLPROV_SIP_RULES_H
#define AXLPROV_SIP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "capf.h"

/* The realm CUCM challenges SIP phones with; end users' HA1s are for it. */
#define SIP_REALM "ccmsipline"

/* hex(issue time, 16) + hex(HMAC-SHA256(secret, time ":" realm), first 32). */
#define SIP_NONCE_LEN 48

/* Registration lifetimes, seconds. */
#define SIP_DEFAULT_EXPIRES 3600
#define SIP_MAX_EXPIRES 3600
#define SIP_MIN_EXPIRES 60

enum nonce_state { NONCE_OK, NONCE_STALE, NONCE_BAD };

/* A nonce any instance holding the same secret can verify, without state. */
void sip_nonce_make(const char *secret, time_t now, char out[SIP_NONCE_LEN + 1]);

/* NONCE_BAD: not one of ours.  NONCE_STALE: ours, older than validity
 * seconds (or from the future). */
enum nonce_state sip_nonce_check(const char *secret, const char *nonce, time_t now, long validity);

/* Digest nonce-count replay tracking (RFC 7616 3.4: a server that
 * checks nc refuses a count it has seen).  Our nonces carry only their
 * issue second, so every phone challenged in that second shares one: an
 * entry is keyed by nonce, cnonce, digest user and phone together (a
 * 64-bit hash of them), and keeps the highest nc seen and when.  A fixed
 * table, SIP_NC_SLOTS entries of 16 bytes (1 MiB) whatever the number of
 * phones; a full probe run evicts its least recently used entry (oldest
 * first: an entry older than the nonce validity guards nothing). */
#define SIP_NC_SLOTS 65536
#define SIP_NC_PROBE 8

struct sip_nc_slot {
	unsigned long long key; /* 0: empty */
	unsigned nc;
	unsigned seen; /* time(NULL) truncated to 32 bits */
};

struct sip_nc_table {
	struct sip_nc_slot slot[SIP_NC_SLOTS];
};

/* True (and remembered) when nc_hex is above every count seen for this
 * nonce, cnonce, user and phone; false for a repeat, a count going
 * backwards, or an nc that is not 8 hex digits. */
bool sip_nc_fresh(struct sip_nc_table *t, const char *nonce, const char *cnonce, const char *user,
		  const char *phone, const char *nc_hex, time_t now);

/* The parts of an Authorization header the check needs (NULLs allowed for
 * cnonce/nc/qop when the client used no qop). */
struct sip_digest {
	const char *algorithm; /* NULL or "MD5" or "SHA-256" */
	const char *nonce;
	const char *uri;
	const char *qop;
	const char *nc;
	const char *cnonce;
	const char *response;
};

/* True when the response matches the stored HA1 for its algorithm (hex;
 * ha1_sha256 may be "" when unknown).  Unknown algorithm or qop: false. */
bool sip_digest_ok(const struct sip_digest *d, const char *method, const char *ha1_md5,
		   const char *ha1_sha256);

/* What the phone's security profile makes of a REGISTER: Non Secure lets
 * through the transports its transportType names (never TLS: a CUCM Non
 * Secure profile has none); Authenticated and Encrypted want TLS with a
 * phone certificate that the server trusts, is valid now, names the phone,
 * and is the phone's LSC on record, or a MIC when sip_accept_mic is on and
 * the model ships one. */
struct sip_admission {
	bool sip;                      /* protocol SIP (SCCP phones cannot register here) */
	const char *security_mode;     /* Non Secure, Authenticated, Encrypted */
	const char *transport_type;    /* TCP+UDP, TCP, UDP, TLS */
	const char *transport;         /* the request's: udp, tcp, tls */
	const struct cert_facts *cert; /* tls: what the phone presented; else NULL */
	const char *device;            /* the phone's name (SEP...) */
	bool model_ships_mic;
	const char *lsc_fingerprint; /* the phone's LSC on record, "" when none */
	bool accept_mic;             /* sip_accept_mic */
};

/* 0 when accepted (*kind: the certificate that admitted it, CERT_NONE for
 * Non Secure), otherwise 403 with *phrase saying why. */
int sip_admit(const struct sip_admission *a, enum cert_kind *kind, const char **phrase);

/* Whether a binding made over `transport` may still get NOTIFYs under the
 * phone's current security mode: the profile may have changed since the
 * phone registered, and a secure profile's phone is reached over TLS only
 * (a Non Secure one never over TLS). */
bool sip_binding_notifiable(const char *security_mode, const char *transport);

/* The expiry a contact asked for (Contact expires param, else Expires
 * header, each -1 when absent): the granted seconds, 0 to remove, or -1
 * when shorter than SIP_MIN_EXPIRES (answer 423). */
long sip_expiry(long contact_param, long header);

/* The NOTIFY for an action ("apply-config", "reset", "restart") in an
 * event style ("service-control" for Cisco SIP phones, "check-sync" for
 * the others): the Event header value, Subscription-State, and the body
 * (empty for check-sync).  False if the body does not fit. */
struct sip_notify_text {
	char event[64];
	const char *subscription_state;
	char body[768];
};
bool sip_notify_text(const char *style, const char *action, const char *register_call_id,
		     long long config_version, struct sip_notify_text *out);

/* A final NOTIFY status the sender tries again later (timeout, transport
 * error, 480, 5xx); other failures are final. */
bool sip_status_retryable(int status);

/* Seconds to wait before attempt number `attempt + 1`, given a base. */
long sip_backoff(long base, int attempt);

/* A token bucket: takes one token if there is one (true), refilling at
 * rate a second up to burst; now is seconds on any steady clock.  Starts
 * full. */
struct sip_bucket {
	double tokens, last;
	bool started;
};
bool sip_bucket_take(struct sip_bucket *b, double now, double rate, double burst);

#endif
