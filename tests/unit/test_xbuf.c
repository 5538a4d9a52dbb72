/*
 * test_xbuf.c: the response buffer (xbuf.c): XML escaping of & < > " ',
 * <tag/> for empty elements, growth well past 1 MB, printf appending, and
 * reuse after xbuf_reset() (which keeps small buffers, shrinks huge ones).
 */
#include "testutil.h"

#include "xbuf.h"

/* The buffer holds exactly `want` (length and bytes) and is NUL-terminated. */
#define assert_xbuf(b, want) \
	do { \
		assert_false((b)->oom); \
		assert_int_equal((b)->len, strlen(want)); \
		assert_non_null((b)->data); \
		assert_string_equal((b)->data, (want)); \
	} while (0)

static void
test_escaping(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "&", "&amp;" },
		{ "<", "&lt;" },
		{ ">", "&gt;" },
		{ "\"", "&quot;" },
		{ "'", "&apos;" },
		{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f" },
		{ "&&<<", "&amp;&amp;&lt;&lt;" },
		{ "&amp;", "&amp;amp;" }, /* escapes are not recognised */
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" }, /* UTF-8 untouched */
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct xbuf b;

		xbuf_init(&b);
		xbuf_puts(&b, "[");
		xbuf_put_escaped(&b, cases[i].in);
		xbuf_puts(&b, "]");
		assert_false(b.oom);
		assert_int_equal(b.len, strlen(cases[i].out) + 2);
		assert_memory_equal(b.data + 1, cases[i].out, strlen(cases[i].out));
		assert_int_equal(b.data[b.len - 1], ']');
		xbuf_free(&b);
	}
}

static void
test_element(void **state)
{
	struct xbuf b;

	(void) state;
	xbuf_init(&b);
	xbuf_element(&b, "t", NULL);
	assert_xbuf(&b, "<t/>");
	xbuf_reset(&b);
	xbuf_element(&b, "t", "");
	assert_xbuf(&b, "<t/>");
	xbuf_reset(&b);
	xbuf_element(&b, "name", "a<b & 'c'");
	assert_xbuf(&b, "<name>a&lt;b &amp; &apos;c&apos;</name>");
	xbuf_reset(&b);
	/* elements append */
	xbuf_element(&b, "a", "1");
	xbuf_element(&b, "b", NULL);
	assert_xbuf(&b, "<a>1</a><b/>");
	xbuf_free(&b);
}

static void
test_put_json(void **state)
{
	struct xbuf b;

	(void) state;
	xbuf_init(&b);
	xbuf_put_json(&b, "");
	assert_xbuf(&b, "\"\"");
	xbuf_reset(&b);
	xbuf_put_json(&b, "a\"b\\c\n\x01\x7f caf\xc3\xa9");
	assert_xbuf(&b, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f caf\xc3\xa9\"");
	xbuf_free(&b);
}

static void
test_put_and_printf_append(void **state)
{
	struct xbuf b;

	(void) state;
	xbuf_init(&b);
	assert_int_equal(b.len, 0);
	xbuf_put(&b, "abcdef", 3); /* only n bytes */
	xbuf_puts(&b, "-");
	xbuf_printf(&b, "%d:%s", 42, "x");
	xbuf_printf(&b, "%s", ""); /* an empty append changes nothing */
	xbuf_printf(&b, "%c", '!');
	assert_xbuf(&b, "abc-42:x!");
	xbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

/* A single printf larger than the first allocation must grow the buffer. */
static void
test_printf_larger_than_initial_capacity(void **state)
{
	struct xbuf b;
	char *big = malloc(100001);

	(void) state;
	assert_non_null(big);
	memset(big, 'p', 100000);
	big[100000] = '\0';
	xbuf_init(&b);
	xbuf_puts(&b, "<");
	xbuf_printf(&b, "%s>", big);
	assert_false(b.oom);
	assert_int_equal(b.len, 100002);
	assert_int_equal(b.data[0], '<');
	assert_memory_equal(b.data + 1, big, 100000);
	assert_string_equal(b.data + 100001, ">");
	xbuf_free(&b);
	free(big);
}

/* Many small appends past 1 MB, then reset and reuse. */
static void
test_growth_past_1mb_and_reset(void **state)
{
	struct xbuf b;
	const size_t total = 3u << 20;
	char chunk[1000];

	(void) state;
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char) ('a' + i % 26);
	xbuf_init(&b);
	while (b.len + sizeof(chunk) <= total)
		xbuf_put(&b, chunk, sizeof(chunk));
	assert_false(b.oom);
	assert_true(b.len > (1u << 20));
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	for (size_t off = 0; off < b.len; off += sizeof(chunk))
		if (memcmp(b.data + off, chunk, sizeof(chunk)) != 0)
			fail_msg("content differs at offset %zu", off);

	/* a huge buffer is given back on reset... */
	xbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_false(b.oom);
	assert_true(b.cap <= (1u << 20));
	/* ...and the buffer works as new */
	xbuf_element(&b, "x", "&");
	assert_xbuf(&b, "<x>&amp;</x>");
	xbuf_free(&b);
}

/* A small buffer keeps its memory across reset (one per worker, reused). */
static void
test_reset_keeps_small_buffer(void **state)
{
	struct xbuf b;
	char *data;
	size_t cap;

	(void) state;
	xbuf_init(&b);
	xbuf_puts(&b, "hello");
	data = b.data;
	cap = b.cap;
	xbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	xbuf_puts(&b, "again");
	assert_xbuf(&b, "again");
	xbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_element),
		cmocka_unit_test(test_put_json),
		cmocka_unit_test(test_put_and_printf_append),
		cmocka_unit_test(test_printf_larger_than_initial_capacity),
		cmocka_unit_test(test_growth_past_1mb_and_reset),
		cmocka_unit_test(test_reset_keeps_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
