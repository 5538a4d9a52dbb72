/*
 * capf.c: the CAPF CA and the MIC roots (loading), classifying the
 * certificate a TLS peer presents (LSC, MIC, untrusted), whether a
 * certificate's CN names a device, and checking and signing phones'
 * certificate requests (LSCs).  Pure C + OpenSSL; thread-safe once
 * loaded (the stores are only read).
 */
#define _GNU_SOURCE /* memmem */
#include "capf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "text.h"

struct capf_trust {
	X509 *ca;              /* the CAPF CA certificate, NULL if capf_cert is "" */
	EVP_PKEY *key;         /* its key, only when loaded with need_key */
	X509_STORE *ca_store;  /* the CA alone: what an LSC must verify against */
	X509_STORE *mic_store; /* mic_roots, NULL if none */
};

/* OpenSSL's reason for the last failure, for a message (never key bytes:
 * the error queue holds library and reason codes only). */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "no further detail";
}

static bool
load_ca(struct capf_trust *t, const char *path, struct app_err *err)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "cannot open the CAPF CA certificate %s: %s", path,
				   strerror(errno));
	t->ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (t->ca == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "%s holds no PEM certificate (%s)", path, ssl_reason());
	/* An LSC is only as good as the CA's right to sign certificates. */
	if (X509_check_ca(t->ca) == 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "the certificate in %s is not a CA certificate "
				   "(basicConstraints CA:TRUE and keyCertSign are needed)",
				   path);
	t->ca_store = X509_STORE_new();
	if (t->ca_store == NULL || X509_STORE_add_cert(t->ca_store, t->ca) != 1)
		return app_err_set(err, APP_E_INTERNAL, "capf_cert", "out of memory");
	/* The CAPF CA is trusted as configured, also when it is an
	 * intermediate of some larger PKI whose root is not given. */
	X509_STORE_set_flags(t->ca_store, X509_V_FLAG_PARTIAL_CHAIN);
	return true;
}

static bool
load_key(struct capf_trust *t, const char *path, struct app_err *err)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_key",
				   "cannot open the CAPF CA key %s: %s", path, strerror(errno));
	t->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (t->key == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_key",
				   "%s holds no PEM private key (or it is encrypted)", path);
	if (X509_check_private_key(t->ca, t->key) != 1)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_key",
				   "the key in %s does not belong to the CAPF CA certificate",
				   path);
	return true;
}

/* Every certificate of a PEM bundle goes into the MIC store; a bundle with
 * none is a configuration mistake, not an empty trust. */
static bool
load_mic_roots(struct capf_trust *t, const char *path, struct app_err *err)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (f == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "mic_roots",
				   "cannot open the MIC roots %s: %s", path, strerror(errno));
	t->mic_store = X509_STORE_new();
	if (t->mic_store == NULL) {
		fclose(f);
		return app_err_set(err, APP_E_INTERNAL, "mic_roots", "out of memory");
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		n += X509_STORE_add_cert(t->mic_store, x) == 1;
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (n == 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "mic_roots",
				   "%s holds no PEM certificate", path);
	/* Cisco's manufacturing CAs are intermediates: an administrator may
	 * list one without its root, and it is then trusted by itself. */
	X509_STORE_set_flags(t->mic_store, X509_V_FLAG_PARTIAL_CHAIN);
	return true;
}

struct capf_trust *
capf_trust_load(const struct config *cfg, bool need_key, struct app_err *err)
{
	struct capf_trust *t = calloc(1, sizeof(*t));
	bool ok;

	if (t == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (cfg->capf_cert[0] == '\0')
		ok = !need_key ||
		     app_err_set(err, APP_E_MISSING_FIELD, "capf_cert",
				 "capf_cert is not set: there is no CAPF CA to sign with");
	else
		ok = load_ca(t, cfg->capf_cert, err) &&
		     (!need_key ||
		      load_key(t, cfg->capf_key[0] ? cfg->capf_key : cfg->capf_cert, err));
	if (ok && cfg->mic_roots[0] != '\0')
		ok = load_mic_roots(t, cfg->mic_roots, err);
	ERR_clear_error();
	if (!ok) {
		capf_trust_free(t);
		return NULL;
	}
	return t;
}

void
capf_trust_free(struct capf_trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->mic_store);
	X509_STORE_free(t->ca_store);
	EVP_PKEY_free(t->key);
	X509_free(t->ca);
	free(t);
}

/* The leaf's own validity period is reported apart (expired,
 * not_yet_valid), so that the registrar can say which; the issuers'
 * periods still count. */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	return ok;
}

