/*
 * test_text.c: the UTF-8 rules in text.c and the guarantee built on them:
 * whatever bytes a client sends, what we echo (fault messages) and what we
 * write (xbuf_put_escaped) is well-formed XML text.
 */
#include "testutil.h"

#include "text.h"
#include "xbuf.h"

static void
test_utf8_len(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
	} cases[] = {
		{ "a", 1 },
		{ "\xc2\xa0", 2 },
		{ "\xe2\x82\xac", 3 },
		{ "\xf0\x9f\x98\x80", 4 },
		{ "\xf4\x8f\xbf\xbf", 4 }, /* U+10FFFF */
		{ "\x80", 0 },
		{ "\xc0\xaf", 0 },
		{ "\xc1\xbf", 0 }, /* continuation, overlong */
		{ "\xe0\x80\xaf", 0 },
		{ "\xf0\x80\x80\xaf", 0 }, /* overlong */
		{ "\xed\xa0\x80", 0 },     /* surrogate */
		{ "\xf4\x90\x80\x80", 0 },
		{ "\xf5\x80\x80\x80", 0 }, /* past U+10FFFF */
		{ "\xe2\x82", 0 },
		{ "\xff", 0 }, /* truncated, never valid */
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (utf8_len((const unsigned char *) cases[i].bytes) != cases[i].len)
			fail_msg("utf8_len(case %zu) = %zu, want %zu", i,
				 utf8_len((const unsigned char *) cases[i].bytes), cases[i].len);
}

static void
test_utf8_chars(void **state)
{
	(void) state;
	assert_int_equal(utf8_chars(""), 0);
	assert_int_equal(utf8_chars("abc"), 3);
	assert_int_equal(utf8_chars("\xc3\xa9t\xc3\xa9"), 3);
	assert_int_equal(utf8_chars("a\x01"), -1);     /* C0 */
	assert_int_equal(utf8_chars("a\x7f"), -1);     /* DEL (DTD entities arrive as this) */
	assert_int_equal(utf8_chars("a\xc2\x85"), -1); /* C1 (NEL) */
	assert_int_equal(utf8_chars("a\xff"), -1);
}

static void
test_printable(void **state)
{
	char out[64];

	(void) state;
	text_printable(out, sizeof(out), "plain \xc3\xa9", 60);
	assert_string_equal(out, "plain \xc3\xa9");
	text_printable(out, sizeof(out),
		       "a\x01"
		       "b\xff"
		       "c\xc2\x85",
		       60);
	assert_string_equal(out, "a\\x01b\\xFFc\\xC2\\x85");
	text_printable(out, sizeof(out), "abcdefgh", 3);
	assert_string_equal(out, "abc...");
	text_printable(out, 8, "abcdefghijkl", 60); /* cut by the buffer, terminated */
	assert_string_equal(out, "abcdefg");
	text_printable(out, sizeof(out), NULL, 60);
	assert_string_equal(out, "");
}

/* The last guard: a value that slipped past validation still yields XML. */
static void
test_escaped_output_is_text(void **state)
{
	struct xbuf b;

	(void) state;
	xbuf_init(&b);
	xbuf_put_escaped(&b, "a\x01"
			     "b\xff"
			     "c\t\xc3\xa9<");
	assert_string_equal(b.data, "a\xef\xbf\xbd"
				    "b\xef\xbf\xbd"
				    "c\t\xc3\xa9&lt;");
	xbuf_free(&b);
}

/* Fault messages built from hostile values stay printable. */
static void
test_invalid_value_message_is_text(void **state)
{
	struct app_err err = { 0 };

	(void) state;
	assert_false(app_err_invalid(&err, "name", "x\x01y\xfe", "why"));
	assert_string_equal(err.msg, "Invalid value for name: x\\x01y\\xFE (why)");
	assert_true(utf8_chars(err.msg) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_utf8_chars),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_escaped_output_is_text),
		cmocka_unit_test(test_invalid_value_message_is_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
