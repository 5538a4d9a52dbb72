/*
 * est.c: the EST listener's requests (see est.h).  Top to bottom:
 *
 *   resource     the path and method (404, 405), the size (413), the
 *                per-address rate limit (429)
 *   cacerts      the CAPF CA as certs-only PKCS#7, prepared at start
 *   enroll       the request (base64 PKCS#10) read and parsed (400); the
 *                phone its CN names locked; est_decide(); then either
 *                capf_ops_issue() (the LSC, recorded as `capf issue` does)
 *                or repo_capf_fail() (the refusal's status), in one
 *                transaction with its audit
 *   csrattrs     what the phone's profile orders, when the credentials
 *                name a phone
 *
 * Secrets (authentication strings, keys) never reach a log line or an
 * answer.
 */
#include "est.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>

#include "soapH.h"

#include "auth.h"
#include "backoff.h"
#include "capf_ops.h"
#include "db.h"
#include "est_rules.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "repo_capf.h"
#include "worker.h"
#include "xbuf.h"

#define EST_PREFIX "/.well-known/est/"
#define EST_DISCARD_MAX (1024 * 1024)
#define P7_TYPE "application/pkcs7-mime; smime-type=certs-only"
#define B64_HEADER "Content-Transfer-Encoding: base64\r\n"

static const struct capf_trust *est_trust;
static struct xbuf cacerts; /* base64 PKCS#7 of the CAPF CA, made once */
static struct est_rate rate;

bool
est_enabled(const struct config *cfg)
{
	return cfg->capf_listen[0] != '\0' && cfg->capf_cert[0] != '\0';
}

/* DER bytes as base64 in lines of 64 (what `openssl base64 -d` reads). */
static void
put_base64(struct xbuf *out, const unsigned char *der, size_t len)
{
	unsigned char line[65];

	for (size_t i = 0; i < len; i += 48) {
		int n = EVP_EncodeBlock(line, der + i, (int) (len - i < 48 ? len - i : 48));

		xbuf_put(out, (const char *) line, (size_t) n);
		xbuf_puts(out, "\r\n");
	}
}

/* One certificate as certs-only PKCS#7 (RFC 7030 4.1.3), base64. */
static bool
p7_base64(X509 *x, struct xbuf *out)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	int len = -1;

	if (p7 != NULL && PKCS7_set_type(p7, NID_pkcs7_signed) == 1 &&
	    PKCS7_content_new(p7, NID_pkcs7_data) == 1 && PKCS7_add_certificate(p7, x) == 1)
		len = i2d_PKCS7(p7, &der);
	PKCS7_free(p7);
	if (len <= 0)
		return false;
	put_base64(out, der, (size_t) len);
	OPENSSL_free(der);
	return !out->oom;
}

static bool
pem_p7_base64(const char *pem, struct xbuf *out)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	bool ok = x != NULL && p7_base64(x, out);

	X509_free(x);
	BIO_free(b);
	return ok;
}

bool
est_running(void)
{
	return est_trust != NULL;
}

bool
est_init(const struct config *cfg, const struct capf_trust *trust, struct app_err *err)
{
	FILE *f = fopen(cfg->capf_cert, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	bool ok;

	if (f != NULL)
		fclose(f);
	xbuf_init(&cacerts);
	ok = x != NULL && p7_base64(x, &cacerts);
	X509_free(x);
	if (!ok)
		return app_err_set(err, APP_E_INVALID_VALUE, "capf_cert",
				   "cannot read the CAPF CA certificate %s for EST",
				   cfg->capf_cert);
	est_trust = trust;
	est_rate_init(&rate, cfg->capf_rate_limit);
	return true;
}

void
est_free(void)
{
	xbuf_free(&cacerts);
	est_trust = NULL;
}

/* --- the request's inputs ------------------------------------------------- */

/* The body, base64 (whitespace allowed) or PEM, into der (at most size
 * bytes); false when it is neither. */
static bool
decode_body(const char *body, size_t len, unsigned char *der, size_t size, size_t *out)
{
	static __thread char clean[EST_MAX_BODY + 4];
	size_t n = 0, pad = 0;
	int got;

	if (len >= 10 && strncmp(body, "-----BEGIN", 10) == 0 && len <= size) {
		memcpy(der, body, len); /* capf_check_request reads PEM too */
		*out = len;
		return true;
	}
	for (size_t i = 0; i < len && n < EST_MAX_BODY; i++)
		if (body[i] != '\r' && body[i] != '\n' && body[i] != ' ' && body[i] != '\t')
			clean[n++] = body[i];
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > size)
		return false;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	got = EVP_DecodeBlock(der, (const unsigned char *) clean, (int) n);
	if (got < 0)
		return false;
	*out = (size_t) got - pad;
	return true;
}

