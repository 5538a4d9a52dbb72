/*
 * observe.c: the request-path glue for throttling, metrics and the request
 * log (see observe.h).  The decisions and counters themselves live in the
 * pure modules throttle.c, metrics.c and reqlog.c.
 */
#include "observe.h"

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "repo_apply.h"
#include "reqlog.h"
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
sample_backlog(struct db *db, long long ns)
{
	struct app_err err = { 0 };
	long pending, sending;

	if (!throttle_backlog_due(ns / 1000000))
		return;
	if (repo_metrics_outbox(db, &pending, &sending, &err))
		throttle_backlog_set(pending + sending);
	else
		log_msg(LOG_WARN, "throttle: cannot count the outbox backlog: %s", err.msg);
}

enum throttle_verdict
observe_gate(struct db *db, const struct request *req, int *retry_after)
{
	long long ns;
	enum throttle_verdict v;

	*retry_after = 1;
	if (!axl_op_is_write(req->op))
		return THROTTLE_PASS;
	ns = now_ns();
	sample_backlog(db, ns);
	v = throttle_write(ns, retry_after);
	if (v != THROTTLE_PASS)
		metrics_throttled(v == THROTTLE_BACKLOG ? METRICS_THROTTLE_BACKLOG :
							  METRICS_THROTTLE_RATE);
	return v;
}

void
observe_request_done(int worker, const struct request *req)
{
	struct timespec now;
	double ms;
	char line[1024];

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double) (now.tv_sec - req->start.tv_sec) * 1e3 +
	     (double) (now.tv_nsec - req->start.tv_nsec) / 1e6;
	metrics_request(worker, req->op, req->status, req->throttled, ms / 1e3);
	if (!log_enabled(LOG_INFO))
		return;
	reqlog_format(line, sizeof(line),
		      &(struct reqlog) {
			      .id = req->request_id,
			      .user = req->user,
			      .source = req->peer,
			      .op = req->op,
			      .outcome = metrics_outcome(req->op, req->status, req->throttled),
			      .status = req->status,
			      .axlcode = req->axlcode,
			      .duration_ms = ms,
			      .sql = req->sql,
		      });
	log_msg(LOG_INFO, "%s", line);
}
