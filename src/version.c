/*
 * version.c: AXL version parsing and the list of versions served.  CUCM 14
 * accepts 11.0-14.0 and CUCM 15 accepts 12.0-15.0; we serve their union.
 */
#include "version.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

static const struct {
	int code;
	const char *ns;
} versions[] = {
	{ 110, AXL_NS_PREFIX "11.0" }, { 115, AXL_NS_PREFIX "11.5" }, { 120, AXL_NS_PREFIX "12.0" },
	{ 125, AXL_NS_PREFIX "12.5" }, { 140, AXL_NS_PREFIX "14.0" }, { 150, AXL_NS_PREFIX "15.0" },
};
#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

/* Parse "D[D].D" at s, stopping at the first char that is not part of it. */
static int
parse_prefix(const char *s, const char **end)
{
	int major = 0, digits = 0;

	while (isdigit((unsigned char) *s) && digits < 3) {
		major = major * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || *s != '.' || !isdigit((unsigned char) s[1]))
		return -1;
	s++;
	int minor = *s++ - '0';
	if (end != NULL)
		*end = s;
	return major * 10 + minor;
}

int
axl_version_parse(const char *text)
{
	const char *end;
	int v;

	if (text == NULL)
		return -1;
	v = parse_prefix(text, &end);
	return (v >= 0 && *end == '\0') ? v : -1;
}

int
axl_version_from_action(const char *action)
{
	const char *p;
	const char *end;
	int v;

	if (action == NULL)
		return 0;
	p = strstr(action, "ver=");
	if (p == NULL)
		return 0;
	v = parse_prefix(p + 4, &end);
	if (v < 0 || (*end != '\0' && *end != ' ' && *end != '"'))
		return 0;
	return v;
}

int
axl_version_from_ns(const char *uri)
{
	size_t n = strlen(AXL_NS_PREFIX);

	if (uri == NULL || strncmp(uri, AXL_NS_PREFIX, n) != 0)
		return -1;
	return axl_version_parse(uri + n);
}

/* The one operation namespace 1.0 reaches: the version probe that Cisco's
 * Ansible examples send before they know the version. */
#define PROBE_OP "getCCMVersion"

int
axl_version_resolve(const char *action, const char *ns_uri, const char *op)
{
	int v = axl_version_from_action(action);

	if (v == 0)
		v = axl_version_from_ns(ns_uri);
	if (v == 10 && op != NULL && strcmp(op, PROBE_OP) == 0)
		v = versions[0].code;
	return v;
}

/* Operations that Cisco's schemas have only from some version on. */
static const struct {
	const char *op;
	int since;
} op_since[] = {
	{ "listRegistrationDynamic", 115 },
};

bool
axl_version_has_op(int v, const char *op)
{
	for (size_t i = 0; op != NULL && i < sizeof(op_since) / sizeof(op_since[0]); i++)
		if (strcmp(op_since[i].op, op) == 0)
			return v >= op_since[i].since;
	return true;
}

bool
axl_ccm_version_valid(const char *text)
{
	const char *end;
	int parts = 2; /* major.minor read */

	/* CUCM's form: major.minor.maintenance.build-patch, all numbers. */
	if (text == NULL || !axl_version_supported(parse_prefix(text, &end)))
		return false;
	for (; *end == '.' && isdigit((unsigned char) end[1]); parts++)
		for (end++; isdigit((unsigned char) *end); end++)
			;
	if (parts != 4 || *end != '-' || !isdigit((unsigned char) end[1]))
		return false;
	for (end++; isdigit((unsigned char) *end); end++)
		;
	return *end == '\0';
}

bool
axl_version_supported(int v)
{
	return axl_version_ns(v) != NULL;
}

const char *
axl_version_ns(int v)
{
	for (size_t i = 0; i < NVERSIONS; i++)
		if (versions[i].code == v)
			return versions[i].ns;
	return NULL;
}

const char *
axl_version_list(void)
{
	return "11.0, 11.5, 12.0, 12.5, 14.0 and 15.0";
}
