/*
 * audit.c: the changed-fields JSON of audit records (see audit.h).
 */
#include "audit.h"

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
	xbuf_put_json(b, field);
	xbuf_puts(b, ": ");
}

void
audit_change(struct xbuf *b, const char *field, const char *value)
{
	key(b, field);
	xbuf_put_json(b, value != NULL ? value : "");
}

void
audit_change_secret(struct xbuf *b, const char *field)
{
	key(b, field);
	xbuf_put_json(b, AUDIT_REDACTED);
}

void
audit_changes_end(struct xbuf *b)
{
	xbuf_puts(b, "}");
}
