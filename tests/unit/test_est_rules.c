/*
 * test_est_rules.c: EST's decisions (est_rules.c) without a server: each
 * authenticationMode accepted and refused with the status it writes, the
 * precedence between LSC and MIC, renewal, the deadline (and that no
 * status is ever written for a phone without a pending operation), the
 * constant-time string check, csrattrs' DER, the rate limit.
 */
#include "testutil.h"

#include <time.h>

#include "est_rules.h"

#define DEV "SEP0011223344AA"
#define NOW ((time_t) 1800000000)

static struct est_phone_view
phone(const char *mode)
{
	return (struct est_phone_view) { DEV, mode, "1234", "Install/Upgrade", "", true, "" };
}

static struct cert_facts
cert(enum cert_kind kind, const char *cn, const char *serial)
{
	struct cert_facts f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	snprintf(f.cn, sizeof(f.cn), "%s", cn);
	snprintf(f.serial, sizeof(f.serial), "%s", serial);
	return f;
}

static const struct cert_facts no_cert = { .kind = CERT_NONE };

static struct est_verdict
decide(enum est_op op, const struct est_phone_view *ph, bool basic, const char *user,
       const char *pw, const struct cert_facts *f)
{
	struct est_creds c = { basic, user, pw, f };
	struct est_verdict v;

	est_decide(op, ph, &c, NOW, &v);
	return v;
}

static void
expect(struct est_verdict v, int http, enum metrics_enroll o, const char *status)
{
	assert_int_equal(v.http, http);
	assert_int_equal(v.outcome, o);
	if (status == NULL)
		assert_null(v.status);
	else
		assert_string_equal(v.status, status);
}

static void
test_null_string(void **state)
{
	struct est_phone_view ph = phone("By Null String");

	(void) state;
	expect(decide(EST_ENROLL, &ph, false, "", "", &no_cert), 0, METRICS_ENROLL_ISSUED, NULL);
	ph.operation = "No Pending Operation";
	expect(decide(EST_ENROLL, &ph, false, "", "", &no_cert), 403, METRICS_ENROLL_REFUSED, NULL);
}

static void
test_authentication_string(void **state)
{
	struct est_phone_view ph = phone("By Authentication String");
	struct est_verdict v;

	(void) state;
	expect(decide(EST_ENROLL, &ph, false, "", "", &no_cert), 401, METRICS_ENROLL_CHALLENGED,
	       NULL);
	expect(decide(EST_ENROLL, &ph, true, "SEP999", "1234", &no_cert), 401,
	       METRICS_ENROLL_DENIED, "Upgrade Failed: Invalid Credentials");
	v = decide(EST_ENROLL, &ph, true, DEV, "12345", &no_cert);
	expect(v, 401, METRICS_ENROLL_DENIED, "Upgrade Failed: Invalid Authentication String");
	assert_true(v.auth_checked);
	assert_false(v.auth_ok);
	assert_null(strstr(v.why, "1234"));
	v = decide(EST_ENROLL, &ph, true, DEV, "1234", &no_cert);
	expect(v, 0, METRICS_ENROLL_ISSUED, NULL);
	assert_true(v.auth_checked && v.auth_ok);
	/* No operation pending: refused all the same, but no status written. */
	ph.operation = "No Pending Operation";
	expect(decide(EST_ENROLL, &ph, true, DEV, "0000", &no_cert), 401, METRICS_ENROLL_DENIED,
	       NULL);
	expect(decide(EST_ENROLL, &ph, true, DEV, "1234", &no_cert), 403, METRICS_ENROLL_REFUSED,
	       NULL);
}

static void
test_string_matches(void **state)
{
	(void) state;
	assert_true(est_string_matches("1234", "1234"));
	assert_false(est_string_matches("1234", "12345"));
	assert_false(est_string_matches("1234", "123"));
	assert_false(est_string_matches("", ""));
}

