/*
 * main.c: the axlprovd command line.  `axlprovd [serve]` runs the server;
 * `axlprovd user set` manages AXL API users.  Wiring only: settings, start
 * order, signals.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "apply_status.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "models.h"
#include "repo_phone.h"
#include "repo_profile.h"
#include "repo_user.h"
#include "server.h"
#include "sip.h"
#include "xbuf.h"

#define AXLPROV_VERSION "0.1.0"

static void
usage(FILE *out)
{
	fprintf(out,
		"axlprovd %s: a Cisco Unified CM AXL (SOAP) provisioning server for phone\n"
		"security profiles, on PostgreSQL.\n\n"
		"Usage:\n"
		"  axlprovd [serve] [--config FILE] [--setting VALUE ...]\n"
		"      Serve AXL on /axl/ until SIGTERM or SIGINT.\n"
		"  axlprovd user set USERID [--role full|read-only]\n"
		"      Create or update an AXL API user; the password is read from\n"
		"      AXLPROV_PASSWORD or, if unset, from the first line of standard input.\n"
		"  axlprovd capf complete PHONE [--status STATUS]\n"
		"      Record that the CAPF operation pending on a phone finished (there is\n"
		"      no CAPF service yet): STATUS defaults to the operation's success\n"
		"      (Upgrade Success, Delete Success, Troubleshoot Success).\n"
		"  axlprovd import FILE.csv\n"
		"      Import existing devices (name,product,protocol,security mode[,description])\n"
		"      in one transaction, creating a profile per model, protocol and secure\n"
		"      mode that lacks one; a bad row is reported and nothing is imported.\n"
		"  axlprovd apply-status ID\n"
		"      Show, as JSON, how far an apply/reset/restart request got: phones\n"
		"      targeted, delivered, pending, failed and unreachable, and each phone.\n"
		"      ID is the request's uuid (the X-Axlprov-Apply-Request response header),\n"
		"      or a phone's or profile's uuid or name for its latest request.\n"
		"  axlprovd check-config [--config FILE] [--setting VALUE ...]\n"
		"      Check the settings (as serve would read them), log them, and exit\n"
		"      0 if they are valid, 2 if not (for systemd's ExecStartPre).\n"
		"  axlprovd --help | --version\n\n",
		AXLPROV_VERSION);
	config_usage(out);
	fprintf(out,
		"\nA config file holds `setting = value` lines (# comments). Precedence:\n"
		"defaults < config file (--config or AXLPROV_CONFIG) < AXLPROV_<SETTING>\n"
		"environment variables < command-line options.\n");
}

static void
on_signal(int sig)
{
	(void) sig;
	server_stop();
}

/* Every client connection is a descriptor: allow as many as the hard
 * limit does. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
cmd_serve(const struct config *cfg)
{
	struct app_err err = { 0 };
	struct db *db;
	struct server *srv;
	struct sip *sip = NULL;
	struct sigaction sa;
	bool ok;

	if (!auth_init((int) cfg->auth_cache_ttl)) {
		log_msg(LOG_ERROR, "cannot seed the random generator");
		return 1;
	}
	repo_profile_init();
	repo_phone_init();
	db = db_open(cfg->database_url);
	if (db == NULL || !repo_models_load(db, &err)) {
		log_msg(LOG_ERROR, "cannot load the phone models from the database: %s", err.msg);
		db_close(db);
		return 1;
	}
	db_close(db);
	/* SIP first: once the HTTP port accepts, the whole server is up. */
	if (cfg->sip_listen[0] && (sip = sip_start(cfg, &err)) == NULL) {
		log_msg(LOG_ERROR, "%s", err.msg);
		return 1;
	}
	srv = server_new(cfg, &err);
	if (srv == NULL) {
		log_msg(LOG_ERROR, "%s", err.msg);
		sip_stop(sip);
		return 1;
	}
	raise_fd_limit();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	config_log(cfg);
	log_msg(LOG_INFO, "axlprovd %s ready", AXLPROV_VERSION);
	ok = server_run(srv);
	sip_stop(sip);
	server_free(srv);
	log_msg(LOG_INFO, "stopped");
	return ok ? 0 : 1;
}

