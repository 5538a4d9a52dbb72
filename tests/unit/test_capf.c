/*
 * test_capf.c: phone certificates (capf.c).  Every certificate is made here
 * with OpenSSL's API: a CAPF CA and LSCs it signs, a MIC root with a
 * manufacturing CA under it and MICs, and strangers.  Covers loading the
 * trust, classifying (LSC, MIC, untrusted, none, expired, not yet valid),
 * CN rules, serial and fingerprint formats, and checking and signing
 * certificate requests with each refusal.
 */
#include "testutil.h"

#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "capf.h"
#include "config.h"

#define DAY 86400L
#define DEVICE "SEP0011223344AA"

/* --- certificate factory ------------------------------------------------- */

static EVP_PKEY *
ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *
rsa_key(unsigned bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) bits);

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

struct cert_spec {
	const char *cn;
	EVP_PKEY *key;        /* the subject's key */
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* NULL: key */
	bool ca;
	long from, to; /* validity, seconds relative to now */
	long serial;
};

/* A certificate as the spec says, valid relative to the current time. */
static X509 *
make_cert(const struct cert_spec *s)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	time_t now = time(NULL);

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 7), 1);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
						    (const unsigned char *) s->cn, -1, -1, 0),
			 1);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : name);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, s->from, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, s->to ? s->to : 30 * DAY, &now);
	X509_set_pubkey(x, s->key);
	add_ext(x, s->issuer, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (s->ca)
		add_ext(x, s->issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(x, s->issuer, NID_subject_key_identifier, "hash");
	assert_true(X509_sign(x, s->issuer_key ? s->issuer_key : s->key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

/* Temporary PEM files for the trust settings; removed at teardown. */
static char tmp_files[16][64];
static int ntmp;

static char *
tmp_path(void)
{
	int fd;

	assert_true(ntmp < (int) NELEM(tmp_files));
	snprintf(tmp_files[ntmp], sizeof(tmp_files[0]), "/tmp/test_capf_XXXXXX");
	fd = mkstemp(tmp_files[ntmp]);
	assert_true(fd >= 0);
	close(fd);
	return tmp_files[ntmp++];
}

static const char *
write_pem(X509 *const *certs, size_t n, EVP_PKEY *key)
{
	char *path = tmp_path();
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_X509(f, certs[i]), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	return path;
}

/* --- the world the tests share ------------------------------------------ */

static struct {
	EVP_PKEY *ca_key, *mic_root_key, *mfg_key, *other_key, *phone_ec, *phone_rsa;
	X509 *ca, *mic_root, *mfg, *other_ca;
	const char *ca_pem, *ca_key_pem, *mic_roots_pem, *mfg_pem;
	struct capf_trust *trust; /* CA with key, MIC root */
} w;

static void
config_with(struct config *cfg, const char *cert, const char *key, const char *mic)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->capf_cert, sizeof(cfg->capf_cert), "%s", cert);
	snprintf(cfg->capf_key, sizeof(cfg->capf_key), "%s", key);
	snprintf(cfg->mic_roots, sizeof(cfg->mic_roots), "%s", mic);
	cfg->capf_lsc_days = 1825;
}

static int
world_setup(void **state)
{
	struct config cfg;
	struct app_err err = { 0 };

	(void) state;
	w.ca_key = ec_key("P-384");
	w.mic_root_key = rsa_key(2048);
	w.mfg_key = rsa_key(2048);
	w.other_key = ec_key("P-256");
	w.phone_ec = ec_key("P-256");
	w.phone_rsa = rsa_key(2048);
	w.ca = make_cert(&(struct cert_spec) { "axlprov CAPF test", w.ca_key, NULL, NULL, true,
					       -DAY, 3650 * DAY, 1 });
	w.mic_root = make_cert(&(struct cert_spec) { "Test MIC Root", w.mic_root_key, NULL, NULL,
						     true, -DAY, 3650 * DAY, 2 });
	w.mfg = make_cert(&(struct cert_spec) { "Test Manufacturing CA", w.mfg_key, w.mic_root,
						w.mic_root_key, true, -DAY, 3650 * DAY, 3 });
	w.other_ca = make_cert(&(struct cert_spec) { "axlprov CAPF test", w.other_key, NULL, NULL,
						     true, -DAY, 3650 * DAY, 1 });
	w.ca_pem = write_pem(&w.ca, 1, NULL);
	w.ca_key_pem = write_pem(NULL, 0, w.ca_key);
	w.mic_roots_pem = write_pem(&w.mic_root, 1, NULL);
	w.mfg_pem = write_pem(&w.mfg, 1, NULL);
	config_with(&cfg, w.ca_pem, w.ca_key_pem, w.mic_roots_pem);
	w.trust = capf_trust_load(&cfg, true, &err);
	if (w.trust == NULL)
		fprintf(stderr, "capf_trust_load: %s\n", err.msg);
	return w.trust != NULL ? 0 : -1;
}

static int
world_teardown(void **state)
{
	(void) state;
	capf_trust_free(w.trust);
	X509_free(w.ca);
	X509_free(w.mic_root);
	X509_free(w.mfg);
	X509_free(w.other_ca);
	EVP_PKEY_free(w.ca_key);
	EVP_PKEY_free(w.mic_root_key);
	EVP_PKEY_free(w.mfg_key);
	EVP_PKEY_free(w.other_key);
	EVP_PKEY_free(w.phone_ec);
	EVP_PKEY_free(w.phone_rsa);
	for (int i = 0; i < ntmp; i++)
		unlink(tmp_files[i]);
	return 0;
}

/* An LSC from the test CAPF CA. */
static X509 *
lsc(const char *cn, long from, long to)
{
	return make_cert(&(struct cert_spec) { cn, w.phone_ec, w.ca, w.ca_key, false, from, to,
					       0x1234abcd });
}

/* A MIC from the manufacturing CA. */
static X509 *
mic(const char *cn)
{
	return make_cert(&(struct cert_spec) { cn, w.phone_rsa, w.mfg, w.mfg_key, false, -DAY,
					       3650 * DAY, 99 });
}

static STACK_OF(X509) * chain_of(X509 *x)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	assert_non_null(sk);
	assert_true(sk_X509_push(sk, x) > 0);
	return sk;
}

/* --- loading ------------------------------------------------------------ */

static void
expect_load_error(const char *cert, const char *key, const char *mic_roots, bool need_key,
		  const char *field, const char *words)
{
	struct config cfg;
	struct app_err err = { 0 };
	struct capf_trust *t;

	config_with(&cfg, cert, key, mic_roots);
	t = capf_trust_load(&cfg, need_key, &err);
	if (t != NULL)
		fail_msg("loaded %s/%s/%s, expected an error about %s", cert, key, mic_roots,
			 words);
	assert_string_equal(err.field, field);
	if (strstr(err.msg, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
	/* A message never carries key material. */
	assert_null(strstr(err.msg, "PRIVATE"));
}

static void
test_load_errors(void **state)
{
	const char *leaf_pem, *other_key_pem, *empty = tmp_path();
	X509 *leaf = lsc(DEVICE, -DAY, DAY);

	(void) state;
	leaf_pem = write_pem(&leaf, 1, NULL);
	other_key_pem = write_pem(NULL, 0, w.other_key);
	expect_load_error("/nonexistent/ca.crt", "", "", false, "capf_cert", "cannot open");
	expect_load_error(empty, "", "", false, "capf_cert", "holds no PEM certificate");
	expect_load_error(leaf_pem, "", "", false, "capf_cert", "not a CA certificate");
	expect_load_error(w.ca_pem, "/nonexistent/ca.key", "", true, "capf_key", "cannot open");
	expect_load_error(w.ca_pem, other_key_pem, "", true, "capf_key", "does not belong");
	expect_load_error(w.ca_pem, "", "", true, "capf_key", "no PEM private key");
	expect_load_error("", "", "", true, "capf_cert", "capf_cert is not set");
	expect_load_error(w.ca_pem, "", "/nonexistent/mic.pem", false, "mic_roots", "cannot open");
	expect_load_error(w.ca_pem, "", empty, false, "mic_roots", "holds no PEM certificate");
	X509_free(leaf);
}

/* Without need_key the key is not read; the key may share capf_cert's file;
 * with neither setting every certificate is untrusted. */
static void
test_load_variants(void **state)
{
	X509 *both[] = { w.ca };
	const char *combined = write_pem(both, 1, w.ca_key);
	struct config cfg;
	struct app_err err = { 0 };
	struct capf_trust *t;
	struct cert_facts f;
	X509 *leaf = lsc(DEVICE, -DAY, DAY);
	char subject[256];
	long long not_after;

	(void) state;
	config_with(&cfg, w.ca_pem, "/nonexistent/ca.key", "");
	t = capf_trust_load(&cfg, false, &err);
	assert_non_null(t);
	assert_true(capf_ca_describe(t, subject, sizeof(subject), &not_after));
	assert_non_null(strstr(subject, "CN=axlprov CAPF test"));
	assert_true(not_after > (long long) time(NULL) + 3649 * DAY);
	capf_trust_free(t);

	config_with(&cfg, combined, "", "");
	t = capf_trust_load(&cfg, true, &err);
	assert_non_null(t);
	capf_trust_free(t);

	config_with(&cfg, "", "", "");
	t = capf_trust_load(&cfg, false, &err);
	assert_non_null(t);
	assert_false(capf_ca_describe(t, subject, sizeof(subject), &not_after));
	capf_cert_facts(t, leaf, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	capf_trust_free(t);
	X509_free(leaf);
}

/* --- classification ------------------------------------------------------ */

static void
test_lsc(void **state)
{
	X509 *x = lsc(DEVICE, -DAY, 10 * DAY);
	struct cert_facts f;
	unsigned char md[32];
	unsigned int len;
	char want[65];
	time_t now = time(NULL);

	(void) state;
	capf_cert_facts(w.trust, x, NULL, now, &f);
	assert_int_equal(f.kind, CERT_LSC);
	assert_false(f.expired);
	assert_false(f.not_yet_valid);
	assert_string_equal(f.cn, DEVICE);
	assert_string_equal(f.serial, "1234ABCD");
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &len), 1);
	for (unsigned i = 0; i < len; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(f.fingerprint, want);
	assert_true(f.not_after >= (long long) now + 10 * DAY - 5 &&
		    f.not_after <= (long long) now + 10 * DAY + 5);
	assert_string_equal(capf_kind_name(f.kind), "LSC");
	X509_free(x);
}

/* A MIC chains through the manufacturing CA the phone sends along; with
 * only the manufacturing CA in mic_roots it is trusted by itself. */
static void
test_mic(void **state)
{
	X509 *x = mic("CP-8865-" DEVICE);
	STACK_OF(X509) *chain = chain_of(w.mfg);
	struct cert_facts f;
	struct config cfg;
	struct app_err err = { 0 };
	struct capf_trust *t;

	(void) state;
	capf_cert_facts(w.trust, x, chain, time(NULL), &f);
	assert_int_equal(f.kind, CERT_MIC);
	assert_string_equal(capf_kind_name(f.kind), "MIC");
	assert_string_equal(f.cn, "CP-8865-" DEVICE);
	assert_string_equal(f.serial, "63");
	/* Without the intermediate the root alone cannot vouch for it. */
	capf_cert_facts(w.trust, x, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);

	config_with(&cfg, w.ca_pem, "", w.mfg_pem);
	t = capf_trust_load(&cfg, false, &err);
	assert_non_null(t);
	capf_cert_facts(t, x, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_MIC);
	capf_trust_free(t);
	sk_X509_free(chain);
	X509_free(x);
}

/* A CAPF CA that is an intermediate of another PKI, configured without
 * its root, still vouches for the LSCs it signs. */
static void
test_intermediate_capf_ca(void **state)
{
	EVP_PKEY *sub_key = ec_key("P-256");
	X509 *sub = make_cert(&(struct cert_spec) { "axlprov CAPF sub", sub_key, w.mic_root,
						    w.mic_root_key, true, -DAY, 365 * DAY, 8 });
	X509 *leaf = make_cert(
		&(struct cert_spec) { DEVICE, w.phone_ec, sub, sub_key, false, -DAY, DAY, 9 });
	struct config cfg;
	struct app_err err = { 0 };
	struct capf_trust *t;
	struct cert_facts f;

	(void) state;
	config_with(&cfg, write_pem(&sub, 1, NULL), "", "");
	t = capf_trust_load(&cfg, false, &err);
	assert_non_null(t);
	capf_cert_facts(t, leaf, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_LSC);
	/* The test CAPF CA did not sign it. */
	capf_cert_facts(w.trust, leaf, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	capf_trust_free(t);
	X509_free(leaf);
	X509_free(sub);
	EVP_PKEY_free(sub_key);
}

/* An LSC is signed by the CAPF CA itself: a certificate under some CA
 * below it, sent with that CA as the chain, is not one. */
static void
test_lsc_only_direct(void **state)
{
	EVP_PKEY *sub_key = ec_key("P-256");
	X509 *sub = make_cert(&(struct cert_spec) { "below CAPF", sub_key, w.ca, w.ca_key, true,
						    -DAY, 365 * DAY, 10 });
	X509 *leaf = make_cert(
		&(struct cert_spec) { DEVICE, w.phone_ec, sub, sub_key, false, -DAY, DAY, 11 });
	STACK_OF(X509) *chain = chain_of(sub);
	struct cert_facts f;

	(void) state;
	capf_cert_facts(w.trust, leaf, chain, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	sk_X509_free(chain);
	X509_free(leaf);
	X509_free(sub);
	EVP_PKEY_free(sub_key);
}

static void
test_untrusted(void **state)
{
	X509 *self = make_cert(
		&(struct cert_spec) { DEVICE, w.phone_ec, NULL, NULL, false, -DAY, DAY, 5 });
	/* Signed by a CA of the same name but another key. */
	X509 *forged = make_cert(&(struct cert_spec) { DEVICE, w.phone_ec, w.other_ca, w.other_key,
						       false, -DAY, DAY, 6 });
	STACK_OF(X509) *chain = chain_of(w.other_ca);
	struct cert_facts f;

	(void) state;
	capf_cert_facts(w.trust, self, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	assert_string_equal(f.cn, DEVICE);
	capf_cert_facts(w.trust, forged, chain, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	/* A trust anchor presented as a phone's own certificate. */
	capf_cert_facts(w.trust, w.ca, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	capf_cert_facts(w.trust, w.mic_root, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	/* No trust at all. */
	capf_cert_facts(NULL, self, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_UNTRUSTED);
	assert_string_equal(capf_kind_name(CERT_UNTRUSTED), "untrusted");
	sk_X509_free(chain);
	X509_free(self);
	X509_free(forged);
}

static void
test_no_cert(void **state)
{
	struct cert_facts f;

	(void) state;
	memset(&f, 0x55, sizeof(f));
	capf_cert_facts(w.trust, NULL, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_NONE);
	assert_string_equal(f.cn, "");
	assert_string_equal(f.serial, "");
	assert_false(f.expired);
	assert_string_equal(capf_kind_name(CERT_NONE), "none");
}

/* The kind stays LSC; the period is reported apart, also at other times. */
static void
test_expired_and_not_yet_valid(void **state)
{
	X509 *old = lsc(DEVICE, -10 * DAY, -DAY);
	X509 *future = lsc(DEVICE, DAY, 10 * DAY);
	X509 *now_ok = lsc(DEVICE, -DAY, DAY);
	struct cert_facts f;
	time_t now = time(NULL);

	(void) state;
	capf_cert_facts(w.trust, old, NULL, now, &f);
	assert_int_equal(f.kind, CERT_LSC);
	assert_true(f.expired);
	assert_false(f.not_yet_valid);
	capf_cert_facts(w.trust, future, NULL, now, &f);
	assert_int_equal(f.kind, CERT_LSC);
	assert_true(f.not_yet_valid);
	assert_false(f.expired);
	capf_cert_facts(w.trust, now_ok, NULL, now + 2 * DAY, &f);
	assert_true(f.expired);
	capf_cert_facts(w.trust, now_ok, NULL, now - 2 * DAY, &f);
	assert_true(f.not_yet_valid);
	X509_free(old);
	X509_free(future);
	X509_free(now_ok);
}

/* An LSC naming another phone is still an LSC: the CN rule refuses it. */
static void
test_wrong_cn(void **state)
{
	X509 *x = lsc("SEP0011223344BB", -DAY, DAY);
	struct cert_facts f;

	(void) state;
	capf_cert_facts(w.trust, x, NULL, time(NULL), &f);
	assert_int_equal(f.kind, CERT_LSC);
	assert_false(capf_cn_names(f.kind, f.cn, DEVICE));
	assert_true(capf_cn_names(f.kind, f.cn, "SEP0011223344BB"));
	X509_free(x);
}

static void
test_cn_names(void **state)
{
	(void) state;
	assert_true(capf_cn_names(CERT_LSC, DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_LSC, "CP-8865-" DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_LSC, "sep0011223344aa", DEVICE));
	assert_true(capf_cn_names(CERT_MIC, DEVICE, DEVICE));
	assert_true(capf_cn_names(CERT_MIC, "CP-8865-" DEVICE, DEVICE));
	assert_true(capf_cn_names(CERT_MIC, "CP-7975G-" DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_MIC, "-" DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_MIC, "CP-8865" DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_MIC, "CP-8865-" DEVICE "0", DEVICE));
	assert_false(capf_cn_names(CERT_MIC, "CP-8865-SEP0011223344AB", DEVICE));
	assert_false(capf_cn_names(CERT_MIC, "EP0011223344AA", DEVICE));
	assert_false(capf_cn_names(CERT_UNTRUSTED, DEVICE, DEVICE));
	assert_false(capf_cn_names(CERT_NONE, "", ""));
	assert_false(capf_cn_names(CERT_LSC, "", ""));
	assert_false(capf_cn_names(CERT_LSC, NULL, DEVICE));
}

/* Serials print as upper-case hex without leading zeros or sign. */
static void
test_serial_formats(void **state)
{
	static const struct {
		long serial;
		const char *hex;
	} cases[] = { { 1, "01" }, { 255, "FF" }, { 0xabcdef, "ABCDEF" }, { 0x10000, "010000" } };
	struct cert_facts f;

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		X509 *x = make_cert(&(struct cert_spec) { DEVICE, w.phone_ec, w.ca, w.ca_key, false,
							  -DAY, DAY, cases[i].serial });

		capf_cert_facts(w.trust, x, NULL, time(NULL), &f);
		assert_string_equal(f.serial, cases[i].hex);
		assert_int_equal(strlen(f.fingerprint), 64);
		assert_int_equal(strspn(f.fingerprint, "0123456789abcdef"), 64);
		X509_free(x);
	}
}

/* --- certificate requests ---------------------------------------------- */

enum csr_form { CSR_PEM, CSR_DER, CSR_BAD_SIGNATURE };

/* A request for cn with key (two CNs when cn2 is set), as bytes. */
static unsigned char *
make_csr(const char *cn, const char *cn2, EVP_PKEY *key, enum csr_form form, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL, *out;
	BIO *b;
	char *data;
	int n;

	if (cn != NULL)
		X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					   (const unsigned char *) cn, -1, -1, 0);
	if (cn2 != NULL)
		X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					   (const unsigned char *) cn2, -1, -1, 0);
	X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
				   (const unsigned char *) "Test", -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	if (form == CSR_BAD_SIGNATURE)
		der[n - 3] ^= 0x5a; /* inside the signature's bytes */
	if (form == CSR_DER) {
		out = malloc((size_t) n);
		memcpy(out, der, (size_t) n);
		*len = (size_t) n;
	} else {
		const unsigned char *p = der;
		X509_REQ *again = d2i_X509_REQ(NULL, &p, n);

		assert_non_null(again);
		b = BIO_new(BIO_s_mem());
		assert_int_equal(PEM_write_bio_X509_REQ(b, again), 1);
		*len = (size_t) BIO_get_mem_data(b, &data);
		out = malloc(*len);
		memcpy(out, data, *len);
		BIO_free(b);
		X509_REQ_free(again);
	}
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return out;
}

static const struct capf_key_rules EC256 = { DEVICE, "EC Only", "2048", "256" };
static const struct capf_key_rules RSA2048 = { DEVICE, "RSA Only", "2048", "" };
static const struct capf_key_rules EC_OR_RSA = { DEVICE, "EC Preferred, RSA Backup", "2048",
						 "256" };

static X509 *
parse_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

/* The certificate verifies against the CA alone, names the device only
 * and carries the usages phones need. */
static void
check_issued(const struct capf_issued *c, EVP_PKEY *phone_key, time_t now, long days)
{
	X509 *x = parse_pem(c->pem);
	X509_NAME *subject = X509_get_subject_name(x);
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);

	assert_int_equal(X509_verify(x, w.ca_key), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), phone_key), 1);
	assert_int_equal(X509_NAME_entry_count(subject), 1);
	assert_int_equal(c->facts.kind, CERT_LSC);
	assert_string_equal(c->facts.cn, DEVICE);
	/* 16 random bytes, positive, full length. */
	assert_int_equal(strlen(c->facts.serial), 32);
	assert_int_equal(strspn(c->facts.serial, "0123456789ABCDEF"), 32);
	assert_true(strchr("4567", c->facts.serial[0]) != NULL);
	assert_true(c->facts.not_after == (long long) now + days * DAY);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_non_null(eku);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT | XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(x), 0);
	EXTENDED_KEY_USAGE_free(eku);
	X509_free(x);
}

static void
issue_ok(const struct capf_key_rules *r, EVP_PKEY *key, enum csr_form form)
{
	size_t len;
	unsigned char *csr = make_csr(DEVICE, NULL, key, form, &len);
	struct capf_issued c;
	struct app_err err = { 0 };
	time_t now = time(NULL);

	assert_ok(capf_check_request(csr, len, r, &err), &err);
	assert_ok(capf_issue(w.trust, csr, len, r, 365, now, &c, &err), &err);
	check_issued(&c, key, now, 365);
	capf_issued_free(&c);
	free(csr);
}

static void
test_issue_accepted(void **state)
{
	EVP_PKEY *p384 = ec_key("P-384"), *p521 = ec_key("P-521"), *rsa3072 = rsa_key(3072);
	const struct capf_key_rules ec384 = { DEVICE, "EC Only", "2048", "384" };
	const struct capf_key_rules ec521 = { DEVICE, "EC Only", "2048", "521" };
	const struct capf_key_rules rsa3k = { DEVICE, "RSA Only", "3072", "" };

	(void) state;
	issue_ok(&EC256, w.phone_ec, CSR_PEM);
	issue_ok(&EC256, w.phone_ec, CSR_DER);
	issue_ok(&RSA2048, w.phone_rsa, CSR_PEM);
	issue_ok(&RSA2048, w.phone_rsa, CSR_DER);
	issue_ok(&EC_OR_RSA, w.phone_ec, CSR_PEM);
	issue_ok(&EC_OR_RSA, w.phone_rsa, CSR_PEM);
	issue_ok(&ec384, p384, CSR_PEM);
	issue_ok(&ec521, p521, CSR_PEM);
	issue_ok(&rsa3k, rsa3072, CSR_DER);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(rsa3072);
}

/* Two certificates for the same request differ in serial. */
static void
test_issue_serials_differ(void **state)
{
	size_t len;
	unsigned char *csr = make_csr(DEVICE, NULL, w.phone_ec, CSR_PEM, &len);
	struct capf_issued a, b;
	struct app_err err = { 0 };

	(void) state;
	assert_ok(capf_issue(w.trust, csr, len, &EC256, 10, time(NULL), &a, &err), &err);
	assert_ok(capf_issue(w.trust, csr, len, &EC256, 10, time(NULL), &b, &err), &err);
	assert_string_not_equal(a.facts.serial, b.facts.serial);
	assert_string_not_equal(a.facts.fingerprint, b.facts.fingerprint);
	capf_issued_free(&a);
	capf_issued_free(&b);
	free(csr);
}

/* Both the check and the issue refuse, with this field and these words;
 * nothing is issued and no key material is in the message. */
static void
expect_refusal(const unsigned char *csr, size_t len, const struct capf_key_rules *r,
	       const char *field, const char *words)
{
	struct app_err err = { 0 };
	struct capf_issued c;

	if (capf_check_request(csr, len, r, &err))
		fail_msg("request accepted, expected a refusal about %s", words);
	assert_string_equal(err.field, field);
	if (strstr(err.msg, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
	memset(&err, 0, sizeof(err));
	assert_false(capf_issue(w.trust, csr, len, r, 10, time(NULL), &c, &err));
	assert_null(c.pem);
	assert_string_equal(err.field, field);
	assert_null(strstr(err.msg, "BEGIN"));
	assert_null(strstr(err.msg, "PRIVATE"));
}

static void
refuse(const char *cn, const char *cn2, EVP_PKEY *key, enum csr_form form,
       const struct capf_key_rules *r, const char *field, const char *words)
{
	size_t len;
	unsigned char *csr = make_csr(cn, cn2, key, form, &len);

	expect_refusal(csr, len, r, field, words);
	free(csr);
}

static void
test_refuse_wrong_cn(void **state)
{
	(void) state;
	refuse("SEP0011223344BB", NULL, w.phone_ec, CSR_PEM, &EC256, "csr",
	       "subject CN is \"SEP0011223344BB\", not the device name " DEVICE);
	refuse("CP-8865-" DEVICE, NULL, w.phone_ec, CSR_DER, &EC256, "csr", "not the device name");
	refuse(NULL, NULL, w.phone_ec, CSR_PEM, &EC256, "csr", "has no CN");
	refuse(DEVICE, DEVICE, w.phone_ec, CSR_PEM, &EC256, "csr", "more than one CN");
}

static void
test_refuse_wrong_key_type(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int n;

	(void) state;
	refuse(DEVICE, NULL, w.phone_rsa, CSR_PEM, &EC256, "keyOrder",
	       "the request has an RSA key; the profile of " DEVICE " orders EC Only");
	refuse(DEVICE, NULL, w.phone_ec, CSR_PEM, &RSA2048, "keyOrder",
	       "the request has an EC key; the profile of " DEVICE " orders RSA Only");
	/* An Ed25519 request (signed with no digest, as Ed25519 is). */
	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
				   (const unsigned char *) DEVICE, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, ed);
	assert_true(X509_REQ_sign(req, ed, NULL) > 0);
	n = i2d_X509_REQ(req, &der);
	expect_refusal(der, (size_t) n, &EC_OR_RSA, "keyOrder", "RSA or EC key");
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(ed);
}

static void
test_refuse_wrong_size(void **state)
{
	EVP_PKEY *rsa1024 = rsa_key(1024), *p384 = ec_key("P-384"), *k1 = ec_key("secp256k1");
	const struct capf_key_rules no_ec_size = { DEVICE, "EC Only", "2048", "" };

	(void) state;
	refuse(DEVICE, NULL, rsa1024, CSR_PEM, &RSA2048, "keySize",
	       "RSA key has 1024 bits; the profile of " DEVICE " orders 2048");
	refuse(DEVICE, NULL, rsa1024, CSR_DER, &EC_OR_RSA, "keySize", "orders 2048");
	refuse(DEVICE, NULL, p384, CSR_PEM, &EC256, "ecKeySize",
	       "EC key is on curve secp384r1 (384 bits)");
	/* 256 bits, but not the NIST curve. */
	refuse(DEVICE, NULL, k1, CSR_PEM, &EC256, "ecKeySize", "curve secp256k1");
	refuse(DEVICE, NULL, w.phone_ec, CSR_PEM, &no_ec_size, "ecKeySize", "no EC key size");
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k1);
}

static void
test_refuse_bad_signature(void **state)
{
	(void) state;
	refuse(DEVICE, NULL, w.phone_ec, CSR_BAD_SIGNATURE, &EC256, "csr",
	       "signature does not verify");
	refuse(DEVICE, NULL, w.phone_rsa, CSR_BAD_SIGNATURE, &RSA2048, "csr",
	       "signature does not verify");
}

static void
test_refuse_garbage(void **state)
{
	static const char pem_junk[] = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
				       "-----END CERTIFICATE REQUEST-----\n";
	static const unsigned char der_junk[] = { 0x30, 0x82, 0x01, 0x00, 0x02, 0x01 };
	size_t len;
	unsigned char *csr = make_csr(DEVICE, NULL, w.phone_ec, CSR_DER, &len);
	unsigned char *longer = malloc(len + 1);
	X509 *cert = lsc(DEVICE, -DAY, DAY);
	unsigned char *cert_der = NULL;
	int n = i2d_X509(cert, &cert_der);

	(void) state;
	expect_refusal((const unsigned char *) "hello", 5, &EC256, "csr", "not a PKCS#10");
	expect_refusal((const unsigned char *) "", 0, &EC256, "csr", "not a PKCS#10");
	expect_refusal((const unsigned char *) pem_junk, strlen(pem_junk), &EC256, "csr",
		       "not a PKCS#10");
	expect_refusal(der_junk, sizeof(der_junk), &EC256, "csr", "not a PKCS#10");
	/* A certificate is not a request. */
	expect_refusal(cert_der, (size_t) n, &EC256, "csr", "not a PKCS#10");
	/* A request with a byte after it. */
	memcpy(longer, csr, len);
	longer[len] = 0;
	expect_refusal(longer, len + 1, &EC256, "csr", "not a PKCS#10");
	/* Half a request. */
	expect_refusal(csr, len / 2, &EC256, "csr", "not a PKCS#10");
	OPENSSL_free(cert_der);
	X509_free(cert);
	free(longer);
	free(csr);
}

static void
test_refuse_profile_and_ca(void **state)
{
	const struct capf_key_rules odd = { DEVICE, "DSA Only", "2048", "256" };
	size_t len;
	unsigned char *csr = make_csr(DEVICE, NULL, w.phone_ec, CSR_PEM, &len);
	struct config cfg;
	struct app_err err = { 0 };
	struct capf_trust *no_key;
	struct capf_issued c;

	(void) state;
	expect_refusal(csr, len, &odd, "keyOrder", "unknown keyOrder \"DSA Only\"");
	config_with(&cfg, w.ca_pem, "", "");
	no_key = capf_trust_load(&cfg, false, &err);
	assert_non_null(no_key);
	assert_false(capf_issue(no_key, csr, len, &EC256, 10, time(NULL), &c, &err));
	assert_string_equal(err.field, "capf_key");
	assert_null(c.pem);
	capf_trust_free(no_key);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_variants),
		cmocka_unit_test(test_lsc),
		cmocka_unit_test(test_mic),
		cmocka_unit_test(test_intermediate_capf_ca),
		cmocka_unit_test(test_lsc_only_direct),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_no_cert),
		cmocka_unit_test(test_expired_and_not_yet_valid),
		cmocka_unit_test(test_wrong_cn),
		cmocka_unit_test(test_cn_names),
		cmocka_unit_test(test_serial_formats),
		cmocka_unit_test(test_issue_accepted),
		cmocka_unit_test(test_issue_serials_differ),
		cmocka_unit_test(test_refuse_wrong_cn),
		cmocka_unit_test(test_refuse_wrong_key_type),
		cmocka_unit_test(test_refuse_wrong_size),
		cmocka_unit_test(test_refuse_bad_signature),
		cmocka_unit_test(test_refuse_garbage),
		cmocka_unit_test(test_refuse_profile_and_ca),
	};

	return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
