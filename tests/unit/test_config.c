/*
 * test_config.c: server settings (config.c): every default loads, each
 * setting can be given as --key value, --key=value (also --dashed-key),
 * AXLPROV_KEY and a config file line, with precedence file < env < command
 * line; bad values and unknown file keys are errors; unknown options stay
 * in argv; --help's reference lists every key, and so does the Markdown
 * reference (docs/settings.md), one row each with default, variable,
 * option and range; config_log masks passwords.  The expected table below
 * must name every key config_usage() and config_markdown() print.
 */
#include "testutil.h"

#include <ctype.h>

#include "config.h"

extern char **environ;

enum kind { STR, INT };

/* clang-format off */
static const struct {
	const char *key;
	enum kind kind;
	size_t off;
	const char *dflt;
	const char *other; /* a valid, non-default value */
	long min, max;     /* INT only */
} settings[] = {
#define SS(k, d, o) { #k, STR, offsetof(struct config, k), d, o, 0, 0 }
#define SI(k, d, o, lo, hi) { #k, INT, offsetof(struct config, k), d, o, lo, hi }
	SS(listen, "0.0.0.0:8443", "127.0.0.1:9443"),
	SS(plain_listen, "", "8080"),
	SS(database_url, "dbname=axlprov", "host=db dbname=other"),
	SS(tls_cert, "", "/etc/axlprov/cert.pem"),
	SS(tls_key, "", "/etc/axlprov/key.pem"),
	SS(tls_cert_ecdsa, "", "/etc/axlprov/ec-cert.pem"),
	SS(tls_key_ecdsa, "", "/etc/axlprov/ec-key.pem"),
	SS(tls_ciphers, "all-rsa", "strongest-ecdsa"),
	SI(workers, "16", "4", 1, 1024),
	SI(max_body, "8388608", "65536", 1024, 1073741824),
	SI(max_response, "8388608", "1048576", 65536, 1073741824),
	SI(max_depth, "64", "32", 8, 10000),
	SI(idle_timeout, "15", "5", 1, 3600),
	SI(request_timeout, "30", "60", 1, 3600),
	SI(auth_cache_ttl, "60", "0", 0, 86400),
	SS(log_level, "info", "debug"),
	SS(sip_listen, "0.0.0.0:5060", "127.0.0.1:5070"),
	SS(sip_tls_listen, "0.0.0.0:5061", ""),
	SS(sip_tls_cert, "", "/etc/axlprov/sip.pem"),
	SS(sip_tls_key, "", "/etc/axlprov/sip.key"),
	SS(sip_accept_mic, "off", "on"),
	SS(ccm_version, "14.0.1.13900-155", "15.0.1.10000-1"),
	SS(sip_node, "", "node-b"),
	SI(sip_t1, "500", "50", 10, 10000),
	SI(notify_attempts, "6", "2", 1, 100),
	SI(notify_retry, "5", "1", 1, 3600),
	SI(sip_db_threads, "6", "4", 1, 8),
	SI(sip_register_queue, "2048", "16", 1, 100000),
	SI(sip_register_wait, "2000", "500", 100, 60000),
	SI(sip_apply_register_rate, "100", "50", 0, 100000),
	SI(login_backoff_after, "5", "0", 0, 1000),
	SI(login_backoff_window, "300", "60", 1, 86400),
	SI(login_backoff_max, "60", "10", 1, 3600),
	SI(throttle_outbox_backlog, "1500", "10", 0, 1000000000),
	SI(throttle_writes_per_second, "0", "50", 0, 1000000),
	SS(capf_cert, "", "/var/lib/axlprov/capf/ca.crt"),
	SS(capf_key, "", "/var/lib/axlprov/capf/ca.key"),
	SI(capf_lsc_days, "1825", "365", 1, 36500),
	SS(mic_roots, "", "/etc/axlprov/mic-roots.pem"),
	SI(sql_query_timeout, "10", "2", 1, 3600),
	SS(sql_query_database_url, "", "host=db dbname=axlprov user=axlprov_sql"),
	SS(capf_listen, "0.0.0.0:3804", "127.0.0.1:13804"),
	SI(capf_rate_limit, "60", "5", 0, 1000000),
#undef SS
#undef SI
};
/* clang-format on */

