/*
 * repo_user.c: the api_user table.
 */
#include "repo_user.h"

#include <stdio.h>

#include "db.h"

static const struct db_stmt st_get = {
	"user_get", "SELECT password_hash, role FROM api_user WHERE userid = $1"
};
static const struct db_stmt st_put = {
	"user_put",
	"INSERT INTO api_user (userid, password_hash, role) VALUES ($1, $2, $3)"
	" ON CONFLICT (userid) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
	" role = EXCLUDED.role, updated_at = now()"
};

bool
repo_user_get(struct db *db, const char *userid, char hash[USER_HASH_MAX],
	      char role[USER_ROLE_MAX], struct app_err *err)
{
	PGresult *res = db_exec(db, &st_get, 1, &userid, err);
	bool found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	if (found) {
		db_copy(res, 0, 0, hash, USER_HASH_MAX);
		db_copy(res, 0, 1, role, USER_ROLE_MAX);
	}
	PQclear(res);
	return found || app_err_set(err, APP_E_NOT_FOUND, "userid", "no such user");
}

bool
repo_user_put(struct db *db, const char *userid, const char *hash, const char *role,
	      struct app_err *err)
{
	const char *params[3] = { userid, hash, role };
	PGresult *res = db_exec(db, &st_put, 3, params, err);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}
