/*
 * sip.c: the SIP thread (see sip.h).  Owns the thread and its su_root,
 * sofia-sip's nta agent and its UDP/TCP transports, the TLS listener's
 * start and reload (sip_tls.c), the LISTEN connection, the connections
 * bindings were made over, and the glue that hands each request nta
 * delivers to the registrar (sip_registrar.c) and sends its answer.  nta
 * parses, keeps the transactions, retransmits over UDP, and answers over
 * the connection a request came on.  The outbox sender is sip_notifier.c.
 *
 * Everything here runs on the one thread that owns the su_root; the thread
 * owns two PostgreSQL connections (queries, and LISTEN).
 */
#define _GNU_SOURCE /* eventfd */
#include <malloc.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* First: it sets the types sofia-sip passes back to our callbacks. */
#include "sip_priv.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport_tag.h>

#include "db.h"
#include "log.h"
#include "sip_facts.h"
#include "sip_registrar.h"
#include "sip_rules.h"

#define TICK_MS 1000
/* Answers are recorded in one statement per batch, at most this long
 * after the first of the batch arrived. */
#define FLUSH_MS 10
#define JANITOR_TICKS 120
/* A storm leaves hundreds of MB freed (transactions sofia-sip kept for
 * 64*T1, the database threads' results) that glibc keeps in its arenas
 * unless asked to give them back; the outbox thread asks, so the SIP
 * thread never waits for it. */
#define TRIM_TICKS 10
#define STR_(x) #x
#define STR(x) STR_(x)

/* --- connections of bindings ---------------------------------------------- */

static struct tport_entry **
tport_slot(struct sip *s, long long id)
{
	struct tport_entry **e = &s->tports[(unsigned long long) id % SIP_TPORT_BUCKETS];

	while (*e != NULL && (*e)->registration_id != id)
		e = &(*e)->next;
	return e;
}

struct tport_entry *
sip_tport_find(struct sip *s, long long id)
{
	return *tport_slot(s, id);
}

void
sip_tport_forget(void *ctx, long long id)
{
	struct tport_entry **slot = tport_slot(ctx, id), *e = *slot;

	if (e == NULL)
		return;
	*slot = e->next;
	tport_unref(e->tport);
	free(e);
}

void
sip_tport_remember(void *ctx, long long id)
{
	struct sip *s = ctx;
	struct tport_entry **slot = tport_slot(s, id), *e = *slot;

	if (s->current_tport == NULL)
		return;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return; /* TCP: the NOTIFY opens a connection; TLS: unreachable */
		e->registration_id = id;
		*slot = e;
	} else {
		tport_unref(e->tport);
	}
	e->tport = tport_ref(s->current_tport);
}

/* A revoked or replaced LSC: that phone's TLS bindings go, and so do
 * their connections. */
static void
drop_tls_binding(void *ctx, long long id)
{
	struct sip *s = ctx;
	struct tport_entry *e = sip_tport_find(s, id);

	if (e != NULL && s->tls != NULL)
		sip_tls_close_tport(s->tls, e->tport);
	sip_tport_forget(s, id);
}

/* Statements whose removed binding ids come back to the SIP thread. */
struct ids_task {
	struct sip_task t;
	char node[64];
	char phone_uuid[64]; /* "" for the expiry janitor */
	bool ok;
	long long *ids;
	int n, cap;
};

static void
collect_id(void *ctx, long long id)
{
	struct ids_task *it = ctx;

	if (it->n == it->cap) {
		int cap = it->cap ? 2 * it->cap : 64;
		long long *ids = realloc(it->ids, sizeof(*ids) * (size_t) cap);

		if (ids == NULL)
			return; /* its connection is kept until the phone registers again */
		it->ids = ids;
		it->cap = cap;
	}
	it->ids[it->n++] = id;
}

static void
ids_run(struct db *db, struct sip_task *t)
{
	struct ids_task *it = (struct ids_task *) t;
	struct app_err err = { 0 };

	it->ok = it->phone_uuid[0] ?
			 repo_sip_unbind_tls(db, it->phone_uuid, it->node, collect_id, it, &err) :
			 repo_sip_expire(db, collect_id, it, &err);
	if (!it->ok)
		log_msg(LOG_WARN, "sip: %s: %s",
			it->phone_uuid[0] ? "dropping TLS bindings after an LSC change" :
					    "expiring bindings",
			err.msg);
	else if (it->phone_uuid[0])
		log_msg(LOG_INFO, "sip: LSC of phone %s changed: its TLS bindings are dropped",
			it->phone_uuid);
}

