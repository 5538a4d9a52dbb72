/*
 * config.c: the settings table and its three sources.  Defaults are parsed
 * by the same code as user input, so a bad default fails the unit tests.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "version.h"

enum ctype { C_STR, C_INT, C_LEVEL, C_CHOICE, C_CCMVER };

struct setting {
	const char *key;
	enum ctype type;
	size_t off, size;
	const char *dflt;
	long min, max;
	const char *help;
};

/* clang-format would split these braced initialisers across lines. */
/* clang-format off */
#define S(key, member, def, help) \
	{ #key, C_STR, offsetof(struct config, member), \
	  sizeof(((struct config *) 0)->member), def, 0, 0, help }
#define I(key, member, def, lo, hi, help) \
	{ #key, C_INT, offsetof(struct config, member), \
	  sizeof(((struct config *) 0)->member), def, lo, hi, help }
/* A string setting with a fixed set of values, listed in choices[]. */
#define CH(key, member, def, help) \
	{ #key, C_CHOICE, offsetof(struct config, member), \
	  sizeof(((struct config *) 0)->member), def, 0, 0, help }
/* clang-format on */

/* The values each C_CHOICE setting allows, "|"-separated. */
static const struct {
	const char *key;
	const char *values;
} choices[] = {
	{ "tls_ciphers",
	  "strongest-rsa|strongest-ecdsa|medium-rsa|medium-ecdsa|all-rsa|all-ecdsa" },
	{ "sip_accept_mic", "off|on" },
};

/*
 * The help texts are the settings reference: `axlprovd --help` prints them
 * (without the backquotes) and `make docs` writes them into docs/settings.md
 * as Markdown.  Choices and integer ranges are added from the table.
 */
