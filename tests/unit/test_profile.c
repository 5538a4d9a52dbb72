/*
 * test_profile.c: the phone security profile field table (profile_fields.c)
 * and its rules (profile.c): table sanity and agreement with the AXL schema
 * (contract 5.1, 5.5), value parsing per kind (enum, bool, int, text), the
 * required fields, and the admin guide's cross-field rules in
 * profile_finish() (security mode vs transport, SIP-only fields on SCCP,
 * model capabilities, model version, EC key size), for add and update.
 * Loops run over profile_fields[] so a new field is tested without edits.
 */
#include "testutil.h"

#include <ctype.h>

#include "version.h"

#define V140 140

/* --- helpers ----------------------------------------------------------- */

static bool
has_flag(int id, unsigned flag)
{
	return (profile_fields[id].flags & flag) != 0;
}

/* A valid value of field `id` that differs from its default (and is not
 * empty), written to out.  Enums take the first such value, ints the range
 * end that differs, booleans "true". */
static void
other_value(int id, char *out, size_t size)
{
	const struct pf_desc *f = &profile_fields[id];

	switch (f->kind) {
	case PF_KIND_ENUM:
		for (const char *const *v = f->values; *v != NULL; v++)
			if (**v != '\0' && strcmp(*v, f->dflt ? f->dflt : "") != 0) {
				snprintf(out, size, "%s", *v);
				return;
			}
		fail_msg("%s has no non-default value", f->xml);
		break;
	case PF_KIND_INT:
		snprintf(out, size, "%ld", strtol(f->dflt, NULL, 10) == f->min ? f->max : f->min);
		return;
	case PF_KIND_BOOL:
		snprintf(out, size, "true");
		return;
	case PF_KIND_TEXT:
		snprintf(out, size, "x");
		return;
	}
}

/* Sets one field, which must succeed. */
static void
set_ok(struct profile *p, int id, const char *value)
{
	struct app_err err = { 0 };

	if (!profile_set(p, (enum pf_id) id, value, &err))
		fail_msg("profile_set(%s, \"%s\") failed: %s", profile_fields[id].xml, value,
			 err.msg);
}

/* profile_set() refuses the value as APP_E_INVALID_VALUE for this field,
 * with the "Invalid value for <element>: <value>" text. */
static void
check_invalid(int id, const char *value)
{
	struct profile p;
	struct app_err err = { 0 };
	char prefix[128];

	profile_defaults(&p);
	if (profile_set(&p, (enum pf_id) id, value, &err))
		fail_msg("profile_set(%s, \"%s\") accepted an invalid value -> \"%s\"",
			 profile_fields[id].xml, value, p.v[id]);
	if (err.code != APP_E_INVALID_VALUE || strcmp(err.field, profile_fields[id].xml) != 0)
		fail_msg("profile_set(%s, \"%s\"): code %d field \"%s\": %s",
			 profile_fields[id].xml, value, (int) err.code, err.field, err.msg);
	snprintf(prefix, sizeof(prefix), "Invalid value for %s: ", profile_fields[id].xml);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", err.msg, prefix);
}

/* profile_set() accepts the value and stores `want`. */
static void
check_value(int id, const char *value, const char *want)
{
	struct profile p;
	struct app_err err = { 0 };

	profile_defaults(&p);
	if (!profile_set(&p, (enum pf_id) id, value, &err))
		fail_msg("profile_set(%s, \"%s\") failed: %s", profile_fields[id].xml, value,
			 err.msg);
	if (strcmp(p.v[id], want) != 0)
		fail_msg("profile_set(%s, \"%s\") stored \"%s\", want \"%s\"",
			 profile_fields[id].xml, value, p.v[id], want);
	assert_true(p.given & (1u << id));
}

/* s repeated n times into buf. */
static char *
repeat(char *buf, size_t size, const char *s, int n)
{
	size_t len = strlen(s);

	assert_true(len * (size_t) n < size);
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		memcpy(buf + len * (size_t) i, s, len + 1);
	return buf;
}

/* --- the table --------------------------------------------------------- */

static void
test_table_is_well_formed(void **state)
{
	(void) state;
	assert_int_equal(NELEM(profile_fields), PF__COUNT);
	assert_true(PF__COUNT <= 32); /* `given` is a 32-bit mask */
	for (int i = 0; i < PF__COUNT; i++) {
		const struct pf_desc *f = &profile_fields[i];

		assert_non_null(f->xml);
		assert_non_null(f->column);
		assert_true(f->xml[0] != '\0');
		assert_true(f->column[0] != '\0');
		/* columns are pasted into SQL: plain lower-case identifiers only */
		for (const char *c = f->column; *c; c++)
			if (!(islower((unsigned char) *c) || *c == '_'))
				fail_msg("column \"%s\" is not a plain identifier", f->column);
		assert_int_equal(pf_lookup(f->xml), i);
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(f->xml, profile_fields[j].xml);
			assert_string_not_equal(f->column, profile_fields[j].column);
		}
		if (f->kind == PF_KIND_ENUM) {
			if (f->values == NULL || f->values[0] == NULL)
				fail_msg("enum %s has no values", f->xml);
		}
		if (f->kind == PF_KIND_INT)
			assert_true(f->min <= f->max);
		if (f->kind == PF_KIND_TEXT)
			assert_true(f->max > 0 && f->max * 4 < PF_VALUE_MAX);
		if (!has_flag(i, PFF_REQUIRED))
			assert_non_null(f->dflt);
		/* every element exists in some version we serve */
		assert_true(axl_version_supported(f->since));
	}
	assert_int_equal(pf_lookup("noSuchElement"), -1);
	assert_int_equal(pf_lookup(""), -1);
	/* element names are case-sensitive (capital E in EnableOAuthAuthentication) */
	assert_int_equal(pf_lookup("enableOAuthAuthentication"), -1);
}

