/*
 * sip_notifier.c: the outbox sender.  Claims due notify_outbox rows,
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
	int outstanding;          /* NOTIFYs not answered yet */
	bool open;                /* bindings still being added */
	int status;               /* 0 until an answer */
	char phrase[64];
	char reason[96];          /* why the last binding was skipped */
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

static void
flush_results(struct sip *s)
{
	struct app_err err = { 0 };

	if (s->nresults == 0)
		return;
	if (!repo_sip_results(s->db, s->results, s->nresults, (int) s->cfg->notify_attempts, &err))
		/* The rows stay 'sending' and come back after their lock. */
		log_msg(LOG_WARN, "sip: cannot record %d NOTIFY results: %s", s->nresults, err.msg);
	s->nresults = 0;
}

static void
on_flush(struct sip *s, su_timer_t *t, struct sip *arg)
{
	(void) t;
	(void) arg;
	s->flush_armed = false;
	flush_results(s);
	sip_notifier_claim(s);   /* the window has room again */
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
		       r->retryable && attempts < s->cfg->notify_attempts ?
		       METRICS_NOTIFY_RETRIED : METRICS_NOTIFY_FAILED);
	if (!s->flush_armed && su_timer_set(s->flush, on_flush, s) == 0)
		s->flush_armed = true;
	else if (!s->flush_armed)
		flush_results(s);
}

static int
answer_rank(int status)
{
	if (status <= 0)
		return 0;   /* no answer yet */
	return status >= 200 && status < 300 ? 3 : sip_status_retryable(status) ? 2 : 1;
}

static void
unreachable(struct sip *s, long long id, const char *reason)
{
	struct app_err err = { 0 };

	if (!repo_sip_unreachable(s->db, id, reason, &err))
		log_msg(LOG_WARN, "sip: %s", err.msg);
	metrics_notify(METRICS_NOTIFY_UNREACHABLE);
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
	snprintf(route, sizeof(route), "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "",
		 job->source_ip, v6 ? "]" : "", job->source_port,
		 strcmp(job->transport, "tls") == 0 ? "tcp" : job->transport);
	snprintf(from, sizeof(from), "<sip:%s>", self->url_host);
	return nta_outgoing_tcreate(s->leg, on_answer, n, URL_STRING_MAKE(route),
				    SIP_METHOD_NOTIFY, URL_STRING_MAKE(job->contact),
				    SIPTAG_FROM_STR(from),
				    SIPTAG_TO_STR(job->aor),
				    SIPTAG_CALL_ID_STR(job->call_id),
				    SIPTAG_EVENT_STR(t->event),
				    SIPTAG_SUBSCRIPTION_STATE_STR(t->subscription_state),
				    SIPTAG_USER_AGENT_STR(SIP_USER_AGENT),
				    TAG_IF(t->body[0], SIPTAG_CONTENT_TYPE_STR("text/plain")),
				    TAG_IF(t->body[0], SIPTAG_PAYLOAD_STR(t->body)),
				    TAG_IF(tp != NULL, NTATAG_TPORT(tp)),
				    TAG_END());
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
		return;   /* more bindings of this phone follow */
	s->filling = NULL;
	d->open = false;
	delivery_done(s, d);
}

void
sip_notifier_claim(struct sip *s)
{
	struct app_err err = { 0 };
	/* A row stays locked for longer than its transaction can last. */
	long lock = (long) (64 * s->cfg->sip_t1 / 1000) + 10;
	int claimed, room;

	do {
		room = WINDOW - s->ninflight;
		if (room <= 0)
			return;
		if (!repo_sip_claim(s->db, s->node, room, lock, send_job, s, &claimed, &err)) {
			log_msg(LOG_WARN, "sip: claiming NOTIFYs: %s", err.msg);
			return;
		}
	} while (claimed == room);
}

void
sip_notifier_stop(struct sip *s)
{
	if (s->db != NULL)
		flush_results(s);
	while (s->inflight != NULL) {
		struct notify *n = s->inflight;

		notify_unlink(n);
		nta_outgoing_destroy(n->orq);
		if (--n->d->outstanding == 0 && !n->d->open)
			free(n->d);
		free(n);
	}
}
