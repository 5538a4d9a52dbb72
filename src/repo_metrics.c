/*
 * repo_metrics.c: the SQL behind repo_metrics.h.
 */
#include <stdlib.h>

#include "db.h"
#include "repo_metrics.h"

/* The WHERE clause matches notify_outbox_due's predicate, so the planner
 * can read only that partial index. */
static const struct db_stmt st_outbox = {
	"metrics_outbox",
	"SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'sending') "
	"  FROM notify_outbox WHERE state IN ('pending', 'sending')"
};

static const struct db_stmt st_bindings = {
	"metrics_bindings",
	"SELECT count(*) FROM sip_registration WHERE expires_at > now()"
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