/* The table agrees with XPhoneSecurityProfile: schema order, defaults. */
static void
test_table_matches_schema(void **state)
{
	static const struct {
		const char *xml, *dflt; /* NULL dflt: required, no default */
	} schema[] = {
		{ "phoneType", NULL },
		{ "protocol", NULL },
		{ "name", NULL },
		{ "description", "" },
		{ "deviceSecurityMode", "Non Secure" },
		{ "authenticationMode", "By Null String" },
		{ "keySize", "2048" },
		{ "keyOrder", "RSA Only" },
		{ "ecKeySize", "" },
		{ "tftpEncryptedConfig", "false" },
		{ "EnableOAuthAuthentication", "false" },
		{ "nonceValidityTime", "600" },
		{ "transportType", "TCP+UDP" },
		{ "sipPhonePort", "5060" },
		{ "enableDigestAuthentication", "false" },
		{ "excludeDigestCredentials", "false" },
	};

	(void) state;
	assert_int_equal(NELEM(schema), PF__COUNT);
	for (int i = 0; i < PF__COUNT; i++) {
		assert_string_equal(profile_fields[i].xml, schema[i].xml);
		if (schema[i].dflt == NULL)
			assert_true(has_flag(i, PFF_REQUIRED));
		else
			assert_string_equal(profile_fields[i].dflt, schema[i].dflt);
	}
	/* only phoneType, protocol and name are required */
	for (int i = 0; i < PF__COUNT; i++)
		assert_int_equal(has_flag(i, PFF_REQUIRED), schema[i].dflt == NULL);
}

/* The enumerations are AXL 14.0's lists (contract 5.5), in that spelling. */
static void
test_enums_match_schema(void **state)
{
	static const struct {
		int id;
		const char *values[6];
	} lists[] = {
		{ PF_PROTOCOL, { "SIP", "SCCP" } },
		{ PF_SECURITY_MODE, { "Non Secure", "Authenticated", "Encrypted" } },
		{ PF_AUTH_MODE,
		  { "By Authentication String", "By Null String",
		    "By Existing Certificate (precedence to LSC)",
		    "By Existing Certificate (precedence to MIC)" } },
		{ PF_KEY_SIZE, { "512", "1024", "2048", "3072", "4096" } },
		{ PF_KEY_ORDER, { "RSA Only", "EC Only", "EC Preferred, RSA Backup" } },
		{ PF_EC_KEY_SIZE, { "", "256", "384", "521" } }, /* "" = no EC key size */
		{ PF_TRANSPORT, { "TCP", "UDP", "TLS", "TCP+UDP" } },
	};
	int nenum = 0;

	(void) state;
	for (int i = 0; i < PF__COUNT; i++)
		nenum += profile_fields[i].kind == PF_KIND_ENUM;
	assert_int_equal(nenum, NELEM(lists));
	for (size_t l = 0; l < NELEM(lists); l++) {
		const struct pf_desc *f = &profile_fields[lists[l].id];
		size_t n = 0;

		assert_int_equal(f->kind, PF_KIND_ENUM);
		for (; f->values[n] != NULL; n++) {
			assert_true(n < NELEM(lists[l].values));
			assert_non_null(lists[l].values[n]);
			assert_string_equal(f->values[n], lists[l].values[n]);
		}
		assert_true(n == NELEM(lists[l].values) || lists[l].values[n] == NULL);
	}
}

/* Which rules apply to which field (admin guide: SIP-only settings, Cisco
 * phones only; update cannot change phoneType or protocol). */
static void
test_rule_flags(void **state)
{
	static const int sip_only[] = { PF_OAUTH,    PF_NONCE_VALIDITY, PF_TRANSPORT,
					PF_SIP_PORT, PF_DIGEST,         PF_EXCLUDE_DIGEST };
	static const int cisco_only[] = { PF_AUTH_MODE,   PF_KEY_SIZE,       PF_KEY_ORDER,
					  PF_EC_KEY_SIZE, PF_TFTP_ENCRYPTED, PF_EXCLUDE_DIGEST };
	static const int fixed[] = { PF_PHONE_TYPE, PF_PROTOCOL };

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		bool s = false, c = false, x = false;

		for (size_t j = 0; j < NELEM(sip_only); j++)
			s |= sip_only[j] == i;
		for (size_t j = 0; j < NELEM(cisco_only); j++)
			c |= cisco_only[j] == i;
		for (size_t j = 0; j < NELEM(fixed); j++)
			x |= fixed[j] == i;
		if (has_flag(i, PFF_SIP_ONLY) != s || has_flag(i, PFF_CISCO_ONLY) != c ||
		    has_flag(i, PFF_FIXED) != x)
			fail_msg("%s has flags 0x%x", profile_fields[i].xml,
				 profile_fields[i].flags);
	}
}

