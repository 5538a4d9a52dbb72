/*
 * repo_capf.c: phone_lsc's SQL and the phone columns `capf issue` writes
 * (see repo_capf.h).  Every statement is parameterized; the audit row of
 * an issue is inserted by the same statement as the status change.
 */
#include "repo_capf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db_pq.h"
#include "repo_audit.h"
#include "xbuf.h"

static const struct db_stmt st_lock = {
	"capf_lock_phone",
	"SELECT p.pkid::text, p.name, p.certificate_operation, s.key_order, s.key_size,"
	" s.ec_key_size, s.authentication_mode, p.authentication_string, p.upgrade_finish_time,"
	" m.mic, COALESCE(l.serial, '')"
	" FROM phone p JOIN phone_security_profile s ON s.pkid = p.security_profile_id"
	" JOIN phone_model m ON m.name = p.model LEFT JOIN phone_lsc l ON l.phone_uuid = p.pkid"
	" WHERE p.name = $1 FOR UPDATE OF p"
};
/* The notification is part of the transaction: listeners see it only if
 * the deletion commits. */
static const struct db_stmt st_drop = { "capf_lsc_drop",
					"DELETE FROM phone_lsc WHERE phone_uuid = $1::uuid"
					" RETURNING pg_notify('axlprov_lsc', phone_uuid::text)" };
/* Revocation by `capf complete`: the same, audited with the serial. */
#define SQL_REVOKE \
	"DELETE FROM phone_lsc l USING phone p WHERE l.phone_uuid = $1::uuid" \
	" AND p.pkid = l.phone_uuid RETURNING l.phone_uuid AS pkid, p.name, l.serial," \
	" pg_notify('axlprov_lsc', l.phone_uuid::text)"
static char sql_revoke_a[2048];
static const struct db_stmt st_revoke = { "capf_lsc_revoke", sql_revoke_a };
static const struct db_stmt st_insert = {
	"capf_lsc_insert",
	"INSERT INTO phone_lsc (phone_uuid, serial, fingerprint, not_after, certificate)"
	" VALUES ($1::uuid, $2, $3, to_timestamp($4::bigint), $5)"
};
#define SQL_DONE \
	"UPDATE phone SET certificate_status = 'Upgrade Success'," \
	" certificate_operation = 'No Pending Operation'" \
	" WHERE pkid = $1::uuid AND certificate_operation = 'Install/Upgrade'" \
	" RETURNING pkid::text, name"
static char sql_done_a[2048];
static const struct db_stmt st_done = { "capf_lsc_done", sql_done_a };
/* A renewal: the status whatever is pending; a pending Install/Upgrade is done. */
#define SQL_RENEWED \
	"UPDATE phone SET certificate_status = 'Upgrade Success'," \
	" certificate_operation = CASE certificate_operation WHEN 'Install/Upgrade'" \
	" THEN 'No Pending Operation' ELSE certificate_operation END" \
	" WHERE pkid = $1::uuid RETURNING pkid::text, name"
static char sql_renewed_a[2048];
static const struct db_stmt st_renewed = { "capf_lsc_renewed", sql_renewed_a };
/* A refused enrollment: the failure status (and the end of the operation
 * past its deadline), only while Install/Upgrade is pending. */
#define SQL_FAIL \
	"UPDATE phone SET certificate_status = $2, certificate_operation = CASE WHEN $3::boolean" \
	" THEN 'No Pending Operation' ELSE certificate_operation END" \
	" WHERE pkid = $1::uuid AND certificate_operation = 'Install/Upgrade'" \
	" RETURNING pkid::text, name"
static char sql_fail_a[2048];
static const struct db_stmt st_fail = { "capf_fail", sql_fail_a };

void
repo_capf_build(void)
{
	repo_audit_wrap(sql_done_a, sizeof(sql_done_a), SQL_DONE, 1, "phone", "w.name", NULL);
	repo_audit_wrap(sql_renewed_a, sizeof(sql_renewed_a), SQL_RENEWED, 1, "phone", "w.name",
			NULL);
	repo_audit_wrap(sql_fail_a, sizeof(sql_fail_a), SQL_FAIL, 3, "phone", "w.name", NULL);
	repo_audit_wrap(sql_revoke_a, sizeof(sql_revoke_a), SQL_REVOKE, 1, "phone", "w.name",
			"jsonb_build_object('lscRevoked', w.serial)");
}

bool
repo_capf_lock_phone(struct db *db, const char *name, struct capf_phone *out, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_lock, 1, &name, err);
	bool found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	if (found) {
		db_copy(res, 0, 0, out->uuid, sizeof(out->uuid));
		db_copy(res, 0, 1, out->name, sizeof(out->name));
		db_copy(res, 0, 2, out->operation, sizeof(out->operation));
		db_copy(res, 0, 3, out->key_order, sizeof(out->key_order));
		db_copy(res, 0, 4, out->key_size, sizeof(out->key_size));
		db_copy(res, 0, 5, out->ec_key_size, sizeof(out->ec_key_size));
		db_copy(res, 0, 6, out->auth_mode, sizeof(out->auth_mode));
		db_copy(res, 0, 7, out->auth_string, sizeof(out->auth_string));
		db_copy(res, 0, 8, out->finish_time, sizeof(out->finish_time));
		out->ships_mic = PQgetvalue(res, 0, 9)[0] == 't';
		db_copy(res, 0, 10, out->lsc_serial, sizeof(out->lsc_serial));
	}
	PQclear(res);
	if (!found)
		return app_err_set(err, APP_E_NOT_FOUND, "name", "no phone named %s", name);
	return true;
}

