/*
 * test_sip_rules.c: the registrar's and the NOTIFY sender's decisions in
 * sip_rules.c: stateless digest nonces, digest responses (checked against
 * values computed here with OpenSSL and against the RFC 2617 and RFC 7616
 * worked examples), the security profile's and the phone certificate's
 * say on a REGISTER (sip_admit), expiry,
 * the NOTIFY text, the retry policy and digest nc replay tracking.
 */
#include "testutil.h"

#include <limits.h>

#include <openssl/evp.h>

#include "sip_rules.h"

#define SECRET "unit-test-secret"
#define NOW ((time_t) 1700000000)
#define VALIDITY 300L

/* --- helpers ----------------------------------------------------------- */

#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

/* hex(H(in)), lower case, computed independently of sip_rules.c. */
static void
md_hex(const char *algorithm, const char *in, char out[HEX_MAX])
{
	const EVP_MD *md = strcmp(algorithm, "SHA-256") == 0 ? EVP_sha256() : EVP_md5();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(in, strlen(in), dig, &len, md, NULL), 1);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	out[2 * len] = '\0';
}

/* HA1 = H(user ":" realm ":" password) */
static void
ha1_of(const char *algorithm, const char *user, const char *realm, const char *password,
       char out[HEX_MAX])
{
	char in[256];

	snprintf(in, sizeof(in), "%s:%s:%s", user, realm, password);
	md_hex(algorithm, in, out);
}

/* The response a client computes: with qop (non-NULL) H(HA1:nonce:nc:cnonce:qop:HA2),
 * without H(HA1:nonce:HA2), HA2 = H(method:uri). */
static void
response_of(const char *algorithm, const char *ha1, const char *method, const char *uri,
	    const char *nonce, const char *nc, const char *cnonce, const char *qop,
	    char out[HEX_MAX])
{
	char ha2[HEX_MAX], in[512];

	snprintf(in, sizeof(in), "%s:%s", method, uri);
	md_hex(algorithm, in, ha2);
	if (qop != NULL)
		snprintf(in, sizeof(in), "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
	else
		snprintf(in, sizeof(in), "%s:%s:%s", ha1, nonce, ha2);
	md_hex(algorithm, in, out);
}

/* The fixture every digest test varies: alice REGISTERing, qop=auth. */
#define D_USER "alice"
#define D_PASSWORD "s3cret!"
#define D_METHOD "REGISTER"
#define D_URI "sip:10.0.0.1;transport=udp"
#define D_NONCE "0000000065536a00a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define D_NC "00000001"
#define D_CNONCE "a7f3c1d2"

struct digest_case {
	char ha1_md5[HEX_MAX];
	char ha1_sha256[HEX_MAX];
	char response[HEX_MAX];
	struct sip_digest d;
};

/* A correct MD5 qop=auth Authorization for the fixture. */
static void
digest_case_init(struct digest_case *c)
{
	memset(c, 0, sizeof(*c));
	ha1_of("MD5", D_USER, SIP_REALM, D_PASSWORD, c->ha1_md5);
	ha1_of("SHA-256", D_USER, SIP_REALM, D_PASSWORD, c->ha1_sha256);
	response_of("MD5", c->ha1_md5, D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth",
		    c->response);
	c->d = (struct sip_digest) {
		.algorithm = "MD5",
		.nonce = D_NONCE,
		.uri = D_URI,
		.qop = "auth",
		.nc = D_NC,
		.cnonce = D_CNONCE,
		.response = c->response,
	};
}

/* --- nonces ------------------------------------------------------------ */

static void
test_nonce_fresh(void **state)
{
	char nonce[SIP_NONCE_LEN + 1], want_time[32];

	(void) state;
	memset(nonce, 'X', sizeof(nonce));
	sip_nonce_make(SECRET, NOW, nonce);
	assert_int_equal(strlen(nonce), SIP_NONCE_LEN);
	/* hex(issue time, 16) then lower-case hex. */
	snprintf(want_time, sizeof(want_time), "%016llx", (unsigned long long) NOW);
	assert_memory_equal(nonce, want_time, 16);
	for (size_t i = 0; i < SIP_NONCE_LEN; i++)
		if (strchr("0123456789abcdef", nonce[i]) == NULL)
			fail_msg("nonce char %zu is '%c': %s", i, nonce[i], nonce);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW, VALIDITY), NONCE_OK);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + 1, VALIDITY), NONCE_OK);
}

/* The MAC part is HMAC-SHA256(secret, time ":" realm), first 32 hex digits. */
static void
test_nonce_mac_format(void **state)
{
	char nonce[SIP_NONCE_LEN + 1], data[64], hex[HEX_MAX];
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t len = 0;

	(void) state;
	sip_nonce_make(SECRET, NOW, nonce);
	snprintf(data, sizeof(data), "%.16s:%s", nonce, SIP_REALM);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, SECRET, strlen(SECRET),
				  (const unsigned char *) data, strlen(data), mac, sizeof(mac),
				  &len));
	assert_int_equal(len, 32);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	assert_memory_equal(nonce + 16, hex, SIP_NONCE_LEN - 16);
}