/* --- helpers ----------------------------------------------------------- */

/* Removes every AXLPROV_* variable, so the tests see only what they set. */
static int
clear_env(void **state)
{
	char names[64][128];
	size_t n = 0;

	(void) state;
	for (char **e = environ; *e != NULL && n < NELEM(names); e++)
		if (strncmp(*e, "AXLPROV_", 8) == 0) {
			size_t len = strcspn(*e, "=");

			if (len < sizeof(names[0])) {
				memcpy(names[n], *e, len);
				names[n++][len] = '\0';
			}
		}
	for (size_t i = 0; i < n; i++)
		unsetenv(names[i]);
	return 0;
}

static void
env_name(char *buf, size_t size, const char *key)
{
	snprintf(buf, size, "AXLPROV_%s", key);
	for (char *p = buf; *p; p++)
		*p = (char) toupper((unsigned char) *p);
}

/* The setting's current value in cfg, as text. */
static void
value_of(const struct config *cfg, size_t i, char *buf, size_t size)
{
	const char *base = (const char *) cfg + settings[i].off;

	if (settings[i].kind == INT)
		snprintf(buf, size, "%ld", *(const long *) (const void *) base);
	else
		snprintf(buf, size, "%s", base);
}

static void
assert_setting(const struct config *cfg, size_t i, const char *want)
{
	char got[1024];

	value_of(cfg, i, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s = \"%s\", want \"%s\"", settings[i].key, got, want);
}

/* config_load() on a copy of a NULL-terminated argument list (program
 * name first): config_load() rewrites argv, and tests reuse their lists. */
static bool
load(struct config *cfg, struct app_err *err, char *const *args)
{
	char *argv[32];
	int argc = 0;

	for (; args[argc] != NULL; argc++) {
		assert_true(argc < (int) NELEM(argv) - 1);
		argv[argc] = args[argc];
	}
	argv[argc] = NULL;
	return config_load(cfg, &argc, argv, err);
}

/* Loads with the given arguments and fails the test on error. */
static void
load_ok(struct config *cfg, char *const *args)
{
	struct app_err err = { 0 };

	if (!load(cfg, &err, args))
		fail_msg("config_load failed: %s", err.msg);
}

/* Temporary config files of the running test, removed by its teardown
 * even when an assertion stops the test half-way. */
static char made[8][64];
static size_t nmade;

static int
remove_files(void **state)
{
	(void) state;
	for (size_t i = 0; i < nmade; i++)
		unlink(made[i]);
	nmade = 0;
	return 0;
}

/* A temporary config file with this content. */
static void
write_file(char path[64], const char *content)
{
	int fd;
	FILE *f;

	assert_true(nmade < NELEM(made));
	snprintf(path, 64, "/tmp/axlprov-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memcpy(made[nmade++], path, 64);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

/* The text a writer prints (malloc'd).  A tmpfile rather than
 * open_memstream: GCC 12 misreads the latter's pointer-to-local as dangling. */
static char *
text_of(void (*writer)(FILE *))
{
	FILE *f = tmpfile();
	char *text;
	long size;

	assert_non_null(f);
	writer(f);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	text = malloc((size_t) size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t) size, f), (size_t) size);
	text[size] = '\0';
	fclose(f);
	return text;
}

/* --- tests ------------------------------------------------------------- */

/* config_usage() prints each key as --dashed-key followed by its help and
 * default (wrapped to 79 columns), and no key this test does not know
 * about. */
