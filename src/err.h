/*
 * err.h: the application error every layer reports with.  Domain, repository
 * and config code fill a struct app_err; only axl_fault.c turns one into
 * wire bytes.  No gSOAP or libpq types here.
 */
#ifndef AXLPROV_ERR_H
#define AXLPROV_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum app_errcode {
	APP_OK = 0,
	APP_E_MISSING_FIELD,   /* a required element is absent or empty */
	APP_E_INVALID_VALUE,   /* a value is malformed, out of range or not allowed */
	APP_E_NOT_FOUND,       /* the named or uuid'd item does not exist */
	APP_E_REMOVE_NOT_FOUND,/* remove of an item that does not exist */
	APP_E_DUPLICATE,       /* unique name already taken */
	APP_E_READ_ONLY,       /* predefined item: cannot be changed or removed */
	APP_E_IN_USE,          /* still referenced, cannot be removed */
	APP_E_RULE,            /* a business rule refuses the change */
	APP_E_CONFLICT,        /* the row changed under an update: read again */
	APP_E_TOO_LARGE,       /* response would pass the size limit */
	APP_E_DB_UNAVAILABLE,  /* no database connection */
	APP_E_INTERNAL,        /* a bug or an unexpected database error */
	APP_E__COUNT
};

struct app_err {
	enum app_errcode code;
	char field[64];        /* AXL element the error is about, "" if none */
	char msg[512];         /* the full, client-facing text */
};

/* The kinds of object AXL faults speak of. */
enum obj_kind { OBJ_NONE, OBJ_PROFILE, OBJ_PHONE, OBJ_USER, OBJ__COUNT };

/* Set err (which may be NULL) and return false, so callers can write
 * `return app_err_set(...)`. */
bool app_err_set(struct app_err *err, enum app_errcode code, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The common "Invalid value for <field>: <value>" text, with a reason. */
bool app_err_invalid(struct app_err *err, const char *field, const char *value,
		     const char *reason);

/* AXL's wording, one table keyed by code and object kind (err.c): callers
 * give the code, the kind and the names, never the text.  Each returns
 * false, like app_err_set().
 *   APP_E_NOT_FOUND         Item not valid: The specified <kind> was not found
 *   APP_E_REMOVE_NOT_FOUND  Item not valid: The specified entry was not found
 *   APP_E_DUPLICATE         Could not insert new row - duplicate value ...
 * field is the element the error is about (or NULL). */
bool app_err_kind(struct app_err *err, enum app_errcode code, enum obj_kind kind,
		  const char *field);

/* "Missing required element: <what>", what defaulting to the element. */
bool app_err_missing(struct app_err *err, const char *element, const char *what);

/* A predefined item refuses the change (verb: "update", "remove"). */
bool app_err_predefined(struct app_err *err, enum obj_kind kind, const char *verb,
			const char *name);

/* Still used by phones: "Cannot remove <kind> <name>: it is used by <n>
 * phone(s): A, B, C[ and <m> more]" (first_names: up to five). */
bool app_err_in_use(struct app_err *err, enum obj_kind kind, const char *name, long count,
		    const char *first_names);

/* A text value: valid UTF-8 without control characters, at most maxc
 * characters and under size bytes (size 0: no byte limit). */
bool app_err_check_text(struct app_err *err, const char *element, const char *value,
			long maxc, size_t size);

#endif
