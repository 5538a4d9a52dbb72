/*
 * throttle.c: the write budget and the backlog sample (see throttle.h).
 *
 * The budget is a GCRA (the virtual-scheduling form of a token bucket):
 * one atomic "theoretical arrival time" moved on by one emission interval
 * per accepted write, with a burst of one second's worth.  Workers update
 * it with compare-and-swap, so there is no lock on the write path.
 */
#include "throttle.h"

#include <stdatomic.h>

#define NS 1000000000LL

static long long interval_ns;  /* 0: no budget */
static long long tolerance_ns; /* (burst - 1) * interval */
static long backlog_limit;     /* 0: no backlog check */
static atomic_llong tat_ns;
static atomic_llong sampled_ms;
static atomic_long backlog;

void
throttle_configure(long writes_per_second, long limit)
{
	interval_ns = writes_per_second > 0 ? NS / writes_per_second : 0;
	tolerance_ns = writes_per_second > 1 ? (writes_per_second - 1) * interval_ns : 0;
	backlog_limit = limit;
	atomic_store(&tat_ns, 0);
	atomic_store(&sampled_ms, -1000000);
	atomic_store(&backlog, 0);
}

bool
throttle_backlog_due(long long now_ms)
{
	long long last = atomic_load_explicit(&sampled_ms, memory_order_relaxed);

	if (backlog_limit <= 0 || now_ms - last < 1000)
		return false;
	return atomic_compare_exchange_strong(&sampled_ms, &last, now_ms);
}

void
throttle_backlog_set(long depth)
{
	atomic_store_explicit(&backlog, depth, memory_order_relaxed);
}

static int
clamp_seconds(long long ns)
{
	long long s = (ns + NS - 1) / NS;

	return s < 1 ? 1 : s > 5 ? 5 : (int) s;
}

enum throttle_verdict
throttle_write(long long now_ns, int *retry_after)
{
	long long tat, base;

	if (backlog_limit > 0 &&
	    atomic_load_explicit(&backlog, memory_order_relaxed) > backlog_limit) {
		*retry_after = THROTTLE_BACKLOG_RETRY;
		return THROTTLE_BACKLOG;
	}
	if (interval_ns == 0)
		return THROTTLE_PASS;
	tat = atomic_load(&tat_ns);
	do {
		base = tat > now_ns ? tat : now_ns;
		if (base - now_ns > tolerance_ns) {
			*retry_after = clamp_seconds(base - now_ns - tolerance_ns);
			return THROTTLE_RATE;
		}
	} while (!atomic_compare_exchange_weak(&tat_ns, &tat, base + interval_ns));
	return THROTTLE_PASS;
}
