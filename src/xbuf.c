/*
 * xbuf.c: growable response buffer.  Growth doubles; failure sets oom and
 * later appends are ignored, so callers check once at the end.
 */
#include "xbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define XBUF_KEEP (1u << 20) /* memory kept between requests at most */

void
xbuf_init(struct xbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
xbuf_free(struct xbuf *b)
{
	free(b->data);
	xbuf_init(b);
}

void
xbuf_reset(struct xbuf *b)
{
	if (b->cap > XBUF_KEEP)
		xbuf_free(b);
	b->len = 0;
	b->oom = false;
}

static bool
reserve(struct xbuf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
xbuf_put(struct xbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
xbuf_puts(struct xbuf *b, const char *s)
{
	xbuf_put(b, s, strlen(s));
}

void
xbuf_printf(struct xbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Usually it fits in what is left: format once. */
	if (!reserve(b, 128))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return;
	}
	if ((size_t) n >= b->cap - b->len) {
		if (!reserve(b, (size_t) n)) {
			b->data[b->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

void
xbuf_put_json(struct xbuf *b, const char *s)
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
xbuf_put_escaped(struct xbuf *b, const char *s)
{
	const char *run = s;

	while (*s != '\0') {
		unsigned char c = (unsigned char) *s;
		const char *rep;
		size_t skip = 1;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			/* What XML 1.0 cannot carry becomes U+FFFD: values are
			 * validated on the way in, this is the last guard. */
			if (c >= 0x80) {
				skip = utf8_len((const unsigned char *) s);
				if (skip != 0) {
					s += skip;
					continue;
				}
				skip = 1;
			} else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
				s++;
				continue;
			}
			rep = "\xef\xbf\xbd";
			break;
		}
		xbuf_put(b, run, (size_t) (s - run));
		xbuf_puts(b, rep);
		s += skip;
		run = s;
	}
	xbuf_put(b, run, (size_t) (s - run));
}

void
xbuf_element(struct xbuf *b, const char *tag, const char *value)
{
	size_t tl = strlen(tag);

	xbuf_put(b, "<", 1);
	xbuf_put(b, tag, tl);
	if (value == NULL || *value == '\0') {
		xbuf_put(b, "/>", 2);
		return;
	}
	xbuf_put(b, ">", 1);
	xbuf_put_escaped(b, value);
	xbuf_put(b, "</", 2);
	xbuf_put(b, tag, tl);
	xbuf_put(b, ">", 1);
}
