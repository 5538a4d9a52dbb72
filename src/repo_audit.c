/*
 * repo_audit.c: the audit table's SQL (see repo_audit.h).
 */
#include "repo_audit.h"

#include <stdio.h>

#include "db_pq.h"

void
repo_audit_wrap(char *out, size_t size, const char *write_sql, int nparams, const char *kind,
		const char *name_expr, const char *more_changes)
{
	out[0] = '\0';
	db_sql_append(out, size,
		      "WITH w AS (%s), a AS (INSERT INTO audit (userid, source, node, operation,"
		      " target_kind, target_name, target_uuid, changes)"
		      " SELECT $%d, $%d, $%d, $%d, '%s', %s, w.pkid::uuid, $%d::jsonb%s%s FROM w)"
		      " SELECT * FROM w",
		      write_sql, nparams + 1, nparams + 2, nparams + 3, nparams + 4, kind,
		      name_expr, nparams + 5, more_changes ? " || " : "",
		      more_changes ? more_changes : "");
}

int
repo_audit_params(const char **params, int n, const struct actor *a, const char *changes)
{
	params[n++] = a->who != NULL ? a->who : "";
	params[n++] = a->source != NULL ? a->source : "";
	params[n++] = a->node != NULL ? a->node : "";
	params[n++] = a->op != NULL ? a->op : "";
	params[n++] = changes != NULL ? changes : "{}";
	return n;
}

static const struct db_stmt st_list = {
	"audit_list",
	"SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
	" userid, source, node, operation, target_kind, coalesce(target_name, ''),"
	" coalesce(upper('{' || target_uuid::text || '}'), ''), changes::text"
	" FROM audit"
	" WHERE ($2::text IS NULL OR userid = $2) AND ($3::text IS NULL OR target_name = $3)"
	" AND ($4::timestamptz IS NULL OR at >= $4::timestamptz)"
	" ORDER BY id DESC LIMIT $1"
};

bool
repo_audit_list(struct db *db, const struct audit_filter *f, audit_row_fn fn, void *ctx,
		struct app_err *err)
{
	char limit[24];
	const char *params[4];
	PGresult *res;

	snprintf(limit, sizeof(limit), "%ld", f->limit);
	params[0] = f->limit >= 0 ? limit : NULL;
	params[1] = f->user;
	params[2] = f->target;
	params[3] = f->since;
	res = db_exec(db, &st_list, 4, params, err);
	if (res == NULL)
		return false;
	for (int r = 0; r < PQntuples(res); r++) {
		struct audit_row row = {
			PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
			PQgetvalue(res, r, 3), PQgetvalue(res, r, 4), PQgetvalue(res, r, 5),
			PQgetvalue(res, r, 6), PQgetvalue(res, r, 7), PQgetvalue(res, r, 8),
			PQgetvalue(res, r, 9),
		};

		if (!fn(ctx, &row))
			break;
	}
	PQclear(res);
	return true;
}