static const struct setting settings[] = {
	S(listen, listen, "0.0.0.0:8443",
	  "HTTPS listener, address:port; TLS 1.2 and 1.3 only (empty: off)"),
	S(plain_listen, plain_listen, "",
	  "plain HTTP listener for a TLS proxy in front (stunnel, a load balancer); "
	  "a bare port binds 127.0.0.1 (empty: off)"),
	S(database_url, database_url, "dbname=axlprov", "libpq connection string or URI"),
	S(tls_cert, tls_cert, "",
	  "PEM certificate chain, RSA or ECDSA (and the key, if `tls_key` is empty)"),
	S(tls_key, tls_key, "", "PEM private key of `tls_cert`"),
	S(tls_cert_ecdsa, tls_cert_ecdsa, "",
	  "optional ECDSA certificate chain served beside an RSA `tls_cert`, for the ECDSA "
	  "suites (and its key, if `tls_key_ecdsa` is empty)"),
	S(tls_key_ecdsa, tls_key_ecdsa, "", "PEM private key of `tls_cert_ecdsa`"),
	CH(tls_ciphers, tls_ciphers, "all-rsa",
	   "TLS cipher group, as CUCM's TLS Ciphers enterprise parameter (see docs/tls.md)"),
	I(workers, workers, "16", 1, 1024,
	  "request threads, each with its own PostgreSQL connection"),
	I(max_body, max_body, "8388608", 1024, 1073741824,
	  "largest request body, bytes (larger: HTTP 413)"),
	I(max_response, max_response, "8388608", 65536, 1073741824,
	  "largest response, bytes (AXL's limit is 8 MB); a bigger list gets AXL's "
	  "\"Query request too large\" fault"),
	I(max_depth, max_depth, "64", 8, 10000, "deepest XML nesting accepted"),
	I(idle_timeout, idle_timeout, "15", 1, 3600,
	  "seconds a keep-alive connection may stay idle"),
	I(request_timeout, request_timeout, "30", 1, 3600, "seconds a request may take to arrive"),
	I(auth_cache_ttl, auth_cache_ttl, "60", 0, 86400,
	  "seconds a verified login is remembered, since password hashes are slow on purpose "
	  "(0: check every request)"),
	{ "log_level", C_LEVEL, offsetof(struct config, log_level),
	  sizeof(((struct config *) 0)->log_level), "info", 0, 0,
	  "`error`, `warn`, `info` (adds one line per request, see docs/monitoring.md) or `debug`" },
	S(sip_listen, sip_listen, "0.0.0.0:5060",
	  "SIP registrar (UDP and TCP), address:port (empty: SIP off, an API-only instance)"),
	S(sip_tls_listen, sip_tls_listen, "0.0.0.0:5061",
	  "SIP registrar over TLS (TLS 1.2 and 1.3, a client certificate asked of every phone), "
	  "address:port (empty: off)"),
	S(sip_tls_cert, sip_tls_cert, "",
	  "PEM certificate chain of the SIP TLS listener (and its key, if sip_tls_key is empty); "
	  "empty: the HTTPS tls_cert and tls_key"),
	S(sip_tls_key, sip_tls_key, "", "PEM private key of sip_tls_cert"),
	CH(sip_accept_mic, sip_accept_mic, "off",
	   "on: a phone may register with its MIC (manufacture-installed certificate) when its "
	   "model ships one and it chains to mic_roots; off: LSCs only"),
	{ "ccm_version", C_CCMVER, offsetof(struct config, ccm_version),
	  sizeof(((struct config *) 0)->ccm_version), "14.0.1.13900-155", 0, 0,
	  "the CUCM version this server reports (getCCMVersion, GET /cucm-uds/version), in "
	  "CUCM's form major.minor.maintenance.build-patch; its first two numbers are the AXL "
	  "version toolchains then use, so they must be one served (e.g. 15.0.1.10000-1)" },
	S(sip_node, sip_node, "",
	  "this instance's name in shared registrations; unique per instance, stable across "
	  "restarts (empty: the host name)"),
	I(sip_t1, sip_t1, "500", 10, 10000,
	  "SIP timer T1, ms; a NOTIFY with no answer times out after 64*T1 (32 s by default)"),
	I(notify_attempts, notify_attempts, "6", 1, 100,
	  "NOTIFY attempts before a phone is marked `failed`"),
	I(notify_retry, notify_retry, "5", 1, 3600,
	  "seconds before the first NOTIFY retry (doubling each time, at most 300)"),
	I(sip_db_threads, sip_db_threads, "6", 1, 8,
	  "database threads REGISTERs run on (each one PostgreSQL connection), so that the SIP "
	  "thread never waits on PostgreSQL; several let durable commits overlap"),
	I(sip_register_queue, sip_register_queue, "2048", 1, 100000,
	  "REGISTERs that may wait for a database thread; beyond, 503 with a jittered "
	  "Retry-After (about what the threads clear within sip_register_wait: a burst such as "
	  "every phone of a profile re-registering after an apply is served, not shed)"),
	I(sip_register_wait, sip_register_wait, "2000", 100, 60000,
	  "ms a REGISTER may wait for a database thread (PostgreSQL slow or away) before its 503"),
	I(sip_apply_register_rate, sip_apply_register_rate, "100", 0, 100000,
	  "registrations started per second (REGISTERs without credentials) while an apply is "
	  "being delivered (more NOTIFYs due than are in flight, phones answering them); beyond, "
	  "503 with a jittered Retry-After, so that the phones an apply makes un-register or "
	  "restart do not slow its delivery to the others (0: no limit)"),
	I(login_backoff_after, login_backoff_after, "5", 0, 1000,
	  "failed logins from one address before its logins are refused for a while, see "
	  "docs/users-and-audit.md (0: off)"),
	I(login_backoff_window, login_backoff_window, "300", 1, 86400,
	  "seconds after which an address's failed logins are forgotten"),
	I(login_backoff_max, login_backoff_max, "60", 1, 3600,
	  "longest refusal, seconds (the first is 1 s, doubling per further failure)"),
	I(throttle_outbox_backlog, throttle_outbox_backlog, "1500", 0, 1000000000,
	  "writes get HTTP 503 while more NOTIFYs than this are pending or sending, see "
	  "docs/monitoring.md (0: off)"),
	I(throttle_writes_per_second, throttle_writes_per_second, "0", 0, 1000000,
	  "writes per second for all workers together, beyond that HTTP 503 (0: no limit)"),
	S(capf_cert, capf_cert, "",
	  "The CAPF CA's PEM certificate, which signs phones' LSCs (and its key, if capf_key "
	  "is empty). Empty: no LSC is issued or trusted."),
	S(capf_key, capf_key, "",
	  "The CAPF CA's PEM private key; `capf issue` and the EST listener (`capf_listen`) "
	  "read it. Empty: the key is in capf_cert."),
	I(capf_lsc_days, capf_lsc_days, "1825", 1, 36500,
	  "How many days an LSC issued by `capf issue` or EST enrollment is valid."),
	S(mic_roots, mic_roots, "",
	  "A PEM bundle of the certificates that phones' MICs (manufacture-installed "
	  "certificates) chain to. Empty: no MIC is trusted."),
	I(sql_query_timeout, sql_query_timeout, "10", 1, 3600,
	  "seconds an executeSQLQuery statement may run (PostgreSQL's statement_timeout), "
	  "counting its rows included"),
	S(sql_query_database_url, sql_query_database_url, "",
	  "libpq connection string or URI for executeSQLQuery's statements, which must log in "
	  "as a role that can read only the data dictionary's views (see docs/sql-query.md). "
	  "Empty: `database_url` with user axlprov_sql"),
	S(capf_listen, capf_listen, "0.0.0.0:3804",
	  "EST listener (RFC 7030) where phones obtain their LSC online, address:port, TLS with "
	  "the HTTPS certificate; on only when `capf_cert` and its key are readable, see "
	  "docs/certificates.md (empty: off)"),
	I(capf_rate_limit, capf_rate_limit, "60", 0, 1000000,
	  "EST requests per client address per minute, beyond that HTTP 429 (0: no limit)"),
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *
find(const char *key, size_t len)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strlen(settings[i].key) == len && strncmp(settings[i].key, key, len) == 0)
			return &settings[i];
	return NULL;
}

