/*
 * test_xmlguard.c: the byte-level guard in front of gSOAP (xmlguard.c):
 * DTD declarations, nesting depth and UTF-8, fed whole and split at every
 * byte boundary (reads arrive in arbitrary pieces).
 */
#include "testutil.h"

#include "xmlguard.h"

/* Feeds s in pieces of `step` bytes (0 = all at once). */
static enum xmlguard_result
feed(const char *s, unsigned depth, size_t step)
{
	struct xmlguard g;
	size_t n = strlen(s);
	enum xmlguard_result r = XMLGUARD_OK;

	xmlguard_init(&g, depth);
	if (step == 0)
		return xmlguard_feed(&g, s, n);
	for (size_t i = 0; i < n && r == XMLGUARD_OK; i += step)
		r = xmlguard_feed(&g, s + i, n - i < step ? n - i : step);
	return r;
}

static void
expect(const char *s, unsigned depth, enum xmlguard_result want)
{
	for (size_t step = 0; step <= 5; step++)
		if (feed(s, depth, step) != want)
			fail_msg("guard(\"%s\", depth %u, step %zu) = %d, want %d", s, depth, step,
				 feed(s, depth, step), want);
}

#define ENV "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"

static void
test_normal_requests_pass(void **state)
{
	(void) state;
	expect("<?xml version='1.0' encoding='UTF-8'?>" ENV "<soapenv:Body><a x=\"1/>\" y='<'>"
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80</a><b/><!-- c <d> -- -->"
	       "<![CDATA[ <e> ]] ]]></soapenv:Body></soapenv:Envelope>",
	       4, XMLGUARD_OK);
}

static void
test_declarations_refused(void **state)
{
	(void) state;
	expect("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", 8, XMLGUARD_DTD);
	expect("<x><!ENTITY a \"b\"></x>", 8, XMLGUARD_DTD);
	expect("<?xml version='1.0'?><!doctype x><x/>", 8, XMLGUARD_DTD);
	expect("<x><!ELEMENT y ANY></x>", 8, XMLGUARD_DTD);
	expect("<x><!-x></x>", 8, XMLGUARD_DTD);
	/* inside a comment, CDATA or an attribute it is only text */
	expect("<x><!-- <!DOCTYPE --></x>", 8, XMLGUARD_OK);
	expect("<x><![CDATA[<!DOCTYPE]]></x>", 8, XMLGUARD_OK);
	expect("<x a=\"<!DOCTYPE\"/>", 8, XMLGUARD_OK);
}

static void
test_depth(void **state)
{
	char buf[4096] = "";

	(void) state;
	expect("<a><b><c/></b></a>", 3, XMLGUARD_OK); /* <c/> is one level, and closes itself */
	expect("<a><b><c/></b></a>", 2, XMLGUARD_TOO_DEEP);
	expect("<a><b><c></c></b></a>", 2, XMLGUARD_TOO_DEEP);
	expect("<a><b/><b/><b/><b/></a>", 2, XMLGUARD_OK); /* siblings do not add up */
	expect("<a></a><a></a><a></a>", 1, XMLGUARD_OK);
	for (int i = 0; i < 65; i++)
		strcat(buf, "<n>");
	expect(buf, 64, XMLGUARD_TOO_DEEP);
	buf[strlen(buf) - 3] = '\0';
	expect(buf, 64, XMLGUARD_OK);
}

static void
test_utf8(void **state)
{
	(void) state;
	expect("<a>\xff\xfe</a>", 8, XMLGUARD_BAD_UTF8);
	expect("<a>\xc3</a>", 8, XMLGUARD_BAD_UTF8);         /* truncated */
	expect("<a>\xc0\xaf</a>", 8, XMLGUARD_BAD_UTF8);     /* overlong */
	expect("<a>\xed\xa0\x80</a>", 8, XMLGUARD_BAD_UTF8); /* surrogate */
	expect("<a>\xf4\x90\x80\x80</a>", 8, XMLGUARD_BAD_UTF8);
	expect("<a>\xf0\x9f\x98\x80\xc3\xa9</a>", 8, XMLGUARD_OK);
}

static void
test_result_is_sticky(void **state)
{
	struct xmlguard g;

	(void) state;
	xmlguard_init(&g, 8);
	assert_int_equal(xmlguard_feed(&g, "<!DOCTYPE", 9), XMLGUARD_DTD);
	assert_int_equal(xmlguard_feed(&g, "<ok/>", 5), XMLGUARD_DTD);
	assert_string_not_equal(xmlguard_message(XMLGUARD_DTD), xmlguard_message(XMLGUARD_OK));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_requests_pass),
		cmocka_unit_test(test_declarations_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_result_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
