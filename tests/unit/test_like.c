/*
 * test_like.c: searchCriteria LIKE patterns (like.c, contract 4): % and _
 * are wildcards and backslash escapes; a pattern ending in a lone escape or
 * holding control characters is refused naming the element.
 */
#include "testutil.h"

#include "like.h"

static void
test_check_accepts_patterns(void **state)
{
	static const char *const good[] = {
		"",
		"%",
		"%%",
		"_",
		"CSF%",
		"%text%",
		"a_b",
		"plain name",
		"a\\%b",
		"a\\_b",
		"\\%",
		"a\\\\",
		"\\\\\\%",      /* escaped %, _, backslash */
		"caf\xc3\xa9%", /* UTF-8 */
		"quote\" & <angle>",
	};

	(void) state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct app_err err = { 0 };

		if (!like_check("name", good[i], &err))
			fail_msg("like_check(\"%s\") refused: %s", good[i], err.msg);
	}
}

static void
test_check_rejects_trailing_escape(void **state)
{
	static const char *const bad[] = { "\\", "abc\\", "a\\\\\\", "%\\" };

	(void) state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		struct app_err err = { 0 };

		assert_fault(like_check("description", bad[i], &err), &err, APP_E_INVALID_VALUE,
			     "description");
		assert_true(strncmp(err.msg, "Invalid value for description: ", 31) == 0);
	}
}

static void
test_check_rejects_control_characters(void **state)
{
	(void) state;
	for (int c = 1; c <= 0x7F; c++) {
		struct app_err err = { 0 };
		char pattern[8];
		bool control = c < 0x20 || c == 0x7F;

		snprintf(pattern, sizeof(pattern), "a%cb%%", c);
		if (!control) {
			/* a lone trailing backslash is the only other refusal */
			if (!like_check("name", pattern, &err))
				fail_msg("like_check refused character 0x%02x: %s", c, err.msg);
			continue;
		}
		assert_fault(like_check("name", pattern, &err), &err, APP_E_INVALID_VALUE, "name");
	}
}

/* The prefix range holds every match and (for a literal prefix) nothing
 * before it; escapes are resolved. */
static void
test_prefix_range(void **state)
{
	static const struct {
		const char *pattern, *lo;
	} cases[] = {
		{ "BenchProfile-012%", "BenchProfile-012" },
		{ "%x", "" },
		{ "_x", "" },
		{ "abc", "abc" },
		{ "a\\%b%", "a%b" },
		{ "caf\xc3\xa9%", "caf\xc3\xa9" },
	};
	char lo[64], hi[64];

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		like_prefix_range(cases[i].pattern, lo, hi, sizeof(lo));
		assert_string_equal(lo, cases[i].lo);
		assert_int_equal(strncmp(hi, lo, strlen(lo)), 0);
		assert_string_equal(hi + strlen(lo), "\xf4\x8f\xbf\xbf");
	}
	/* every string with the prefix lies in [lo, hi) in byte order */
	like_prefix_range("Cisco 88%", lo, hi, sizeof(lo));
	assert_true(strcmp("Cisco 8845 - x", lo) >= 0 && strcmp("Cisco 8845 - x", hi) < 0);
	assert_true(strcmp("Cisco 88\xf0\x9f\x98\x80", hi) < 0);
	assert_true(strcmp("Cisco 89", hi) > 0);
	/* a small buffer never cuts a character in two */
	like_prefix_range("\xc3\xa9\xc3\xa9\xc3\xa9%", lo, hi, 8);
	assert_true(strlen(lo) % 2 == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts_patterns),
		cmocka_unit_test(test_check_rejects_trailing_escape),
		cmocka_unit_test(test_check_rejects_control_characters),
		cmocka_unit_test(test_prefix_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