/* The "|"-separated values a C_CHOICE setting allows. */
static const char *
choices_of(const char *key)
{
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (strcmp(choices[i].key, key) == 0)
			return choices[i].values;
	return "";
}

static bool
is_choice(const char *values, const char *value)
{
	size_t len = strlen(value);

	for (const char *p = values; *p != '\0'; p += strcspn(p, "|"), p += *p == '|')
		if (strcspn(p, "|") == len && strncmp(p, value, len) == 0)
			return true;
	return false;
}

static bool
set(struct config *cfg, const struct setting *s, const char *value, const char *origin,
    struct app_err *err)
{
	char *dst = (char *) cfg + s->off;
	char *end;
	long n;

	if (s->type == C_CHOICE && !is_choice(choices_of(s->key), value)) {
		char list[256];

		snprintf(list, sizeof(list), "%s", choices_of(s->key));
		for (char *p = list; *p; p++)
			if (*p == '|')
				*p = ',';
		return app_err_set(err, APP_E_INVALID_VALUE, s->key,
				   "%s: %s must be one of %s; not %s", origin, s->key, list, value);
	}
	if (s->type == C_CCMVER && !axl_ccm_version_valid(value))
		return app_err_set(err, APP_E_INVALID_VALUE, s->key,
				   "%s: %s must look like 14.0.1.13900-155 and start with a served "
				   "AXL version (%s); not %s",
				   origin, s->key, axl_version_list(), value);
	switch (s->type) {
	case C_LEVEL:
		if (log_level_parse(value) < 0)
			return app_err_set(err, APP_E_INVALID_VALUE, s->key,
					   "%s: invalid value for %s: %s", origin, s->key, value);
		/* fall through */
	case C_CCMVER:
	case C_CHOICE:
	case C_STR:
		if (strlen(value) >= s->size)
			return app_err_set(err, APP_E_INVALID_VALUE, s->key,
					   "%s: value for %s is too long", origin, s->key);
		memcpy(dst, value, strlen(value) + 1);
		return true;
	case C_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < s->min || n > s->max)
			return app_err_set(err, APP_E_INVALID_VALUE, s->key,
					   "%s: %s must be an integer from %ld to %ld, not %s",
					   origin, s->key, s->min, s->max, value);
		*(long *) (void *) dst = n;
		return true;
	}
	return false;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

static bool
load_file(struct config *cfg, const char *path, struct app_err *err)
{
	FILE *f = fopen(path, "r");
	char line[2048], origin[600];
	int lineno = 0;
	bool ok = true;

	if (f == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "config",
				   "cannot open config file %s: %s", path, strerror(errno));
	while (ok && fgets(line, sizeof(line), f) != NULL) {
		char *p = trim(line), *eq;
		const struct setting *s;

		lineno++;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		eq = strchr(p, '=');
		if (eq == NULL) {
			ok = app_err_set(err, APP_E_INVALID_VALUE, "config",
					 "%s: expected key = value", origin);
			break;
		}
		*eq = '\0';
		p = trim(p);
		s = find(p, strlen(p));
		if (s == NULL)
			ok = app_err_set(err, APP_E_INVALID_VALUE, "config",
					 "%s: unknown setting %s", origin, p);
		else
			ok = set(cfg, s, trim(eq + 1), origin, err);
	}
	fclose(f);
	return ok;
}

