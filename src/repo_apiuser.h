/*
 * repo_apiuser.h: SQL for AXL API users (the accounts that may call AXL).
 * Every write is audited (as target kind "apiUser") in the same statement;
 * the password appears in the audit by name only.
 */
#ifndef AXLPROV_REPO_APIUSER_H
#define AXLPROV_REPO_APIUSER_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"

struct db;

#define APIUSER_HASH_MAX 256
#define APIUSER_ROLE_MAX 16

/* APP_E_NOT_FOUND when there is no such user. */
bool repo_apiuser_get(struct db *db, const char *userid, char hash[APIUSER_HASH_MAX],
		      char role[APIUSER_ROLE_MAX], struct app_err *err);

/* Creates the user or replaces its password hash and role. */
bool repo_apiuser_put(struct db *db, const char *userid, const char *hash, const char *role,
		      const struct actor *actor, struct app_err *err);

/* Creates a user; APP_E_DUPLICATE when the userid is taken. */
bool repo_apiuser_add(struct db *db, const char *userid, const char *hash, const char *role,
		      const struct actor *actor, struct app_err *err);

/* Replaces the password hash; APP_E_NOT_FOUND when there is no such user. */
bool repo_apiuser_set_password(struct db *db, const char *userid, const char *hash,
			       const struct actor *actor, struct app_err *err);

/* Removes a user; APP_E_NOT_FOUND when there is no such user. */
bool repo_apiuser_remove(struct db *db, const char *userid, const struct actor *actor,
			 struct app_err *err);

/* Every user in userid order, without hashes; times as ISO 8601 UTC. */
typedef bool (*apiuser_row_fn)(void *ctx, const char *userid, const char *role, const char *created,
			       const char *changed);
bool repo_apiuser_list(struct db *db, apiuser_row_fn fn, void *ctx, struct app_err *err);

#endif
