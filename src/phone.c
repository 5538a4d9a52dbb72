/*
 * phone.c: phone field table and phone rules.  The admin guide's rules
 * that involve a phone are numbered as in the phones issue: 1 (profile fits
 * the model and protocol), 4 (CAPF settings follow the profile) and 5
 * (secure profiles need a certificate); 2 and 3 live in the database
 * (references by key).
 */
#include "phone.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "axl_fault.h"

static const char *const protocols[] = { "SIP", "SCCP", NULL };
static const char *const sides[] = { "User", "Network", NULL };
static const char *const classes[] = { "Phone", NULL };
static const char *const cert_ops[] = { "No Pending Operation", "Install/Upgrade", "Delete",
					"Troubleshoot", NULL };

#define ST PHF_STORED
/* clang-format off */
#define REF(x, col, kind, fl) { x, col, kind, NULL, 100, PHF_REF | ST | (fl), PF__COUNT }
#define TEXT(x, col, maxc, fl) { x, col, NULL, NULL, maxc, ST | (fl), PF__COUNT }
#define ENUM(x, col, vals, fl) { x, col, NULL, vals, 0, ST | (fl), PF__COUNT }
#define CAPF(x, pf) { x, NULL, NULL, NULL, 0, PHF_PROFILE | PHF_ADD | PHF_UPDATE, pf }
/* clang-format on */
#define ADD_UPD (PHF_ADD | PHF_UPDATE)

/* clang-format off */
const struct ph_desc phone_fields[PH__COUNT] = {
	[PH_NAME]             = TEXT("name", "name", 50, PHF_ADD | PHF_REQUIRED),
	[PH_DESCRIPTION]      = TEXT("description", "description", 128, ADD_UPD),
	[PH_PRODUCT]          = TEXT("product", "model", 95, PHF_ADD | PHF_REQUIRED),
	/* The model of a phone is its product; printed, never read. */
	[PH_MODEL]            = TEXT("model", "model", 95, 0),
	[PH_CLASS]            = ENUM("class", "class", classes, PHF_ADD),
	[PH_PROTOCOL]         = ENUM("protocol", "protocol", protocols, PHF_ADD | PHF_REQUIRED),
	[PH_PROTOCOL_SIDE]    = ENUM("protocolSide", "protocol_side", sides, PHF_ADD),
	[PH_CSS]              = REF("callingSearchSpaceName", "calling_search_space_name",
				    "callingSearchSpace", ADD_UPD),
	[PH_DEVICE_POOL]      = REF("devicePoolName", "device_pool_name", "devicePool", ADD_UPD),
	[PH_COMMON_CONFIG]    = REF("commonPhoneConfigName", "common_phone_config_name",
				    "commonPhoneConfig", ADD_UPD),
	[PH_LOCATION]         = REF("locationName", "location_name", "location", ADD_UPD),
	/* Resolved to the profile's key; printed with the profile's name. */
	[PH_SECURITY_PROFILE] = { "securityProfileName", NULL, "securityProfile", NULL, 100,
				  PHF_REF | ADD_UPD, PF__COUNT },
	[PH_SIP_PROFILE]      = REF("sipProfileName", "sip_profile_name", "sipProfile", ADD_UPD),
	[PH_TEMPLATE]         = REF("phoneTemplateName", "phone_template_name", "phoneTemplate",
				    ADD_UPD),
	[PH_CERT_OP]          = ENUM("certificateOperation", "certificate_operation", cert_ops,
				     ADD_UPD),
	[PH_AUTH_MODE]        = CAPF("authenticationMode", PF_AUTH_MODE),
	[PH_KEY_SIZE]         = CAPF("keySize", PF_KEY_SIZE),
	[PH_KEY_ORDER]        = CAPF("keyOrder", PF_KEY_ORDER),
	[PH_EC_KEY_SIZE]      = CAPF("ecKeySize", PF_EC_KEY_SIZE),
	[PH_AUTH_STRING]      = TEXT("authenticationString", "authentication_string", 128, ADD_UPD),
	[PH_CERT_STATUS]      = TEXT("certificateStatus", "certificate_status", 100, 0),
	[PH_UPGRADE_TIME]     = TEXT("upgradeFinishTime", "upgrade_finish_time", 100, ADD_UPD),
	/* Resolved to the end user's key; printed as the userid. */
	[PH_DIGEST_USER]      = { "digestUser", NULL, NULL, NULL, 128, ADD_UPD, PF__COUNT },
};
/* clang-format on */

