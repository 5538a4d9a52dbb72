/*
 * backoff.c: the per-address failed-login table (see backoff.h).  Times
 * come from the caller so that the rules are testable without sleeping.
 */
#include "backoff.h"

#include <stdio.h>
#include <string.h>

void
backoff_init(struct backoff *b, int after, double window, double max)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->after = after;
	b->window = window;
	b->max = max;
}

void
backoff_destroy(struct backoff *b)
{
	pthread_mutex_destroy(&b->lock);
}

void
backoff_address(const char *peer, char out[BACKOFF_ADDR_MAX])
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon != NULL ? (size_t) (colon - peer) : strlen(peer);

	/* "[::1]:443" and "::1:443" alike: drop the port, keep the host. */
	if (n >= BACKOFF_ADDR_MAX)
		n = BACKOFF_ADDR_MAX - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

/* Called with the lock held. */
static struct backoff_slot *
find(struct backoff *b, const char *addr)
{
	for (int i = 0; i < BACKOFF_SLOTS; i++)
		if (b->slot[i].failures > 0 && strcmp(b->slot[i].addr, addr) == 0)
			return &b->slot[i];
	return NULL;
}

/* Empties a slot.  Called with the lock held. */
static void
forget(struct backoff *b, struct backoff_slot *s)
{
	if (s->failures > 0)
		atomic_fetch_sub_explicit(&b->used, 1, memory_order_relaxed);
	memset(s, 0, sizeof(*s));
}

/* An address quiet for a whole window has no failures left. */
static void
expire(struct backoff *b, struct backoff_slot *s, double now)
{
	if (s->failures > 0 && now - s->last_failure > b->window && now >= s->refuse_until)
		forget(b, s);
}

static bool
nobody_failing(struct backoff *b)
{
	return b->after <= 0 || atomic_load_explicit(&b->used, memory_order_relaxed) == 0;
}

double
backoff_wait(struct backoff *b, const char *addr, double now)
{
	struct backoff_slot *s;
	double wait = 0;

	if (nobody_failing(b))
		return 0;
	pthread_mutex_lock(&b->lock);
	s = find(b, addr);
	if (s != NULL) {
		expire(b, s, now);
		if (s->failures > 0 && s->refuse_until > now)
			wait = s->refuse_until - now;
	}
	pthread_mutex_unlock(&b->lock);
	return wait;
}

void
backoff_failure(struct backoff *b, const char *addr, double now)
{
	struct backoff_slot *s;

	if (b->after <= 0)
		return;
	pthread_mutex_lock(&b->lock);
	s = find(b, addr);
	if (s != NULL)
		expire(b, s, now);
	if (s == NULL || s->failures == 0) {
		/* A free slot, else the one whose last failure is oldest. */
		s = &b->slot[0];
		for (int i = 0; i < BACKOFF_SLOTS; i++) {
			expire(b, &b->slot[i], now);
			if (b->slot[i].failures == 0) {
				s = &b->slot[i];
				break;
			}
			if (b->slot[i].last_failure < s->last_failure)
				s = &b->slot[i];
		}
		forget(b, s);
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		atomic_fetch_add_explicit(&b->used, 1, memory_order_relaxed);
	}
	s->failures++;
	s->last_failure = now;
	if (s->failures >= b->after) {
		double delay = 1;

		for (int i = b->after; i < s->failures && delay < b->max; i++)
			delay *= 2;
		s->refuse_until = now + (delay < b->max ? delay : b->max);
	}
	pthread_mutex_unlock(&b->lock);
}

void
backoff_success(struct backoff *b, const char *addr)
{
	struct backoff_slot *s;

	if (nobody_failing(b))
		return;
	pthread_mutex_lock(&b->lock);
	s = find(b, addr);
	if (s != NULL)
		forget(b, s);
	pthread_mutex_unlock(&b->lock);
}
