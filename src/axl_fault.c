/*
 * axl_fault.c: what AXL says for an application error, as tables: the
 * axlcode and Client/Server choice of each code (the ones real CUCM
 * responses carry: business and database rule violations are Client,
 * lookups and validation are Server; docs/axl.md, "Faults", gives the
 * sources), and AXL's wording keyed by code and
 * object kind.  Pure C, so the rules (profile.c, phone.c) and the unit
 * tests use the same texts; the fault bytes are written by axl_wire.c.
 */
#include "axl_fault.h"

#include <stdio.h>

/* Each code's axlcode, faultcode and, where AXL has one, its text, byte
 * for byte (clients and tests match them): before, the kind's name when
 * `named`, after. */
/* clang-format off */
static const struct fault_map {
	int axlcode;
	bool client;   /* faultcode soapenv:Client (true) or soapenv:Server */
	const char *before;
	bool named;
	const char *after;
} fault_map[APP_E__COUNT] = {
	[APP_OK]                 = { -1, false, NULL, false, NULL },
	[APP_E_MISSING_FIELD]    = { 5003, false, NULL, false, NULL },
	[APP_E_INVALID_VALUE]    = { 5003, false, NULL, false, NULL },
	[APP_E_NOT_FOUND]        = { 5007, false, "Item not valid: The specified ", true,
				     " was not found" },
	[APP_E_REMOVE_NOT_FOUND] = { 5007, false,
				     "Item not valid: The specified entry was not found", false,
				     "" },
	[APP_E_DUPLICATE]        = { -239, true, "Could not insert new row - duplicate value in"
				     " a UNIQUE INDEX column (Unique Index:).", false, "" },
	[APP_E_READ_ONLY]        = { -746, true, NULL, false, NULL },
	[APP_E_IN_USE]           = { -692, true, NULL, false, NULL },
	/* CUCM's code for rule violations */
	[APP_E_RULE]             = { -746, true, NULL, false, NULL },
	/* only after several retries */
	[APP_E_CONFLICT]         = { -1, false, NULL, false, NULL },
	[APP_E_TOO_LARGE]        = { -1, false, NULL, false, NULL },
	/* the caller's statement: CUCM answers -1 with the database's text */
	[APP_E_SQL]              = { -1, true, NULL, false, NULL },
	[APP_E_DB_UNAVAILABLE]   = { -1, false, NULL, false, NULL },
	[APP_E_INTERNAL]         = { -1, false, NULL, false, NULL },
};
/* clang-format on */

int
axl_fault_code(enum app_errcode code)
{
	return code < APP_E__COUNT ? fault_map[code].axlcode : -1;
}

bool
axl_fault_is_client(enum app_errcode code)
{
	return code < APP_E__COUNT && fault_map[code].client;
}

/* How AXL names each kind of object in its texts. */
/* clang-format off */
static const struct {
	const char *shown;        /* "The specified <shown> was not found" */
	const char *predefined;   /* "Cannot remove a predefined <predefined>" */
} kinds[OBJ__COUNT] = {
	[OBJ_NONE]    = { "entry", "item" },
	[OBJ_PROFILE] = { "Phone Security Profile", "security profile" },
	[OBJ_PHONE]   = { "Phone", "phone" },
	[OBJ_USER]    = { "User", "user" },
};
/* clang-format on */
#define KIND(k) kinds[(k) < OBJ__COUNT ? (k) : OBJ_NONE]

bool
axl_err(struct app_err *err, enum app_errcode code, enum obj_kind kind, const char *field)
{
	const struct fault_map *m = code < APP_E__COUNT ? &fault_map[code] : NULL;

	if (m == NULL || m->before == NULL)
		return app_err_set(err, APP_E_INTERNAL, field, "Internal error (code %d)",
				   (int) code);
	return app_err_set(err, code, field, "%s%s%s", m->before, m->named ? KIND(kind).shown : "",
			   m->after);
}

bool
axl_err_missing(struct app_err *err, const char *element, const char *what)
{
	return app_err_set(err, APP_E_MISSING_FIELD, element, "Missing required element: %s",
			   what != NULL ? what : element);
}

bool
axl_err_predefined(struct app_err *err, enum obj_kind kind, const char *verb, const char *name)
{
	return app_err_set(err, APP_E_READ_ONLY, NULL, "Cannot %s a predefined %s: %s", verb,
			   KIND(kind).predefined, name);
}

bool
axl_err_in_use(struct app_err *err, enum obj_kind kind, const char *name, long count,
	       const char *first_names)
{
	const char *shown = KIND(kind).shown;

	if (count > 5)
		return app_err_set(
			err, APP_E_IN_USE, NULL,
			"Cannot remove %s %s: it is used by %ld phone(s): %s and %ld more", shown,
			name, count, first_names, count - 5);
	return app_err_set(err, APP_E_IN_USE, NULL,
			   "Cannot remove %s %s: it is used by %ld phone(s): %s", shown, name,
			   count, first_names);
}
