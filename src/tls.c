/*
 * tls.c: the HTTPS listener's SSL_CTX: TLS 1.2 and 1.3 only, the cipher
 * groups of CUCM's "TLS Ciphers" enterprise parameter (exactly the suites
 * the admin guide lists, in its order, with the server's order winning),
 * and the swap of the whole context on reload.
 */
#include "tls.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "log.h"

/* TLS 1.3 suites are not in the guide (it lists TLS 1.2 names only): the
 * strongest groups keep AES-256 only, the others AES-256 and AES-128, all
 * GCM, matching their TLS 1.2 halves.  CHACHA20 is in no group. */
#define TLS13_STRONGEST "TLS_AES_256_GCM_SHA384"
#define TLS13_MEDIUM "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/* The guide's groups, its suites in its order (OpenSSL names). */
static const struct tls_group {
	const char *name;
	const char *tls12;
	const char *tls13;
} groups[] = {
	{ "strongest-rsa", "ECDHE-RSA-AES256-GCM-SHA384", TLS13_STRONGEST },
	{ "strongest-ecdsa", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
	  TLS13_STRONGEST },
	{ "medium-rsa",
	  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
	  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
	  TLS13_MEDIUM },
	{ "medium-ecdsa",
	  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
	  TLS13_MEDIUM },
	{ "all-rsa",
	  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
	  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:AES128-SHA",
	  TLS13_MEDIUM },
	{ "all-ecdsa",
	  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
	  TLS13_MEDIUM },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

struct tls {
	bool est;             /* the EST listener's: client certificates asked for */
	pthread_mutex_t lock; /* guards cur and desc */
	SSL_CTX *cur;
	char desc[512];
};

/* ": " and the latest queued OpenSSL error ("" if none); clears the queue. */
static const char *
ssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	buf[0] = '\0';
	if (e != 0) {
		buf[0] = ':';
		buf[1] = ' ';
		ERR_error_string_n(e, buf + 2, size - 2);
	}
	ERR_clear_error();
	return buf;
}

static int
count_names(const char *list)
{
	int n = 1;

	for (const char *p = list; *p; p++)
		n += *p == ':';
	return n;
}

/* Loads one certificate chain and its key into ctx's slot for the key's
 * type; *kind gets EVP_PKEY_RSA or EVP_PKEY_EC. */
static bool
load_pair(SSL_CTX *ctx, const char *cert_setting, const char *cert, const char *key, int *kind,
	  struct app_err *err)
{
	char why[256];
	X509 *x;
	EVP_PKEY *pk;

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return app_err_set(err, APP_E_INVALID_VALUE, cert_setting,
				   "cannot load the TLS certificate %s (%s)%s", cert, cert_setting,
				   ssl_reason(why, sizeof(why)));
	x = SSL_CTX_get0_certificate(ctx);
	pk = x != NULL ? X509_get0_pubkey(x) : NULL;
	*kind = pk != NULL ? EVP_PKEY_get_base_id(pk) : EVP_PKEY_NONE;
	if (*kind != EVP_PKEY_RSA && *kind != EVP_PKEY_EC)
		return app_err_set(err, APP_E_INVALID_VALUE, cert_setting,
				   "the TLS certificate %s (%s) has neither an RSA nor an EC key",
				   cert, cert_setting);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return app_err_set(
			err, APP_E_INVALID_VALUE, cert_setting,
			"cannot load the private key %s for the TLS certificate %s (%s)%s", key,
			cert, cert_setting, ssl_reason(why, sizeof(why)));
	return true;
}

/* Sets the group's suites and checks that OpenSSL took every one and that
 * the certificates serve at least one TLS 1.2 suite. */
static bool
set_group(SSL_CTX *ctx, const struct tls_group *g, bool rsa, bool ec, int *served,
	  struct app_err *err)
{
	STACK_OF(SSL_CIPHER) * list;
	int want = count_names(g->tls12) + count_names(g->tls13);

	if (SSL_CTX_set_cipher_list(ctx, g->tls12) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, g->tls13) != 1 ||
	    (list = SSL_CTX_get_ciphers(ctx)) == NULL || sk_SSL_CIPHER_num(list) != want) {
		ERR_clear_error();
		return app_err_set(err, APP_E_INTERNAL, "tls_ciphers",
				   "this OpenSSL does not offer every suite of tls_ciphers %s",
				   g->name);
	}
	*served = 0;
	for (int i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(list, i);
		int auth = SSL_CIPHER_get_auth_nid(c);

		if ((auth == NID_auth_rsa && rsa) || (auth == NID_auth_ecdsa && ec))
			(*served)++;
	}
	if (*served == 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "tls_ciphers",
				   "tls_ciphers %s has no TLS 1.2 suite for the %s certificate: "
				   "choose another group%s",
				   g->name, rsa ? "RSA" : "ECDSA",
				   rsa ? " or add an ECDSA certificate (tls_cert_ecdsa)" :
					 ", or make tls_cert an RSA certificate and "
					 "tls_cert_ecdsa the ECDSA one");
	return true;
}

