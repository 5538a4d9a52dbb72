/*
 * repo_apply.c: the SQL behind apply/reset/restart (see repo_apply.h).
 * Queueing is one statement, so it is atomic without an explicit
 * transaction: the request row, the config version bump and the outbox
 * rows commit together, and the outbox trigger's pg_notify wakes the
 * sender only then.  The outbox backlog and binding counts for /metrics
 * are here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_apply.h"

/* The target, by name or uuid; then the request, the bump, the fan-out.
 * SCCP phones and phones without an active binding are recorded as
 * unreachable at once.  The oldest Cisco SIP models (7940/7960) and
 * third-party phones understand check-sync, the rest service-control. */
#define TARGET_PROFILE(cond) \
	"WITH target AS (SELECT pkid, name FROM phone_security_profile WHERE " cond "), "
#define TARGET_PHONE(cond) "WITH target AS (SELECT pkid, name FROM phone WHERE " cond "), "
#define FAN_OUT(kind, phones_where) \
	"req AS (INSERT INTO apply_request (operation, action, target_kind, target_uuid, " \
	"        target_name, requested_by) " \
	"  SELECT $2, $3, '" kind \
	"', pkid, name, $4 FROM target RETURNING id, uuid, target_uuid), " \
	"audited AS (INSERT INTO audit (userid, source, node, operation, target_kind, " \
	"    target_name, target_uuid, changes) " \
	"  SELECT $4, $5, $6, $2, '" kind "', t.name, t.pkid, " \
	"    jsonb_build_object('action', $3::text, 'request', req.uuid::text) " \
	"  FROM req CROSS JOIN target t), " \
	"bumped AS (UPDATE phone p SET config_version = p.config_version + 1 FROM req " \
	"  WHERE " phones_where \
	" RETURNING p.pkid, p.name, p.model, p.protocol, p.config_version), " \
	"queued AS (INSERT INTO notify_outbox (request_id, phone_id, phone_name, registration_id, " \
	"    node, event, action, config_version, state, reason, done_at) " \
	"  SELECT req.id, b.pkid, b.name, r.id, r.node, " \
	"    CASE WHEN m.cisco AND m.name NOT IN ('Cisco 7940', 'Cisco 7960') " \
	"         THEN 'service-control' ELSE 'check-sync' END, " \
	"    $3, b.config_version, " \
	"    CASE WHEN r.id IS NULL THEN 'unreachable' ELSE 'pending' END, " \
	"    CASE WHEN b.protocol <> 'SIP' " \
	"         THEN 'SCCP phone: this server has no SCCP stack to reach it' " \
	"         WHEN r.id IS NULL THEN 'not registered' ELSE '' END, " \
	"    CASE WHEN r.id IS NULL THEN now() END " \
	"  FROM req CROSS JOIN bumped b JOIN phone_model m ON m.name = b.model " \
	"  LEFT JOIN LATERAL (SELECT s.id, s.node FROM sip_registration s " \
	"     WHERE s.phone_id = b.pkid AND s.expires_at > now() AND b.protocol = 'SIP' " \
	"     ORDER BY s.updated_at DESC LIMIT 1) r ON true " \
	"  RETURNING state) " \
	"SELECT req.uuid::text, req.target_uuid::text, " \
	"       (SELECT count(*) FROM queued), (SELECT count(*) FROM queued WHERE state = 'pending') " \
	"  FROM req"

static const struct db_stmt st_queue[2][2] = {
	[APPLY_PHONE] = {
		{ "apply_phone_name", TARGET_PHONE("name = $1")
		  FAN_OUT("phone", "p.pkid = req.target_uuid") },
		{ "apply_phone_uuid", TARGET_PHONE("pkid = $1::uuid")
		  FAN_OUT("phone", "p.pkid = req.target_uuid") },
	},
	[APPLY_PROFILE] = {
		{ "apply_profile_name", TARGET_PROFILE("name = $1")
		  FAN_OUT("phoneSecurityProfile", "p.security_profile_id = req.target_uuid") },
		{ "apply_profile_uuid", TARGET_PROFILE("pkid = $1::uuid")
		  FAN_OUT("phoneSecurityProfile", "p.security_profile_id = req.target_uuid") },
	},
};

bool
repo_apply_queue(struct db *db, const struct apply_order *o, struct apply_queued *out,
		 struct app_err *err)
{
	const char *params[6];
	PGresult *res;
	bool found;

