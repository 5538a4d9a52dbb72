/*
 * metrics.h: the counters behind GET /metrics and their Prometheus text
 * (exposition format 0.0.4).  Request counters are per worker (one writer
 * each, no lock and no atomic read-modify-write on the hot path) and are
 * summed when scraped; the rare events (database errors, SIP outcomes,
 * throttling) are process-wide atomics.  Operation labels come from a
 * fixed table (ops.h), never from the request.
 */
#ifndef AXLPROV_METRICS_H
#define AXLPROV_METRICS_H

#include <stdbool.h>

struct xbuf;

/* The operation names for requests that are not AXL operations (w->req.op is
 * set to these by the HTTP layer); "" counts as "none", an unknown AXL
 * element as "other". */
#define METRICS_OP_GET_PAGE "GET /axl/"
#define METRICS_OP_GET_METRICS "GET /metrics"
#define METRICS_OP_GET_STATUS "GET /axl/status/apply"
#define METRICS_OP_GET_CONSOLE "GET /ccmadmin/"
#define METRICS_OP_GET_ROOT "GET /"
#define METRICS_OP_GET_UDS_VERSION "GET /cucm-uds/version"
/* The EST listener's resources (est.c). */
#define METRICS_OP_EST_CACERTS "EST cacerts"
#define METRICS_OP_EST_ENROLL "EST simpleenroll"
#define METRICS_OP_EST_REENROLL "EST simplereenroll"
#define METRICS_OP_EST_CSRATTRS "EST csrattrs"
#define METRICS_OP_EST_OTHER "EST other"

/* How an EST enrollment (simpleenroll, simplereenroll) ended. */
enum metrics_enroll {
	METRICS_ENROLL_ISSUED,       /* an LSC issued */
	METRICS_ENROLL_RENEWED,      /* an LSC renewed */
	METRICS_ENROLL_CHALLENGED,   /* 401: no credentials */
	METRICS_ENROLL_DENIED,       /* 401: wrong credentials */
	METRICS_ENROLL_REFUSED,      /* 400/403: the rules refused it */
	METRICS_ENROLL_EXPIRED,      /* the operation's deadline passed */
	METRICS_ENROLL_RATE_LIMITED, /* 429 */
	METRICS_ENROLL_ERROR,        /* the database or the CA failed */
	METRICS_ENROLL__COUNT
};

enum metrics_notify {
	METRICS_NOTIFY_DELIVERED,
	METRICS_NOTIFY_RETRIED,
	METRICS_NOTIFY_FAILED,
	METRICS_NOTIFY_UNREACHABLE,
	METRICS_NOTIFY__COUNT
};

enum metrics_throttle { METRICS_THROTTLE_BACKLOG, METRICS_THROTTLE_RATE, METRICS_THROTTLE__COUNT };

/* What the scrape reads from the database; ok false leaves them out. */
struct metrics_gauges {
	bool ok;
	long outbox_pending;
	long outbox_sending;
	long sip_bindings;
};

/* Makes room for nworkers request slots (before the workers start); false
 * when out of memory.  metrics_free() releases them. */
bool metrics_init(int nworkers);
void metrics_free(void);

/* One answered request, from the worker that served it.  op: the
 * operation (see above); throttled: refused by the throttle. */
void metrics_request(int worker, const char *op, int status, bool throttled, double seconds);

/* The outcome label metrics_request() files a request under. */
const char *metrics_outcome(const char *op, int status, bool throttled);

void metrics_db_error(void);
void metrics_notify(enum metrics_notify outcome);
/* A REGISTER answered with this final SIP status. */
void metrics_register(int sip_status);
/* One statement wrote accepted REGISTERs (several, when they gathered). */
void metrics_register_write(void);
/* A REGISTER's phone facts read from the database. */
void metrics_phone_lookup(void);
/* How many AOR users' phone facts the registrar remembers now. */
void metrics_phones_remembered(unsigned long users);
/* A REGISTER answered 503 by admission control (queue full or waited too long). */
void metrics_register_shed(void);
void metrics_throttled(enum metrics_throttle reason);
void metrics_enroll(enum metrics_enroll outcome);

/* Appends the whole exposition to out. */
void metrics_render(struct xbuf *out, const struct metrics_gauges *g);

#endif
