/*
 * axl_wire.c: the bytes of AXL answers: success envelopes, and the faults
 * (codes and texts from axl_fault.c's tables).
 */
#include "axl_wire.h"

#include "axl_fault.h"
#include "http.h"
#include "log.h"
#include "uuid.h"
#include "version.h"

void
axl_response_open(struct worker *w, const char *op, const ULONG64 *sequence)
{
	const char *ns = axl_version_ns(w->req.version);

	xbuf_reset(&w->body);
	xbuf_puts(&w->body, AXL_XML_DECL AXL_ENV_OPEN);
	xbuf_printf(&w->body, "<ns:%sResponse", op);
	if (sequence != NULL)
		xbuf_printf(&w->body, " sequence=\"%llu\"", (unsigned long long) *sequence);
	xbuf_printf(&w->body, " xmlns:ns=\"%s\">", ns ? ns : "");
}

int
axl_response_send(struct worker *w, const char *op)
{
	xbuf_printf(&w->body, "</ns:%sResponse>" AXL_ENV_CLOSE, op);
	return http_send(w, 200, "text/xml;charset=UTF-8", false);
}

int
axl_response_uuid(struct worker *w, const char *op, const ULONG64 *sequence, const char *db_uuid)
{
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(db_uuid, uuid);
	axl_response_open(w, op, sequence);
	xbuf_element(&w->body, "return", uuid);
	return axl_response_send(w, op);
}

void
axl_list_begin(struct axl_list *l, struct worker *w, const char *op, const ULONG64 *sequence)
{
	l->w = w;
	l->op = op;
	l->rows = 0;
	l->too_large = false;
	axl_response_open(w, op, sequence);
	l->mark = w->body.len;
	xbuf_puts(&w->body, "<return>");
}

bool
axl_list_row(struct axl_list *l)
{
	if (l->w->body.len > (size_t) l->w->cfg->max_response) {
		l->too_large = true;
		return false;
	}
	l->rows++;
	return true;
}

int
axl_list_end(struct axl_list *l, long matched)
{
	struct worker *w = l->w;

	if (l->too_large) {
		struct app_err err = { 0 };

		app_err_set(&err, APP_E_TOO_LARGE, NULL,
			    "Query request too large. Total rows matched: %ld rows. "
			    "Suggestive Row Fetch: less than %ld rows",
			    matched, l->rows > 1 ? l->rows : 1);
		return axl_fault(w, l->op, &err);
	}
	if (l->rows == 0) {
		/* AXL prints an empty result as <return/>. */
		w->body.len = l->mark;
		xbuf_puts(&w->body, "<return/>");
	} else
		xbuf_puts(&w->body, "</return>");
	return axl_response_send(w, l->op);
}

/* --- faults ------------------------------------------------------------- */

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
	int axlcode = axl_fault_code(err->code < APP_E__COUNT ? err->code : APP_E_INTERNAL);

	w->req.axlcode = axlcode;
	fault_open(w, axl_fault_is_client(err->code < APP_E__COUNT ? err->code : APP_E_INTERNAL),
		   err->msg);
	xbuf_printf(&w->body, "<detail><axlError><axlcode>%d</axlcode><axlmessage>", axlcode);
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
