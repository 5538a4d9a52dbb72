/*
 * sip_priv.h: the SIP thread's state, shared by the files that make it up
 * and by nothing else: sip.c (the thread, its event loop, sofia-sip's
 * agent, the connections bindings were made over), sip_notifier.c (the
 * outbox sender) and sip_tls.c (the TLS listener in front of nta).
 * Everything here is touched only by the SIP thread, except what sip.c's
 * start/stop/reload handshake says otherwise.
 */
#ifndef AXLPROV_SIP_PRIV_H
#define AXLPROV_SIP_PRIV_H

/* sip_tls.c wakes on its own objects and defines SU_WAKEUP_ARG_T first. */
#define SU_ROOT_MAGIC_T struct sip
#ifndef SU_WAKEUP_ARG_T
#define SU_WAKEUP_ARG_T struct sip
#endif
#define SU_TIMER_ARG_T struct sip
#define NTA_LEG_MAGIC_T struct sip
#define NTA_OUTGOING_MAGIC_T struct notify

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

#include "capf.h"
#include "config.h"
#include "err.h"
#include "repo_sip.h"
#include "sip.h"
#include "sip_registrar.h"
#include "sip_rules.h"

#define SIP_TPORT_BUCKETS 1024
#define SIP_USER_AGENT "axlprov"
/* AOR users whose phone facts the registrar remembers: a cluster's
 * 40,000 phones by name and by digest user (sip_facts.c), with room. */
#define SIP_FACTS_MAX 131072

/* sip_warm.c: reading every phone's facts ahead. */
struct sip_warm {
	bool scheduled, running;
	unsigned due; /* the tick it may start at */
	int phones;
	struct timespec started;
};

/* A connection-oriented binding's transport, kept so that a NOTIFY goes
 * back down the connection the REGISTER came on. */
struct tport_entry {
	long long registration_id;
	tport_t *tport;
	struct tport_entry *next;
};

struct notify;
struct delivery;
struct sip_pool;
struct sip_tls;

struct sip {
	const struct config *cfg;
	char node[64];
	pthread_t thread;
	int stop_fd;
	int reload_fd; /* SIGHUP: reload the TLS certificate */
	sip_reread_fn reread;

	/* Start-up handshake. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0 starting, 1 running, -1 failed */
	struct app_err err;

	/* Owned by the thread. */
	su_root_t *root;
	nta_agent_t *agent;
	nta_leg_t *leg;
	su_timer_t *tick;
	su_wait_t stop_wait[1];
	su_wait_t reload_wait[1];
	su_wait_t listen_wait[1];
	struct db *db;
	struct sip_listener *listener;
	char secret[128];
	struct sip_nc_table *nc; /* digest nc replay tracking, 1 MiB */
	struct sip_facts *facts; /* phone facts remembered (sip_facts.h) */
	struct sip_warm warm;
	struct sip_pool *pool;        /* the database threads REGISTERs run on */
	bool claiming;                /* a claim is with the outbox thread */
	bool fanning;                 /* so is a batch of an apply's phones */
	bool apply_backlog;           /* the last claim filled the window: more NOTIFYs are due */
	struct timespec delivered_at; /* the last NOTIFY answered 2xx */
	struct sip_bucket starts; /* registrations started meanwhile (sip_apply_register_rate) */
	unsigned ticks;
	struct sip_tls *tls;      /* NULL when sip_tls_listen is "" */
	struct capf_trust *trust; /* for phones' certificates */
	struct notify *inflight;
	int ninflight;            /* NOTIFYs, one per binding */
	struct delivery *filling; /* the row whose bindings are being claimed */
	struct sip_result results[SIP_RESULTS_MAX];
	int nresults;
	su_timer_t *flush;
	bool flush_armed;
	struct tport_entry *tports[SIP_TPORT_BUCKETS];
	tport_t *current_tport; /* the request being handled came over it */
};

