/*
 * profile.c: phone security profile rules.  Value checks are driven by
 * profile_fields[]; the rules that tie fields together are written out
 * below, one function each, in the order the admin guide states them.
 */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "axl_fault.h"
#include "models.h"

#define BIT(id) (1u << (id))

/* "Is this profile secure" is decided here and nowhere else. */
bool
profile_mode_is_secure(const char *mode)
{
	return strcmp(mode, "Non Secure") != 0;
}

bool
profile_is_secure(const struct profile *p)
{
	return profile_mode_is_secure(p->v[PF_SECURITY_MODE]);
}

bool
profile_needs_certificate(const struct profile *p)
{
	return profile_is_secure(p) ||
	       strncmp(p->v[PF_AUTH_MODE], "By Existing Certificate", 23) == 0;
}

const char *
profile_security_shown(const struct profile *p)
{
	return profile_is_secure(p) ? p->v[PF_SECURITY_MODE] : p->v[PF_AUTH_MODE];
}

static bool
is_ec_order(const char *order)
{
	return strncmp(order, "EC", 2) == 0;
}

void
profile_defaults(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < PF__COUNT; i++) {
		const char *d = profile_fields[i].dflt;

		snprintf(p->v[i], sizeof(p->v[i]), "%s", d ? d : "");
	}
}

/* The admin guide forbids these in descriptions; names get the same rule
 * (they end up in LIKE searches and in XML). */
static const char forbidden[] = "\"%&\\<>";

static bool
check_text(const char *element, const char *value, long maxc, struct app_err *err)
{
	if (!app_err_check_text(err, element, value, maxc, 0))
		return false;
	if (strpbrk(value, forbidden) != NULL)
		return app_err_invalid(err, element, value, "must not contain \" % & \\ < or >");
	return true;
}

bool
profile_check_name(const char *element, const char *value, struct app_err *err)
{
	if (value == NULL || *value == '\0')
		return axl_err_missing(err, element, NULL);
	return check_text(element, value, profile_fields[PF_NAME].max, err);
}

/* Trims ASCII white space into buf; false when it does not fit. */
static bool
trimmed(const char *raw, char *buf, size_t size)
{
	size_t n;

	while (isspace((unsigned char) *raw))
		raw++;
	n = strlen(raw);
	while (n > 0 && isspace((unsigned char) raw[n - 1]))
		n--;
	if (n >= size)
		return false;
	memcpy(buf, raw, n);
	buf[n] = '\0';
	return true;
}

static bool
parse_enum(const struct pf_desc *f, const char *val, char *out, struct app_err *err)
{
	for (const char *const *e = f->values; *e != NULL; e++)
		if (strcasecmp(*e, val) == 0) {
			snprintf(out, PF_VALUE_MAX, "%s", *e);
			return true;
		}
	return app_err_invalid(err, f->xml, val, NULL);
}