/* Defaults go through the same parser as input and come out unchanged. */
static void
test_defaults_parse_to_themselves(void **state)
{
	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		const struct pf_desc *f = &profile_fields[i];
		struct profile p;

		profile_defaults(&p);
		if (has_flag(i, PFF_REQUIRED)) {
			assert_string_equal(p.v[i], ""); /* required: nothing to default to */
			continue;
		}
		assert_string_equal(p.v[i], f->dflt);
		check_value(i, f->dflt, f->dflt);
		if (f->kind == PF_KIND_ENUM) {
			bool listed = false;

			for (const char *const *v = f->values; *v != NULL; v++)
				listed |= strcmp(*v, f->dflt) == 0;
			if (!listed)
				fail_msg("default \"%s\" of %s is not one of its values", f->dflt,
					 f->xml);
		}
	}
}

/* The default profile of a SIP model passes every rule. */
static void
test_built_profile_is_valid(void **state)
{
	static const struct {
		const char *model, *protocol;
	} pairs[] = {
		{ M_SIP_SECURE, "SIP" }, { M_BOTH_SECURE, "SIP" }, { M_BOTH_SECURE, "SCCP" },
		{ M_SCCP_ONLY, "SCCP" }, { M_THIRD_PARTY, "SIP" }, { M_NOT_SECURE, "SIP" },
		{ M_UNIVERSAL, "SIP" },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(pairs); i++) {
		struct profile p;
		struct app_err err = { 0 };

		profile_build(&p, pairs[i].model, pairs[i].protocol);
		if (!profile_finish(&p, NULL, V140, &err))
			fail_msg("%s/%s: %s", pairs[i].model, pairs[i].protocol, err.msg);
		assert_string_equal(p.v[PF_TRANSPORT], "TCP+UDP");
		assert_string_equal(p.v[PF_EC_KEY_SIZE], "");
	}
}

/* profile_set() with NULL (element absent) changes nothing. */
static void
test_absent_value_is_untouched(void **state)
{
	struct profile p;
	struct app_err err = { 0 };

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		valid_profile(&p);
		p.given = 0;
		snprintf(p.v[i], PF_VALUE_MAX, "sentinel");
		assert_true(profile_set(&p, (enum pf_id) i, NULL, &err));
		assert_string_equal(p.v[i], "sentinel");
		assert_int_equal(p.given, 0);
	}
}

/* --- required fields --------------------------------------------------- */

/* An add that never sets a required field fails in profile_finish(). */
static void
test_required_field_absent(void **state)
{
	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		struct profile p;
		struct app_err err = { 0 };

		if (!has_flag(i, PFF_REQUIRED))
			continue;
		valid_profile(&p);
		p.v[i][0] = '\0';
		assert_fault(profile_finish(&p, NULL, V140, &err), &err, APP_E_MISSING_FIELD,
			     profile_fields[i].xml);
		assert_non_null(strstr(err.msg, profile_fields[i].xml));
	}
}

/* An add that sends a required element empty (<protocol/>) is a missing
 * field (err.h: "absent or empty"), whether profile_set() or
 * profile_finish() notices. */
static void
test_required_field_empty(void **state)
{
	char failures[1024] = "";

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		struct profile p;
		struct app_err err = { 0 };
		size_t used = strlen(failures);

		if (!has_flag(i, PFF_REQUIRED))
			continue;
		valid_profile(&p);
		if (profile_set(&p, (enum pf_id) i, "", &err) &&
		    profile_finish(&p, NULL, V140, &err))
			snprintf(failures + used, sizeof(failures) - used, "\n  %s: accepted",
				 profile_fields[i].xml);
		else if (err.code != APP_E_MISSING_FIELD ||
			 strcmp(err.field, profile_fields[i].xml) != 0)
			snprintf(failures + used, sizeof(failures) - used,
				 "\n  %s: code %d field \"%s\": %s", profile_fields[i].xml,
				 (int) err.code, err.field, err.msg);
	}
	if (failures[0] != '\0')
		fail_msg("empty required elements not reported as missing:%s", failures);
}

/* --- value kinds ------------------------------------------------------- */

/* Every enum value in any case (and padded) becomes the table's spelling. */
static void
test_enum_values_any_case(void **state)
{
	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		const struct pf_desc *f = &profile_fields[i];

		if (f->kind != PF_KIND_ENUM)
			continue;
		for (const char *const *v = f->values; *v != NULL; v++) {
			char lower[PF_VALUE_MAX], upper[PF_VALUE_MAX], padded[PF_VALUE_MAX];
			size_t k;

			if (**v == '\0')
				continue; /* "" is the empty value: the default */
			for (k = 0; (*v)[k] != '\0'; k++) {
				lower[k] = (char) tolower((unsigned char) (*v)[k]);
				upper[k] = (char) toupper((unsigned char) (*v)[k]);
			}
			lower[k] = upper[k] = '\0';
			snprintf(padded, sizeof(padded), "  %s\t", *v);
			check_value(i, *v, *v);
			check_value(i, lower, *v);
			check_value(i, upper, *v);
			check_value(i, padded, *v);
		}
	}
}

