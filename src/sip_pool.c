/*
 * sip_pool.c: the SIP side's database threads.  A REGISTER needs the
 * database (the phone's facts, then its bindings and a durable commit);
 * run on the SIP thread that would stop OPTIONS, NOTIFY answers and
 * retransmissions while PostgreSQL is slow or away.  So the SIP thread
 * decides here only what the phone facts it remembers decide (a challenge,
 * or an admission to write), and queues every other REGISTER (a bounded
 * queue: beyond it, or after waiting too long in it, the phone gets 503
 * with a jittered Retry-After) and sends the answer when a thread of this
 * pool has decided it.  An admitted REGISTER waits in a second list until
 * a thread writes it with the others admitted meanwhile (group commit:
 * one statement, one durable commit for all of them; at most WRITERS
 * writes under way).  Each
 * thread owns one database connection; the connections of bindings (TCP,
 * TLS) stay the SIP thread's, so the threads only list their ids.  One
 * more thread, with a connection of its own, runs the outbox's and the
 * janitor's statements in order (sip_task): claims, answers recorded,
 * expired bindings.  Background tasks (an apply's phones queued, batch by
 * batch) run on a REGISTER thread when no REGISTER waits, beside the
 * outbox thread's claims rather than between them.
 */
#define _GNU_SOURCE /* eventfd */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* First: it sets the types sofia-sip passes back to our callbacks. */
#include "sip_priv.h"

#include <sofia-sip/sip_header.h>

#include "db.h"
#include "log.h"
#include "metrics.h"

#define POOL_MAX_THREADS 8
#define IDS_MAX 64
/* Writes of admitted REGISTERs under way at once: while they wait for
 * their commit, the next ones gather into one statement. */
#ifndef WRITERS
#define WRITERS 2
#endif

/* One REGISTER, from the SIP thread to a database thread and back. */
struct reg_job {
	nta_incoming_t *irq;
	msg_t *msg;  /* a reference to the request */
	tport_t *tp; /* its connection (reference), or NULL */
	struct sip_peer peer;
	char ip[64];
	struct cert_facts cert; /* a copy: the TLS connection may go */
	struct timespec queued;
	struct sip_answer a;
	long long bound[IDS_MAX], forgot[IDS_MAX];
	int nbound, nforgot;
	struct sip_accepted acc; /* admitted, waiting to be written */
	bool fresh;              /* decide on facts read now (sip_registrar_decide) */
	struct reg_job *next;
};

struct sip_pool {
	struct sip *s;
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* the REGISTER threads wait on it */
	pthread_cond_t outbox_cond;  /* the outbox thread waits on it */
	struct reg_job *head, *tail; /* waiting for a thread */
	int queued, max;
	struct reg_job *writes; /* admitted, for the next write */
	int writing;            /* writes under way, at most WRITERS */
	struct reg_job *done;   /* answered, for the SIP thread */
	int done_fd;
	bool stopping;
	int nthreads;
	pthread_t threads[POOL_MAX_THREADS];
	struct db *db[POOL_MAX_THREADS];
	pthread_mutex_t nc_lock;
	su_wait_t wait[1];
	/* The outbox thread: tasks in order, then their done on the SIP thread. */
	struct sip_task *tasks, *tasks_tail, *tasks_done;
	struct sip_task *bg, *bg_tail; /* background: any REGISTER thread */
	pthread_t outbox;
	bool outbox_started;
	struct db *outbox_db;
};

long
sip_ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void
collect_bound(void *ctx, long long id)
{
	struct reg_job *j = ctx;

	if (j->nbound < IDS_MAX)
		j->bound[j->nbound++] = id;
}

static void
collect_forgot(void *ctx, long long id)
{
	struct reg_job *j = ctx;

	if (j->nforgot < IDS_MAX)
		j->forgot[j->nforgot++] = id;
}

static void wake(struct sip_pool *p);

