/*
 * request.h: the one owner of a request, from its HTTP head to its answer
 * (see request.c), and the resources a worker needs to serve requests.
 * The connection layer (server.c) calls request_serve() once per request
 * and learns only what to do with the connection afterwards.
 */
#ifndef AXLPROV_REQUEST_H
#define AXLPROV_REQUEST_H

#include <stdbool.h>

struct config;
struct soap;
struct worker;

/* Before the workers start (counters, throttle settings); request_free()
 * after they stopped. */
bool request_init(const struct config *cfg);
void request_free(void);

/* A worker's resources: its gSOAP context (a copy of tmpl, with the HTTP
 * hooks), its database connection, buffers and HTTP state.  False when one
 * could not be made; request_worker_free() releases what was. */
bool request_worker_init(struct worker *w, int id, const struct soap *tmpl,
			 const struct config *cfg);
void request_worker_free(struct worker *w);

/* What the connection is good for after a request. */
enum request_end {
	REQUEST_KEEP,  /* answered, and may carry the next request */
	REQUEST_CLOSE, /* close it */
	REQUEST_DRAIN, /* close it, after reading what the client still sends
			    (answered before its body was read) */
};

/* Reads, runs and answers one request on w->soap's connection (the
 * connection's facts, w->req.tls and w->req.peer, set). */
enum request_end request_serve(struct worker *w);

#endif