/* The request's subject CN, or false when it is not a PKCS#10 request. */
static bool
request_cn(const unsigned char *der, size_t len, char *cn, size_t size)
{
	BIO *b = BIO_new_mem_buf(der, (int) len);
	X509_REQ *req = NULL;
	bool ok;

	if (b != NULL && len >= 10 && memcmp(der, "-----BEGIN", 10) == 0)
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	else if (b != NULL)
		req = d2i_X509_REQ_bio(b, NULL);
	ok = req != NULL && X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
						      NID_commonName, cn, (int) size) > 0;
	X509_REQ_free(req);
	BIO_free(b);
	return ok;
}

/* The TLS client certificate, classified against the CAPF CA and mic_roots. */
static void
client_cert(struct worker *w, struct cert_facts *f)
{
	SSL *ssl = w->soap->ssl;
	X509 *leaf = ssl != NULL ? SSL_get1_peer_certificate(ssl) : NULL;

	memset(f, 0, sizeof(*f));
	f->kind = CERT_NONE;
	if (leaf != NULL)
		capf_cert_facts(est_trust, leaf, SSL_get_peer_cert_chain(ssl), time(NULL), f);
	X509_free(leaf);
}

static void
phone_view(const struct capf_phone *ph, struct est_phone_view *v)
{
	*v = (struct est_phone_view) { ph->name,      ph->auth_mode,   ph->auth_string,
				       ph->operation, ph->finish_time, ph->ships_mic,
				       ph->lsc_serial };
}

/* --- enrollment ------------------------------------------------------------ */

struct enrollment {
	enum est_op op;
	unsigned char der[EST_MAX_BODY];
	size_t len;
	char cn[128];
	struct capf_phone ph;
	struct est_phone_view view;
	struct cert_facts cert;
	struct est_verdict v;
	char actor[80];
};

/* A failure that is not the client's (database, CA): 503 or 500. */
static int
server_failure(struct worker *w, const struct app_err *err)
{
	metrics_enroll(METRICS_ENROLL_ERROR);
	log_msg(LOG_ERROR, "%s from %s failed: %s", w->req.op, w->req.peer, err->msg);
	if (err->code == APP_E_DB_UNAVAILABLE)
		return http_error(w, 503, "The database is not reachable; try again later.", 5,
				  false);
	return http_error(w, 500, "The enrollment could not be completed.", 0, false);
}

/* A request refused before any phone is involved: nothing changes. */
static int
refuse_early(struct worker *w, int status, const char *why)
{
	metrics_enroll(METRICS_ENROLL_REFUSED);
	log_msg(LOG_INFO, "%s from %s refused: %s", w->req.op, w->req.peer, why);
	return http_error(w, status, why, 0, false);
}

/* The body, waiting no longer than request_timeout for any of it: a
 * client that stalls halfway holds a worker no longer than that, even
 * where idle_timeout (the wait between requests) is longer. */
static char *
read_body(struct worker *w, size_t *len)
{
	struct soap *s = w->soap;
	int idle = s->recv_timeout;
	ULONG64 want = s->length; /* Content-Length, 0 if none */
	char *body;

	if (s->recv_timeout > (int) w->cfg->request_timeout)
		s->recv_timeout = (int) w->cfg->request_timeout;
	body = soap_http_get_body(s, len);
	s->recv_timeout = idle;
	/* Cut short (a stall, a close): nobody to answer. */
	return body != NULL && (want == 0 || *len >= want) ? body : NULL;
}

/* The body in, decoded, its CN read. */
static int
read_enrollment(struct worker *w, struct enrollment *e)
{
	size_t len = 0;
	char *body;

	http_body_begins(w);
	body = read_body(w, &len);
	if (body == NULL)
		return SOAP_EOF; /* the connection closes */
	if (len > EST_MAX_BODY)
		return http_error(w, 413, "The request is too large.", 0, true);
	if (!decode_body(body, len, e->der, sizeof(e->der), &e->len))
		return refuse_early(w, 400,
				    "The body is not a base64 PKCS#10 certificate request.");
	if (!request_cn(e->der, e->len, e->cn, sizeof(e->cn)))
		return refuse_early(w, 400,
				    "The body is not a PKCS#10 certificate request with a "
				    "subject CN (the device name).");
	return SOAP_OK;
}

/* The refusal's status (pending phones only) and its answer. */
static int
refuse(struct worker *w, struct enrollment *e)
{
	struct actor actor = { e->actor, w->req.peer, w->req.op, "" };
	struct app_err err = { 0 };
	bool changed = false;

	if (e->v.status != NULL && (!repo_capf_fail(w->db, &e->ph, e->v.status, e->v.end_operation,
						    &actor, &changed, &err) ||
				    !db_commit(w->db, &err)))
		return server_failure(w, &err);
	metrics_enroll(e->v.outcome);
	log_msg(LOG_INFO, "%s for %s from %s refused (%d): %s%s%s", w->req.op, e->ph.name,
		w->req.peer, e->v.http, e->v.why, changed ? "; certificateStatus " : "",
		changed ? e->v.status : "");
	return http_error(w, e->v.http, e->v.why, 0, false);
}