static void
finish(struct sip_pool *p, struct reg_job *j)
{
	pthread_mutex_lock(&p->lock);
	j->next = p->done;
	p->done = j;
	pthread_mutex_unlock(&p->lock);
	wake(p);
}

/* Whether job's phone is among the n taken. */
static bool
phone_taken(struct reg_job *const *taken, int n, const struct reg_job *job)
{
	for (int i = 0; i < n; i++)
		if (strcmp(taken[i]->acc.ph.uuid, job->acc.ph.uuid) == 0)
			return true;
	return false;
}

/* Under the lock: the admitted REGISTERs one statement writes, at most
 * SIP_WRITE_MAX, each of another phone (a second REGISTER of a phone waits
 * for the next); none while a write is under way, so that they gather
 * (group commit: one durable commit for all that came meanwhile). */
static int
take_writes(struct sip_pool *p, struct reg_job **out)
{
	struct reg_job **pp = &p->writes, *j;
	int n = 0;

	if (p->writing >= WRITERS)
		return 0;
	while ((j = *pp) != NULL && n < SIP_WRITE_MAX) {
		if (phone_taken(out, n, j)) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		out[n++] = j;
	}
	p->queued -= n;
	p->writing += n > 0;
	return n;
}

/* Admitted REGISTERs to write, else the next REGISTER, else the next
 * background task; false when stopping. */
