/*
 * test_sql_informix.c: executeSQLQuery's statement check and Informix
 * translation (sql_informix.c): SKIP/FIRST/LIMIT/UNIQUE become PostgreSQL's
 * OFFSET/LIMIT/DISTINCT, everything PostgreSQL takes as is passes
 * unchanged, and writes, second statements, MATCHES and the catalogs are
 * refused, with quoted strings, names and comments respected.
 */
#include "testutil.h"

#include "sql_informix.h"

static bool
translate(const char *sql, char *out, struct app_err *err)
{
	memset(err, 0, sizeof(*err));
	return sql_informix_translate(sql, out, SQL_TRANSLATED_SIZE(strlen(sql)), err);
}

static void
test_translates_informix(void **state)
{
	static const char *const cases[][2] = {
		{ "select skip 5 first 5 name from device order by name",
		  "select name from device order by name OFFSET 5 LIMIT 5" },
		{ "SELECT FIRST 10 * FROM device", "SELECT * FROM device LIMIT 10" },
		{ "select limit 3 name from enduser;", "select name from enduser LIMIT 3" },
		{ "select skip 2 name from device -- the rest\n",
		  "select name from device OFFSET 2" },
		{ "select unique tkmodel from device", "select DISTINCT tkmodel from device" },
		{ "select first 2 unique tkmodel from device",
		  "select DISTINCT tkmodel from device LIMIT 2" },
	};
	char out[256];
	struct app_err err;

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (!translate(cases[i][0], out, &err))
			fail_msg("\"%s\" refused: %s", cases[i][0], err.msg);
		assert_string_equal(out, cases[i][1]);
	}
}

static void
test_passes_postgresql_through(void **state)
{
	static const char *const same[] = {
		"select name, description from device where name like 'SEP%'",
		"select d.name, s.name from device d, securityprofile s "
		"where s.pkid = d.fksecurityprofile",
		"select count(*) from device",
		"select upper(userid), lower(lastname) from enduser",
		"select first from t", /* a column named first */
		"select 'a; b' as x",  /* ';' in a string */
		"select 'it''s; matches' as x",
		"select E'\\'; drop' as x", /* escaped quote */
		"select $$; pg_class$$ as x",
		"select $t$ ; $t$ as x",
		"select \"a;b\" from device",
		"with d as (select name from device) select * from d",
		"select pg_sleep(1)", /* a function: the role decides */
	};
	char out[256];
	struct app_err err;

	(void) state;
	for (size_t i = 0; i < NELEM(same); i++) {
		if (!translate(same[i], out, &err))
			fail_msg("\"%s\" refused: %s", same[i], err.msg);
		assert_string_equal(out, same[i]);
	}
	/* What follows the last token (comments, the ';') is left out. */
	assert_true(translate("select 1 ;  \n-- done", out, &err));
	assert_string_equal(out, "select 1");
	assert_true(translate("select 1 /* ; /* nested ; */ still ; */", out, &err));
	assert_string_equal(out, "select 1");
}

static void
test_refuses(void **state)
{
	static const struct {
		const char *sql;
		const char *says;
	} cases[] = {
		{ "insert into device values (1)", "Only SELECT" },
		{ "update device set name = 'x'", "Only SELECT" },
		{ "delete from device", "Only SELECT" },
		{ "  drop table device", "Only SELECT" },
		{ "copy device to stdout", "Only SELECT" },
		{ "set role axlprov", "Only SELECT" },
		{ "(select 1)", "Only SELECT" },
		{ "select 1; delete from device", "One statement" },
		{ "select 1;;", "One statement" },
		{ "select 1; -- x\n select 2", "One statement" },
		{ "select name from device where name matches 'SEP*'", "MATCHES" },
		{ "select * from pg_class", "system catalogs" },
		{ "select * from PG_CATALOG.pg_proc", "system catalogs" },
		{ "select * from \"pg_authid\"", "system catalogs" },
		{ "select * from information_schema.tables", "system catalogs" },
		{ "select * from U&\"\\0070g_class\"", "Unicode" },
		{ "select 'open", "unterminated string" },
		{ "select 1 /* open", "unterminated comment" },
		{ "select skip x first 5 name from device", "SKIP takes" },
		{ "select skip 5 first x name from device", "FIRST takes" },
	};
	char out[256];
	struct app_err err;

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (translate(cases[i].sql, out, &err))
			fail_msg("\"%s\" accepted as \"%s\"", cases[i].sql, out);
		assert_int_equal(err.code, APP_E_SQL);
		if (strstr(err.msg, cases[i].says) == NULL)
			fail_msg("\"%s\": \"%s\" does not say \"%s\"", cases[i].sql, err.msg,
				 cases[i].says);
	}
	assert_false(translate("  -- nothing\n", out, &err));
	assert_int_equal(err.code, APP_E_MISSING_FIELD);
}

static void
test_column_elements(void **state)
{
	static const char *const cases[][2] = {
		{ "name", "name" }, { "Count", "count" }, { "?column?", "_column_" },
		{ "2x", "_2x" },    { "a b<c", "a_b_c" }, { "", "_" },
		{ "_ok", "_ok" },
	};
	char out[16];

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		sql_column_element(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	sql_column_element("averyveryverylongcolumnname", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translates_informix),
		cmocka_unit_test(test_passes_postgresql_through),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_column_elements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
