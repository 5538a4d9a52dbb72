/*
 * profile_ops.h: the phone security profile rules that need the database
 * or the stored row, shared by the SOAP adapters: rule 5 when a profile in
 * use becomes secure, the refusal of predefined profiles and of removing a
 * profile that phones still use.  Each reports through struct app_err.
 */
#ifndef AXLPROV_PROFILE_OPS_H
#define AXLPROV_PROFILE_OPS_H

#include <stdbool.h>

#include "err.h"
#include "profile.h"

struct db;

/* Predefined profiles are never changed or removed (verb: "update",
 * "remove"). */
bool profile_ops_changeable(const struct profile *stored, const char *verb, struct app_err *err);

/* Rule 5: a profile in use becomes one that needs certificates only if
 * every phone using it has one. */
bool profile_ops_certificates_ok(struct db *db, const struct profile *p,
				 const struct profile *before, struct app_err *err);

/* A profile may go when it is not predefined and no phone uses it (the
 * fault names the first phones, as CUCM's dependency records would). */
bool profile_ops_removable(struct db *db, const struct profile *stored, struct app_err *err);

#endif
