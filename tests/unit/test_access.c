/*
 * test_access.c: the operation table and role rule (ops.c), the failed-login back-off
 * (backoff.c) and the audit's changes JSON (audit.c).
 */
#include "testutil.h"

#include "ops.h"
#include "audit.h"
#include "backoff.h"

static void
test_writes_need_full_role(void **state)
{
	static const char *const writes[] = {
		"addPhoneSecurityProfile",
		"updatePhoneSecurityProfile",
		"removePhoneSecurityProfile",
		"applyPhoneSecurityProfile",
		"resetPhoneSecurityProfile",
		"addPhone",
		"updatePhone",
		"removePhone",
		"applyPhone",
		"resetPhone",
		"restartPhone",
		"addUser",
		"updateUser",
		"removeUser",
		"doDeviceReset",
		"executeSQLUpdate",
	};
	static const char *const reads[] = {
		"getPhoneSecurityProfile",
		"listPhoneSecurityProfile",
		"getPhone",
		"listPhone",
		"getUser",
		"getCCMVersion",
		"listRegistrationDynamic",
		"executeSQLQuery",
		"executeSQLQueryInactive",
		"doSomethingUnknown",
		"",
	};

	(void) state;
	for (size_t i = 0; i < NELEM(writes); i++) {
		assert_true(axl_op_is_write(writes[i]));
		assert_true(access_allowed("full", writes[i]));
		assert_false(access_allowed("read-only", writes[i]));
		assert_false(access_allowed("", writes[i]));
	}
	for (size_t i = 0; i < NELEM(reads); i++) {
		assert_false(axl_op_is_write(reads[i]));
		assert_true(access_allowed("read-only", reads[i]));
	}
	assert_false(axl_op_is_write(NULL));
	/* The table: every operation found by its name, with its kind. */
	assert_int_equal(axl_op_count(), OP__COUNT);
	assert_true(axl_op_count() >= 25);
	for (int i = 0; i < axl_op_count(); i++)
		assert_int_equal(axl_op_find(axl_op_name(i)), i);
	assert_string_equal(axl_op_name(OP_REMOVE_USER), "removeUser");
	assert_string_equal(axl_op_name(-1), "other");
	assert_int_equal(axl_op_kind(OP_LIST_PROFILE), OBJ_PROFILE);
	assert_int_equal(axl_op_kind(OP_RESTART_PHONE), OBJ_PHONE);
	assert_int_equal(axl_op_kind(OP_GET_USER), OBJ_USER);
	assert_int_equal(axl_op_kind(OP_DEVICE_RESET), OBJ_PHONE);
	assert_int_equal(axl_op_kind(OP_GET_CCM_VERSION), OBJ_NONE);
	assert_false(axl_op_is_write("addphone")); /* names are case-sensitive */
}

static void
test_backoff_grows_caps_and_clears(void **state)
{
	static struct backoff b;

	(void) state;
	backoff_init(&b, 3, 300, 8);
	backoff_failure(&b, "10.0.0.1", 100);
	backoff_failure(&b, "10.0.0.1", 101);
	assert_true(backoff_wait(&b, "10.0.0.1", 101) == 0);
	backoff_failure(&b, "10.0.0.1", 102); /* the third: 1 s */
	assert_true(backoff_wait(&b, "10.0.0.1", 102) == 1);
	assert_true(backoff_wait(&b, "10.0.0.2", 102) == 0); /* other addresses unaffected */
	assert_true(backoff_wait(&b, "10.0.0.1", 103) == 0);
	backoff_failure(&b, "10.0.0.1", 103); /* 2 s */
	assert_true(backoff_wait(&b, "10.0.0.1", 103) == 2);
	backoff_failure(&b, "10.0.0.1", 105); /* 4 s */
	assert_true(backoff_wait(&b, "10.0.0.1", 105) == 4);
	backoff_failure(&b, "10.0.0.1", 109); /* 8 s */
	backoff_failure(&b, "10.0.0.1", 117); /* 16 s, capped at 8 */
	assert_true(backoff_wait(&b, "10.0.0.1", 117) == 8);
	backoff_success(&b, "10.0.0.1");
	assert_int_equal(atomic_load(&b.used), 0);
	assert_true(backoff_wait(&b, "10.0.0.1", 117) == 0);
	backoff_failure(&b, "10.0.0.1", 118); /* counting starts over */
	assert_true(backoff_wait(&b, "10.0.0.1", 118) == 0);
	backoff_destroy(&b);
}

static int
occupied(const struct backoff *b)
{
	int n = 0;

	for (int i = 0; i < BACKOFF_SLOTS; i++)
		n += b->slot[i].failures > 0;
	return n;
}

static void
test_backoff_forgets_after_window_and_is_bounded(void **state)
{
	static struct backoff b;
	char addr[32];

	(void) state;
	backoff_init(&b, 2, 60, 60);
	backoff_failure(&b, "10.0.0.1", 0);
	backoff_failure(&b, "10.0.0.1", 200); /* the first is forgotten: one failure */
	assert_true(backoff_wait(&b, "10.0.0.1", 200) == 0);
	/* More addresses than slots: the table stays bounded and the newest
	 * address is still tracked. */
	for (int i = 0; i < 2 * BACKOFF_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		backoff_failure(&b, addr, 300 + i);
		backoff_failure(&b, addr, 300 + i);
	}
	assert_true(backoff_wait(&b, addr, 300 + 2 * BACKOFF_SLOTS - 1) > 0);
	/* The lock-free "anyone failing?" count matches the table. */
	assert_int_equal(atomic_load(&b.used), occupied(&b));
	backoff_success(&b, addr);
	assert_int_equal(atomic_load(&b.used), occupied(&b));
	backoff_destroy(&b);

	backoff_init(&b, 0, 60, 60); /* off */
	for (int i = 0; i < 10; i++)
		backoff_failure(&b, "10.0.0.1", i);
	assert_true(backoff_wait(&b, "10.0.0.1", 10) == 0);
	backoff_destroy(&b);
}

static void
test_backoff_address_drops_the_port(void **state)
{
	char out[BACKOFF_ADDR_MAX];

	(void) state;
	backoff_address("127.0.0.1:54321", out);
	assert_string_equal(out, "127.0.0.1");
	backoff_address("::1:443", out);
	assert_string_equal(out, "::1");
	backoff_address("host", out);
	assert_string_equal(out, "host");
}

static void
test_changes_json(void **state)
{
	struct xbuf b;

	(void) state;
	xbuf_init(&b);
	audit_changes_begin(&b);
	audit_changes_end(&b);
	assert_string_equal(b.data, "{}");
	audit_changes_begin(&b);
	audit_change(&b, "description", "say \"hi\"\\\n");
	audit_change_secret(&b, "digestCredentials");
	audit_change(&b, "firstName", NULL);
	audit_changes_end(&b);
	assert_string_equal(b.data, "{\"description\": \"say \\\"hi\\\"\\\\\\u000a\", "
				    "\"digestCredentials\": \"(redacted)\", \"firstName\": \"\"}");
	xbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_need_full_role),
		cmocka_unit_test(test_backoff_grows_caps_and_clears),
		cmocka_unit_test(test_backoff_forgets_after_window_and_is_bounded),
		cmocka_unit_test(test_backoff_address_drops_the_port),
		cmocka_unit_test(test_changes_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
