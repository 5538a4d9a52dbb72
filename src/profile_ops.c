/*
 * profile_ops.c: profile rules that need the database or the stored row
 * (see profile_ops.h), around the pure rules of profile.c.  No gSOAP.
 */
#include "profile_ops.h"

#include "axl_fault.h"
#include "phone_ops.h"
#include "repo_phone.h"

bool
profile_ops_changeable(const struct profile *stored, const char *verb, struct app_err *err)
{
	return !stored->standard || axl_err_predefined(err, OBJ_PROFILE, verb, stored->v[PF_NAME]);
}

bool
profile_ops_certificates_ok(struct db *db, const struct profile *p, const struct profile *before,
			    struct app_err *err)
{
	long missing = 0;
	char names[512];

	if (!profile_needs_certificate(p) || profile_needs_certificate(before))
		return true;
	if (!repo_phone_without_certificate(db, p->uuid, &missing, names, err))
		return false;
	if (missing == 0)
		return true;
	return app_err_set(err, APP_E_RULE, NULL,
			   "The phone %s has no certificate (%ld phone(s) using this profile have "
			   "none: %s), so the profile cannot become %s. Apply a non-secure profile "
			   "to those phones, install a certificate through CAPF, then apply the "
			   "secure profile.",
			   names, missing, names, profile_security_shown(p));
}

bool
profile_ops_removable(struct db *db, const struct profile *stored, struct app_err *err)
{
	return profile_ops_changeable(stored, "remove", err) &&
	       phone_ops_unused(db, DEP_PROFILE, OBJ_PROFILE, stored->uuid, stored->v[PF_NAME],
				err);
}