static void
test_precedence(void **state)
{
	struct est_phone_view lsc = phone("By Existing Certificate (precedence to LSC)");
	struct est_phone_view mic = phone("By Existing Certificate (precedence to MIC)");
	struct cert_facts m = cert(CERT_MIC, "CP-8845-" DEV, "01"), l = cert(CERT_LSC, DEV, "AB");

	(void) state;
	/* No LSC held: the MIC serves either mode. */
	expect(decide(EST_ENROLL, &lsc, false, "", "", &m), 0, METRICS_ENROLL_ISSUED, NULL);
	expect(decide(EST_ENROLL, &mic, false, "", "", &m), 0, METRICS_ENROLL_ISSUED, NULL);
	/* Both held: each mode wants its own kind. */
	lsc.lsc_serial = mic.lsc_serial = "AB";
	expect(decide(EST_ENROLL, &lsc, false, "", "", &m), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid LSC");
	expect(decide(EST_ENROLL, &lsc, false, "", "", &l), 0, METRICS_ENROLL_ISSUED, NULL);
	expect(decide(EST_ENROLL, &mic, false, "", "", &l), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid MIC");
	/* Only an LSC (no MIC model): the MIC mode takes the LSC. */
	mic.ships_mic = false;
	expect(decide(EST_ENROLL, &mic, false, "", "", &l), 0, METRICS_ENROLL_ISSUED, NULL);
	/* A replaced LSC, an expired one, another phone's, none at all. */
	l = cert(CERT_LSC, DEV, "CD");
	expect(decide(EST_ENROLL, &mic, false, "", "", &l), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid LSC");
	l = cert(CERT_LSC, DEV, "AB");
	l.expired = true;
	expect(decide(EST_ENROLL, &mic, false, "", "", &l), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid LSC");
	l = cert(CERT_LSC, "SEP999", "AB");
	expect(decide(EST_ENROLL, &mic, false, "", "", &l), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid LSC");
	expect(decide(EST_ENROLL, &mic, false, "", "", &no_cert), 401, METRICS_ENROLL_CHALLENGED,
	       NULL);
	/* Neither held. */
	mic.lsc_serial = "";
	expect(decide(EST_ENROLL, &mic, false, "", "", &m), 403, METRICS_ENROLL_REFUSED,
	       "Upgrade Failed: Invalid Credentials");
}

static void
test_untrusted_is_refused(void **state)
{
	struct est_phone_view ph = phone("By Existing Certificate (precedence to MIC)");
	struct cert_facts u = cert(CERT_UNTRUSTED, "CP-8845-" DEV, "01");

	(void) state;
	expect(decide(EST_ENROLL, &ph, false, "", "", &u), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid MIC");
}

static void
test_reenroll(void **state)
{
	struct est_phone_view ph = phone("By Authentication String");
	struct cert_facts l = cert(CERT_LSC, DEV, "AB");

	(void) state;
	ph.operation = "No Pending Operation";
	ph.lsc_serial = "AB";
	expect(decide(EST_REENROLL, &ph, false, "", "", &l), 0, METRICS_ENROLL_RENEWED, NULL);
	/* The string is no credential for a renewal. */
	expect(decide(EST_REENROLL, &ph, true, DEV, "1234", &no_cert), 401,
	       METRICS_ENROLL_CHALLENGED, NULL);
	ph.lsc_serial = ""; /* revoked */
	expect(decide(EST_REENROLL, &ph, false, "", "", &l), 401, METRICS_ENROLL_DENIED, NULL);
	ph.operation = "Install/Upgrade";
	expect(decide(EST_REENROLL, &ph, false, "", "", &l), 401, METRICS_ENROLL_DENIED,
	       "Upgrade Failed: Invalid LSC");
}

static void
test_deadline(void **state)
{
	struct est_phone_view ph = phone("By Null String");
	struct est_verdict v;
	time_t when;

	(void) state;
	assert_int_equal(est_deadline("", &when), 0);
	assert_int_equal(est_deadline("2030:12:31:23:59", &when), 1);
	assert_int_equal(est_deadline("2030:13:01:00:00", &when), -1);
	assert_int_equal(est_deadline("2030-12-31", &when), -1);
	assert_int_equal(est_deadline("2030:12:31:23:59x", &when), -1);
	ph.finish_time = "2020:01:01:00:00";
	v = decide(EST_ENROLL, &ph, false, "", "", &no_cert);
	expect(v, 403, METRICS_ENROLL_EXPIRED, "Upgrade Failed");
	assert_true(v.end_operation);
	ph.finish_time = "2099:01:01:00:00";
	expect(decide(EST_ENROLL, &ph, false, "", "", &no_cert), 0, METRICS_ENROLL_ISSUED, NULL);
	ph.finish_time = "soon";
	v = decide(EST_ENROLL, &ph, false, "", "", &no_cert);
	expect(v, 403, METRICS_ENROLL_REFUSED, NULL);
	assert_false(v.end_operation);
	/* A deadline matters only while an operation is pending. */
	ph.finish_time = "2020:01:01:00:00";
	ph.operation = "No Pending Operation";
	v = decide(EST_ENROLL, &ph, false, "", "", &no_cert);
	expect(v, 403, METRICS_ENROLL_REFUSED, NULL);
	assert_false(v.end_operation);
}

static void
test_refuse_request(void **state)
{
	struct est_phone_view ph = phone("By Null String");
	struct est_verdict v;

	(void) state;
	est_refuse_request(&ph, "the key is RSA", &v);
	expect(v, 400, METRICS_ENROLL_REFUSED, "Upgrade Failed");
	assert_string_equal(v.why, "the key is RSA");
	ph.operation = "Delete";
	est_refuse_request(&ph, "x", &v);
	assert_null(v.status);
}

static void
test_cert_device(void **state)
{
	struct cert_facts m = cert(CERT_MIC, "CP-8845-" DEV, "1"), l = cert(CERT_LSC, DEV, "1");
	struct cert_facts u = cert(CERT_UNTRUSTED, DEV, "1");
	char out[64];

	(void) state;
	est_cert_device(&m, out, sizeof(out));
	assert_string_equal(out, DEV);
	est_cert_device(&l, out, sizeof(out));
	assert_string_equal(out, DEV);
	est_cert_device(&u, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_csrattrs(void **state)
{
	/* SEQUENCE { commonName, SEQUENCE { id-ecPublicKey, SET { secp384r1 } },
	 * ecdsa-with-SHA256 } */
	static const unsigned char ec384[] = {
		0x30, 0x23, 0x06, 0x03, 0x55, 0x04, 0x03, 0x30, 0x12, 0x06, 0x07, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x02, 0x01, 0x31, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
		0x22, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
	};
	unsigned char out[256];
	size_t n = est_csrattrs("EC Only", "384", out, sizeof(out));

	(void) state;
	assert_int_equal(n, sizeof(ec384));
	assert_memory_equal(out, ec384, n);
	assert_int_equal(est_csrattrs("EC Only", "384", out, 10), 0);
	n = est_csrattrs(NULL, NULL, out, sizeof(out));
	assert_int_equal(n, 2 + 5 + 11);
}

static void
test_rate(void **state)
{
	static struct est_rate r;

	(void) state;
	est_rate_init(&r, 2);
	assert_true(est_rate_allow(&r, "10.0.0.1", NOW));
	assert_true(est_rate_allow(&r, "10.0.0.1", NOW));
	assert_false(est_rate_allow(&r, "10.0.0.1", NOW));
	assert_true(est_rate_allow(&r, "10.0.0.2", NOW));
	assert_true(est_rate_allow(&r, "10.0.0.1", NOW + 60));
	est_rate_init(&r, 0);
	for (int i = 0; i < 10; i++)
		assert_true(est_rate_allow(&r, "10.0.0.1", NOW));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_authentication_string),
		cmocka_unit_test(test_string_matches),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_untrusted_is_refused),
		cmocka_unit_test(test_reenroll),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_refuse_request),
		cmocka_unit_test(test_cert_device),
		cmocka_unit_test(test_csrattrs),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
