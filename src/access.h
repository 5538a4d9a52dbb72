/*
 * access.h: which roles may call which AXL operations.  The rule is in
 * ops.c, next to the table that says which operations write; the serve
 * loop asks once per request, after the operation is known and before
 * anything is dispatched.
 */
#ifndef AXLPROV_ACCESS_H
#define AXLPROV_ACCESS_H

#include <stdbool.h>

#define ROLE_FULL "full"
#define ROLE_READ_ONLY "read-only"

/* May a caller with `role` run `op`?  Only "full" may write. */
bool access_allowed(const char *role, const char *op);

#endif
