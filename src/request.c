/*
 * request.c: the one owner of a request.  request_serve() reads top to
 * bottom:
 *
 *   HTTP head      gSOAP's parser under http.c's hooks, which only record
 *                  and limit; then what framing says (404, 405, 413, 599)
 *   public GET     the console's files (/ccmadmin/), before anyone is asked
 *   authenticate   who is asking (auth.c: Basic credentials, back-off)
 *   GET            the resource the path names (pages.c)
 *   POST           the envelope up to the body's first element, then
 *     route        which operation (the element) ...
 *     authorise    ... may this caller run it (ops.c) ...
 *     version      ... in which AXL version
 *     gate         the write throttle (observe.c)
 *     adapter      gSOAP's dispatcher into svc_*.c (then rules, repositories)
 *   (EST)          a connection of the EST listener goes to est.c after
 *                  its head instead: same framing, log and metrics
 *   answer         a failure on the way is mapped once, in answer_failure(),
 *                  and sent by http_error() or as an AXL fault
 *
 * Each step's state stays in its module; the request's facts are w->req.
 */
#include "request.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "soapH.h"

#include "ops.h"
#include "auth.h"
#include "axl_fault.h"
#include "db.h"
#include "est.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "observe.h"
#include "pages.h"
#include "version.h"
#include "worker.h"

/* Our namespace table: the AXL row matches every version's URI; the
 * version actually received is read back from the context's copy. */
