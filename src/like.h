/*
 * like.h: AXL searchCriteria values are SQL LIKE patterns (% and _ are
 * wildcards, backslash escapes).  Pure C.
 */
#ifndef AXLPROV_LIKE_H
#define AXLPROV_LIKE_H

#include <stdbool.h>

#include "err.h"

/* False (5003 naming the element) for a pattern PostgreSQL would refuse:
 * one ending in a lone escape character, or holding control characters. */
bool like_check(const char *element, const char *pattern, struct app_err *err);

#endif