void
phone_defaults(struct phone *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->v[PH_CLASS], PH_VALUE_MAX, "Phone");
	snprintf(p->v[PH_PROTOCOL_SIDE], PH_VALUE_MAX, "User");
	snprintf(p->v[PH_DEVICE_POOL], PH_VALUE_MAX, "Default");
	snprintf(p->v[PH_COMMON_CONFIG], PH_VALUE_MAX, "Standard Common Phone Profile");
	snprintf(p->v[PH_LOCATION], PH_VALUE_MAX, "Hub_None");
	snprintf(p->v[PH_CERT_OP], PH_VALUE_MAX, "No Pending Operation");
	snprintf(p->v[PH_CERT_STATUS], PH_VALUE_MAX, "None");
}

bool
phone_set(struct phone *p, enum ph_id id, const char *raw, const char *ref_uuid,
	  struct app_err *err)
{
	const struct ph_desc *f = &phone_fields[id];

	if (raw == NULL && ref_uuid == NULL)
		return true;
	p->given |= 1u << id;
	if (ref_uuid != NULL && *ref_uuid != '\0') {
		if (!uuid_parse(ref_uuid, p->ref_uuid[id]))
			return app_err_invalid(err, f->xml, ref_uuid, "not a uuid");
	}
	if (raw == NULL)
		raw = "";
	if (f->flags & PHF_PROFILE) {
		/* Checked against the profile field's rules. */
		struct profile scratch;

		profile_defaults(&scratch);
		if (!profile_set(&scratch, f->profile_field, raw, err))
			return false; /* the profile's element has the same name */
		snprintf(p->v[id], PH_VALUE_MAX, "%s", scratch.v[f->profile_field]);
		return true;
	}
	if (f->values != NULL && *raw == '\0') {
		/* Empty: missing when required, else the current value stays. */
		if (f->flags & PHF_REQUIRED)
			p->v[id][0] = '\0';
		return true;
	}
	if (f->values != NULL) {
		for (const char *const *e = f->values; *e != NULL; e++)
			if (strcasecmp(*e, raw) == 0) {
				snprintf(p->v[id], PH_VALUE_MAX, "%s", *e);
				return true;
			}
		return app_err_invalid(err, f->xml, raw, NULL);
	}
	if (!app_err_check_text(err, f->xml, raw, f->max, 0))
		return false;
	snprintf(p->v[id], PH_VALUE_MAX, "%s", raw);
	return true;
}