/* Signs and records; a request the rules refuse becomes a 400 refusal. */
static int
issue(struct worker *w, struct enrollment *e)
{
	struct actor actor = { e->actor, w->req.peer, w->req.op, "" };
	struct capf_issued c = { 0 };
	struct app_err err = { 0 };
	bool replaced = false;
	int rc;

	if (!capf_ops_issue(w->db, est_trust, w->cfg->capf_lsc_days, &e->ph, e->der, e->len, &actor,
			    e->op == EST_REENROLL, &c, &replaced, &err) ||
	    !db_commit(w->db, &err)) {
		capf_issued_free(&c);
		/* The request's own faults are found before any statement ran:
		 * the transaction (and the phone's lock) is still good. */
		if (err.code != APP_E_INVALID_VALUE && err.code != APP_E_RULE)
			return server_failure(w, &err);
		est_refuse_request(&e->view, err.msg, &e->v);
		return refuse(w, e);
	}
	metrics_enroll(e->v.outcome);
	log_msg(LOG_INFO, "%s for %s from %s: LSC serial %s%s", w->req.op, e->ph.name, w->req.peer,
		c.facts.serial, replaced ? " (replaces the previous LSC)" : "");
	xbuf_reset(&w->body);
	rc = pem_p7_base64(c.pem, &w->body) ? SOAP_OK : SOAP_EOM;
	capf_issued_free(&c);
	snprintf(w->extra_header, sizeof(w->extra_header), "%s", B64_HEADER);
	return rc == SOAP_OK ? http_send(w, 200, P7_TYPE, false) : rc;
}

/* Basic credentials while the address is in the login back-off: refused
 * unchecked, as AXL logins are. */
static bool
backed_off(struct worker *w, const struct enrollment *e)
{
	return strcmp(e->ph.auth_mode, "By Authentication String") == 0 &&
	       w->soap->userid != NULL && auth_backoff_blocked(w->req.peer);
}

static int
enroll(struct worker *w, enum est_op op)
{
	static __thread struct enrollment e;
	struct app_err err = { 0 };
	struct est_creds creds;
	int rc;

	memset(&e, 0, sizeof(e));
	e.op = op;
	if ((rc = read_enrollment(w, &e)) != SOAP_OK)
		return rc;
	if (!db_begin(w->db, &err) || !repo_capf_lock_phone(w->db, e.cn, &e.ph, &err))
		return err.code == APP_E_NOT_FOUND ?
			       refuse_early(w, 403, "No phone is named by the request's CN.") :
			       server_failure(w, &err);
	snprintf(e.actor, sizeof(e.actor), "capf:%s", e.ph.name);
	phone_view(&e.ph, &e.view);
	client_cert(w, &e.cert);
	if (backed_off(w, &e)) {
		metrics_enroll(METRICS_ENROLL_DENIED);
		return http_error(w, 401,
				  "Too many failed attempts from this address: try again "
				  "later.",
				  0, false);
	}
	creds = (struct est_creds) { w->soap->userid != NULL,
				     w->soap->userid ? w->soap->userid : "",
				     w->soap->passwd ? w->soap->passwd : "", &e.cert };
	est_decide(op, &e.view, &creds, time(NULL), &e.v);
	if (e.v.auth_checked)
		auth_backoff_result(w->req.peer, e.v.auth_ok);
	return e.v.http != 0 ? refuse(w, &e) : issue(w, &e);
}

static int
simpleenroll(struct worker *w)
{
	return enroll(w, EST_ENROLL);
}

static int
simplereenroll(struct worker *w)
{
	return enroll(w, EST_REENROLL);
}

/* --- cacerts and csrattrs -------------------------------------------------- */

static int
serve_cacerts(struct worker *w)
{
	xbuf_reset(&w->body);
	xbuf_put(&w->body, cacerts.data, cacerts.len);
	snprintf(w->extra_header, sizeof(w->extra_header), "%s", B64_HEADER);
	return http_send(w, 200, P7_TYPE, false);
}

/* The phone the credentials name and prove (Basic, or a client
 * certificate), locked into ph; 0 when there are none, 401 when they are
 * wrong. */
