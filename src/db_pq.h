/*
 * db_pq.h: the libpq side of the database layer, for db.c and the
 * repositories (repo_*.c) only: statements, their results, and the
 * helpers every repository shares (repo_common.c).  `make build` fails
 * when any other file includes this or libpq-fe.h.
 */
#ifndef AXLPROV_DB_PQ_H
#define AXLPROV_DB_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "audit.h"
#include "axl_fault.h"
#include "db.h"
#include "err.h"
#include "uuid.h"

/* A statement: prepared on first use on each connection under `name`. */
struct db_stmt {
	const char *name;
	const char *sql;
};

/* Runs a statement with text parameters (NULL = SQL NULL).  Returns a
 * result the caller must PQclear(), or NULL with err set. */
PGresult *db_exec(struct db *db, const struct db_stmt *stmt, int nparams, const char *const *params,
		  struct app_err *err);

/* Copies a result value into a fixed buffer; a longer one is cut, never
 * overflowed (the schema's CHECK constraints keep values within size). */
void db_copy(const PGresult *res, int row, int col, char *out, size_t size);

/* Appends formatted text to a statement being built at start-up (buf holds
 * size bytes).  For column lists from field tables; never for values. */
void db_sql_append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- shared by the repositories (repo_common.c) ------------------------- */

/* A statement by name ([0], $1 = the name) and by uuid ([1], $1::uuid). */
typedef struct db_stmt repo_by_key[2];

/* Reads the one row the key names with st[0] or st[1] into out through
 * row(); APP_E_NOT_FOUND for kind (field name/uuid) when there is none. */
typedef void (*repo_row_fn)(const PGresult *res, int row, void *out);
bool repo_get_by_key(struct db *db, const repo_by_key st, const struct item_key *key,
		     enum obj_kind kind, repo_row_fn row, void *out, struct app_err *err);

/* Runs an audited write (a statement repo_audit_wrap built): params[0 ..
 * n - 1] are the write's own, with room for AUDIT_NPARAMS more; changes is
 * the audit's JSON.  The result (to PQclear), or NULL with err set. */
PGresult *repo_write(struct db *db, const struct db_stmt *st, const char **params, int n,
		     const struct actor *actor, const char *changes, struct app_err *err);

/* An optimistic update through repo_write: APP_E_CONFLICT naming `name`
 * when no row was still at the version read (the caller reads again). */
bool repo_update_checked(struct db *db, const struct db_stmt *st, const char **params, int n,
			 const struct actor *actor, const char *changes, const char *name,
			 struct app_err *err);

/* Runs the audited delete (repo_audit_wrap) the key names, $1 = the key;
 * *removed tells whether a row went, its pkid into uuid_out (if not NULL). */
bool repo_remove_by_key(struct db *db, const repo_by_key st, const struct item_key *key,
			const struct actor *actor, char uuid_out[UUID_DB_LEN + 1], bool *removed,
			struct app_err *err);

/* The statement texts of each repository, built by repo_init(). */
void repo_profile_build(void);
void repo_phone_build(void);
void repo_enduser_build(void);
void repo_apiuser_build(void);
void repo_capf_build(void);

#endif
