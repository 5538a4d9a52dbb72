/*
 * like.c: LIKE pattern checks.
 */
#include "like.h"

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
