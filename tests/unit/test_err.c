/*
 * test_err.c: app_err_set() and app_err_invalid() (err.c): they fill code,
 * field and message, word "Invalid value for <field>: <value>" the same way
 * everywhere, bound long input, tolerate a NULL err and always return false;
 * AXL's wording (axl_fault.c) and the one text check.
 */
#include "testutil.h"

#include "axl_fault.h"

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
	memset(&err, 'x', sizeof(err)); /* stale content must not survive */
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

/* AXL's texts, byte for byte: clients and the integration tests match them. */
static void
test_axl_wording(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_false(axl_err(&err, APP_E_NOT_FOUND, OBJ_PROFILE, "name"));
	assert_int_equal(err.code, APP_E_NOT_FOUND);
	assert_string_equal(err.field, "name");
	assert_string_equal(err.msg,
			    "Item not valid: The specified Phone Security Profile was not found");
	axl_err(&err, APP_E_NOT_FOUND, OBJ_PHONE, "uuid");
	assert_string_equal(err.msg, "Item not valid: The specified Phone was not found");
	axl_err(&err, APP_E_NOT_FOUND, OBJ_USER, "userid");
	assert_string_equal(err.msg, "Item not valid: The specified User was not found");
	axl_err(&err, APP_E_REMOVE_NOT_FOUND, OBJ_USER, NULL);
	assert_string_equal(err.msg, "Item not valid: The specified entry was not found");
	axl_err(&err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	assert_string_equal(err.msg, "Could not insert new row - duplicate value in a UNIQUE "
				     "INDEX column (Unique Index:).");
	/* A code without AXL wording is a bug, said as one. */
	axl_err(&err, APP_E_RULE, OBJ_PHONE, NULL);
	assert_int_equal(err.code, APP_E_INTERNAL);
	axl_err_missing(&err, "name", "name or uuid");
	assert_int_equal(err.code, APP_E_MISSING_FIELD);
	assert_string_equal(err.field, "name");
	assert_string_equal(err.msg, "Missing required element: name or uuid");
	axl_err_missing(&err, "phone", NULL);
	assert_string_equal(err.msg, "Missing required element: phone");
	axl_err_predefined(&err, OBJ_PROFILE, "update", "X");
	assert_int_equal(err.code, APP_E_READ_ONLY);
	assert_string_equal(err.msg, "Cannot update a predefined security profile: X");
	axl_err_in_use(&err, OBJ_USER, "jd", 2, "A, B");
	assert_int_equal(err.code, APP_E_IN_USE);
	assert_string_equal(err.msg, "Cannot remove User jd: it is used by 2 phone(s): A, B");
	axl_err_in_use(&err, OBJ_PROFILE, "P", 7, "A, B, C, D, E");
	assert_string_equal(err.msg, "Cannot remove Phone Security Profile P: it is used by 7 "
				     "phone(s): A, B, C, D, E and 2 more");
	/* Codes and faultcodes as CUCM sends them. */
	assert_int_equal(axl_fault_code(APP_E_NOT_FOUND), 5007);
	assert_int_equal(axl_fault_code(APP_E_DUPLICATE), -239);
	assert_int_equal(axl_fault_code(APP_E_IN_USE), -692);
	assert_int_equal(axl_fault_code(APP_E__COUNT), -1);
	assert_true(axl_fault_is_client(APP_E_RULE));
	assert_false(axl_fault_is_client(APP_E_MISSING_FIELD));
}

static void
test_check_text(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_true(app_err_check_text(&err, "lastName", "B\xc3\xa9rard", 6, 0));
	assert_false(app_err_check_text(&err, "lastName", "B\xc3\xa9rards", 6, 0));
	assert_string_equal(err.msg,
			    "Invalid value for lastName: B\xc3\xa9rards (at most 6 characters)");
	/* Six characters, but not under 7 bytes. */
	assert_false(app_err_check_text(&err, "lastName", "B\xc3\xa9rard", 6, 7));
	assert_false(app_err_check_text(&err, "userid", "a\tb", 64, 0));
	assert_string_equal(
		err.msg, "Invalid value for userid: a\\x09b (control characters or invalid UTF-8)");
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
		cmocka_unit_test(test_axl_wording),
		cmocka_unit_test(test_check_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
