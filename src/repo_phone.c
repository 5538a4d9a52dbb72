/*
 * repo_phone.c: phone SQL.  The phone's select list, insert and update
 * are built once from phone_fields[] (repo_init), so a field is one table
 * row plus a migration.
 */
#include "repo_phone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_audit.h"
#include "like.h"

#define SQL_MAX 8192

static char sql_get_name[SQL_MAX], sql_get_uuid[SQL_MAX];
static char sql_insert[SQL_MAX], sql_update[SQL_MAX], sql_list[SQL_MAX];
/* The writes, each wrapped with its audit insert (repo_audit.h). */
static char sql_insert_a[SQL_MAX], sql_update_a[SQL_MAX], sql_remove_name_a[SQL_MAX],
	sql_remove_uuid_a[SQL_MAX], sql_capf_a[SQL_MAX];

static const repo_by_key st_get = { { "phone_get_name", sql_get_name },
				    { "phone_get_uuid", sql_get_uuid } };
static const struct db_stmt st_insert = { "phone_insert", sql_insert_a };
static const struct db_stmt st_update = { "phone_update", sql_update_a };
static const struct db_stmt st_list = { "phone_list", sql_list };
#define SQL_REMOVE_NAME "DELETE FROM phone WHERE name = $1 RETURNING pkid::text, name"
#define SQL_REMOVE_UUID "DELETE FROM phone WHERE pkid = $1::uuid RETURNING pkid::text, name"
static const repo_by_key st_remove = { { "phone_remove_name", sql_remove_name_a },
				       { "phone_remove_uuid", sql_remove_uuid_a } };
static const struct db_stmt st_dep_profile = {
	"phone_dep_profile",
	"SELECT count(*) OVER (), name FROM phone WHERE security_profile_id = $1::uuid"
	" ORDER BY name COLLATE \"C\" LIMIT 5"
};
static const struct db_stmt st_dep_user = {
	"phone_dep_user", "SELECT count(*) OVER (), name FROM phone WHERE digest_user_id = $1::uuid"
			  " ORDER BY name COLLATE \"C\" LIMIT 5"
};
static const struct db_stmt st_no_cert = {
	"phone_no_cert",
	"SELECT count(*) OVER (), p.name FROM phone p JOIN phone_model m ON m.name = p.model"
	" WHERE p.security_profile_id = $1::uuid AND NOT m.mic"
	" AND p.certificate_status <> 'Upgrade Success' ORDER BY p.name COLLATE \"C\" LIMIT 5"
};
#define SQL_CAPF_COMPLETE \
	"UPDATE phone SET certificate_status = COALESCE($2, CASE certificate_operation" \
	" WHEN 'Install/Upgrade' THEN 'Upgrade Success' WHEN 'Delete' THEN 'Delete Success'" \
	" ELSE 'Troubleshoot Success' END), certificate_operation = 'No Pending Operation'" \
	" WHERE name = $1 AND certificate_operation <> 'No Pending Operation'" \
	" RETURNING certificate_status, pkid::text, name"
static const struct db_stmt st_capf_complete = { "phone_capf_complete", sql_capf_a };
static const struct db_stmt st_exists = { "phone_exists", "SELECT 1 FROM phone WHERE name = $1" };

#define cat(buf, ...) db_sql_append((buf), SQL_MAX, __VA_ARGS__)

/* Columns written by insert and update: every stored field but the model
 * (which is the product's column). */
static bool
written(int i)
{
	return (phone_fields[i].flags & PHF_STORED) && i != PH_MODEL;
}

/* Row layout: pkid, ctiid, profile pkid, then one value per field, then
 * one reference uuid per field. */
#define COL_VALUE(i) (3 + (i))
#define COL_REF(i) (3 + PH__COUNT + (i))
#define COL_VERSION (3 + 2 * PH__COUNT)

