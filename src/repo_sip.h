/*
 * repo_sip.h: the SQL of the SIP thread: the phone a REGISTER names and its
 * security profile and digest user, bindings, the shared nonce secret, the
 * outbox claim and delivery results, and the LISTEN connection that wakes
 * the sender.  All on connections owned by the SIP thread.
 */
#ifndef AXLPROV_REPO_SIP_H
#define AXLPROV_REPO_SIP_H

#include <stdbool.h>

#include "err.h"
#include "uuid.h"

struct db;

/* Everything the registrar needs to know about the phone an AOR names. */
struct sip_phone {
	char uuid[UUID_DB_LEN + 1];
	char name[64];
	bool sip;
	bool digest;         /* the profile's enableDigestAuthentication */
	long nonce_validity; /* seconds */
	char transport_type[16];
	char security_mode[16];
	char digest_user[136]; /* "" when the phone has none */
	char ha1_md5[40];
	char ha1_sha256[72];
	char model[64];
	char lsc_fingerprint[65]; /* the phone's LSC on record, "" when none */
	char facts[33];           /* a digest of all the above (sip_phone_facts) */
};

/* The AOR's user part is the phone's name or its digest user's userid.
 * APP_E_NOT_FOUND when none matches; APP_E_RULE when a userid is the
 * digest user of several phones (and none is named so). */
bool repo_sip_phone(struct db *db, const char *user, struct sip_phone *out, struct app_err *err);
/* Every phone's facts, a page at a time: up to limit phones named after
 * `after` ("" first), in name order, each to fn with the users a lookup by
 * which finds it (its name; its digest user's userid, or "" when that
 * finds none or several).  *last: the page's last name.  The phones read,
 * or -1 on a database error. */
typedef void sip_phone_fn(void *ctx, const char *const users[2], const struct sip_phone *ph);
int repo_sip_phone_page(struct db *db, const char *after, int limit, sip_phone_fn *fn, void *ctx,
			char *last, size_t lastsize, struct app_err *err);

bool repo_sip_secret(struct db *db, char *out, size_t size, struct app_err *err);

/* What every binding of one REGISTER records. */
struct sip_binding {
	const char *phone_uuid;
	const char *aor;
	const char *call_id;
	unsigned long cseq;
	const char *transport; /* udp, tcp, tls */
	const char *source_ip;
	unsigned source_port;
	const char *user_agent;
	const char *cert_kind;    /* "LSC", "MIC", or "" (not TLS) */
	const char *cert_serial;  /* "" when none */
	long long cert_not_after; /* seconds since the epoch, 0 when none */
};

/* Where repo_sip_register() tells what it did for one REGISTER. */
struct sip_register_fns {
	void (*bound)(void *ctx, long long id);   /* a binding added or refreshed */
	void (*removed)(void *ctx, long long id); /* a binding removed */
	void (*contact)(void *ctx, const char *contact, long expires); /* each live one */
	void *ctx;
};

enum sip_written {
	SIP_WRITTEN,
	SIP_FACTS_STALE,  /* the phone's facts are not rq->facts any more: decide again */
	SIP_CSEQ_REFUSED, /* step 7: a binding has this Call-ID with a CSeq not below */
};

/* An admitted REGISTER's change (RFC 3261 §10.3 steps 6-8). */
struct sip_register {
	struct sip_binding b;
	const char *facts;           /* struct sip_phone's, as decided on */
	const char *const *contacts; /* NULL: "Contact: *", every binding removed */
	const long *expires;         /* seconds per contact; 0 removes its binding */
	int ncontacts;
	const struct sip_register_fns *fns;
	enum sip_written written; /* set by repo_sip_register() */
	long confirmed;           /* NOTIFYs this registration confirmed */
};