/* True if leaf chains to a certificate of store at `now`, and is not
 * itself one of them (a trust anchor presented as a phone's certificate). */
static bool
chains_to(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain, time_t now)
{
	X509_STORE_CTX *ctx;
	bool ok;

	if (store == NULL || (ctx = X509_STORE_CTX_new()) == NULL)
		return false;
	ok = X509_STORE_CTX_init(ctx, store, leaf, chain) == 1;
	if (ok) {
		X509_STORE_CTX_set_time(ctx, 0, now);
		X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
		ok = X509_verify_cert(ctx) == 1 && sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) >= 2;
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static void
subject_from_name(X509_NAME *name, char *cn, size_t size)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	int len;

	cn[0] = '\0';
	if (i < 0 || (s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) == NULL)
		return;
	len = ASN1_STRING_to_UTF8(&utf8, s);
	/* A CN with a NUL inside could pass for a shorter name: leave it out. */
	if (len > 0 && (size_t) len < size && memchr(utf8, '\0', (size_t) len) == NULL)
		memcpy(cn, utf8, (size_t) len + 1);
	OPENSSL_free(utf8);
}

static void
serial_hex(X509 *x, char *out, size_t size)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, size, "%s", hex != NULL && strlen(hex) < size ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void
fingerprint_hex(X509 *x, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 || len != 32)
		return;
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static long long
asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (long long) timegm(&tm);
}

/* X509_cmp_time: -1 when the field is at or before `now`, 1 after, 0 on a
 * malformed time, which counts as outside the period. */
static void
validity(X509 *leaf, time_t now, struct cert_facts *out)
{
	out->not_yet_valid = X509_cmp_time(X509_get0_notBefore(leaf), &now) >= 0;
	out->expired = X509_cmp_time(X509_get0_notAfter(leaf), &now) <= 0;
}

void
capf_cert_facts(const struct capf_trust *t, X509 *leaf, STACK_OF(X509) * chain, time_t now,
		struct cert_facts *out)
{
	memset(out, 0, sizeof(*out));
	if (leaf == NULL) {
		out->kind = CERT_NONE;
		return;
	}
	subject_from_name(X509_get_subject_name(leaf), out->cn, sizeof(out->cn));
	serial_hex(leaf, out->serial, sizeof(out->serial));
	fingerprint_hex(leaf, out->fingerprint);
	out->not_after = asn1_time_epoch(X509_get0_notAfter(leaf));
	validity(leaf, now, out);
	/* An LSC is signed by the CAPF CA itself: the peer's chain has no say. */
	if (t != NULL && chains_to(t->ca_store, leaf, NULL, now))
		out->kind = CERT_LSC;
	else if (t != NULL && chains_to(t->mic_store, leaf, chain, now))
		out->kind = CERT_MIC;
	else
		out->kind = CERT_UNTRUSTED;
}

bool
capf_cn_names(enum cert_kind kind, const char *cn, const char *device)
{
	size_t lc, ld;

	if (cn == NULL || device == NULL || *device == '\0')
		return false;
	if (strcmp(cn, device) == 0)
		return kind == CERT_LSC || kind == CERT_MIC;
	if (kind != CERT_MIC)
		return false;
	/* Cisco MICs put the product before the name: CP-8865-SEP0011223344AA. */
	lc = strlen(cn);
	ld = strlen(device);
	return lc > ld + 1 && cn[lc - ld - 1] == '-' && strcmp(cn + lc - ld, device) == 0;
}

const char *
capf_kind_name(enum cert_kind kind)
{
	switch (kind) {
	case CERT_NONE:
		return "none";
	case CERT_LSC:
		return "LSC";
	case CERT_MIC:
		return "MIC";
	case CERT_UNTRUSTED:
		return "untrusted";
	}
	return "unknown";
}

bool
capf_ca_describe(const struct capf_trust *t, char *subject, size_t size, long long *not_after)
{
	if (t == NULL || t->ca == NULL)
		return false;
	X509_NAME_oneline(X509_get_subject_name(t->ca), subject, (int) size);
	*not_after = asn1_time_epoch(X509_get0_notAfter(t->ca));
	return true;
}

/* --- certificate requests ---------------------------------------------- */

/* Which key types a keyOrder lets a phone generate.  The "Backup" orders
 * take either: the phone uses the backup when it cannot make the first. */
static const struct {
	const char *order;
	bool rsa, ec;
} key_orders[] = {
	{ "RSA Only", true, false },
	{ "EC Only", false, true },
	{ "EC Preferred, RSA Backup", true, true },
	{ "RSA Preferred, EC Backup", true, true },
};

