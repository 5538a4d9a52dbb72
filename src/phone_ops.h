/*
 * phone_ops.h: database steps of phone changes, shared by the SOAP
 * adapters and the fleet import.  Every function runs in the caller's
 * transaction and reports through struct app_err.
 */
#ifndef AXLPROV_PHONE_OPS_H
#define AXLPROV_PHONE_OPS_H

#include <stdbool.h>

#include "audit.h"
#include "axl_fault.h"
#include "err.h"
#include "phone.h"
#include "profile.h"
#include "repo_phone.h"

struct db;

/* The profile a phone's securityProfileName names (uuid attribute first). */
bool phone_ops_named_profile(struct db *db, const struct phone *p, struct profile *prof,
			     struct app_err *err);

/* The standard non-secure profile of the phone's model and protocol, or
 * the model-independent one. */
bool phone_ops_standard_profile(struct db *db, const struct phone *p, struct profile *prof,
				struct app_err *err);

/* The end user the phone's digestUser names ("" = none) into user_uuid. */
bool phone_ops_digest_user(struct db *db, const struct phone *p, char user_uuid[UUID_DB_LEN + 1],
			   struct app_err *err);

/* Rules 1, 4 and 5 for a phone getting or keeping prof; may move it to a
 * CAPF profile (prof is updated).  old_profile_uuid is NULL on add. */
bool phone_ops_settle(struct db *db, struct phone *p, const struct model_caps *m,
		      const char *old_status, struct profile *prof, const char *old_profile_uuid,
		      const struct actor *actor, struct app_err *err);

/* A profile with target's settings (all but name and description): the
 * first existing one, or target inserted under its name. */
bool phone_ops_find_or_create(struct db *db, struct profile *target, struct profile *out,
			      const struct actor *actor, struct app_err *err);

/* No phone depends on the profile or end user (uuid, shown as name):
 * otherwise the in-use refusal naming the first phones. */
bool phone_ops_unused(struct db *db, enum phone_dependency dep, enum obj_kind kind,
		      const char *uuid, const char *name, struct app_err *err);

#endif