/* sip.c: the connection a binding was made over. */
struct tport_entry *sip_tport_find(struct sip *s, long long id);
void sip_tport_remember(void *ctx, long long id);
void sip_tport_forget(void *ctx, long long id);

/* sip.c: sends the answer the registrar decided. */
void sip_send_answer(nta_incoming_t *irq, msg_t *msg, sip_t const *sip, const struct sip_answer *a);

/* sip_pool.c: REGISTERs run on database threads.  submit queues one (the
 * answer follows from the SIP thread); false, with a 503 in *a to send
 * now, when the queue is full. */
struct sip_pool *sip_pool_start(struct sip *s, int threads, int queue, struct app_err *err);
bool sip_pool_submit(struct sip_pool *p, nta_incoming_t *irq, msg_t *msg, tport_t *tp,
		     const struct sip_peer *peer, struct sip_answer *a);
/* Work for the outbox thread: run there with its connection, in the
 * order queued; then done (NULL: free) on the SIP thread, which frees
 * the task (and only frees it when called with s NULL: stopping).
 * Embed it first in a larger struct for the task's data. */
struct sip_task {
	void (*run)(struct db *db, struct sip_task *t);
	void (*done)(struct sip *s, struct sip_task *t);
	struct sip_task *next;
};
void sip_pool_task(struct sip_pool *p, struct sip_task *t);
/* Milliseconds since t (CLOCK_MONOTONIC). */
long sip_ms_since(const struct timespec *t);
/* A task any database thread may run when no REGISTER waits, in no
 * particular order with the others. */
void sip_pool_background(struct sip_pool *p, struct sip_task *t);
/* 503 to REGISTERs that waited longer than wait_ms for a thread. */
void sip_pool_sweep(struct sip_pool *p, long wait_ms);
void sip_pool_stop(struct sip_pool *p);
/* *a becomes a 503 with a jittered Retry-After, counted as shed. */
void sip_shed(struct sip_answer *a, const char *why);

/* sip_warm.c: reads every phone's facts into s->facts, now or once
 * changes settle; cancel: not (the memory is off); tick: once a second. */
void sip_warm_schedule(struct sip *s, bool now);
void sip_warm_cancel(struct sip *s);
void sip_warm_tick(struct sip *s);

/* sip_notifier.c: claims due outbox rows and sends their NOTIFYs. */
void sip_notifier_claim(struct sip *s);
/* Queues the next batch of phones of an apply request recorded by any
 * instance, then the next, until none is left. */
void sip_notifier_fan_out(struct sip *s);
/* Records what is pending and abandons NOTIFYs in flight (stopping). */
void sip_notifier_stop(struct sip *s);

/* sip_tls.c: SIP over TLS.  A listener on sip_tls_listen whose
 * connections are decrypted here and relayed, over loopback TCP, to nta's
 * TCP transport; the registrar learns the TLS peer's address and
 * certificate from the relay's port. */
/* Whether sip_tls_listen is set and there is a certificate to serve. */
bool sip_tls_wanted(const struct config *cfg);
struct sip_tls *sip_tls_start(struct sip *s, struct app_err *err);
bool sip_tls_reload(struct sip_tls *t, const struct config *cfg, struct app_err *err);
/* For a request nta received over TCP from relay_ip:relay_port: true when
 * it came through the TLS relay, with the phone's address (into ip and
 * *peer_port) and the facts of its certificate. */
bool sip_tls_peer(struct sip_tls *t, const char *relay_ip, unsigned relay_port, char *ip,
		  size_t ipsize, unsigned *peer_port, const struct cert_facts **cert);
/* Closes the TLS connection behind an nta connection (a revoked LSC). */
void sip_tls_close_tport(struct sip_tls *t, tport_t *tp);
/* Once a second: closes connections whose handshake is taking too long. */
void sip_tls_tick(struct sip_tls *t);
void sip_tls_stop(struct sip_tls *t);

#endif
