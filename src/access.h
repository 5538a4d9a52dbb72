/*
 * access.h: which AXL operations write, and which roles may call them.
 * One table (access.c) decides; the serve loop asks once per request, after
 * the operation is known and before anything is dispatched.
 */
#ifndef AXLPROV_ACCESS_H
#define AXLPROV_ACCESS_H

#include <stdbool.h>

#define ROLE_FULL "full"
#define ROLE_READ_ONLY "read-only"

/* True for an operation that changes data (add, update, remove, apply,
 * reset, restart); false for reads and for operations we do not know (the
 * dispatcher answers those as before). */
bool access_is_write(const char *op);

/* May a caller with `role` run `op`?  Only "full" may write. */
bool access_allowed(const char *role, const char *op);

#endif
