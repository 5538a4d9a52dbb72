/*
 * sip_notifier.c: the outbox sender.  Queues the phones of apply requests
 * into notify_outbox in batches, claims due notify_outbox rows,
 * sends each as a NOTIFY down every active binding of the phone (over the
 * connection it registered on for TCP and TLS), and records each row's
 * outcome in batches: delivered when any binding answered 2xx.  A TLS binding whose connection is gone is
 * unreachable until the phone registers again: a NOTIFY is never sent in
 * clear to a phone that registered over TLS.  Runs on the SIP thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First: it sets the types sofia-sip passes back to our callbacks. */
#include "sip_priv.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/tport_tag.h>

#include "log.h"
#include "metrics.h"
#include "repo_apply.h"
#include "sip_rules.h"

/* NOTIFYs in flight at once.  Each answer is a datagram waiting in the
 * socket's receive buffer (about 200 fit in the kernel's default) until
 * this thread reads it: sending thousands at once lost answers and then
 * retransmitted into the same overflow. */
#define WINDOW 128

/* One outbox row: the NOTIFYs to each of the phone's bindings, and the
 * best answer so far (a 2xx wins, then a retryable failure). */
struct delivery {
	long long id;
	int attempts;
	int outstanding; /* NOTIFYs not answered yet */
	bool open;       /* bindings still being added */
	int status;      /* 0 until an answer */
	char phrase[64];
	char reason[96]; /* why the last binding was skipped */
};

/* A NOTIFY in flight, to one binding. */
struct notify {
	struct sip *sip;
	struct delivery *d;
	nta_outgoing_t *orq;
	struct notify *prev, *next;
};

static void
notify_unlink(struct notify *n)
{
	struct sip *s = n->sip;

	if (n->prev)
		n->prev->next = n->next;
	else
		s->inflight = n->next;
	if (n->next)
		n->next->prev = n->prev;
	s->ninflight--;
}

/* A batch of answers, recorded by the outbox thread. */
struct results_task {
	struct sip_task t;
	int n, max_attempts;
	struct sip_result r[SIP_RESULTS_MAX];
};

static void
results_run(struct db *db, struct sip_task *t)
{
	struct results_task *rt = (struct results_task *) t;
	struct app_err err = { 0 };

	if (!repo_sip_results(db, rt->r, rt->n, rt->max_attempts, &err))
		/* The rows stay 'sending' and come back after their lock. */
		log_msg(LOG_WARN, "sip: cannot record %d NOTIFY results: %s", rt->n, err.msg);
}

static void
flush_results(struct sip *s)
{
	struct results_task *rt;

	if (s->nresults == 0)
		return;
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL) {
		log_msg(LOG_WARN, "sip: out of memory recording %d NOTIFY results", s->nresults);
	} else {
		rt->t.run = results_run;
		rt->n = s->nresults;
		rt->max_attempts = (int) s->cfg->notify_attempts;
		memcpy(rt->r, s->results, sizeof(rt->r[0]) * (size_t) s->nresults);
		sip_pool_task(s->pool, &rt->t);
	}
	s->nresults = 0;
}

static void
on_flush(struct sip *s, su_timer_t *t, struct sip *arg)
{
	(void) t;
	(void) arg;
	s->flush_armed = false;
	flush_results(s);
	sip_notifier_claim(s); /* the window has room again */
}

static void
record(struct sip *s, long long id, int attempts, int status, const char *phrase)
{
	struct sip_result *r;

	if (s->nresults == SIP_RESULTS_MAX)
		flush_results(s);
	r = &s->results[s->nresults++];
	r->id = id;
	r->status = status;
	snprintf(r->phrase, sizeof(r->phrase), "%s", phrase ? phrase : "");
	r->retryable = sip_status_retryable(status);
	r->retry_after = sip_backoff(s->cfg->notify_retry, attempts);
	/* The same decision repo_sip_results() records. */
	metrics_notify(status >= 200 && status < 300 ? METRICS_NOTIFY_DELIVERED :
		       r->retryable && attempts < s->cfg->notify_attempts ? METRICS_NOTIFY_RETRIED :
									    METRICS_NOTIFY_FAILED);
	/* Half the window free: record the answers and claim the next rows
	 * now, while the other half is still out.  Waiting for the flush
	 * timer drained the window before each claim, idle a third of the
	 * time. */
	if (s->ninflight <= WINDOW / 2 && !s->claiming) {
		flush_results(s);
		sip_notifier_claim(s);
	} else if (!s->flush_armed && su_timer_set(s->flush, on_flush, s) == 0) {
		s->flush_armed = true;
	} else if (!s->flush_armed) {
		flush_results(s);
	}
}

static int
answer_rank(int status)
{
	if (status <= 0)
		return 0; /* no answer yet */
	return status >= 200 && status < 300 ? 3 : sip_status_retryable(status) ? 2 : 1;
}

struct unreachable_task {
	struct sip_task t;
	long long id;
	char reason[96];
};