/* The NIST curve each ecKeySize means (phones generate these). */
static const struct {
	int bits;
	const char *group;
} ec_groups[] = {
	{ 256, "prime256v1" },
	{ 384, "secp384r1" },
	{ 521, "secp521r1" },
};

static X509_REQ *
parse_request(const unsigned char *csr, size_t len)
{
	X509_REQ *req = NULL;

	if (len == 0 || len > 1024 * 1024)
		return NULL;
	if (memmem(csr, len, "-----BEGIN", 10) != NULL) {
		BIO *b = BIO_new_mem_buf(csr, (int) len);

		req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		const unsigned char *p = csr;

		req = d2i_X509_REQ(NULL, &p, (long) len);
		/* Bytes after the request are not part of it: refuse them. */
		if (req != NULL && p != csr + len) {
			X509_REQ_free(req);
			req = NULL;
		}
	}
	ERR_clear_error();
	return req;
}

/* The subject must hold exactly one CN, and it must be the device name. */
static bool
check_request_cn(X509_REQ *req, const char *device, struct app_err *err)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);
	char cn[128], shown[200];
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);

	if (i < 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr",
				   "the request's subject has no CN; it must be the device name %s",
				   device);
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr",
				   "the request's subject has more than one CN; it must have one, "
				   "the device name %s",
				   device);
	subject_from_name(name, cn, sizeof(cn));
	if (strcmp(cn, device) == 0)
		return true;
	text_printable(shown, sizeof(shown), cn, 64);
	return app_err_set(err, APP_E_INVALID_VALUE, "csr",
			   "the request's subject CN is \"%s\", not the device name %s", shown,
			   device);
}

static int
key_order_index(const char *order)
{
	for (size_t i = 0; i < sizeof(key_orders) / sizeof(key_orders[0]); i++)
		if (order != NULL && strcmp(key_orders[i].order, order) == 0)
			return (int) i;
	return -1;
}

/* An EC key's curve must be the NIST curve of ecKeySize. */
static bool
check_ec_key(EVP_PKEY *key, const struct capf_key_rules *r, struct app_err *err)
{
	char group[64] = "";
	long want = strtol(r->ec_key_size ? r->ec_key_size : "", NULL, 10);

	EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL);
	for (size_t i = 0; i < sizeof(ec_groups) / sizeof(ec_groups[0]); i++)
		if (ec_groups[i].bits == want && strcmp(ec_groups[i].group, group) == 0)
			return true;
	if (want == 0)
		return app_err_set(
			err, APP_E_RULE, "ecKeySize",
			"the request has an EC key, but the profile of %s orders no EC key "
			"size (ecKeySize)",
			r->device);
	return app_err_set(err, APP_E_RULE, "ecKeySize",
			   "the request's EC key is on curve %s (%d bits); the profile of %s "
			   "orders a %ld-bit NIST curve (ecKeySize %ld)",
			   group[0] ? group : "unknown", EVP_PKEY_get_bits(key), r->device, want,
			   want);
}

static bool
check_request_key(X509_REQ *req, const struct capf_key_rules *r, struct app_err *err)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	int order = key_order_index(r->key_order);
	int type = key != NULL ? EVP_PKEY_get_base_id(key) : NID_undef;
	bool rsa = type == EVP_PKEY_RSA, ec = type == EVP_PKEY_EC;
	long bits;

	if (order < 0)
		return app_err_set(err, APP_E_RULE, "keyOrder",
				   "the profile of %s has an unknown keyOrder \"%s\"", r->device,
				   r->key_order ? r->key_order : "");
	if (!rsa && !ec)
		return app_err_set(
			err, APP_E_RULE, "keyOrder",
			"the request's key is %s; a phone's certificate takes an RSA or EC key "
			"as its profile orders (%s)",
			key != NULL ? OBJ_nid2sn(type) : "unreadable", r->key_order);
	if ((rsa && !key_orders[order].rsa) || (ec && !key_orders[order].ec))
		return app_err_set(err, APP_E_RULE, "keyOrder",
				   "the request has an %s key; the profile of %s orders %s",
				   rsa ? "RSA" : "EC", r->device, r->key_order);
	if (ec)
		return check_ec_key(key, r, err);
	bits = strtol(r->key_size ? r->key_size : "", NULL, 10);
	if (EVP_PKEY_get_bits(key) != bits)
		return app_err_set(
			err, APP_E_RULE, "keySize",
			"the request's RSA key has %d bits; the profile of %s orders %ld "
			"(keySize)",
			EVP_PKEY_get_bits(key), r->device, bits);
	return true;
}

