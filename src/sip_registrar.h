/*
 * sip_registrar.h: the registrar's handling of one parsed request, apart
 * from the SIP stack that carries it.  sip.c hands every request nta
 * delivers to sip_registrar_handle() with what the transport knows of the
 * peer (transport, address, the TLS certificate's facts) and turns the
 * answer into a response; the REGISTER fuzzer calls it directly.
 */
#ifndef AXLPROV_SIP_REGISTRAR_H
#define AXLPROV_SIP_REGISTRAR_H

#include <pthread.h>
#include <stdbool.h>

#include <sofia-sip/sip.h>

#include "capf.h"
#include "repo_sip.h"

struct db;
struct sip_facts;
struct sip_nc_table;

/* What the registrar needs besides the request. */
struct sip_registrar {
	struct db *db;
	const char *secret; /* the nonce secret shared by every instance */
	const char *node;   /* this instance, recorded in bindings */
	bool accept_mic;    /* sip_accept_mic */
	/* Digest nc replay tracking (sip_rules.h); NULL: none.  nc_lock
	 * (may be NULL) serialises it between database threads. */
	struct sip_nc_table *nc;
	pthread_mutex_t *nc_lock;
	/* Phone facts remembered between requests (sip_facts.h); NULL: every
	 * REGISTER reads them. */
	struct sip_facts *facts;
	/* Decide on remembered facts only (db unused): a REGISTER that needs
	 * the database is left undecided (SIP_NEEDS_DB). */
	bool memory_only;
	/* A binding made over a connection (TCP, TLS): id of its row. */
	void (*bound)(void *ctx, long long id);
	/* A binding removed (unregistered): its row id. */
	void (*forget)(void *ctx, long long id);
	void *ctx;
};

/* Where the request came from. */
struct sip_peer {
	const char *transport; /* "udp", "tcp", "tls" */
	const char *ip;
	unsigned port;
	const struct cert_facts *cert; /* tls: what the phone presented; else NULL */
};

/* The response to send: status, reason phrase and the headers it needs. */
struct sip_answer {
	int status;
	char phrase[192];
	char www_authenticate[256]; /* "" = none */
	char contact[4096];         /* the bindings, for a 200 to REGISTER */
	bool min_expires;           /* 423: Min-Expires */
	bool retry_after;           /* 503: Retry-After */
	bool unsupported;           /* 420: Unsupported copied from Require */
	bool allow;                 /* Allow: REGISTER, OPTIONS */
	bool date;                  /* 200 to REGISTER: Date */
};

/* Most REGISTERs one statement writes (sip_registrar_write). */
#define SIP_WRITE_MAX 64

/* An admitted REGISTER on its way to the database: what
 * sip_registrar_decide() leaves for sip_registrar_write().  The caller
 * zeroes it once per request; the registrar fills the rest. */
struct sip_accepted {
	int decided; /* times decided: a second stale write answers 503 */
	bool again;  /* its facts changed since: decide again, on fresh ones */
	su_home_t home[1];
	struct sip_phone ph;
	enum cert_kind kind;
	struct sip_register rq;
	struct sip_register_fns fns;
	sip_t const *sip;
	const struct sip_peer *peer;
	struct sip_answer *a;
	void (*bound)(void *ctx, long long id); /* the registrar's, with its ctx */
	void (*forget)(void *ctx, long long id);
	void *ctx;
};

enum sip_step { SIP_ANSWERED, SIP_TO_WRITE, SIP_NEEDS_DB };

/* Decides a REGISTER: its answer (SIP_ANSWERED), or its admission
 * (SIP_TO_WRITE: acc is to be written, the answer not set yet), or, with
 * r->memory_only, neither (SIP_NEEDS_DB: decide it again with a
 * database).  fresh: on the phone's facts read now, not on remembered
 * ones. */
enum sip_step sip_registrar_decide(const struct sip_registrar *r, sip_t const *sip,
				   const struct sip_peer *peer, bool fresh, struct sip_answer *a,
				   struct sip_accepted *acc);

/* Writes n (at most SIP_WRITE_MAX) admitted REGISTERs, each of another
 * phone, in one statement and one durable commit, and sets their answers;
 * one whose phone's facts changed since it was decided gets acc->again
 * instead (decide it again, fresh).  r->ctx is not used: each keeps the
 * ctx it was decided with. */
void sip_registrar_write(const struct sip_registrar *r, struct sip_accepted *const accs[], int n);

/* Frees an admitted REGISTER that will not be written (stopping). */
void sip_registrar_discard(struct sip_accepted *acc);

/* Decides the answer to one request (REGISTER, OPTIONS, anything else),
 * writing the bindings it names on its own; never sends anything.  Not
 * with r->memory_only: it may need the database. */
void sip_registrar_handle(const struct sip_registrar *r, sip_t const *sip,
			  const struct sip_peer *peer, struct sip_answer *a);

#endif
