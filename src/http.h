/*
 * http.h: HTTP framing and limits around gSOAP's HTTP parser, and the
 * writing of every response.  gSOAP's hooks only record and limit: the
 * request line and headers (path, method, Connection, HTTP/1.0), the body
 * capped at its Content-Length and fed to the XML guard as it arrives.
 * They answer nothing and run no SQL; the request's owner (request.c) asks
 * what framing says and answers.  Every response is assembled in the
 * worker's wire buffer and written in one send, with the headers CUCM
 * sends; http_error() is the one writer of HTTP errors.
 */
#ifndef AXLPROV_HTTP_H
#define AXLPROV_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct worker;

/* Whether buf (n bytes, a NUL at buf[n]) holds a whole request: its head
 * and, by its Content-Length, its body.  True too for what this cannot
 * tell (a chunked body, Expect: 100-continue, bytes that are not HTTP) and
 * for a body over max_body (refused without waiting for it).  Pure: the
 * connection layer's I/O thread asks it before it gives a connection to a
 * worker. */
bool http_request_complete(const char *buf, size_t n, long max_body);

/* Makes w->http and installs the hooks and limits on w->soap (once per
 * worker); false when out of memory.  http_uninstall() frees w->http. */
bool http_install(struct worker *w);
void http_uninstall(struct worker *w);

/* Resets the framing state before gSOAP reads the next request. */
void http_begin(struct worker *w);

/* Whether gSOAP read a request line and headers (its parser also takes
 * bare XML, which has neither). */
bool http_head_read(const struct worker *w);

/* What framing says of a head: 0 when the request may go on; otherwise the
 * HTTP status to refuse it with, its text in msg: 404 (path), 405
 * (method), 599 (the XML guard refused what came with the head), 413
 * (Content-Length over max_body). */
int http_check_head(const struct worker *w, char *msg, size_t size);

/* The resource a request's path names (http_check_head() passed). */
enum http_resource {
	HTTP_RES_AXL,          /* /axl or /axl/: the SOAP endpoint, or its GET page */
	HTTP_RES_APPLY_STATUS, /* /axl/status/apply/<id> */
	HTTP_RES_METRICS,      /* /metrics */
	HTTP_RES_CONSOLE,      /* /ccmadmin and /ccmadmin/<file>: the console's files, public */
	HTTP_RES_ROOT,         /* /: the product page (GET only) */
	HTTP_RES_UDS_VERSION,  /* /cucm-uds/version (GET only) */
};
enum http_resource http_resource(const struct worker *w);

/* The <id> of /axl/status/apply/<id>, percent-decoded, the query ignored. */
void http_apply_status_id(const struct worker *w, char *id, size_t size);

/* The <file> of /ccmadmin/<file> (not decoded: the names are plain), the
 * query ignored; "" for /ccmadmin/ itself.  False for /ccmadmin without
 * its slash (the caller redirects: the pages' relative links need it). */
bool http_console_name(const struct worker *w, char *name, size_t size);

/* The request's If-None-Match header, or "". */
const char *http_if_none_match(const struct worker *w);

/* The owner starts reading the body: an answer from here on leaves none of
 * it unread. */
void http_body_begins(struct worker *w);

/* After reading stopped with gSOAP status rc: when framing stopped it, the
 * HTTP status to answer with and its text in msg (599: the XML guard
 * refused the body, or the body ended at its Content-Length before the
 * envelope did; 413: a body without Content-Length passed max_body); -1
 * when the peer is gone (closed, or stalled past a timeout): nobody to
 * answer; 0 when framing has nothing to say. */
int http_check_body(const struct worker *w, int rc, char *msg, size_t size);

/* After the answer: may the connection carry another request?  And if
 * not, was the request's body left unread (then the connection must be
 * drained before it is closed)? */
bool http_keep_alive(const struct worker *w);
bool http_body_unread(const struct worker *w);

/* Sends w->body with this status and content type (and w->extra_header);
 * close ends the connection after it, otherwise the request's framing
 * decides.  Returns SOAP_STOP when sent (the response is complete),
 * SOAP_EOF when the peer is gone, SOAP_EOM when out of memory. */
int http_send(struct worker *w, int status, const char *content_type, bool close);

/* Sends w->body as a console file: the console's security headers
 * (a strict Content-Security-Policy, no framing, no Referer), Cache-Control
 * no-cache and this ETag, so that a browser revalidates (304) instead of
 * running a stale script against a newer server. */
int http_send_console(struct worker *w, int status, const char *content_type, const char *etag);

/* The one writer of HTTP errors: Cisco's HTML error page for status with
 * message, WWW-Authenticate for a 401 (unless the request carried
 * X-Requested-With: a script such as the console asked, and says so
 * itself; the browser must not put up its own password prompt),
 * Retry-After when retry_after > 0, and the connection closed after it
 * when close is set.  Returns as http_send(). */
int http_error(struct worker *w, int status, const char *message, int retry_after, bool close);

#endif