static void
unreachable_run(struct db *db, struct sip_task *t)
{
	struct unreachable_task *u = (struct unreachable_task *) t;
	struct app_err err = { 0 };

	if (!repo_sip_unreachable(db, u->id, u->reason, &err))
		log_msg(LOG_WARN, "sip: %s", err.msg);
}

static void
unreachable(struct sip *s, long long id, const char *reason)
{
	struct unreachable_task *u = calloc(1, sizeof(*u));

	metrics_notify(METRICS_NOTIFY_UNREACHABLE);
	if (u == NULL)
		return; /* the row comes back after its lock */
	u->t.run = unreachable_run;
	u->id = id;
	snprintf(u->reason, sizeof(u->reason), "%s", reason);
	sip_pool_task(s->pool, &u->t);
}

/* Once every binding answered (or none could be sent to): the row's
 * outcome. */
static void
delivery_done(struct sip *s, struct delivery *d)
{
	if (d->open || d->outstanding > 0)
		return;
	if (d->status == 0)
		unreachable(s, d->id, d->reason[0] ? d->reason : "no longer registered");
	else
		record(s, d->id, d->attempts, d->status, d->phrase);
	free(d);
}

static void
delivery_answer(struct delivery *d, int status, const char *phrase)
{
	if (answer_rank(status) > answer_rank(d->status)) {
		d->status = status;
		snprintf(d->phrase, sizeof(d->phrase), "%s", phrase ? phrase : "");
	}
}

static int
on_answer(struct notify *n, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
	const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : "no answer";
	struct delivery *d = n->d;
	struct sip *s = n->sip;

	if (status < 200)
		return 0;
	if (status < 300)
		clock_gettime(CLOCK_MONOTONIC, &s->delivered_at);
	delivery_answer(d, status, phrase);
	d->outstanding--;
	notify_unlink(n);
	nta_outgoing_destroy(orq);
	free(n);
	delivery_done(s, d);
	return 0;
}

static nta_outgoing_t *
send_notify(struct sip *s, struct notify *n, const struct sip_job *job,
	    const struct sip_notify_text *t, tport_t *tp)
{
	char route[160], from[160];
	bool v6 = strchr(job->source_ip, ':') != NULL;
	const url_t *self = nta_agent_contact(s->agent)->m_url;

	/* To the packet's source (NAT), over the transport the phone used;
	 * a connection's own address wins when there is one. */
	snprintf(route, sizeof(route), "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", job->source_ip,
		 v6 ? "]" : "", job->source_port,
		 strcmp(job->transport, "tls") == 0 ? "tcp" : job->transport);
	snprintf(from, sizeof(from), "<sip:%s>", self->url_host);
	return nta_outgoing_tcreate(s->leg, on_answer, n, URL_STRING_MAKE(route), SIP_METHOD_NOTIFY,
				    URL_STRING_MAKE(job->contact), SIPTAG_FROM_STR(from),
				    SIPTAG_TO_STR(job->aor), SIPTAG_CALL_ID_STR(job->call_id),
				    SIPTAG_EVENT_STR(t->event),
				    SIPTAG_SUBSCRIPTION_STATE_STR(t->subscription_state),
				    SIPTAG_USER_AGENT_STR(SIP_USER_AGENT),
				    TAG_IF(t->body[0], SIPTAG_CONTENT_TYPE_STR("text/plain")),
				    TAG_IF(t->body[0], SIPTAG_PAYLOAD_STR(t->body)),
				    TAG_IF(tp != NULL, NTATAG_TPORT(tp)), TAG_END());
}

/* Why a binding cannot be sent to, or NULL; *e is its connection. */
static const char *
binding_unusable(struct sip *s, const struct sip_job *job, struct tport_entry **e)
{
	bool tls = strcmp(job->transport, "tls") == 0;

	*e = NULL;
	if (job->registration_id == 0)
		return "no longer registered";
	if (!sip_binding_notifiable(job->security_mode, job->transport))
		return tls ? "registered over TLS; its profile is now Non Secure" :
			     "registered without TLS; its profile now requires TLS";
	if (strcmp(job->transport, "udp") != 0)
		*e = sip_tport_find(s, job->registration_id);
	if (tls && (*e == NULL || tport_is_closed((*e)->tport)))
		return "its TLS connection is closed; it must register again";
	return NULL;
}

/* The row's delivery: a new one for its first binding, else the one
 * being filled. */
static struct delivery *
delivery_of(struct sip *s, const struct sip_job *job)
{
	struct delivery *d = s->filling;

	if (d != NULL && d->id == job->id)
		return d;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->id = job->id;
	d->attempts = job->attempts;
	d->open = true;
	s->filling = d;
	return d;
}

