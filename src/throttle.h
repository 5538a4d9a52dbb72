/*
 * throttle.h: when writes are refused, as CUCM does (HTTP 503 once its
 * change-notification queue passes 1,500): a writes-per-second budget
 * shared by all workers, and a limit on the NOTIFY outbox backlog.  Pure
 * decisions with the clock passed in; the caller samples the backlog from
 * the database when throttle_backlog_due() says so (at most once a second,
 * by one worker) and answers the refusal.
 */
#ifndef AXLPROV_THROTTLE_H
#define AXLPROV_THROTTLE_H

#include <stdbool.h>

enum throttle_verdict { THROTTLE_PASS, THROTTLE_BACKLOG, THROTTLE_RATE };

/* Seconds a client is told to wait after a backlog refusal. */
#define THROTTLE_BACKLOG_RETRY 5

/* 0 turns either check off.  Resets the budget and the sample. */
void throttle_configure(long writes_per_second, long backlog_limit);

/* True when the backlog limit is on and the sample is a second old or
 * more; true for exactly one caller, which must then call
 * throttle_backlog_set() (or leave the old sample for another second). */
bool throttle_backlog_due(long long now_ms);
void throttle_backlog_set(long depth);

/* Decides one write at now_ns (a monotonic clock).  A refused write uses
 * none of the budget; *retry_after gets the seconds to wait (1 to 5). */
enum throttle_verdict throttle_write(long long now_ns, int *retry_after);

#endif
