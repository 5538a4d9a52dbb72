/*
 * repo_profile.c: phone_security_profile and phone_model SQL.  The column
 * lists come from profile_fields[], so adding a field is one table row plus
 * a migration.  Predefined rows (is_standard) are guarded here as well as by
 * a trigger in the database.
 */
#include "repo_profile.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_audit.h"
#include "like.h"
#include "models.h"

#define SQL_MAX 4096

static char sql_select_by_name[SQL_MAX], sql_select_by_uuid[SQL_MAX];
static char sql_insert[SQL_MAX], sql_update[SQL_MAX], sql_list[SQL_MAX], sql_same[SQL_MAX];
/* The writes, each wrapped with its audit insert (repo_audit.h). */
static char sql_insert_a[SQL_MAX], sql_update_a[SQL_MAX];
static char sql_remove_name_a[SQL_MAX], sql_remove_uuid_a[SQL_MAX];
static char sql_describe_name_a[SQL_MAX], sql_describe_uuid_a[SQL_MAX];

static const repo_by_key st_get = { { "profile_get_name", sql_select_by_name },
				    { "profile_get_uuid", sql_select_by_uuid } };
static const struct db_stmt st_insert = { "profile_insert", sql_insert_a };
static const struct db_stmt st_update = { "profile_update", sql_update_a };
static const struct db_stmt st_list = { "profile_list", sql_list };

/* Lists select only the columns the request's returnedTags name: a
 * 100-row list of 4 fields costs PostgreSQL half of one of all 18.  One
 * prepared statement per field set seen, up to LIST_SHAPES of them (the
 * few a client uses); other sets use the all-column statement. */
#define LIST_SHAPES 16
static struct list_shape {
	unsigned mask;
	char name[32];
	char sql[SQL_MAX];
	struct db_stmt stmt;
} list_shapes[LIST_SHAPES];
static int nlist_shapes;
static pthread_mutex_t list_shapes_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct db_stmt st_same = { "profile_same", sql_same };
#define SQL_REMOVE_NAME \
	"DELETE FROM phone_security_profile WHERE name = $1 AND NOT is_standard" \
	" RETURNING pkid::text, name"
#define SQL_REMOVE_UUID \
	"DELETE FROM phone_security_profile WHERE pkid = $1::uuid AND NOT is_standard" \
	" RETURNING pkid::text, name"
#define SQL_DESCRIBE_NAME \
	"UPDATE phone_security_profile SET description = $2 WHERE name = $1 AND NOT is_standard" \
	" RETURNING pkid::text, name"
#define SQL_DESCRIBE_UUID \
	"UPDATE phone_security_profile SET description = $2 WHERE pkid = $1::uuid" \
	" AND NOT is_standard RETURNING pkid::text, name"
static const repo_by_key st_remove = { { "profile_remove_name", sql_remove_name_a },
				       { "profile_remove_uuid", sql_remove_uuid_a } };
static const repo_by_key st_describe = { { "profile_describe_name", sql_describe_name_a },
					 { "profile_describe_uuid", sql_describe_uuid_a } };
static const struct db_stmt st_models = {
	"models_load",
	"SELECT name, sip, sccp, secure, cisco, model_independent, since, sep_name, mic"
	" FROM phone_model ORDER BY name"
};

#define cat(buf, ...) db_sql_append((buf), SQL_MAX, __VA_ARGS__)

/* Ordered by name in byte order so skip/first pages are stable on any
 * database collation.  $5/$6 bound the name's literal prefix, so even the
 * generic plan of the prepared statement range-scans the C-collation name
 * index. */
#define LIST_WHERE \
	" WHERE name COLLATE \"C\" >= $5 AND name COLLATE \"C\" < $6" \
	" AND name LIKE $1 AND description LIKE $2" \
	" ORDER BY name COLLATE \"C\" OFFSET $3 LIMIT $4"