static const struct tls_group *
find_group(const char *name, struct app_err *err)
{
	for (size_t i = 0; i < NGROUPS; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	app_err_set(err, APP_E_INVALID_VALUE, "tls_ciphers", "unknown tls_ciphers %s", name);
	return NULL;
}

/* tls_cert (RSA or ECDSA) and, beside an RSA one, tls_cert_ecdsa; *rsa and
 * *ec say which kinds of key the context now serves. */
static bool
load_certificates(SSL_CTX *ctx, const struct config *cfg, bool *rsa, bool *ec, struct app_err *err)
{
	const char *key = cfg->tls_key[0] ? cfg->tls_key : cfg->tls_cert;
	const char *eckey = cfg->tls_key_ecdsa[0] ? cfg->tls_key_ecdsa : cfg->tls_cert_ecdsa;
	int kind, eckind;

	if (!load_pair(ctx, "tls_cert", cfg->tls_cert, key, &kind, err))
		return false;
	*rsa = kind == EVP_PKEY_RSA;
	*ec = kind == EVP_PKEY_EC;
	if (cfg->tls_cert_ecdsa[0] == '\0')
		return true;
	if (*ec)
		return app_err_set(
			err, APP_E_INVALID_VALUE, "tls_cert_ecdsa",
			"tls_cert_ecdsa is set but tls_cert %s is already an ECDSA certificate",
			cfg->tls_cert);
	if (!load_pair(ctx, "tls_cert_ecdsa", cfg->tls_cert_ecdsa, eckey, &eckind, err))
		return false;
	if (eckind != EVP_PKEY_EC)
		return app_err_set(err, APP_E_INVALID_VALUE, "tls_cert_ecdsa",
				   "tls_cert_ecdsa %s is not an ECDSA certificate",
				   cfg->tls_cert_ecdsa);
	*ec = true;
	return true;
}

/* The EST listener's verification: note, never refuse.  The chain is
 * judged after the handshake against the CAPF CA and mic_roots
 * (capf_cert_facts), so a phone with an unknown certificate still gets an
 * answer that says why instead of a failed handshake. */
static int
accept_any(int preverify_ok, X509_STORE_CTX *x)
{
	(void) preverify_ok;
	(void) x;
	return 1;
}

static void
ask_client_certificate(SSL_CTX *ctx)
{
	static const unsigned char sid[] = "axlprov-est";

	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	/* Needed once clients are asked for certificates, for session resumption. */
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
}

static SSL_CTX *
build(const struct config *cfg, bool est, char *desc, size_t dsize, struct app_err *err)
{
	const struct tls_group *g = find_group(cfg->tls_ciphers, err);
	int served;
	bool rsa = false, ec = false;
	SSL_CTX *ctx;

	if (g == NULL)
		return NULL;
	if (cfg->tls_cert[0] == '\0') {
		app_err_set(
			err, APP_E_MISSING_FIELD, "tls_cert",
			"listen is set but tls_cert is not (set it, or listen to \"\" for plain HTTP only)");
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		ERR_clear_error();
		app_err_set(err, APP_E_INTERNAL, "tls", "cannot create the TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* Our order, not the client's; no renegotiation (a client could make
	 * us redo the expensive half of a handshake at will). */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION);
	if (est)
		ask_client_certificate(ctx);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (!load_certificates(ctx, cfg, &rsa, &ec, err) ||
	    !set_group(ctx, g, rsa, ec, &served, err)) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	snprintf(desc, dsize,
		 "tls_ciphers=%s (%d of %d TLS 1.2 suites servable; TLS 1.3: %s) "
		 "certificates: %s%s%s",
		 g->name, served, count_names(g->tls12), g->tls13, rsa ? "RSA " : "",
		 rsa && ec ? "+ " : "", ec ? "ECDSA" : "");
	return ctx;
}

static struct tls *
make(const struct config *cfg, bool est, struct app_err *err)
{
	struct tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->est = est;
	t->cur = build(cfg, est, t->desc, sizeof(t->desc), err);
	if (t->cur == NULL) {
		tls_free(t);
		return NULL;
	}
	return t;
}

struct tls *
tls_new(const struct config *cfg, struct app_err *err)
{
	return make(cfg, false, err);
}

struct tls *
tls_new_est(const struct config *cfg, struct app_err *err)
{
	return make(cfg, true, err);
}

bool
tls_reload(struct tls *t, const struct config *cfg, struct app_err *err)
{
	char desc[sizeof(t->desc)];
	SSL_CTX *ctx = build(cfg, t->est, desc, sizeof(desc), err);
	SSL_CTX *old;

	if (ctx == NULL)
		return false;
	pthread_mutex_lock(&t->lock);
	old = t->cur;
	t->cur = ctx;
	memcpy(t->desc, desc, sizeof(desc));
	pthread_mutex_unlock(&t->lock);
	/* Connections made from the old context hold their own references. */
	SSL_CTX_free(old);
	return true;
}

SSL_CTX *
tls_acquire(struct tls *t)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&t->lock);
	ctx = t->cur;
	SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&t->lock);
	return ctx;
}

const char *
tls_describe(struct tls *t, char *buf, size_t size)
{
	pthread_mutex_lock(&t->lock);
	snprintf(buf, size, "%s", t->desc);
	pthread_mutex_unlock(&t->lock);
	return buf;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->cur);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
