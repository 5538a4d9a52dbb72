/*
 * test_phone.c: the phone rules of phone.c: device names per model, add
 * checks and defaults, rule 1 (profile fits model and protocol), rule 5
 * (secure profiles need a certificate) and rule 4 (CAPF changes and the
 * deterministic name of the profile they create).
 */
#include "testutil.h"

#include "phone.h"

static struct phone *
new_phone(const char *name, const char *product, const char *protocol)
{
	static struct phone p;
	struct app_err err = { 0 };

	phone_defaults(&p);
	assert_true(phone_set(&p, PH_NAME, name, NULL, &err));
	assert_true(phone_set(&p, PH_PRODUCT, product, NULL, &err));
	assert_true(phone_set(&p, PH_PROTOCOL, protocol, NULL, &err));
	return &p;
}

static void
test_names(void **state)
{
	static const struct {
		const char *model, *name;
		bool ok;
		const char *stored;
	} cases[] = {
		{ M_SIP_SECURE, "SEP0011223344aa", true, "SEP0011223344AA" },
		{ M_SIP_SECURE, "sep0011223344AA", true, "SEP0011223344AA" },
		{ M_SIP_SECURE, "SEP0011223344A", false, NULL },   /* 11 digits */
		{ M_SIP_SECURE, "SEP0011223344AAB", false, NULL }, /* 13 */
		{ M_SIP_SECURE, "SEP00112233440G", false, NULL },  /* not hex */
		{ M_SIP_SECURE, "CSFJDOE", false, NULL },
		{ M_SOFT_CLIENT, "CSFJDOE", true, "CSFJDOE" },
		{ M_SOFT_CLIENT, "jdoe.home_1-2", true, "jdoe.home_1-2" },
		{ M_SOFT_CLIENT, "j doe", false, NULL },
		{ M_THIRD_PARTY, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true,
		  NULL }, /* 50 */
		{ M_THIRD_PARTY, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false,
		  NULL },
	};

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		char name[64];
		struct app_err err = { 0 };
		bool ok;

		snprintf(name, sizeof(name), "%s", cases[i].name);
		ok = phone_check_name("name", name, models_find(cases[i].model), &err);
		if (ok != cases[i].ok)
			fail_msg("name %s for %s: %d, want %d (%s)", cases[i].name, cases[i].model,
				 ok, cases[i].ok, err.msg);
		if (!ok)
			assert_fault(ok, &err, APP_E_INVALID_VALUE, "name");
		else if (cases[i].stored != NULL)
			assert_string_equal(name, cases[i].stored);
	}
}

static void
test_add_checks_and_defaults(void **state)
{
	struct phone *p;
	const struct model_caps *m = NULL;
	struct app_err err = { 0 };

	(void) state;
	p = new_phone("SEP0011223344AA", "cisco 8845", "SIP");
	assert_true(phone_check_add(p, 140, &m, &err));
	assert_string_equal(p->v[PH_PRODUCT], M_SIP_SECURE);
	assert_string_equal(p->v[PH_MODEL], M_SIP_SECURE);
	assert_string_equal(p->v[PH_TEMPLATE], "Standard 8845 SIP");
	assert_string_equal(p->v[PH_SIP_PROFILE], "Standard SIP Profile");
	assert_string_equal(p->v[PH_DEVICE_POOL], "Default");
	assert_string_equal(p->v[PH_CERT_OP], "No Pending Operation");

	p = new_phone("SEP0011223344AA", M_BOTH_SECURE, "SCCP");
	assert_true(phone_check_add(p, 140, &m, &err));
	assert_string_equal(p->v[PH_SIP_PROFILE], "");
	assert_string_equal(p->v[PH_TEMPLATE], "Standard 7965 SCCP");

	p = new_phone("SEP0011223344AA", M_SIP_SECURE, "SCCP");
	assert_fault(phone_check_add(p, 140, &m, &err), &err, APP_E_INVALID_VALUE, "protocol");
	p = new_phone("SEP0011223344AA", M_UNIVERSAL, "SIP");
	assert_fault(phone_check_add(p, 140, &m, &err), &err, APP_E_INVALID_VALUE, "product");
	p = new_phone("SEP0011223344AA", M_SINCE_150, "SIP");
	assert_fault(phone_check_add(p, 140, &m, &err), &err, APP_E_INVALID_VALUE, "product");
	p = new_phone("SEP0011223344AA", M_SINCE_150, "SIP");
	assert_true(phone_check_add(p, 150, &m, &err));
	p = new_phone("SEP0011223344AA", "", "SIP");
	assert_fault(phone_check_add(p, 140, &m, &err), &err, APP_E_MISSING_FIELD, "product");
	p = new_phone("SEP0011223344AA", M_SIP_SECURE, "SIP");
	assert_fault(phone_set(p, PH_CLASS, "Gateway", NULL, &err), &err, APP_E_INVALID_VALUE,
		     "class");
	assert_fault(phone_set(p, PH_KEY_SIZE, "999", NULL, &err), &err, APP_E_INVALID_VALUE,
		     "keySize");
	assert_fault(phone_set(p, PH_DEVICE_POOL, "x", "not-a-uuid", &err), &err,
		     APP_E_INVALID_VALUE, "devicePoolName");
}

