/*
 * sip_facts.h: the registrar's memory of the phone facts it read (struct
 * sip_phone), keyed by the AOR user they were looked up by, so that the
 * REGISTER answering a challenge, and each refresh, need not read them
 * again.  A fixed table of slots (a user hashes to one; a newer entry
 * replaces whatever was there), shared by the database threads under one
 * mutex.  Facts from here only ever lead to an acceptance that the
 * database checks again in the same statement that binds (the digest in
 * repo_sip_register); a refusal or a challenge is always decided on facts
 * read for that request.
 */
#ifndef AXLPROV_SIP_FACTS_H
#define AXLPROV_SIP_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "repo_sip.h"

struct sip_facts;

/* slots: how many users it remembers at most; NULL when out of memory. */
struct sip_facts *sip_facts_new(size_t slots);
void sip_facts_free(struct sip_facts *f);

/* The facts last put for user, if its slot still holds them. */
bool sip_facts_get(struct sip_facts *f, const char *user, struct sip_phone *out);
void sip_facts_put(struct sip_facts *f, const char *user, const struct sip_phone *ph);
/* Forgets user's facts (they proved stale). */
void sip_facts_drop(struct sip_facts *f, const char *user);

#endif