/* The checks, on a parsed request: proof of possession first, as a request
 * that fails it says nothing reliable about its CN or key. */
static bool
check_parsed(X509_REQ *req, const struct capf_key_rules *rules, struct app_err *err)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	bool ok = key != NULL && X509_REQ_verify(req, key) == 1;

	ERR_clear_error();
	if (!ok)
		return app_err_set(
			err, APP_E_INVALID_VALUE, "csr",
			"the request's signature does not verify with its own public key "
			"(no proof that the requester holds the key)");
	return check_request_cn(req, rules->device, err) && check_request_key(req, rules, err);
}

bool
capf_check_request(const unsigned char *csr, size_t len, const struct capf_key_rules *rules,
		   struct app_err *err)
{
	X509_REQ *req = parse_request(csr, len);
	bool ok;

	if (req == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr",
				   "not a PKCS#10 certificate request (PEM or DER)");
	ok = check_parsed(req, rules, err);
	X509_REQ_free(req);
	return ok;
}

/* --- signing ------------------------------------------------------------ */

/* 16 random bytes, positive (top bit clear) and of full length (next bit
 * set), so every serial prints as 32 hex digits. */
static bool
set_random_serial(X509 *x)
{
	unsigned char buf[16];
	BIGNUM *bn;
	bool ok;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		return false;
	buf[0] = (unsigned char) ((buf[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static bool
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

/* Phones present their LSC as TLS clients and as servers (phone web
 * access, some secure features), hence both extended key usages. */
static bool
add_lsc_extensions(const struct capf_trust *t, X509 *x)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, t->ca, x, NULL, NULL, 0);
	return add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
	       add_ext(x, &ctx, NID_ext_key_usage, "clientAuth,serverAuth") &&
	       add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	       add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
}

/* SHA-384 for a P-384 (or larger) CA key, SHA-256 otherwise. */
static const EVP_MD *
signing_digest(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 384 ?
		       EVP_sha384() :
		       EVP_sha256();
}

static X509 *
build_lsc(const struct capf_trust *t, X509_REQ *req, const char *device, long days, time_t now)
{
	X509 *x = X509_new();
	X509_NAME *subject = X509_NAME_new();
	bool ok = x != NULL && subject != NULL && X509_set_version(x, 2) == 1 &&
		  set_random_serial(x) &&
		  X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
					     (const unsigned char *) device, -1, -1, 0) == 1 &&
		  X509_set_subject_name(x, subject) == 1 &&
		  X509_set_issuer_name(x, X509_get_subject_name(t->ca)) == 1 &&
		  X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) != NULL &&
		  X509_time_adj_ex(X509_getm_notAfter(x), (int) days, 0, &now) != NULL &&
		  X509_set_pubkey(x, X509_REQ_get0_pubkey(req)) == 1 && add_lsc_extensions(t, x) &&
		  X509_sign(x, t->key, signing_digest(t->key)) > 0;

	X509_NAME_free(subject);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static char *
to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long len;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1 && (len = BIO_get_mem_data(b, &data)) > 0 &&
	    (pem = malloc((size_t) len + 1)) != NULL) {
		memcpy(pem, data, (size_t) len);
		pem[len] = '\0';
	}
	BIO_free(b);
	return pem;
}

bool
capf_issue(const struct capf_trust *t, const unsigned char *csr, size_t len,
	   const struct capf_key_rules *rules, long days, time_t now, struct capf_issued *out,
	   struct app_err *err)
{
	X509_REQ *req;
	X509 *x = NULL;

	memset(out, 0, sizeof(*out));
	if (t == NULL || t->ca == NULL || t->key == NULL)
		return app_err_set(err, APP_E_INTERNAL, "capf_key",
				   "the CAPF CA's key is not loaded: cannot sign");
	if ((req = parse_request(csr, len)) == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr",
				   "not a PKCS#10 certificate request (PEM or DER)");
	if (check_parsed(req, rules, err)) {
		x = build_lsc(t, req, rules->device, days, now);
		if (x != NULL)
			out->pem = to_pem(x);
		if (out->pem != NULL)
			capf_cert_facts(t, x, NULL, now, &out->facts);
		else
			app_err_set(err, APP_E_INTERNAL, NULL, "cannot sign the certificate (%s)",
				    ssl_reason());
	}
	ERR_clear_error();
	X509_free(x);
	X509_REQ_free(req);
	return out->pem != NULL;
}

void
capf_issued_free(struct capf_issued *out)
{
	free(out->pem);
	out->pem = NULL;
}
