/*
 * text.c: UTF-8 decoding rules (RFC 3629) in one place.
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

size_t
utf8_len(const unsigned char *p)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and
	 * code points past U+10FFFF. */
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
	    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static int
is_control(const unsigned char *p, size_t len)
{
	return (len == 1 && (p[0] < 0x20 || p[0] == 0x7F)) ||
	       (len == 2 && p[0] == 0xC2 && p[1] < 0xA0);
}

long
utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	long n = 0;

	while (*p != '\0') {
		size_t len = utf8_len(p);

		if (len == 0 || is_control(p, len))
			return -1;
		p += len;
		n++;
	}
	return n;
}

void
text_printable(char *out, size_t size, const char *in, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *) (in ? in : "");
	size_t o = 0, chars = 0;

	if (size == 0)
		return;
	while (*p != '\0') {
		size_t len = utf8_len(p);
		char esc[8];
		const char *piece = (const char *) p;
		size_t plen = len;

		if (chars == max_chars) {
			if (o + 4 <= size)
				memcpy(out + o, "...", 3), o += 3;
			break;
		}
		if (len == 0 || is_control(p, len)) {
			snprintf(esc, sizeof(esc), "\\x%02X", p[0]);
			piece = esc;
			plen = 4;
			len = 1;
		}
		if (o + plen + 1 > size)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		p += len;
		chars++;
	}
	out[o] = '\0';
}
