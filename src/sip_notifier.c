/*
 * sip_notifier.c: the outbox sender.  Claims due notify_outbox rows,
 * sends each as a NOTIFY down the phone's current binding (over the
 * connection it registered on for TCP and TLS), and records each final
 * answer in batches.  A TLS binding whose connection is gone is
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

/* A NOTIFY in flight. */
struct notify {
	struct sip *sip;
	long long id;
	int attempts;
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
on_answer(struct notify *n, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
	const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : "no answer";

	if (status < 200)
		return 0;
	record(n->sip, n->id, n->attempts, status, phrase);
	notify_unlink(n);
	nta_outgoing_destroy(orq);
	free(n);
	return 0;
}

static void
unreachable(struct sip *s, long long id, const char *reason)
{
	struct app_err err = { 0 };

	if (!repo_sip_unreachable(s->db, id, reason, &err))
		log_msg(LOG_WARN, "sip: %s", err.msg);
	metrics_notify(METRICS_NOTIFY_UNREACHABLE);
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

static void
send_job(void *ctx, struct sip_job *job)
{
	struct sip *s = ctx;
	struct sip_notify_text t;
	struct tport_entry *e = NULL;
	bool tls = strcmp(job->transport, "tls") == 0;
	struct notify *n;

	if (job->registration_id == 0) {
		unreachable(s, job->id, "no longer registered");
		return;
	}
	if (!sip_binding_notifiable(job->security_mode, job->transport)) {
		unreachable(s, job->id, tls ? "registered over TLS; its profile is now Non Secure" :
			    "registered without TLS; its profile now requires TLS");
		return;
	}
	if (strcmp(job->transport, "udp") != 0)
		e = sip_tport_find(s, job->registration_id);
	if (tls && (e == NULL || tport_is_closed(e->tport))) {
		unreachable(s, job->id, "its TLS connection is closed; it must register again");
		return;
	}
	if (!sip_notify_text(job->event, job->action, job->call_id, job->config_version, &t) ||
	    (n = calloc(1, sizeof(*n))) == NULL) {
		record(s, job->id, job->attempts, 500, "cannot build the NOTIFY");
		return;
	}
	n->sip = s;
	n->id = job->id;
	n->attempts = job->attempts;
	n->orq = send_notify(s, n, job, &t, e != NULL ? e->tport : NULL);
	if (n->orq == NULL) {
		free(n);
		record(s, job->id, job->attempts, 503, "cannot send the NOTIFY");
		return;
	}
	n->next = s->inflight;
	if (s->inflight)
		s->inflight->prev = n;
	s->inflight = n;
	s->ninflight++;
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
		free(n);
	}
}
