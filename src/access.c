/*
 * access.c: the table of AXL write operations and the role rule.  CUCM
 * gives a read-only AXL user every read and answers a write with HTTP 401;
 * so do we.
 */
#include "access.h"

#include <stddef.h>
#include <string.h>

/* Every operation we serve that changes something.  Reads (get, list) are
 * not listed: an operation missing here is never refused for its role. */
static const char *const write_ops[] = {
	"addPhoneSecurityProfile",
	"updatePhoneSecurityProfile",
	"removePhoneSecurityProfile",
	"applyPhoneSecurityProfile",
	"resetPhoneSecurityProfile",
	"addPhone",
	"updatePhone",
	"removePhone",
	"applyPhone",
	"resetPhone",
	"restartPhone",
	"addUser",
	"updateUser",
	"removeUser",
};

bool
access_is_write(const char *op)
{
	if (op == NULL)
		return false;
	for (size_t i = 0; i < sizeof(write_ops) / sizeof(write_ops[0]); i++)
		if (strcmp(op, write_ops[i]) == 0)
			return true;
	return false;
}

bool
access_allowed(const char *role, const char *op)
{
	return (role != NULL && strcmp(role, ROLE_FULL) == 0) || !access_is_write(op);
}
