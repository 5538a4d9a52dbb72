/*
 * worker.h: the state of one request thread.  A worker owns one gSOAP
 * context, one database connection and two reusable output buffers; it
 * serves one connection at a time.  soap->user points here, which is how the
 * hooks and service functions find it.
 */
#ifndef AXLPROV_WORKER_H
#define AXLPROV_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "xbuf.h"
#include "xmlguard.h"

struct soap;
struct db;

/* The request's own facts: what it is, who asked, how it was answered.
 * Reset for every request; observation (metrics, the request log) reads
 * only this. */
struct request {
	bool tls;                /* came over the HTTPS listener */
	char peer[64];           /* the client's address:port */
	int version;             /* AXL version applied, e.g. 140 */
	char op[64];             /* operation (body element), for logs */
	char user[64];           /* the AXL user once authenticated */
	char role[16];           /* the caller's role once authenticated */
	int status;              /* HTTP status sent */
	int axlcode;             /* axlcode of a fault sent, 0 if none */
	bool throttled;          /* refused by the throttle (HTTP 503) */
	char request_id[20];     /* set when the answer is sent (X-Request-Id) */
	struct timespec start;
};

struct worker {
	int id;
	struct soap *soap;
	struct db *db;
	const struct config *cfg;
	struct xbuf body;        /* the response body being built */
	struct xbuf wire;        /* status line + headers + body, as sent */
	struct request req;

	/* HTTP framing of the current request; reset by http_request_begin(). */
	bool close;              /* close the connection after the response */
	bool keepalive_header;   /* the request said Connection: keep-alive */
	bool answered;           /* a response has been sent */
	char extra_header[128];  /* one more response header line (with CRLF), or "" */
	bool http10;             /* the request line said HTTP/1.0 */
	bool first_read;         /* the next raw read starts a request */
	long long body_left;     /* body bytes not yet read (Content-Length), -1 = unknown */
	bool body_capped;        /* we ended the body at its Content-Length */
	bool peer_eof;           /* the peer closed its side */
	bool body_unread;        /* answered before reading the body */
	bool guarding;           /* the body is being fed to the guard */
	struct xmlguard guard;   /* DTD, depth and UTF-8 checks on the raw body */
};

#endif
