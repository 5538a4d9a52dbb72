/*
 * uuid.h: AXL uuid text forms.  AXL prints {UPPER-CASE} in braces and
 * accepts any case with or without braces; the database keeps the plain
 * lower-case form.  Pure C.
 */
#ifndef AXLPROV_UUID_H
#define AXLPROV_UUID_H

#include <stdbool.h>

#define UUID_DB_LEN 36  /* 8-4-4-4-12, no braces */
#define UUID_AXL_LEN 38 /* with braces */

/* An item named either by name or by uuid (database form): exactly one is
 * set.  Every get/update/remove takes one. */
struct item_key {
	const char *name;
	const char *uuid;
};

/* Accepts "{8-4-4-4-12}" or "8-4-4-4-12" in any case (surrounding white
 * space ignored); writes the lower-case, brace-less form. */
bool uuid_parse(const char *in, char out[UUID_DB_LEN + 1]);

/* Database form (any case, braces or not) -> "{UPPER}". */
void uuid_format(const char *db, char out[UUID_AXL_LEN + 1]);

#endif