static void
test_enum_bogus_values(void **state)
{
	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		const struct pf_desc *f = &profile_fields[i];
		struct profile p;
		struct app_err err = { 0 };

		if (f->kind != PF_KIND_ENUM)
			continue;
		check_invalid(i, "bogus-value");
		profile_defaults(&p);
		assert_false(profile_set(&p, (enum pf_id) i, "bogus-value", &err));
		assert_non_null(strstr(err.msg, "bogus-value"));
		/* near misses of every value are not values */
		for (const char *const *v = f->values; *v != NULL; v++) {
			char near[PF_VALUE_MAX];

			snprintf(near, sizeof(near), "%sx", *v);
			check_invalid(i, near);
			if (strlen(*v) > 1) {
				snprintf(near, sizeof(near), "%.*s", (int) strlen(*v) - 1, *v);
				check_invalid(i, near);
			}
		}
	}
	/* enumerations of other AXL types are not ours */
	check_invalid(PF_PROTOCOL, "MGCP");
	check_invalid(PF_TRANSPORT, "TCP + UDP");
	check_invalid(PF_KEY_SIZE, "8192");
}

static void
test_bool_values(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "t", "true" },      { "T", "true" },      { "true", "true" },
		{ "TRUE", "true" },   { "True", "true" },   { "tRuE", "true" },
		{ "1", "true" },      { " true ", "true" }, { "f", "false" },
		{ "F", "false" },     { "false", "false" }, { "FALSE", "false" },
		{ "False", "false" }, { "0", "false" },     { "\tf\n", "false" },
		{ "", "false" }, /* empty: the default */
	};
	static const char *const bad[] = {
		"yes", "no", "on", "off", "2", "-1", "01", "00", "tru", "truex", "fals", "t f",
	};
	int nbool = 0;

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		if (profile_fields[i].kind != PF_KIND_BOOL)
			continue;
		nbool++;
		for (size_t k = 0; k < NELEM(good); k++)
			check_value(i, good[k].in, good[k].out);
		for (size_t k = 0; k < NELEM(bad); k++)
			check_invalid(i, bad[k]);
	}
	assert_int_equal(nbool, 4);
}

static void
test_int_values(void **state)
{
	static const char *const bad[] = {
		"abc",
		"12abc",
		"1.5",
		"1e3",
		"0x10",
		"--1",
		"1 2",
		"99999999999999999999",
		"-99999999999999999999",
	};
	int nint = 0;

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		const struct pf_desc *f = &profile_fields[i];
		char buf[64], want[64];

		if (f->kind != PF_KIND_INT)
			continue;
		nint++;
		snprintf(buf, sizeof(buf), "%ld", f->min);
		check_value(i, buf, buf);
		snprintf(buf, sizeof(buf), "%ld", f->max);
		check_value(i, buf, buf);
		snprintf(buf, sizeof(buf), " %ld ", f->max); /* trimmed */
		snprintf(want, sizeof(want), "%ld", f->max);
		check_value(i, buf, want);
		snprintf(buf, sizeof(buf), "00%ld", f->max); /* canonical form */
		check_value(i, buf, want);
		check_value(i, "", f->dflt);
		snprintf(buf, sizeof(buf), "%ld", f->min - 1);
		check_invalid(i, buf);
		snprintf(buf, sizeof(buf), "%ld", f->max + 1);
		check_invalid(i, buf);
		for (size_t k = 0; k < NELEM(bad); k++)
			check_invalid(i, bad[k]);
	}
	assert_int_equal(nint, 2);
	/* the documented ranges */
	check_value(PF_NONCE_VALIDITY, "86400", "86400");
	check_invalid(PF_NONCE_VALIDITY, "0");
	check_invalid(PF_NONCE_VALIDITY, "86401");
	check_invalid(PF_NONCE_VALIDITY, "-600");
	check_value(PF_SIP_PORT, "65535", "65535");
	check_invalid(PF_SIP_PORT, "0");
	check_invalid(PF_SIP_PORT, "65536");
}

/* An empty element on a non-required field means its default, even over
 * a value set before (update: <keySize/> resets keySize). */
static void
test_empty_means_default(void **state)
{
	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		struct profile p;
		char other[PF_VALUE_MAX];

		if (has_flag(i, PFF_REQUIRED))
			continue;
		profile_defaults(&p);
		other_value(i, other, sizeof(other));
		set_ok(&p, i, other);
		assert_string_not_equal(p.v[i], profile_fields[i].dflt);
		p.given = 0;
		set_ok(&p, i, "");
		assert_string_equal(p.v[i], profile_fields[i].dflt);
		assert_true(p.given & (1u << i));
	}
}

/* --- text: description and name --------------------------------------- */