static void
test_usage_lists_every_key(void **state)
{
	char *text = text_of(config_usage);
	size_t lines = 0;

	(void) state;
	for (size_t i = 0; i < NELEM(settings); i++) {
		char want[128];
		const char *at, *next, *dflt;

		snprintf(want, sizeof(want), "\n  --%s", settings[i].key);
		for (char *p = want + 5; *p; p++)
			if (*p == '_')
				*p = '-';
		at = strstr(text, want);
		if (at == NULL || (at[strlen(want)] != ' ' && at[strlen(want)] != '\n'))
			fail_msg("usage lacks %s:\n%s", want + 1, text);
		next = strstr(at + 1, "\n  --");
		snprintf(want, sizeof(want), "(default: \"%s\")\n", settings[i].dflt);
		dflt = strstr(at, want);
		if (dflt == NULL || (next != NULL && dflt > next))
			fail_msg("usage of %s lacks %s", settings[i].key, want);
	}
	for (const char *p = text; (p = strstr(p, "\n  --")) != NULL; p++)
		lines++;
	assert_int_equal(lines, NELEM(settings));
	for (const char *p = text; *p; p += strcspn(p, "\n"), p += *p == '\n')
		if (strcspn(p, "\n") > 79)
			fail_msg("usage line over 79 columns: %.*s", (int) strcspn(p, "\n"), p);
	assert_null(strchr(text, '`'));
	free(text);
}

/* config_markdown() writes one table row per key: `key`, `default` (or
 * "(empty)"), `AXLPROV_KEY`, `--dashed-key`, the help with the integer
 * range or the choices; "|" and "*" are escaped so the table holds. */
static void
test_markdown_lists_every_key(void **state)
{
	char *text = text_of(config_markdown);
	size_t rows = 0;

	(void) state;
	for (size_t i = 0; i < NELEM(settings); i++) {
		char want[256], env[64], opt[64];
		const char *row, *end;

		env_name(env, sizeof(env), settings[i].key);
		snprintf(opt, sizeof(opt), "--%s", settings[i].key);
		for (char *p = opt; *p; p++)
			if (*p == '_')
				*p = '-';
		if (settings[i].dflt[0] == '\0')
			snprintf(want, sizeof(want), "\n| `%s` | (empty) | `%s` | `%s` | ",
				 settings[i].key, env, opt);
		else
			snprintf(want, sizeof(want), "\n| `%s` | `%s` | `%s` | `%s` | ",
				 settings[i].key, settings[i].dflt, env, opt);
		row = strstr(text, want);
		if (row == NULL)
			fail_msg("markdown lacks the row %s", want + 1);
		end = strchr(row + 1, '\n');
		assert_non_null(end);
		assert_memory_equal(end - 2, " |", 2);
		if (settings[i].kind == INT) {
			snprintf(want, sizeof(want), "; from %ld to %ld |", settings[i].min,
				 settings[i].max);
			if (strstr(row, want) == NULL || strstr(row, want) > end)
				fail_msg("row of %s lacks %s", settings[i].key, want);
		}
		/* five cells: six unescaped bars */
		{
			size_t bars = 0;

			for (const char *p = row + 1; p < end; p++)
				bars += *p == '|' && p[-1] != '\\';
			assert_int_equal(bars, 6);
		}
	}
	for (const char *p = text; (p = strstr(p, "\n| `")) != NULL; p++)
		rows++;
	assert_int_equal(rows, NELEM(settings));
	assert_non_null(strstr(text, "`strongest-rsa`, `strongest-ecdsa`, `medium-rsa`, "
				     "`medium-ecdsa`, `all-rsa`, `all-ecdsa` |"));
	assert_non_null(strstr(text, "64\\*T1"));
	free(text);
}

static void
test_defaults(void **state)
{
	char *argv[] = { "axlprovd", NULL };
	struct config cfg;
	int argc = 1;
	struct app_err err = { 0 };

	(void) state;
	assert_ok(config_load(&cfg, &argc, argv, &err), &err);
	assert_int_equal(argc, 1);
	for (size_t i = 0; i < NELEM(settings); i++)
		assert_setting(&cfg, i, settings[i].dflt);
}

