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

/* Decides the answer to one request (REGISTER, OPTIONS, anything else),
 * updating the bindings it names; never sends anything. */
void sip_registrar_handle(const struct sip_registrar *r, sip_t const *sip,
			  const struct sip_peer *peer, struct sip_answer *a);

#endif
