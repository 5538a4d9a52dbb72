/*
 * access.c: the role rule.  CUCM gives a read-only AXL user every read and
 * answers a write with HTTP 401; so do we (ops.c says which ops write).
 */
#include "access.h"
#include "ops.h"

#include <stddef.h>
#include <string.h>

bool
access_allowed(const char *role, const char *op)
{
	return (role != NULL && strcmp(role, ROLE_FULL) == 0) || !axl_op_is_write(op);
}
