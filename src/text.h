/*
 * text.h: UTF-8 checks shared by validation (profile.c), error messages
 * (err.c) and the response writer (xbuf.c), so that every byte that reaches
 * a response is well-formed XML text.  Pure C.
 */
#ifndef AXLPROV_TEXT_H
#define AXLPROV_TEXT_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 character at p, or 0 when p starts an
 * invalid sequence: overlong forms, surrogates, code points past U+10FFFF.
 * C0/C1 control characters count as valid here. */
size_t utf8_len(const unsigned char *p);

/* Number of characters in s, or -1 when s is not valid UTF-8 or holds a
 * control character (C0, DEL or C1). */
long utf8_chars(const char *s);

/* Copies at most max_chars characters of in to out (always terminated),
 * writing invalid bytes and control characters as "\xNN" and marking a cut
 * with "...": safe to echo in a message. */
void text_printable(char *out, size_t size, const char *in, size_t max_chars);

#endif