/* "pkid::text, is_standard::text, col1::text, ..." */
static void
select_list(char *buf)
{
	cat(buf, "SELECT pkid::text, is_standard::text");
	for (int i = 0; i < PF__COUNT; i++)
		cat(buf, ", %s::text", profile_fields[i].column);
	cat(buf, ", xmin::text FROM phone_security_profile");
}

void
repo_profile_build(void)
{
	int n = 1;

	select_list(sql_select_by_name);
	cat(sql_select_by_name, " WHERE name = $1");
	select_list(sql_select_by_uuid);
	cat(sql_select_by_uuid, " WHERE pkid = $1::uuid");

	cat(sql_insert, "INSERT INTO phone_security_profile (");
	for (int i = 0; i < PF__COUNT; i++)
		cat(sql_insert, "%s%s", i ? ", " : "", profile_fields[i].column);
	cat(sql_insert, ") VALUES (");
	for (int i = 0; i < PF__COUNT; i++)
		cat(sql_insert, "%s$%d", i ? ", " : "", i + 1);
	cat(sql_insert, ") RETURNING pkid::text, name");

	cat(sql_update, "UPDATE phone_security_profile SET ");
	for (int i = 0; i < PF__COUNT; i++) {
		if (profile_fields[i].flags & PFF_FIXED)
			continue;
		cat(sql_update, "%s%s = $%d", n > 1 ? ", " : "", profile_fields[i].column, n + 1);
		n++;
	}
	/* Optimistic: the row must still be the version that was read. */
	cat(sql_update,
	    " WHERE pkid = $1::uuid AND NOT is_standard AND xmin = $%d::xid"
	    " RETURNING pkid::text, name",
	    n + 1);
	repo_audit_wrap(sql_insert_a, SQL_MAX, sql_insert, PF__COUNT, "phoneSecurityProfile",
			"w.name", NULL);
	repo_audit_wrap(sql_update_a, SQL_MAX, sql_update, n + 1, "phoneSecurityProfile", "w.name",
			NULL);
	repo_audit_wrap(sql_remove_name_a, SQL_MAX, SQL_REMOVE_NAME, 1, "phoneSecurityProfile",
			"w.name", NULL);
	repo_audit_wrap(sql_remove_uuid_a, SQL_MAX, SQL_REMOVE_UUID, 1, "phoneSecurityProfile",
			"w.name", NULL);
	repo_audit_wrap(sql_describe_name_a, SQL_MAX, SQL_DESCRIBE_NAME, 2, "phoneSecurityProfile",
			"w.name", NULL);
	repo_audit_wrap(sql_describe_uuid_a, SQL_MAX, SQL_DESCRIBE_UUID, 2, "phoneSecurityProfile",
			"w.name", NULL);

	/* Same settings: every field but the name and the description. */
	select_list(sql_same);
	n = 0;
	for (int i = 0; i < PF__COUNT; i++) {
		if (i == PF_NAME || i == PF_DESCRIPTION)
			continue;
		n++;
		cat(sql_same, "%s %s::text = $%d", n > 1 ? " AND" : " WHERE",
		    profile_fields[i].column, n);
	}
	cat(sql_same, " ORDER BY name COLLATE \"C\" LIMIT 1");

	select_list(sql_list);
	cat(sql_list, LIST_WHERE);
}

/* The statement selecting pkid and the fields in mask (in table order). */
static const struct db_stmt *
list_stmt(unsigned mask)
{
	const struct db_stmt *found = &st_list;
	struct list_shape *sh;

	if (mask == (1u << PF__COUNT) - 1)
		return &st_list;
	pthread_mutex_lock(&list_shapes_lock);
	for (int i = 0; i < nlist_shapes; i++)
		if (list_shapes[i].mask == mask)
			found = &list_shapes[i].stmt;
	if (found == &st_list && nlist_shapes < LIST_SHAPES) {
		sh = &list_shapes[nlist_shapes++];
		sh->mask = mask;
		snprintf(sh->name, sizeof(sh->name), "profile_list_%x", mask);
		cat(sh->sql, "SELECT pkid::text");
		for (int i = 0; i < PF__COUNT; i++)
			if (mask & (1u << i))
				cat(sh->sql, ", %s::text", profile_fields[i].column);
		cat(sh->sql, " FROM phone_security_profile" LIST_WHERE);
		sh->stmt.name = sh->name;
		sh->stmt.sql = sh->sql;
		found = &sh->stmt;
	}
	pthread_mutex_unlock(&list_shapes_lock);
	return found;
}

