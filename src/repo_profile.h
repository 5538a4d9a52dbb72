/*
 * repo_profile.h: SQL for phone security profiles and the phone model table.
 * Statements are built once from profile_fields[] (repo_init) and
 * run through db.c.  Values cross this boundary as canonical text.
 */
#ifndef AXLPROV_REPO_PROFILE_H
#define AXLPROV_REPO_PROFILE_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"
#include "profile.h"

struct db;

/* Loads phone_model into models.c. */
bool repo_models_load(struct db *db, struct app_err *err);

/* Inserts p and fills p->uuid; audited as actor's (every field). */
bool repo_profile_insert(struct db *db, struct profile *p, const struct actor *actor,
			 struct app_err *err);

/* Reads one profile (with its row version); APP_E_NOT_FOUND when there is
 * none. */
bool repo_profile_get(struct db *db, const struct item_key *key, struct profile *out,
		      struct app_err *err);

/* Writes every updatable field of p (by p->uuid) if the row is still the
 * version p was read at; APP_E_CONFLICT otherwise.  The audit records the
 * fields that differ from before. */
bool repo_profile_update(struct db *db, const struct profile *p, const struct profile *before,
			 const struct actor *actor, struct app_err *err);

/* Sets only the description of a user-defined profile, in one statement.
 * *found is false when no such user-defined profile exists (the caller
 * finds out which fault applies). */
bool repo_profile_set_description(struct db *db, const struct item_key *key,
				  const char *description, const struct actor *actor,
				  char uuid_out[UUID_DB_LEN + 1], bool *found, struct app_err *err);

/* Deletes a profile that is not predefined and not in use; fills uuid_out. */
bool repo_profile_remove(struct db *db, const struct item_key *key, const struct actor *actor,
			 char uuid_out[UUID_DB_LEN + 1], struct app_err *err);

/* The first profile (by name) whose settings other than name and
 * description equal target's; *found tells whether there is one. */
bool repo_profile_find_same(struct db *db, const struct profile *target, struct profile *out,
			    bool *found, struct app_err *err);

struct profile_search {
	const char *name;        /* LIKE pattern or NULL */
	const char *description; /* LIKE pattern or NULL */
	long skip;               /* rows to skip (with first) */
	long first;              /* at most this many rows; <0 = all */
};

/* Called per row, in name order; values point into the result and are
 * valid only during the call.  Returning false stops the listing. */
typedef bool (*profile_row_fn)(void *ctx, const char *uuid, const char *const values[PF__COUNT]);

/* Lists matching profiles.  mask (bit i = enum pf_id i) names the fields
 * the caller uses; the others come as "".  *matched receives the number of
 * rows the query produced (for "Query request too large" faults). */
bool repo_profile_list(struct db *db, const struct profile_search *search, unsigned mask,
		       profile_row_fn fn, void *ctx, long *matched, struct app_err *err);

#endif
