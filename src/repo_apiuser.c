/*
 * repo_apiuser.c: the api_user table.  Each write is one statement that also
 * inserts its audit row (parameters after the write's own: repo_audit.h).
 */
#include "repo_apiuser.h"

#include <stdio.h>

#include "db_pq.h"
#include "repo_audit.h"

static const struct db_stmt st_get = {
	"apiuser_get", "SELECT password_hash, role FROM api_user WHERE userid = $1"
};

/* The writes, each wrapped with its audit insert (repo_audit_wrap) by
 * repo_init(); api users have no uuid, so the audit row's is NULL. */
#define SQL_PUT \
	"INSERT INTO api_user (userid, password_hash, role) VALUES ($1, $2, $3)" \
	" ON CONFLICT (userid) DO UPDATE SET password_hash = EXCLUDED.password_hash," \
	" role = EXCLUDED.role, updated_at = now() RETURNING userid, NULL::text AS pkid"
#define SQL_ADD \
	"INSERT INTO api_user (userid, password_hash, role) VALUES ($1, $2, $3)" \
	" RETURNING userid, NULL::text AS pkid"
#define SQL_PASSWD \
	"UPDATE api_user SET password_hash = $2, updated_at = now() WHERE userid = $1" \
	" RETURNING userid, NULL::text AS pkid"
#define SQL_REMOVE "DELETE FROM api_user WHERE userid = $1 RETURNING userid, NULL::text AS pkid"
#define USER_SQL_MAX 1024

static char sql_put[USER_SQL_MAX], sql_add[USER_SQL_MAX], sql_passwd[USER_SQL_MAX],
	sql_remove[USER_SQL_MAX];
static const struct db_stmt st_put = { "apiuser_put", sql_put };
static const struct db_stmt st_add = { "apiuser_add", sql_add };
static const struct db_stmt st_passwd = { "apiuser_passwd", sql_passwd };
static const struct db_stmt st_remove = { "apiuser_remove", sql_remove };

void
repo_apiuser_build(void)
{
	repo_audit_wrap(sql_put, sizeof(sql_put), SQL_PUT, 3, "apiUser", "w.userid", NULL);
	repo_audit_wrap(sql_add, sizeof(sql_add), SQL_ADD, 3, "apiUser", "w.userid", NULL);
	repo_audit_wrap(sql_passwd, sizeof(sql_passwd), SQL_PASSWD, 2, "apiUser", "w.userid", NULL);
	repo_audit_wrap(sql_remove, sizeof(sql_remove), SQL_REMOVE, 1, "apiUser", "w.userid", NULL);
}

static const struct db_stmt st_list = {
	"apiuser_list", "SELECT userid, role,"
			" to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			" to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
			" FROM api_user ORDER BY userid COLLATE \"C\""
};

bool
repo_apiuser_get(struct db *db, const char *userid, char hash[APIUSER_HASH_MAX],
		 char role[APIUSER_ROLE_MAX], struct app_err *err)
{
	PGresult *res = db_exec(db, &st_get, 1, &userid, err);
	bool found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	if (found) {
		db_copy(res, 0, 0, hash, APIUSER_HASH_MAX);
		db_copy(res, 0, 1, role, APIUSER_ROLE_MAX);
	}
	PQclear(res);
	return found || app_err_set(err, APP_E_NOT_FOUND, "userid", "no such user");
}

/* Runs an audited write; false with APP_E_NOT_FOUND when it touched no row. */
static bool
audited_write(struct db *db, const struct db_stmt *st, const char **params, int n,
	      const struct actor *actor, const char *changes, const char *userid,
	      struct app_err *err)
{
	PGresult *res;
	bool found;

	res = repo_write(db, st, params, n, actor, changes, err);
	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	PQclear(res);
	return found || app_err_set(err, APP_E_NOT_FOUND, "userid", "no AXL user %s", userid);
}

/* {"role": ..., "password": "(redacted)"}: the password by name only. */
static void
user_changes(struct xbuf *b, const char *role, bool password)
{
	audit_changes_begin(b);
	if (role != NULL)
		audit_change(b, "role", role);
	if (password)
		audit_change_secret(b, "password");
	audit_changes_end(b);
}

static bool
write_user(struct db *db, const struct db_stmt *st, const char *userid, const char *hash,
	   const char *role, const struct actor *actor, struct app_err *err)
{
	const char *params[3 + AUDIT_NPARAMS] = { userid, hash, role };
	struct xbuf changes;
	bool ok;

	xbuf_init(&changes);
	user_changes(&changes, role, hash != NULL);
	ok = audited_write(db, st, params, role != NULL ? 3 : 2, actor, changes.data, userid, err);
	xbuf_free(&changes);
	return ok;
}

bool
repo_apiuser_put(struct db *db, const char *userid, const char *hash, const char *role,
		 const struct actor *actor, struct app_err *err)
{
	return write_user(db, &st_put, userid, hash, role, actor, err);
}

bool
repo_apiuser_add(struct db *db, const char *userid, const char *hash, const char *role,
		 const struct actor *actor, struct app_err *err)
{
	return write_user(db, &st_add, userid, hash, role, actor, err);
}

bool
repo_apiuser_set_password(struct db *db, const char *userid, const char *hash,
			  const struct actor *actor, struct app_err *err)
{
	return write_user(db, &st_passwd, userid, hash, NULL, actor, err);
}

bool
repo_apiuser_remove(struct db *db, const char *userid, const struct actor *actor,
		    struct app_err *err)
{
	const char *params[1 + AUDIT_NPARAMS] = { userid };

	return audited_write(db, &st_remove, params, 1, actor, "{}", userid, err);
}

bool
repo_apiuser_list(struct db *db, apiuser_row_fn fn, void *ctx, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_list, 0, NULL, err);

	if (res == NULL)
		return false;
	for (int r = 0; r < PQntuples(res); r++)
		if (!fn(ctx, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
			PQgetvalue(res, r, 3)))
			break;
	PQclear(res);
	return true;
}
