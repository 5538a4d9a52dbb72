/*
 * http.c: HTTP framing and limits around gSOAP (see http.h).  gSOAP parses
 * the request line and headers; our hooks note what the request's owner
 * needs to know (method, path, Connection, HTTP/1.0), stop the body at
 * its Content-Length so that a truncated envelope is answered instead of
 * waited on, and feed the raw body to the XML guard.  The method hooks
 * (GET, PUT, ...) do nothing: gSOAP returns, and the owner answers.
 */
#define _GNU_SOURCE /* strcasestr, memmem */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "soapH.h"

#include "log.h"
#include "reqlog.h"
#include "worker.h"
#include "xmlguard.h"

/* The framing of the current request; reset by http_begin(). */
struct http_state {
	bool head_read;         /* gSOAP parsed a request line and headers */
	bool close;             /* close the connection after the response */
	bool keepalive_header;  /* the request said Connection: keep-alive */
	bool http10;            /* the request line said HTTP/1.0 */
	bool first_read;        /* the next raw read starts a request */
	long long body_left;    /* body bytes not yet read (Content-Length), -1 = unknown */
	bool body_capped;       /* we ended the body at its Content-Length */
	bool peer_eof;          /* the peer closed its side */
	bool body_unread;       /* a body follows the head and nobody read it yet */
	bool guarding;          /* the body is being fed to the guard */
	bool no_challenge;      /* X-Requested-With: a script asks, a 401 has no
				    WWW-Authenticate (no browser password prompt) */
	bool console;           /* the response is a console file: its headers */
	char if_none_match[64]; /* the request's If-None-Match, or "" */
	struct xmlguard guard;  /* DTD, depth and UTF-8 checks on the raw body */
};

/* gSOAP's own hooks, wrapped by ours (the same for every context). */
static int (*parse0)(struct soap *);
static int (*parsehdr0)(struct soap *, const char *, const char *);
static size_t (*recv0)(struct soap *, char *, size_t);

/* --- writing responses ---------------------------------------------------- */

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Request Entity Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return ""; /* 599 has no standard phrase; CUCM sends none */
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

/* The hardening headers CUCM sends, and the console's stricter ones: its
 * pages load only their own files, run no inline script or style, are
 * never framed and send no Referer. */
static const char axl_headers[] = "X-Frame-Options: SAMEORIGIN\r\n"
				  "X-Content-Type-Options: nosniff\r\n"
				  "X-XSS-Protection: 1; mode=block\r\n"
				  "Content-Security-Policy: default-src 'self'\r\n";
static const char console_headers[] =
	"X-Frame-Options: DENY\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: no-referrer\r\n"
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; "
	"frame-ancestors 'none'\r\n"
	"Cache-Control: no-cache\r\n";

/* Status line and headers into w->wire. */
static void
put_head(struct worker *w, int status, const char *content_type, const char *extra)
{
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
	xbuf_puts(&w->wire, w->http->console ? console_headers : axl_headers);
	if (w->req.tls)
		xbuf_puts(&w->wire,
			  "Strict-Transport-Security: max-age=31536000; includeSubdomains\r\n");
	xbuf_puts(&w->wire, "Server: \r\n");
	if (w->req.request_id[0] == '\0')
		reqlog_new_id(w->req.request_id);
	xbuf_puts(&w->wire, "X-Request-Id: ");
	xbuf_puts(&w->wire, w->req.request_id);
	xbuf_puts(&w->wire, "\r\n");
	if (extra != NULL)
		xbuf_puts(&w->wire, extra);
	if (w->http->close)
		xbuf_puts(&w->wire, "Connection: close\r\n");
	xbuf_puts(&w->wire, "\r\n");
}

/* A body up to this size is copied behind the head and sent in one write
 * (one packet for a typical answer); a larger one is sent as it stands,
 * after the head, so that a big list or query answer is held in memory
 * once, not twice. */
#define COPY_MAX 16384

static int
send_parts(struct worker *w)
{
	struct soap *s = w->soap;
	const char *body = w->body.data ? w->body.data : "";

	if (w->body.len <= COPY_MAX) {
		xbuf_put(&w->wire, body, w->body.len);
		if (w->wire.oom)
			return SOAP_EOM;
		return s->fsend(s, w->wire.data, w->wire.len);
	}
	if (s->fsend(s, w->wire.data, w->wire.len) != SOAP_OK)
		return SOAP_EOF;
	return s->fsend(s, body, w->body.len);
}