static void
test_nonce_validity_boundary(void **state)
{
	char nonce[SIP_NONCE_LEN + 1];

	(void) state;
	sip_nonce_make(SECRET, NOW, nonce);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + VALIDITY - 1, VALIDITY), NONCE_OK);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + VALIDITY, VALIDITY), NONCE_OK);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + VALIDITY + 1, VALIDITY), NONCE_STALE);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + 86400, VALIDITY), NONCE_STALE);
	/* validity 0: good only in the second it was issued. */
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW, 0), NONCE_OK);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW + 1, 0), NONCE_STALE);
}

static void
test_nonce_from_future(void **state)
{
	char nonce[SIP_NONCE_LEN + 1];

	(void) state;
	sip_nonce_make(SECRET, NOW + 1, nonce);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW, VALIDITY), NONCE_STALE);
	sip_nonce_make(SECRET, NOW + 3600, nonce);
	assert_int_equal(sip_nonce_check(SECRET, nonce, NOW, VALIDITY), NONCE_STALE);
}

static void
test_nonce_other_secret(void **state)
{
	char nonce[SIP_NONCE_LEN + 1], other[SIP_NONCE_LEN + 1];

	(void) state;
	sip_nonce_make("another-secret", NOW, other);
	sip_nonce_make(SECRET, NOW, nonce);
	assert_string_not_equal(nonce, other);
	assert_memory_equal(nonce, other, 16); /* same time part, different MAC */
	assert_int_equal(sip_nonce_check(SECRET, other, NOW, VALIDITY), NONCE_BAD);
	assert_int_equal(sip_nonce_check("another-secret", nonce, NOW, VALIDITY), NONCE_BAD);
	assert_int_equal(sip_nonce_check("another-secret", other, NOW, VALIDITY), NONCE_OK);
	/* Not ours wins over old: a forged nonce is never merely stale. */
	assert_int_equal(sip_nonce_check(SECRET, other, NOW + 86400, VALIDITY), NONCE_BAD);
}

/* Any single hex digit changed, in the time part or the MAC part: BAD. */
static void
test_nonce_tampered(void **state)
{
	char nonce[SIP_NONCE_LEN + 1], t[SIP_NONCE_LEN + 1];

	(void) state;
	sip_nonce_make(SECRET, NOW, nonce);
	for (size_t i = 0; i < SIP_NONCE_LEN; i++) {
		memcpy(t, nonce, sizeof(t));
		t[i] = t[i] == '0' ? '1' : '0';
		if (sip_nonce_check(SECRET, t, NOW, VALIDITY) != NONCE_BAD)
			fail_msg("nonce with char %zu changed not BAD: %s", i, t);
		/* An older time part must not pass as merely stale either. */
		if (sip_nonce_check(SECRET, t, NOW + 86400, VALIDITY) != NONCE_BAD)
			fail_msg("old nonce with char %zu changed not BAD: %s", i, t);
	}
	/* The MAC digits are lower case: upper-casing one is a change. */
	for (size_t i = 16; i < SIP_NONCE_LEN; i++) {
		if (nonce[i] < 'a' || nonce[i] > 'f')
			continue;
		memcpy(t, nonce, sizeof(t));
		t[i] = (char) (t[i] - 'a' + 'A');
		assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
		break;
	}
}

static void
test_nonce_malformed(void **state)
{
	char nonce[SIP_NONCE_LEN + 1], t[SIP_NONCE_LEN + 2];

	(void) state;
	sip_nonce_make(SECRET, NOW, nonce);
	assert_int_equal(sip_nonce_check(SECRET, NULL, NOW, VALIDITY), NONCE_BAD);
	assert_int_equal(sip_nonce_check(SECRET, "", NOW, VALIDITY), NONCE_BAD);
	/* One short, one long. */
	memcpy(t, nonce, SIP_NONCE_LEN - 1);
	t[SIP_NONCE_LEN - 1] = '\0';
	assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
	memcpy(t, nonce, SIP_NONCE_LEN);
	t[SIP_NONCE_LEN] = '0';
	t[SIP_NONCE_LEN + 1] = '\0';
	assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
	/* Non-hex in the time part and in the MAC part. */
	memcpy(t, nonce, sizeof(nonce));
	t[5] = 'g';
	assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
	memcpy(t, nonce, sizeof(nonce));
	t[0] = ' ';
	assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
	memcpy(t, nonce, sizeof(nonce));
	t[30] = 'z';
	assert_int_equal(sip_nonce_check(SECRET, t, NOW, VALIDITY), NONCE_BAD);
	assert_int_equal(sip_nonce_check(SECRET, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
					 NOW, VALIDITY),
			 NONCE_BAD);
}

/* --- digest responses -------------------------------------------------- */

static void
test_digest_md5_qop_auth(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	assert_int_equal(strlen(c.response), 32);
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	/* The SHA-256 HA1 plays no part in an MD5 check. */
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	/* Without HA1 for the algorithm there is nothing to check against. */
	assert_false(sip_digest_ok(&c.d, D_METHOD, "", c.ha1_sha256));
	assert_false(sip_digest_ok(&c.d, D_METHOD, NULL, c.ha1_sha256));
}

