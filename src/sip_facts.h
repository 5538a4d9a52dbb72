/*
 * sip_facts.h: the registrar's memory of the phone facts it read (struct
 * sip_phone), keyed by the AOR user they are looked up by (the phone's
 * name, or its digest user's userid), so that a REGISTER need not read
 * them again: a challenge, the REGISTER answering it and each refresh are
 * decided on them.  Shared by the database threads under one mutex.
 *
 * Kept true by two things.  An acceptance decided on remembered facts is
 * checked again in the statement that binds (the digest in
 * repo_sip_register).  And every change of what they hold (a phone, its
 * profile, its digest user, its LSC) makes the database notify the
 * registrar, which forgets everything (sip_facts_reset); facts read before
 * such a reset are not remembered after it (the era a put names).  While
 * the registrar cannot hear those notifications, it remembers nothing.
 */
#ifndef AXLPROV_SIP_FACTS_H
#define AXLPROV_SIP_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "repo_sip.h"

struct sip_facts;

/* max: how many users it remembers at most; it starts off (see reset).
 * NULL when out of memory. */
struct sip_facts *sip_facts_new(size_t max);
void sip_facts_free(struct sip_facts *f);

/* The facts last put for user, if still remembered. */
bool sip_facts_get(struct sip_facts *f, const char *user, struct sip_phone *out);
/* The era to pass to put for facts about to be read. */
unsigned long sip_facts_era(struct sip_facts *f);
/* Remembers ph under each of the n users (one phone's name and userid),
 * unless the memory was reset since era began or is off.  When full, a
 * new user takes the place of one that hashes alike, if any. */
void sip_facts_put(struct sip_facts *f, unsigned long era, const char *const users[], int n,
		   const struct sip_phone *ph);
/* Forgets user's facts (they proved stale). */
void sip_facts_drop(struct sip_facts *f, const char *user);
/* Forgets everything and starts a new era; on: whether to remember
 * anything from now on. */
void sip_facts_reset(struct sip_facts *f, bool on);
/* Users remembered now. */
size_t sip_facts_count(struct sip_facts *f);

#endif