static int
send_full(struct worker *w, int status, const char *content_type, const char *extra, bool close)
{
	struct soap *s = w->soap;

	if (close)
		w->http->close = true;
	put_head(w, status, content_type, extra);
	if (w->body.oom || w->wire.oom) {
		log_msg(LOG_ERROR, "out of memory building a %zu-byte response", w->body.len);
		w->http->close = true;
		return s->error = SOAP_EOM;
	}
	w->req.status = status;
	s->keep_alive = w->http->close ? 0 : 1;
	if (send_parts(w) != SOAP_OK) {
		w->http->close = true;
		return s->error = SOAP_EOF;
	}
	return s->error = SOAP_STOP;
}

int
http_send(struct worker *w, int status, const char *content_type, bool close)
{
	return send_full(w, status, content_type, w->extra_header[0] ? w->extra_header : NULL,
			 close);
}

/* An EST client (curl, a phone) gets the reason as plain text. */
static int
est_error(struct worker *w, int status, const char *message, const char *extra, bool close)
{
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, message);
	xbuf_puts(&w->body, "\n");
	return send_full(w, status, "text/plain; charset=utf-8", extra, close);
}

int
http_send_console(struct worker *w, int status, const char *content_type, const char *etag)
{
	char extra[96];

	w->http->console = true;
	snprintf(extra, sizeof(extra), "ETag: %s\r\n", etag);
	return send_full(w, status, content_type, extra, false);
}

const char *
http_if_none_match(const struct worker *w)
{
	return w->http->if_none_match;
}

int
http_error(struct worker *w, int status, const char *message, int retry_after, bool close)
{
	char extra[96];
	int n = 0;

	extra[0] = '\0';
	if (status == 401 && !w->http->no_challenge)
		n = snprintf(extra, sizeof(extra), "WWW-Authenticate: Basic realm=\"%s\"\r\n",
			     w->req.site == SITE_EST ? "axlprov EST" : "Cisco AXL API");
	if (retry_after > 0)
		snprintf(extra + n, sizeof(extra) - (size_t) n, "Retry-After: %d\r\n", retry_after);
	if (w->req.site == SITE_EST)
		return est_error(w, status, message, extra, close);
	xbuf_reset(&w->body);
	xbuf_printf(&w->body,
		    "<!-- custom Cisco error page -->\n"
		    "<html><head><title>Cisco System - null</title></head><body>"
		    "<div class=\"content-header\">HTTP Status %d \xe2\x80\x93 %s</div>"
		    "<div class=\"content\"><p>Description: http.%d</p><p>",
		    status, reason(status), status);
	xbuf_put_escaped(&w->body, message);
	xbuf_puts(&w->body, "</p></div></body></html>");
	return send_full(w, status, "text/html;charset=utf-8", extra, close);
}

/* --- what framing says ---------------------------------------------------- */

#define STATUS_PREFIX "/axl/status/apply/"
#define CONSOLE_PREFIX "/ccmadmin/"

/* The resource a path names, or -1. */
static int
path_resource(const char *path)
{
	size_t n = strcspn(path, "?");

	if ((n == 4 && strncmp(path, "/axl", 4) == 0) || (n == 5 && strncmp(path, "/axl/", 5) == 0))
		return HTTP_RES_AXL;
	if (strncmp(path, STATUS_PREFIX, strlen(STATUS_PREFIX)) == 0 &&
	    path[strlen(STATUS_PREFIX)] != '\0')
		return HTTP_RES_APPLY_STATUS;
	if (n == 8 && strncmp(path, "/metrics", 8) == 0)
		return HTTP_RES_METRICS;
	/* "/ccmadmin" too: CUCM's address as administrators type it. */
	if (strncmp(path, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) == 0 ||
	    (n == strlen(CONSOLE_PREFIX) - 1 && strncmp(path, CONSOLE_PREFIX, n) == 0))
		return HTTP_RES_CONSOLE;
	if (n == 1 && path[0] == '/')
		return HTTP_RES_ROOT;
	if (n == 17 && strncmp(path, "/cucm-uds/version", 17) == 0)
		return HTTP_RES_UDS_VERSION;
	return -1;
}

static int
refuse(char *msg, size_t size, int status, const char *text)
{
	snprintf(msg, size, "%s", text);
	return status;
}

static int
guard_refusal(const struct worker *w, char *msg, size_t size)
{
	if (w->http->guard.result == XMLGUARD_TOO_DEEP)
		snprintf(msg, size, "Malformed request: XML nested deeper than %ld levels.",
			 w->cfg->max_depth);
	else
		snprintf(msg, size, "Malformed request: %s.",
			 xmlguard_message(w->http->guard.result));
	return 599;
}