static bool
next_work(struct sip_pool *p, struct reg_job **job, struct reg_job **writes, int *nwrites,
	  struct sip_task **task)
{
	pthread_mutex_lock(&p->lock);
	while (p->head == NULL && p->bg == NULL && (p->writes == NULL || p->writing >= WRITERS) &&
	       !p->stopping)
		pthread_cond_wait(&p->cond, &p->lock);
	*nwrites = p->stopping ? 0 : take_writes(p, writes);
	*job = p->stopping || *nwrites > 0 ? NULL : p->head;
	*task = p->stopping || *nwrites > 0 || *job != NULL ? NULL : p->bg;
	if (*job != NULL) {
		p->head = (*job)->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
	} else if (*task != NULL) {
		p->bg = (*task)->next;
		if (p->bg == NULL)
			p->bg_tail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return *nwrites > 0 || *job != NULL || *task != NULL;
}

/* A task has run: its done goes to the SIP thread. */
static void
task_ran(struct sip_pool *p, struct sip_task *t)
{
	pthread_mutex_lock(&p->lock);
	t->next = p->tasks_done;
	p->tasks_done = t;
	pthread_mutex_unlock(&p->lock);
	wake(p);
}

static struct sip_registrar
registrar_of(struct sip_pool *p, struct db *db, struct reg_job *j)
{
	struct sip *s = p->s;

	return (struct sip_registrar) {
		.db = db,
		.secret = s->secret,
		.node = s->node,
		.accept_mic = strcmp(s->cfg->sip_accept_mic, "on") == 0,
		.nc = s->nc,
		.nc_lock = &p->nc_lock,
		.facts = s->facts,
		.bound = collect_bound,
		.forget = collect_forgot,
		.ctx = j,
	};
}

/* An admitted REGISTER, left for the next write. */
static void
admitted(struct sip_pool *p, struct reg_job *j)
{
	pthread_mutex_lock(&p->lock);
	j->next = p->writes;
	p->writes = j;
	p->queued++; /* admitted ones count against the bound too */
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* A REGISTER decided: answered, or admitted. */
static void
register_job(struct sip_pool *p, struct db *db, struct reg_job *j)
{
	struct sip_registrar r = registrar_of(p, db, j);

	if (sip_registrar_decide(&r, sip_object(j->msg), &j->peer, j->fresh, &j->a, &j->acc) ==
	    SIP_ANSWERED)
		finish(p, j);
	else
		admitted(p, j);
}

/* Writes admitted REGISTERs together; one whose phone changed since it
 * was decided goes back to the head of the queue, to be decided fresh. */
static void
write_jobs(struct sip_pool *p, struct db *db, struct reg_job **jobs, int n)
{
	struct sip_accepted *accs[SIP_WRITE_MAX];
	struct sip_registrar r = registrar_of(p, db, NULL);
	bool again[SIP_WRITE_MAX];

	for (int i = 0; i < n; i++)
		accs[i] = &jobs[i]->acc;
	sip_registrar_write(&r, accs, n);
	for (int i = 0; i < n; i++) /* before another thread may take them back */
		again[i] = jobs[i]->acc.again;
	pthread_mutex_lock(&p->lock);
	p->writing--;
	for (int i = 0; i < n; i++)
		if (again[i]) {
			jobs[i]->fresh = true;
			clock_gettime(CLOCK_MONOTONIC, &jobs[i]->queued);
			jobs[i]->next = p->head;
			p->head = jobs[i];
			if (p->tail == NULL)
				p->tail = jobs[i];
			p->queued++;
		}
	/* this thread takes the next work itself; one more may join it */
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < n; i++)
		if (!again[i])
			finish(p, jobs[i]);
}

static void *
worker(void *arg)
{
	struct sip_pool *p = arg;
	struct reg_job *j, *writes[SIP_WRITE_MAX];
	struct sip_task *t;
	int me, n;

	pthread_mutex_lock(&p->lock);
	for (me = 0; me < p->nthreads && !pthread_equal(p->threads[me], pthread_self()); me++)
		;
	pthread_mutex_unlock(&p->lock);
	while (next_work(p, &j, writes, &n, &t)) {
		if (n > 0) {
			write_jobs(p, p->db[me], writes, n);
		} else if (j != NULL) {
			register_job(p, p->db[me], j);
		} else {
			t->run(p->db[me], t);
			task_ran(p, t);
		}
	}
	return NULL;
}

static void
wake(struct sip_pool *p)
{
	uint64_t one = 1;

	if (write(p->done_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_WARN, "sip: cannot wake the SIP thread");
}

/* Runs tasks in order until stopped with none left. */
static void *
outbox_worker(void *arg)
{
	struct sip_pool *p = arg;
	struct sip_task *t;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->tasks == NULL && !p->stopping)
			pthread_cond_wait(&p->outbox_cond, &p->lock);
		t = p->tasks;
		if (t == NULL) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		p->tasks = t->next;
		if (p->tasks == NULL)
			p->tasks_tail = NULL;
		pthread_mutex_unlock(&p->lock);
		t->run(p->outbox_db, t);
		task_ran(p, t);
	}
}

void
sip_pool_task(struct sip_pool *p, struct sip_task *t)
{
	t->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tasks_tail)
		p->tasks_tail->next = t;
	else
		p->tasks = t;
	p->tasks_tail = t;
	pthread_cond_signal(&p->outbox_cond);
	pthread_mutex_unlock(&p->lock);
}

void
sip_pool_background(struct sip_pool *p, struct sip_task *t)
{
	t->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->bg_tail)
		p->bg_tail->next = t;
	else
		p->bg = t;
	p->bg_tail = t;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void
task_finish(struct sip *s, struct sip_task *t)
{
	if (t->done != NULL)
		t->done(s, t);
	else
		free(t);
}

static void
job_free(struct reg_job *j)
{
	if (j->tp != NULL)
		tport_unref(j->tp);
	msg_destroy(j->msg);
	free(j);
}

/* On the SIP thread: the connections of new bindings, then the answer. */
static void
answer_job(struct sip *s, struct reg_job *j)
{
	for (int i = 0; i < j->nforgot; i++)
		sip_tport_forget(s, j->forgot[i]);
	s->current_tport = j->tp != NULL && tport_is_reliable(j->tp) ? j->tp : NULL;
	for (int i = 0; i < j->nbound; i++)
		sip_tport_remember(s, j->bound[i]);
	s->current_tport = NULL;
	sip_send_answer(j->irq, j->msg, sip_object(j->msg), &j->a);
	nta_incoming_destroy(j->irq);
	job_free(j);
}

