/*
 * http.c: HTTP handling around gSOAP.  gSOAP parses the request line and
 * headers; our fparse hook then decides, before any XML is read, whether
 * the request may go on (path, method, size, credentials).  Every response,
 * success or error, is assembled in the worker's wire buffer and written in
 * one send, with the headers CUCM sends.
 */
#define _GNU_SOURCE /* strcasestr, memmem */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "soapH.h"

#include "apply_status.h"
#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "observe.h"
#include "reqlog.h"
#include "worker.h"

/* gSOAP's own hooks, wrapped by ours (the same for every context). */
static int (*parse0)(struct soap *);
static int (*parsehdr0)(struct soap *, const char *, const char *);
static size_t (*recv0)(struct soap *, char *, size_t);

static const char page_get[] =
	"<html><head><title>Cisco CallManager: AXL Web Service</title></head>"
	"<body><h1>Cisco CallManager: AXL Web Service</h1>"
	"<p>The AXL Web Service is working and accepting requests.<br/>"
	"Use HTTP POST to send a request.</p></body></html>";

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";   /* 599 has no standard phrase; CUCM sends none */
	}
}

/* "Date: ..." for now, formatted once a second per thread. */
static const char *
http_date(void)
{
	static __thread time_t last;
	static __thread char text[48];
	time_t now = time(NULL);

	if (now != last) {
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(text, sizeof(text), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		last = now;
	}
	return text;
}

static int
send_full(struct worker *w, int status, const char *content_type, const char *extra)
{
	struct soap *s = w->soap;
	char num[64];

	xbuf_reset(&w->wire);
	snprintf(num, sizeof(num), "HTTP/1.1 %d ", status);
	xbuf_puts(&w->wire, num);
	xbuf_puts(&w->wire, reason(status));
	xbuf_puts(&w->wire, "\r\n");
	xbuf_puts(&w->wire, http_date());
	xbuf_puts(&w->wire, "Content-Type: ");
	xbuf_puts(&w->wire, content_type);
	snprintf(num, sizeof(num), "\r\nContent-Length: %zu\r\n", w->body.len);
	xbuf_puts(&w->wire, num);
	xbuf_puts(&w->wire, "X-Frame-Options: SAMEORIGIN\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "X-XSS-Protection: 1; mode=block\r\n"
			    "Content-Security-Policy: default-src 'self'\r\n");
	if (w->req.tls)
		xbuf_puts(&w->wire, "Strict-Transport-Security: max-age=31536000; includeSubdomains\r\n");
	xbuf_puts(&w->wire, "Server: \r\n");
	if (w->req.request_id[0] == '\0')
		reqlog_new_id(w->req.request_id);
	xbuf_puts(&w->wire, "X-Request-Id: ");
	xbuf_puts(&w->wire, w->req.request_id);
	xbuf_puts(&w->wire, "\r\n");
	if (extra != NULL)
		xbuf_puts(&w->wire, extra);
	if (w->close)
		xbuf_puts(&w->wire, "Connection: close\r\n");
	xbuf_puts(&w->wire, "\r\n");
	if (w->body.oom || w->wire.oom) {
		log_msg(LOG_ERROR, "out of memory building a %zu-byte response", w->body.len);
		w->close = true;
		return s->error = SOAP_EOM;
	}
	xbuf_put(&w->wire, w->body.data ? w->body.data : "", w->body.len);
	w->answered = true;
	w->req.status = status;
	/* gSOAP closes after its own handling (e.g. of GET) unless this is set. */
	s->keep_alive = w->close ? 0 : 1;
	if (s->fsend(s, w->wire.data, w->wire.len) != SOAP_OK) {
		w->close = true;
		return s->error = SOAP_EOF;
	}
	return s->error = SOAP_STOP;
}

int
http_send(struct worker *w, int status, const char *content_type)
{
	return send_full(w, status, content_type, w->extra_header[0] ? w->extra_header : NULL);
}

/* The Cisco-style HTML error page, into w->body. */
static void
page_body(struct worker *w, int status, const char *message)
{
	xbuf_reset(&w->body);
	xbuf_printf(&w->body,
		    "<!-- custom Cisco error page -->\n"
		    "<html><head><title>Cisco System - null</title></head><body>"
		    "<div class=\"content-header\">HTTP Status %d \xe2\x80\x93 %s</div>"
		    "<div class=\"content\"><p>Description: http.%d</p><p>",
		    status, reason(status), status);
	xbuf_put_escaped(&w->body, message);
	xbuf_puts(&w->body, "</p></div></body></html>");
}

int
http_send_page(struct worker *w, int status, const char *message)
{
	const char *extra = NULL;

	page_body(w, status, message);
	if (status == 401)
		extra = "WWW-Authenticate: Basic realm=\"Cisco AXL API\"\r\n";
	else if (status == 503)
		extra = "Retry-After: 5\r\n";
	/* The request body may be unread: the connection cannot be reused. */
	w->close = true;
	return send_full(w, status, "text/html;charset=utf-8", extra);
}

int
http_send_busy(struct worker *w, int retry_after, const char *message)
{
	char extra[40];

	page_body(w, 503, message);
	snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", retry_after);
	return send_full(w, 503, "text/html;charset=utf-8", extra);
}

int
http_send_guard_page(struct worker *w)
{
	char msg[160];

	if (w->guard.result == XMLGUARD_TOO_DEEP)
		snprintf(msg, sizeof(msg), "Malformed request: XML nested deeper than %ld levels.",
			 w->cfg->max_depth);
	else
		snprintf(msg, sizeof(msg), "Malformed request: %s.",
			 xmlguard_message(w->guard.result));
	return http_send_page(w, 599, msg);
}

static bool
chunked(const struct soap *s)
{
	return (s->imode & SOAP_IO) == SOAP_IO_CHUNK;
}

#define STATUS_PREFIX "/axl/status/apply/"

static bool
status_path(const char *path)
{
	return strncmp(path, STATUS_PREFIX, strlen(STATUS_PREFIX)) == 0 &&
	       path[strlen(STATUS_PREFIX)] != '\0';
}

static bool
path_ok(const char *path)
{
	size_t n = strcspn(path, "?");

	return (n == 4 && strncmp(path, "/axl", 4) == 0) ||
	       (n == 5 && strncmp(path, "/axl/", 5) == 0) || status_path(path) ||
	       (n == 8 && strncmp(path, "/metrics", 8) == 0);
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* GET /axl/status/apply/<id>: id percent-decoded, query string ignored. */
static int
send_status(struct worker *w, const char *path)
{
	char id[256];
	size_t n = 0;
	struct app_err err = { 0 };

	for (const char *p = path + strlen(STATUS_PREFIX); *p && *p != '?' && n + 1 < sizeof(id);
	     p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			id[n++] = (char) (hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			id[n++] = *p;
		}
	}
	id[n] = '\0';
	xbuf_reset(&w->body);
	if (apply_status_json(w->db, id, &w->body, &err))
		return http_send(w, 200, "application/json");
	xbuf_reset(&w->body);
	apply_status_error_json(&w->body, err.msg);
	return http_send(w, err.code == APP_E_NOT_FOUND ? 404 :
			    err.code == APP_E_DB_UNAVAILABLE ? 503 : 500, "application/json");
}

static int
on_parse(struct soap *s)
{
	struct worker *w = s->user;
	int rc = parse0(s);

	if (rc != SOAP_OK)
		return rc;
	/* HTTP/1.0 closes unless it asked to keep the connection. */
	if (w->http10 && !w->keepalive_header)
		w->close = true;
	if (!path_ok(s->path))
		return http_send_page(w, 404, "The requested resource is not available.");
	/* From here on the parser reads the body: stop it at Content-Length,
	 * so that a truncated envelope is answered instead of waited on. */
	if (s->length > 0 || (s->status == SOAP_POST && !chunked(s))) {
		long long buffered = (long long) (s->buflen - s->bufidx);

		w->body_left = (long long) s->length > buffered ?
			       (long long) s->length - buffered : 0;
	}
	w->body_unread = true;
	if (s->status != SOAP_POST && s->status != SOAP_GET)
		return http_send_page(w, 405, "Use HTTP POST for AXL requests.");
	if (s->status == SOAP_POST && status_path(s->path))
		return http_send_page(w, 405, "Use HTTP GET for the apply status.");
	if (s->status == SOAP_POST && strncmp(s->path, "/metrics", 8) == 0)
		return http_send_page(w, 405, "Use HTTP GET for the metrics.");
	if (s->status == SOAP_POST) {
		/* The guard sees the body from its first byte: what gSOAP has
		 * buffered already, then every read (on_recv). */
		xmlguard_init(&w->guard, (unsigned) w->cfg->max_depth);
		w->guarding = true;
		if (xmlguard_feed(&w->guard, s->buf + s->bufidx, s->buflen - s->bufidx) !=
		    XMLGUARD_OK)
			return http_send_guard_page(w);
	}
	if (s->length > (ULONG64) w->cfg->max_body) {
		char msg[128];

		snprintf(msg, sizeof(msg), "The request body exceeds the limit of %ld bytes.",
			 w->cfg->max_body);
		return http_send_page(w, 413, msg);
	}
	switch (auth_check(w->db, s->userid, s->passwd, w->req.peer, w->req.role)) {
	case AUTH_OK:
		snprintf(w->req.user, sizeof(w->req.user), "%s", s->userid);
		break;
	case AUTH_UNAVAILABLE:
		return http_send_page(w, 503, "The user database is not reachable; try again later.");
	case AUTH_DENIED:
		log_msg(LOG_INFO, "authentication failed for user \"%.64s\" from %s",
			s->userid ? s->userid : "", w->req.peer);
		return http_send_page(w, 401, "Authentication failed: valid AXL API credentials are required.");
	case AUTH_BACKOFF:
		log_msg(LOG_INFO, "login from %s refused: too many failed logins (back-off)",
			w->req.peer);
		return http_send_page(w, 401, "Too many failed logins from this address: "
				      "try again later.");
	}
	w->body_unread = false;
	return SOAP_OK;
}

static int
on_parsehdr(struct soap *s, const char *key, const char *val)
{
	struct worker *w = s->user;

	if (strcasecmp(key, "Connection") == 0) {
		if (strcasestr(val, "close") != NULL)
			w->close = true;
		if (strcasestr(val, "keep-alive") != NULL)
			w->keepalive_header = true;
	}
	return parsehdr0(s, key, val);
}

static int
on_get(struct soap *s)
{
	struct worker *w = s->user;

	if (status_path(s->path)) {
		snprintf(w->req.op, sizeof(w->req.op), "%s", METRICS_OP_GET_STATUS);
		return send_status(w, s->path);
	}
	if (strncmp(s->path, "/metrics", 8) == 0) {
		snprintf(w->req.op, sizeof(w->req.op), "%s", METRICS_OP_GET_METRICS);
		return observe_metrics_page(w);
	}
	snprintf(w->req.op, sizeof(w->req.op), "%s", METRICS_OP_GET_PAGE);
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, page_get);
	return http_send(w, 200, "text/html;charset=ISO-8859-1");
}

static size_t
on_recv(struct soap *s, char *buf, size_t len)
{
	struct worker *w = s->user;
	size_t n;

	if (w->body_left >= 0) {
		if (w->body_left == 0) {
			w->body_capped = true;
			return 0;
		}
		if ((long long) len > w->body_left)
			len = (size_t) w->body_left;
	}
	n = recv0(s, buf, len);
	if (n == 0) {
		w->peer_eof = true;
		return 0;
	}
	if (w->body_left >= 0)
		w->body_left -= (long long) n;
	if (w->first_read) {
		/* The request line: "METHOD /path HTTP/1.x\r\n". */
		const char *eol = memchr(buf, '\n', n < 512 ? n : 512);

		w->first_read = false;
		w->http10 = eol != NULL && eol - buf >= 9 &&
			    memcmp(eol - 9, "HTTP/1.0", 8) == 0;
	}
	if (w->guarding && xmlguard_feed(&w->guard, buf, n) != XMLGUARD_OK)
		return 0;   /* answered by the serve loop */
	return n;
}

void
http_install(struct soap *soap)
{
	if (parse0 == NULL) {
		parse0 = soap->fparse;
		parsehdr0 = soap->fparsehdr;
		recv0 = soap->frecv;
	}
	soap->fparse = on_parse;
	soap->fparsehdr = on_parsehdr;
	soap->fget = on_get;
	soap->frecv = on_recv;
}

void
http_request_begin(struct worker *w)
{
	w->req.version = 0;
	w->extra_header[0] = '\0';
	w->keepalive_header = false;
	w->http10 = false;
	w->first_read = true;
	w->body_left = -1;
	w->body_capped = false;
	w->peer_eof = false;
	w->body_unread = false;
	w->answered = false;
	w->req.status = 0;
	w->req.axlcode = 0;
	w->req.role[0] = '\0';
	w->req.user[0] = '\0';
	w->req.op[0] = '\0';
	w->guarding = false;
	w->guard.result = XMLGUARD_OK;
	w->req.throttled = false;
	w->req.request_id[0] = '\0';
	xbuf_reset(&w->body);
	clock_gettime(CLOCK_MONOTONIC, &w->req.start);
}