/* Writes n admitted REGISTERs, each of another phone, in one statement
 * and one durable commit: for each, its contacts bound or removed, its
 * phone's live bindings (contact and seconds left, for the 200 OK) and
 * registration state (repo_registration.h) recorded, unless its facts
 * proved stale or step 7 refuses it (rq->written; nothing done for it).
 * False, with nothing written for any, on a database error, or
 * (APP_E_RULE) when a REGISTER of the same Call-ID committed in between. */
bool repo_sip_register(struct db *db, struct sip_register *const rqs[], int n, const char *node,
		       struct app_err *err);

/* The phone's LSC changed (replaced or revoked): removes its bindings held
 * by node that were made with an LSC other than the one on record now
 * (every instance drops the connections it holds; a phone that already
 * registered with its new LSC keeps that binding); each row id to fn. */
bool repo_sip_unbind_tls(struct db *db, const char *phone_uuid, const char *node,
			 void (*fn)(void *ctx, long long id), void *ctx, struct app_err *err);

/* Deletes bindings expired for more than five minutes; their ids to fn. */
bool repo_sip_expire(struct db *db, void (*fn)(void *ctx, long long id), void *ctx,
		     struct app_err *err);

/* One claimed NOTIFY with one of the phone's active bindings: a phone
 * with several (RFC 3261 10.2.1) comes as that many jobs in a row, the
 * same id, binding 1 .. bindings; a phone no longer registered as one job
 * with bindings 0 and registration_id 0. */
struct sip_job {
	long long id;
	char event[24];
	char action[16];
	int attempts;
	long long config_version;
	char phone[64];
	char security_mode[16]; /* the phone's profile's, now */
	long long registration_id;
	char aor[256];
	char contact[1024];
	char call_id[256];
	char transport[8];
	char source_ip[64];
	unsigned source_port;
	int binding;
	int bindings;
};

/* Claims up to limit due NOTIFYs queued for node, locking them for
 * lock_seconds; each binding of each goes to fn, in order; *claimed counts
 * NOTIFYs (outbox rows), not bindings. */
bool repo_sip_claim(struct db *db, const char *node, int limit, long lock_seconds,
		    void (*fn)(void *ctx, struct sip_job *job), void *ctx, int *claimed,
		    struct app_err *err);

/* Rows this node left in 'sending' (it stopped before recording the
 * answer) become pending again: sent twice is harmless. */
bool repo_sip_release(struct db *db, const char *node, struct app_err *err);

/* The final answer to one NOTIFY. */
struct sip_result {
	long long id;
	int status;
	char phrase[64];
	bool retryable;
	long retry_after; /* seconds, if retried */
};

#define SIP_RESULTS_MAX 256

/* Records up to SIP_RESULTS_MAX answers in one statement: delivered for 2xx; for a retryable
 * failure pending again after retry_after seconds unless max_attempts are
 * used up; failed otherwise.  The sender's policy, so every instance
 * retries alike whichever one queued the request. */
bool repo_sip_results(struct db *db, const struct sip_result *r, int n, int max_attempts,
		      struct app_err *err);

/* A claimed NOTIFY whose phone has no active binding any more. */
bool repo_sip_unreachable(struct db *db, long long id, const char *reason, struct app_err *err);

/* The LISTEN connection: outbox wake-ups (axlprov_outbox, payload: node),
 * LSC changes (axlprov_lsc, payload: the phone's uuid) and changes of
 * phone facts (axlprov_facts, db/migrations/0015). */
struct sip_listener;
struct sip_listener *repo_sip_listen(const char *conninfo, struct app_err *err);
int repo_sip_listen_fd(const struct sip_listener *l);
/* Consumes input; true while the connection is healthy.  *woken is set when
 * an outbox notification for node (or any, for an empty payload) arrived,
 * *facts when phone facts changed; each LSC change goes to lsc. */
bool repo_sip_listen_poll(struct sip_listener *l, const char *node, bool *woken, bool *facts,
			  void (*lsc)(void *ctx, const char *phone_uuid), void *ctx);
void repo_sip_listen_close(struct sip_listener *l);

#endif
