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

enum ctype { C_STR, C_INT, C_LEVEL, C_CHOICE };

struct setting {
	const char *key;
	enum ctype type;
	size_t off, size;
	const char *dflt;
	long min, max;
	const char *help;
};

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

/* The values each C_CHOICE setting allows, "|"-separated. */
static const struct {
	const char *key;
	const char *values;
} choices[] = {
	{ "tls_ciphers", "strongest-rsa|strongest-ecdsa|medium-rsa|medium-ecdsa|all-rsa|all-ecdsa" },
	{ "sip_accept_mic", "off|on" },
};

static const struct setting settings[] = {
	S(listen, listen, "0.0.0.0:8443", "HTTPS listener, address:port (empty: off)"),
	S(plain_listen, plain_listen, "",
	  "plain HTTP listener for a TLS proxy in front; a bare port binds 127.0.0.1 (empty: off)"),
	S(database_url, database_url, "dbname=axlprov", "libpq connection string or URI"),
	S(tls_cert, tls_cert, "", "PEM certificate chain (and the key, if tls_key is empty)"),
	S(tls_key, tls_key, "", "PEM private key"),
	S(tls_cert_ecdsa, tls_cert_ecdsa, "",
	  "optional ECDSA certificate chain served beside an RSA tls_cert (and its key, "
	  "if tls_key_ecdsa is empty)"),
	S(tls_key_ecdsa, tls_key_ecdsa, "", "PEM private key of tls_cert_ecdsa"),
	CH(tls_ciphers, tls_ciphers, "all-rsa",
	   "TLS cipher group, as CUCM's TLS Ciphers parameter: strongest-rsa, "
	   "strongest-ecdsa, medium-rsa, medium-ecdsa, all-rsa or all-ecdsa"),
	I(workers, workers, "16", 1, 1024,
	  "request threads, each with its own database connection"),
	I(max_body, max_body, "8388608", 1024, 1073741824, "largest request body, bytes"),
	I(max_response, max_response, "8388608", 65536, 1073741824,
	  "largest response, bytes (AXL's limit is 8 MB)"),
	I(max_depth, max_depth, "64", 8, 10000, "deepest XML nesting accepted"),
	I(idle_timeout, idle_timeout, "15", 1, 3600, "keep-alive idle timeout, seconds"),
	I(request_timeout, request_timeout, "30", 1, 3600,
	  "time allowed to receive one request, seconds"),
	I(auth_cache_ttl, auth_cache_ttl, "60", 0, 86400,
	  "seconds a verified login is remembered (0: check every request)"),
	{ "log_level", C_LEVEL, offsetof(struct config, log_level),
	  sizeof(((struct config *) 0)->log_level), "info", 0, 0,
	  "debug, info, warn or error" },
	S(sip_listen, sip_listen, "0.0.0.0:5060",
	  "SIP registrar (UDP and TCP), address:port (empty: off)"),
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
	S(sip_node, sip_node, "",
	  "this instance's name in shared registrations, unique per instance (empty: host name)"),
	I(sip_t1, sip_t1, "500", 10, 10000, "SIP timer T1, ms; a NOTIFY times out after 64*T1"),
	I(notify_attempts, notify_attempts, "6", 1, 100,
	  "NOTIFY attempts before a phone is marked failed"),
	I(notify_retry, notify_retry, "5", 1, 3600,
	  "seconds before the first NOTIFY retry (doubles each time, at most 300)"),
	I(login_backoff_after, login_backoff_after, "5", 0, 1000,
	  "failed logins from one address before its logins are refused for a while (0: off)"),
	I(login_backoff_window, login_backoff_window, "300", 1, 86400,
	  "seconds after which an address's failed logins are forgotten"),
	I(login_backoff_max, login_backoff_max, "60", 1, 3600,
	  "longest refusal, seconds (the first is 1 s, doubling per further failure)"),
	I(throttle_outbox_backlog, throttle_outbox_backlog, "1500", 0, 1000000000,
	  "writes get HTTP 503 while more NOTIFYs than this are pending or sending (0: off)"),
	I(throttle_writes_per_second, throttle_writes_per_second, "0", 0, 1000000,
	  "writes per second for all workers together, beyond that HTTP 503 (0: no limit)"),
	S(capf_cert, capf_cert, "",
	  "The CAPF CA's PEM certificate, which signs phones' LSCs (and its key, if capf_key "
	  "is empty). Empty: no LSC is issued or trusted."),
	S(capf_key, capf_key, "",
	  "The CAPF CA's PEM private key; only `capf issue` reads it. Empty: the key is in "
	  "capf_cert."),
	I(capf_lsc_days, capf_lsc_days, "1825", 1, 36500,
	  "How many days an LSC issued by `capf issue` is valid."),
	S(mic_roots, mic_roots, "",
	  "A PEM bundle of the certificates that phones' MICs (manufacture-installed "
	  "certificates) chain to. Empty: no MIC is trusted."),
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
	switch (s->type) {
	case C_LEVEL:
		if (log_level_parse(value) < 0)
			return app_err_set(err, APP_E_INVALID_VALUE, s->key,
					   "%s: invalid value for %s: %s", origin, s->key, value);
		/* fall through */
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

bool
config_load(struct config *cfg, int *argc, char **argv, struct app_err *err)
{
	const char *file = getenv("AXLPROV_CONFIG");
	char env[64];
	int out = 1;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!set(cfg, &settings[i], settings[i].dflt, "default", err))
			return false;
	for (int i = 1; i < *argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 >= *argc)
			return app_err_set(err, APP_E_MISSING_FIELD, "config",
					   "--config needs a file name");
		else if (strcmp(argv[i], "--config") == 0)
			file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
	if (file != NULL && *file != '\0' && !load_file(cfg, file, err))
		return false;
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v;
		size_t j;

		snprintf(env, sizeof(env), "AXLPROV_%s", settings[i].key);
		for (j = 8; env[j] != '\0'; j++)
			env[j] = (char) toupper((unsigned char) env[j]);
		v = getenv(env);
		if (v != NULL && !set(cfg, &settings[i], v, env, err))
			return false;
	}
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *value;
		char key[64];
		const struct setting *s;
		size_t len;

		if (strncmp(a, "--", 2) != 0) {
			argv[out++] = argv[i];
			continue;
		}
		a += 2;
		len = strcspn(a, "=");
		if (len >= sizeof(key)) {
			argv[out++] = argv[i];
			continue;
		}
		for (size_t j = 0; j < len; j++)
			key[j] = a[j] == '-' ? '_' : a[j];
		key[len] = '\0';
		if (strcmp(key, "config") == 0) {
			if (a[len] != '=')
				i++;
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

void
config_usage(FILE *out)
{
	fprintf(out, "Settings (config file key, AXLPROV_<KEY> variable, or --key option):\n");
	for (size_t i = 0; i < NSETTINGS; i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--%s", settings[i].key);
		for (char *p = opt; *p; p++)
			if (*p == '_')
				*p = '-';
		fprintf(out, "  %-22s %s (default: \"%s\")\n", opt, settings[i].help,
			settings[i].dflt);
	}
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
