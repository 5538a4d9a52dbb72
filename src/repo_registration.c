/*
 * repo_registration.c: the SQL of repo_registration.h: a refusal
 * recorded, and listRegistrationDynamic's query.  An accepted REGISTER's
 * state is recorded by sip_register() (db/migrations/0014), with its
 * bindings and the confirmations it makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_registration.h"

/* $1 phone, $2 status, $3 source address, $4 node.  A refusal keeps the
 * last accepted Call-ID and what the phone confirmed. */
static const struct db_stmt st_refused = {
	"registration_refused",
	"INSERT INTO phone_registration_state AS s (phone_id, last_register_at, outcome, status, "
	"    source_ip, node) "
	"SELECT p.pkid, now(), 'rejected', $2::integer, nullif($3, '')::inet, $4 "
	"  FROM phone p WHERE p.pkid = $1::uuid "
	"ON CONFLICT (phone_id) DO UPDATE SET last_register_at = now(), outcome = 'rejected', "
	"    status = EXCLUDED.status, source_ip = EXCLUDED.source_ip, node = EXCLUDED.node"
};

bool
repo_registration_refused(struct db *db, const struct reg_event *ev, struct app_err *err)
{
	const char *outcome = reg_outcome(ev->status, false);
	char status[16];
	const char *params[4] = { ev->phone_uuid, status, ev->source_ip ? ev->source_ip : "",
				  ev->node };
	PGresult *res;

	if (outcome == NULL || strcmp(outcome, "rejected") != 0)
		return true;
	snprintf(status, sizeof(status), "%d", ev->status);
	res = db_exec(db, &st_refused, 4, params, err);
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/* The binding that says most: an active one first, then the newest.
 * Rejected wins over a binding older than the refusal (the phone's last
 * word was a refused REGISTER), not over one renewed since: the registrar
 * records the state just after its answer, the binding before it. */
static const struct db_stmt st_list = {
	"registration_list",
	"SELECT p.name, p.pkid::text, coalesce(host(b.source_ip), host(st.source_ip), ''), "
	"  coalesce(b.node, nullif(st.node, ''), ''), "
	"  coalesce(coalesce(st.confirmed_version, st.first_config_version)::text, ''), "
	"  coalesce(floor(extract(epoch FROM st.last_register_at))::bigint::text, ''), "
	"  CASE WHEN st.outcome = 'rejected' AND (b.id IS NULL OR b.expires_at <= now() "
	"                                     OR b.updated_at <= st.last_register_at) "
	"       THEN 'Rejected' "
	"       WHEN b.expires_at > now() THEN 'Registered' "
	"       WHEN st.phone_id IS NOT NULL OR b.id IS NOT NULL THEN 'Unregistered' "
	"       ELSE 'Unknown' END "
	"FROM phone p "
	"LEFT JOIN phone_registration_state st ON st.phone_id = p.pkid "
	"LEFT JOIN LATERAL (SELECT r.id, r.source_ip, r.node, r.expires_at, r.updated_at "
	"   FROM sip_registration r "
	"   WHERE r.phone_id = p.pkid ORDER BY r.expires_at > now() DESC, r.updated_at DESC "
	"   LIMIT 1) b ON true "
	"WHERE p.name LIKE $1 ORDER BY p.name COLLATE \"C\" OFFSET $2 LIMIT $3"
};

bool
repo_registration_list(struct db *db, const struct reg_search *s, reg_row_fn fn, void *ctx,
		       long *matched, struct app_err *err)
{
	char skip[24], first[24];
	const char *params[3] = { s->device, skip, s->first >= 0 ? first : NULL };
	PGresult *res;
	int n;

	snprintf(skip, sizeof(skip), "%ld", s->first >= 0 ? s->skip : 0);
	snprintf(first, sizeof(first), "%ld", s->first);
	res = db_exec(db, &st_list, 3, params, err);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	*matched = n;
	for (int r = 0; r < n; r++) {
		struct reg_row row = {
			.name = PQgetvalue(res, r, 0),
			.uuid = PQgetvalue(res, r, 1),
			.ip = PQgetvalue(res, r, 2),
			.node = PQgetvalue(res, r, 3),
			.config_version = PQgetvalue(res, r, 4),
			.last_seen = PQgetvalue(res, r, 5),
			.status = PQgetvalue(res, r, 6),
		};

		if (!fn(ctx, &row))
			break;
	}
	PQclear(res);
	return true;
}