static int
on_done(struct sip *s, su_wait_t *w, struct sip *arg)
{
	struct sip_pool *p = s->pool;
	struct reg_job *j, *next;
	struct sip_task *t, *tnext, *order = NULL;
	uint64_t n;

	(void) w;
	(void) arg;
	if (read(p->done_fd, &n, sizeof(n)) < 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	j = p->done;
	p->done = NULL;
	t = p->tasks_done;
	p->tasks_done = NULL;
	pthread_mutex_unlock(&p->lock);
	for (; j != NULL; j = next) {
		next = j->next;
		answer_job(s, j);
	}
	for (; t != NULL; t = tnext) { /* finished last first: reverse */
		tnext = t->next;
		t->next = order;
		order = t;
	}
	for (; order != NULL; order = tnext) {
		tnext = order->next;
		task_finish(s, order);
	}
	return 0;
}

/* The jitter is sip.c's (sip_send_answer). */
void
sip_shed(struct sip_answer *a, const char *why)
{
	memset(a, 0, sizeof(*a));
	a->status = 503;
	snprintf(a->phrase, sizeof(a->phrase), "Service Unavailable: %s", why);
	a->retry_after = true;
	metrics_register_shed();
}

/* On the SIP thread: a REGISTER its remembered phone facts decide (a
 * challenge, or an admission to write) needs no database thread, and no
 * hand-off to one and back.  Answered: *a is the answer, j is freed. */
static enum sip_step
decide_here(struct sip_pool *p, struct reg_job *j, struct sip_answer *a)
{
	struct sip_registrar r = registrar_of(p, NULL, j);
	enum sip_step step;

	r.memory_only = true;
	step = sip_registrar_decide(&r, sip_object(j->msg), &j->peer, false, &j->a, &j->acc);
	if (step == SIP_ANSWERED) {
		*a = j->a;
		job_free(j);
	}
	return step;
}

bool
sip_pool_submit(struct sip_pool *p, nta_incoming_t *irq, msg_t *msg, tport_t *tp,
		const struct sip_peer *peer, struct sip_answer *a)
{
	struct reg_job *j;

	pthread_mutex_lock(&p->lock);
	if (p->queued >= p->max) {
		pthread_mutex_unlock(&p->lock);
		sip_shed(a, "too many registrations waiting");
		return false;
	}
	pthread_mutex_unlock(&p->lock);
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		sip_shed(a, "out of memory");
		return false;
	}
	j->irq = irq;
	j->msg = msg_ref_create(msg);
	j->tp = tp != NULL ? tport_ref(tp) : NULL;
	j->peer = *peer;
	snprintf(j->ip, sizeof(j->ip), "%s", peer->ip);
	j->peer.ip = j->ip;
	if (peer->cert != NULL) {
		j->cert = *peer->cert;
		j->peer.cert = &j->cert;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->queued);
	switch (decide_here(p, j, a)) {
	case SIP_ANSWERED:
		return false;
	case SIP_TO_WRITE:
		admitted(p, j);
		return true;
	case SIP_NEEDS_DB:
		break;
	}
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return true;
}

/* Under the lock: moves the jobs of *list that waited longer than
 * wait_ms onto *old; returns the list's last job (its tail). */
static struct reg_job *
take_old(struct sip_pool *p, struct reg_job **list, long wait_ms, struct reg_job **old)
{
	struct reg_job **pp, *j, *last = NULL;

	for (pp = list; (j = *pp) != NULL;) {
		if (sip_ms_since(&j->queued) > wait_ms) {
			*pp = j->next;
			p->queued--;
			j->next = *old;
			*old = j;
		} else {
			last = j;
			pp = &j->next;
		}
	}
	return last;
}