static int
csrattrs_phone(struct worker *w, struct capf_phone *ph)
{
	struct soap *s = w->soap;
	struct app_err err = { 0 };
	struct cert_facts f;
	struct est_phone_view v;
	char name[128];
	bool ok;

	client_cert(w, &f);
	if (s->userid != NULL && auth_backoff_blocked(w->req.peer))
		return 401;
	if (s->userid != NULL)
		snprintf(name, sizeof(name), "%s", s->userid);
	else
		est_cert_device(&f, name, sizeof(name));
	if (name[0] == '\0')
		return f.kind == CERT_NONE ? 0 : 401;
	ok = db_begin(w->db, &err) && repo_capf_lock_phone(w->db, name, ph, &err);
	phone_view(ph, &v);
	if (s->userid != NULL) {
		ok = ok && est_string_matches(ph->auth_string, s->passwd ? s->passwd : "");
		auth_backoff_result(w->req.peer, ok);
	} else {
		ok = ok && est_cert_valid(&v, &f);
	}
	db_rollback(w->db);
	return ok ? 200 : 401;
}

static int
serve_csrattrs(struct worker *w)
{
	static __thread struct capf_phone ph;
	unsigned char der[512];
	size_t n;
	int who;

	memset(&ph, 0, sizeof(ph));
	who = csrattrs_phone(w, &ph);
	if (who == 401)
		return http_error(w, 401,
				  "The credentials do not prove a phone: an HTTP user "
				  "and authentication string, or the phone's LSC or MIC.",
				  0, false);
	n = who == 200 ? est_csrattrs(ph.key_order, ph.ec_key_size, der, sizeof(der)) :
			 est_csrattrs(NULL, NULL, der, sizeof(der));
	xbuf_reset(&w->body);
	put_base64(&w->body, der, n);
	snprintf(w->extra_header, sizeof(w->extra_header), "%s", B64_HEADER);
	return http_send(w, 200, "application/csrattrs", false);
}

/* --- the resources --------------------------------------------------------- */

static const struct resource {
	const char *name; /* after EST_PREFIX */
	int method;       /* SOAP_GET or SOAP_POST */
	const char *op;   /* metrics and the request log */
	int (*serve)(struct worker *w);
} resources[] = {
	{ "cacerts", SOAP_GET, METRICS_OP_EST_CACERTS, serve_cacerts },
	{ "simpleenroll", SOAP_POST, METRICS_OP_EST_ENROLL, simpleenroll },
	{ "simplereenroll", SOAP_POST, METRICS_OP_EST_REENROLL, simplereenroll },
	{ "csrattrs", SOAP_GET, METRICS_OP_EST_CSRATTRS, serve_csrattrs },
};

static const struct resource *
find_resource(const char *path)
{
	size_t n = strcspn(path, "?");

	if (strncmp(path, EST_PREFIX, strlen(EST_PREFIX)) != 0)
		return NULL;
	path += strlen(EST_PREFIX);
	n -= strlen(EST_PREFIX);
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		if (strlen(resources[i].name) == n && strncmp(path, resources[i].name, n) == 0)
			return &resources[i];
	return NULL;
}

static int
limited(struct worker *w, const struct resource *r)
{
	char addr[BACKOFF_ADDR_MAX];

	backoff_address(w->req.peer, addr);
	if (est_rate_allow(&rate, addr, time(NULL)))
		return SOAP_OK;
	if (r->method == SOAP_POST)
		metrics_enroll(METRICS_ENROLL_RATE_LIMITED);
	return http_error(w, 429, "Too many requests from this address; try again in a minute.", 60,
			  true);
}

int
est_serve(struct worker *w, int rc)
{
	struct soap *s = w->soap;
	const struct resource *r = find_resource(s->path);
	char msg[128];

	snprintf(w->req.op, sizeof(w->req.op), "%s", r ? r->op : METRICS_OP_EST_OTHER);
	if (rc != SOAP_OK && rc != SOAP_STOP)
		return rc;
	if (r == NULL || est_trust == NULL)
		return http_error(w, 404,
				  "No such EST resource: see /.well-known/est/cacerts, "
				  "simpleenroll, simplereenroll, csrattrs.",
				  0, true);
	if (s->status != r->method) {
		snprintf(msg, sizeof(msg), "Use HTTP %s for %s.",
			 r->method == SOAP_GET ? "GET" : "POST", r->name);
		return http_error(w, 405, msg, 0, true);
	}
	if (s->length > EST_MAX_BODY) {
		snprintf(msg, sizeof(msg), "The request is too large: the limit is %d bytes.",
			 EST_MAX_BODY);
		/* A TLS connection is not drained after an answer: a body up to
		 * EST_DISCARD_MAX is read (and dropped) first, so that the client
		 * gets the 413 instead of a reset. */
		if (s->length <= EST_DISCARD_MAX) {
			size_t len;

			http_body_begins(w);
			(void) soap_http_get_body(s, &len);
		}
		return http_error(w, 413, msg, 0, true);
	}
	if ((rc = limited(w, r)) != SOAP_OK)
		return rc;
	return r->serve(w);
}
