/*
 * test_version.c: AXL schema version handling (version.c): parsing "14.0",
 * reading the version from a SOAPAction and from the AXL namespace, the
 * SOAPAction-over-namespace rule with 1.0 meaning the oldest served
 * version, and the exact set of versions served (contract 1.4, 1.5).
 */
#include "testutil.h"

#include "version.h"

/* What we serve: the union of CUCM 14 (11.0-14.0) and CUCM 15 (12.0-15.0). */
static const int served[] = { 110, 115, 120, 125, 140, 150 };

static bool
is_served(int v)
{
	for (size_t i = 0; i < NELEM(served); i++)
		if (served[i] == v)
			return true;
	return false;
}

static void
test_parse(void **state)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
		{ "14.0", 140 },
		{ "11.5", 115 },
		{ "12.5", 125 },
		{ "15.0", 150 },
		{ "1.0", 10 },
		{ "9.1", 91 },
		/* not a version */
		{ "", -1 },
		{ "14", -1 },
		{ "14.", -1 },
		{ ".5", -1 },
		{ "abc", -1 },
		{ "14.0.1", -1 },
		{ "14.05", -1 },
		{ "14,0", -1 },
		{ " 14.0", -1 },
		{ "14.0 ", -1 },
		{ "-14.0", -1 },
		{ "14.x", -1 },
		{ "1234.0", -1 },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (axl_version_parse(cases[i].text) != cases[i].want)
			fail_msg("axl_version_parse(\"%s\") = %d, want %d", cases[i].text,
				 axl_version_parse(cases[i].text), cases[i].want);
	assert_int_equal(axl_version_parse(NULL), -1);
}