/* Every setting at its default: the defaults go through set() like input. */
static bool
load_defaults(struct config *cfg, struct app_err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!set(cfg, &settings[i], settings[i].dflt, "default", err))
			return false;
	return true;
}

/* The config file to read: the last --config FILE or --config=FILE, else
 * AXLPROV_CONFIG (NULL or "" for none). */
static bool
config_file(int argc, char **argv, const char **file, struct app_err *err)
{
	*file = getenv("AXLPROV_CONFIG");
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 >= argc)
			return app_err_set(err, APP_E_MISSING_FIELD, "config",
					   "--config needs a file name");
		else if (strcmp(argv[i], "--config") == 0)
			*file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			*file = argv[i] + 9;
	return true;
}

/* "AXLPROV_" and the key in upper case. */
static void
env_name(char *buf, size_t size, const char *key)
{
	snprintf(buf, size, "AXLPROV_%s", key);
	for (char *p = buf + 8; *p != '\0'; p++)
		*p = (char) toupper((unsigned char) *p);
}

static bool
load_env(struct config *cfg, struct app_err *err)
{
	char env[64];

	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v;

		env_name(env, sizeof(env), settings[i].key);
		v = getenv(env);
		if (v != NULL && !set(cfg, &settings[i], v, env, err))
			return false;
	}
	return true;
}

/* Applies the --setting options in argv and moves every other argument
 * down, in order; --config and its file name are dropped. */
static bool
load_options(struct config *cfg, int *argc, char **argv, struct app_err *err)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *value;
		char key[64];
		const struct setting *s;
		size_t len = strncmp(a, "--", 2) == 0 ? strcspn(a += 2, "=") : sizeof(key);

		if (len >= sizeof(key)) {
			argv[out++] = argv[i];
			continue;
		}
		for (size_t j = 0; j < len; j++)
			key[j] = a[j] == '-' ? '_' : a[j];
		key[len] = '\0';
		if (strcmp(key, "config") == 0) {
			i += a[len] != '=';
			continue;
		}
		s = find(key, len);
		if (s == NULL) {
			argv[out++] = argv[i];
			continue;
		}
		if (a[len] == '=')
			value = a + len + 1;
		else if (i + 1 < *argc)
			value = argv[++i];
		else
			return app_err_set(err, APP_E_MISSING_FIELD, key, "--%s needs a value",
					   argv[i] + 2);
		if (!set(cfg, s, value, "command line", err))
			return false;
	}
	argv[out] = NULL;
	*argc = out;
	return true;
}

bool
config_load(struct config *cfg, int *argc, char **argv, struct app_err *err)
{
	const char *file;

	if (!load_defaults(cfg, err) || !config_file(*argc, argv, &file, err))
		return false;
	if (file != NULL && *file != '\0' && !load_file(cfg, file, err))
		return false;
	return load_env(cfg, err) && load_options(cfg, argc, argv, err);
}

/* "--key" with dashes for underscores. */
static void
option_name(char *buf, size_t size, const char *key)
{
	snprintf(buf, size, "--%s", key);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
}

/* Writes text word by word and then tail as one word, in lines no wider
 * than 79 columns, continuation lines indented to `indent`; `col` is the
 * column the text starts at. */
static void
put_wrapped(FILE *out, const char *text, const char *tail, size_t col, size_t indent)
{
	bool first = true;

	while (*text != '\0' || tail != NULL) {
		bool last = *text == '\0';
		size_t word = last ? strlen(tail) : strcspn(text, " ");

		if (!first && col + 1 + word > 79) {
			fprintf(out, "\n%*s", (int) indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int) word, last ? tail : text);
		col += word;
		first = false;
		if (last)
			tail = NULL;
		else
			text += word + strspn(text + word, " ");
	}
	fputc('\n', out);
}

void
config_usage(FILE *out)
{
	fprintf(out, "Settings (config file key, AXLPROV_<KEY> variable, or --key option):\n");
	for (size_t i = 0; i < NSETTINGS; i++) {
		char opt[64], text[512], dflt[160], *q = text;

		option_name(opt, sizeof(opt), settings[i].key);
		for (const char *p = settings[i].help; *p && q < text + sizeof(text) - 1; p++)
			if (*p != '`')
				*q++ = *p;
		*q = '\0';
		snprintf(dflt, sizeof(dflt), "(default: \"%s\")", settings[i].dflt);
		/* A name too long for its column gets a line of its own. */
		fprintf(out, strlen(opt) > 22 ? "  %s\n%25s" : "  %-22s ", opt, "");
		put_wrapped(out, text, dflt, 25, 25);
	}
}

