/*
 * ops.h: the AXL operations this server knows, as a fixed table: which
 * ones write (for throttling) and a small index per name (for metric
 * labels, so that a hostile body element can never create a new label).
 */
#ifndef AXLPROV_OPS_H
#define AXLPROV_OPS_H

#include <stdbool.h>

/* add*, update*, remove*, apply*, reset*, restart*: the operations that
 * change data or queue NOTIFYs.  Decided by prefix, so that an unknown
 * operation named like a write is treated as one. */
bool axl_op_is_write(const char *op);

/* Number of known operations; their indexes are 0 .. axl_op_count() - 1. */
int axl_op_count(void);

/* The index of a known operation, or -1. */
int axl_op_find(const char *op);

/* The name at an index (0 <= i < axl_op_count()). */
const char *axl_op_name(int i);

#endif
