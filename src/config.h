/*
 * config.h: server settings.  One table (config.c) names every setting with
 * its type, default, range and help; the config file, AXLPROV_* environment
 * variables and --options are all read through it, in that order of
 * precedence (later wins).
 */
#ifndef AXLPROV_CONFIG_H
#define AXLPROV_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

struct config {
	char listen[128];         /* HTTPS address:port, "" = off */
	char plain_listen[128];   /* plain HTTP address:port, "" = off */
	char database_url[1024];  /* libpq connection string or URI */
	char tls_cert[512];       /* PEM: certificate chain (and key if tls_key is "") */
	char tls_key[512];        /* PEM private key */
	char tls_cert_ecdsa[512]; /* optional second (ECDSA) certificate chain */
	char tls_key_ecdsa[512];  /* its key ("" = in tls_cert_ecdsa) */
	char tls_ciphers[32];     /* cipher group: strongest|medium|all - rsa|ecdsa */
	long workers;             /* request threads, each with one DB connection */
	long max_body;            /* request body limit, bytes */
	long max_response;        /* response size limit, bytes (AXL: 8 MB) */
	long max_depth;           /* XML nesting limit */
	long idle_timeout;        /* keep-alive idle, seconds */
	long request_timeout;     /* whole request, seconds */
	long auth_cache_ttl;      /* seconds a verified login is remembered */
	char log_level[16];
	char sip_listen[128];     /* SIP registrar, UDP and TCP address:port, "" = off */
	char sip_tls_listen[128]; /* SIP over TLS address:port, "" = off */
	char sip_tls_cert[512];   /* PEM: its certificate chain ("" = tls_cert) */
	char sip_tls_key[512];    /* PEM: its key ("" = in sip_tls_cert, or tls_key) */
	char sip_accept_mic[8];   /* on: MICs may register (model ships one, chains to mic_roots) */
	char ccm_version[32];     /* what getCCMVersion reports, e.g. 14.0.1.13900-155 */
	char sip_node[64];        /* this instance's name in registrations ("" = host name) */
	long sip_t1;              /* SIP timer T1, ms: a NOTIFY times out after 64*T1 */
	long notify_attempts;     /* NOTIFY tries before a phone is marked failed */
	long notify_retry;        /* first retry delay, seconds (doubles, max 300) */
	long sip_db_threads;      /* database threads REGISTERs run on */
	long sip_register_queue;  /* REGISTERs waiting for one of them, at most */
	long sip_register_wait;   /* ms a REGISTER may wait for one before its 503 */
	long sip_apply_register_rate; /* registrations started/s while an apply is sent (0: no limit) */
	long login_backoff_after;     /* failures from one address before refusals, 0 = off */
	long login_backoff_window;    /* seconds after which failures are forgotten */
	long login_backoff_max;       /* longest refusal, seconds */
	long throttle_outbox_backlog; /* writes get 503 above this many unsent NOTIFYs (0: off) */
	long throttle_writes_per_second; /* write budget shared by all workers (0: off) */
	char capf_cert[512];    /* PEM: the CAPF CA certificate that issues LSCs ("" = none) */
	char capf_key[512];     /* PEM: its private key ("" = in capf_cert) */
	long capf_lsc_days;     /* validity of an issued LSC, days */
	char mic_roots[512];    /* PEM bundle: roots (or manufacturing CAs) MICs chain to */
	long sql_query_timeout; /* executeSQLQuery's statement_timeout, seconds */
	char sql_query_database_url[1024]; /* its connection ("" = database_url as axlprov_sql) */
	char capf_listen[128];             /* EST (online LSC enrollment) address:port, "" = off */
	long capf_rate_limit;              /* EST requests per address per minute (0: no limit) */
};

/* Defaults, then `--config FILE` (or AXLPROV_CONFIG), then AXLPROV_<KEY>
 * variables, then --<key> options.  argv entries that are not settings are
 * left in place; *argc is updated. */
bool config_load(struct config *cfg, int *argc, char **argv, struct app_err *err);

/* Writes the settings reference for --help. */
void config_usage(FILE *out);

/* Writes the settings reference as a Markdown document (docs/settings.md,
 * by `make docs`), from the same table. */
void config_markdown(FILE *out);

/* Logs the effective settings (passwords in database_url masked). */
void config_log(const struct config *cfg);

#endif