/* Once a tick: REGISTERs that waited longer than wait_ms for a thread or
 * for their write (PostgreSQL slow or away) get their 503 now, not after
 * it is back. */
void
sip_pool_sweep(struct sip_pool *p, long wait_ms)
{
	struct reg_job *queued = NULL, *admitted = NULL, *j;

	pthread_mutex_lock(&p->lock);
	p->tail = take_old(p, &p->head, wait_ms, &queued);
	take_old(p, &p->writes, wait_ms, &admitted);
	pthread_mutex_unlock(&p->lock);
	for (int k = 0; k < 2; k++)
		for (struct reg_job *old = k ? admitted : queued; old != NULL; old = j) {
			j = old->next;
			if (k)
				sip_registrar_discard(&old->acc);
			sip_shed(&old->a, "the database is slow");
			answer_job(p->s, old);
		}
}

static bool
pool_threads(struct sip_pool *p, int n, struct app_err *err)
{
	for (int i = 0; i < n; i++) {
		p->db[i] = db_open(p->s->cfg->database_url);
		if (p->db[i] == NULL)
			return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
					   "sip: cannot open a database connection");
	}
	p->outbox_db = db_open(p->s->cfg->database_url);
	if (p->outbox_db == NULL)
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "sip: cannot open a database connection");
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	p->outbox_started = pthread_create(&p->outbox, NULL, outbox_worker, p) == 0;
	pthread_mutex_unlock(&p->lock);
	return (p->nthreads == n && p->outbox_started) ||
	       app_err_set(err, APP_E_INTERNAL, NULL, "sip: cannot start the database threads");
}

struct sip_pool *
sip_pool_start(struct sip *s, int threads, int queue, struct app_err *err)
{
	struct sip_pool *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	p->s = s;
	p->max = queue;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	pthread_cond_init(&p->outbox_cond, NULL);
	pthread_mutex_init(&p->nc_lock, NULL);
	p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->pool = p;
	if (p->done_fd < 0 || su_wait_create(p->wait, p->done_fd, SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, p->wait, on_done, s, 0) < 0) {
		app_err_set(err, APP_E_INTERNAL, NULL, "sip: cannot set up the database threads");
		sip_pool_stop(p);
		return NULL;
	}
	if (!pool_threads(p, threads > POOL_MAX_THREADS ? POOL_MAX_THREADS : threads, err)) {
		sip_pool_stop(p);
		return NULL;
	}
	return p;
}

/* Joins the threads; REGISTERs not answered yet are dropped (the phones
 * retransmit to whoever serves next). */
void
sip_pool_stop(struct sip_pool *p)
{
	struct reg_job *j, *next;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_cond_broadcast(&p->outbox_cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->outbox_started)
		pthread_join(p->outbox, NULL); /* after running what was queued */
	for (int k = 0; k < 2; k++)
		for (struct sip_task *t = k ? p->bg : p->tasks_done, *tn; t != NULL; t = tn) {
			tn = t->next;
			if (t->done != NULL)
				t->done(NULL, t); /* the loop is stopping: only frees */
			else
				free(t);
		}
	for (int k = 0; k < 3; k++)
		for (j = k == 2 ? p->writes : k ? p->done : p->head; j != NULL; j = next) {
			next = j->next;
			if (k == 2)
				sip_registrar_discard(&j->acc);
			nta_incoming_destroy(j->irq);
			job_free(j);
		}
	if (p->done_fd >= 0) {
		su_root_unregister(p->s->root, p->wait, on_done, p->s);
		close(p->done_fd);
	}
	for (int i = 0; i < POOL_MAX_THREADS; i++)
		db_close(p->db[i]);
	db_close(p->outbox_db);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	pthread_cond_destroy(&p->outbox_cond);
	pthread_mutex_destroy(&p->nc_lock);
	p->s->pool = NULL;
	free(p);
}
