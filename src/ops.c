/*
 * ops.c: the table of AXL operations (see ops.h).
 */
#include "ops.h"

#include <string.h>

/* Every operation served, and whether it changes data or queues NOTIFYs:
 * what throttling and the read-only role both go by. */
static const struct {
	const char *name;
	bool write;
} ops[] = {
	{ "addPhoneSecurityProfile", true },
	{ "getPhoneSecurityProfile", false },
	{ "updatePhoneSecurityProfile", true },
	{ "removePhoneSecurityProfile", true },
	{ "listPhoneSecurityProfile", false },
	{ "addPhone", true },
	{ "getPhone", false },
	{ "updatePhone", true },
	{ "removePhone", true },
	{ "listPhone", false },
	{ "addUser", true },
	{ "getUser", false },
	{ "updateUser", true },
	{ "removeUser", true },
	{ "applyPhoneSecurityProfile", true },
	{ "resetPhoneSecurityProfile", true },
	{ "applyPhone", true },
	{ "resetPhone", true },
	{ "restartPhone", true },
};
#define NOPS ((int) (sizeof(ops) / sizeof(ops[0])))

bool
axl_op_is_write(const char *op)
{
	int i = op != NULL ? axl_op_find(op) : -1;

	return i >= 0 && ops[i].write;
}

int
axl_op_count(void)
{
	return NOPS;
}

int
axl_op_find(const char *op)
{
	for (int i = 0; i < NOPS; i++)
		if (strcmp(op, ops[i].name) == 0)
			return i;
	return -1;
}

const char *
axl_op_name(int i)
{
	return i >= 0 && i < NOPS ? ops[i].name : "other";
}
