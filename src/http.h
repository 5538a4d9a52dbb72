/*
 * http.h: the HTTP side of the AXL endpoint, on top of gSOAP's parser:
 * path and size checks, Basic authentication, the GET page, the HTML error
 * pages real CUCM sends (401, 404, 413, 599), a DOCTYPE guard on the raw
 * input, and the sending of complete responses built in a worker's buffers.
 */
#ifndef AXLPROV_HTTP_H
#define AXLPROV_HTTP_H

#include <stdbool.h>

struct soap;
struct worker;

/* Installs the hooks on a worker's context (call once per context). */
void http_install(struct soap *soap);

/* Resets the per-request state before gSOAP reads the next request. */
void http_request_begin(struct worker *w);

/* Sends w->body with this status and content type.  Returns SOAP_STOP when
 * sent (the response is complete), SOAP_EOF when the peer is gone. */
int http_send(struct worker *w, int status, const char *content_type);

/* Sends a Cisco-style HTML error page and marks the connection for close. */
int http_send_page(struct worker *w, int status, const char *message);

/* A 503 page with Retry-After for a request whose body was read in full:
 * the connection stays open. */
int http_send_busy(struct worker *w, int retry_after, const char *message);

/* The 599 page for a body the XML guard refused (w->guard.result). */
int http_send_guard_page(struct worker *w);

#endif