bool
repo_models_load(struct db *db, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_models, 0, NULL, err);
	struct model_caps *rows;
	int n;
	bool ok;

	if (res == NULL)
		return false;
	n = PQntuples(res);
	rows = calloc((size_t) (n ? n : 1), sizeof(*rows));
	if (rows == NULL) {
		PQclear(res);
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		snprintf(rows[i].name, sizeof(rows[i].name), "%s", PQgetvalue(res, i, 0));
		rows[i].sip = PQgetvalue(res, i, 1)[0] == 't';
		rows[i].sccp = PQgetvalue(res, i, 2)[0] == 't';
		rows[i].secure = PQgetvalue(res, i, 3)[0] == 't';
		rows[i].cisco = PQgetvalue(res, i, 4)[0] == 't';
		rows[i].model_independent = PQgetvalue(res, i, 5)[0] == 't';
		rows[i].since = atoi(PQgetvalue(res, i, 6));
		rows[i].sep_name = PQgetvalue(res, i, 7)[0] == 't';
		rows[i].mic = PQgetvalue(res, i, 8)[0] == 't';
	}
	ok = models_load(rows, (size_t) n);
	free(rows);
	PQclear(res);
	return ok || app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
}

static void
row_to_profile(const PGresult *res, int row, void *out)
{
	struct profile *p = out;

	db_copy(res, row, 0, p->uuid, sizeof(p->uuid));
	p->standard = strcmp(PQgetvalue(res, row, 1), "true") == 0;
	p->given = 0;
	for (int i = 0; i < PF__COUNT; i++)
		db_copy(res, row, i + 2, p->v[i], sizeof(p->v[i]));
	db_copy(res, row, PF__COUNT + 2, p->row_version, sizeof(p->row_version));
}

/* The fields of p that differ from before (every field when before is
 * NULL), as the audit's changes object. */
static void
profile_changes(struct xbuf *b, const struct profile *p, const struct profile *before)
{
	audit_changes_begin(b);
	for (int i = 0; i < PF__COUNT; i++)
		if (before == NULL || strcmp(p->v[i], before->v[i]) != 0)
			audit_change(b, profile_fields[i].xml, p->v[i]);
	audit_changes_end(b);
}

bool
repo_profile_insert(struct db *db, struct profile *p, const struct actor *actor,
		    struct app_err *err)
{
	const char *params[PF__COUNT + AUDIT_NPARAMS];
	struct xbuf changes;
	PGresult *res;

