/*
 * repo_enduser.h: SQL for end users (the people phones name as their
 * digestUser; not the AXL API users, which are repo_apiuser.h's).  Every
 * write is audited (target kind "user") in the same statement; digest
 * credentials appear in the audit by name only.
 */
#ifndef AXLPROV_REPO_ENDUSER_H
#define AXLPROV_REPO_ENDUSER_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"
#include "uuid.h"

struct db;

struct end_user {
	char uuid[UUID_DB_LEN + 1];
	char userid[520];
	char first_name[260];
	char last_name[260];
};

/* Inserts u and fills u->uuid; ha1 NULL: no digest credentials. */
bool repo_enduser_insert(struct db *db, struct end_user *u, const char *ha1_md5,
			 const char *ha1_sha256, const struct actor *actor, struct app_err *err);

/* Reads the end user the key names (name = userid), locking the row for
 * the transaction when for_update; APP_E_NOT_FOUND when there is none. */
bool repo_enduser_get(struct db *db, const struct item_key *key, bool for_update,
		      struct end_user *out, struct app_err *err);

/* Writes u (by u->uuid); ha1 NULL: keep the digest credentials. */
bool repo_enduser_update(struct db *db, const struct end_user *u, const char *ha1_md5,
			 const char *ha1_sha256, const struct actor *actor, struct app_err *err);

/* Deletes the end user the key names; its pkid into uuid_out (if not
 * NULL); APP_E_REMOVE_NOT_FOUND when there is none. */
bool repo_enduser_remove(struct db *db, const struct item_key *key, const struct actor *actor,
			 char uuid_out[UUID_DB_LEN + 1], struct app_err *err);

#endif