static int
too_large(const struct worker *w, char *msg, size_t size)
{
	snprintf(msg, size, "The request is too large to process: the limit is %ld bytes.",
		 w->cfg->max_body);
	return 413;
}

bool
http_head_read(const struct worker *w)
{
	return w->http->head_read;
}

int
http_check_head(const struct worker *w, char *msg, size_t size)
{
	const struct soap *s = w->soap;
	int res = path_resource(s->path);

	if (res < 0)
		return refuse(msg, size, 404, "The requested resource is not available.");
	if (s->status != SOAP_POST && s->status != SOAP_GET)
		return refuse(msg, size, 405, "Use HTTP POST for AXL requests.");
	if (s->status == SOAP_POST && res == HTTP_RES_APPLY_STATUS)
		return refuse(msg, size, 405, "Use HTTP GET for the apply status.");
	if (s->status == SOAP_POST && res == HTTP_RES_METRICS)
		return refuse(msg, size, 405, "Use HTTP GET for the metrics.");
	if (s->status == SOAP_POST && res == HTTP_RES_CONSOLE)
		return refuse(msg, size, 405, "Use HTTP GET for the console; AXL is at /axl/.");
	if (s->status == SOAP_POST && (res == HTTP_RES_ROOT || res == HTTP_RES_UDS_VERSION))
		return refuse(msg, size, 405, "Use HTTP GET for this page.");
	if (w->http->guard.result != XMLGUARD_OK)
		return guard_refusal(w, msg, size);
	if (s->length > (ULONG64) w->cfg->max_body)
		return too_large(w, msg, size);
	return 0;
}

enum http_resource
http_resource(const struct worker *w)
{
	int res = path_resource(w->soap->path);

	return res < 0 ? HTTP_RES_AXL : (enum http_resource) res;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
				      -1;
}

void
http_apply_status_id(const struct worker *w, char *id, size_t size)
{
	const char *p = w->soap->path + strlen(STATUS_PREFIX);
	size_t n = 0;

	for (; *p && *p != '?' && n + 1 < size; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			id[n++] = (char) (hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			id[n++] = *p;
		}
	}
	id[n] = '\0';
}

bool
http_console_name(const struct worker *w, char *name, size_t size)
{
	const char *p = w->soap->path;

	if (strncmp(p, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) != 0)
		return false;
	p += strlen(CONSOLE_PREFIX);
	snprintf(name, size, "%.*s", (int) strcspn(p, "?#"), p);
	return true;
}

void
http_body_begins(struct worker *w)
{
	w->http->body_unread = false;
}

int
http_check_body(const struct worker *w, int rc, char *msg, size_t size)
{
	const struct http_state *h = w->http;

	if (h->guard.result != XMLGUARD_OK)
		return guard_refusal(w, msg, size);
	if (h->peer_eof && !h->body_capped)
		return -1;
	if (rc == SOAP_EOF && h->body_capped)
		return refuse(msg, size, 599,
			      "Malformed request: the body is not a complete SOAP envelope.");
	/* gSOAP's recv_maxlength: a body without a Content-Length passed max_body. */
	if (rc == SOAP_EOM)
		return too_large(w, msg, size);
	return 0;
}

bool
http_keep_alive(const struct worker *w)
{
	return w->req.status != 0 && !w->http->close;
}

bool
http_body_unread(const struct worker *w)
{
	return w->http->body_unread;
}

bool
http_request_complete(const char *buf, size_t n, long max_body)
{
	const char *end, *line;
	size_t head;
	long long length = 0;

	end = strstr(buf, "\r\n\r\n");
	if (end != NULL)
		head = (size_t) (end - buf) + 4;
	else if ((end = strstr(buf, "\n\n")) != NULL)
		head = (size_t) (end - buf) + 2;
	else
		return strlen(buf) != n; /* a NUL: not HTTP, let gSOAP refuse it */
	for (line = strchr(buf, '\n'); line != NULL && line < end; line = strchr(line, '\n')) {
		line++;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			length = strtoll(line + 15, NULL, 10);
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 ||
			 strncasecmp(line, "Expect:", 7) == 0)
			return true;
	}
	return length <= 0 || length > max_body || (long long) (n - head) >= length;
}

/* --- gSOAP's hooks: record and limit, answer nothing --------------------- */

static bool
chunked(const struct soap *s)
{
	return (s->imode & SOAP_IO) == SOAP_IO_CHUNK;
}