/* Every setting through every source; defaults, too, parse as input. */
static void
test_each_setting_from_each_source(void **state)
{
	(void) state;
	for (size_t i = 0; i < NELEM(settings); i++) {
		const char *values[] = { settings[i].other, settings[i].dflt };

		for (size_t v = 0; v < NELEM(values); v++) {
			struct config cfg;
			char opt[160], dashed[160], env[64], path[64], line[256];
			char *argv[4];

			/* --key value */
			snprintf(opt, sizeof(opt), "--%s", settings[i].key);
			argv[0] = "axlprovd", argv[1] = opt, argv[2] = (char *) values[v],
			argv[3] = NULL;
			load_ok(&cfg, argv);
			assert_setting(&cfg, i, values[v]);

			/* --key=value */
			snprintf(opt, sizeof(opt), "--%s=%s", settings[i].key, values[v]);
			argv[0] = "axlprovd", argv[1] = opt, argv[2] = NULL;
			load_ok(&cfg, argv);
			assert_setting(&cfg, i, values[v]);

			/* --dashed-key=value, as --help spells it */
			snprintf(dashed, sizeof(dashed), "%s", opt);
			for (char *p = dashed + 2; *p && *p != '='; p++)
				if (*p == '_')
					*p = '-';
			argv[1] = dashed;
			load_ok(&cfg, argv);
			assert_setting(&cfg, i, values[v]);

			/* AXLPROV_KEY */
			env_name(env, sizeof(env), settings[i].key);
			assert_int_equal(setenv(env, values[v], 1), 0);
			argv[1] = NULL;
			load_ok(&cfg, argv);
			assert_setting(&cfg, i, values[v]);
			unsetenv(env);

			/* key = value in a file */
			snprintf(line, sizeof(line), "  %s =  %s  \n", settings[i].key, values[v]);
			write_file(path, line);
			argv[1] = "--config", argv[2] = path, argv[3] = NULL;
			load_ok(&cfg, argv);
			remove_files(NULL);
			assert_setting(&cfg, i, values[v]);
		}
	}
}

/* file < AXLPROV_* < command line, for a number and a string. */
static void
test_precedence(void **state)
{
	char path[64];
	struct config cfg;
	char *cli[] = { "axlprovd", "--workers", "4", "--listen=cli:1", NULL };
	char *none[] = { "axlprovd", NULL };

	(void) state;
	write_file(path, "workers = 2\nlisten = file:1\n");
	assert_int_equal(setenv("AXLPROV_CONFIG", path, 1), 0);
	load_ok(&cfg, none);
	assert_int_equal(cfg.workers, 2);
	assert_string_equal(cfg.listen, "file:1");

	assert_int_equal(setenv("AXLPROV_WORKERS", "3", 1), 0);
	assert_int_equal(setenv("AXLPROV_LISTEN", "env:1", 1), 0);
	load_ok(&cfg, none);
	assert_int_equal(cfg.workers, 3);
	assert_string_equal(cfg.listen, "env:1");

	load_ok(&cfg, cli);
	assert_int_equal(cfg.workers, 4);
	assert_string_equal(cfg.listen, "cli:1");

	/* the last of repeated options wins */
	{
		char *twice[] = { "axlprovd", "--workers=5", "--workers", "6", NULL };

		load_ok(&cfg, twice);
		assert_int_equal(cfg.workers, 6);
	}
	unsetenv("AXLPROV_WORKERS");
	unsetenv("AXLPROV_LISTEN");
	unsetenv("AXLPROV_CONFIG");
}

/* --config FILE and --config=FILE win over AXLPROV_CONFIG, and are taken
 * out of argv. */
