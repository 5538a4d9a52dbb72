/*
 * err.c: filling struct app_err.  Message texts for invalid values, and the
 * one check of a text value (UTF-8, control characters, length), live here
 * so that every layer words them the same way.
 */
#include "err.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool
app_err_set(struct app_err *err, enum app_errcode code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return false;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool
app_err_invalid(struct app_err *err, const char *field, const char *value, const char *reason)
{
	char shown[256];

	/* The value is echoed back to the client: long ones are cut, and
	 * bytes that are not text are shown as \xNN so the fault stays XML. */
	text_printable(shown, sizeof(shown), value, 60);
	if (reason != NULL && *reason != '\0')
		return app_err_set(err, APP_E_INVALID_VALUE, field, "Invalid value for %s: %s (%s)",
				   field, shown, reason);
	return app_err_set(err, APP_E_INVALID_VALUE, field, "Invalid value for %s: %s", field,
			   shown);
}

bool
app_err_check_text(struct app_err *err, const char *element, const char *value, long maxc,
		   size_t size)
{
	long n = utf8_chars(value);
	char why[48];

	if (n < 0)
		return app_err_invalid(err, element, value, "control characters or invalid UTF-8");
	if (n > maxc || (size > 0 && strlen(value) >= size)) {
		snprintf(why, sizeof(why), "at most %ld characters", maxc);
		return app_err_invalid(err, element, value, why);
	}
	return true;
}
