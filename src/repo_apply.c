/*
 * repo_apply.c: the SQL behind apply/reset/restart (see repo_apply.h).
 * A request is one statement (the request row with its count of phones,
 * and its audit record); its phones are queued afterwards in batches, each
 * one transaction (config version bumps and outbox rows together), and the
 * outbox trigger's pg_notify wakes the sender only when a batch commits.  The outbox backlog and binding counts for /metrics
 * are here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_apply.h"

/* The target, by name or uuid; then the request (with the number of
 * phones it targets now) and its audit record.  The phones are queued
 * later, in batches (repo_apply_fan_out), so that the call answers at once
 * whatever the number of phones. */
#define TARGET_PROFILE(cond) \
	"WITH target AS (SELECT pkid, name, " \
	"    (SELECT count(*) FROM phone p WHERE p.security_profile_id = s.pkid) AS n " \
	"  FROM phone_security_profile s WHERE " cond "), "
#define TARGET_PHONE(cond) "WITH target AS (SELECT pkid, name, 1 AS n FROM phone WHERE " cond "), "
#define REQUEST(kind) \
	"req AS (INSERT INTO apply_request (operation, action, target_kind, target_uuid, " \
	"        target_name, requested_by, targeted) " \
	"  SELECT $2, $3, '" kind \
	"', pkid, name, $4, n FROM target RETURNING id, uuid, target_uuid, targeted), " \
	"audited AS (INSERT INTO audit (userid, source, node, operation, target_kind, " \
	"    target_name, target_uuid, changes) " \
	"  SELECT $4, $5, $6, $2, '" kind "', t.name, t.pkid, " \
	"    jsonb_build_object('action', $3::text, 'request', req.uuid::text) " \
	"  FROM req CROSS JOIN target t) " \
	"SELECT req.uuid::text, req.target_uuid::text, req.targeted FROM req"

static const struct db_stmt st_queue[2][2] = {
	[APPLY_PHONE] = {
		{ "apply_phone_name", TARGET_PHONE("name = $1") REQUEST("phone") },
		{ "apply_phone_uuid", TARGET_PHONE("pkid = $1::uuid") REQUEST("phone") },
	},
	[APPLY_PROFILE] = {
		{ "apply_profile_name", TARGET_PROFILE("name = $1") REQUEST("phoneSecurityProfile") },
		{ "apply_profile_uuid", TARGET_PROFILE("pkid = $1::uuid")
		  REQUEST("phoneSecurityProfile") },
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
	}
	PQclear(res);
	return found ||
	       axl_err(err, APP_E_NOT_FOUND, o->target == APPLY_PHONE ? OBJ_PHONE : OBJ_PROFILE,
		       o->key->name ? "name" : "uuid");
}

/* The oldest request still to queue, locked for this transaction: one
 * instance at a time queues a request, the others skip it. */
static const struct db_stmt st_fan_out_next = {
	"apply_fan_out_next",
	"SELECT id, action, target_kind, target_uuid::text, coalesce(fan_out_after, '') "
	"  FROM apply_request WHERE NOT fanned_out ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
};

/* One batch of request $1 ($2 its action): the target's next phones after
 * $4 in name order, at most $5.  Each phone's config version moves on and
 * its outbox row goes to the node holding its latest binding.  SCCP phones
 * and phones without an active binding are recorded as unreachable at
 * once.  The oldest Cisco SIP models (7940/7960) and third-party phones
 * understand check-sync, the rest service-control.  A short batch ends the
 * request, whose count becomes the phones actually queued (phones may have
 * joined or left the profile since the call). */
#define FAN_OUT_BATCH(pick) \
	"WITH pick AS (" pick "), " \
	"bumped AS (UPDATE phone p SET config_version = p.config_version + 1 FROM pick " \
	"  WHERE p.pkid = pick.pkid " \
	"  RETURNING p.pkid, p.name, p.model, p.protocol, p.config_version), " \
	"queued AS (INSERT INTO notify_outbox (request_id, phone_id, phone_name, " \
	"    node, event, action, config_version, state, reason, done_at) " \
	"  SELECT $1, b.pkid, b.name, r.node, " \
	"    CASE WHEN m.cisco AND m.name NOT IN ('Cisco 7940', 'Cisco 7960') " \
	"         THEN 'service-control' ELSE 'check-sync' END, " \
	"    $2, b.config_version, " \
	"    CASE WHEN r.id IS NULL THEN 'unreachable' ELSE 'pending' END, " \
	"    CASE WHEN b.protocol <> 'SIP' " \
	"         THEN 'SCCP phone: this server has no SCCP stack to reach it' " \
	"         WHEN r.id IS NULL THEN 'not registered' ELSE '' END, " \
	"    CASE WHEN r.id IS NULL THEN now() END " \
	"  FROM bumped b JOIN phone_model m ON m.name = b.model " \
	"  LEFT JOIN LATERAL (SELECT s.id, s.node FROM sip_registration s " \
	"     WHERE s.phone_id = b.pkid AND s.expires_at > now() AND b.protocol = 'SIP' " \
	"     ORDER BY s.updated_at DESC LIMIT 1) r ON true " \
	"  RETURNING phone_name), " \
	"n AS (SELECT count(*) AS queued, max(phone_name) AS last FROM queued), " \
	"moved AS (UPDATE apply_request a " \
	"  SET fan_out_after = coalesce(n.last, a.fan_out_after), fanned_out = n.queued < $5, " \
	"      targeted = CASE WHEN n.queued < $5 " \
	"        THEN (SELECT count(*) FROM notify_outbox o WHERE o.request_id = a.id) + n.queued " \
	"        ELSE a.targeted END " \
	"  FROM n WHERE a.id = $1 RETURNING a.id) " \
	"SELECT n.queued FROM n, moved"

