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
		"", "%", "%%", "_", "CSF%", "%text%", "a_b", "plain name",
		"a\\%b", "a\\_b", "\\%", "a\\\\", "\\\\\\%",  /* escaped %, _, backslash */
		"caf\xc3\xa9%",                                /* UTF-8 */
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

		assert_fault(like_check("description", bad[i], &err), &err,
			     APP_E_INVALID_VALUE, "description");
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
		assert_fault(like_check("name", pattern, &err), &err,
			     APP_E_INVALID_VALUE, "name");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts_patterns),
		cmocka_unit_test(test_check_rejects_trailing_escape),
		cmocka_unit_test(test_check_rejects_control_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
