/*
 * axl_wire.h: the bytes of AXL success responses: XML declaration with
 * single quotes, soapenv: envelope without a Header, the response element
 * with xmlns:ns (in the request's AXL version) and the echoed sequence.
 * Bodies are written straight from domain values into the worker buffer.
 */
#ifndef AXLPROV_AXL_WIRE_H
#define AXLPROV_AXL_WIRE_H

#include "soapH.h"

#include "worker.h"

#define AXL_XML_DECL "<?xml version='1.0' encoding='UTF-8'?>"
#define AXL_ENV_OPEN \
	"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">" \
	"<soapenv:Body>"
#define AXL_ENV_CLOSE "</soapenv:Body></soapenv:Envelope>"

/* Starts <ns:{op}Response ...> in w->body. */
void axl_response_open(struct worker *w, const char *op, const ULONG64 *sequence);

/* Closes the response element and envelope and sends 200. */
int axl_response_send(struct worker *w, const char *op);

/* A whole StandardResponse: <return>{UUID}</return>. */
int axl_response_uuid(struct worker *w, const char *op, const ULONG64 *sequence,
		      const char *db_uuid);

/* A list response: <return> rows </return>, <return/> when empty, or AXL's
 * "Query request too large" fault when it passes max_response. */
struct axl_list {
	struct worker *w;
	const char *op;
	size_t mark; /* where <return> starts */
	long rows;
	bool too_large;
};

void axl_list_begin(struct axl_list *l, struct worker *w, const char *op, const ULONG64 *sequence);
/* After a row was written: false (stop) once the response is too large. */
bool axl_list_row(struct axl_list *l);
/* Sends the response, or the fault naming `matched` rows. */
int axl_list_end(struct axl_list *l, long matched);

#endif
