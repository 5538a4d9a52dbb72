/*
 * repo_sql.h: running a client's executeSQLQuery statement.  It runs on a
 * connection of its own per worker thread, logged in as the query role
 * (axlprov_sql: it can read the data dictionary's views in schema ccm and
 * nothing else), in a READ ONLY transaction that is always rolled back,
 * with search_path ccm and statement_timeout from the settings.  Rows are
 * read one at a time (libpq's single-row mode), so memory stays bounded
 * whatever the result's size.
 */
#ifndef AXLPROV_REPO_SQL_H
#define AXLPROV_REPO_SQL_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

/* The role the migrations create for clients' statements. */
#define REPO_SQL_ROLE "axlprov_sql"

/* Where the rows go.  columns() is called once before any row (also for a
 * result without rows); row() once per row while it returns true (values[i]
 * NULL for SQL NULL); after it returns false the remaining rows are only
 * counted. */
struct sql_rows {
	void (*columns)(void *ctx, int n, const char *const *names);
	bool (*row)(void *ctx, int n, const char *const *values);
	void *ctx;
};

/* Runs one statement (already checked: sql_informix.c).  *matched is the
 * number of rows the statement returned.  False with err set: APP_E_SQL and
 * the database's message for a statement it refused (a missing table, no
 * permission, the timeout, ...), APP_E_DB_UNAVAILABLE when it cannot be
 * reached. */
bool repo_sql_query(const struct config *cfg, const char *sql, const struct sql_rows *rows,
		    long *matched, struct app_err *err);

#endif
