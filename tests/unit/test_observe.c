/*
 * test_observe.c: the pure parts of throttling, metrics and the request
 * log: which operations are writes (ops.c); the write budget (a burst of
 * one second's worth, then one per interval, refusals using no budget,
 * Retry-After 1 to 5 s) and the backlog limit and its once-a-second sample
 * (throttle.c); outcome labels, counters summed over workers, unknown
 * operations under "other", and a cumulative histogram (metrics.c); logfmt
 * quoting, request ids (reqlog.c) and log_enabled() (log.c).
 */
#include "testutil.h"

#include <math.h>

#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "reqlog.h"
#include "throttle.h"
#include "xbuf.h"

#define S 1000000000LL

static void
test_write_ops(void **state)
{
	static const char *const writes[] = {
		"addPhone",      "updatePhoneSecurityProfile", "removeUser",
		"applyPhone",    "resetPhoneSecurityProfile",  "restartPhone",
		"doDeviceReset",
	};
	static const char *const reads[] = {
		"getPhone",        "listPhoneSecurityProfile",
		"getUser",         "",
		"executeSQLQuery", "Add",
		"getCCMVersion",   "listRegistrationDynamic",
		"addSomethingNew",
	};

	(void) state;
	for (size_t i = 0; i < NELEM(writes); i++)
		assert_true(axl_op_is_write(writes[i]));
	for (size_t i = 0; i < NELEM(reads); i++)
		assert_false(axl_op_is_write(reads[i]));
	assert_int_equal(axl_op_count(), OP__COUNT);
	for (int i = 0; i < axl_op_count(); i++)
		assert_int_equal(axl_op_find(axl_op_name(i)), i);
	assert_int_equal(axl_op_find("getphone"), -1);
}

static void
test_budget(void **state)
{
	int retry = 0;
	long long t = 1000 * S;

	(void) state;
	throttle_configure(0, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(throttle_write(t, &retry), THROTTLE_PASS);
	throttle_configure(4, 0);
	/* A burst of one second's worth (4), then refused. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(throttle_write(t, &retry), THROTTLE_PASS);
	assert_int_equal(throttle_write(t, &retry), THROTTLE_RATE);
	assert_int_equal(retry, 1);
	/* Refusals use nothing: a quarter second later, one more passes. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(throttle_write(t, &retry), THROTTLE_RATE);
	assert_int_equal(throttle_write(t + S / 4, &retry), THROTTLE_PASS);
	assert_int_equal(throttle_write(t + S / 4, &retry), THROTTLE_RATE);
	/* After a quiet while the burst is back, but no more than it. */
	t += 10 * S;
	for (int i = 0; i < 4; i++)
		assert_int_equal(throttle_write(t, &retry), THROTTLE_PASS);
	assert_int_equal(throttle_write(t, &retry), THROTTLE_RATE);
	/* One a second: every second write in the same second is refused. */
	throttle_configure(1, 0);
	assert_int_equal(throttle_write(t, &retry), THROTTLE_PASS);
	assert_int_equal(throttle_write(t + S / 2, &retry), THROTTLE_RATE);
	assert_int_equal(retry, 1);
	assert_int_equal(throttle_write(t + S, &retry), THROTTLE_PASS);
}

static void
test_backlog(void **state)
{
	int retry = 0;

	(void) state;
	throttle_configure(0, 100);
	assert_true(throttle_backlog_due(5000));
	assert_false(throttle_backlog_due(5000)); /* one caller only */
	assert_false(throttle_backlog_due(5999)); /* at most once a second */
	throttle_backlog_set(100);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_PASS);
	throttle_backlog_set(101);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_BACKLOG);
	assert_int_equal(retry, THROTTLE_BACKLOG_RETRY);
	assert_true(throttle_backlog_due(6000));
	throttle_backlog_set(0);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_PASS);
	/* The backlog is checked first and uses none of the budget. */
	throttle_configure(1, 100);
	throttle_backlog_set(500);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_BACKLOG);
	throttle_backlog_set(0);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_PASS);
	/* Off: never due, never refused. */
	throttle_configure(0, 0);
	assert_false(throttle_backlog_due(1000000));
	throttle_backlog_set(1000000);
	assert_int_equal(throttle_write(1, &retry), THROTTLE_PASS);
}

static void
test_outcomes(void **state)
{
	(void) state;
	assert_string_equal(metrics_outcome("getPhone", 200, false), "ok");
	assert_string_equal(metrics_outcome("getPhone", 500, false), "fault");
	assert_string_equal(metrics_outcome(METRICS_OP_GET_STATUS, 500, false), "http_5xx");
	assert_string_equal(metrics_outcome("addPhone", 503, true), "throttled");
	assert_string_equal(metrics_outcome("", 503, false), "http_5xx");
	assert_string_equal(metrics_outcome("", 401, false), "http_4xx");
	assert_string_equal(metrics_outcome("getPhone", 599, false), "http_5xx");
}

/* The value of the line starting with prefix, or -1. */
static double
sample(const char *text, const char *prefix)
{
	const char *p = text;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p == text || p[-1] == '\n')
			return atof(p + strlen(prefix));
		p++;
	}
	return -1;
}

/* The series' value in text is `want`. */
static void
expect_sample(const char *text, const char *series, double want)
{
	char line[256];

	snprintf(line, sizeof(line), "%s ", series);
	assert_true(fabs(sample(text, line) - want) < 1e-6);
}

/* What test_counters_and_render counts: three workers' requests, one from a
 * worker that does not exist, and one of each other counter. */
