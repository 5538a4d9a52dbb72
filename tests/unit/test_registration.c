/*
 * test_registration.c: what a REGISTER's answer says of a known phone
 * (repo_registration.h's reg_outcome): the state listRegistrationDynamic
 * shows and the registrar records.
 */
#include "testutil.h"

#include "repo_registration.h"

static void
test_outcomes(void **state)
{
	(void) state;
	assert_string_equal(reg_outcome(200, true), "registered");
	assert_string_equal(reg_outcome(200, false), "unregistered"); /* Expires: 0 */
	assert_string_equal(reg_outcome(403, false), "rejected");     /* credentials, profile */
	assert_string_equal(reg_outcome(403, true), "rejected");
	/* answers that say nothing of the phone */
	static const int silent[] = { 401, 407, 400, 404, 420, 423, 500, 503 };
	for (size_t i = 0; i < NELEM(silent); i++)
		assert_null(reg_outcome(silent[i], false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