static void
ids_done(struct sip *s, struct sip_task *t)
{
	struct ids_task *it = (struct ids_task *) t;

	for (int i = 0; s != NULL && i < it->n; i++) {
		if (it->phone_uuid[0])
			drop_tls_binding(s, it->ids[i]);
		else
			sip_tport_forget(s, it->ids[i]);
	}
	free(it->ids);
	free(it);
}

static void
post_ids_task(struct sip *s, const char *phone_uuid)
{
	struct ids_task *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return;
	it->t.run = ids_run;
	it->t.done = ids_done;
	snprintf(it->node, sizeof(it->node), "%s", s->node);
	snprintf(it->phone_uuid, sizeof(it->phone_uuid), "%s", phone_uuid);
	sip_pool_task(s->pool, &it->t);
}

static void
on_lsc_change(void *ctx, const char *phone_uuid)
{
	if (phone_uuid[0])
		post_ids_task(ctx, phone_uuid);
}

/* --- requests ------------------------------------------------------------- */

/* Transport, address and certificate of the request's sender. */
static void
peer_of(struct sip *s, msg_t *msg, tport_t *tp, struct sip_peer *peer, char *ip, size_t ipsize)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	char port[16] = "0";

	/* sofia names its protocols in lower case: "udp", "tcp". */
	peer->transport = tp ? tport_name(tp)->tpn_proto : "udp";
	peer->cert = NULL;
	ip[0] = '\0';
	if (ai != NULL)
		getnameinfo(ai->ai_addr, (socklen_t) ai->ai_addrlen, ip, (socklen_t) ipsize, port,
			    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	peer->ip = ip;
	peer->port = (unsigned) atoi(port);
	if (s->tls != NULL && strcmp(peer->transport, "tcp") == 0) {
		char relay_ip[64];

		snprintf(relay_ip, sizeof(relay_ip), "%s", ip);
		if (sip_tls_peer(s->tls, relay_ip, peer->port, ip, ipsize, &peer->port,
				 &peer->cert))
			peer->transport = "tls";
	}
}

void
sip_send_answer(nta_incoming_t *irq, msg_t *msg, sip_t const *sip, const struct sip_answer *a)
{
	char retry[16];

	/* Spread over 5..14 s, so that shed phones do not come back at once. */
	snprintf(retry, sizeof(retry), "%ld", 5 + random() % 10);
	nta_incoming_treply(irq, a->status, a->phrase, SIPTAG_USER_AGENT_STR(SIP_USER_AGENT),
			    TAG_IF(a->www_authenticate[0],
				   SIPTAG_WWW_AUTHENTICATE_STR(a->www_authenticate)),
			    TAG_IF(a->contact[0], SIPTAG_CONTACT_STR(a->contact)),
			    TAG_IF(a->min_expires, SIPTAG_MIN_EXPIRES_STR(STR(SIP_MIN_EXPIRES))),
			    TAG_IF(a->retry_after, SIPTAG_RETRY_AFTER_STR(retry)),
			    TAG_IF(a->unsupported,
				   SIPTAG_UNSUPPORTED(
					   (sip_unsupported_t const *) sip->sip_require)),
			    TAG_IF(a->allow, SIPTAG_ALLOW_STR("REGISTER, OPTIONS")),
			    TAG_IF(a->date, SIPTAG_DATE(sip_date_create(msg_home(msg), sip_now()))),
			    TAG_END());
}

/* While an apply is being delivered (more NOTIFYs due than in flight, and
 * phones answering them: one answered 2xx within the last second),
 * registrations start at most sip_apply_register_rate a second (burst: a
 * tenth of that): the phones an apply makes un-register or restart would
 * otherwise take the machine from delivering it to the others.  A window
 * held by phones that do not answer holds no registration back.  A
 * REGISTER with credentials finishes an exchange under way and always
 * goes on. */
