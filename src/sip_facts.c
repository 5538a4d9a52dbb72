/*
 * sip_facts.c: the registrar's memory of phone facts (see sip_facts.h).
 * Entries are allocated when first put, so memory follows the phones that
 * registered: under 1 KB each, at most slots of them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_facts.h"

struct entry {
	char user[136];
	struct sip_phone ph;
};

struct sip_facts {
	pthread_mutex_t lock;
	size_t nslots;
	struct entry **slots;
};

struct sip_facts *
sip_facts_new(size_t slots)
{
	struct sip_facts *f = slots > 0 ? calloc(1, sizeof(*f)) : NULL;

	if (f != NULL)
		f->slots = calloc(slots, sizeof(*f->slots));
	if (f == NULL || f->slots == NULL) {
		free(f);
		return NULL;
	}
	f->nslots = slots;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void
sip_facts_free(struct sip_facts *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nslots; i++)
		free(f->slots[i]);
	free(f->slots);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* FNV-1a: users are short, and an attacker choosing them only makes
 * entries replace each other, which costs a database read. */
static struct entry **
slot_of(struct sip_facts *f, const char *user)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *c = (const unsigned char *) user; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return &f->slots[h % f->nslots];
}

bool
sip_facts_get(struct sip_facts *f, const char *user, struct sip_phone *out)
{
	struct entry **e;
	bool found;

	if (f == NULL || user == NULL || strlen(user) >= sizeof((*e)->user))
		return false;
	pthread_mutex_lock(&f->lock);
	e = slot_of(f, user);
	found = *e != NULL && strcmp((*e)->user, user) == 0;
	if (found)
		*out = (*e)->ph;
	pthread_mutex_unlock(&f->lock);
	return found;
}

void
sip_facts_put(struct sip_facts *f, const char *user, const struct sip_phone *ph)
{
	struct entry **e;

	if (f == NULL || user == NULL || strlen(user) >= sizeof((*e)->user))
		return;
	pthread_mutex_lock(&f->lock);
	e = slot_of(f, user);
	if (*e == NULL)
		*e = malloc(sizeof(**e));
	if (*e != NULL) {
		strcpy((*e)->user, user);
		(*e)->ph = *ph;
	}
	pthread_mutex_unlock(&f->lock);
}

void
sip_facts_drop(struct sip_facts *f, const char *user)
{
	struct entry **e;

	if (f == NULL || user == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	e = slot_of(f, user);
	if (*e != NULL && strcmp((*e)->user, user) == 0) {
		free(*e);
		*e = NULL;
	}
	pthread_mutex_unlock(&f->lock);
}
