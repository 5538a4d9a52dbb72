/*
 * phone_ops.c: the steps of adding or changing a phone that need the
 * database (resolving its references, finding or creating profiles) around
 * the pure rules of phone.c.  Shared by the SOAP adapters (svc_phone.c) and
 * the fleet import; runs inside the caller's transaction.  No gSOAP.
 */
#include "phone_ops.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "repo_enduser.h"
#include "repo_phone.h"
#include "repo_profile.h"

bool
phone_ops_find_or_create(struct db *db, struct profile *target, struct profile *out,
			 const struct actor *actor, struct app_err *err)
{
	struct profile found;
	bool exists;

	if (!repo_profile_find_same(db, target, &found, &exists, err))
		return false;
	if (exists) {
		*out = found;
		return true;
	}
	/* Creating a profile and moving a phone to it are one change: open the
	 * transaction here if the caller did not need one so far.  Another
	 * request may create the same profile at the same time: keep the
	 * transaction alive past a duplicate and take theirs. */
	if ((!db_in_tx(db) && !db_begin(db, err)) || !db_savepoint(db, DB_SAVEPOINT_SET, err))
		return false;
	if (repo_profile_insert(db, target, actor, err)) {
		*out = *target;
		return db_savepoint(db, DB_SAVEPOINT_RELEASE, err);
	}
	if (err->code != APP_E_DUPLICATE || !db_savepoint(db, DB_SAVEPOINT_ROLLBACK, err) ||
	    !repo_profile_find_same(db, target, &found, &exists, err))
		return false;
	if (!exists)
		return axl_err(err, APP_E_DUPLICATE, OBJ_PROFILE, "name");
	*out = found;
	return true;
}

/* The profile a request names (uuid attribute first, then the text). */
bool
phone_ops_named_profile(struct db *db, const struct phone *p, struct profile *prof,
			struct app_err *err)
{
	struct item_key key = { NULL, NULL };
	const char *uuid = p->ref_uuid[PH_SECURITY_PROFILE];

	if (uuid[0] != '\0')
		key.uuid = uuid;
	else
		key.name = p->v[PH_SECURITY_PROFILE];
	if (repo_profile_get(db, &key, prof, err))
		return true;
	if (err->code == APP_E_NOT_FOUND)
		return app_err_invalid(err, "securityProfileName", uuid[0] ? uuid : key.name,
				       "no such security profile");
	return false;
}

/* The standard non-secure profile of a model and protocol, or the
 * model-independent one. */
bool
phone_ops_standard_profile(struct db *db, const struct phone *p, struct profile *prof,
			   struct app_err *err)
{
	char name[PF_VALUE_MAX];

	phone_standard_profile(p->v[PH_MODEL], p->v[PH_PROTOCOL], name, sizeof(name));
	if (repo_profile_get(db, &(struct item_key) { name, NULL }, prof, err))
		return true;
	if (err->code != APP_E_NOT_FOUND)
		return false;
	return repo_profile_get(
		db,
		&(struct item_key) {
			"Universal Device Template - Model-independent Security Profile", NULL },
		prof, err);
}

/* Rule 4: CAPF values that differ from the profile's move the phone to a
 * profile that has them, found or created (deterministic name, so two
 * phones making the same change meet on one profile). */
static bool
capf_move(struct db *db, const struct phone *p, struct profile *prof, const struct actor *actor,
	  struct app_err *err)
{
	struct profile target;
	bool changed;

	if (!phone_capf_target(p, p->v[PH_CERT_OP], prof, &target, &changed, err))
		return false;
	if (!changed)
		return true;
	phone_capf_profile_name(&target, target.v[PF_NAME], PF_VALUE_MAX);
	return phone_ops_find_or_create(db, &target, prof, actor, err);
}

/* The digest user a request names ("" = none); fills user_uuid. */
bool
phone_ops_digest_user(struct db *db, const struct phone *p, char user_uuid[UUID_DB_LEN + 1],
		      struct app_err *err)
{
	struct end_user u;

	user_uuid[0] = '\0';
	if (p->v[PH_DIGEST_USER][0] == '\0')
		return true;
	if (!repo_enduser_get(db, &(struct item_key) { p->v[PH_DIGEST_USER], NULL }, false, &u,
			      err))
		return err->code == APP_E_NOT_FOUND ?
			       app_err_invalid(err, "digestUser", p->v[PH_DIGEST_USER],
					       "no such end user") :
			       false;
	snprintf(user_uuid, UUID_DB_LEN + 1, "%s", u.uuid);
	return true;
}

/* Everything an add or update decides about the phone's profile and
 * certificate, in the transaction. */
bool
phone_ops_settle(struct db *db, struct phone *p, const struct model_caps *m, const char *old_status,
		 struct profile *prof, const char *old_profile_uuid, const struct actor *actor,
		 struct app_err *err)
{
	if (!phone_profile_fits(prof, p->v[PH_MODEL], p->v[PH_PROTOCOL], err) ||
	    !capf_move(db, p, prof, actor, err))
		return false;
	/* Rule 5 when the phone gets a (different) profile. */
	if (old_profile_uuid == NULL || strcmp(old_profile_uuid, prof->uuid) != 0)
		if (!phone_check_certificate(p->v[PH_NAME], m, old_status, prof, err))
			return false;
	phone_mark_pending(p);
	return true;
}

bool
phone_ops_unused(struct db *db, enum phone_dependency dep, enum obj_kind kind, const char *uuid,
		 const char *name, struct app_err *err)
{
	long users = 0;
	char names[512];

	if (!repo_phone_dependents(db, dep, uuid, &users, names, err))
		return false;
	return users == 0 || axl_err_in_use(err, kind, name, users, names);
}
