/*
 * capf.c: the CAPF CA and the MIC roots (loading), classifying the
 * certificate a TLS peer presents (LSC, MIC, untrusted), and whether a
 * certificate's CN names a device.  Pure C + OpenSSL; thread-safe once
 * loaded (the stores are only read).
 */
#include "capf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct capf_trust {
	X509 *ca;               /* the CAPF CA certificate, NULL if capf_cert is "" */
	EVP_PKEY *key;          /* its key, only when loaded with need_key */
	X509_STORE *ca_store;   /* the CA alone: what an LSC must verify against */
	X509_STORE *mic_store;  /* mic_roots, NULL if none */
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
				   "cannot open the CAPF CA certificate %s: %s", path, strerror(errno));
	t->ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (t->ca == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "%s holds no PEM certificate (%s)", path, ssl_reason());
	/* An LSC is only as good as the CA's right to sign certificates. */
	if (X509_check_ca(t->ca) == 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "the certificate in %s is not a CA certificate "
				   "(basicConstraints CA:TRUE and keyCertSign are needed)", path);
	t->ca_store = X509_STORE_new();
	if (t->ca_store == NULL || X509_STORE_add_cert(t->ca_store, t->ca) != 1)
		return app_err_set(err, APP_E_INTERNAL, "capf_cert", "out of memory");
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
				   "the key in %s does not belong to the CAPF CA certificate", path);
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
	ERR_clear_error();  /* the end of the file reads as an error */
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
		ok = !need_key || app_err_set(err, APP_E_MISSING_FIELD, "capf_cert",
					      "capf_cert is not set: there is no CAPF CA to sign with");
	else
		ok = load_ca(t, cfg->capf_cert, err) &&
		     (!need_key || load_key(t, cfg->capf_key[0] ? cfg->capf_key : cfg->capf_cert, err));
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
chains_to(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain, time_t now)
{
	X509_STORE_CTX *ctx;
	bool ok;

	if (store == NULL || (ctx = X509_STORE_CTX_new()) == NULL)
		return false;
	ok = X509_STORE_CTX_init(ctx, store, leaf, chain) == 1;
	if (ok) {
		X509_STORE_CTX_set_time(ctx, 0, now);
		X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
		ok = X509_verify_cert(ctx) == 1 &&
		     sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) >= 2;
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static void
subject_cn(X509 *x, char *cn, size_t size)
{
	X509_NAME *name = X509_get_subject_name(x);
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

void
capf_cert_facts(const struct capf_trust *t, X509 *leaf, STACK_OF(X509) *chain, time_t now,
		struct cert_facts *out)
{
	memset(out, 0, sizeof(*out));
	if (leaf == NULL) {
		out->kind = CERT_NONE;
		return;
	}
	subject_cn(leaf, out->cn, sizeof(out->cn));
	serial_hex(leaf, out->serial, sizeof(out->serial));
	fingerprint_hex(leaf, out->fingerprint);
	out->not_after = asn1_time_epoch(X509_get0_notAfter(leaf));
	/* X509_cmp_time: -1 when the field is before `now`, 1 after, 0 on a
	 * malformed time, which counts as outside the period. */
	{
		time_t when = now;
		int nb = X509_cmp_time(X509_get0_notBefore(leaf), &when);
		int na = X509_cmp_time(X509_get0_notAfter(leaf), &when);

		out->not_yet_valid = nb >= 0;
		out->expired = na <= 0;
	}
	if (t != NULL && chains_to(t->ca_store, leaf, chain, now))
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