static void
select_list(char *buf)
{
	cat(buf, "SELECT p.pkid::text, p.ctiid::text, s.pkid::text");
	for (int i = 0; i < PH__COUNT; i++) {
		const struct ph_desc *f = &phone_fields[i];

		if (f->flags & PHF_PROFILE)
			cat(buf, ", s.%s::text", profile_fields[f->profile_field].column);
		else if (i == PH_SECURITY_PROFILE)
			cat(buf, ", s.name");
		else if (i == PH_DIGEST_USER)
			cat(buf, ", COALESCE(u.userid, '')");
		else
			cat(buf, ", p.%s", f->column);
	}
	for (int i = 0; i < PH__COUNT; i++) {
		const struct ph_desc *f = &phone_fields[i];

		if (i == PH_SECURITY_PROFILE)
			cat(buf, ", s.pkid::text");
		else if (i == PH_DIGEST_USER)
			cat(buf, ", u.pkid::text");
		else if (f->flags & PHF_REF)
			/* The uuid AXL prints for a reference we keep by name: fixed
			 * per name, and CUCM's own for the factory "Default" device
			 * pool.  Inline: a function call per reference per row cost
			 * more than the rest of the query (migration 0005). */
			cat(buf,
			    ", CASE WHEN p.%s = '' THEN NULL"
			    " WHEN '%s' = 'devicePool' AND p.%s = 'Default'"
			    " THEN '1b1b9eb6-7803-11d3-bdf0-00108302ead1'"
			    " ELSE md5('%s:' || p.%s)::uuid::text END",
			    f->column, f->ref_kind, f->column, f->ref_kind, f->column);
		else
			cat(buf, ", NULL");
	}
	cat(buf, ", p.xmin::text");
	cat(buf, " FROM phone p JOIN phone_security_profile s ON s.pkid = p.security_profile_id"
		 " LEFT JOIN end_user u ON u.pkid = p.digest_user_id");
}

void
repo_phone_build(void)
{
	int n = 0;

	select_list(sql_get_name);
	cat(sql_get_name, " WHERE p.name = $1");
	select_list(sql_get_uuid);
	cat(sql_get_uuid, " WHERE p.pkid = $1::uuid");

	cat(sql_insert, "INSERT INTO phone (");
	cat(sql_update, "UPDATE phone SET ");
	for (int i = 0; i < PH__COUNT; i++) {
		if (!written(i))
			continue;
		n++;
		cat(sql_insert, "%s, ", phone_fields[i].column);
		cat(sql_update, "%s = $%d, ", phone_fields[i].column, n + 1);
	}
	cat(sql_insert, "security_profile_id, digest_user_id) VALUES (");
	for (int i = 1; i <= n; i++)
		cat(sql_insert, "$%d, ", i);
	cat(sql_insert, "$%d::uuid, $%d::uuid) RETURNING pkid::text, ctiid::text, name", n + 1,
	    n + 2);
	/* Optimistic: the row must still be the version that was read. */
	cat(sql_update,
	    "security_profile_id = $%d::uuid, digest_user_id = $%d::uuid"
	    " WHERE pkid = $1::uuid AND xmin = $%d::xid RETURNING pkid::text, name",
	    n + 2, n + 3, n + 4);
	repo_audit_wrap(sql_insert_a, SQL_MAX, sql_insert, n + 2, "phone", "w.name", NULL);
	repo_audit_wrap(sql_update_a, SQL_MAX, sql_update, n + 4, "phone", "w.name", NULL);
	repo_audit_wrap(sql_remove_name_a, SQL_MAX, SQL_REMOVE_NAME, 1, "phone", "w.name", NULL);
	repo_audit_wrap(sql_remove_uuid_a, SQL_MAX, SQL_REMOVE_UUID, 1, "phone", "w.name", NULL);
	repo_audit_wrap(sql_capf_a, SQL_MAX, SQL_CAPF_COMPLETE, 2, "phone", "w.name",
			"jsonb_build_object('certificateStatus', w.certificate_status,"
			" 'certificateOperation', 'No Pending Operation')");

	select_list(sql_list);
	cat(sql_list, " WHERE p.name COLLATE \"C\" >= $9 AND p.name COLLATE \"C\" < $10"
		      " AND p.name LIKE $1 AND p.description LIKE $2 AND p.protocol LIKE $3"
		      " AND p.calling_search_space_name LIKE $4 AND p.device_pool_name LIKE $5"
		      " AND s.name LIKE $6 ORDER BY p.name COLLATE \"C\" OFFSET $7 LIMIT $8");
}