/* Text for a Markdown table cell: "|" escaped everywhere, "*" outside
 * `code`. */
static void
put_cell(FILE *out, const char *text)
{
	bool code = false;

	for (const char *p = text; *p != '\0'; p++) {
		code ^= *p == '`';
		if (*p == '|' || (*p == '*' && !code))
			fputc('\\', out);
		fputc(*p, out);
	}
}

/* One row of the reference: setting, default, variable, option, meaning
 * (the help, then the allowed values from the table). */
static void
markdown_row(FILE *out, const struct setting *s)
{
	char env[64], opt[64];
	const char *v;

	env_name(env, sizeof(env), s->key);
	option_name(opt, sizeof(opt), s->key);
	fprintf(out, "| `%s` | ", s->key);
	if (*s->dflt == '\0')
		fputs("(empty)", out);
	else
		fprintf(out, "`%s`", s->dflt);
	fprintf(out, " | `%s` | `%s` | ", env, opt);
	put_cell(out, s->help);
	if (s->type == C_INT)
		fprintf(out, "; from %ld to %ld", s->min, s->max);
	if (s->type == C_CHOICE) {
		fputs("; one of ", out);
		for (v = choices_of(s->key); *v != '\0'; v += strcspn(v, "|"), v += *v == '|')
			fprintf(out, "%s`%.*s`", v == choices_of(s->key) ? "" : ", ",
				(int) strcspn(v, "|"), v);
	}
	fputs(" |\n", out);
}

void
config_markdown(FILE *out)
{
	fputs("# Settings reference\n\n"
	      "<!-- Generated by `make docs` from the settings table in src/config.c:\n"
	      "     edit the table, not this file.  `make check-docs` fails when it is stale. -->\n\n"
	      "Every `axlprovd` setting can come from three places, later ones winning over\n"
	      "earlier ones, and over the default:\n\n"
	      "1. a config file, named by `--config FILE` (or the `AXLPROV_CONFIG` variable):\n"
	      "   lines of `setting = value`; lines starting with `#` or `;` are comments;\n"
	      "2. an environment variable, `AXLPROV_` and the setting in capitals;\n"
	      "3. a command-line option, `--setting VALUE` or `--setting=VALUE`, with dashes\n"
	      "   or underscores.\n\n"
	      "A bad value, or an unknown setting in the config file, stops the program with\n"
	      "a message naming it.  `axlprovd --help` prints the same list.  The\n"
	      "administration subcommands read the same settings (`database_url` above all).\n\n"
	      "| setting | default | environment variable | option | meaning |\n"
	      "|---|---|---|---|---|\n",
	      out);
	for (size_t i = 0; i < NSETTINGS; i++)
		markdown_row(out, &settings[i]);
}

/* Hides the value of every "password = value" (libpq allows spaces around
 * "=" and single-quoted values with spaces) and the ":secret@" of a URI. */
static void
mask_secrets(char *url)
{
	char *p = url, *uri;

	while ((p = strstr(p, "password")) != NULL) {
		char *q = p + 8;

		while (*q == ' ')
			q++;
		if (*q != '=') {
			p = q;
			continue;
		}
		q++;
		while (*q == ' ')
			q++;
		if (*q == '\'') {
			for (q++; *q && *q != '\''; q++) {
				if (*q == '\\' && q[1] != '\0')
					*q++ = '*';
				*q = '*';
			}
		} else {
			for (; *q && *q != ' '; q++)
				*q = '*';
		}
		p = q;
	}
	if ((uri = strstr(url, "://")) != NULL) {
		char *at = strchr(uri + 3, '@');
		char *colon = strchr(uri + 3, ':');

		if (at != NULL && colon != NULL && colon < at)
			for (p = colon + 1; p < at; p++)
				*p = '*';
	}
}

void
config_log(const struct config *cfg)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s", cfg->database_url);
	mask_secrets(url);
	log_msg(LOG_INFO,
		"settings: listen=%s plain_listen=%s database_url=%s workers=%ld max_body=%ld"
		" idle_timeout=%ld request_timeout=%ld log_level=%s",
		cfg->listen[0] ? cfg->listen : "(off)",
		cfg->plain_listen[0] ? cfg->plain_listen : "(off)", url, cfg->workers,
		cfg->max_body, cfg->idle_timeout, cfg->request_timeout, cfg->log_level);
}