static void
test_digest_md5_no_qop(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	response_of("MD5", c.ha1_md5, D_METHOD, D_URI, D_NONCE, NULL, NULL, NULL, c.response);
	c.d.qop = NULL;
	c.d.nc = NULL;
	c.d.cnonce = NULL;
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	/* nc and cnonce are ignored without qop. */
	c.d.nc = D_NC;
	c.d.cnonce = D_CNONCE;
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	/* The qop=auth response is not the no-qop one. */
	digest_case_init(&c);
	c.d.qop = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
}

static void
test_digest_algorithm_names(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	c.d.algorithm = NULL; /* absent means MD5 */
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	c.d.algorithm = "md5";
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	c.d.algorithm = "Md5";
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	c.d.algorithm = "SHA-512-256";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	c.d.algorithm = "MD5-sess";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	c.d.algorithm = "";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
}

static void
test_digest_sha256(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	response_of("SHA-256", c.ha1_sha256, D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth",
		    c.response);
	assert_int_equal(strlen(c.response), 64);
	c.d.algorithm = "SHA-256";
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	c.d.algorithm = "sha-256";
	assert_true(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	/* SHA-256 HA1 unknown: refused even though the MD5 one is there. */
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, NULL));
	/* A SHA-256 response under algorithm MD5 does not pass. */
	c.d.algorithm = "MD5";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	/* Nor an MD5 response under SHA-256. */
	digest_case_init(&c);
	c.d.algorithm = "SHA-256";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));

	/* Without qop too. */
	digest_case_init(&c);
	response_of("SHA-256", c.ha1_sha256, D_METHOD, D_URI, D_NONCE, NULL, NULL, NULL,
		    c.response);
	c.d.algorithm = "SHA-256";
	c.d.qop = NULL;
	assert_true(sip_digest_ok(&c.d, D_METHOD, "", c.ha1_sha256));
}

/* An unknown HA1 ("") is not an HA1: a response computed with HA1 = ""
 * (which anyone can compute) must not log in. */
static void
test_digest_empty_ha1_forgery(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	response_of("MD5", "", D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth", c.response);
	assert_false(sip_digest_ok(&c.d, D_METHOD, "", ""));
	response_of("SHA-256", "", D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth", c.response);
	c.d.algorithm = "SHA-256";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	response_of("SHA-256", "", D_METHOD, D_URI, D_NONCE, NULL, NULL, NULL, c.response);
	c.d.qop = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
}

static void
test_digest_wrong_inputs(void **state)
{
	struct digest_case c;
	char other_ha1[HEX_MAX], resp[HEX_MAX];

	(void) state;
	/* Wrong password: the stored HA1 differs. */
	digest_case_init(&c);
	ha1_of("MD5", D_USER, SIP_REALM, "wrong", other_ha1);
	assert_false(sip_digest_ok(&c.d, D_METHOD, other_ha1, ""));
	/* Response computed with a wrong password. */
	response_of("MD5", other_ha1, D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth", c.response);
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));

	/* Computed for INVITE, checked as REGISTER (and the other way). */
	digest_case_init(&c);
	assert_false(sip_digest_ok(&c.d, "INVITE", c.ha1_md5, ""));
	response_of("MD5", c.ha1_md5, "INVITE", D_URI, D_NONCE, D_NC, D_CNONCE, "auth", c.response);
	assert_false(sip_digest_ok(&c.d, "REGISTER", c.ha1_md5, ""));
	assert_true(sip_digest_ok(&c.d, "INVITE", c.ha1_md5, ""));

	/* Every other field takes part in the hash. */
	digest_case_init(&c);
	c.d.uri = "sip:10.0.0.2;transport=udp";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	digest_case_init(&c);
	c.d.nonce = "0000000065536a00a1b2c3d4e5f60718293a4b5c6d7e8f91";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	digest_case_init(&c);
	c.d.nc = "00000002";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	digest_case_init(&c);
	c.d.cnonce = "a7f3c1d3";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));

	/* One hex digit of the response changed. */
	digest_case_init(&c);
	c.response[31] = c.response[31] == '0' ? '1' : '0';
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));

	/* Response of a different length: a prefix, an extra digit, empty. */
	digest_case_init(&c);
	memcpy(resp, c.response, sizeof(resp));
	resp[31] = '\0';
	c.d.response = resp;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	memcpy(resp, c.response, 32);
	resp[32] = '0';
	resp[33] = '\0';
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	c.d.response = "";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
}

static void
test_digest_qop(void **state)
{
	struct digest_case c;

	(void) state;
	/* auth-int, even with a response computed as if it were auth. */
	digest_case_init(&c);
	response_of("MD5", c.ha1_md5, D_METHOD, D_URI, D_NONCE, D_NC, D_CNONCE, "auth-int",
		    c.response);
	c.d.qop = "auth-int";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	c.d.qop = "bogus";
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));

	/* qop=auth needs nc and cnonce. */
	digest_case_init(&c);
	c.d.nc = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	digest_case_init(&c);
	c.d.cnonce = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
	digest_case_init(&c);
	c.d.nc = NULL;
	c.d.cnonce = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, ""));
}

static void
test_digest_null_parts(void **state)
{
	struct digest_case c;

	(void) state;
	digest_case_init(&c);
	c.d.nonce = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	digest_case_init(&c);
	c.d.uri = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
	digest_case_init(&c);
	c.d.response = NULL;
	assert_false(sip_digest_ok(&c.d, D_METHOD, c.ha1_md5, c.ha1_sha256));
}