static void
row_to_phone(const PGresult *res, int r, struct phone *p, char *profile_uuid)
{
	p->given = 0;
	db_copy(res, r, 0, p->uuid, sizeof(p->uuid));
	db_copy(res, r, 1, p->ctiid, sizeof(p->ctiid));
	if (profile_uuid != NULL)
		db_copy(res, r, 2, profile_uuid, UUID_DB_LEN + 1);
	for (int i = 0; i < PH__COUNT; i++) {
		db_copy(res, r, COL_VALUE(i), p->v[i], PH_VALUE_MAX);
		db_copy(res, r, COL_REF(i), p->ref_uuid[i], sizeof(p->ref_uuid[i]));
	}
	db_copy(res, r, COL_VERSION, p->row_version, sizeof(p->row_version));
}

/* Parameters of insert/update: the written fields in table order. */
static int
stored_params(const struct phone *p, const char **params)
{
	int n = 0;

	for (int i = 0; i < PH__COUNT; i++)
		if (written(i))
			params[n++] = p->v[i];
	return n;
}

/* The audit's changes: the fields in mask with their values. */
static void
phone_changes(struct xbuf *b, const struct phone *p, unsigned mask)
{
	audit_changes_begin(b);
	for (int i = 0; i < PH__COUNT; i++)
		if (mask & (1u << i))
			audit_change(b, phone_fields[i].xml, p->v[i]);
	audit_changes_end(b);
}

bool
repo_phone_insert(struct db *db, struct phone *p, const char *profile_uuid, const char *user_uuid,
		  const struct actor *actor, struct app_err *err)
{
	const char *params[PH__COUNT + 2 + AUDIT_NPARAMS];
	int n = stored_params(p, params);
	unsigned mask = (1u << PH_SECURITY_PROFILE) | (1u << PH_DIGEST_USER);
	struct xbuf changes;
	PGresult *res;

	for (int i = 0; i < PH__COUNT; i++)
		if (written(i))
			mask |= 1u << i;
	params[n++] = profile_uuid;
	params[n++] = user_uuid;
	xbuf_init(&changes);
	phone_changes(&changes, p, mask);
	res = repo_write(db, &st_insert, params, n, actor, changes.data, err);
	xbuf_free(&changes);
	if (res == NULL)
		return false;
	db_copy(res, 0, 0, p->uuid, sizeof(p->uuid));
	db_copy(res, 0, 1, p->ctiid, sizeof(p->ctiid));
	PQclear(res);
	return true;
}

/* repo_get_by_key's row: the phone and its profile's key. */
struct phone_row {
	struct phone *p;
	char *profile_uuid;
};

static void
phone_row(const PGresult *res, int r, void *out)
{
	struct phone_row *row = out;

	row_to_phone(res, r, row->p, row->profile_uuid);
}

bool
repo_phone_get(struct db *db, const struct item_key *key, struct phone *out,
	       char profile_uuid[UUID_DB_LEN + 1], struct app_err *err)
{
	struct phone_row r = { out, profile_uuid };

	return repo_get_by_key(db, st_get, key, OBJ_PHONE, phone_row, &r, err);
}

bool
repo_phone_update(struct db *db, const struct phone *p, const char *profile_uuid,
		  const char *user_uuid, unsigned changed_fields, const struct actor *actor,
		  struct app_err *err)
{
	const char *params[PH__COUNT + 4 + AUDIT_NPARAMS];
	int n;
	struct xbuf changes;
	bool ok;

	params[0] = p->uuid;
	n = 1 + stored_params(p, params + 1);
	params[n++] = profile_uuid;
	params[n++] = user_uuid;
	params[n++] = p->row_version;
	xbuf_init(&changes);
	phone_changes(&changes, p, changed_fields);
	ok = repo_update_checked(db, &st_update, params, n, actor, changes.data, p->v[PH_NAME],
				 err);
	xbuf_free(&changes);
	return ok;
}