bool
phone_check_name(const char *element, char *name, const struct model_caps *m, struct app_err *err)
{
	size_t n = strlen(name);

	if (n == 0)
		return axl_err_missing(err, element, NULL);
	if (m->sep_name) {
		bool ok = n == 15 && strncasecmp(name, "SEP", 3) == 0;

		for (size_t i = 3; ok && i < n; i++)
			ok = isxdigit((unsigned char) name[i]) != 0;
		if (!ok)
			return app_err_invalid(
				err, element, name,
				"this model's device name is SEP followed by 12 hexadecimal digits");
		for (size_t i = 0; i < n; i++)
			name[i] = (char) toupper((unsigned char) name[i]);
		return true;
	}
	if (n > 50 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-") != n)
		return app_err_invalid(err, element, name,
				       "valid characters are [a-zA-Z0-9._-], at most 50");
	return true;
}

bool
phone_check_add(struct phone *p, int version, const struct model_caps **model, struct app_err *err)
{
	const struct model_caps *m;
	const char *proto = p->v[PH_PROTOCOL];
	const char *short_name;

	for (int i = 0; i < PH__COUNT; i++)
		if ((phone_fields[i].flags & PHF_REQUIRED) && p->v[i][0] == '\0')
			return axl_err_missing(err, phone_fields[i].xml, NULL);
	m = models_find(p->v[PH_PRODUCT]);
	if (m == NULL || m->model_independent || m->since > version)
		return app_err_invalid(err, "product", p->v[PH_PRODUCT],
				       "not a phone model this server knows");
	snprintf(p->v[PH_PRODUCT], PH_VALUE_MAX, "%s", m->name);
	snprintf(p->v[PH_MODEL], PH_VALUE_MAX, "%s", m->name);
	if ((strcmp(proto, "SIP") == 0 && !m->sip) || (strcmp(proto, "SCCP") == 0 && !m->sccp)) {
		char why[128];

		snprintf(why, sizeof(why), "%s does not support %.4s", m->name, proto);
		return app_err_invalid(err, "protocol", proto, why);
	}
	if (!phone_check_name("name", p->v[PH_NAME], m, err))
		return false;
	/* CUCM's factory templates and SIP profile. */
	short_name = strncmp(m->name, "Cisco ", 6) == 0 ? m->name + 6 : m->name;
	if (!(p->given & (1u << PH_TEMPLATE)))
		snprintf(p->v[PH_TEMPLATE], PH_VALUE_MAX, "Standard %.96s %.4s", short_name, proto);
	if (!(p->given & (1u << PH_SIP_PROFILE)) && strcmp(proto, "SIP") == 0)
		snprintf(p->v[PH_SIP_PROFILE], PH_VALUE_MAX, "Standard SIP Profile");
	*model = m;
	return true;
}

void
phone_standard_profile(const char *model, const char *protocol, char *out, size_t size)
{
	snprintf(out, size, "%s - Standard %s Non-Secure Profile", model, protocol);
}

bool
phone_profile_fits(const struct profile *prof, const char *model, const char *protocol,
		   struct app_err *err)
{
	const struct model_caps *pm = models_find(prof->v[PF_PHONE_TYPE]);

	if ((pm != NULL && pm->model_independent) || (strcmp(prof->v[PF_PHONE_TYPE], model) == 0 &&
						      strcmp(prof->v[PF_PROTOCOL], protocol) == 0))
		return true;
	return app_err_set(
		err, APP_E_INVALID_VALUE, "securityProfileName",
		"The specified Security Profile is not valid for this device type (model and protocol).");
}

bool
phone_has_certificate(const struct model_caps *m, const char *certificate_status)
{
	return (m != NULL && m->mic) || strcmp(certificate_status, "Upgrade Success") == 0;
}

bool
phone_check_certificate(const char *phone_name, const struct model_caps *m,
			const char *certificate_status, const struct profile *prof,
			struct app_err *err)
{
	if (!profile_needs_certificate(prof) || phone_has_certificate(m, certificate_status))
		return true;
	return app_err_set(
		err, APP_E_RULE, "securityProfileName",
		"The phone %s has no certificate, so it cannot use the security profile %s "
		"(%s). Apply a non-secure profile, install a certificate through CAPF "
		"(certificateOperation Install/Upgrade), then apply the secure profile.",
		phone_name, prof->v[PF_NAME], profile_security_shown(prof));
}

bool
phone_capf_target(const struct phone *req, const char *certificate_operation,
		  const struct profile *current, struct profile *target, bool *changed,
		  struct app_err *err)
{
	*target = *current;
	*changed = false;
	for (int i = 0; i < PH__COUNT; i++) {
		const struct ph_desc *f = &phone_fields[i];

		if (!(f->flags & PHF_PROFILE) || !(req->given & (1u << i)))
			continue;
		if (strcmp(target->v[f->profile_field], req->v[i]) == 0)
			continue;
		if (strcmp(certificate_operation, "No Pending Operation") == 0)
			return app_err_invalid(
				err, f->xml, req->v[i],
				"CAPF settings change only with certificateOperation "
				"Install/Upgrade, Delete or Troubleshoot");
		snprintf(target->v[f->profile_field], PF_VALUE_MAX, "%s", req->v[i]);
		*changed = true;
	}
	if (!*changed)
		return true;
	/* The new combination must itself be a valid profile (e.g. EC key
	 * order with its key size). */
	target->given = 0;
	target->standard = false;
	target->uuid[0] = '\0';
	return profile_finish(target, current, 150, err);
}

void
phone_mark_pending(struct phone *p)
{
	if ((p->given & (1u << PH_CERT_OP)) &&
	    strcmp(p->v[PH_CERT_OP], "No Pending Operation") != 0)
		snprintf(p->v[PH_CERT_STATUS], PH_VALUE_MAX, "Operation Pending");
}

void
phone_capf_profile_name(const struct profile *target, char *out, size_t size)
{
	uint32_t h = 2166136261u; /* FNV-1a over every setting but name and description */

	for (int i = 0; i < PF__COUNT; i++) {
		if (i == PF_NAME || i == PF_DESCRIPTION)
			continue;
		for (const char *c = target->v[i];; c++) {
			h = (h ^ (unsigned char) *c) * 16777619u;
			if (*c == '\0')
				break;
		}
	}
	snprintf(out, size, "%s - %s CAPF %08x", target->v[PF_PHONE_TYPE], target->v[PF_PROTOCOL],
		 h);
}