/* RFC 2617 §3.5. */
static void
test_digest_rfc2617_example(void **state)
{
	char ha1[HEX_MAX];
	struct sip_digest d = {
		.algorithm = NULL,
		.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		.uri = "/dir/index.html",
		.qop = "auth",
		.nc = "00000001",
		.cnonce = "0a4f113b",
		.response = "6629fae49393a05397450978507c4ef1",
	};

	(void) state;
	ha1_of("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	assert_true(sip_digest_ok(&d, "GET", ha1, ""));
	d.algorithm = "MD5";
	assert_true(sip_digest_ok(&d, "GET", ha1, ""));
	assert_false(sip_digest_ok(&d, "POST", ha1, ""));
	d.response = "6629fae49393a05397450978507c4ef2";
	assert_false(sip_digest_ok(&d, "GET", ha1, ""));
}

/* RFC 7616 §3.9.1, both algorithms. */
static void
test_digest_rfc7616_example(void **state)
{
	char ha1_md5[HEX_MAX], ha1_sha256[HEX_MAX];
	struct sip_digest d = {
		.algorithm = "MD5",
		.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		.uri = "/dir/index.html",
		.qop = "auth",
		.nc = "00000001",
		.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		.response = "8ca523f5e9506fed4657c9700eebdbec",
	};

	(void) state;
	ha1_of("MD5", "Mufasa", "http-auth@example.org", "Circle of Life", ha1_md5);
	ha1_of("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life", ha1_sha256);
	assert_true(sip_digest_ok(&d, "GET", ha1_md5, ha1_sha256));
	d.algorithm = "SHA-256";
	d.response = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
	assert_true(sip_digest_ok(&d, "GET", ha1_md5, ha1_sha256));
	assert_false(sip_digest_ok(&d, "GET", ha1_md5, ""));
}

/* --- security profile and certificate ------------------------------------ */

#define DEVICE "SEP001122334455"
#define FPR "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"

/* A phone whose LSC on record is FPR, presenting that LSC over TLS to an
 * Encrypted profile: accepted.  Each test changes one thing. */
static struct cert_facts
good_lsc(void)
{
	struct cert_facts c = { .kind = CERT_LSC, .not_after = 1900000000 };

	snprintf(c.cn, sizeof(c.cn), DEVICE);
	snprintf(c.serial, sizeof(c.serial), "0A1B");
	snprintf(c.fingerprint, sizeof(c.fingerprint), FPR);
	return c;
}

static struct sip_admission
secure(const struct cert_facts *c)
{
	return (struct sip_admission) {
		.sip = true,
		.security_mode = "Encrypted",
		.transport_type = "TLS",
		.transport = "tls",
		.cert = c,
		.device = DEVICE,
		.model_ships_mic = true,
		.lsc_fingerprint = FPR,
		.accept_mic = false,
	};
}

/* Accepted with the certificate kind `want`, phrase cleared. */
#define assert_admit(a, want) \
	do { \
		const char *phrase_ = "not touched"; \
		enum cert_kind kind_ = CERT_UNTRUSTED; \
		assert_int_equal(sip_admit((a), &kind_, &phrase_), 0); \
		assert_null(phrase_); \
		assert_int_equal(kind_, (want)); \
	} while (0)

/* Refused with 403 and exactly `phrase`. */
#define assert_refused(a, phrase) \
	do { \
		const char *phrase_ = NULL; \
		enum cert_kind kind_ = CERT_LSC; \
		assert_int_equal(sip_admit((a), &kind_, &phrase_), 403); \
		assert_non_null(phrase_); \
		assert_string_equal(phrase_, (phrase)); \
		assert_int_equal(kind_, CERT_NONE); \
	} while (0)

/* Refused with 403 and a phrase containing `mentions`. */
#define assert_admit_403(a, mentions) \
	do { \
		const char *phrase_ = NULL; \
		enum cert_kind kind_; \
		assert_int_equal(sip_admit((a), &kind_, &phrase_), 403); \
		assert_non_null(phrase_); \
		if (strstr(phrase_, (mentions)) == NULL) \
			fail_msg("phrase \"%s\" does not mention %s", phrase_, (mentions)); \
	} while (0)

static void
test_policy_sccp(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(&c);

	(void) state;
	a.sip = false;
	assert_admit_403(&a, "SCCP");
	a.security_mode = "Non Secure";
	a.transport_type = "TCP+UDP";
	a.cert = NULL;
	a.transport = "udp";
	assert_admit_403(&a, "SCCP");
	a.transport = "tcp";
	assert_admit_403(&a, "SCCP");
}

static void
test_policy_secure_needs_tls(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(NULL);

	(void) state;
	a.transport = "udp";
	assert_refused(
		&a,
		"Forbidden: Encrypted security profile requires SIP over TLS with a phone certificate");
	a.transport = "tcp";
	assert_refused(
		&a,
		"Forbidden: Encrypted security profile requires SIP over TLS with a phone certificate");
	a.security_mode = "Authenticated";
	assert_refused(
		&a,
		"Forbidden: Authenticated security profile requires SIP over TLS with a phone certificate");
	/* Even when the transport type names the transport, and even with a
	 * good certificate (a relay cannot carry one over plain TCP, but the
	 * rule does not depend on it). */
	a.transport_type = "TCP";
	a.cert = &c;
	assert_admit_403(&a, "requires SIP over TLS");
}

static void
test_policy_no_certificate(void **state)
{
	struct cert_facts none = { .kind = CERT_NONE };
	struct sip_admission a = secure(NULL);

	(void) state;
	assert_refused(&a, "Forbidden: Encrypted profile requires a phone certificate (LSC)");
	a.cert = &none;
	assert_refused(&a, "Forbidden: Encrypted profile requires a phone certificate (LSC)");
	a.security_mode = "Authenticated";
	assert_refused(&a, "Forbidden: Authenticated profile requires a phone certificate (LSC)");
}

static void
test_policy_lsc(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(&c);

	(void) state;
	assert_admit(&a, CERT_LSC);
	a.security_mode = "Authenticated";
	assert_admit(&a, CERT_LSC);
	/* Replaced or revoked: another fingerprint, or none, on record. */
	a.lsc_fingerprint = "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22";
	assert_refused(&a, "Forbidden: LSC is not the one on record (replaced or revoked)");
	a.lsc_fingerprint = "";
	assert_refused(&a, "Forbidden: LSC is not the one on record (replaced or revoked)");
	a.lsc_fingerprint = NULL;
	assert_refused(&a, "Forbidden: LSC is not the one on record (replaced or revoked)");
	/* sip_accept_mic and the model's MIC do not matter to an LSC. */
	a = secure(&c);
	a.model_ships_mic = false;
	a.accept_mic = true;
	assert_admit(&a, CERT_LSC);
}

static void
test_policy_certificate_faults(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(&c);

	(void) state;
	c.kind = CERT_UNTRUSTED;
	assert_refused(&a, "Forbidden: certificate not trusted");
	c = good_lsc();
	c.expired = true;
	assert_refused(&a, "Forbidden: certificate expired");
	c = good_lsc();
	c.not_yet_valid = true;
	assert_refused(&a, "Forbidden: certificate not yet valid");
	c = good_lsc();
	snprintf(c.cn, sizeof(c.cn), "SEP001122334466");
	assert_refused(&a, "Forbidden: certificate names another device");
	/* An LSC's CN is the name itself; the MIC form is not an LSC's. */
	snprintf(c.cn, sizeof(c.cn), "CP-8845-" DEVICE);
	assert_refused(&a, "Forbidden: certificate names another device");
	/* Untrusted wins over everything the certificate says. */
	c.kind = CERT_UNTRUSTED;
	c.expired = true;
	assert_refused(&a, "Forbidden: certificate not trusted");
}

static void
test_policy_mic(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(&c);

	(void) state;
	c.kind = CERT_MIC;
	snprintf(c.cn, sizeof(c.cn), "CP-8845-" DEVICE);
	assert_refused(&a, "Forbidden: MIC not accepted for registration (sip_accept_mic is off)");
	a.accept_mic = true;
	assert_admit(&a, CERT_MIC);
	snprintf(c.cn, sizeof(c.cn), DEVICE);
	assert_admit(&a, CERT_MIC);
	a.model_ships_mic = false;
	assert_refused(&a, "Forbidden: model ships no MIC");
	a.model_ships_mic = true;
	snprintf(c.cn, sizeof(c.cn), "CP-8845-SEP001122334466");
	assert_refused(&a, "Forbidden: certificate names another device");
	snprintf(c.cn, sizeof(c.cn), "CP-8845" DEVICE); /* no dash */
	assert_refused(&a, "Forbidden: certificate names another device");
	snprintf(c.cn, sizeof(c.cn), "CP-8845-" DEVICE);
	c.expired = true;
	assert_refused(&a, "Forbidden: certificate expired");
}

static void
test_policy_non_secure(void **state)
{
	struct cert_facts c = good_lsc();
	struct sip_admission a = secure(NULL);

	(void) state;
	a.security_mode = "Non Secure";
	a.transport_type = "TCP+UDP";
	a.transport = "udp";
	assert_admit(&a, CERT_NONE);
	a.transport = "tcp";
	assert_admit(&a, CERT_NONE);
	/* Never over TLS, whatever the certificate. */
	a.transport = "tls";
	a.cert = &c;
	assert_refused(&a, "Forbidden: Non Secure profile allows TCP and UDP only");
	a.transport_type = "UDP";
	assert_refused(&a, "Forbidden: Non Secure profile allows UDP only");
	a.transport_type = "TCP";
	assert_refused(&a, "Forbidden: Non Secure profile allows TCP only");
	a.transport_type = "TLS";
	assert_admit_403(&a, "Non Secure profile allows no TLS");
}

static void
test_policy_transport_type(void **state)
{
	struct sip_admission a = secure(NULL);

	(void) state;
	a.security_mode = "Non Secure";
	a.transport_type = "TCP";
	a.transport = "udp";
	assert_refused(&a, "Forbidden: UDP is not allowed by the phone's security profile");
	a.transport = "tcp";
	assert_admit(&a, CERT_NONE);
	a.transport_type = "UDP";
	assert_refused(&a, "Forbidden: TCP is not allowed by the phone's security profile");
	a.transport = "udp";
	assert_admit(&a, CERT_NONE);
	/* A TLS-only Non Secure profile refuses plain udp and tcp. */
	a.transport_type = "TLS";
	assert_admit_403(&a, "UDP");
	a.transport = "tcp";
	assert_admit_403(&a, "TCP");
	a.transport_type = "bogus";
	assert_admit_403(&a, "unknown transport type");
}

static void
test_binding_notifiable(void **state)
{
	(void) state;
	assert_true(sip_binding_notifiable("Non Secure", "udp"));
	assert_true(sip_binding_notifiable("Non Secure", "tcp"));
	assert_false(sip_binding_notifiable("Non Secure", "tls"));
	assert_true(sip_binding_notifiable("Encrypted", "tls"));
	assert_true(sip_binding_notifiable("Authenticated", "tls"));
	assert_false(sip_binding_notifiable("Encrypted", "udp"));
	assert_false(sip_binding_notifiable("Authenticated", "tcp"));
}

/* --- expiry ------------------------------------------------------------ */

static void
test_expiry(void **state)
{
	(void) state;
	assert_int_equal(sip_expiry(-1, -1), SIP_DEFAULT_EXPIRES);
	/* The Contact parameter wins over the header, either way round. */
	assert_int_equal(sip_expiry(600, 1200), 600);
	assert_int_equal(sip_expiry(1200, 600), 1200);
	assert_int_equal(sip_expiry(0, 1200), 0);
	assert_int_equal(sip_expiry(1200, 0), 1200);
	assert_int_equal(sip_expiry(30, 1200), -1);
	assert_int_equal(sip_expiry(1200, 30), 1200);
	/* The header when there is no parameter. */
	assert_int_equal(sip_expiry(-1, 900), 900);
	assert_int_equal(sip_expiry(-1, 0), 0);
	assert_int_equal(sip_expiry(-1, 30), -1);
	/* Removal. */
	assert_int_equal(sip_expiry(0, -1), 0);
	/* Too short: 423. */
	assert_int_equal(sip_expiry(30, -1), -1);
	assert_int_equal(sip_expiry(1, -1), -1);
	assert_int_equal(sip_expiry(SIP_MIN_EXPIRES - 1, -1), -1);
	assert_int_equal(sip_expiry(SIP_MIN_EXPIRES, -1), SIP_MIN_EXPIRES);
	assert_int_equal(sip_expiry(-1, SIP_MIN_EXPIRES), SIP_MIN_EXPIRES);
	/* Too long: clamped. */
	assert_int_equal(sip_expiry(SIP_MAX_EXPIRES, -1), SIP_MAX_EXPIRES);
	assert_int_equal(sip_expiry(SIP_MAX_EXPIRES + 1, -1), SIP_MAX_EXPIRES);
	assert_int_equal(sip_expiry(86400, -1), SIP_MAX_EXPIRES);
	assert_int_equal(sip_expiry(-1, 86400), SIP_MAX_EXPIRES);
	assert_int_equal(sip_expiry(LONG_MAX, -1), SIP_MAX_EXPIRES);
}

/* --- NOTIFY text ------------------------------------------------------- */

static void
test_notify_service_control_apply(void **state)
{
	struct sip_notify_text t;

	(void) state;
	memset(&t, 'X', sizeof(t));
	assert_true(sip_notify_text("service-control", "apply-config", "abc-123@10.0.0.5",
				    0x1234ABCD5678EF90LL, &t));
	assert_string_equal(t.event, "service-control");
	assert_string_equal(t.subscription_state, "active");
	assert_string_equal(t.body, "action=apply-config\r\n"
				    "RegisterCallId={abc-123@10.0.0.5}\r\n"
				    "ConfigVersionStamp={1234ABCD5678EF90}\r\n"
				    "DialplanVersionStamp={}\r\n"
				    "SoftkeyVersionStamp={}\r\n"
				    "FeatureControlVersionStamp={}\r\n"
				    "CUCMResult=config_applied\r\n");
	/* Zero-padded to 16 upper-case hex digits. */
	assert_true(sip_notify_text("service-control", "apply-config", "c", 42, &t));
	assert_non_null(strstr(t.body, "\r\nConfigVersionStamp={000000000000002A}\r\n"));
}

static void
test_notify_service_control_reset_restart(void **state)
{
	static const char *const actions[] = { "reset", "restart" };
	struct sip_notify_text t;
	char want[512];

	(void) state;
	for (size_t i = 0; i < NELEM(actions); i++) {
		memset(&t, 'X', sizeof(t));
		assert_true(sip_notify_text("service-control", actions[i], "call-1", 7, &t));
		assert_string_equal(t.event, "service-control");
		assert_string_equal(t.subscription_state, "active");
		snprintf(want, sizeof(want),
			 "action=%s\r\n"
			 "RegisterCallId={call-1}\r\n"
			 "ConfigVersionStamp={0000000000000007}\r\n"
			 "DialplanVersionStamp={}\r\n"
			 "SoftkeyVersionStamp={}\r\n"
			 "FeatureControlVersionStamp={}\r\n",
			 actions[i]);
		assert_string_equal(t.body, want);
		assert_null(strstr(t.body, "CUCMResult"));
	}
}

static void
test_notify_check_sync(void **state)
{
	static const struct {
		const char *action, *event;
	} cases[] = {
		{ "apply-config", "check-sync;reboot=false" },
		{ "reset", "check-sync;reboot=true" },
		{ "restart", "check-sync;reboot=true" },
	};
	struct sip_notify_text t;
	char long_id[1001];

	(void) state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	for (size_t i = 0; i < NELEM(cases); i++) {
		memset(&t, 'X', sizeof(t));
		assert_true(sip_notify_text("check-sync", cases[i].action, "call-1", 7, &t));
		assert_string_equal(t.event, cases[i].event);
		assert_string_equal(t.subscription_state, "terminated;reason=noresource");
		assert_string_equal(t.body, "");
		/* No body, so no Call-ID is too long. */
		assert_true(sip_notify_text("check-sync", cases[i].action, long_id, 7, &t));
		assert_string_equal(t.body, "");
	}
}

/* The body is char[768]: it fits up to 767 characters and not one more. */
static void
test_notify_body_too_long(void **state)
{
	struct sip_notify_text t;
	char long_id[1001];
	size_t fixed;

	(void) state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_false(sip_notify_text("service-control", "apply-config", long_id, 1, &t));
	assert_false(sip_notify_text("service-control", "reset", long_id, 1, &t));

	assert_true(sip_notify_text("service-control", "apply-config", "", 1, &t));
	fixed = strlen(t.body);
	assert_true(fixed < sizeof(t.body) - 1);
	long_id[sizeof(t.body) - 1 - fixed] = '\0';
	assert_true(sip_notify_text("service-control", "apply-config", long_id, 1, &t));
	assert_int_equal(strlen(t.body), sizeof(t.body) - 1);
	assert_memory_equal(t.body + strlen(t.body) - strlen("CUCMResult=config_applied\r\n"),
			    "CUCMResult=config_applied\r\n",
			    strlen("CUCMResult=config_applied\r\n"));
	long_id[sizeof(t.body) - 1 - fixed] = 'a';
	long_id[sizeof(t.body) - fixed] = '\0';
	assert_false(sip_notify_text("service-control", "apply-config", long_id, 1, &t));
}

/* --- retry policy ------------------------------------------------------ */

static void
test_status_retryable(void **state)
{
	static const int retry[] = { 408, 480, 500, 502, 503, 504, 599, 0, -1 };
	static const int final[] = { 200, 202, 400, 401, 403, 404, 481, 489, 600, 603, 604, 606 };

	(void) state;
	for (size_t i = 0; i < NELEM(retry); i++)
		if (!sip_status_retryable(retry[i]))
			fail_msg("status %d should be retried", retry[i]);
	for (size_t i = 0; i < NELEM(final); i++)
		if (sip_status_retryable(final[i]))
			fail_msg("status %d should be final", final[i]);
}

static void
test_backoff(void **state)
{
	(void) state;
	assert_int_equal(sip_backoff(5, 1), 5);
	assert_int_equal(sip_backoff(5, 2), 10);
	assert_int_equal(sip_backoff(5, 3), 20);
	assert_int_equal(sip_backoff(5, 6), 160);
	assert_int_equal(sip_backoff(5, 7), 300); /* 320 capped */
	assert_int_equal(sip_backoff(5, 10), 300);
	assert_int_equal(sip_backoff(5, INT_MAX), 300);
	assert_int_equal(sip_backoff(30, 1), 30);
	assert_int_equal(sip_backoff(30, 2), 60);
	assert_int_equal(sip_backoff(30, 3), 120);
	assert_int_equal(sip_backoff(30, 4), 240);
	assert_int_equal(sip_backoff(30, 5), 300);
	assert_int_equal(sip_backoff(300, 1), 300);
	assert_int_equal(sip_backoff(300, 2), 300);
	assert_int_equal(sip_backoff(400, 1), 300);
	assert_int_equal(sip_backoff(400, 5), 300);
}

static void
test_bucket(void **state)
{
	struct sip_bucket b = { 0 };
	int taken = 0;

	(void) state;
	/* starts full: burst at once, then nothing in the same instant */
	for (int i = 0; i < 10; i++)
		taken += sip_bucket_take(&b, 100.0, 4.0, 3.0);
	assert_int_equal(taken, 3);
	/* refills at rate: 0.5 s at 4/s is two more, not three */
	assert_true(sip_bucket_take(&b, 100.5, 4.0, 3.0));
	assert_true(sip_bucket_take(&b, 100.5, 4.0, 3.0));
	assert_false(sip_bucket_take(&b, 100.5, 4.0, 3.0));
	/* a long quiet spell refills to burst only */
	taken = 0;
	for (int i = 0; i < 10; i++)
		taken += sip_bucket_take(&b, 200.0, 4.0, 3.0);
	assert_int_equal(taken, 3);
	/* a clock that goes back starts over, full, rather than never refilling */
	assert_true(sip_bucket_take(&b, 50.0, 4.0, 3.0));
	/* over a long run the rate holds: 10 s at 100/s, asked 1,000 times a second */
	taken = 0;
	for (int i = 1; i <= 10000; i++)
		taken += sip_bucket_take(&b, 1000.0 + i / 1000.0, 100.0, 10.0);
	assert_in_range(taken, 1000, 1010);
}

/* --- nc replay tracking ------------------------------------------------ */

static struct sip_nc_table *
nc_table(void)
{
	struct sip_nc_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

static void
test_nc_rising_repeat_backwards(void **state)
{
	struct sip_nc_table *t = nc_table();

	(void) state;
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "00000001", NOW));
	assert_false(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "00000001", NOW)); /* repeat */
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "00000002", NOW));
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "0000000A", NOW));  /* any case */
	assert_false(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "00000009", NOW)); /* backwards */
	assert_false(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "0000000a", NOW));
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "0000000b", NOW));
	free(t);
}

