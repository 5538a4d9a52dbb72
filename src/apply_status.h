/*
 * apply_status.h: the delivery status of an apply/reset/restart request as
 * JSON, shared by GET /axl/status/apply/<id> and `axlprovd apply-status`.
 */
#ifndef AXLPROV_APPLY_STATUS_H
#define AXLPROV_APPLY_STATUS_H

#include <stdbool.h>

#include "err.h"

struct db;
struct xbuf;

/* Phones listed per request, at most. */
#define APPLY_STATUS_PHONES 1000

/* Writes the JSON document for request id (see repo_apply_status) to out. */
bool apply_status_json(struct db *db, const char *id, struct xbuf *out, struct app_err *err);

/* {"error": "<message>"} for a request that failed. */
void apply_status_error_json(struct xbuf *out, const char *message);

#endif