	for (int i = 0; i < PF__COUNT; i++)
		params[i] = p->v[i];
	xbuf_init(&changes);
	profile_changes(&changes, p, NULL);
	res = repo_write(db, &st_insert, params, PF__COUNT, actor, changes.data, err);
	xbuf_free(&changes);
	if (res == NULL)
		return false;
	snprintf(p->uuid, sizeof(p->uuid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

bool
repo_profile_get(struct db *db, const struct item_key *key, struct profile *out,
		 struct app_err *err)
{
	return repo_get_by_key(db, st_get, key, OBJ_PROFILE, row_to_profile, out, err);
}

bool
repo_profile_update(struct db *db, const struct profile *p, const struct profile *before,
		    const struct actor *actor, struct app_err *err)
{
	const char *params[PF__COUNT + 2 + AUDIT_NPARAMS];
	int n = 0;
	struct xbuf changes;
	bool ok;

	params[n++] = p->uuid;
	for (int i = 0; i < PF__COUNT; i++)
		if (!(profile_fields[i].flags & PFF_FIXED))
			params[n++] = p->v[i];
	params[n++] = p->row_version;
	xbuf_init(&changes);
	profile_changes(&changes, p, before);
	/* Predefined rows were refused before; no row means another update
	 * came first (or the profile was removed). */
	ok = repo_update_checked(db, &st_update, params, n, actor, changes.data, p->v[PF_NAME],
				 err);
	xbuf_free(&changes);
	return ok;
}

bool
repo_profile_set_description(struct db *db, const struct item_key *key, const char *description,
			     const struct actor *actor, char uuid_out[UUID_DB_LEN + 1], bool *found,
			     struct app_err *err)
{
	const char *params[2 + AUDIT_NPARAMS] = { key->name ? key->name : key->uuid, description };
	struct xbuf changes;
	PGresult *res;

	xbuf_init(&changes);
	audit_changes_begin(&changes);
	audit_change(&changes, profile_fields[PF_DESCRIPTION].xml, description);
	audit_changes_end(&changes);
	res = repo_write(db, &st_describe[key->name ? 0 : 1], params, 2, actor, changes.data, err);
	xbuf_free(&changes);
	if (res == NULL)
		return false;
	*found = PQntuples(res) == 1;
	if (*found)
		snprintf(uuid_out, UUID_DB_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

bool
repo_profile_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		    char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	struct profile existing;
	bool removed;

	if (!repo_remove_by_key(db, st_remove, key, actor, uuid_out, &removed, err))
		return false;
	if (removed)
		return true;
	/* Nothing deleted: either it does not exist or it is predefined. */
	if (!repo_profile_get(db, key, &existing, err))
		return err->code == APP_E_NOT_FOUND ?
			       axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_PROFILE, NULL) :
			       false;
	return axl_err_predefined(err, OBJ_PROFILE, "remove", existing.v[PF_NAME]);
}

bool
repo_profile_list(struct db *db, const struct profile_search *search, unsigned mask,
		  profile_row_fn fn, void *ctx, long *matched, struct app_err *err)
{
	char skip[24], first[24], lo[PF_VALUE_MAX], hi[PF_VALUE_MAX];
	const char *params[6];
	const char *values[PF__COUNT];
	const struct db_stmt *stmt = list_stmt(mask);
	int col[PF__COUNT], n;
	PGresult *res;

	snprintf(skip, sizeof(skip), "%ld", search->first >= 0 ? search->skip : 0);
	snprintf(first, sizeof(first), "%ld", search->first);
	params[0] = search->name ? search->name : "%";
	params[1] = search->description ? search->description : "%";
	params[2] = skip;
	params[3] = search->first >= 0 ? first : NULL; /* LIMIT NULL = all */
	like_prefix_range(params[0], lo, hi, sizeof(lo));
	params[4] = lo;
	params[5] = hi;
	res = db_exec(db, stmt, 6, params, err);
	if (res == NULL)
		return false;
	/* Where each field is in this statement's result (-1: not selected). */
	n = stmt == &st_list ? 2 : 1;
	for (int i = 0; i < PF__COUNT; i++)
		col[i] = stmt == &st_list || (mask & (1u << i)) ? n++ : -1;
	n = PQntuples(res);
	*matched = n;
	for (int r = 0; r < n; r++) {
		for (int i = 0; i < PF__COUNT; i++)
			values[i] = col[i] >= 0 ? PQgetvalue(res, r, col[i]) : "";
		if (!fn(ctx, PQgetvalue(res, r, 0), values))
			break;
	}
	PQclear(res);
	return true;
}

bool
repo_profile_find_same(struct db *db, const struct profile *target, struct profile *out,
		       bool *found, struct app_err *err)
{
	const char *params[PF__COUNT];
	int n = 0;
	PGresult *res;

	for (int i = 0; i < PF__COUNT; i++)
		if (i != PF_NAME && i != PF_DESCRIPTION)
			params[n++] = target->v[i];
	res = db_exec(db, &st_same, n, params, err);
	if (res == NULL)
		return false;
	*found = PQntuples(res) == 1;
	if (*found)
		row_to_profile(res, 0, out);
	PQclear(res);
	return true;
}
