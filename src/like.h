/*
 * like.h: AXL searchCriteria values are SQL LIKE patterns (% and _ are
 * wildcards, backslash escapes).  Pure C.
 */
#ifndef AXLPROV_LIKE_H
#define AXLPROV_LIKE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* False (5003 naming the element) for a pattern PostgreSQL would refuse:
 * one ending in a lone escape character, or holding control characters. */
bool like_check(const char *element, const char *pattern, struct app_err *err);

/* The literal text every match starts with (escapes resolved), and the
 * bounds of that prefix in byte order: every match m has lo <= m < hi.
 * Lets a generic plan range-scan the name index instead of filtering
 * rows one by one. */
void like_prefix_range(const char *pattern, char *lo, char *hi, size_t size);

#endif
