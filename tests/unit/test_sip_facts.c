/*
 * test_sip_facts.c: the registrar's memory of phone facts (sip_facts.c):
 * what is put is got back whole, per user; a user whose slot another took
 * is forgotten, never answered with the other's facts; dropped facts are
 * gone; users too long for a slot are never remembered.
 */
#include "testutil.h"

#include "sip_facts.h"

static struct sip_phone
phone(const char *name, const char *facts)
{
	struct sip_phone ph = { .digest = true, .nonce_validity = 600 };

	snprintf(ph.name, sizeof(ph.name), "%s", name);
	snprintf(ph.facts, sizeof(ph.facts), "%s", facts);
	snprintf(ph.digest_user, sizeof(ph.digest_user), "user-%s", name);
	return ph;
}

static void
test_put_then_get(void **state)
{
	struct sip_facts *f = sip_facts_new(64);
	struct sip_phone a = phone("SEP000000000001", "0123"), b = phone("SEP0000000000B2", "4567");
	struct sip_phone out;

	(void) state;
	assert_non_null(f);
	assert_false(sip_facts_get(f, "SEP000000000001", &out));
	sip_facts_put(f, "SEP000000000001", &a);
	sip_facts_put(f, "bob", &b);
	assert_true(sip_facts_get(f, "SEP000000000001", &out));
	assert_memory_equal(&out, &a, sizeof(a));
	assert_true(sip_facts_get(f, "bob", &out));
	assert_string_equal(out.facts, "4567");
	assert_false(sip_facts_get(f, "SEP000000000002", &out));
	/* a newer put for the same user replaces the facts */
	sip_facts_put(f, "bob", &a);
	assert_true(sip_facts_get(f, "bob", &out));
	assert_string_equal(out.facts, "0123");
	sip_facts_free(f);
}

/* One slot: every user takes it from the last; a user asks for its own. */
static void
test_a_taken_slot_forgets(void **state)
{
	struct sip_facts *f = sip_facts_new(1);
	struct sip_phone a = phone("a", "aaaa"), b = phone("b", "bbbb"), out;

	(void) state;
	sip_facts_put(f, "a", &a);
	sip_facts_put(f, "b", &b);
	assert_false(sip_facts_get(f, "a", &out));
	assert_true(sip_facts_get(f, "b", &out));
	assert_string_equal(out.name, "b");
	sip_facts_free(f);
}

static void
test_drop(void **state)
{
	struct sip_facts *f = sip_facts_new(8);
	struct sip_phone a = phone("a", "aaaa"), out;

	(void) state;
	sip_facts_put(f, "a", &a);
	sip_facts_drop(f, "b"); /* not there: nothing else goes */
	assert_true(sip_facts_get(f, "a", &out));
	sip_facts_drop(f, "a");
	assert_false(sip_facts_get(f, "a", &out));
	sip_facts_drop(f, "a");
	sip_facts_free(f);
}

static void
test_limits(void **state)
{
	struct sip_phone a = phone("a", "aaaa"), out;
	struct sip_facts *f = sip_facts_new(8);
	char longuser[200];

	(void) state;
	memset(longuser, 'x', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = '\0';
	sip_facts_put(f, longuser, &a);
	assert_false(sip_facts_get(f, longuser, &out));
	assert_false(sip_facts_get(NULL, "a", &out));
	sip_facts_put(NULL, "a", &a); /* no memory: nothing remembered, no crash */
	sip_facts_drop(NULL, "a");
	assert_null(sip_facts_new(0));
	sip_facts_free(NULL);
	sip_facts_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_then_get),
		cmocka_unit_test(test_a_taken_slot_forgets),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
