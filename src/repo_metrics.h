/*
 * repo_metrics.h: the database figures for throttling and /metrics: the
 * NOTIFY outbox backlog (rows pending or sending, counted through the
 * partial index on those states, so the cost follows the backlog, not the
 * table) and the number of unexpired SIP bindings.  The SQL is in
 * repo_apply.c, with the rest of the outbox's.
 */
#ifndef AXLPROV_REPO_METRICS_H
#define AXLPROV_REPO_METRICS_H

#include <stdbool.h>

#include "err.h"

struct db;

bool repo_metrics_outbox(struct db *db, long *pending, long *sending, struct app_err *err);
bool repo_metrics_bindings(struct db *db, long *bindings, struct app_err *err);

#endif
