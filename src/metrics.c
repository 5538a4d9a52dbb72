/*
 * metrics.c: request counters and the /metrics text (see metrics.h).
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "xbuf.h"

/* Labels after the AXL operations (ops.h), in this order. */
static const char *const extra_labels[] = {
	"other",
	"none",
	METRICS_OP_GET_PAGE,
	METRICS_OP_GET_METRICS,
	METRICS_OP_GET_STATUS,
	METRICS_OP_GET_CONSOLE,
	METRICS_OP_GET_ROOT,
	METRICS_OP_GET_UDS_VERSION,
	METRICS_OP_EST_CACERTS,
	METRICS_OP_EST_ENROLL,
	METRICS_OP_EST_REENROLL,
	METRICS_OP_EST_CSRATTRS,
	METRICS_OP_EST_OTHER,
};
#define NEXTRA ((int) (sizeof(extra_labels) / sizeof(extra_labels[0])))
/* Enough for ops.c's table; checked in metrics_init(). */
#define MAX_LABELS 48

enum outcome { O_OK, O_FAULT, O_THROTTLED, O_4XX, O_5XX, O__COUNT };
static const char *const outcome_names[O__COUNT] = {
	"ok", "fault", "throttled", "http_4xx", "http_5xx",
};

/* Upper bounds of the latency buckets, seconds; the last bucket is +Inf. */
static const double bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBOUNDS ((int) (sizeof(bounds) / sizeof(bounds[0])))

/* One worker's counters.  Only that worker writes them (plain load and
 * store, no lock prefix); the scrape reads them with relaxed loads. */
struct slot {
	atomic_ulong requests[MAX_LABELS][O__COUNT];
	atomic_ulong buckets[MAX_LABELS][NBOUNDS + 1];
	atomic_ulong sum_us[MAX_LABELS];
} __attribute__((aligned(64)));

static struct slot *slots;
static int nslots;
static time_t started;

static atomic_ulong db_errors;
static atomic_ulong register_writes;
static atomic_ulong phone_lookups;
static atomic_ulong phones_remembered;
static atomic_ulong notify[METRICS_NOTIFY__COUNT];
static atomic_ulong throttled[METRICS_THROTTLE__COUNT];

enum reg { R_OK, R_CHALLENGED, R_FORBIDDEN, R_NOT_FOUND, R_OTHER, R_SHED, R__COUNT };
static const char *const reg_names[R__COUNT] = {
	"ok", "challenged", "forbidden", "not_found", "other", "shed",
};
static atomic_ulong registrations[R__COUNT];

static const char *const notify_names[METRICS_NOTIFY__COUNT] = {
	"delivered",
	"retried",
	"failed",
	"unreachable",
};
static const char *const throttle_names[METRICS_THROTTLE__COUNT] = { "backlog", "rate" };
static const char *const enroll_names[METRICS_ENROLL__COUNT] = {
	"issued", "renewed", "challenged", "denied", "refused", "expired", "rate_limited", "error",
};
static atomic_ulong enrollments[METRICS_ENROLL__COUNT];

static int
nlabels(void)
{
	return axl_op_count() + NEXTRA;
}

static const char *
label_name(int i)
{
	return i < axl_op_count() ? axl_op_name(i) : extra_labels[i - axl_op_count()];
}

static int
label_of(const char *op)
{
	int i = axl_op_find(op);

	if (i >= 0)
		return i;
	if (*op == '\0')
		return axl_op_count() + 1; /* none */
	for (int k = 2; k < NEXTRA; k++)
		if (strcmp(op, extra_labels[k]) == 0)
			return axl_op_count() + k;
	return axl_op_count(); /* other */
}

bool
metrics_init(int nworkers)
{
	if (nlabels() > MAX_LABELS || nworkers < 1)
		return false;
	slots = aligned_alloc(64, sizeof(*slots) * (size_t) nworkers);
	if (slots == NULL)
		return false;
	memset(slots, 0, sizeof(*slots) * (size_t) nworkers);
	nslots = nworkers;
	started = time(NULL);
	return true;
}

void
metrics_free(void)
{
	free(slots);
	slots = NULL;
	nslots = 0;
}

