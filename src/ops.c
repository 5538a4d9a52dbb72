/*
 * ops.c: the table of AXL operations (ops.h) and the role rule.  CUCM
 * gives a read-only AXL user every read and answers a write with HTTP 401;
 * so do we.
 */
#include "ops.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	bool write;
	enum obj_kind kind;
} ops[OP__COUNT] = {
#define OP_ROW(id, name, writes, kind, handler, req, res) [OP_##id] = { #name, writes, kind },
	AXL_OPS(OP_ROW)
#undef OP_ROW
};

bool
axl_op_is_write(const char *op)
{
	int i = op != NULL ? axl_op_find(op) : -1;

	return i >= 0 && ops[i].write;
}

int
axl_op_count(void)
{
	return OP__COUNT;
}

int
axl_op_find(const char *op)
{
	for (int i = 0; i < OP__COUNT; i++)
		if (strcmp(op, ops[i].name) == 0)
			return i;
	return -1;
}

const char *
axl_op_name(int i)
{
	return i >= 0 && i < OP__COUNT ? ops[i].name : "other";
}

enum obj_kind
axl_op_kind(enum op_id op)
{
	return ops[op].kind;
}

bool
access_allowed(const char *role, const char *op)
{
	return (role != NULL && strcmp(role, ROLE_FULL) == 0) || !axl_op_is_write(op);
}