static void
send_binding(struct sip *s, struct delivery *d, const struct sip_job *job)
{
	struct sip_notify_text t;
	struct tport_entry *e;
	const char *why = binding_unusable(s, job, &e);
	struct notify *n;

	if (why != NULL) {
		snprintf(d->reason, sizeof(d->reason), "%s", why);
		return;
	}
	if (!sip_notify_text(job->event, job->action, job->call_id, job->config_version, &t) ||
	    (n = calloc(1, sizeof(*n))) == NULL) {
		delivery_answer(d, 500, "cannot build the NOTIFY");
		return;
	}
	n->sip = s;
	n->d = d;
	n->orq = send_notify(s, n, job, &t, e != NULL ? e->tport : NULL);
	if (n->orq == NULL) {
		free(n);
		delivery_answer(d, 503, "cannot send the NOTIFY");
		return;
	}
	d->outstanding++;
	n->next = s->inflight;
	if (s->inflight)
		s->inflight->prev = n;
	s->inflight = n;
	s->ninflight++;
}

static void
send_job(void *ctx, struct sip_job *job)
{
	struct sip *s = ctx;
	struct delivery *d = delivery_of(s, job);

	if (d == NULL) {
		record(s, job->id, job->attempts, 500, "out of memory");
		return;
	}
	send_binding(s, d, job);
	if (job->binding < job->bindings)
		return; /* more bindings of this phone follow */
	s->filling = NULL;
	d->open = false;
	delivery_done(s, d);
}

/* One claim: run by the outbox thread, sent from the SIP thread. */
struct claim_task {
	struct sip_task t;
	char node[64];
	int room, claimed, njobs, cap;
	long lock;
	bool ok;
	struct sip_job *jobs;
};

static void
collect_job(void *ctx, struct sip_job *job)
{
	struct claim_task *c = ctx;

	if (c->njobs == c->cap) {
		int cap = c->cap ? 2 * c->cap : 2 * c->room;
		struct sip_job *j = realloc(c->jobs, sizeof(*j) * (size_t) cap);

		if (j == NULL)
			return; /* that row comes back after its lock */
		c->jobs = j;
		c->cap = cap;
	}
	c->jobs[c->njobs++] = *job;
}

static void
claim_run(struct db *db, struct sip_task *t)
{
	struct claim_task *c = (struct claim_task *) t;
	struct app_err err = { 0 };

	c->ok = repo_sip_claim(db, c->node, c->room, c->lock, collect_job, c, &c->claimed, &err);
	if (!c->ok)
		log_msg(LOG_WARN, "sip: claiming NOTIFYs: %s", err.msg);
}

static void
claim_done(struct sip *s, struct sip_task *t)
{
	struct claim_task *c = (struct claim_task *) t;

	if (s != NULL) {
		s->claiming = false;
		s->apply_backlog = c->ok && c->claimed == c->room;
		for (int i = 0; i < c->njobs; i++)
			send_job(s, &c->jobs[i]);
		if (s->apply_backlog)
			sip_notifier_claim(s); /* more may be due */
	}
	free(c->jobs);
	free(c);
}

void
sip_notifier_claim(struct sip *s)
{
	int room = WINDOW - s->ninflight;
	struct claim_task *c;

	if (s->claiming || room <= 0 || s->pool == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->t.run = claim_run;
	c->t.done = claim_done;
	snprintf(c->node, sizeof(c->node), "%s", s->node);
	c->room = room;
	/* A row stays locked for longer than its transaction can last. */
	c->lock = (long) (64 * s->cfg->sip_t1 / 1000) + 10;
	s->claiming = true;
	sip_pool_task(s->pool, &c->t);
}

/* Phones per fan-out transaction: about 60 ms of database work on a
 * REGISTER thread (a REGISTER arriving meanwhile has five others), and
 * the first NOTIFYs go out while the next batch is queued. */
#define FAN_OUT_BATCH 2000

struct fan_out_task {
	struct sip_task t;
	int queued;
	bool more, ok;
};

static void
fan_out_run(struct db *db, struct sip_task *t)
{
	struct fan_out_task *f = (struct fan_out_task *) t;
	struct app_err err = { 0 };

	f->ok = repo_apply_fan_out(db, FAN_OUT_BATCH, &f->queued, &f->more, &err);
	if (!f->ok)
		/* The request stays to queue: the next tick tries again. */
		log_msg(LOG_WARN, "sip: queueing an apply's phones: %s", err.msg);
}

static void
fan_out_done(struct sip *s, struct sip_task *t)
{
	struct fan_out_task *f = (struct fan_out_task *) t;

	if (s != NULL) {
		s->fanning = false;
		if (f->more)
			sip_notifier_fan_out(s);
	}
	free(f);
}

void
sip_notifier_fan_out(struct sip *s)
{
	struct fan_out_task *f;

	if (s->fanning || s->pool == NULL || (f = calloc(1, sizeof(*f))) == NULL)
		return;
	f->t.run = fan_out_run;
	f->t.done = fan_out_done;
	s->fanning = true;
	sip_pool_background(s->pool, &f->t);
}

void
sip_notifier_stop(struct sip *s)
{
	if (s->pool != NULL)
		flush_results(s); /* the outbox thread records it before it stops */
	while (s->inflight != NULL) {
		struct notify *n = s->inflight;

		notify_unlink(n);
		nta_outgoing_destroy(n->orq);
		if (--n->d->outstanding == 0 && !n->d->open)
			free(n->d);
		free(n);
	}
}
