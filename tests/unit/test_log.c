/*
 * test_log.c: levelled logging (log.c): level names, the threshold, and
 * the line format: "<UTC ISO time with ms>Z <level> <message>\n", always
 * exactly one line, however long the message or whatever newlines it holds.
 */
#include "testutil.h"

#include <ctype.h>

#include "log.h"

/* log_msg() output for one call (malloc'd). */
static char *
logged(enum log_level level, const char *msg)
{
	struct capture cap;

	capture_begin(&cap);
	log_msg(level, "%s", msg);
	return capture_end(&cap);
}

/* "2024-01-31T12:34:56.789Z " */
static bool
has_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char) s[i]) : s[i] != shape[i])
			return false;
	return true;
}

static void
test_level_parse(void **state)
{
	static const struct {
		const char *name;
		int level;
	} cases[] = {
		{ "debug", LOG_DEBUG },
		{ "info", LOG_INFO },
		{ "warn", LOG_WARN },
		{ "error", LOG_ERROR },
		{ "DEBUG", LOG_DEBUG },
		{ "Warn", LOG_WARN },
		{ "", -1 },
		{ "warning", -1 },
		{ "verbose", -1 },
		{ "info ", -1 },
		{ "0", -1 },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (log_level_parse(cases[i].name) != cases[i].level)
			fail_msg("log_level_parse(\"%s\") = %d, want %d", cases[i].name,
				 log_level_parse(cases[i].name), cases[i].level);
}

static void
test_line_format(void **state)
{
	static const struct {
		enum log_level level;
		const char *name;
	} levels[] = {
		{ LOG_INFO, "info" },
		{ LOG_WARN, "warn" },
		{ LOG_ERROR, "error" },
	};

	(void) state;
	log_set_level(LOG_INFO);
	for (size_t i = 0; i < NELEM(levels); i++) {
		char *text = logged(levels[i].level, "hello world");
		char want[64];

		snprintf(want, sizeof(want), "%s hello world\n", levels[i].name);
		if (!has_timestamp(text) || strcmp(text + 25, want) != 0)
			fail_msg("log line \"%s\", want <timestamp> \"%s\"", text, want);
		free(text);
	}
}

static void
test_threshold(void **state)
{
	char *text;

	(void) state;
	log_set_level(LOG_INFO);
	text = logged(LOG_DEBUG, "hidden");
	assert_string_equal(text, "");
	free(text);

	log_set_level(LOG_WARN);
	text = logged(LOG_INFO, "hidden");
	assert_string_equal(text, "");
	free(text);
	text = logged(LOG_WARN, "shown");
	assert_non_null(strstr(text, "warn shown\n"));
	free(text);

	log_set_level(LOG_DEBUG);
	text = logged(LOG_DEBUG, "shown");
	assert_non_null(strstr(text, "debug shown\n"));
	free(text);
	log_set_level(LOG_INFO);
}

/* Newlines inside a message cannot start a forged log line. */
static void
test_one_line_per_event(void **state)
{
	char *text;

	(void) state;
	log_set_level(LOG_INFO);
	text = logged(LOG_INFO, "a\nb\r\nc\n\n");
	assert_true(has_timestamp(text));
	assert_string_equal(text + 25, "info a b  c\n");
	free(text);
}

/* A huge message is cut, still ends in a newline, and is one line. */
static void
test_long_message_is_cut(void **state)
{
	char *msg = malloc(10001);
	char *text;
	size_t len;

	(void) state;
	assert_non_null(msg);
	memset(msg, 'm', 10000);
	msg[10000] = '\0';
	log_set_level(LOG_INFO);
	text = logged(LOG_INFO, msg);
	len = strlen(text);
	assert_true(len > 1000 && len < 2048);
	assert_int_equal(text[len - 1], '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	free(text);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_one_line_per_event),
		cmocka_unit_test(test_long_message_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
