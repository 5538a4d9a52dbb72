/*
 * worker.h: what the steps of a request share.  A worker owns one gSOAP
 * context, one database connection and two reusable output buffers, and
 * serves one connection at a time (soap->user points here, which is how
 * gSOAP's hooks and the adapters find it).  Each step keeps its own state
 * in its own module: only the request's facts (struct request) and the
 * resources every step uses are here.
 */
#ifndef AXLPROV_WORKER_H
#define AXLPROV_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "xbuf.h"

struct soap;
struct db;
struct http_state;

/* The request's own facts: what it is, who asked, how it was answered.
 * tls, site and peer are the connection's (set by server.c); the rest is reset
 * for every request.  Observation (metrics, the request log) reads only
 * this. */
/* Which service a listener offers: AXL (HTTPS and plain HTTP) or EST. */
enum request_site { SITE_AXL, SITE_EST };

struct request {
	bool tls;               /* came over a TLS listener */
	enum request_site site; /* the listener's service */
	char peer[64];          /* the client's address:port */
	int version;            /* AXL version applied, e.g. 140 */
	char op[64];            /* operation (body element) or GET resource, for logs */
	char sql[121];          /* executeSQLQuery's statement, cut, for the log; "" otherwise */
	char user[64];          /* the AXL user once authenticated */
	char role[16];          /* the caller's role once authenticated */
	int status;             /* HTTP status sent; 0 while unanswered */
	int axlcode;            /* axlcode of a fault sent, 0 if none */
	bool throttled;         /* refused by the throttle (HTTP 503) */
	char request_id[20];    /* set when the answer is sent (X-Request-Id) */
	struct timespec start;
};

struct worker {
	int id;
	struct soap *soap;
	struct db *db;
	const struct config *cfg;
	struct xbuf body;       /* the response body being built */
	struct xbuf wire;       /* status line + headers + body, as sent */
	char extra_header[128]; /* one more response header line (with CRLF), or "";
				    an adapter may set it (svc_apply.c) */
	struct request req;
	struct http_state *http; /* HTTP framing of the current request: http.c's alone */
};

#endif