static int
on_parse(struct soap *s)
{
	struct worker *w = s->user;
	struct http_state *h = w->http;
	int rc = parse0(s);

	if (rc != SOAP_OK)
		return rc;
	h->head_read = true;
	/* HTTP/1.0 closes unless it asked to keep the connection. */
	if (h->http10 && !h->keepalive_header)
		h->close = true;
	/* From here on the parser reads the body: stop it at Content-Length,
	 * so that a truncated envelope is answered instead of waited on. */
	if (s->length > 0 || (s->status == SOAP_POST && !chunked(s))) {
		long long buffered = (long long) (s->buflen - s->bufidx);

		h->body_left = (long long) s->length > buffered ? (long long) s->length - buffered :
								  0;
	}
	/* gSOAP skips the body of the other methods itself. */
	h->body_unread = s->status == SOAP_POST || s->status == SOAP_PUT || s->status == SOAP_PATCH;
	if (s->status == SOAP_POST) {
		/* The guard sees the body from its first byte: what gSOAP has
		 * buffered already, then every read (on_recv). */
		xmlguard_init(&h->guard, (unsigned) w->cfg->max_depth);
		h->guarding = true;
		xmlguard_feed(&h->guard, s->buf + s->bufidx, s->buflen - s->bufidx);
	}
	return SOAP_OK;
}

static int
on_parsehdr(struct soap *s, const char *key, const char *val)
{
	struct http_state *h = ((struct worker *) s->user)->http;

	if (strcasecmp(key, "Connection") == 0) {
		if (strcasestr(val, "close") != NULL)
			h->close = true;
		if (strcasestr(val, "keep-alive") != NULL)
			h->keepalive_header = true;
	} else if (strcasecmp(key, "X-Requested-With") == 0) {
		h->no_challenge = true;
	} else if (strcasecmp(key, "If-None-Match") == 0) {
		snprintf(h->if_none_match, sizeof(h->if_none_match), "%s", val);
	}
	return parsehdr0(s, key, val);
}

/* GET, PUT, PATCH, DELETE, HEAD, OPTIONS: gSOAP then returns SOAP_STOP and
 * the owner answers (a GET page, or 405). */
static int
on_method(struct soap *s)
{
	(void) s;
	return SOAP_OK;
}

/* The request line: "METHOD /path HTTP/1.x\r\n". */
static void
note_request_line(struct http_state *h, const char *buf, size_t n)
{
	const char *eol = memchr(buf, '\n', n < 512 ? n : 512);

	h->first_read = false;
	h->http10 = eol != NULL && eol - buf >= 9 && memcmp(eol - 9, "HTTP/1.0", 8) == 0;
}

static size_t
on_recv(struct soap *s, char *buf, size_t len)
{
	struct http_state *h = ((struct worker *) s->user)->http;
	size_t n;

	if (h->body_left >= 0) {
		if (h->body_left == 0) {
			h->body_capped = true;
			return 0;
		}
		if ((long long) len > h->body_left)
			len = (size_t) h->body_left;
	}
	n = recv0(s, buf, len);
	if (n == 0) {
		h->peer_eof = true;
		return 0;
	}
	if (h->body_left >= 0)
		h->body_left -= (long long) n;
	if (h->first_read)
		note_request_line(h, buf, n);
	if (h->guarding && xmlguard_feed(&h->guard, buf, n) != XMLGUARD_OK)
		return 0; /* the owner answers (http_check_body) */
	return n;
}

bool
http_install(struct worker *w)
{
	struct soap *s = w->soap;

	w->http = calloc(1, sizeof(*w->http));
	if (w->http == NULL)
		return false;
	if (parse0 == NULL) {
		parse0 = s->fparse;
		parsehdr0 = s->fparsehdr;
		recv0 = s->frecv;
	}
	s->fparse = on_parse;
	s->fparsehdr = on_parsehdr;
	s->frecv = on_recv;
	s->fget = s->fput = s->fpatch = s->fdel = s->fhead = s->fopt = on_method;
	s->recv_maxlength = (ULONG64) w->cfg->max_body;
	s->maxlevel = (unsigned int) w->cfg->max_depth;
	return true;
}

void
http_uninstall(struct worker *w)
{
	free(w->http);
	w->http = NULL;
}

void
http_begin(struct worker *w)
{
	struct http_state *h = w->http;

	h->head_read = false;
	h->close = false;
	h->keepalive_header = false;
	h->http10 = false;
	h->first_read = true;
	h->body_left = -1;
	h->body_capped = false;
	h->peer_eof = false;
	h->body_unread = false;
	h->guarding = false;
	h->guard.result = XMLGUARD_OK;
	h->no_challenge = false;
	h->console = false;
	h->if_none_match[0] = '\0';
	w->extra_header[0] = '\0';
}
