/*
 * err.h: the application error every layer reports with.  Domain, repository
 * and config code fill a struct app_err; axl_fault.c holds AXL's codes and
 * wording for it, axl_wire.c writes the fault.  No gSOAP or libpq types here.
 */
#ifndef AXLPROV_ERR_H
#define AXLPROV_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum app_errcode {
	APP_OK = 0,
	APP_E_MISSING_FIELD,    /* a required element is absent or empty */
	APP_E_INVALID_VALUE,    /* a value is malformed, out of range or not allowed */
	APP_E_NOT_FOUND,        /* the named or uuid'd item does not exist */
	APP_E_REMOVE_NOT_FOUND, /* remove of an item that does not exist */
	APP_E_DUPLICATE,        /* unique name already taken */
	APP_E_READ_ONLY,        /* predefined item: cannot be changed or removed */
	APP_E_IN_USE,           /* still referenced, cannot be removed */
	APP_E_RULE,             /* a business rule refuses the change */
	APP_E_CONFLICT,         /* the row changed under an update: read again */
	APP_E_TOO_LARGE,        /* response would pass the size limit */
	APP_E_SQL,              /* executeSQLQuery: a statement refused, or the database's error */
	APP_E_DB_UNAVAILABLE,   /* no database connection */
	APP_E_INTERNAL,         /* a bug or an unexpected database error */
	APP_E__COUNT
};

struct app_err {
	enum app_errcode code;
	char field[64]; /* AXL element the error is about, "" if none */
	char msg[512];  /* the full, client-facing text */
};

/* Set err (which may be NULL) and return false, so callers can write
 * `return app_err_set(...)`. */
bool app_err_set(struct app_err *err, enum app_errcode code, const char *field, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* The common "Invalid value for <field>: <value>" text, with a reason. */
bool app_err_invalid(struct app_err *err, const char *field, const char *value, const char *reason);

/* A text value: valid UTF-8 without control characters, at most maxc
 * characters and under size bytes (size 0: no byte limit). */
bool app_err_check_text(struct app_err *err, const char *element, const char *value, long maxc,
			size_t size);

#endif
