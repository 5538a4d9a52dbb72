/*
 * ops.c: the table of AXL operations (see ops.h).
 */
#include "ops.h"

#include <string.h>

static const char *const ops[] = {
	"addPhoneSecurityProfile", "getPhoneSecurityProfile", "updatePhoneSecurityProfile",
	"removePhoneSecurityProfile", "listPhoneSecurityProfile",
	"addPhone", "getPhone", "updatePhone", "removePhone", "listPhone",
	"addUser", "getUser", "updateUser", "removeUser",
	"applyPhoneSecurityProfile", "resetPhoneSecurityProfile",
	"applyPhone", "resetPhone", "restartPhone",
};
#define NOPS ((int) (sizeof(ops) / sizeof(ops[0])))

static const char *const write_prefixes[] = {
	"add", "update", "remove", "apply", "reset", "restart",
};

bool
axl_op_is_write(const char *op)
{
	for (size_t i = 0; i < sizeof(write_prefixes) / sizeof(write_prefixes[0]); i++)
		if (strncmp(op, write_prefixes[i], strlen(write_prefixes[i])) == 0)
			return true;
	return false;
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
		if (strcmp(op, ops[i]) == 0)
			return i;
	return -1;
}

const char *
axl_op_name(int i)
{
	return i >= 0 && i < NOPS ? ops[i] : "other";
}
