/*
 * db.h: one PostgreSQL connection, used by one thread at a time: opening,
 * readiness, transactions.  No libpq types: the statements and their
 * results are db_pq.h's, which only db.c and the repositories (repo_*.c)
 * include (`make build` checks it).
 */
#ifndef AXLPROV_DB_H
#define AXLPROV_DB_H

#include <stdbool.h>

#include "err.h"

struct db;

/* Builds the SQL of every repository (from the field tables) once, at
 * start-up before any query; statements are prepared per connection on
 * first use. */
void repo_init(void);

/* Never fails for a bad server: connects lazily.  NULL only when out of
 * memory. */
struct db *db_open(const char *conninfo);
void db_close(struct db *db);

/* Connects or reconnects when needed; false (APP_E_DB_UNAVAILABLE) when the
 * server cannot be reached. */
bool db_ready(struct db *db, struct app_err *err);

/* Transactions.  db_rollback() is safe to call after any failure. */
bool db_begin(struct db *db, struct app_err *err);
bool db_commit(struct db *db, struct app_err *err);
void db_rollback(struct db *db);
bool db_in_tx(const struct db *db);

/* Commits when a transaction is open (one was begun on demand). */
bool db_commit_if_open(struct db *db, struct app_err *err);

/* The one savepoint inside a transaction (a step that may fail and be
 * retried, such as creating a profile another request may create too):
 * set it, release it, or roll back to it. */
enum db_savepoint { DB_SAVEPOINT_SET, DB_SAVEPOINT_RELEASE, DB_SAVEPOINT_ROLLBACK };
bool db_savepoint(struct db *db, enum db_savepoint what, struct app_err *err);

#endif
