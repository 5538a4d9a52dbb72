/*
 * repo_enduser.c: the end_user table (see repo_enduser.h).
 */
#include "repo_enduser.h"

#include "db_pq.h"
#include "repo_audit.h"

#define SQL_MAX 2048
#define SQL_INSERT \
	"INSERT INTO end_user (userid, first_name, last_name, digest_ha1_md5, digest_ha1_sha256)" \
	" VALUES ($1, $2, $3, $4, $5) RETURNING pkid::text, userid"
#define SQL_UPDATE \
	"UPDATE end_user SET userid = $2, first_name = $3, last_name = $4," \
	" digest_ha1_md5 = CASE WHEN $5::text IS NULL THEN digest_ha1_md5 ELSE $5 END," \
	" digest_ha1_sha256 = CASE WHEN $6::text IS NULL THEN digest_ha1_sha256 ELSE $6 END" \
	" WHERE pkid = $1::uuid RETURNING pkid::text, userid"
#define SQL_REMOVE_NAME "DELETE FROM end_user WHERE userid = $1 RETURNING pkid::text, userid"
#define SQL_REMOVE_UUID "DELETE FROM end_user WHERE pkid = $1::uuid RETURNING pkid::text, userid"
#define SQL_SELECT "SELECT pkid::text, userid, first_name, last_name FROM end_user"

/* The writes, each wrapped with its audit insert (repo_audit.h). */
static char sql_insert_a[SQL_MAX], sql_update_a[SQL_MAX], sql_remove_name_a[SQL_MAX],
	sql_remove_uuid_a[SQL_MAX];

static const struct db_stmt st_insert = { "enduser_insert", sql_insert_a };
static const struct db_stmt st_update = { "enduser_update", sql_update_a };
static const repo_by_key st_remove = { { "enduser_remove_name", sql_remove_name_a },
				       { "enduser_remove_uuid", sql_remove_uuid_a } };
static const repo_by_key st_get = {
	{ "enduser_by_id", SQL_SELECT " WHERE userid = $1" },
	{ "enduser_by_uuid", SQL_SELECT " WHERE pkid = $1::uuid" },
};
static const repo_by_key st_lock = {
	{ "enduser_lock_id", SQL_SELECT " WHERE userid = $1 FOR UPDATE" },
	{ "enduser_lock_uuid", SQL_SELECT " WHERE pkid = $1::uuid FOR UPDATE" },
};

void
repo_enduser_build(void)
{
	repo_audit_wrap(sql_insert_a, SQL_MAX, SQL_INSERT, 5, "user", "w.userid", NULL);
	repo_audit_wrap(sql_update_a, SQL_MAX, SQL_UPDATE, 6, "user", "w.userid", NULL);
	repo_audit_wrap(sql_remove_name_a, SQL_MAX, SQL_REMOVE_NAME, 1, "user", "w.userid", NULL);
	repo_audit_wrap(sql_remove_uuid_a, SQL_MAX, SQL_REMOVE_UUID, 1, "user", "w.userid", NULL);
}

/* The audit's changes for an end user: the digest credentials by name only. */
static void
enduser_changes(struct xbuf *b, const struct end_user *u, bool digest)
{
	audit_changes_begin(b);
	audit_change(b, "userid", u->userid);
	audit_change(b, "firstName", u->first_name);
	audit_change(b, "lastName", u->last_name);
	if (digest)
		audit_change_secret(b, "digestCredentials");
	audit_changes_end(b);
}

/* Runs an audited write of u: params[0 .. n - 1] are the write's own. */
static PGresult *
audited(struct db *db, const struct db_stmt *st, const char **params, int n,
	const struct end_user *u, bool digest, const struct actor *actor, struct app_err *err)
{
	struct xbuf changes;
	PGresult *res;

	xbuf_init(&changes);
	enduser_changes(&changes, u, digest);
	res = repo_write(db, st, params, n, actor, changes.data, err);
	xbuf_free(&changes);
	return res;
}

bool
repo_enduser_insert(struct db *db, struct end_user *u, const char *ha1_md5, const char *ha1_sha256,
		    const struct actor *actor, struct app_err *err)
{
	const char *params[5 + AUDIT_NPARAMS] = { u->userid, u->first_name, u->last_name, ha1_md5,
						  ha1_sha256 };
	PGresult *res = audited(db, &st_insert, params, 5, u, ha1_md5 != NULL, actor, err);

	if (res == NULL)
		return false;
	db_copy(res, 0, 0, u->uuid, sizeof(u->uuid));
	PQclear(res);
	return true;
}

static void
row_to_user(const PGresult *res, int r, void *out)
{
	struct end_user *u = out;

	db_copy(res, r, 0, u->uuid, sizeof(u->uuid));
	db_copy(res, r, 1, u->userid, sizeof(u->userid));
	db_copy(res, r, 2, u->first_name, sizeof(u->first_name));
	db_copy(res, r, 3, u->last_name, sizeof(u->last_name));
}

bool
repo_enduser_get(struct db *db, const struct item_key *key, bool for_update, struct end_user *out,
		 struct app_err *err)
{
	return repo_get_by_key(db, for_update ? st_lock : st_get, key, OBJ_USER, row_to_user, out,
			       err);
}

bool
repo_enduser_update(struct db *db, const struct end_user *u, const char *ha1_md5,
		    const char *ha1_sha256, const struct actor *actor, struct app_err *err)
{
	const char *params[6 + AUDIT_NPARAMS] = { u->uuid,      u->userid, u->first_name,
						  u->last_name, ha1_md5,   ha1_sha256 };
	PGresult *res = audited(db, &st_update, params, 6, u, ha1_md5 != NULL, actor, err);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

bool
repo_enduser_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		    char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	bool removed;

	return repo_remove_by_key(db, st_remove, key, actor, uuid_out, &removed, err) &&
	       (removed || axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_USER, NULL));
}