/* Every phone challenged in the same second shares the nonce: each keeps
 * its own count. */
static void
test_nc_shared_nonce_other_phone_or_cnonce(void **state)
{
	struct sip_nc_table *t = nc_table();

	(void) state;
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "00000001", NOW));
	assert_true(sip_nc_fresh(t, "n1", "c1", "u2", "SEP2", "00000001", NOW));
	assert_true(sip_nc_fresh(t, "n1", "c2", "u1", "SEP1", "00000001", NOW));
	assert_true(sip_nc_fresh(t, "n2", "c1", "u1", "SEP1", "00000001", NOW));
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP3", "00000001", NOW));
	/* parts are not simply concatenated */
	assert_true(sip_nc_fresh(t, "n1c", "1", "u1", "SEP1", "00000001", NOW));
	assert_false(sip_nc_fresh(t, "n1", "c1", "u2", "SEP2", "00000001", NOW));
	free(t);
}

static void
test_nc_malformed(void **state)
{
	struct sip_nc_table *t = nc_table();
	const char *bad[] = { NULL,        "",         "1",        "0000001",
			      "000000001", "0000000g", "-0000001", "00000000" };

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", bad[i], NOW));
	assert_true(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "ffffffff", NOW));
	assert_false(sip_nc_fresh(t, "n1", "c1", "u1", "SEP1", "FFFFFFFF", NOW));
	free(t);
}