static const struct db_stmt st_fan_out[2] = {
	[APPLY_PHONE] = { "apply_fan_out_phone",
			  FAN_OUT_BATCH("SELECT pkid FROM phone "
					"WHERE pkid = $3::uuid AND name > $4 LIMIT $5::int") },
	[APPLY_PROFILE] = { "apply_fan_out_profile",
			    FAN_OUT_BATCH("SELECT pkid FROM phone "
					  "WHERE security_profile_id = $3::uuid AND name > $4 "
					  "ORDER BY name LIMIT $5::int") },
};

static bool
fan_out_batch(struct db *db, PGresult *next, const char *batch, int *queued, struct app_err *err)
{
	const char *params[5] = { PQgetvalue(next, 0, 0), PQgetvalue(next, 0, 1),
				  PQgetvalue(next, 0, 3), PQgetvalue(next, 0, 4), batch };
	enum apply_target kind = strcmp(PQgetvalue(next, 0, 2), "phone") == 0 ? APPLY_PHONE :
										APPLY_PROFILE;
	PGresult *res = db_exec(db, &st_fan_out[kind], 5, params, err);

	if (res == NULL)
		return false;
	*queued = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

bool
repo_apply_fan_out(struct db *db, int batch, int *queued, bool *more, struct app_err *err)
{
	char n[16];
	PGresult *next;
	bool ok;

	*queued = 0;
	*more = false;
	snprintf(n, sizeof(n), "%d", batch);
	if (!db_begin(db, err))
		return false;
	next = db_exec(db, &st_fan_out_next, 0, NULL, err);
	ok = next != NULL;
	if (ok && PQntuples(next) == 1)
		ok = fan_out_batch(db, next, n, queued, err);
	/* This request has more phones, or another may wait behind it. */
	*more = ok && PQntuples(next) == 1;
	PQclear(next);
	if (ok)
		return db_commit(db, err);
	db_rollback(db);
	return false;
}

/* A request uuid, else the latest request for a target uuid, else for a
 * target name. */
static const struct db_stmt st_status = {
	"apply_status",
	"SELECT r.id, r.uuid::text, r.operation, r.action, r.target_kind, r.target_name, "
	"       r.target_uuid::text, r.requested_by, "
	"       to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	"       r.targeted, count(o.id) FILTER (WHERE o.state = 'delivered'), "
	"       count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')), "
	"       count(o.id) FILTER (WHERE o.state = 'failed'), "
	"       count(o.id) FILTER (WHERE o.state = 'unreachable'), "
	"       CASE WHEN r.fanned_out THEN 0 ELSE greatest(r.targeted - count(o.id), 0) END "
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
	long *counts[] = { &out->targeted, &out->delivered,   &out->pending,
			   &out->failed,   &out->unreachable, &out->queued };
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
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		*counts[i] = atol(PQgetvalue(res, 0, 9 + (int) i));
	out->pending += out->queued;
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

/* Pending: rows, and the phones of requests not queued yet (counted
 * through the request index and apply_request_fan_out).  The WHERE clause
 * matches notify_outbox_due's predicate, so the planner
 * can read only that partial index. */
static const struct db_stmt st_outbox = {
	"metrics_outbox",
	"WITH waiting AS (SELECT coalesce(sum(greatest(r.targeted - "
	"    (SELECT count(*) FROM notify_outbox o WHERE o.request_id = r.id), 0)), 0) AS n "
	"  FROM apply_request r WHERE NOT r.fanned_out) "
	"SELECT count(*) FILTER (WHERE state = 'pending') + (SELECT n FROM waiting), "
	"       count(*) FILTER (WHERE state = 'sending') "
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
