/*
 * testutil.h: helpers shared by the cmocka unit tests: the cmocka includes,
 * a small phone model capability table with its group fixture, a builder
 * for a profile that profile_finish() accepts, fault assertions and a
 * stderr capture.  Everything is `static inline` so each test binary builds
 * under -Wmissing-prototypes -Werror without "unused" warnings for the
 * helpers it does not call.
 */
#ifndef AXLPROV_TESTUTIL_H
#define AXLPROV_TESTUTIL_H

/* cmocka needs these before its own header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "models.h"
#include "profile.h"
#include "profile_fields.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* --- phone models ------------------------------------------------------ */

/* Model names used by the tests (rows of test_model_rows()). */
#define M_SIP_SECURE "Cisco 8845"                               /* SIP only, secure, Cisco */
#define M_BOTH_SECURE "Cisco 7965"                              /* SIP + SCCP, secure, Cisco */
#define M_SCCP_ONLY "Cisco 7921"                                /* SCCP only, secure, Cisco */
#define M_THIRD_PARTY "Third-party SIP Device (Basic)"          /* SIP, not secure, not Cisco */
#define M_NOT_SECURE "Cisco 3905"                               /* SIP, not secure, Cisco */
#define M_SOFT_CLIENT "Cisco Unified Client Services Framework" /* SIP, secure, no MIC, free name */
#define M_UNIVERSAL "Universal Device Template"                 /* model independent */
#define M_SINCE_150 "Cisco 8875"                                /* first listed in AXL 15.0 */

/* The rows mirror db/migrations/0002_phone_models.sql for these models.  The
 * array lives inside a function: a static const array in a header would be
 * an unused variable in the test files that do not need it. */
static inline const struct model_caps *
test_model_rows(size_t *n)
{
	static const struct model_caps rows[] = {
		/* name, sip, sccp, secure, cisco, model_independent, since, sep_name, mic */
		{ M_SIP_SECURE, true, false, true, true, false, 110, true, true },
		{ M_BOTH_SECURE, true, true, true, true, false, 110, true, true },
		{ M_SCCP_ONLY, false, true, true, true, false, 110, true, true },
		{ M_THIRD_PARTY, true, false, false, false, false, 110, false, false },
		{ M_NOT_SECURE, true, false, false, true, false, 110, true, false },
		{ M_UNIVERSAL, true, false, true, true, true, 110, false, false },
		{ M_SINCE_150, true, false, true, true, false, 150, true, true },
		{ M_SOFT_CLIENT, true, false, true, true, false, 110, false, false },
	};

	*n = NELEM(rows);
	return rows;
}

/* Group fixture: load the model table before the tests, free it after. */
static inline int
models_setup(void **state)
{
	size_t n;
	const struct model_caps *rows = test_model_rows(&n);

	(void) state;
	return models_load(rows, n) ? 0 : -1;
}

static inline int
models_teardown(void **state)
{
	(void) state;
	models_free();
	return 0;
}

/* --- assertions -------------------------------------------------------- */

/* Fails with the error text when a call that should succeed did not. */
#define assert_ok(call, err) \
	do { \
		if (!(call)) \
			fail_msg("%s failed: code %d field \"%s\": %s", #call, (int) (err)->code, \
				 (err)->field, (err)->msg); \
	} while (0)

/* The call failed with this code and named this element.  A macro so the
 * failure points at the caller's line. */
#define assert_fault(ok, err, want_code, want_field) \
	assert_fault_at((ok), (err), (want_code), (want_field), __FILE__, __LINE__)

static inline void
assert_fault_at(bool ok, const struct app_err *err, enum app_errcode code, const char *field,
		const char *file, int line)
{
	if (ok)
		fail_msg("%s:%d: expected a fault (code %d, field \"%s\"), got success", file, line,
			 (int) code, field);
	if (err->code != code || strcmp(err->field, field) != 0)
		fail_msg("%s:%d: expected code %d field \"%s\", got code %d field \"%s\": %s", file,
			 line, (int) code, field, (int) err->code, err->field, err->msg);
}

/* --- profiles ---------------------------------------------------------- */

/* What an add request leaves after its profile_set() calls: the defaults
 * plus phoneType, protocol and name.  profile_finish() accepts it for every
 * model/protocol pair the model supports. */
static inline void
profile_build(struct profile *p, const char *phone_type, const char *protocol)
{
	struct app_err err = { 0 };

	profile_defaults(p);
	assert_ok(profile_set(p, PF_PHONE_TYPE, phone_type, &err), &err);
	assert_ok(profile_set(p, PF_PROTOCOL, protocol, &err), &err);
	assert_ok(profile_set(p, PF_NAME, "Test Profile", &err), &err);
}

/* The plainest valid profile: a Cisco 8845 running SIP. */
static inline void
valid_profile(struct profile *p)
{
	profile_build(p, M_SIP_SECURE, "SIP");
}

/* --- stderr capture ---------------------------------------------------- */

/* log.c writes straight to fd 2, so capture swaps the descriptor itself.
 * Assert only after capture_end(): cmocka reports failures on stderr. */
struct capture {
	FILE *file;
	int saved_fd;
};

static inline void
capture_begin(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	assert_non_null(c->file);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written (malloc'd, NUL-terminated). */
static inline char *
capture_end(struct capture *c)
{
	long size;
	char *text;

	fflush(stderr);
	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	assert_int_equal(fseek(c->file, 0, SEEK_END), 0);
	size = ftell(c->file);
	assert_true(size >= 0);
	rewind(c->file);
	text = malloc((size_t) size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t) size, c->file), (size_t) size);
	text[size] = '\0';
	fclose(c->file);
	return text;
}

#endif
