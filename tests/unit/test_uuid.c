/*
 * test_uuid.c: AXL uuid text forms (uuid.c, contract 2.5).  Input is any
 * case, with or without braces, white space around ignored; the database
 * form is lower case without braces; AXL prints {UPPER CASE} in braces.
 */
#include "testutil.h"

#include "uuid.h"

#define DB_FORM "c6085e14-a32c-4c5e-a3d1-8daf60d81594"
#define AXL_FORM "{C6085E14-A32C-4C5E-A3D1-8DAF60D81594}"

static void
test_parse_accepts_every_form(void **state)
{
	static const char *const good[] = {
		DB_FORM,
		AXL_FORM,
		"C6085E14-A32C-4C5E-A3D1-8DAF60D81594",
		"{c6085e14-a32c-4c5e-a3d1-8daf60d81594}",
		"c6085E14-a32C-4c5e-A3d1-8dAF60d81594", /* mixed case */
		"  " AXL_FORM "  ",
		"\t\n" DB_FORM " \r\n",
	};

	(void) state;
	for (size_t i = 0; i < NELEM(good); i++) {
		char out[UUID_DB_LEN + 1];

		memset(out, 'x', sizeof(out));
		if (!uuid_parse(good[i], out))
			fail_msg("uuid_parse(\"%s\") refused a valid uuid", good[i]);
		assert_string_equal(out, DB_FORM);
	}
}

static void
test_parse_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{}",
		"c6085e14-a32c-4c5e-a3d1-8daf60d8159",   /* 35 characters */
		"c6085e14-a32c-4c5e-a3d1-8daf60d815944", /* 37 characters */
		"c6085e14a32c4c5ea3d18daf60d81594",      /* no dashes */
		"c6085e14-a32c-4c5ea3d1-8daf60d815944",  /* one dash missing, length kept */
		"c6085e14-a32c-4c5e-a3d1_8daf60d81594",  /* wrong separator */
		"c6085e1-4a32c-4c5e-a3d1-8daf60d81594",  /* dash in the wrong place */
		"g6085e14-a32c-4c5e-a3d1-8daf60d81594",  /* not hex */
		"c6085e14-a32c-4c5e a3d1-8daf60d81594",  /* inner space */
		"c6085e14-a32c-4c5e-a3d1-8daf60d8159 4",
		"{c6085e14-a32c-4c5e-a3d1-8daf60d81594", /* unbalanced braces */
		"c6085e14-a32c-4c5e-a3d1-8daf60d81594}",
		"{c6085e14-a32c-4c5e-a3d1-8daf60d81594}}",
		"{{c6085e14-a32c-4c5e-a3d1-8daf60d81594}",
		"(c6085e14-a32c-4c5e-a3d1-8daf60d81594)",
		"urn:uuid:c6085e14-a32c-4c5e-a3d1-8daf60d81594",
	};

	(void) state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		char out[UUID_DB_LEN + 1];

		if (uuid_parse(bad[i], out))
			fail_msg("uuid_parse(\"%s\") accepted a malformed uuid", bad[i]);
	}
}

static void
test_parse_rejects_null(void **state)
{
	char out[UUID_DB_LEN + 1];

	(void) state;
	assert_false(uuid_parse(NULL, out));
}

static void
test_format_is_upper_in_braces(void **state)
{
	static const char *const in[] = {
		DB_FORM,
		"C6085E14-A32C-4C5E-A3D1-8DAF60D81594",
		"{c6085e14-a32c-4c5e-a3d1-8daf60d81594}",
		AXL_FORM,
	};

	(void) state;
	for (size_t i = 0; i < NELEM(in); i++) {
		char out[UUID_AXL_LEN + 1];

		memset(out, 'x', sizeof(out));
		uuid_format(in[i], out);
		assert_string_equal(out, AXL_FORM);
	}
}

/* parse(format(x)) == x and format(parse(y)) == format(y) for many uuids. */
static void
test_round_trip(void **state)
{
	static const char hex[] = "0123456789abcdef";

	(void) state;
	for (unsigned seed = 0; seed < 64; seed++) {
		char db[UUID_DB_LEN + 1], axl[UUID_AXL_LEN + 1], back[UUID_DB_LEN + 1];

		for (size_t i = 0; i < UUID_DB_LEN; i++)
			db[i] = (i == 8 || i == 13 || i == 18 || i == 23) ?
					'-' :
					hex[(seed * 7 + i * 13) % 16];
		db[UUID_DB_LEN] = '\0';
		uuid_format(db, axl);
		assert_int_equal(strlen(axl), UUID_AXL_LEN);
		assert_true(uuid_parse(axl, back));
		assert_string_equal(back, db);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_every_form),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_rejects_null),
		cmocka_unit_test(test_format_is_upper_in_braces),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