static void
test_config_file_option(void **state)
{
	char env_path[64], cli_path[64], opt[80];
	struct config cfg;
	struct app_err err = { 0 };
	int argc;

	(void) state;
	write_file(env_path, "workers = 2\n");
	write_file(cli_path, "workers = 7\n");
	assert_int_equal(setenv("AXLPROV_CONFIG", env_path, 1), 0);
	{
		char *argv[] = { "axlprovd", "--config", cli_path, "serve", NULL };

		argc = 4;
		assert_ok(config_load(&cfg, &argc, argv, &err), &err);
		assert_int_equal(cfg.workers, 7);
		assert_int_equal(argc, 2);
		assert_string_equal(argv[1], "serve");
		assert_null(argv[2]);
	}
	snprintf(opt, sizeof(opt), "--config=%s", cli_path);
	{
		char *argv[] = { "axlprovd", opt, NULL };

		argc = 2;
		assert_ok(config_load(&cfg, &argc, argv, &err), &err);
		assert_int_equal(cfg.workers, 7);
		assert_int_equal(argc, 1);
		assert_null(argv[1]);
	}
	unsetenv("AXLPROV_CONFIG");
}

static void
test_file_syntax(void **state)
{
	char path[64];
	struct config cfg;
	char *argv[] = { "axlprovd", "--config", path, NULL };
	struct app_err err = { 0 };

	(void) state;
	/* comments, blank lines, white space around key and value */
	write_file(path, "# comment\n; other comment\n\n   \n\tworkers\t=\t9\t\n"
			 "database_url = host=x port=5432\n");
	load_ok(&cfg, argv);
	assert_int_equal(cfg.workers, 9);
	assert_string_equal(cfg.database_url, "host=x port=5432");

	/* unknown key: an error naming the key and the line */
	write_file(path, "workers = 2\nno_such_key = 1\n");
	assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "config");
	assert_non_null(strstr(err.msg, "no_such_key"));
	assert_non_null(strstr(err.msg, ":2"));

	/* a line that is not key = value */
	write_file(path, "workers 2\n");
	assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "config");

	/* a bad value in the file names the setting */
	write_file(path, "workers = many\n");
	assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "workers");
	remove_files(NULL);

	/* a file that does not exist */
	assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "config");
}

/* Integers: the ends of the range load; outside it, or not a number, fails
 * from every source. */
static void
test_int_ranges(void **state)
{
	(void) state;
	for (size_t i = 0; i < NELEM(settings); i++) {
		char bad[4][32], ok[2][32];
		char opt[160], env[64];
		struct config cfg;
		struct app_err err = { 0 };

		if (settings[i].kind != INT)
			continue;
		snprintf(ok[0], sizeof(ok[0]), "%ld", settings[i].min);
		snprintf(ok[1], sizeof(ok[1]), "%ld", settings[i].max);
		snprintf(bad[0], sizeof(bad[0]), "%ld", settings[i].min - 1);
		snprintf(bad[1], sizeof(bad[1]), "%ld", settings[i].max + 1);
		snprintf(bad[2], sizeof(bad[2]), "12x");
		snprintf(bad[3], sizeof(bad[3]), "%s", "");
		for (size_t k = 0; k < NELEM(ok); k++) {
			char *argv[] = { "axlprovd", opt, NULL };

			snprintf(opt, sizeof(opt), "--%s=%s", settings[i].key, ok[k]);
			load_ok(&cfg, argv);
			assert_setting(&cfg, i, ok[k]);
		}
		for (size_t k = 0; k < NELEM(bad); k++) {
			char *argv[] = { "axlprovd", opt, NULL };
			char *none[] = { "axlprovd", NULL };

			snprintf(opt, sizeof(opt), "--%s=%s", settings[i].key, bad[k]);
			assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE,
				     settings[i].key);
			env_name(env, sizeof(env), settings[i].key);
			assert_int_equal(setenv(env, bad[k], 1), 0);
			assert_fault(load(&cfg, &err, none), &err, APP_E_INVALID_VALUE,
				     settings[i].key);
			unsetenv(env);
		}
	}
}

