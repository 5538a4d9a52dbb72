/*
 * repo_user.h: SQL for AXL API users (the accounts that may call AXL).
 */
#ifndef AXLPROV_REPO_USER_H
#define AXLPROV_REPO_USER_H

#include <stdbool.h>

#include "err.h"

struct db;

#define USER_HASH_MAX 256
#define USER_ROLE_MAX 16

/* APP_E_NOT_FOUND when there is no such user. */
bool repo_user_get(struct db *db, const char *userid, char hash[USER_HASH_MAX],
		   char role[USER_ROLE_MAX], struct app_err *err);

/* Creates the user or replaces its password hash and role. */
bool repo_user_put(struct db *db, const char *userid, const char *hash,
		   const char *role, struct app_err *err);

#endif
