/*
 * audit.c: the changed-fields JSON of audit records (see audit.h).
 */
#include "audit.h"

void
audit_json_string(struct xbuf *b, const char *s)
{
	xbuf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			xbuf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			xbuf_printf(b, "\\u%04x", c);
		else
			xbuf_put(b, s, 1);
	}
	xbuf_puts(b, "\"");
}

void
audit_changes_begin(struct xbuf *b)
{
	xbuf_reset(b);
	xbuf_puts(b, "{");
}

static void
key(struct xbuf *b, const char *field)
{
	if (b->len > 1)
		xbuf_puts(b, ", ");
	audit_json_string(b, field);
	xbuf_puts(b, ": ");
}

void
audit_change(struct xbuf *b, const char *field, const char *value)
{
	key(b, field);
	audit_json_string(b, value != NULL ? value : "");
}

void
audit_change_secret(struct xbuf *b, const char *field)
{
	key(b, field);
	audit_json_string(b, AUDIT_REDACTED);
}

void
audit_changes_end(struct xbuf *b)
{
	xbuf_puts(b, "}");
}