static bool
apply_first(struct sip *s, sip_t const *sip)
{
	double rate = (double) s->cfg->sip_apply_register_rate;
	struct timespec now;

	if (!s->apply_backlog || rate <= 0 || sip->sip_authorization != NULL ||
	    sip_ms_since(&s->delivered_at) > 1000)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return !sip_bucket_take(&s->starts, (double) now.tv_sec + (double) now.tv_nsec / 1e9, rate,
				rate < 10 ? 1 : rate / 10);
}

/* REGISTER goes to a database thread (answered later, 0 to nta) unless
 * the queue is full or an apply goes first (503 now); everything else is
 * answered here. */
static int
on_request(struct sip *s, nta_leg_t *leg, nta_incoming_t *irq, sip_t const *sip)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	tport_t *tp = nta_incoming_transport(s->agent, irq, msg);
	struct sip_answer a;
	struct sip_peer peer;
	char ip[64];
	bool queued = false;
	struct sip_registrar r = {
		.db = NULL,
		.secret = s->secret,
		.node = s->node,
		.ctx = s,
	};

	(void) leg;
	peer_of(s, msg, tp, &peer, ip, sizeof(ip));
	if (sip->sip_request->rq_method != sip_method_register)
		sip_registrar_handle(&r, sip, &peer, &a); /* needs no database */
	else if (apply_first(s, sip))
		sip_shed(&a, "an apply is being delivered first");
	else
		queued = sip_pool_submit(s->pool, irq, msg, tp, &peer, &a);
	if (!queued)
		sip_send_answer(irq, msg, sip, &a);
	if (tp != NULL)
		tport_unref(tp);
	msg_destroy(msg);
	/* nta destroys the transaction after a final status; a queued one is
	 * the pool's to answer and destroy. */
	return queued ? 0 : a.status;
}

/* --- the event loop ------------------------------------------------------- */

static int
on_listen(struct sip *s, su_wait_t *w, struct sip *arg)
{
	bool woken = false, facts = false;

	(void) w;
	(void) arg;
	if (!repo_sip_listen_poll(s->listener, s->node, &woken, &facts, on_lsc_change, s)) {
		log_msg(LOG_WARN, "sip: LISTEN connection lost; polling until it is back");
		su_root_unregister(s->root, s->listen_wait, on_listen, s);
		su_wait_destroy(s->listen_wait);
		repo_sip_listen_close(s->listener);
		s->listener = NULL;
		/* deaf to changes of phone facts: remember none until back */
		sip_facts_reset(s->facts, false);
		sip_warm_cancel(s);
	} else if (facts) {
		sip_facts_reset(s->facts, true);
		sip_warm_schedule(s, false);
	}
	if (woken) {
		sip_notifier_fan_out(s);
		sip_notifier_claim(s);
	}
	return 0;
}

static void
listen_open(struct sip *s)
{
	struct app_err err = { 0 };

	s->listener = repo_sip_listen(s->cfg->database_url, &err);
	if (s->listener == NULL)
		return;
	if (su_wait_create(s->listen_wait, repo_sip_listen_fd(s->listener), SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, s->listen_wait, on_listen, s, 0) < 0) {
		repo_sip_listen_close(s->listener);
		s->listener = NULL;
		return;
	}
	/* Changes are heard from now on: facts may be remembered. */
	sip_facts_reset(s->facts, true);
	sip_warm_schedule(s, true);
	sip_warm_tick(s);
}

static void
trim_run(struct db *db, struct sip_task *t)
{
	(void) db;
	(void) t;
	malloc_trim(0);
}

static void
trim_done(struct sip *s, struct sip_task *t)
{
	(void) s;
	free(t);
}