/* Single writer: no read-modify-write instruction needed. */
static inline void
bump(atomic_ulong *c, unsigned long n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static enum outcome
outcome_of(const char *op, int status, bool was_throttled)
{
	if (was_throttled)
		return O_THROTTLED;
	if (status >= 200 && status < 300)
		return O_OK;
	/* A SOAP fault is a 500 to a POST; a GET's 500 is an HTTP error. */
	if (status == 500 && strncmp(op, "GET ", 4) != 0)
		return O_FAULT;
	if (status >= 400 && status < 500)
		return O_4XX;
	return O_5XX;
}

const char *
metrics_outcome(const char *op, int status, bool was_throttled)
{
	return outcome_names[outcome_of(op, status, was_throttled)];
}

void
metrics_request(int worker, const char *op, int status, bool was_throttled, double seconds)
{
	struct slot *s;
	int label, b = 0;
	double us = seconds * 1e6;

	if (worker < 0 || worker >= nslots)
		return;
	s = &slots[worker];
	label = label_of(op);
	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	bump(&s->requests[label][outcome_of(op, status, was_throttled)], 1);
	bump(&s->buckets[label][b], 1);
	bump(&s->sum_us[label], us > 0 ? (unsigned long) us : 0);
}

void
metrics_db_error(void)
{
	atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

void
metrics_notify(enum metrics_notify outcome)
{
	if (outcome < METRICS_NOTIFY__COUNT)
		atomic_fetch_add_explicit(&notify[outcome], 1, memory_order_relaxed);
}

void
metrics_register_write(void)
{
	atomic_fetch_add_explicit(&register_writes, 1, memory_order_relaxed);
}

void
metrics_phone_lookup(void)
{
	atomic_fetch_add_explicit(&phone_lookups, 1, memory_order_relaxed);
}

void
metrics_phones_remembered(unsigned long users)
{
	atomic_store_explicit(&phones_remembered, users, memory_order_relaxed);
}

void
metrics_register_shed(void)
{
	atomic_fetch_add_explicit(&registrations[R_SHED], 1, memory_order_relaxed);
}

void
metrics_register(int sip_status)
{
	enum reg r = sip_status >= 200 && sip_status < 300 ? R_OK :
		     sip_status == 401                     ? R_CHALLENGED :
		     sip_status == 403                     ? R_FORBIDDEN :
		     sip_status == 404                     ? R_NOT_FOUND :
							     R_OTHER;

	atomic_fetch_add_explicit(&registrations[r], 1, memory_order_relaxed);
}

void
metrics_throttled(enum metrics_throttle reason)
{
	if (reason < METRICS_THROTTLE__COUNT)
		atomic_fetch_add_explicit(&throttled[reason], 1, memory_order_relaxed);
}

void
metrics_enroll(enum metrics_enroll outcome)
{
	if (outcome < METRICS_ENROLL__COUNT)
		atomic_fetch_add_explicit(&enrollments[outcome], 1, memory_order_relaxed);
}

static unsigned long
load(atomic_ulong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void
header(struct xbuf *out, const char *name, const char *type, const char *help)
{
	xbuf_printf(out, "# HELP axlprov_%s %s\n# TYPE axlprov_%s %s\n", name, help, name, type);
}

static void
render_requests(struct xbuf *out)
{
	int n = nlabels();

	header(out, "requests_total", "counter", "Requests answered, by operation and outcome.");
	for (int l = 0; l < n; l++) {
		unsigned long c[O__COUNT] = { 0 }, any = 0;

		for (int w = 0; w < nslots; w++)
			for (int o = 0; o < O__COUNT; o++)
				c[o] += load(&slots[w].requests[l][o]);
		for (int o = 0; o < O__COUNT; o++)
			any += c[o];
		/* An operation appears once it has been seen, with every outcome. */
		for (int o = 0; any > 0 && o < O__COUNT; o++)
			xbuf_printf(out,
				    "axlprov_requests_total{operation=\"%s\",outcome=\"%s\"} %lu\n",
				    label_name(l), outcome_names[o], c[o]);
	}
	header(out, "request_duration_seconds", "histogram",
	       "Time from the start of a request to its answer, by operation.");
	for (int l = 0; l < n; l++) {
		unsigned long b[NBOUNDS + 1] = { 0 }, sum_us = 0, cum = 0;

		for (int w = 0; w < nslots; w++) {
			for (int k = 0; k <= NBOUNDS; k++)
				b[k] += load(&slots[w].buckets[l][k]);
			sum_us += load(&slots[w].sum_us[l]);
		}
		for (int k = 0; k <= NBOUNDS; k++)
			cum += b[k];
		if (cum == 0)
			continue;
		cum = 0;
		for (int k = 0; k < NBOUNDS; k++) {
			cum += b[k];
			xbuf_printf(
				out,
				"axlprov_request_duration_seconds_bucket{operation=\"%s\",le=\"%g\"} %lu\n",
				label_name(l), bounds[k], cum);
		}
		cum += b[NBOUNDS];
		xbuf_printf(
			out,
			"axlprov_request_duration_seconds_bucket{operation=\"%s\",le=\"+Inf\"} %lu\n",
			label_name(l), cum);
		xbuf_printf(out, "axlprov_request_duration_seconds_sum{operation=\"%s\"} %.6f\n",
			    label_name(l), (double) sum_us / 1e6);
		xbuf_printf(out, "axlprov_request_duration_seconds_count{operation=\"%s\"} %lu\n",
			    label_name(l), cum);
	}
}

static void
render_family(struct xbuf *out, const char *name, const char *label, const char *help,
	      const char *const *names, atomic_ulong *values, int n)
{
	header(out, name, "counter", help);
	for (int i = 0; i < n; i++)
		xbuf_printf(out, "axlprov_%s{%s=\"%s\"} %lu\n", name, label, names[i],
			    load(&values[i]));
}

void
metrics_render(struct xbuf *out, const struct metrics_gauges *g)
{
	render_requests(out);
	render_family(out, "throttled_total", "reason",
		      "Write requests refused with HTTP 503 by the throttle.", throttle_names,
		      throttled, METRICS_THROTTLE__COUNT);
	header(out, "db_errors_total", "counter",
	       "Failed database operations (connection failures and statement errors).");
	xbuf_printf(out, "axlprov_db_errors_total %lu\n", load(&db_errors));
	render_family(
		out, "notify_total", "outcome",
		"NOTIFY outcomes: delivered, retried later, failed for good, phone unreachable.",
		notify_names, notify, METRICS_NOTIFY__COUNT);
	render_family(out, "registrations_total", "result",
		      "REGISTER requests by final answer (ok 2xx, challenged 401, forbidden 403, "
		      "not_found 404, other; shed: 503 from admission control, the queue of "
		      "REGISTERs waiting for the database full or waited on too long, or a "
		      "registration not started while an apply is being delivered).",
		      reg_names, registrations, R__COUNT);
	header(out, "registration_writes_total", "counter",
	       "Statements that wrote accepted REGISTERs: each writes those accepted while the "
	       "one before it committed (registrations_total{result=\"ok\"} / this = REGISTERs "
	       "per durable commit).");
	xbuf_printf(out, "axlprov_registration_writes_total %lu\n", load(&register_writes));
	header(out, "sip_phone_lookups_total", "counter",
	       "Phone facts read from the database to decide a REGISTER; the others were "
	       "decided on facts the registrar remembers.");
	xbuf_printf(out, "axlprov_sip_phone_lookups_total %lu\n", load(&phone_lookups));
	header(out, "sip_phones_remembered", "gauge",
	       "AOR users whose phone facts the registrar remembers (a phone's name and its "
	       "digest user's userid count apart).");
	xbuf_printf(out, "axlprov_sip_phones_remembered %lu\n", load(&phones_remembered));
	render_family(out, "est_enrollments_total", "outcome",
		      "EST enrollments (simpleenroll, simplereenroll) by outcome.", enroll_names,
		      enrollments, METRICS_ENROLL__COUNT);
	if (g != NULL && g->ok) {
		header(out, "outbox_depth", "gauge",
		       "NOTIFY outbox rows not finished yet, by state (all instances).");
		xbuf_printf(out, "axlprov_outbox_depth{state=\"pending\"} %ld\n",
			    g->outbox_pending);
		xbuf_printf(out, "axlprov_outbox_depth{state=\"sending\"} %ld\n",
			    g->outbox_sending);
		header(out, "sip_bindings", "gauge",
		       "Unexpired SIP registrations (all instances).");
		xbuf_printf(out, "axlprov_sip_bindings %ld\n", g->sip_bindings);
	}
	header(out, "start_time_seconds", "gauge", "When this process started, Unix time.");
	xbuf_printf(out, "axlprov_start_time_seconds %lld\n", (long long) started);
}