	params[0] = o->key->name ? o->key->name : o->key->uuid;
	params[1] = o->operation;
	params[2] = o->action;
	params[3] = o->actor->who;
	params[4] = o->actor->source;
	params[5] = o->actor->node;
	res = db_exec(db, &st_queue[o->target][o->key->name ? 0 : 1], 6, params, err);
	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	if (found) {
		db_copy(res, 0, 0, out->request_uuid, sizeof(out->request_uuid));
		db_copy(res, 0, 1, out->target_uuid, sizeof(out->target_uuid));
		out->targeted = atol(PQgetvalue(res, 0, 2));
		out->pending = atol(PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return found ||
	       axl_err(err, APP_E_NOT_FOUND, o->target == APPLY_PHONE ? OBJ_PHONE : OBJ_PROFILE,
		       o->key->name ? "name" : "uuid");
}

/* A request uuid, else the latest request for a target uuid, else for a
 * target name. */
static const struct db_stmt st_status = {
	"apply_status",
	"SELECT r.id, r.uuid::text, r.operation, r.action, r.target_kind, r.target_name, "
	"       r.target_uuid::text, r.requested_by, "
	"       to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	"       count(o.id), count(o.id) FILTER (WHERE o.state = 'delivered'), "
	"       count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')), "
	"       count(o.id) FILTER (WHERE o.state = 'failed'), "
	"       count(o.id) FILTER (WHERE o.state = 'unreachable') "
	"  FROM apply_request r LEFT JOIN notify_outbox o ON o.request_id = r.id "
	" WHERE r.id = coalesce("
	"   (SELECT id FROM apply_request WHERE $2::boolean AND uuid = $1::uuid), "
	"   (SELECT max(id) FROM apply_request WHERE $2::boolean AND target_uuid = $1::uuid), "
	"   (SELECT max(id) FROM apply_request WHERE target_name = $3)) "
	" GROUP BY r.id"
};

static const struct db_stmt st_status_phones = {
	"apply_status_phones",
	"SELECT phone_name, state, attempts, coalesce(last_status::text, ''), reason, "
	"       coalesce(to_char(done_at AT TIME ZONE 'UTC', "
	"                        'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), "
	"       coalesce(to_char(confirmed_at AT TIME ZONE 'UTC', "
	"                        'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '') "
	"  FROM notify_outbox WHERE request_id = $1 ORDER BY phone_name, id LIMIT $2"
};

bool
repo_apply_status(struct db *db, const char *id, struct apply_status *out, long limit,
		  apply_phone_fn fn, void *ctx, struct app_err *err)
{
	char uuid[UUID_DB_LEN + 1], request_id[24], lim[24];
	bool is_uuid = uuid_parse(id, uuid);
	const char *params[3] = { is_uuid ? uuid : "00000000-0000-0000-0000-000000000000",
				  is_uuid ? "true" : "false", id };
	PGresult *res;
	long *counts[] = { &out->targeted, &out->delivered, &out->pending, &out->failed,
			   &out->unreachable };
	bool ok = true;

	res = db_exec(db, &st_status, 3, params, err);
	if (res == NULL)
		return false;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return app_err_set(
			err, APP_E_NOT_FOUND, "id",
			"No apply request for %s (give a request's uuid, or the name or uuid "
			"of a phone or security profile that was applied, reset or restarted)",
			id);
	}
	db_copy(res, 0, 0, request_id, sizeof(request_id));
	db_copy(res, 0, 1, out->request_uuid, sizeof(out->request_uuid));
	db_copy(res, 0, 2, out->operation, sizeof(out->operation));
	db_copy(res, 0, 3, out->action, sizeof(out->action));
	db_copy(res, 0, 4, out->target_kind, sizeof(out->target_kind));
	db_copy(res, 0, 5, out->target_name, sizeof(out->target_name));
	db_copy(res, 0, 6, out->target_uuid, sizeof(out->target_uuid));
	db_copy(res, 0, 7, out->requested_by, sizeof(out->requested_by));
	db_copy(res, 0, 8, out->created_at, sizeof(out->created_at));
	for (int i = 0; i < 5; i++)
		*counts[i] = atol(PQgetvalue(res, 0, 9 + i));
	PQclear(res);
	if (fn == NULL || limit <= 0)
		return true;
	snprintf(lim, sizeof(lim), "%ld", limit);
	res = db_exec(db, &st_status_phones, 2, (const char *const[]) { request_id, lim }, err);
	if (res == NULL)
		return false;
	for (int r = 0; ok && r < PQntuples(res); r++) {
		struct apply_phone_status row = {
			.name = PQgetvalue(res, r, 0),
			.state = PQgetvalue(res, r, 1),
			.attempts = atoi(PQgetvalue(res, r, 2)),
			.sip_status = PQgetvalue(res, r, 3),
			.reason = PQgetvalue(res, r, 4),
			.done_at = PQgetvalue(res, r, 5),
			.confirmed_at = PQgetvalue(res, r, 6),
		};
		ok = fn(ctx, &row);
	}
	PQclear(res);
	return true;
}

/* --- the figures for throttling and /metrics --------------------------- */

/* The WHERE clause matches notify_outbox_due's predicate, so the planner
 * can read only that partial index. */
static const struct db_stmt st_outbox = {
	"metrics_outbox",
	"SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'sending') "
	"  FROM notify_outbox WHERE state IN ('pending', 'sending')"
};

static const struct db_stmt st_bindings = {
	"metrics_bindings", "SELECT count(*) FROM sip_registration WHERE expires_at > now()"
};

bool
repo_metrics_outbox(struct db *db, long *pending, long *sending, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_outbox, 0, NULL, err);

	if (res == NULL)
		return false;
	*pending = atol(PQgetvalue(res, 0, 0));
	*sending = atol(PQgetvalue(res, 0, 1));
	PQclear(res);
	return true;
}

bool
repo_metrics_bindings(struct db *db, long *bindings, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_bindings, 0, NULL, err);

	if (res == NULL)
		return false;
	*bindings = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}
