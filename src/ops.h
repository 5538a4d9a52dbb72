/*
 * ops.h: the AXL operations this server knows, as a fixed table: which
 * ones write (for throttling) and a small index per name (for metric
 * labels, so that a hostile body element can never create a new label).
 */
#ifndef AXLPROV_OPS_H
#define AXLPROV_OPS_H

#include <stdbool.h>

/* True for a known operation that changes data or queues NOTIFYs (add,
 * update, remove, apply, reset, restart); false for reads, NULL and
 * operations we do not serve (the dispatcher answers those with a fault). */
bool axl_op_is_write(const char *op);

/* Number of known operations; their indexes are 0 .. axl_op_count() - 1. */
int axl_op_count(void);

/* The index of a known operation, or -1. */
int axl_op_find(const char *op);

/* The name at an index (0 <= i < axl_op_count()). */
const char *axl_op_name(int i);

#endif
