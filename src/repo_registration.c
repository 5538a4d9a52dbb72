/*
 * repo_registration.c: the SQL of repo_registration.h.  Recording a
 * REGISTER is one call of registration_record() (db/migrations/0014): the
 * confirmations it makes and the phone's state row commit together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_registration.h"

/* db/migrations/0014: also called by sip_register() for an accepted one. */
static const struct db_stmt st_record = { "registration_record",
					  "SELECT registration_record($1, $2, $3, $4, $5, $6)" };

bool
repo_registration_record(struct db *db, const struct reg_event *ev, long *confirmed,
			 struct app_err *err)
{
	const char *outcome = reg_outcome(ev->status, ev->bound);
	char status[16];
	const char *params[6];
	PGresult *res;

	*confirmed = 0;
	if (outcome == NULL)
		return true;
	snprintf(status, sizeof(status), "%d", ev->status);
	params[0] = ev->phone_uuid;
	params[1] = outcome;
	params[2] = status;
	params[3] = ev->call_id ? ev->call_id : "";
	params[4] = ev->source_ip ? ev->source_ip : "";
	params[5] = ev->node;
	res = db_exec(db, &st_record, 6, params, err);
	if (res == NULL)
		return false;
	*confirmed = atol(PQgetvalue(res, 0, 0));
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