static void
test_from_action(void **state)
{
	static const struct {
		const char *action;
		int want;
	} cases[] = {
		{ "\"CUCM:DB ver=14.0 getPhone\"", 140 }, /* quoted, with operation */
		{ "CUCM:DB ver=14.0 getPhone", 140 },     /* unquoted */
		{ "\"CUCM:DB ver=12.5\"", 125 },          /* quoted, no operation */
		{ "CUCM:DB ver=11.5", 115 },              /* unquoted, no operation */
		{ "CUCM:DB ver=1.0 listPhone", 10 },
		/* no usable version: 0 */
		{ "", 0 },
		{ "\"\"", 0 },
		{ "CUCM:DB getPhone", 0 },
		{ "\"CUCM:DB getPhone\"", 0 },
		{ "CUCM:DB ver=", 0 },
		{ "CUCM:DB ver=abc getPhone", 0 },
		{ "CUCM:DB ver=14.0x getPhone", 0 },
		{ "CUCM:DB ver=14 getPhone", 0 },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (axl_version_from_action(cases[i].action) != cases[i].want)
			fail_msg("axl_version_from_action(%s) = %d, want %d", cases[i].action,
				 axl_version_from_action(cases[i].action), cases[i].want);
	assert_int_equal(axl_version_from_action(NULL), 0);
}

static void
test_from_ns(void **state)
{
	static const struct {
		const char *uri;
		int want;
	} cases[] = {
		{ "http://www.cisco.com/AXL/API/14.0", 140 },
		{ "http://www.cisco.com/AXL/API/11.0", 110 },
		{ "http://www.cisco.com/AXL/API/1.0", 10 },
		{ "http://www.cisco.com/AXL/API/", -1 },
		{ "http://www.cisco.com/AXL/API/14.0/", -1 },
		{ "http://www.cisco.com/AXL/14.0", -1 }, /* AXLEnums' namespace, not the API's */
		{ "http://example.com/AXL/API/14.0", -1 },
		{ "", -1 },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (axl_version_from_ns(cases[i].uri) != cases[i].want)
			fail_msg("axl_version_from_ns(\"%s\") = %d, want %d", cases[i].uri,
				 axl_version_from_ns(cases[i].uri), cases[i].want);
	assert_int_equal(axl_version_from_ns(NULL), -1);
}

static void
test_resolve(void **state)
{
	static const struct {
		const char *action, *ns, *op;
		int want;
	} cases[] = {
		/* SOAPAction wins over the namespace */
		{ "CUCM:DB ver=12.5 getPhone", "http://www.cisco.com/AXL/API/14.0", "getPhone",
		  125 },
		{ "\"CUCM:DB ver=15.0\"", "http://www.cisco.com/AXL/API/11.0", "getPhone", 150 },
		/* no (usable) SOAPAction: the namespace */
		{ NULL, "http://www.cisco.com/AXL/API/14.0", "getPhone", 140 },
		{ "", "http://www.cisco.com/AXL/API/11.5", "getPhone", 115 },
		{ "\"\"", "http://www.cisco.com/AXL/API/12.0", "getPhone", 120 },
		{ "CUCM:DB getPhone", "http://www.cisco.com/AXL/API/12.5", "getPhone", 125 },
		{ "CUCM:DB ver=junk", "http://www.cisco.com/AXL/API/14.0", "getPhone", 140 },
		/* 1.0 means the oldest version served, for the version probe only */
		{ NULL, "http://www.cisco.com/AXL/API/1.0", "getCCMVersion", 110 },
		{ "CUCM:DB ver=1.0", "http://www.cisco.com/AXL/API/1.0", "getCCMVersion", 110 },
		{ NULL, "http://www.cisco.com/AXL/API/1.0", "getPhone", 10 },
		{ "CUCM:DB ver=1.0 getPhone", "http://www.cisco.com/AXL/API/1.0", "getPhone", 10 },
		{ NULL, "http://www.cisco.com/AXL/API/1.0", NULL, 10 },
		/* unsupported versions are resolved, and refused later */
		{ NULL, "http://www.cisco.com/AXL/API/13.0", "getPhone", 130 },
		/* nothing at all */
		{ NULL, NULL, "getPhone", -1 },
		{ NULL, "urn:other", "getPhone", -1 },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		int got = axl_version_resolve(cases[i].action, cases[i].ns, cases[i].op);

		if (got != cases[i].want)
			fail_msg("axl_version_resolve(%s, %s) = %d, want %d",
				 cases[i].action ? cases[i].action : "NULL",
				 cases[i].ns ? cases[i].ns : "NULL", got, cases[i].want);
	}
	/* 1.0 maps to a version we actually serve, for getCCMVersion alone */
	assert_true(axl_version_supported(
		axl_version_resolve(NULL, "http://www.cisco.com/AXL/API/1.0", "getCCMVersion")));
	assert_false(axl_version_supported(
		axl_version_resolve(NULL, "http://www.cisco.com/AXL/API/1.0", "getPhone")));
}

/* listRegistrationDynamic came with 11.5; the rest is in every version. */
static void
test_has_op(void **state)
{
	(void) state;
	assert_false(axl_version_has_op(110, "listRegistrationDynamic"));
	assert_true(axl_version_has_op(115, "listRegistrationDynamic"));
	assert_true(axl_version_has_op(150, "listRegistrationDynamic"));
	assert_true(axl_version_has_op(110, "getCCMVersion"));
	assert_true(axl_version_has_op(110, "doDeviceReset"));
	assert_true(axl_version_has_op(110, NULL));
}

/* CUCM's version form, starting with a served AXL version. */
static void
test_ccm_version(void **state)
{
	static const char *const good[] = { "14.0.1.13900-155", "15.0.1.10000-1", "11.5.1.21900-40",
					    "12.5.1.11900-146" };
	static const char *const bad[] = { "",
					   "14.0",
					   "14.0.1",
					   "14.0.1.13900",
					   "14.0.1.13900-",
					   "14.0.1.13900-15a",
					   "13.0.1.10000-1",
					   "16.0.1.10000-1",
					   "14.0.1.x-1",
					   "14.0.1.1.1-1",
					   "v14.0.1.13900-155",
					   "14.0.1.13900-155 " };

	(void) state;
	for (size_t i = 0; i < NELEM(good); i++)
		if (!axl_ccm_version_valid(good[i]))
			fail_msg("%s refused", good[i]);
	for (size_t i = 0; i < NELEM(bad); i++)
		if (axl_ccm_version_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(axl_ccm_version_valid(NULL));
}

/* Exactly 11.0 11.5 12.0 12.5 14.0 15.0; there was no 13.x. */
static void
test_supported_set(void **state)
{
	(void) state;
	for (int v = -5; v <= 1000; v++)
		if (axl_version_supported(v) != is_served(v))
			fail_msg("axl_version_supported(%d) = %d", v, axl_version_supported(v));
	assert_false(axl_version_supported(axl_version_parse("13.0")));
	assert_false(axl_version_supported(axl_version_parse("10.5")));
	assert_false(axl_version_supported(axl_version_parse("16.0")));
	assert_false(axl_version_supported(axl_version_parse("99.9")));
	assert_false(axl_version_supported(axl_version_parse("1.0")));
}

/* The namespace of each served version is the AXL URI, and parses back. */
static void
test_ns_of_each_version(void **state)
{
	(void) state;
	for (size_t i = 0; i < NELEM(served); i++) {
		const char *ns = axl_version_ns(served[i]);
		char want[64];

		snprintf(want, sizeof(want), "http://www.cisco.com/AXL/API/%d.%d", served[i] / 10,
			 served[i] % 10);
		assert_non_null(ns);
		assert_string_equal(ns, want);
		assert_int_equal(axl_version_from_ns(ns), served[i]);
	}
	assert_null(axl_version_ns(130));
	assert_null(axl_version_ns(10));
	assert_null(axl_version_ns(-1));
}

/* The 599 page lists every served version. */
static void
test_list_names_each_version(void **state)
{
	const char *list = axl_version_list();

	(void) state;
	assert_non_null(list);
	for (size_t i = 0; i < NELEM(served); i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d.%d", served[i] / 10, served[i] % 10);
		if (strstr(list, v) == NULL)
			fail_msg("axl_version_list() \"%s\" lacks %s", list, v);
	}
	assert_null(strstr(list, "13.0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_from_action),
		cmocka_unit_test(test_from_ns),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_supported_set),
		cmocka_unit_test(test_has_op),
		cmocka_unit_test(test_ccm_version),
		cmocka_unit_test(test_ns_of_each_version),
		cmocka_unit_test(test_list_names_each_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