static void
test_log_level_values(void **state)
{
	static const char *const good[] = { "debug", "info", "warn", "error", "DEBUG" };
	static const char *const bad[] = { "verbose", "", "warning", "0" };

	(void) state;
	for (size_t k = 0; k < NELEM(good); k++) {
		char *argv[] = { "axlprovd", "--log-level", (char *) good[k], NULL };
		struct config cfg;

		load_ok(&cfg, argv);
		assert_string_equal(cfg.log_level, good[k]);
	}
	for (size_t k = 0; k < NELEM(bad); k++) {
		char *argv[] = { "axlprovd", "--log-level", (char *) bad[k], NULL };
		struct config cfg;
		struct app_err err = { 0 };

		assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "log_level");
	}
}

/* ccm_version takes CUCM's form with a served AXL version first, from
 * every source; the refusal names the form. */
static void
test_ccm_version_values(void **state)
{
	static const char *const bad[] = { "14.0", "13.0.1.10000-1", "14.0.1.13900", "x" };

	(void) state;
	for (size_t k = 0; k < NELEM(bad); k++) {
		char *argv[] = { "axlprovd", "--ccm-version", (char *) bad[k], NULL };
		struct config cfg;
		struct app_err err = { 0 };

		assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "ccm_version");
		assert_non_null(strstr(err.msg, "14.0.1.13900-155"));
	}
}

/* tls_ciphers takes exactly the six group names; anything else is an
 * error that lists them, from every source. */
static void
test_tls_ciphers_values(void **state)
{
	static const char *const good[] = {
		"strongest-rsa", "strongest-ecdsa", "medium-rsa",
		"medium-ecdsa",  "all-rsa",         "all-ecdsa",
	};
	static const char *const bad[] = {
		"",
		"strongest",
		"all",
		"ALL-RSA",
		"all-rsa ",
		"all-rsa|medium-rsa",
		"medium-rsa-x",
		"rsa",
		"-",
		"|",
	};
	char path[64];

	(void) state;
	for (size_t k = 0; k < NELEM(good); k++) {
		char *argv[] = { "axlprovd", "--tls-ciphers", (char *) good[k], NULL };
		struct config cfg;

		load_ok(&cfg, argv);
		assert_string_equal(cfg.tls_ciphers, good[k]);
	}
	for (size_t k = 0; k < NELEM(bad); k++) {
		char *argv[] = { "axlprovd", "--tls-ciphers", (char *) bad[k], NULL };
		struct config cfg;
		struct app_err err = { 0 };

		assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "tls_ciphers");
		for (size_t g = 0; g < NELEM(good); g++)
			assert_non_null(strstr(err.msg, good[g]));
	}
	{
		char *argv[] = { "axlprovd", "--config", path, NULL };
		struct config cfg;
		struct app_err err = { 0 };

		write_file(path, "tls_ciphers = weakest\n");
		assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "tls_ciphers");
		assert_non_null(strstr(err.msg, ":1"));
		assert_non_null(strstr(err.msg, "weakest"));
		assert_int_equal(setenv("AXLPROV_TLS_CIPHERS", "medium", 1), 0);
		argv[1] = NULL;
		assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "tls_ciphers");
		assert_non_null(strstr(err.msg, "AXLPROV_TLS_CIPHERS"));
		unsetenv("AXLPROV_TLS_CIPHERS");
	}
}

