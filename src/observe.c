/*
 * observe.c: the request-path glue for throttling, metrics and the request
 * log (see observe.h).  The decisions and counters themselves live in the
 * pure modules throttle.c, metrics.c and reqlog.c.
 */
#include "observe.h"

#include <stdio.h>
#include <time.h>

#include "soapH.h"

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "repo_metrics.h"
#include "reqlog.h"
#include "throttle.h"
#include "worker.h"

bool
observe_init(const struct config *cfg)
{
	throttle_configure(cfg->throttle_writes_per_second, cfg->throttle_outbox_backlog);
	return metrics_init((int) cfg->workers);
}

void
observe_free(void)
{
	metrics_free();
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The one worker whose turn it is refreshes the shared backlog sample. */
static void
sample_backlog(struct worker *w, long long ns)
{
	struct app_err err = { 0 };
	long pending, sending;

	if (!throttle_backlog_due(ns / 1000000))
		return;
	if (repo_metrics_outbox(w->db, &pending, &sending, &err))
		throttle_backlog_set(pending + sending);
	else
		log_msg(LOG_WARN, "throttle: cannot count the outbox backlog: %s", err.msg);
}

int
observe_gate(struct worker *w)
{
	struct soap *s = w->soap;
	long long ns;
	int retry = 1;
	enum throttle_verdict v;
	char msg[160];

	if (!axl_op_is_write(w->req.op))
		return SOAP_OK;
	ns = now_ns();
	sample_backlog(w, ns);
	v = throttle_write(ns, &retry);
	if (v == THROTTLE_PASS)
		return SOAP_OK;
	/* Read the rest of the request as the service would (it may be
	 * chunked, or pipelined behind more), without running it. */
	if (soap_ignore_element(s) != SOAP_OK || soap_body_end_in(s) != SOAP_OK ||
	    soap_envelope_end_in(s) != SOAP_OK || soap_end_recv(s) != SOAP_OK)
		return s->error;
	metrics_throttled(v == THROTTLE_BACKLOG ? METRICS_THROTTLE_BACKLOG : METRICS_THROTTLE_RATE);
	w->req.throttled = true;
	snprintf(msg, sizeof(msg), v == THROTTLE_BACKLOG ?
		 "The change notification queue is full; retry the write in %d seconds." :
		 "Too many write requests; retry the write in %d seconds.", retry);
	return http_send_busy(w, retry, msg);
}

int
observe_metrics_page(struct worker *w)
{
	struct metrics_gauges g = { .ok = true };
	struct app_err err = { 0 };

	g.ok = repo_metrics_outbox(w->db, &g.outbox_pending, &g.outbox_sending, &err) &&
	       repo_metrics_bindings(w->db, &g.sip_bindings, &err);
	if (!g.ok)
		log_msg(LOG_WARN, "metrics: %s", err.msg);
	xbuf_reset(&w->body);
	metrics_render(&w->body, &g);
	return http_send(w, 200, "text/plain; version=0.0.4; charset=utf-8");
}

void
observe_request_done(const struct worker *w)
{
	struct timespec now;
	double ms;
	char line[1024];

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double) (now.tv_sec - w->req.start.tv_sec) * 1e3 +
	     (double) (now.tv_nsec - w->req.start.tv_nsec) / 1e6;
	metrics_request(w->id, w->req.op, w->req.status, w->req.throttled, ms / 1e3);
	if (!log_enabled(LOG_INFO))
		return;
	reqlog_format(line, sizeof(line), &(struct reqlog) {
		.id = w->req.request_id, .user = w->req.user, .source = w->req.peer, .op = w->req.op,
		.outcome = metrics_outcome(w->req.op, w->req.status, w->req.throttled),
		.status = w->req.status, .axlcode = w->req.axlcode, .duration_ms = ms,
	});
	log_msg(LOG_INFO, "%s", line);
}
