/*
 * phone.h: the security and CAPF part of an AXL phone: its field table,
 * canonical values and the rules that involve only the phone and its model
 * (device names, product and protocol, enumerations).  The rules that tie a
 * phone to a profile are here too, as pure functions over both.  No gSOAP,
 * no libpq.
 */
#ifndef AXLPROV_PHONE_H
#define AXLPROV_PHONE_H

#include <stdbool.h>

#include "err.h"
#include "models.h"
#include "profile.h"
#include "uuid.h"

/* AXL's RPhone order. */
enum ph_id {
	PH_NAME,
	PH_DESCRIPTION,
	PH_PRODUCT,
	PH_MODEL,
	PH_CLASS,
	PH_PROTOCOL,
	PH_PROTOCOL_SIDE,
	PH_CSS,
	PH_DEVICE_POOL,
	PH_COMMON_CONFIG,
	PH_LOCATION,
	PH_SECURITY_PROFILE,
	PH_SIP_PROFILE,
	PH_TEMPLATE,
	PH_CERT_OP,
	PH_AUTH_MODE,
	PH_KEY_SIZE,
	PH_KEY_ORDER,
	PH_EC_KEY_SIZE,
	PH_AUTH_STRING,
	PH_CERT_STATUS,
	PH_UPGRADE_TIME,
	PH_DIGEST_USER,
	PH__COUNT
};

/* Field kinds and where a field comes from. */
#define PHF_REF 0x01u      /* a reference (XFkType): printed with a uuid attribute */
#define PHF_ADD 0x02u      /* in addPhone's XPhone */
#define PHF_UPDATE 0x04u   /* in updatePhone */
#define PHF_PROFILE 0x08u  /* the value is the security profile's (CAPF) */
#define PHF_STORED 0x10u   /* a column of the phone table, written as text */
#define PHF_REQUIRED 0x20u /* addPhone faults without it */

struct ph_desc {
	const char *xml;           /* AXL element name */
	const char *column;        /* phone table column (PHF_STORED) or NULL */
	const char *ref_kind;      /* PHF_REF: the kind for the reference's uuid */
	const char *const *values; /* enumeration, NULL-terminated, or NULL */
	long max;                  /* longest text, characters (0: enumeration) */
	unsigned flags;
	enum pf_id profile_field; /* PHF_PROFILE: which profile field */
};

extern const struct ph_desc phone_fields[PH__COUNT];

#define PH_VALUE_MAX 516 /* 128 characters of up to 4 bytes, and room */

struct phone {
	char uuid[UUID_DB_LEN + 1];
	char row_version[16]; /* xmin when read: updates check it */
	char ctiid[16];
	unsigned given;                            /* bit per ph_id: sent in this request */
	char v[PH__COUNT][PH_VALUE_MAX];           /* canonical values */
	char ref_uuid[PH__COUNT][UUID_DB_LEN + 1]; /* input uuid attributes / output uuids */
};

/* Empty phone with the add-time defaults that do not depend on the model. */
void phone_defaults(struct phone *p);

/* Parses one wire value (NULL = absent); marks it given.  ref_uuid is a
 * reference's uuid attribute, or NULL. */
bool phone_set(struct phone *p, enum ph_id id, const char *raw, const char *ref_uuid,
	       struct app_err *err);

/* Checks an add: required elements, product (known in this AXL version),
 * protocol, device name; fills the model-dependent defaults (model,
 * template, SIP profile). */
bool phone_check_add(struct phone *p, int version, const struct model_caps **model,
		     struct app_err *err);

/* Checks a device name (or newName) for a model. */
bool phone_check_name(const char *element, char *name, const struct model_caps *m,
		      struct app_err *err);

/* The name of the standard non-secure profile for a model and protocol. */
void phone_standard_profile(const char *model, const char *protocol, char *out, size_t size);

/* Rule 1: whether a profile may be assigned to a phone of this model and
 * protocol ("The specified Security Profile is not valid ..." otherwise). */
bool phone_profile_fits(const struct profile *prof, const char *model, const char *protocol,
			struct app_err *err);

/* Rule 5 (profile_needs_certificate()) for one phone. */
bool phone_has_certificate(const struct model_caps *m, const char *certificate_status);
bool phone_check_certificate(const char *phone_name, const struct model_caps *m,
			     const char *certificate_status, const struct profile *prof,
			     struct app_err *err);

/* Rule 4: applies the CAPF values the request gave to a copy of the
 * phone's profile.  Returns false with err on a bad value or on a change
 * without a certificate operation; *changed tells whether they differ. */
bool phone_capf_target(const struct phone *req, const char *certificate_operation,
		       const struct profile *current, struct profile *target, bool *changed,
		       struct app_err *err);

/* A CAPF operation the request starts is pending until reported done. */
void phone_mark_pending(struct phone *p);

/* The deterministic name of the profile a CAPF change creates:
 * "<phoneType> - <protocol> CAPF <8 hex digits of a hash of the settings>". */
void phone_capf_profile_name(const struct profile *target, char *out, size_t size);

#endif