/* Deletes the phone's LSC (with the notification) by stmt, which takes
 * nparams parameters. */
static bool
drop_lsc(struct db *db, const struct db_stmt *stmt, int nparams, const char **params, bool *dropped,
	 struct app_err *err)
{
	PGresult *res = db_exec(db, stmt, nparams, params, err);

	if (res == NULL)
		return false;
	*dropped = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

bool
repo_capf_revoke(struct db *db, const char *phone_uuid, const struct actor *actor, bool *revoked,
		 struct app_err *err)
{
	const char *params[1 + AUDIT_NPARAMS] = { phone_uuid };

	return drop_lsc(db, &st_revoke, repo_audit_params(params, 1, actor, "{}"), params, revoked,
			err);
}

/* The audit's changes: the new CAPF state and the certificate's public
 * facts (never the certificate itself, let alone a key). */
static void
lsc_changes(struct xbuf *b, const struct cert_facts *f, bool replaced)
{
	char when[32];
	time_t t = (time_t) f->not_after;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	xbuf_printf(b, "{\"certificateStatus\": \"Upgrade Success\","
		       " \"certificateOperation\": \"No Pending Operation\", \"lscSerial\": ");
	xbuf_put_json(b, f->serial);
	xbuf_printf(b, ", \"lscFingerprint\": ");
	xbuf_put_json(b, f->fingerprint);
	xbuf_printf(b, ", \"lscNotAfter\": ");
	xbuf_put_json(b, when);
	xbuf_printf(b, ", \"lscReplaced\": %s}", replaced ? "true" : "false");
}

static bool
mark_done(struct db *db, const struct db_stmt *stmt, const struct capf_phone *ph,
	  const struct cert_facts *f, bool replaced, const struct actor *actor, struct app_err *err)
{
	const char *params[1 + AUDIT_NPARAMS] = { ph->uuid };
	struct xbuf changes;
	PGresult *res;
	bool done;

	xbuf_init(&changes);
	lsc_changes(&changes, f, replaced);
	if (changes.oom) {
		xbuf_free(&changes);
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	}
	res = db_exec(db, stmt, repo_audit_params(params, 1, actor, changes.data), params, err);
	xbuf_free(&changes);
	if (res == NULL)
		return false;
	done = PQntuples(res) == 1;
	PQclear(res);
	if (!done)
		return app_err_set(err, APP_E_CONFLICT, "certificateOperation",
				   "phone %s no longer has an Install/Upgrade operation pending",
				   ph->name);
	return true;
}

/* Replaces the phone's LSC by f's, then marks it done with stmt. */
static bool
store_lsc(struct db *db, const struct db_stmt *stmt, const struct capf_phone *ph,
	  const struct cert_facts *f, const char *pem, const struct actor *actor, bool *replaced,
	  struct app_err *err)
{
	char not_after[24];
	const char *params[5] = { ph->uuid, f->serial, f->fingerprint, not_after, pem };
	PGresult *res;

	snprintf(not_after, sizeof(not_after), "%lld", f->not_after);
	if (!drop_lsc(db, &st_drop, 1, params, replaced, err))
		return false;
	res = db_exec(db, &st_insert, 5, params, err);
	if (res == NULL)
		return false;
	PQclear(res);
	return mark_done(db, stmt, ph, f, *replaced, actor, err);
}

bool
repo_capf_record_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
		     const char *pem, const struct actor *actor, bool *replaced,
		     struct app_err *err)
{
	return store_lsc(db, &st_done, ph, f, pem, actor, replaced, err);
}

bool
repo_capf_renew_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
		    const char *pem, const struct actor *actor, struct app_err *err)
{
	bool replaced;

	return store_lsc(db, &st_renewed, ph, f, pem, actor, &replaced, err);
}

bool
repo_capf_fail(struct db *db, const struct capf_phone *ph, const char *status, bool end_operation,
	       const struct actor *actor, bool *changed, struct app_err *err)
{
	const char *params[3 + AUDIT_NPARAMS] = { ph->uuid, status, end_operation ? "t" : "f" };
	struct xbuf changes;
	PGresult *res;

	xbuf_init(&changes);
	xbuf_printf(&changes, "{\"certificateStatus\": ");
	xbuf_put_json(&changes, status);
	if (end_operation)
		xbuf_printf(&changes, ", \"certificateOperation\": \"No Pending Operation\"");
	xbuf_puts(&changes, "}");
	res = changes.oom ? NULL :
			    db_exec(db, &st_fail, repo_audit_params(params, 3, actor, changes.data),
				    params, err);
	xbuf_free(&changes);
	if (res == NULL)
		return err->code != APP_OK ?
			       false :
			       app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	*changed = PQntuples(res) == 1;
	PQclear(res);
	return true;
}
