/*
 * axl_fault.c: application error -> AXL fault.  Codes and Client/Server
 * choices are the ones captured from real CUCM responses (see docs/axl.md,
 * "Faults"): business and database rule violations are Client, lookups and
 * validation are Server.
 */
#include "axl_fault.h"

#include "axl_wire.h"
#include "http.h"
#include "log.h"
#include "worker.h"

static const struct fault_map {
	int axlcode;
	bool client;   /* faultcode soapenv:Client (true) or soapenv:Server */
} fault_map[APP_E__COUNT] = {
	[APP_OK]                 = { -1, false },
	[APP_E_MISSING_FIELD]    = { 5003, false },
	[APP_E_INVALID_VALUE]    = { 5003, false },
	[APP_E_NOT_FOUND]        = { 5007, false },
	[APP_E_REMOVE_NOT_FOUND] = { 5007, false },
	[APP_E_DUPLICATE]        = { -239, true },
	[APP_E_READ_ONLY]        = { -746, true },
	[APP_E_IN_USE]           = { -692, true },
	[APP_E_RULE]             = { -746, true },   /* CUCM's code for rule violations */
	[APP_E_CONFLICT]         = { -1, false },    /* only after several retries */
	[APP_E_TOO_LARGE]        = { -1, false },
	[APP_E_DB_UNAVAILABLE]   = { -1, false },
	[APP_E_INTERNAL]         = { -1, false },
};

int
axl_fault_code(enum app_errcode code)
{
	return code < APP_E__COUNT ? fault_map[code].axlcode : -1;
}

bool
axl_fault_is_client(enum app_errcode code)
{
	return code < APP_E__COUNT && fault_map[code].client;
}

static void
fault_open(struct worker *w, bool client, const char *message)
{
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, AXL_XML_DECL AXL_ENV_OPEN "<soapenv:Fault><faultcode>");
	xbuf_puts(&w->body, client ? "soapenv:Client" : "soapenv:Server");
	xbuf_puts(&w->body, "</faultcode><faultstring>");
	xbuf_put_escaped(&w->body, message);
	xbuf_puts(&w->body, "</faultstring>");
}

static int
fault_send(struct worker *w)
{
	xbuf_puts(&w->body, "</soapenv:Fault>" AXL_ENV_CLOSE);
	/* CUCM closes the connection after every fault. */
	return http_send(w, 500, "text/xml;charset=UTF-8", true);
}

int
axl_fault(struct worker *w, const char *request, const struct app_err *err)
{
	enum app_errcode code = err->code < APP_E__COUNT ? err->code : APP_E_INTERNAL;
	const struct fault_map *m = &fault_map[code];

	w->req.axlcode = m->axlcode;
	fault_open(w, m->client, err->msg);
	xbuf_printf(&w->body, "<detail><axlError><axlcode>%d</axlcode><axlmessage>",
		    m->axlcode);
	xbuf_put_escaped(&w->body, err->msg);
	xbuf_puts(&w->body, "</axlmessage><request>");
	xbuf_put_escaped(&w->body, request);
	xbuf_puts(&w->body, "</request></axlError></detail>");
	return fault_send(w);
}

int
axl_fault_plain(struct worker *w, bool client, const char *message)
{
	fault_open(w, client, message);
	xbuf_puts(&w->body, "<detail/>");
	return fault_send(w);
}