/* Strings longer than their buffer are refused, not cut. */
static void
test_string_too_long(void **state)
{
	char value[sizeof(((struct config *) 0)->listen) + 1];
	char *argv[] = { "axlprovd", "--listen", value, NULL };
	struct config cfg;
	struct app_err err = { 0 };

	(void) state;
	memset(value, 'l', sizeof(value) - 2);
	value[sizeof(value) - 2] = '\0'; /* just fits */
	load_ok(&cfg, argv);
	assert_string_equal(cfg.listen, value);
	memset(value, 'l', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0'; /* one too many */
	assert_fault(load(&cfg, &err, argv), &err, APP_E_INVALID_VALUE, "listen");
}

/* What is not a setting stays in argv, in order, NULL-terminated. */
static void
test_unknown_options_stay(void **state)
{
	char *argv[] = { "axlprovd",    "--help",        "--workers", "3",         "user", "set",
			 "--role=full", "--max-depth=9", "-v",        "--Workers", "2",    NULL };
	struct config cfg;
	struct app_err err = { 0 };
	int argc = (int) NELEM(argv) - 1;

	(void) state;
	assert_ok(config_load(&cfg, &argc, argv, &err), &err);
	assert_int_equal(cfg.workers, 3);
	assert_int_equal(cfg.max_depth, 9);
	assert_int_equal(argc, 8);
	assert_string_equal(argv[0], "axlprovd");
	assert_string_equal(argv[1], "--help");
	assert_string_equal(argv[2], "user");
	assert_string_equal(argv[3], "set");
	assert_string_equal(argv[4], "--role=full");
	assert_string_equal(argv[5], "-v");
	assert_string_equal(argv[6], "--Workers"); /* keys are case-sensitive */
	assert_string_equal(argv[7], "2");
	assert_null(argv[8]);
}

static void
test_option_needs_value(void **state)
{
	char *argv[] = { "axlprovd", "serve", "--workers", NULL };
	struct config cfg;
	struct app_err err = { 0 };

	char *argv_config[] = { "axlprovd", "--config", NULL };

	(void) state;
	assert_fault(load(&cfg, &err, argv), &err, APP_E_MISSING_FIELD, "workers");
	/* --config without a file is an error too, not silently ignored */
	assert_fault(load(&cfg, &err, argv_config), &err, APP_E_MISSING_FIELD, "config");
}

/* The settings log line shows the database but never its password. */
static void
test_log_masks_passwords(void **state)
{
	static const struct {
		const char *url, *secret, *kept;
	} cases[] = {
		{ "host=db password=s3cret dbname=axlprov", "s3cret", "dbname=axlprov" },
		{ "password=s3cret", "s3cret", "password=" },
		{ "postgresql://axl:s3cret@db:5432/axlprov", "s3cret", "@db:5432/axlprov" },
		{ "postgresql://db/axlprov?password=s3cret", "s3cret", "postgresql://db/axlprov" },
		/* libpq allows spaces around = and quoted values */
		{ "host=db password = s3cret dbname=axlprov", "s3cret", "dbname=axlprov" },
		{ "host=db password='s3cret and more' dbname=axlprov", "and more", "host=db" },
		{ "host=db password='x s3cret' dbname=axlprov", "s3cret", "host=db" },
	};

	char failures[2048] = "";

	(void) state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		char *argv[] = { "axlprovd", "--database-url", (char *) cases[i].url, NULL };
		struct config cfg;
		struct capture cap;
		char *text, *url;
		size_t used = strlen(failures);

		load_ok(&cfg, argv);
		capture_begin(&cap);
		config_log(&cfg);
		text = capture_end(&cap);
		url = strstr(text, "database_url=");
		assert_non_null(url);
		if (strstr(text, cases[i].secret) != NULL)
			snprintf(failures + used, sizeof(failures) - used,
				 "\n  \"%s\" logged as %.*s", cases[i].url,
				 (int) (strstr(url, " workers=") - url), url);
		assert_non_null(strstr(text, cases[i].kept));
		free(text);
	}
	if (failures[0] != '\0')
		fail_msg("passwords logged:%s", failures);
}

int
main(void)
{
	/* Each test starts without AXLPROV_* variables and leaves no files. */
#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, remove_files)
	const struct CMUnitTest tests[] = {
		T(test_usage_lists_every_key),
		T(test_markdown_lists_every_key),
		T(test_defaults),
		T(test_each_setting_from_each_source),
		T(test_precedence),
		T(test_config_file_option),
		T(test_file_syntax),
		T(test_int_ranges),
		T(test_log_level_values),
		T(test_ccm_version_values),
		T(test_tls_ciphers_values),
		T(test_string_too_long),
		T(test_unknown_options_stay),
		T(test_option_needs_value),
		T(test_log_masks_passwords),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
