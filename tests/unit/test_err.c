/*
 * test_err.c: app_err_set() and app_err_invalid() (err.c): they fill code,
 * field and message, word "Invalid value for <field>: <value>" the same way
 * everywhere, bound long input, tolerate a NULL err and always return false.
 */
#include "testutil.h"

static void
test_set_fills_every_member(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_false(app_err_set(&err, APP_E_DUPLICATE, "name", "%s %d", "taken", 7));
	assert_int_equal(err.code, APP_E_DUPLICATE);
	assert_string_equal(err.field, "name");
	assert_string_equal(err.msg, "taken 7");
}

static void
test_set_null_field_is_empty(void **state)
{
	struct app_err err;

	(void) state;
	memset(&err, 'x', sizeof(err));  /* stale content must not survive */
	assert_false(app_err_set(&err, APP_E_INTERNAL, NULL, "boom"));
	assert_int_equal(err.code, APP_E_INTERNAL);
	assert_string_equal(err.field, "");
	assert_string_equal(err.msg, "boom");
}

/* Both buffers are fixed size: over-long input is cut, never overflowed. */
static void
test_set_truncates_long_field_and_message(void **state)
{
	struct app_err err = { 0 };
	char big[2000];

	(void) state;
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(app_err_set(&err, APP_E_INVALID_VALUE, big, "%s", big));
	assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
}

static void
test_null_err_is_tolerated(void **state)
{
	(void) state;
	assert_false(app_err_set(NULL, APP_E_INTERNAL, "x", "y %d", 1));
	assert_false(app_err_invalid(NULL, "keySize", "7", NULL));
	assert_false(app_err_invalid(NULL, "keySize", "7", "reason"));
}

static void
test_invalid_without_reason(void **state)
{
	static const char *const no_reason[] = { NULL, "" };

	(void) state;
	for (size_t i = 0; i < NELEM(no_reason); i++) {
		struct app_err err = { 0 };

		assert_false(app_err_invalid(&err, "keySize", "7", no_reason[i]));
		assert_int_equal(err.code, APP_E_INVALID_VALUE);
		assert_string_equal(err.field, "keySize");
		assert_string_equal(err.msg, "Invalid value for keySize: 7");
	}
}

static void
test_invalid_with_reason(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_false(app_err_invalid(&err, "sipPhonePort", "0", "must be from 1 to 65535"));
	assert_int_equal(err.code, APP_E_INVALID_VALUE);
	assert_string_equal(err.field, "sipPhonePort");
	assert_string_equal(err.msg, "Invalid value for sipPhonePort: 0 (must be from 1 to 65535)");
}

static void
test_invalid_null_value_prints_empty(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_false(app_err_invalid(&err, "protocol", NULL, NULL));
	assert_string_equal(err.msg, "Invalid value for protocol: ");
}

/* A huge value is cut so the message keeps its reason at the end. */
static void
test_invalid_cuts_long_value(void **state)
{
	struct app_err err = { 0 };
	char big[1000];

	(void) state;
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(app_err_invalid(&err, "description", big, "too long"));
	assert_true(strncmp(err.msg, "Invalid value for description: vvv", 34) == 0);
	assert_non_null(strstr(err.msg, " (too long)"));
	assert_true(strlen(err.msg) < sizeof(err.msg) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_fills_every_member),
		cmocka_unit_test(test_set_null_field_is_empty),
		cmocka_unit_test(test_set_truncates_long_field_and_message),
		cmocka_unit_test(test_null_err_is_tolerated),
		cmocka_unit_test(test_invalid_without_reason),
		cmocka_unit_test(test_invalid_with_reason),
		cmocka_unit_test(test_invalid_null_value_prints_empty),
		cmocka_unit_test(test_invalid_cuts_long_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
