/*
 * err.c: filling struct app_err.  Message texts for invalid values live here
 * so that every layer words them the same way.
 */
#include "err.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool
app_err_set(struct app_err *err, enum app_errcode code, const char *field,
	    const char *fmt, ...)
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
app_err_invalid(struct app_err *err, const char *field, const char *value,
		const char *reason)
{
	char shown[256];

	/* The value is echoed back to the client: long ones are cut, and
	 * bytes that are not text are shown as \xNN so the fault stays XML. */
	text_printable(shown, sizeof(shown), value, 60);
	if (reason != NULL && *reason != '\0')
		return app_err_set(err, APP_E_INVALID_VALUE, field,
				   "Invalid value for %s: %s (%s)", field, shown, reason);
	return app_err_set(err, APP_E_INVALID_VALUE, field, "Invalid value for %s: %s",
			   field, shown);
}

/* --- AXL's wording ------------------------------------------------------ */

/* How AXL names each kind of object in its texts. */
static const struct {
	const char *shown;        /* "The specified <shown> was not found" */
	const char *predefined;   /* "Cannot remove a predefined <predefined>" */
} kinds[OBJ__COUNT] = {
	[OBJ_NONE]    = { "entry", "item" },
	[OBJ_PROFILE] = { "Phone Security Profile", "security profile" },
	[OBJ_PHONE]   = { "Phone", "phone" },
	[OBJ_USER]    = { "User", "user" },
};

/* The texts CUCM sends, byte for byte (tests check them): before, the
 * kind's name when `named`, after. */
static const struct {
	const char *before;
	bool named;
	const char *after;
} texts[APP_E__COUNT] = {
	[APP_E_NOT_FOUND]        = { "Item not valid: The specified ", true, " was not found" },
	[APP_E_REMOVE_NOT_FOUND] = { "Item not valid: The specified entry was not found", false,
				     "" },
	[APP_E_DUPLICATE]        = { "Could not insert new row - duplicate value in a UNIQUE"
				     " INDEX column (Unique Index:).", false, "" },
};

bool
app_err_kind(struct app_err *err, enum app_errcode code, enum obj_kind kind, const char *field)
{
	if (code >= APP_E__COUNT || texts[code].before == NULL)
		return app_err_set(err, APP_E_INTERNAL, field, "Internal error (code %d)",
				   (int) code);
	return app_err_set(err, code, field, "%s%s%s", texts[code].before,
			   texts[code].named ? kinds[kind < OBJ__COUNT ? kind : OBJ_NONE].shown : "",
			   texts[code].after);
}

bool
app_err_missing(struct app_err *err, const char *element, const char *what)
{
	return app_err_set(err, APP_E_MISSING_FIELD, element, "Missing required element: %s",
			   what != NULL ? what : element);
}

bool
app_err_predefined(struct app_err *err, enum obj_kind kind, const char *verb, const char *name)
{
	return app_err_set(err, APP_E_READ_ONLY, NULL, "Cannot %s a predefined %s: %s", verb,
			   kinds[kind < OBJ__COUNT ? kind : OBJ_NONE].predefined, name);
}

bool
app_err_in_use(struct app_err *err, enum obj_kind kind, const char *name, long count,
	       const char *first_names)
{
	const char *shown = kinds[kind < OBJ__COUNT ? kind : OBJ_NONE].shown;

	if (count > 5)
		return app_err_set(err, APP_E_IN_USE, NULL,
				   "Cannot remove %s %s: it is used by %ld phone(s): %s and %ld more",
				   shown, name, count, first_names, count - 5);
	return app_err_set(err, APP_E_IN_USE, NULL,
			   "Cannot remove %s %s: it is used by %ld phone(s): %s", shown, name, count,
			   first_names);
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