SOAP_NMAC struct Namespace namespaces[] = {
	{ "SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/",
	  "http://www.w3.org/*/soap-envelope", NULL },
	{ "SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/",
	  "http://www.w3.org/*/soap-encoding", NULL },
	{ "xsi", "http://www.w3.org/2001/XMLSchema-instance",
	  "http://www.w3.org/*/XMLSchema-instance", NULL },
	{ "xsd", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/*/XMLSchema", NULL },
	{ "svc", "http://www.cisco.com/AXLAPIService/", NULL, NULL },
	{ "ns", "http://www.cisco.com/AXL/API/14.0", AXL_NS_PREFIX "*", NULL },
	{ NULL, NULL, NULL, NULL },
};
#define NS_AXL 5

static void
request_begin(struct worker *w)
{
	struct request *r = &w->req;

	r->version = 0;
	r->op[0] = r->user[0] = r->role[0] = r->sql[0] = '\0';
	r->status = r->axlcode = 0;
	r->throttled = false;
	r->request_id[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	xbuf_reset(&w->body);
	http_begin(w);
	soap_set_namespaces(w->soap, namespaces);
}

/* Who is asking: the Basic credentials gSOAP parsed from the head. */
static int
authenticate(struct worker *w)
{
	struct soap *s = w->soap;

	switch (auth_check(w->db, s->userid, s->passwd, w->req.peer, w->req.role)) {
	case AUTH_OK:
		snprintf(w->req.user, sizeof(w->req.user), "%s", s->userid);
		return SOAP_OK;
	case AUTH_UNAVAILABLE:
		return http_error(w, 503, "The user database is not reachable; try again later.", 5,
				  true);
	case AUTH_BACKOFF:
		log_msg(LOG_INFO, "login from %s refused: too many failed logins (back-off)",
			w->req.peer);
		return http_error(w, 401,
				  "Too many failed logins from this address: "
				  "try again later.",
				  0, true);
	case AUTH_DENIED:
	default:
		log_msg(LOG_INFO, "authentication failed for user \"%.64s\" from %s",
			s->userid ? s->userid : "", w->req.peer);
		return http_error(w, 401,
				  "Authentication failed: valid AXL API credentials "
				  "are required.",
				  0, true);
	}
}

/* The GET resources: the operation name each is filed under, and whether
 * it is public (served without credentials: what toolchains read before
 * they log in, and nothing else). */
static const struct {
	const char *op;
	bool public;
	int (*serve)(struct worker *w);
} get_pages[] = {
	[HTTP_RES_AXL] = { METRICS_OP_GET_PAGE, false, pages_service },
	[HTTP_RES_APPLY_STATUS] = { METRICS_OP_GET_STATUS, false, pages_apply_status },
	[HTTP_RES_METRICS] = { METRICS_OP_GET_METRICS, false, pages_metrics },
	[HTTP_RES_ROOT] = { METRICS_OP_GET_ROOT, true, pages_root },
	[HTTP_RES_UDS_VERSION] = { METRICS_OP_GET_UDS_VERSION, true, pages_uds_version },
	[HTTP_RES_CONSOLE] = { METRICS_OP_GET_CONSOLE, true, pages_console },
};

/* A GET: the resource its path names. */
static int
serve_get(struct worker *w)
{
	enum http_resource res = http_resource(w);

	snprintf(w->req.op, sizeof(w->req.op), "%s", get_pages[res].op);
	return get_pages[res].serve(w);
}

/* Route: the operation is the body's first element, peeked (not read). */
static int
route(struct worker *w)
{
	struct soap *s = w->soap;
	const char *colon;

	if (soap_peek_element(s) != SOAP_OK)
		return s->error;
	colon = strchr(s->tag, ':');
	snprintf(w->req.op, sizeof(w->req.op), "%.63s", colon ? colon + 1 : s->tag);
	return SOAP_OK;
}

/* May the caller run it?  A read-only user's write: 401, as CUCM answers. */
static int
authorise(struct worker *w)
{
	if (access_allowed(w->req.role, w->req.op))
		return SOAP_OK;
	return http_error(w, 401,
			  "This AXL user has read-only access: write operations "
			  "are not permitted.",
			  0, true);
}

/* Which AXL version: the operation element's namespace (any prefix; the
 * table's wildcard row records the URI received), unless SOAPAction names
 * one.  1.0 reaches only getCCMVersion (version.c); an operation newer than
 * the version asked for is not there, as in that version's schema. */
static int
resolve_version(struct worker *w)
{
	struct soap *s = w->soap;
	const char *uri = soap_current_namespace_tag(s, s->tag);
	char msg[256];

	if (uri == NULL || strncmp(uri, AXL_NS_PREFIX, strlen(AXL_NS_PREFIX)) != 0)
		return SOAP_NO_METHOD;
	if (s->local_namespaces[NS_AXL].out != NULL)
		uri = s->local_namespaces[NS_AXL].out;
	w->req.version = axl_version_resolve(s->action, uri, w->req.op);
	if (axl_version_supported(w->req.version))
		return axl_version_has_op(w->req.version, w->req.op) ? SOAP_OK : SOAP_NO_METHOD;
	w->req.version = 0;
	snprintf(msg, sizeof(msg), "Incorrect axl version. Supported axl versions are %s",
		 axl_version_list());
	return http_error(w, 599, msg, 0, true);
}

/* The rest of the request, read as the adapter would (it may be chunked,
 * or pipelined behind more) but not run: after a refusal that keeps the
 * connection. */
static int
skip_body(struct soap *s)
{
	if (soap_ignore_element(s) != SOAP_OK || soap_body_end_in(s) != SOAP_OK ||
	    soap_envelope_end_in(s) != SOAP_OK || soap_end_recv(s) != SOAP_OK)
		return s->error;
	return SOAP_OK;
}

/* The write gate: a refused write gets 503 with Retry-After once its body
 * is read, and its connection stays open. */
static int
gate(struct worker *w)
{
	char msg[160];
	int retry;
	enum throttle_verdict v = observe_gate(w->db, &w->req, &retry);

	if (v == THROTTLE_PASS)
		return SOAP_OK;
	if (skip_body(w->soap) != SOAP_OK)
		return w->soap->error;
	w->req.throttled = true;
	snprintf(msg, sizeof(msg),
		 v == THROTTLE_BACKLOG ?
			 "The change notification queue is full; retry the write in %d seconds." :
			 "Too many write requests; retry the write in %d seconds.",
		 retry);
	return http_error(w, 503, msg, retry, false);
}

/* A POST: the envelope up to the body's first element (soap_begin_serve()
 * would answer some failures with gSOAP's own fault; these three steps are
 * the same minus that), then route, authorise, version, gate, adapter. */
static int
serve_soap(struct worker *w)
{
	struct soap *s = w->soap;
	int rc;

	http_body_begins(w);
	if (soap_envelope_begin_in(s) != SOAP_OK || soap_recv_header(s) != SOAP_OK ||
	    soap_body_begin_in(s) != SOAP_OK)
		return s->error;
	if ((rc = route(w)) != SOAP_OK || (rc = authorise(w)) != SOAP_OK ||
	    (rc = resolve_version(w)) != SOAP_OK || (rc = gate(w)) != SOAP_OK)
		return rc;
	return soap_serve_request(s);
}

/* The head is read; rc is how gSOAP began on what follows it (SOAP_OK for
 * a POST's body, SOAP_STOP after a GET's).  Framing's verdict and the
 * caller's identity come before anything else gSOAP may have to say. */
static int
after_head(struct worker *w, int rc)
{
	char msg[160];
	int status = http_check_head(w, msg, sizeof(msg));
	int who;

	if (status != 0)
		return http_error(w, status, msg, 0, true);
	/* Public pages (the console signs in through AXL itself). */
	if (rc == SOAP_STOP && get_pages[http_resource(w)].public)
		return serve_get(w);
	if ((who = authenticate(w)) != SOAP_OK)
		return who;
	if (rc == SOAP_OK)
		return serve_soap(w);
	if (rc == SOAP_STOP)
		return serve_get(w);
	return rc;
}

/* A request that failed before it was answered: the one place that says
 * what the client is told. */
static void
answer_failure(struct worker *w, int rc)
{
	struct soap *s = w->soap;
	char msg[512];
	int status = http_check_body(w, rc, msg, sizeof(msg));

	if (status > 0) {
		http_error(w, status, msg, 0, true);
		return;
	}
	/* The peer went away or stalled past a timeout, or sent more than
	 * max_body without a Content-Length: nobody, or nothing useful, to
	 * tell; the connection closes. */
	if (status < 0 || rc == SOAP_EOF)
		return;
	if (w->req.site == SITE_EST) { /* no SOAP there: no fault either */
		http_error(w, 400, "Malformed request.", 0, true);
		return;
	}
	if (rc == SOAP_NO_METHOD) {
		snprintf(msg, sizeof(msg),
			 "The endpoint reference (EPR) for the Operation not found is "
			 "/axl/services/AXLAPIService and the WSA Action = CUCM:DB ver=%s %s",
			 w->req.version ? axl_version_ns(w->req.version) + strlen(AXL_NS_PREFIX) :
					  "14.0",
			 w->req.op[0] ? w->req.op : "(none)");
		axl_fault_plain(w, true, msg);
		return;
	}
	soap_set_fault(s);
	if (rc == SOAP_TYPE || rc == SOAP_OCCURS || rc == SOAP_LENGTH || rc == SOAP_REQUIRED ||
	    rc == SOAP_PROHIBITED || rc == SOAP_EMPTY) {
		snprintf(msg, sizeof(msg), "Invalid request: %s",
			 *soap_faultstring(s) ? *soap_faultstring(s) : "bad value");
		axl_fault_plain(w, true, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "Malformed request: %s",
		 *soap_faultstring(s) ? *soap_faultstring(s) : "unreadable XML");
	http_error(w, 599, msg, 0, true);
}

/* Accounting, and nothing of the request left behind in the worker. */
static enum request_end
request_finish(struct worker *w)
{
	struct soap *s = w->soap;
	bool keep = http_keep_alive(w);

	if (w->req.status != 0)
		observe_request_done(w->id, &w->req);
	/* A transaction never outlives its request, even one whose
	 * connection was lost (db.c refuses statements until then). */
	db_rollback(w->db);
	/* gSOAP keeps its read buffer (a pipelined request) only with this. */
	s->keep_alive = keep ? 1 : 0;
	/* Free the request's arena.  Not soap_end(): its soap_free_temp()
	 * clears gSOAP's id tables, which soap_begin_recv() does again for
	 * the next request anyway (a third of gSOAP's cost). */
	soap_destroy(s);
	soap_dealloc(s, NULL);
	return keep ? REQUEST_KEEP : http_body_unread(w) ? REQUEST_DRAIN : REQUEST_CLOSE;
}

enum request_end
request_serve(struct worker *w)
{
	int rc;

	request_begin(w);
	rc = soap_begin_recv(w->soap);
	if (http_head_read(w))
		rc = w->req.site == SITE_EST ? est_serve(w, rc) : after_head(w, rc);
	else if (rc == SOAP_OK)
		rc = SOAP_EOF; /* bare XML without an HTTP head: no credentials, not served */
	if (rc != SOAP_OK && rc != SOAP_STOP && w->req.status == 0)
		answer_failure(w, rc);
	return request_finish(w);
}

bool
request_init(const struct config *cfg)
{
	return observe_init(cfg);
}

void
request_free(void)
{
	observe_free();
}

bool
request_worker_init(struct worker *w, int id, const struct soap *tmpl, const struct config *cfg)
{
	w->id = id;
	w->cfg = cfg;
	xbuf_init(&w->body);
	xbuf_init(&w->wire);
	w->soap = soap_copy(tmpl);
	w->db = db_open(cfg->database_url);
	if (w->soap == NULL || w->db == NULL || !http_install(w))
		return false;
	w->soap->user = w;
	return true;
}

void
request_worker_free(struct worker *w)
{
	if (w->soap != NULL) {
		soap_destroy(w->soap);
		soap_end(w->soap);
		soap_free(w->soap);
	}
	db_close(w->db);
	http_uninstall(w);
	xbuf_free(&w->body);
	xbuf_free(&w->wire);
}
