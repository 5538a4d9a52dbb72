/*
 * repo_audit.h: SQL for the audit table.  A write statement that returns
 * its row's pkid is wrapped (at start-up) into one statement that also
 * inserts the audit row from what the write returned: one round trip, and
 * no audit row unless the write changed a row, both committing together.
 */
#ifndef AXLPROV_REPO_AUDIT_H
#define AXLPROV_REPO_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "err.h"

struct db;

/* Parameters the wrapped statement takes after the write's own. */
#define AUDIT_NPARAMS 5

/* out = WITH w AS (write_sql) , audit insert from w, SELECT * FROM w.
 * write_sql has nparams parameters and RETURNs pkid; name_expr is the
 * target's name as an SQL expression over w (e.g. "w.name"); more_changes
 * (or NULL) a jsonb expression over w merged into the given changes, for
 * values only the statement knows. */
void repo_audit_wrap(char *out, size_t size, const char *write_sql, int nparams, const char *kind,
		     const char *name_expr, const char *more_changes);

/* Sets params[n .. n + AUDIT_NPARAMS - 1] from the actor and the changes
 * JSON; returns the new count. */
int repo_audit_params(const char **params, int n, const struct actor *a, const char *changes);

struct audit_filter {
	long limit;         /* newest first, at most this many */
	const char *user;   /* NULL: any */
	const char *target; /* target name, NULL: any */
	const char *since;  /* timestamp text, NULL: any */
};

struct audit_row {
	const char *id, *at, *userid, *source, *node, *operation, *target_kind, *target_name,
		*target_uuid, *changes;
};

typedef bool (*audit_row_fn)(void *ctx, const struct audit_row *row);

/* Bad --since text is APP_E_INVALID_VALUE. */
bool repo_audit_list(struct db *db, const struct audit_filter *f, audit_row_fn fn, void *ctx,
		     struct app_err *err);

#endif