static void
test_description_length_in_characters(void **state)
{
	/* 1-, 2-, 3- and 4-byte UTF-8 characters */
	static const char *const chars[] = { "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	char buf[PF_VALUE_MAX];

	(void) state;
	for (size_t k = 0; k < NELEM(chars); k++) {
		check_value(PF_DESCRIPTION, repeat(buf, sizeof(buf), chars[k], 50), buf);
		check_invalid(PF_DESCRIPTION, repeat(buf, sizeof(buf), chars[k], 51));
	}
	/* text keeps its spaces, and they count */
	check_value(PF_DESCRIPTION, "  spaced  ", "  spaced  ");
	check_invalid(PF_DESCRIPTION, " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	check_value(PF_DESCRIPTION, "", "");
}

/* The admin guide forbids " % & \ < > in descriptions; names follow. */
static void
test_text_forbidden_characters(void **state)
{
	static const int ids[] = { PF_DESCRIPTION, PF_NAME };
	static const char forbidden[] = "\"%&\\<>";

	(void) state;
	for (size_t k = 0; k < NELEM(ids); k++) {
		for (const char *c = forbidden; *c; c++) {
			char value[16];

			snprintf(value, sizeof(value), "ab%ccd", *c);
			check_invalid(ids[k], value);
			snprintf(value, sizeof(value), "%c", *c);
			check_invalid(ids[k], value);
		}
		/* other punctuation is fine */
		check_value(ids[k], "a-b_c.d (e) 'f' #1 +/*", "a-b_c.d (e) 'f' #1 +/*");
	}
}

/* Control characters (DTD entities arrive as 0x7F) are refused. */
static void
test_text_control_characters(void **state)
{
	static const int ids[] = { PF_DESCRIPTION, PF_NAME };

	(void) state;
	for (size_t k = 0; k < NELEM(ids); k++)
		for (int c = 1; c < 0x80; c++) {
			char value[8];

			if (c >= 0x20 && c != 0x7F)
				continue;
			snprintf(value, sizeof(value), "a%cb", c);
			check_invalid(ids[k], value);
		}
}

/* Text must be valid UTF-8 (the database refuses anything else). */
static void
test_text_invalid_utf8(void **state)
{
	static const struct {
		const char *bytes, *what;
	} bad[] = {
		{ "\x80", "lone continuation 80" },
		{ "ab\xbf", "lone continuation bf" },
		{ "\xc3", "truncated c3" },
		{ "\xe2\x82", "truncated e2 82" },
		{ "\xf0\x9f\x98", "truncated f0 9f 98" },
		{ "\xc0\xaf", "overlong c0 af" },
		{ "\xc1\xbf", "overlong c1 bf" },
		{ "\xe0\x80\xaf", "overlong e0 80 af" },
		{ "\xf0\x80\x80\xaf", "overlong f0 80 80 af" },
		{ "\xed\xa0\x80", "surrogate U+D800 ed a0 80" },
		{ "\xf4\x90\x80\x80", "above U+10FFFF f4 90 80 80" },
		{ "\xf5\x80\x80\x80", "f5 lead byte" },
		{ "\xfe", "fe" },
		{ "\xff", "ff" },
		{ "\xc2\x80", "C1 control U+0080" },
		{ "\xc2\x9f", "C1 control U+009F" },
	};
	static const int ids[] = { PF_DESCRIPTION, PF_NAME };
	char failures[2048] = "";

	(void) state;
	for (size_t k = 0; k < NELEM(ids); k++)
		for (size_t i = 0; i < NELEM(bad); i++) {
			struct profile p;
			struct app_err err = { 0 };
			size_t used = strlen(failures);

			profile_defaults(&p);
			if (profile_set(&p, (enum pf_id) ids[k], bad[i].bytes, &err))
				snprintf(failures + used, sizeof(failures) - used,
					 "\n  %s: %s accepted", profile_fields[ids[k]].xml,
					 bad[i].what);
			else
				assert_fault(false, &err, APP_E_INVALID_VALUE,
					     profile_fields[ids[k]].xml);
		}
	if (failures[0] != '\0')
		fail_msg("invalid UTF-8 accepted:%s", failures);
	/* the edges that are valid: U+00A0 (after the C1 controls), U+FFFF,
	 * U+10FFFF */
	check_value(PF_DESCRIPTION, "\xc2\xa0", "\xc2\xa0");
	check_value(PF_DESCRIPTION, "\xef\xbf\xbf", "\xef\xbf\xbf");
	check_value(PF_DESCRIPTION, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
}

static void
test_name_rules(void **state)
{
	char buf[PF_VALUE_MAX + 8];
	struct profile p;
	struct app_err err = { 0 };

	(void) state;
	check_value(PF_NAME, repeat(buf, sizeof(buf), "n", 100), buf);
	check_invalid(PF_NAME, repeat(buf, sizeof(buf), "n", 101));
	check_value(PF_NAME, repeat(buf, sizeof(buf), "\xf0\x9f\x98\x80", 100), buf);
	check_invalid(PF_NAME, repeat(buf, sizeof(buf), "\xf0\x9f\x98\x80", 101));
	check_invalid(PF_NAME, repeat(buf, sizeof(buf), "n", PF_VALUE_MAX + 2));

	/* required, directly and through profile_set() */
	profile_defaults(&p);
	assert_fault(profile_set(&p, PF_NAME, "", &err), &err, APP_E_MISSING_FIELD, "name");
	assert_true(profile_check_name("newName", "ok", &err));
	assert_fault(profile_check_name("newName", "", &err), &err, APP_E_MISSING_FIELD, "newName");
	assert_fault(profile_check_name("newName", NULL, &err), &err, APP_E_MISSING_FIELD,
		     "newName");
	/* faults name the element they were asked about */
	assert_fault(profile_check_name("newName", "a<b", &err), &err, APP_E_INVALID_VALUE,
		     "newName");
	assert_fault(profile_check_name("newName", repeat(buf, sizeof(buf), "n", 101), &err), &err,
		     APP_E_INVALID_VALUE, "newName");
}

/* phoneType takes the model table's spelling; unknown models fault. */
static void
test_phone_type_values(void **state)
{
	size_t n;
	const struct model_caps *rows = test_model_rows(&n);

	(void) state;
	for (size_t i = 0; i < n; i++) {
		char upper[MODEL_NAME_MAX];
		size_t k;

		for (k = 0; rows[i].name[k] != '\0'; k++)
			upper[k] = (char) toupper((unsigned char) rows[i].name[k]);
		upper[k] = '\0';
		check_value(PF_PHONE_TYPE, rows[i].name, rows[i].name);
		check_value(PF_PHONE_TYPE, upper, rows[i].name);
	}
	check_invalid(PF_PHONE_TYPE, "Cisco 9999");
	check_invalid(PF_PHONE_TYPE, "Cisco 884");
}

/* --- cross-field rules ------------------------------------------------- */

/* Authenticated/Encrypted without a transport use TLS. */
static void
test_secure_mode_derives_tls(void **state)
{
	static const char *const modes[] = { "Authenticated", "Encrypted", "encrypted" };
	static const char *const models[][2] = {
		{ M_SIP_SECURE, "SIP" },
		{ M_BOTH_SECURE, "SCCP" },
		{ M_SCCP_ONLY, "SCCP" },
		{ M_UNIVERSAL, "SIP" },
	};

	(void) state;
	for (size_t m = 0; m < NELEM(models); m++)
		for (size_t k = 0; k < NELEM(modes); k++) {
			struct profile p;
			struct app_err err = { 0 };

			profile_build(&p, models[m][0], models[m][1]);
			set_ok(&p, PF_SECURITY_MODE, modes[k]);
			assert_ok(profile_finish(&p, NULL, V140, &err), &err);
			assert_string_equal(p.v[PF_TRANSPORT], "TLS");
		}
}

/* Secure modes only with TLS; Non Secure never with TLS. */
static void
test_mode_and_transport_must_agree(void **state)
{
	const struct pf_desc *t = &profile_fields[PF_TRANSPORT];
	static const char *const modes[] = { "Non Secure", "Authenticated", "Encrypted" };

	(void) state;
	for (size_t m = 0; m < NELEM(modes); m++)
		for (const char *const *v = t->values; *v != NULL; v++) {
			struct profile p;
			struct app_err err = { 0 };
			bool secure = m > 0, tls = strcmp(*v, "TLS") == 0;

			valid_profile(&p);
			set_ok(&p, PF_SECURITY_MODE, modes[m]);
			set_ok(&p, PF_TRANSPORT, *v);
			if (secure == tls) {
				assert_ok(profile_finish(&p, NULL, V140, &err), &err);
				assert_string_equal(p.v[PF_TRANSPORT], *v);
			} else
				assert_fault(profile_finish(&p, NULL, V140, &err), &err,
					     APP_E_INVALID_VALUE, "transportType");
		}
}

/* An SCCP profile keeps every SIP-only field at its default. */
static void
test_sccp_rejects_sip_only_fields(void **state)
{
	int nsip = 0;

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		struct profile p;
		struct app_err err = { 0 };
		char other[PF_VALUE_MAX];

		if (!has_flag(i, PFF_SIP_ONLY))
			continue;
		nsip++;
		other_value(i, other, sizeof(other));
		/* non-default: refused, naming the field */
		profile_build(&p, M_BOTH_SECURE, "SCCP");
		set_ok(&p, i, other);
		assert_fault(profile_finish(&p, NULL, V140, &err), &err, APP_E_INVALID_VALUE,
			     profile_fields[i].xml);
		/* the same value is fine for SIP on the same model */
		profile_build(&p, M_BOTH_SECURE, "SIP");
		set_ok(&p, i, other);
		if (i != PF_TRANSPORT || strcmp(other, "TLS") != 0)
			assert_ok(profile_finish(&p, NULL, V140, &err), &err);
		/* the default, sent explicitly, is fine for SCCP */
		profile_build(&p, M_BOTH_SECURE, "SCCP");
		set_ok(&p, i, profile_fields[i].dflt);
		assert_ok(profile_finish(&p, NULL, V140, &err), &err);
	}
	assert_int_equal(nsip, 6);
}

/* SCCP secure profiles carry TLS like SIP ones, given or derived. */
static void
test_sccp_secure_gets_tls(void **state)
{
	struct profile p;
	struct app_err err = { 0 };

	(void) state;
	profile_build(&p, M_SCCP_ONLY, "SCCP");
	set_ok(&p, PF_SECURITY_MODE, "Encrypted");
	assert_ok(profile_finish(&p, NULL, V140, &err), &err);
	assert_string_equal(p.v[PF_TRANSPORT], "TLS");

	profile_build(&p, M_BOTH_SECURE, "SCCP");
	set_ok(&p, PF_SECURITY_MODE, "Authenticated");
	set_ok(&p, PF_TRANSPORT, "TLS");
	assert_ok(profile_finish(&p, NULL, V140, &err), &err);
	assert_string_equal(p.v[PF_TRANSPORT], "TLS");
}

/* The model must speak the profile's protocol. */
static void
test_model_protocol(void **state)
{
	static const char *const bad[][2] = {
		{ M_SIP_SECURE, "SCCP" },
		{ M_SCCP_ONLY, "SIP" },
		{ M_THIRD_PARTY, "SCCP" },
		{ M_UNIVERSAL, "SCCP" },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		struct profile p;
		struct app_err err = { 0 };

		profile_build(&p, bad[i][0], bad[i][1]);
		assert_fault(profile_finish(&p, NULL, V140, &err), &err, APP_E_INVALID_VALUE,
			     "protocol");
	}
}

/* Secure modes need a model that supports them. */
static void
test_model_without_secure_modes(void **state)
{
	static const char *const models[] = { M_NOT_SECURE, M_THIRD_PARTY };
	static const char *const modes[] = { "Authenticated", "Encrypted" };

	(void) state;
	for (size_t m = 0; m < NELEM(models); m++)
		for (size_t k = 0; k < NELEM(modes); k++) {
			struct profile p;
			struct app_err err = { 0 };

			profile_build(&p, models[m], "SIP");
			set_ok(&p, PF_SECURITY_MODE, modes[k]);
			assert_fault(profile_finish(&p, NULL, V140, &err), &err,
				     APP_E_INVALID_VALUE, "deviceSecurityMode");
			/* also with the transport a secure mode wants */
			profile_build(&p, models[m], "SIP");
			set_ok(&p, PF_SECURITY_MODE, modes[k]);
			set_ok(&p, PF_TRANSPORT, "TLS");
			assert_fault(profile_finish(&p, NULL, V140, &err), &err,
				     APP_E_INVALID_VALUE, "deviceSecurityMode");
		}
}

/* Third-party models keep every Cisco-only field at its default; Cisco
 * models without secure modes still take them. */
static void
test_third_party_rejects_cisco_only_fields(void **state)
{
	int ncisco = 0;

	(void) state;
	for (int i = 0; i < PF__COUNT; i++) {
		struct profile p;
		struct app_err err = { 0 };
		char other[PF_VALUE_MAX];

		if (!has_flag(i, PFF_CISCO_ONLY))
			continue;
		ncisco++;
		other_value(i, other, sizeof(other));
		profile_build(&p, M_THIRD_PARTY, "SIP");
		set_ok(&p, i, other);
		assert_fault(profile_finish(&p, NULL, V140, &err), &err, APP_E_INVALID_VALUE,
			     profile_fields[i].xml);

		profile_build(&p, M_NOT_SECURE, "SIP");
		set_ok(&p, i, other);
		assert_ok(profile_finish(&p, NULL, V140, &err), &err);

		profile_build(&p, M_THIRD_PARTY, "SIP");
		set_ok(&p, i, profile_fields[i].dflt);
		assert_ok(profile_finish(&p, NULL, V140, &err), &err);
	}
	assert_int_equal(ncisco, 6);
}

/* A model the table does not know (or no longer knows) is refused. */
static void
test_unknown_phone_type(void **state)
{
	struct profile p;
	struct app_err err = { 0 };

	(void) state;
	profile_defaults(&p);
	assert_fault(profile_set(&p, PF_PHONE_TYPE, "Cisco 9999", &err), &err, APP_E_INVALID_VALUE,
		     "phoneType");
	assert_non_null(strstr(err.msg, "Cisco 9999"));

	valid_profile(&p);
	snprintf(p.v[PF_PHONE_TYPE], PF_VALUE_MAX, "Cisco 9999");
	assert_fault(profile_finish(&p, NULL, V140, &err), &err, APP_E_INVALID_VALUE, "phoneType");
}

/* A model new in 15.0 does not exist for older versions' requests. */
static void
test_model_since_version(void **state)
{
	static const int older[] = { 110, 115, 120, 125, 140 };
	struct profile p;
	struct app_err err = { 0 };

	(void) state;
	for (size_t i = 0; i < NELEM(older); i++) {
		profile_build(&p, M_SINCE_150, "SIP");
		assert_fault(profile_finish(&p, NULL, older[i], &err), &err, APP_E_INVALID_VALUE,
			     "phoneType");
	}
	profile_build(&p, M_SINCE_150, "SIP");
	assert_ok(profile_finish(&p, NULL, 150, &err), &err);
	/* and a 110 model works for every version */
	for (size_t i = 0; i < NELEM(older); i++) {
		valid_profile(&p);
		assert_ok(profile_finish(&p, NULL, older[i], &err), &err);
	}
}

/* An EC key order needs an EC key size: 384 unless one was given. */
static void
test_ec_key_size_derived(void **state)
{
	static const struct {
		const char *order, *size, *want; /* size NULL: not sent */
	} cases[] = {
		{ "EC Only", NULL, "384" },
		{ "EC Preferred, RSA Backup", NULL, "384" },
		{ "EC Only", "", "384" },
		{ "EC Only", "256", "256" },
		{ "ec preferred, rsa backup", "521", "521" },
		{ "RSA Only", NULL, "" },
		{ "RSA Only", "256", "256" },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct profile p;
		struct app_err err = { 0 };

		valid_profile(&p);
		set_ok(&p, PF_KEY_ORDER, cases[i].order);
		if (cases[i].size != NULL)
			set_ok(&p, PF_EC_KEY_SIZE, cases[i].size);
		assert_ok(profile_finish(&p, NULL, V140, &err), &err);
		assert_string_equal(p.v[PF_EC_KEY_SIZE], cases[i].want);
	}
}

/* --- update (profile_finish with `before`) ----------------------------- */

/* A stored profile, and the copy an update starts from. */
static void
stored(struct profile *before, struct profile *p, const char *mode, const char *transport)
{
	struct app_err err = { 0 };

	valid_profile(before);
	set_ok(before, PF_SECURITY_MODE, mode);
	if (transport != NULL)
		set_ok(before, PF_TRANSPORT, transport);
	assert_ok(profile_finish(before, NULL, V140, &err), &err);
	*p = *before;
	p->given = 0;
}

static void
test_update_transport_follows_mode(void **state)
{
	static const struct {
		const char *was_mode, *was_transport; /* stored */
		const char *mode, *transport;         /* update; NULL = not sent */
		const char *want;
	} cases[] = {
		/* leaving a secure mode: TLS goes back to the default */
		{ "Authenticated", NULL, "Non Secure", NULL, "TCP+UDP" },
		{ "Encrypted", NULL, "Non Secure", NULL, "TCP+UDP" },
		{ "Authenticated", NULL, "Non Secure", "UDP", "UDP" },
		/* entering one: TLS */
		{ "Non Secure", "UDP", "Authenticated", NULL, "TLS" },
		/* otherwise the stored transport stays */
		{ "Non Secure", "UDP", NULL, NULL, "UDP" },
		{ "Non Secure", "TCP", "Non Secure", NULL, "TCP" },
		{ "Encrypted", NULL, "Authenticated", NULL, "TLS" },
		{ "Encrypted", NULL, NULL, NULL, "TLS" },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct profile before, p;
		struct app_err err = { 0 };

		stored(&before, &p, cases[i].was_mode, cases[i].was_transport);
		if (cases[i].mode != NULL)
			set_ok(&p, PF_SECURITY_MODE, cases[i].mode);
		if (cases[i].transport != NULL)
			set_ok(&p, PF_TRANSPORT, cases[i].transport);
		set_ok(&p, PF_DESCRIPTION, "updated");
		if (!profile_finish(&p, &before, V140, &err))
			fail_msg("case %zu: %s", i, err.msg);
		if (strcmp(p.v[PF_TRANSPORT], cases[i].want) != 0)
			fail_msg("case %zu: transport \"%s\", want \"%s\"", i, p.v[PF_TRANSPORT],
				 cases[i].want);
	}
}

/* An update is checked like an add: it cannot break the rules either. */
static void
test_update_checks_rules(void **state)
{
	struct profile before, p;
	struct app_err err = { 0 };

	(void) state;
	stored(&before, &p, "Authenticated", NULL);
	set_ok(&p, PF_TRANSPORT, "UDP");
	assert_fault(profile_finish(&p, &before, V140, &err), &err, APP_E_INVALID_VALUE,
		     "transportType");

	stored(&before, &p, "Non Secure", NULL);
	set_ok(&p, PF_TRANSPORT, "TLS");
	assert_fault(profile_finish(&p, &before, V140, &err), &err, APP_E_INVALID_VALUE,
		     "transportType");
}

/* --- versions ---------------------------------------------------------- */

/* EnableOAuthAuthentication first appears in the 12.5 schema. */
static void
test_field_in_version(void **state)
{
	static const int versions[] = { 110, 115, 120, 125, 140, 150 };

	(void) state;
	for (size_t k = 0; k < NELEM(versions); k++)
		for (int i = 0; i < PF__COUNT; i++) {
			bool want = i == PF_OAUTH ? versions[k] >= 125 : true;

			if (profile_field_in_version((enum pf_id) i, versions[k]) != want)
				fail_msg("%s in version %d: %d", profile_fields[i].xml, versions[k],
					 !want);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_table_matches_schema),
		cmocka_unit_test(test_enums_match_schema),
		cmocka_unit_test(test_rule_flags),
		cmocka_unit_test(test_defaults_parse_to_themselves),
		cmocka_unit_test(test_built_profile_is_valid),
		cmocka_unit_test(test_absent_value_is_untouched),
		cmocka_unit_test(test_required_field_absent),
		cmocka_unit_test(test_required_field_empty),
		cmocka_unit_test(test_enum_values_any_case),
		cmocka_unit_test(test_enum_bogus_values),
		cmocka_unit_test(test_bool_values),
		cmocka_unit_test(test_int_values),
		cmocka_unit_test(test_empty_means_default),
		cmocka_unit_test(test_description_length_in_characters),
		cmocka_unit_test(test_text_forbidden_characters),
		cmocka_unit_test(test_text_control_characters),
		cmocka_unit_test(test_text_invalid_utf8),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_phone_type_values),
		cmocka_unit_test(test_secure_mode_derives_tls),
		cmocka_unit_test(test_mode_and_transport_must_agree),
		cmocka_unit_test(test_sccp_rejects_sip_only_fields),
		cmocka_unit_test(test_sccp_secure_gets_tls),
		cmocka_unit_test(test_model_protocol),
		cmocka_unit_test(test_model_without_secure_modes),
		cmocka_unit_test(test_third_party_rejects_cisco_only_fields),
		cmocka_unit_test(test_unknown_phone_type),
		cmocka_unit_test(test_model_since_version),
		cmocka_unit_test(test_ec_key_size_derived),
		cmocka_unit_test(test_update_transport_follows_mode),
		cmocka_unit_test(test_update_checks_rules),
		cmocka_unit_test(test_field_in_version),
	};

	return cmocka_run_group_tests(tests, models_setup, models_teardown);
}
