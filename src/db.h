/*
 * db.h: one PostgreSQL connection, used by one thread at a time.  Owns
 * connecting and reconnecting, per-connection prepared statements,
 * transactions, and the mapping of SQLSTATEs to application errors.  Only
 * db.c and repo_*.c include this (it exposes libpq types).
 */
#ifndef AXLPROV_DB_H
#define AXLPROV_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"

struct db;

/* A statement: prepared on first use on each connection under `name`. */
struct db_stmt {
	const char *name;
	const char *sql;
};

/* Never fails for a bad server: connects lazily.  NULL only when out of
 * memory. */
struct db *db_open(const char *conninfo);
void db_close(struct db *db);

/* Connects or reconnects when needed; false (APP_E_DB_UNAVAILABLE) when the
 * server cannot be reached. */
bool db_ready(struct db *db, struct app_err *err);

/* Runs a statement with text parameters (NULL = SQL NULL).  Returns a
 * result the caller must PQclear(), or NULL with err set. */
PGresult *db_exec(struct db *db, const struct db_stmt *stmt, int nparams,
		  const char *const *params, struct app_err *err);

/* Copies a result value into a fixed buffer; a longer one is cut, never
 * overflowed (the schema's CHECK constraints keep values within size). */
void db_copy(const PGresult *res, int row, int col, char *out, size_t size);

/* Transactions.  db_rollback() is safe to call after any failure. */
bool db_begin(struct db *db, struct app_err *err);
bool db_commit(struct db *db, struct app_err *err);
void db_rollback(struct db *db);
bool db_in_tx(const struct db *db);

/* Commits when a transaction is open (one was begun on demand). */
bool db_commit_if_open(struct db *db, struct app_err *err);

/* Appends formatted text to a statement being built at start-up (buf holds
 * size bytes).  For column lists from field tables; never for values. */
void db_sql_append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs a constant statement without parameters (SAVEPOINT and the like). */
bool db_run(struct db *db, const char *sql, struct app_err *err);

#endif
