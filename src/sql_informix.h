/*
 * sql_informix.h: a client's executeSQLQuery statement made ready for
 * PostgreSQL.  CUCM's database is Informix, and scripts written for it use
 * a few habits PostgreSQL does not accept; this module translates those
 * (SELECT SKIP n FIRST m, SELECT FIRST m, SELECT LIMIT m, SELECT UNIQUE)
 * and refuses what it must with a clear message: anything but one SELECT
 * (or WITH) statement, MATCHES, the system catalogs, Unicode-escaped names.
 * It reads the statement only as far as that needs: a tokenizer that knows
 * PostgreSQL's strings, quoted names and comments, so that a ';' or a word
 * inside them is never taken for one outside.  Pure C; the database role
 * the statement runs as is the real boundary (docs/sql-query.md).
 */
#ifndef AXLPROV_SQL_INFORMIX_H
#define AXLPROV_SQL_INFORMIX_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Room translate needs for a statement of n bytes. */
#define SQL_TRANSLATED_SIZE(n) ((n) + 64)

/* Translates sql into out (out_size >= SQL_TRANSLATED_SIZE(strlen(sql))):
 * true, or false with err set (APP_E_SQL, or APP_E_MISSING_FIELD for an
 * empty statement).  The trailing ';' is dropped. */
bool sql_informix_translate(const char *sql, char *out, size_t out_size, struct app_err *err);

/* The XML element name for a result column: lower case, characters an XML
 * name cannot have as '_', '_' first when it would not start a name
 * (PostgreSQL's "?column?" becomes "_column_").  Always NUL-terminated;
 * size >= 2. */
void sql_column_element(const char *column, char *out, size_t size);

#endif
