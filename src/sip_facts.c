/*
 * sip_facts.c: the registrar's memory of phone facts (see sip_facts.h).
 * A chained hash table of users, at most max of them; the users of one
 * phone (its name and its userid) share one copy of its facts, so a
 * cluster's 40,000 phones take about 25 MB.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_facts.h"

#define USER_MAX 128 /* longer AOR users are refused before any lookup */

struct fact {
	unsigned refs;
	struct sip_phone ph;
};

struct entry {
	struct entry *next;
	struct fact *fact;
	char user[];
};

struct sip_facts {
	pthread_mutex_t lock;
	size_t nbuckets, count, max;
	unsigned long era;
	bool on;
	struct entry **buckets;
};

struct sip_facts *
sip_facts_new(size_t max)
{
	struct sip_facts *f = max > 0 ? calloc(1, sizeof(*f)) : NULL;

	if (f == NULL)
		return NULL;
	for (f->nbuckets = 1; f->nbuckets < max; f->nbuckets <<= 1)
		;
	f->buckets = calloc(f->nbuckets, sizeof(*f->buckets));
	if (f->buckets == NULL) {
		free(f);
		return NULL;
	}
	f->max = max;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void
entry_free(struct entry *e)
{
	if (--e->fact->refs == 0)
		free(e->fact);
	free(e);
}

/* Under the lock. */
static void
forget_all(struct sip_facts *f)
{
	for (size_t i = 0; i < f->nbuckets; i++)
		for (struct entry *e = f->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
	memset(f->buckets, 0, f->nbuckets * sizeof(*f->buckets));
	f->count = 0;
}

void
sip_facts_free(struct sip_facts *f)
{
	if (f == NULL)
		return;
	forget_all(f);
	free(f->buckets);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* FNV-1a: users are short, and an attacker choosing them only makes
 * chains longer within max, or entries replace each other when full,
 * which costs a database read. */
static struct entry **
bucket_of(struct sip_facts *f, const char *user)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *c = (const unsigned char *) user; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return &f->buckets[h & (f->nbuckets - 1)];
}

/* Under the lock: where user's entry is linked (*result NULL if none). */
static struct entry **
find(struct sip_facts *f, const char *user)
{
	struct entry **pp = bucket_of(f, user);

	while (*pp != NULL && strcmp((*pp)->user, user) != 0)
		pp = &(*pp)->next;
	return pp;
}

bool
sip_facts_get(struct sip_facts *f, const char *user, struct sip_phone *out)
{
	struct entry *e;

	if (f == NULL || user == NULL || strlen(user) > USER_MAX)
		return false;
	pthread_mutex_lock(&f->lock);
	e = *find(f, user);
	if (e != NULL)
		*out = e->fact->ph;
	pthread_mutex_unlock(&f->lock);
	return e != NULL;
}

unsigned long
sip_facts_era(struct sip_facts *f)
{
	unsigned long era = 0;

	if (f != NULL) {
		pthread_mutex_lock(&f->lock);
		era = f->era;
		pthread_mutex_unlock(&f->lock);
	}
	return era;
}

/* Under the lock: unlinks *pp. */
static void
unlink_entry(struct sip_facts *f, struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->next;
	entry_free(e);
	f->count--;
}

/* Under the lock: user now names fact (a reference taken). */
static void
put_one(struct sip_facts *f, const char *user, struct fact *fact)
{
	struct entry **pp = find(f, user), *e;
	size_t len = strlen(user);

	if (*pp != NULL)
		unlink_entry(f, pp);
	else if (f->count >= f->max && *bucket_of(f, user) != NULL)
		unlink_entry(f, bucket_of(f, user)); /* full: a neighbour makes room */
	if (f->count >= f->max || (e = malloc(sizeof(*e) + len + 1)) == NULL)
		return;
	memcpy(e->user, user, len + 1);
	e->fact = fact;
	fact->refs++;
	e->next = *bucket_of(f, user);
	*bucket_of(f, user) = e;
	f->count++;
}

void
sip_facts_put(struct sip_facts *f, unsigned long era, const char *const users[], int n,
	      const struct sip_phone *ph)
{
	struct fact *fact;
	bool last;

	if (f == NULL || (fact = malloc(sizeof(*fact))) == NULL)
		return;
	fact->refs = 1; /* ours, until the users hold theirs */
	fact->ph = *ph;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < n && f->on && f->era == era; i++)
		if (users[i] != NULL && users[i][0] != '\0' && strlen(users[i]) <= USER_MAX)
			put_one(f, users[i], fact);
	last = --fact->refs == 0;
	pthread_mutex_unlock(&f->lock);
	if (last)
		free(fact);
}

void
sip_facts_drop(struct sip_facts *f, const char *user)
{
	struct entry **pp;

	if (f == NULL || user == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	pp = find(f, user);
	if (*pp != NULL)
		unlink_entry(f, pp);
	pthread_mutex_unlock(&f->lock);
}

void
sip_facts_reset(struct sip_facts *f, bool on)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	forget_all(f);
	f->era++;
	f->on = on;
	pthread_mutex_unlock(&f->lock);
}

size_t
sip_facts_count(struct sip_facts *f)
{
	size_t n = 0;

	if (f != NULL) {
		pthread_mutex_lock(&f->lock);
		n = f->count;
		pthread_mutex_unlock(&f->lock);
	}
	return n;
}
