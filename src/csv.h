/*
 * csv.h: splitting one CSV line (RFC 4180: commas, double-quoted fields
 * with "" for a quote).  Pure C.
 */
#ifndef AXLPROV_CSV_H
#define AXLPROV_CSV_H

#include <stddef.h>

/* Splits line in place (its trailing CR/LF removed) into at most max
 * fields; returns the number of fields, or -1 for an unterminated quote or
 * more than max fields. */
int csv_split(char *line, char **fields, int max);

#endif