static void
post_trim_task(struct sip *s)
{
	struct sip_task *t;

	if (s->pool == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return;
	t->run = trim_run;
	t->done = trim_done;
	sip_pool_task(s->pool, t);
}

static void
on_tick(struct sip *s, su_timer_t *t, struct sip *arg)
{
	(void) t;
	(void) arg;
	s->ticks++;
	if (s->listener == NULL && s->ticks % 10 == 0)
		listen_open(s);
	if (s->tls != NULL)
		sip_tls_tick(s->tls);
	sip_pool_sweep(s->pool, s->cfg->sip_register_wait);
	sip_warm_tick(s);
	if (s->ticks % JANITOR_TICKS == 0)
		post_ids_task(s, "");
	if (s->ticks % TRIM_TICKS == 0)
		post_trim_task(s);
	/* Retries fall due by time, and wake-ups are lost while LISTEN is down. */
	sip_notifier_fan_out(s);
	sip_notifier_claim(s);
}

static int
on_stop(struct sip *s, su_wait_t *w, struct sip *arg)
{
	(void) w;
	(void) arg;
	su_root_break(s->root);
	return 0;
}

/* SIGHUP: the settings again, and the TLS listener's certificate from
 * them; a failure keeps the current one. */
static int
on_reload(struct sip *s, su_wait_t *w, struct sip *arg)
{
	struct app_err err = { 0 };
	struct config *cfg = malloc(sizeof(*cfg));
	uint64_t n;
	bool ok;

	(void) w;
	(void) arg;
	if (read(s->reload_fd, &n, sizeof(n)) < 0 || s->tls == NULL || cfg == NULL) {
		free(cfg);
		return 0;
	}
	*cfg = *s->cfg;
	ok = (s->reread == NULL || s->reread(cfg, &err)) && sip_tls_reload(s->tls, cfg, &err);
	if (ok)
		log_msg(LOG_INFO, "sip: TLS certificate reloaded for new connections");
	else
		log_msg(LOG_ERROR,
			"sip: TLS reload failed, still serving the previous certificate: %s",
			err.msg);
	free(cfg);
	return 0;
}

static void
started(struct sip *s, int state)
{
	pthread_mutex_lock(&s->lock);
	s->state = state;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static bool
make_agent(struct sip *s)
{
	char url[160];

	snprintf(url, sizeof(url), "sip:%s", s->cfg->sip_listen);
	s->agent = nta_agent_create(s->root, URL_STRING_MAKE(url), NULL, NULL,
				    NTATAG_SERVER_RPORT(1), NTATAG_TCP_RPORT(1),
				    NTATAG_SIP_T1((unsigned) s->cfg->sip_t1),
				    NTATAG_SIP_T1X64((unsigned) (64 * s->cfg->sip_t1)),
				    NTATAG_UA(0),
				    /* No STUN on the SIP port: sofia's STUN
				     * mini-server leaks each error answer it
				     * sends, so any datagram could grow us. */
				    TPTAG_STUN_SERVER(0),
				    /* Room for a burst of answers while this thread
				     * waits on PostgreSQL (capped by rmem_max). */
				    TPTAG_UDP_RMEM(4 << 20), TAG_END());
	if (s->agent == NULL)
		return app_err_set(&s->err, APP_E_INVALID_VALUE, "sip_listen",
				   "cannot listen for SIP on %s (UDP and TCP): %s",
				   s->cfg->sip_listen, strerror(errno));
	s->leg = nta_leg_tcreate(s->agent, on_request, s, NTATAG_NO_DIALOG(1), TAG_END());
	return s->leg != NULL ||
	       app_err_set(&s->err, APP_E_INTERNAL, NULL, "sip: cannot set up the event loop");
}

static bool
setup_loop(struct sip *s)
{
	s->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	s->flush = su_timer_create(su_root_task(s->root), FLUSH_MS);
	if (s->tick == NULL || s->flush == NULL || su_timer_run(s->tick, on_tick, s) < 0 ||
	    su_wait_create(s->stop_wait, s->stop_fd, SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, s->stop_wait, on_stop, s, 0) < 0 ||
	    su_wait_create(s->reload_wait, s->reload_fd, SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, s->reload_wait, on_reload, s, 0) < 0)
		return app_err_set(&s->err, APP_E_INTERNAL, NULL,
				   "sip: cannot set up the event loop");
	return true;
}

static bool
setup(struct sip *s)
{
	if (strrchr(s->cfg->sip_listen, ':') == NULL)
		return app_err_set(&s->err, APP_E_INVALID_VALUE, "sip_listen",
				   "sip_listen must be address:port, not %s", s->cfg->sip_listen);
	s->nc = calloc(1, sizeof(*s->nc));
	s->facts = sip_facts_new(SIP_FACTS_MAX);
	if (s->nc == NULL || s->facts == NULL)
		return app_err_set(&s->err, APP_E_INTERNAL, NULL, "out of memory");
	s->db = db_open(s->cfg->database_url);
	if (s->db == NULL || !repo_sip_secret(s->db, s->secret, sizeof(s->secret), &s->err) ||
	    !repo_sip_release(s->db, s->node, &s->err))
		return false;
	s->root = su_root_create(s);
	if (s->root == NULL)
		return app_err_set(&s->err, APP_E_INTERNAL, NULL,
				   "sip: cannot create the event loop");
	if (!make_agent(s) || !setup_loop(s))
		return false;
	if (sip_pool_start(s, (int) s->cfg->sip_db_threads, (int) s->cfg->sip_register_queue,
			   &s->err) == NULL)
		return false;
	if (sip_tls_wanted(s->cfg) && (s->tls = sip_tls_start(s, &s->err)) == NULL)
		return false;
	listen_open(s);
	return true;
}

static void
teardown(struct sip *s)
{
	sip_notifier_stop(s);
	sip_pool_stop(s->pool);
	for (int i = 0; i < SIP_TPORT_BUCKETS; i++)
		while (s->tports[i] != NULL)
			sip_tport_forget(s, s->tports[i]->registration_id);
	sip_tls_stop(s->tls);
	if (s->listener != NULL) {
		su_root_unregister(s->root, s->listen_wait, on_listen, s);
		su_wait_destroy(s->listen_wait);
		repo_sip_listen_close(s->listener);
	}
	if (s->tick != NULL)
		su_timer_destroy(s->tick);
	if (s->flush != NULL)
		su_timer_destroy(s->flush);
	if (s->leg != NULL)
		nta_leg_destroy(s->leg);
	if (s->agent != NULL)
		nta_agent_destroy(s->agent);
	if (s->root != NULL) {
		su_root_unregister(s->root, s->stop_wait, on_stop, s);
		su_root_unregister(s->root, s->reload_wait, on_reload, s);
		su_root_destroy(s->root);
	}
	db_close(s->db);
	free(s->nc);
	sip_facts_free(s->facts);
}

static void *
run(void *arg)
{
	struct sip *s = arg;
	bool ok;

	su_init();
	ok = setup(s);
	if (ok) {
		log_msg(LOG_INFO, "sip: registrar on %s (udp, tcp)%s%s, node %s",
			s->cfg->sip_listen, s->tls ? " and TLS on " : "",
			s->tls ? s->cfg->sip_tls_listen : "", s->node);
		started(s, 1);
		/* What an earlier run left queued or half queued. */
		sip_notifier_fan_out(s);
		sip_notifier_claim(s);
		su_root_run(s->root);
	}
	teardown(s);
	su_deinit();
	if (!ok)
		started(s, -1);
	return NULL;
}

/* What sip_start() made besides the thread. */
static void
sip_free(struct sip *s)
{
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->reload_fd >= 0)
		close(s->reload_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static struct sip *
sip_new(const struct config *cfg, sip_reread_fn reread)
{
	struct sip *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->reread = reread;
	if (cfg->sip_node[0])
		snprintf(s->node, sizeof(s->node), "%s", cfg->sip_node);
	else if (gethostname(s->node, sizeof(s->node)) != 0)
		snprintf(s->node, sizeof(s->node), "axlprov");
	s->node[sizeof(s->node) - 1] = '\0';
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->reload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return s;
}

struct sip *
sip_start(const struct config *cfg, sip_reread_fn reread, struct app_err *err)
{
	struct sip *s = sip_new(cfg, reread);

	if (s == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	/* sofia-sip logs through su_log; ours says what matters. */
	su_log_soft_set_level(su_log_default, 0);
	if (s->stop_fd < 0 || s->reload_fd < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
		app_err_set(err, APP_E_INTERNAL, NULL, "cannot start the SIP thread");
		sip_free(s);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	while (s->state == 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->state < 0) {
		*err = s->err;
		pthread_join(s->thread, NULL);
		sip_free(s);
		return NULL;
	}
	return s;
}

void
sip_reload(struct sip *s)
{
	uint64_t one = 1;

	/* From a signal handler: write(2) is all it may do. */
	if (s != NULL && write(s->reload_fd, &one, sizeof(one)) < 0)
		return;
}

void
sip_stop(struct sip *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_msg(LOG_WARN, "sip: cannot signal the SIP thread to stop");
	pthread_join(s->thread, NULL);
	sip_free(s);
}
