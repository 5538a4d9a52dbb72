/*
 * xbuf.h: a growable byte buffer with XML escaping, used to build whole
 * HTTP responses before they are sent (so Content-Length is exact and the
 * body is written once).  One per worker, reused across requests.  Pure C.
 */
#ifndef AXLPROV_XBUF_H
#define AXLPROV_XBUF_H

#include <stdbool.h>
#include <stddef.h>

struct xbuf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* an append failed; the contents are incomplete */
};

void xbuf_init(struct xbuf *b);
void xbuf_free(struct xbuf *b);
/* Empties the buffer, keeping its memory (and shrinking a huge one). */
void xbuf_reset(struct xbuf *b);

void xbuf_put(struct xbuf *b, const char *s, size_t n);
void xbuf_puts(struct xbuf *b, const char *s);
void xbuf_printf(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with & < > " ' escaped: safe in text and in quoted attributes. */
void xbuf_put_escaped(struct xbuf *b, const char *s);
/* s as a JSON string literal, quotes included ("  \  and control
 * characters escaped; other bytes as they are: our values are UTF-8). */
void xbuf_put_json(struct xbuf *b, const char *s);
/* <tag>escaped value</tag>, or <tag/> for an empty value. */
void xbuf_element(struct xbuf *b, const char *tag, const char *value);

#endif
