/*
 * repo_common.c: what every repository shares: building all statement
 * texts once (repo_init), reading one row by name or uuid, and the
 * audited removal by key.
 */
#include "db_pq.h"
#include "repo_audit.h"

void
repo_init(void)
{
	repo_profile_build();
	repo_phone_build();
	repo_enduser_build();
	repo_apiuser_build();
	repo_capf_build();
}

bool
repo_get_by_key(struct db *db, const repo_by_key st, const struct item_key *key, enum obj_kind kind,
		repo_row_fn row, void *out, struct app_err *err)
{
	const char *param = key->name ? key->name : key->uuid;
	PGresult *res = db_exec(db, &st[key->name ? 0 : 1], 1, &param, err);
	bool found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	if (found)
		row(res, 0, out);
	PQclear(res);
	/* End users are named by their userid, the rest by a name. */
	return found || axl_err(err, APP_E_NOT_FOUND, kind,
				key->name == NULL ? "uuid" :
				kind == OBJ_USER  ? "userid" :
						    "name");
}

PGresult *
repo_write(struct db *db, const struct db_stmt *st, const char **params, int n,
	   const struct actor *actor, const char *changes, struct app_err *err)
{
	return db_exec(db, st, repo_audit_params(params, n, actor, changes), params, err);
}

bool
repo_update_checked(struct db *db, const struct db_stmt *st, const char **params, int n,
		    const struct actor *actor, const char *changes, const char *name,
		    struct app_err *err)
{
	PGresult *res = repo_write(db, st, params, n, actor, changes, err);
	bool changed;

	if (res == NULL)
		return false;
	changed = PQntuples(res) == 1;
	PQclear(res);
	return changed || app_err_set(err, APP_E_CONFLICT, NULL,
				      "Could not update %s: it kept changing; try again", name);
}

bool
repo_remove_by_key(struct db *db, const repo_by_key st, const struct item_key *key,
		   const struct actor *actor, char uuid_out[UUID_DB_LEN + 1], bool *removed,
		   struct app_err *err)
{
	const char *params[1 + AUDIT_NPARAMS] = { key->name ? key->name : key->uuid };
	PGresult *res = repo_write(db, &st[key->name ? 0 : 1], params, 1, actor, "{}", err);

	if (res == NULL)
		return false;
	*removed = PQntuples(res) == 1;
	if (*removed && uuid_out != NULL)
		db_copy(res, 0, 0, uuid_out, UUID_DB_LEN + 1);
	PQclear(res);
	return true;
}
