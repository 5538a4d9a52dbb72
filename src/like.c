/*
 * like.c: LIKE pattern checks.
 */
#include "like.h"

#include <string.h>

bool
like_check(const char *element, const char *pattern, struct app_err *err)
{
	bool escaped = false;

	for (const unsigned char *p = (const unsigned char *) pattern; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return app_err_invalid(err, element, pattern,
					       "control characters are not allowed");
		escaped = !escaped && *p == '\\';
	}
	if (escaped)
		return app_err_invalid(err, element, pattern,
				       "a search pattern cannot end with an escape character");
	return true;
}

void
like_prefix_range(const char *pattern, char *lo, char *hi, size_t size)
{
	/* U+10FFFF: after every character in byte order. */
	static const char top[] = "\xf4\x8f\xbf\xbf";
	size_t n = 0;

	for (const char *p = pattern; *p != '\0' && *p != '%' && *p != '_'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + sizeof(top) >= size) {
			/* Full: drop a character the cut left incomplete. */
			size_t start = n;

			while (start > 0 && ((unsigned char) lo[start - 1] & 0xC0) == 0x80)
				start--;
			if (start > 0 && (unsigned char) lo[start - 1] >= 0xC0)
				n = start - 1;
			break;
		}
		lo[n++] = *p;
	}
	lo[n] = '\0';
	memcpy(hi, lo, n);
	memcpy(hi + n, top, sizeof(top));
}
