/*
 * repo_apply.h: SQL for apply/reset/restart requests: recording one (the
 * request row with the number of phones it targets, at once), queueing its
 * phones in batches (the config version bump and one outbox row per
 * phone) and reading a request's delivery status.
 */
#ifndef AXLPROV_REPO_APPLY_H
#define AXLPROV_REPO_APPLY_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"
#include "uuid.h"

struct db;

enum apply_target { APPLY_PHONE, APPLY_PROFILE };

struct apply_order {
	enum apply_target target;
	const struct item_key *key;
	const char *operation;     /* the AXL operation, recorded */
	const char *action;        /* apply-config, reset, restart */
	const struct actor *actor; /* who asks: recorded, and audited */
};

struct apply_queued {
	char request_uuid[UUID_DB_LEN + 1];
	char target_uuid[UUID_DB_LEN + 1];
	long targeted; /* the target's phones when the request was recorded */
};

/* APP_E_NOT_FOUND (field name/uuid) when the target does not exist. */
bool repo_apply_queue(struct db *db, const struct apply_order *order, struct apply_queued *out,
		      struct app_err *err);

/* Queues the next `batch` phones of the oldest request not queued whole
 * (one transaction; a request another instance is queueing is skipped):
 * *queued phones; *more when there may be more to queue (call again). */
bool repo_apply_fan_out(struct db *db, int batch, int *queued, bool *more, struct app_err *err);

struct apply_status {
	char request_uuid[UUID_DB_LEN + 1];
	char operation[64];
	char action[16];
	char target_kind[32];
	char target_name[160];
	char target_uuid[UUID_DB_LEN + 1];
	char requested_by[64];
	char created_at[40];
	long targeted, delivered, pending, failed, unreachable;
	long queued; /* phones not in the outbox yet (counted in pending) */
};

struct apply_phone_status {
	const char *name;
	const char *state;
	int attempts;
	const char *sip_status; /* "" when no answer was recorded */
	const char *reason;
	const char *done_at;      /* "" while pending */
	const char *confirmed_at; /* when the phone registered anew after the
				    delivered NOTIFY (repo_registration.h), or "" */
};

typedef bool (*apply_phone_fn)(void *ctx, const struct apply_phone_status *row);

/* The request named by id: a request uuid, or a target's uuid or name
 * (then its latest request).  Phones come in name order, at most `limit`.
 * APP_E_NOT_FOUND when there is no such request. */
bool repo_apply_status(struct db *db, const char *id, struct apply_status *out, long limit,
		       apply_phone_fn fn, void *ctx, struct app_err *err);

/* The database figures for throttling and /metrics: the NOTIFY outbox
 * backlog (rows pending or sending, counted through the partial index on
 * those states, so the cost follows the backlog, not the table; pending
 * includes the phones of apply requests not queued yet) and the number of
 * unexpired SIP bindings. */
bool repo_metrics_outbox(struct db *db, long *pending, long *sending, struct app_err *err);
bool repo_metrics_bindings(struct db *db, long *bindings, struct app_err *err);

#endif
