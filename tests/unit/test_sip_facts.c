/*
 * test_sip_facts.c: the registrar's memory of phone facts (sip_facts.c):
 * what is put is got back whole, per user, and one phone's users share
 * it; when full, a new user takes a neighbour's place and is never
 * answered with another's facts; dropped facts are gone; nothing is
 * remembered while off, and facts read before a reset are not remembered
 * after it; users too long are never remembered.
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

static struct sip_facts *
memory_on(size_t max)
{
	struct sip_facts *f = sip_facts_new(max);

	assert_non_null(f);
	sip_facts_reset(f, true);
	return f;
}

static void
put1(struct sip_facts *f, const char *user, const struct sip_phone *ph)
{
	sip_facts_put(f, sip_facts_era(f), &user, 1, ph);
}

static void
test_put_then_get(void **state)
{
	struct sip_facts *f = memory_on(64);
	struct sip_phone a = phone("SEP000000000001", "0123"), b = phone("SEP0000000000B2", "4567");
	struct sip_phone out;

	(void) state;
	assert_false(sip_facts_get(f, "SEP000000000001", &out));
	put1(f, "SEP000000000001", &a);
	put1(f, "bob", &b);
	assert_true(sip_facts_get(f, "SEP000000000001", &out));
	assert_memory_equal(&out, &a, sizeof(a));
	assert_true(sip_facts_get(f, "bob", &out));
	assert_memory_equal(&out, &b, sizeof(b));
	assert_false(sip_facts_get(f, "SEP000000000002", &out));
	/* put again: the newer facts */
	put1(f, "bob", &a);
	assert_true(sip_facts_get(f, "bob", &out));
	assert_string_equal(out.facts, "0123");
	assert_int_equal(sip_facts_count(f), 2);
	sip_facts_free(f);
}

/* A phone's name and userid share its facts; either outlives the other. */
static void
test_two_users_one_phone(void **state)
{
	struct sip_facts *f = memory_on(8);
	struct sip_phone a = phone("SEPA", "aaaa"), out;
	const char *users[2] = { "SEPA", "alice" }, *only_name[2] = { "SEPB", "" };

	(void) state;
	sip_facts_put(f, sip_facts_era(f), users, 2, &a);
	assert_int_equal(sip_facts_count(f), 2);
	sip_facts_drop(f, "SEPA");
	assert_false(sip_facts_get(f, "SEPA", &out));
	assert_true(sip_facts_get(f, "alice", &out));
	assert_string_equal(out.name, "SEPA");
	sip_facts_put(f, sip_facts_era(f), only_name, 2, &a); /* "" is no user */
	assert_int_equal(sip_facts_count(f), 2);
	sip_facts_free(f);
}

/* Full: a new user replaces one that hashes alike, or is not remembered;
 * either way no user is answered with another's facts. */
static void
test_full(void **state)
{
	struct sip_facts *f = memory_on(4);
	struct sip_phone ph[16], out;
	char user[16][16];

	(void) state;
	for (int i = 0; i < 16; i++) {
		snprintf(user[i], sizeof(user[i]), "u%d", i);
		ph[i] = phone(user[i], user[i]);
		put1(f, user[i], &ph[i]);
		assert_true(sip_facts_count(f) <= 4);
	}
	for (int i = 0; i < 16; i++)
		if (sip_facts_get(f, user[i], &out))
			assert_string_equal(out.name, user[i]);
	assert_int_equal(sip_facts_count(f), 4);
	sip_facts_free(f);
}

static void
test_drop(void **state)
{
	struct sip_facts *f = memory_on(8);
	struct sip_phone a = phone("a", "aaaa"), out;

	(void) state;
	put1(f, "a", &a);
	sip_facts_drop(f, "b"); /* not there: nothing else goes */
	assert_true(sip_facts_get(f, "a", &out));
	sip_facts_drop(f, "a");
	assert_false(sip_facts_get(f, "a", &out));
	sip_facts_drop(f, "a");
	assert_int_equal(sip_facts_count(f), 0);
	sip_facts_free(f);
}

/* Off (new, or reset off): nothing is remembered.  A reset forgets all,
 * and facts read before it (an older era) are not remembered. */
static void
test_reset_and_era(void **state)
{
	struct sip_facts *f = sip_facts_new(8);
	struct sip_phone a = phone("a", "aaaa"), b = phone("b", "bbbb"), out;
	unsigned long before;

	(void) state;
	put1(f, "a", &a);
	assert_false(sip_facts_get(f, "a", &out));
	sip_facts_reset(f, true);
	put1(f, "a", &a);
	assert_true(sip_facts_get(f, "a", &out));
	before = sip_facts_era(f);
	sip_facts_reset(f, true); /* the facts changed while b's were read */
	assert_false(sip_facts_get(f, "a", &out));
	sip_facts_put(f, before, (const char *const[]) { "b" }, 1, &b);
	assert_false(sip_facts_get(f, "b", &out));
	put1(f, "b", &b);
	assert_true(sip_facts_get(f, "b", &out));
	sip_facts_reset(f, false);
	assert_false(sip_facts_get(f, "b", &out));
	put1(f, "b", &b);
	assert_false(sip_facts_get(f, "b", &out));
	sip_facts_free(f);
}

static void
test_limits(void **state)
{
	struct sip_phone a = phone("a", "aaaa"), out;
	struct sip_facts *f = memory_on(8);
	char longuser[200];

	(void) state;
	memset(longuser, 'x', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = '\0';
	put1(f, longuser, &a);
	assert_false(sip_facts_get(f, longuser, &out));
	assert_false(sip_facts_get(NULL, "a", &out));
	put1(NULL, "a", &a); /* no memory: nothing remembered, no crash */
	sip_facts_drop(NULL, "a");
	sip_facts_reset(NULL, true);
	assert_int_equal(sip_facts_count(NULL), 0);
	assert_null(sip_facts_new(0));
	sip_facts_free(NULL);
	sip_facts_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_then_get),  cmocka_unit_test(test_two_users_one_phone),
		cmocka_unit_test(test_full),          cmocka_unit_test(test_drop),
		cmocka_unit_test(test_reset_and_era), cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