bool
repo_phone_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		  char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	bool removed;

	return repo_remove_by_key(db, st_remove, key, actor, uuid_out, &removed, err) &&
	       (removed || axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_PHONE, NULL));
}

bool
repo_phone_list(struct db *db, const struct phone_search *search, phone_row_fn fn, void *ctx,
		long *matched, struct app_err *err)
{
	char skip[24], first[24], lo[PH_VALUE_MAX], hi[PH_VALUE_MAX];
	const char *params[10];
	struct phone *p;
	PGresult *res;
	int n;

	snprintf(skip, sizeof(skip), "%ld", search->first >= 0 ? search->skip : 0);
	snprintf(first, sizeof(first), "%ld", search->first);
	params[0] = search->name ? search->name : "%";
	params[1] = search->description ? search->description : "%";
	params[2] = search->protocol ? search->protocol : "%";
	params[3] = search->css ? search->css : "%";
	params[4] = search->device_pool ? search->device_pool : "%";
	params[5] = search->profile ? search->profile : "%";
	params[6] = skip;
	params[7] = search->first >= 0 ? first : NULL;
	/* The name's literal prefix bounds an index range scan (see
	 * repo_profile_list). */
	like_prefix_range(params[0], lo, hi, sizeof(lo));
	params[8] = lo;
	params[9] = hi;
	/* A phone row is large (about 25 KB): one on the heap, reused. */
	p = malloc(sizeof(*p));
	if (p == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	res = db_exec(db, &st_list, 10, params, err);
	if (res == NULL) {
		free(p);
		return false;
	}
	n = PQntuples(res);
	*matched = n;
	for (int r = 0; r < n; r++) {
		row_to_phone(res, r, p, NULL);
		if (!fn(ctx, p))
			break;
	}
	PQclear(res);
	free(p);
	return true;
}

static bool
first_names(PGresult *res, long *count, char names[512])
{
	size_t len = 0;
	int n = PQntuples(res);

	*count = n > 0 ? atol(PQgetvalue(res, 0, 0)) : 0;
	names[0] = '\0';
	for (int r = 0; r < n; r++)
		len += (size_t) snprintf(names + len, len < 512 ? 512 - len : 0, "%s%s",
					 r ? ", " : "", PQgetvalue(res, r, 1));
	PQclear(res);
	return true;
}

bool
repo_phone_dependents(struct db *db, enum phone_dependency dep, const char *uuid, long *count,
		      char names[512], struct app_err *err)
{
	PGresult *res = db_exec(db, dep == DEP_PROFILE ? &st_dep_profile : &st_dep_user, 1, &uuid,
				err);

	return res != NULL && first_names(res, count, names);
}

bool
repo_phone_without_certificate(struct db *db, const char *profile_uuid, long *count,
			       char names[512], struct app_err *err)
{
	PGresult *res = db_exec(db, &st_no_cert, 1, &profile_uuid, err);

	return res != NULL && first_names(res, count, names);
}

bool
repo_phone_capf_complete(struct db *db, const char *name, const char *status,
			 const struct actor *actor, char status_out[64], struct app_err *err)
{
	const char *params[2 + AUDIT_NPARAMS] = { name, status };
	PGresult *res = repo_write(db, &st_capf_complete, params, 2, actor, "{}", err);
	bool done;

	if (res == NULL)
		return false;
	done = PQntuples(res) == 1;
	if (done)
		db_copy(res, 0, 0, status_out, 64);
	PQclear(res);
	if (done)
		return true;
	res = db_exec(db, &st_exists, 1, &name, err);
	if (res == NULL)
		return false;
	done = PQntuples(res) == 1;
	PQclear(res);
	if (!done)
		return app_err_set(err, APP_E_NOT_FOUND, "name", "no phone named %s", name);
	return app_err_set(err, APP_E_RULE, "certificateOperation",
			   "phone %s has no certificate operation pending", name);
}
