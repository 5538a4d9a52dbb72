/*
 * axl_wire.c: success envelopes.  See axl_fault.c for the failure side.
 */
#include "axl_wire.h"

#include "http.h"
#include "uuid.h"
#include "version.h"

void
axl_response_open(struct worker *w, const char *op, const ULONG64 *sequence)
{
	const char *ns = axl_version_ns(w->version);

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
	return http_send(w, 200, "text/xml;charset=UTF-8");
}

int
axl_response_uuid(struct worker *w, const char *op, const ULONG64 *sequence,
		  const char *db_uuid)
{
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(db_uuid, uuid);
	axl_response_open(w, op, sequence);
	xbuf_element(&w->body, "return", uuid);
	return axl_response_send(w, op);
}
