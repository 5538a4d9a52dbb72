/*
 * profile.h: phone security profile business rules: canonical values,
 * defaults, and the seed's cross-field rules (per-protocol fields, per-model
 * capabilities, security mode vs transport).  Pure C: no gSOAP, no libpq;
 * model capabilities come from models.h.
 */
#ifndef AXLPROV_PROFILE_H
#define AXLPROV_PROFILE_H

#include <stdbool.h>

#include "err.h"
#include "profile_fields.h"
#include "uuid.h"

struct profile {
	char uuid[UUID_DB_LEN + 1];      /* "" until stored */
	bool standard;                   /* predefined: never changed or removed */
	char row_version[16];            /* the row's xmin when read: updates check it */
	unsigned given;                  /* bit (1u << pf_id): set by this request */
	char v[PF__COUNT][PF_VALUE_MAX]; /* canonical text of every field */
};

/* Every field to its add-time default (required ones empty). */
void profile_defaults(struct profile *p);

/* Parses one wire value into its canonical form and marks it given.  An
 * empty value means the field's default.  Checks only the value itself. */
bool profile_set(struct profile *p, enum pf_id id, const char *raw, struct app_err *err);

/* Checks a name (or newName) on its own: required, length, characters. */
bool profile_check_name(const char *element, const char *value, struct app_err *err);

/* Completes and checks a profile after the profile_set() calls: derives
 * the transport and EC key size where the request left them out, then
 * applies the cross-field rules.  `before` is the stored profile for an
 * update (NULL for add); `version` is the AXL version of the request. */
bool profile_finish(struct profile *p, const struct profile *before, int version,
		    struct app_err *err);

/* Secure: a security mode other than Non Secure (the text of a mode, or a
 * profile's).  The one place that decides it. */
bool profile_mode_is_secure(const char *mode);
bool profile_is_secure(const struct profile *p);

/* Rule 5: a secure profile, or one that authenticates CAPF by an existing
 * certificate, needs phones that have a certificate. */
bool profile_needs_certificate(const struct profile *p);

/* What makes a profile need a certificate, for messages: its security
 * mode when secure, else its CAPF authentication mode. */
const char *profile_security_shown(const struct profile *p);

/* True when the field is to be printed for this AXL version. */
bool profile_field_in_version(enum pf_id id, int version);

#endif
