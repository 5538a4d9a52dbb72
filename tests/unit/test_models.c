/*
 * test_models.c: the phone model capability table (models.c): load copies
 * the rows, lookup is case-insensitive, a reload replaces the table, and
 * free/empty tables find nothing.
 */
#include "testutil.h"

#include <ctype.h>

static void
test_find_each_row(void **state)
{
	size_t n;
	const struct model_caps *rows = test_model_rows(&n);

	(void) state;
	assert_int_equal(models_count(), n);
	for (size_t i = 0; i < n; i++) {
		char lower[MODEL_NAME_MAX];
		const struct model_caps *m = models_find(rows[i].name);
		size_t k;

		assert_non_null(m);
		assert_memory_equal(m, &rows[i], sizeof(*m)); /* every capability kept */
		for (k = 0; rows[i].name[k] != '\0'; k++)
			lower[k] = (char) tolower((unsigned char) rows[i].name[k]);
		lower[k] = '\0';
		assert_ptr_equal(models_find(lower), m);
	}
}

static void
test_find_unknown(void **state)
{
	(void) state;
	assert_null(models_find("Cisco 9999"));
	assert_null(models_find(""));
	assert_null(models_find("Cisco 884")); /* no prefix matches */
	assert_null(models_find("Cisco 8845 "));
	assert_null(models_find(NULL));
}

/* The table owns a copy: the caller's rows may go away after loading. */
static void
test_load_copies_and_replaces(void **state)
{
	struct model_caps rows[2] = {
		{ "Model A", true, false, false, true, false, 110, false, false },
		{ "Model B", false, true, true, true, false, 140, true, true },
	};

	(void) state;
	assert_true(models_load(rows, NELEM(rows)));
	snprintf(rows[0].name, sizeof(rows[0].name), "Changed");
	rows[1].since = 999;
	assert_int_equal(models_count(), 2);
	assert_non_null(models_find("model a"));
	assert_null(models_find("Changed"));
	assert_int_equal(models_find("Model B")->since, 140);
	/* the earlier table is gone */
	assert_null(models_find(M_SIP_SECURE));

	assert_true(models_load(rows, 0));
	assert_int_equal(models_count(), 0);
	assert_null(models_find("Model A"));

	models_free();
	assert_int_equal(models_count(), 0);
	assert_null(models_find("Model A"));
	models_free(); /* twice is harmless */
}

/* models_ships_mic() follows the mic column; unknown models have none. */
static void
test_ships_mic(void **state)
{
	(void) state;
	assert_true(models_ships_mic(M_SIP_SECURE));
	assert_true(models_ships_mic("cisco 7965"));
	assert_false(models_ships_mic(M_NOT_SECURE));
	assert_false(models_ships_mic(M_SOFT_CLIENT));
	assert_false(models_ships_mic(M_THIRD_PARTY));
	assert_false(models_ships_mic("Cisco 9999"));
	assert_false(models_ships_mic(NULL));
}

int
main(void)
{
	/* Each test gets a freshly loaded table. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_each_row, models_setup, models_teardown),
		cmocka_unit_test_setup_teardown(test_find_unknown, models_setup, models_teardown),
		cmocka_unit_test_setup_teardown(test_load_copies_and_replaces, models_setup,
						models_teardown),
		cmocka_unit_test_setup_teardown(test_ships_mic, models_setup, models_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
