/*
 * observe.h: where throttling, metrics and the request log meet a request:
 * the write gate's decision once the operation is known, and the
 * accounting of every answered request (counters and its log line).  Both
 * read only the request's facts (struct request); answering is the
 * request owner's (request.c).
 */
#ifndef AXLPROV_OBSERVE_H
#define AXLPROV_OBSERVE_H

#include <stdbool.h>

#include "throttle.h"

struct config;
struct db;
struct request;

/* Before the workers start: counters for cfg->workers, throttle settings. */
bool observe_init(const struct config *cfg);
void observe_free(void);

/* After routing (req->op known): THROTTLE_PASS for a read or a write
 * within the budget; otherwise why the write is refused (counted), with
 * *retry_after the seconds to tell the client.  db is for the outbox
 * backlog sample one worker takes a second. */
enum throttle_verdict observe_gate(struct db *db, const struct request *req, int *retry_after);

/* Once per answered request, from worker number `worker`: counters, and
 * the request line at info. */
void observe_request_done(int worker, const struct request *req);

#endif