static void
count_some(void)
{
	assert_true(metrics_init(3));
	metrics_request(0, "getPhone", 200, false, 0.0005);
	metrics_request(1, "getPhone", 200, false, 0.003);
	metrics_request(2, "getPhone", 500, false, 20);
	metrics_request(2, "<script>", 500, false, 0.001);
	metrics_request(7, "getPhone", 200, false, 0.001); /* no such worker: ignored */
	metrics_db_error();
	metrics_notify(METRICS_NOTIFY_RETRIED);
	metrics_register(401);
	metrics_register(200);
	metrics_throttled(METRICS_THROTTLE_RATE);
}

static void
test_counters_and_render(void **state)
{
	static const struct {
		const char *series;
		double want;
	} expected[] = {
		{ "axlprov_requests_total{operation=\"getPhone\",outcome=\"ok\"}", 2 },
		{ "axlprov_requests_total{operation=\"getPhone\",outcome=\"fault\"}", 1 },
		{ "axlprov_requests_total{operation=\"other\",outcome=\"fault\"}", 1 },
		{ "axlprov_request_duration_seconds_bucket{operation=\"getPhone\",le=\"0.001\"}",
		  1 },
		{ "axlprov_request_duration_seconds_bucket{operation=\"getPhone\",le=\"0.005\"}",
		  2 },
		{ "axlprov_request_duration_seconds_bucket{operation=\"getPhone\",le=\"10\"}", 2 },
		{ "axlprov_request_duration_seconds_bucket{operation=\"getPhone\",le=\"+Inf\"}",
		  3 },
		{ "axlprov_request_duration_seconds_count{operation=\"getPhone\"}", 3 },
		{ "axlprov_request_duration_seconds_sum{operation=\"getPhone\"}", 20.0035 },
		{ "axlprov_db_errors_total", 1 },
		{ "axlprov_notify_total{outcome=\"retried\"}", 1 },
		{ "axlprov_notify_total{outcome=\"delivered\"}", 0 },
		{ "axlprov_registrations_total{result=\"challenged\"}", 1 },
		{ "axlprov_registrations_total{result=\"ok\"}", 1 },
		{ "axlprov_throttled_total{reason=\"rate\"}", 1 },
		{ "axlprov_outbox_depth{state=\"pending\"}", 7 },
		{ "axlprov_outbox_depth{state=\"sending\"}", 2 },
		{ "axlprov_sip_bindings", 3 },
	};
	struct xbuf out;
	struct metrics_gauges g = {
		.ok = true, .outbox_pending = 7, .outbox_sending = 2, .sip_bindings = 3
	};

	(void) state;
	count_some();
	xbuf_init(&out);
	metrics_render(&out, &g);
	xbuf_puts(&out, "");
	assert_false(out.oom);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		expect_sample(out.data, expected[i].series, expected[i].want);
	assert_null(strstr(out.data, "script"));
	/* Operations not seen have no series. */
	assert_null(strstr(out.data, "operation=\"addPhone\""));
	/* Without the database figures the gauges are left out. */
	xbuf_reset(&out);
	g.ok = false;
	metrics_render(&out, &g);
	xbuf_puts(&out, "");
	assert_null(strstr(out.data, "outbox_depth"));
	xbuf_free(&out);
	metrics_free();
}

static void
test_logfmt(void **state)
{
	char buf[512];
	size_t len;
	char small[24];
	struct reqlog r = {
		.id = "00000000000000ab",
		.user = "",
		.source = "127.0.0.1:4000",
		.op = "GET /metrics",
		.outcome = "ok",
		.status = 200,
		.axlcode = -239,
		.duration_ms = 1.23456,
	};

	(void) state;
	len = reqlog_format(buf, sizeof(buf), &r);
	assert_int_equal(len, strlen(buf));
	assert_string_equal(
		buf, "request id=00000000000000ab user=\"\" source=127.0.0.1:4000 "
		     "op=\"GET /metrics\" outcome=ok status=200 axlcode=-239 duration_ms=1.235");
	/* executeSQLQuery's statement comes last, quoted. */
	r.sql = "select name\nfrom device";
	reqlog_format(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, " duration_ms=1.235 sql=\"select name\\nfrom device\""));
	r.sql = "";
	reqlog_format(buf, sizeof(buf), &r);
	assert_null(strstr(buf, "sql="));
	r.sql = NULL;
	len = 0;
	buf[0] = '\0';
	reqlog_put(buf, sizeof(buf), &len, "op", "a\"b\\c\nd\te=f\x01");
	assert_string_equal(buf, "op=\"a\\\"b\\\\c\\nd\\te=f\\x01\"");
	/* Cut, never overrun, always terminated. */
	len = reqlog_format(small, sizeof(small), &r);
	assert_int_equal(len, sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* Request lines are info: skipped, unformatted, at warn. */
	log_set_level(LOG_WARN);
	assert_false(log_enabled(LOG_INFO));
	assert_true(log_enabled(LOG_ERROR));
	log_set_level(LOG_INFO);
	assert_true(log_enabled(LOG_INFO));
	assert_false(log_enabled(LOG_DEBUG));
}

static void
test_request_ids(void **state)
{
	char a[REQLOG_ID_LEN + 1], b[REQLOG_ID_LEN + 1];

	(void) state;
	reqlog_new_id(a);
	reqlog_new_id(b);
	assert_int_equal(strlen(a), REQLOG_ID_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), REQLOG_ID_LEN);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, b, 8); /* the same process prefix */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_ops),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_backlog),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_counters_and_render),
		cmocka_unit_test(test_logfmt),
		cmocka_unit_test(test_request_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
