/*
 * backoff.h: the failed-login back-off, per source address.  After `after`
 * failures from one address (each within `window` seconds of the previous
 * one), further logins from that address are refused without being checked
 * for 1 s, then 2, 4, ... up to `max` seconds per further failure.  A success
 * or `window` quiet seconds clear the address.  Keyed by address, never by
 * user, so a stranger failing as "admin" slows only themselves.  A fixed
 * table (BACKOFF_SLOTS addresses) bounds the memory; when it is full the
 * address least recently failing is forgotten.  Thread-safe.
 */
#ifndef AXLPROV_BACKOFF_H
#define AXLPROV_BACKOFF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define BACKOFF_SLOTS 256
#define BACKOFF_ADDR_MAX 48

struct backoff_slot {
	char addr[BACKOFF_ADDR_MAX];
	int failures;
	double last_failure; /* seconds, the caller's clock */
	double refuse_until;
};

struct backoff {
	pthread_mutex_t lock;
	int after; /* 0: the back-off is off */
	double window, max;
	/* Slots holding failures.  Read without the lock, so that logins cost
	 * no lock and no scan while nobody is failing (the usual case). */
	atomic_int used;
	struct backoff_slot slot[BACKOFF_SLOTS];
};

void backoff_init(struct backoff *b, int after, double window, double max);
void backoff_destroy(struct backoff *b);

/* The address part of "host:port" (or of a bare host) into out. */
void backoff_address(const char *peer, char out[BACKOFF_ADDR_MAX]);

/* Seconds addr must still wait before a login is checked; 0 = go ahead. */
double backoff_wait(struct backoff *b, const char *addr, double now);

/* Records a failed login from addr at now. */
void backoff_failure(struct backoff *b, const char *addr, double now);

/* A successful login from addr: forget its failures. */
void backoff_success(struct backoff *b, const char *addr);

#endif