static bool
parse_int(const struct pf_desc *f, const char *val, char *out, struct app_err *err)
{
	char *end;
	long n;
	char why[96];

	errno = 0;
	n = strtol(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0')
		return app_err_invalid(err, f->xml, val, "not an integer");
	if (n < f->min || n > f->max) {
		snprintf(why, sizeof(why), "must be from %ld to %ld", f->min, f->max);
		return app_err_invalid(err, f->xml, val, why);
	}
	snprintf(out, PF_VALUE_MAX, "%ld", n);
	return true;
}

static bool
parse_bool(const struct pf_desc *f, const char *val, char *out, struct app_err *err)
{
	if (strcasecmp(val, "true") == 0 || strcasecmp(val, "t") == 0 || strcmp(val, "1") == 0)
		snprintf(out, PF_VALUE_MAX, "true");
	else if (strcasecmp(val, "false") == 0 || strcasecmp(val, "f") == 0 ||
		 strcmp(val, "0") == 0)
		snprintf(out, PF_VALUE_MAX, "false");
	else
		return app_err_invalid(err, f->xml, val, "expected true or false");
	return true;
}

bool
profile_set(struct profile *p, enum pf_id id, const char *raw, struct app_err *err)
{
	const struct pf_desc *f = &profile_fields[id];
	char val[PF_VALUE_MAX];
	char *out = p->v[id];

	if (raw == NULL)
		return true;
	/* Text keeps its spaces; everything else is trimmed first. */
	if (f->kind == PF_KIND_TEXT) {
		if (strlen(raw) >= sizeof(val))
			return app_err_invalid(err, f->xml, raw, "too long");
		snprintf(val, sizeof(val), "%s", raw);
	} else if (!trimmed(raw, val, sizeof(val)))
		return app_err_invalid(err, f->xml, raw, "too long");

	p->given |= BIT(id);
	if (val[0] == '\0' && (f->flags & PFF_REQUIRED))
		return axl_err_missing(err, f->xml, NULL);
	if (val[0] == '\0') {
		snprintf(out, PF_VALUE_MAX, "%s", f->dflt ? f->dflt : "");
		return true;
	}
	switch (f->kind) {
	case PF_KIND_ENUM:
		return parse_enum(f, val, out, err);
	case PF_KIND_INT:
		return parse_int(f, val, out, err);
	case PF_KIND_BOOL:
		return parse_bool(f, val, out, err);
	case PF_KIND_TEXT:
		break;
	}
	if (id == PF_PHONE_TYPE) {
		const struct model_caps *m = models_find(val);

		if (m == NULL)
			return app_err_invalid(err, f->xml, val,
					       "not a phone model with security profiles");
		snprintf(out, PF_VALUE_MAX, "%s", m->name);
		return true;
	}
	if (id == PF_NAME)
		return profile_check_name(f->xml, val, err) &&
		       snprintf(out, PF_VALUE_MAX, "%s", val) >= 0;
	if (!check_text(f->xml, val, f->max, err))
		return false;
	snprintf(out, PF_VALUE_MAX, "%s", val);
	return true;
}

/* Fills in what the request left to us: the transport follows the security
 * mode (TLS for secure modes; back to the default when leaving them), and
 * an EC key order needs an EC key size (384, the GUI's default). */
static void
derive(struct profile *p, const struct profile *before)
{
	bool secure = profile_is_secure(p);

	if (!(p->given & BIT(PF_TRANSPORT))) {
		if (secure)
			snprintf(p->v[PF_TRANSPORT], PF_VALUE_MAX, "TLS");
		else if (before == NULL || strcmp(p->v[PF_TRANSPORT], "TLS") == 0)
			snprintf(p->v[PF_TRANSPORT], PF_VALUE_MAX, "%s",
				 profile_fields[PF_TRANSPORT].dflt);
	}
	if (is_ec_order(p->v[PF_KEY_ORDER]) && p->v[PF_EC_KEY_SIZE][0] == '\0')
		snprintf(p->v[PF_EC_KEY_SIZE], PF_VALUE_MAX, "384");
}

/* The value a field must keep when the model or protocol has no use for it.
 * SCCP profiles carry the transport that follows their mode. */
static const char *
fixed_value(const struct profile *p, enum pf_id id)
{
	if (id == PF_TRANSPORT && profile_is_secure(p))
		return "TLS";
	return profile_fields[id].dflt;
}

static bool
check_unsupported(const struct profile *p, unsigned flag, const char *why, struct app_err *err)
{
	for (int i = 0; i < PF__COUNT; i++) {
		if (!(profile_fields[i].flags & flag))
			continue;
		if (strcmp(p->v[i], fixed_value(p, (enum pf_id) i)) != 0)
			return app_err_invalid(err, profile_fields[i].xml, p->v[i], why);
	}
	return true;
}

static bool
check_model(const struct profile *p, const struct model_caps *m, int version, struct app_err *err)
{
	const char *proto = p->v[PF_PROTOCOL];
	char why[160];

	if (m == NULL || m->since > version)
		return app_err_invalid(err, "phoneType", p->v[PF_PHONE_TYPE],
				       "not a phone model with security profiles");
	if ((strcmp(proto, "SIP") == 0 && !m->sip) || (strcmp(proto, "SCCP") == 0 && !m->sccp)) {
		snprintf(why, sizeof(why), "%s does not support %.8s", m->name, proto);
		return app_err_invalid(err, "protocol", proto, why);
	}
	if (profile_is_secure(p) && !m->secure) {
		snprintf(why, sizeof(why), "%s does not support secure modes", m->name);
		return app_err_invalid(err, "deviceSecurityMode", p->v[PF_SECURITY_MODE], why);
	}
	if (!m->cisco) {
		snprintf(why, sizeof(why), "not supported by %s", m->name);
		return check_unsupported(p, PFF_CISCO_ONLY, why, err);
	}
	return true;
}

static bool
check_transport(const struct profile *p, struct app_err *err)
{
	const char *t = p->v[PF_TRANSPORT];
	bool tls = strcmp(t, "TLS") == 0;

	if (profile_is_secure(p) && !tls)
		return app_err_invalid(err, "transportType", t,
				       "Authenticated and Encrypted profiles use TLS");
	if (!profile_is_secure(p) && tls)
		return app_err_invalid(err, "transportType", t,
				       "Non Secure profiles use TCP, UDP or TCP+UDP");
	return true;
}

bool
profile_finish(struct profile *p, const struct profile *before, int version, struct app_err *err)
{
	for (int i = 0; i < PF__COUNT; i++)
		if ((profile_fields[i].flags & PFF_REQUIRED) && p->v[i][0] == '\0')
			return axl_err_missing(err, profile_fields[i].xml, NULL);
	derive(p, before);
	if (!check_model(p, models_find(p->v[PF_PHONE_TYPE]), version, err))
		return false;
	if (strcmp(p->v[PF_PROTOCOL], "SCCP") == 0 &&
	    !check_unsupported(p, PFF_SIP_ONLY, "SCCP profiles have no SIP settings", err))
		return false;
	return check_transport(p, err);
}

bool
profile_field_in_version(enum pf_id id, int version)
{
	return profile_fields[id].since <= version;
}
