/*
 * repo_phone.h: SQL for phones (end users: repo_enduser.h).  A phone row references its
 * security profile and digest user by key; reads join them, so a renamed
 * profile or a changed CAPF setting shows on every phone at once.
 */
#ifndef AXLPROV_REPO_PHONE_H
#define AXLPROV_REPO_PHONE_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"
#include "phone.h"

struct db;

/* Inserts p referring to the profile and (optional) end user keys; fills
 * p->uuid. */
bool repo_phone_insert(struct db *db, struct phone *p, const char *profile_uuid,
		       const char *user_uuid, const struct actor *actor, struct app_err *err);

/* Reads a phone with its profile's name and CAPF values, its digest
 * user's userid, the uuids of its references and its row version;
 * *profile_uuid (if not NULL) receives the profile's key.
 * APP_E_NOT_FOUND when there is none. */
bool repo_phone_get(struct db *db, const struct item_key *key, struct phone *out,
		    char profile_uuid[UUID_DB_LEN + 1], struct app_err *err);

/* Writes every stored field of p and its references (by p->uuid) if the
 * row is still the version p was read at; APP_E_CONFLICT otherwise.  The
 * audit records the fields in changed_fields (bit i = enum ph_id i). */
bool repo_phone_update(struct db *db, const struct phone *p, const char *profile_uuid,
		       const char *user_uuid, unsigned changed_fields, const struct actor *actor,
		       struct app_err *err);

bool repo_phone_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		       char uuid_out[UUID_DB_LEN + 1], struct app_err *err);

struct phone_search {
	const char *name, *description, *protocol, *css, *device_pool, *profile;
	long skip, first;
};

typedef bool (*phone_row_fn)(void *ctx, const struct phone *p);

bool repo_phone_list(struct db *db, const struct phone_search *search, phone_row_fn fn, void *ctx,
		     long *matched, struct app_err *err);

/* Who depends on a profile or an end user: how many phones, and the first
 * five names ("A, B, C"). */
enum phone_dependency { DEP_PROFILE, DEP_USER };
bool repo_phone_dependents(struct db *db, enum phone_dependency dep, const char *uuid, long *count,
			   char names[512], struct app_err *err);

/* The phones of a profile that have no certificate (rule 5). */
bool repo_phone_without_certificate(struct db *db, const char *profile_uuid, long *count,
				    char names[512], struct app_err *err);

/* Records a CAPF completion for a phone with an operation pending; status
 * NULL means the success status of that operation.  Fills status_out. */
bool repo_phone_capf_complete(struct db *db, const char *name, const char *status,
			      const struct actor *actor, char status_out[64], struct app_err *err);

#endif
