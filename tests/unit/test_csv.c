/*
 * test_csv.c: CSV line splitting (csv.c) for the fleet import.
 */
#include "testutil.h"

#include "csv.h"

static void
test_split(void **state)
{
	char a[] = "x,\"y, \"\"z\"\"\",,last\r\n";
	char b[] = "\"open";
	char c[] = "1,2,3";
	char d[] = "\"q\"x";
	char *f[4];

	(void) state;
	assert_int_equal(csv_split(a, f, 4), 4);
	assert_string_equal(f[0], "x");
	assert_string_equal(f[1], "y, \"z\"");
	assert_string_equal(f[2], "");
	assert_string_equal(f[3], "last");
	assert_int_equal(csv_split(b, f, 4), -1);   /* unterminated quote */
	assert_int_equal(csv_split(c, f, 2), -1);   /* too many fields */
	assert_int_equal(csv_split(d, f, 4), -1);   /* text after a closing quote */
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_split) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