static int
cmd_user_set(const struct config *cfg, int argc, char **argv)
{
	const char *userid = NULL, *role = "full", *password = getenv("AXLPROV_PASSWORD");
	char line[512], hash[USER_HASH_MAX];
	struct app_err err = { 0 };
	struct db *db;
	bool ok;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (userid == NULL)
			userid = argv[i];
		else {
			fprintf(stderr, "axlprovd: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	if (userid == NULL || (strcmp(role, "full") != 0 && strcmp(role, "read-only") != 0)) {
		fprintf(stderr, "usage: axlprovd user set USERID [--role full|read-only]\n");
		return 2;
	}
	if (password == NULL) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "axlprovd: no password on standard input\n");
			return 2;
		}
		line[strcspn(line, "\r\n")] = '\0';
		password = line;
	}
	if (*password == '\0' || !auth_hash_password(password, hash, sizeof(hash))) {
		fprintf(stderr, "axlprovd: the password must not be empty\n");
		return 2;
	}
	db = db_open(cfg->database_url);
	ok = db != NULL && repo_user_put(db, userid, hash, role, &err);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 1;
	}
	printf("user %s saved (role %s)\n", userid, role);
	return 0;
}

static int
cmd_capf_complete(const struct config *cfg, int argc, char **argv)
{
	const char *phone = NULL, *status = NULL;
	char result[64];
	struct app_err err = { 0 };
	struct db *db;
	bool ok;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
			status = argv[++i];
		else if (phone == NULL)
			phone = argv[i];
		else {
			fprintf(stderr, "axlprovd: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	if (phone == NULL) {
		fprintf(stderr, "usage: axlprovd capf complete PHONE [--status STATUS]\n");
		return 2;
	}
	repo_phone_init();
	db = db_open(cfg->database_url);
	ok = db != NULL && repo_phone_capf_complete(db, phone, status, result, &err);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 1;
	}
	printf("phone %s: certificate status %s\n", phone, result);
	return 0;
}

static int
cmd_import(const struct config *cfg, int argc, char **argv)
{
	struct import_stats stats;
	struct app_err err = { 0 };
	struct db *db;
	bool ok;

	if (argc != 1) {
		fprintf(stderr, "usage: axlprovd import FILE.csv\n");
		return 2;
	}
	repo_profile_init();
	repo_phone_init();
	db = db_open(cfg->database_url);
	ok = db != NULL && repo_models_load(db, &err) &&
	     import_csv(db, argv[0], stderr, &stats, &err);
	db_close(db);
	models_free();
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 1;
	}
	printf("imported %ld phones; created %ld security profiles\n", stats.phones,
	       stats.profiles_created);
	return 0;
}

static int
cmd_apply_status(const struct config *cfg, int argc, char **argv)
{
	struct app_err err = { 0 };
	struct xbuf out;
	struct db *db;
	bool ok;

	if (argc != 1) {
		fprintf(stderr, "usage: axlprovd apply-status ID\n");
		return 2;
	}
	xbuf_init(&out);
	db = db_open(cfg->database_url);
	ok = db != NULL && apply_status_json(db, argv[0], &out, &err);
	db_close(db);
	if (ok)
		fwrite(out.data, 1, out.len, stdout);
	xbuf_free(&out);
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return err.code == APP_E_NOT_FOUND ? 1 : 3;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct app_err err = { 0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("axlprovd %s\n", AXLPROV_VERSION);
			return 0;
		}
	}
	if (!config_load(&cfg, &argc, argv, &err)) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 2;
	}
	log_set_level((enum log_level) log_level_parse(cfg.log_level));
	if (argc < 2 || strcmp(argv[1], "serve") == 0) {
		if (argc > 2) {
			fprintf(stderr, "axlprovd: unknown argument %s (see --help)\n", argv[2]);
			return 2;
		}
		return cmd_serve(&cfg);
	}
	if (strcmp(argv[1], "check-config") == 0) {
		if (argc > 2) {
			fprintf(stderr, "axlprovd: unknown argument %s (see --help)\n", argv[2]);
			return 2;
		}
		config_log(&cfg);
		printf("axlprovd: configuration OK\n");
		return 0;
	}
	if (strcmp(argv[1], "user") == 0 && argc >= 3 && strcmp(argv[2], "set") == 0)
		return cmd_user_set(&cfg, argc - 3, argv + 3);
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "apply-status") == 0)
		return cmd_apply_status(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "capf") == 0 && argc >= 3 && strcmp(argv[2], "complete") == 0)
		return cmd_capf_complete(&cfg, argc - 3, argv + 3);
	fprintf(stderr, "axlprovd: unknown command %s (see --help)\n", argv[1]);
	return 2;
}