static struct profile
profile_of(const char *type, const char *protocol, const char *mode)
{
	struct profile p;
	struct app_err err = { 0 };

	profile_build(&p, type, protocol);

	assert_true(profile_set(&p, PF_SECURITY_MODE, mode, &err));
	assert_true(profile_finish(&p, NULL, 150, &err));
	return p;
}

static void
test_profile_fits(void **state)
{
	struct profile sip = profile_of(M_BOTH_SECURE, "SIP", "Non Secure");
	struct profile udt = profile_of(M_UNIVERSAL, "SIP", "Non Secure");
	struct app_err err = { 0 };

	(void) state;
	assert_true(phone_profile_fits(&sip, M_BOTH_SECURE, "SIP", &err));
	assert_true(phone_profile_fits(&udt, M_BOTH_SECURE, "SCCP", &err));
	assert_fault(phone_profile_fits(&sip, M_BOTH_SECURE, "SCCP", &err), &err,
		     APP_E_INVALID_VALUE, "securityProfileName");
	assert_string_equal(
		err.msg,
		"The specified Security Profile is not valid for this device type (model and protocol).");
	assert_false(phone_profile_fits(&sip, M_SIP_SECURE, "SIP", &err));
}

static void
test_certificates(void **state)
{
	struct profile open = profile_of(M_SOFT_CLIENT, "SIP", "Non Secure");
	struct profile secure = profile_of(M_SOFT_CLIENT, "SIP", "Encrypted");
	struct profile by_cert = open;
	struct app_err err = { 0 };
	const struct model_caps *soft = models_find(M_SOFT_CLIENT);

	(void) state;
	snprintf(by_cert.v[PF_AUTH_MODE], PF_VALUE_MAX,
		 "By Existing Certificate (precedence to MIC)");
	assert_false(profile_needs_certificate(&open));
	assert_true(profile_needs_certificate(&secure));
	assert_true(profile_needs_certificate(&by_cert));
	assert_false(profile_is_secure(&by_cert));
	assert_true(profile_is_secure(&secure));
	assert_string_equal(profile_security_shown(&secure), "Encrypted");
	assert_string_equal(profile_security_shown(&by_cert),
			    "By Existing Certificate (precedence to MIC)");
	assert_true(phone_has_certificate(models_find(M_SIP_SECURE), "None"));
	assert_false(phone_has_certificate(soft, "None"));
	assert_false(phone_has_certificate(soft, "Operation Pending"));
	assert_true(phone_has_certificate(soft, "Upgrade Success"));
	assert_true(phone_check_certificate("CSFX", soft, "None", &open, &err));
	assert_fault(phone_check_certificate("CSFX", soft, "None", &secure, &err), &err, APP_E_RULE,
		     "securityProfileName");
	assert_non_null(strstr(err.msg, "The phone CSFX has no certificate"));
	assert_non_null(strstr(err.msg, "install a certificate through CAPF"));
	assert_true(phone_check_certificate("CSFX", soft, "Upgrade Success", &secure, &err));
}

static void
test_capf(void **state)
{
	struct profile cur = profile_of(M_SIP_SECURE, "SIP", "Non Secure");
	struct profile target, again;
	struct phone *p = new_phone("SEP0011223344AA", M_SIP_SECURE, "SIP");
	struct app_err err = { 0 };
	char n1[PF_VALUE_MAX], n2[PF_VALUE_MAX];
	bool changed;

	(void) state;
	/* equal values: no change, whatever the operation */
	assert_true(phone_set(p, PH_KEY_SIZE, "2048", NULL, &err));
	assert_true(phone_capf_target(p, "No Pending Operation", &cur, &target, &changed, &err));
	assert_false(changed);
	/* a different value needs an operation */
	assert_true(phone_set(p, PH_KEY_SIZE, "4096", NULL, &err));
	assert_fault(phone_capf_target(p, "No Pending Operation", &cur, &target, &changed, &err),
		     &err, APP_E_INVALID_VALUE, "keySize");
	assert_true(phone_capf_target(p, "Install/Upgrade", &cur, &target, &changed, &err));
	assert_true(changed);
	assert_string_equal(target.v[PF_KEY_SIZE], "4096");
	assert_false(target.standard);
	assert_string_equal(target.v[PF_SECURITY_MODE], cur.v[PF_SECURITY_MODE]);
	/* the created profile's name depends on the settings only */
	phone_capf_profile_name(&target, n1, sizeof(n1));
	again = target;
	snprintf(again.v[PF_DESCRIPTION], PF_VALUE_MAX, "other");
	phone_capf_profile_name(&again, n2, sizeof(n2));
	assert_string_equal(n1, n2);
	assert_int_equal(strncmp(n1, "Cisco 8845 - SIP CAPF ", 22), 0);
	assert_int_equal(strlen(n1), 22 + 8);
	snprintf(again.v[PF_KEY_SIZE], PF_VALUE_MAX, "3072");
	phone_capf_profile_name(&again, n2, sizeof(n2));
	assert_string_not_equal(n1, n2);
	/* an EC key order gets its key size */
	assert_true(phone_set(p, PH_KEY_ORDER, "EC Only", NULL, &err));
	assert_true(phone_capf_target(p, "Delete", &cur, &target, &changed, &err));
	assert_string_equal(target.v[PF_EC_KEY_SIZE], "384");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),        cmocka_unit_test(test_add_checks_and_defaults),
		cmocka_unit_test(test_profile_fits), cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_capf),
	};

	return cmocka_run_group_tests(tests, models_setup, models_teardown);
}