/* Four times as many keys as slots: the memory stays the table's, and the
 * most recent keys are all still tracked (older ones were evicted). */
static void
test_nc_bounded_and_recent_kept(void **state)
{
	struct sip_nc_table *t = nc_table();
	char nonce[32];
	int kept = 0;

	(void) state;
	for (int i = 0; i < 4 * SIP_NC_SLOTS; i++) {
		snprintf(nonce, sizeof(nonce), "n%d", i);
		assert_true(sip_nc_fresh(t, nonce, "c", "u", "SEP", "00000001", NOW + i / 1000));
	}
	for (int i = 4 * SIP_NC_SLOTS - 1000; i < 4 * SIP_NC_SLOTS; i++) {
		snprintf(nonce, sizeof(nonce), "n%d", i);
		kept += !sip_nc_fresh(t, nonce, "c", "u", "SEP", "00000001", NOW + 300);
	}
	assert_int_equal(kept, 1000);
	assert_int_equal(sizeof(*t), (size_t) SIP_NC_SLOTS * 16);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_fresh),
		cmocka_unit_test(test_nonce_mac_format),
		cmocka_unit_test(test_nonce_validity_boundary),
		cmocka_unit_test(test_nonce_from_future),
		cmocka_unit_test(test_nonce_other_secret),
		cmocka_unit_test(test_nonce_tampered),
		cmocka_unit_test(test_nonce_malformed),
		cmocka_unit_test(test_digest_md5_qop_auth),
		cmocka_unit_test(test_digest_md5_no_qop),
		cmocka_unit_test(test_digest_algorithm_names),
		cmocka_unit_test(test_digest_sha256),
		cmocka_unit_test(test_digest_empty_ha1_forgery),
		cmocka_unit_test(test_digest_wrong_inputs),
		cmocka_unit_test(test_digest_qop),
		cmocka_unit_test(test_digest_null_parts),
		cmocka_unit_test(test_digest_rfc2617_example),
		cmocka_unit_test(test_digest_rfc7616_example),
		cmocka_unit_test(test_policy_sccp),
		cmocka_unit_test(test_policy_secure_needs_tls),
		cmocka_unit_test(test_policy_no_certificate),
		cmocka_unit_test(test_policy_lsc),
		cmocka_unit_test(test_policy_certificate_faults),
		cmocka_unit_test(test_policy_mic),
		cmocka_unit_test(test_policy_non_secure),
		cmocka_unit_test(test_policy_transport_type),
		cmocka_unit_test(test_binding_notifiable),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_notify_service_control_apply),
		cmocka_unit_test(test_notify_service_control_reset_restart),
		cmocka_unit_test(test_notify_check_sync),
		cmocka_unit_test(test_notify_body_too_long),
		cmocka_unit_test(test_status_retryable),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_nc_rising_repeat_backwards),
		cmocka_unit_test(test_nc_shared_nonce_other_phone_or_cnonce),
		cmocka_unit_test(test_nc_malformed),
		cmocka_unit_test(test_nc_bounded_and_recent_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
