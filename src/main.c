/*
 * main.c: the axlprovd command line.  `axlprovd [serve]` runs the server;
 * `axlprovd user add|passwd|remove|list|set` manage AXL API users and
 * `axlprovd audit` prints the audit trail; the hidden `axlprovd
 * settings-markdown` prints docs/settings.md (`make docs`).  Wiring only:
 * settings, start order, signals.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "apply_status.h"
#include "audit.h"
#include "auth.h"
#include "capf.h"
#include "capf_ops.h"
#include "est.h"
#include "config.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "models.h"
#include "repo_audit.h"
#include "repo_capf.h"
#include "repo_phone.h"
#include "repo_profile.h"
#include "repo_apiuser.h"
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
		"  axlprovd user add USERID [--role full|read-only]\n"
		"      Create an AXL API user (default role full; read-only users may only\n"
		"      get and list); fails if it exists.  The password is read from\n"
		"      AXLPROV_PASSWORD or, if unset, from the first line of standard input.\n"
		"  axlprovd user passwd USERID\n"
		"      Set an existing user's password (read the same way).\n"
		"  axlprovd user remove USERID\n"
		"      Remove an AXL API user.\n"
		"  axlprovd user list\n"
		"      List the AXL API users: userid, role, created and changed (UTC).\n"
		"  axlprovd user set USERID [--role full|read-only]\n"
		"      Create or update a user (password and role), whichever applies.\n"
		"  axlprovd audit [--limit N] [--user USERID] [--target NAME] [--since TIME] [--json]\n"
		"      Show the audit trail of writes, newest first (default limit 50): when,\n"
		"      who, from where, which operation, target and changed fields.\n"
		"  axlprovd capf complete PHONE [--status STATUS]\n"
		"      Record that the CAPF operation pending on a phone finished (there is\n"
		"      no online CAPF service yet): STATUS defaults to the operation's success\n"
		"      (Upgrade Success, Delete Success, Troubleshoot Success).  A Delete\n"
		"      that succeeds revokes the phone's LSC.\n"
		"  axlprovd capf issue PHONE --csr FILE [--out FILE]\n"
		"      Sign a phone's PKCS#10 request (PEM or DER) with the CAPF CA as its\n"
		"      LSC, if the phone has an Install/Upgrade operation pending and the\n"
		"      request's CN and key are what its profile orders; record it (replacing\n"
		"      any earlier LSC) and write it as PEM to FILE or standard output.\n"
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
		"      0 if they are valid (and capf_cert and mic_roots load), 2 if not\n"
		"      (for systemd's ExecStartPre).\n"
		"  axlprovd --help | --version\n\n",
		AXLPROV_VERSION);
	config_usage(out);
	fprintf(out, "\nA config file holds `setting = value` lines (# comments). Precedence:\n"
		     "defaults < config file (--config or AXLPROV_CONFIG) < AXLPROV_<SETTING>\n"
		     "environment variables < command-line options.\n");
}

static void
on_signal(int sig)
{
	(void) sig;
	server_stop();
}

/* The SIP thread, for SIGHUP. */
static struct sip *running_sip;

static void
on_sighup(int sig)
{
	(void) sig;
	server_reload();
	sip_reload(running_sip);
}

/* The command line as given, so that SIGHUP can read the settings again
 * from the same sources (config_load() compacts the argv it is given). */
static int orig_argc;
static char **orig_argv;

static bool
reread_settings(struct config *cfg, struct app_err *err)
{
	char **argv = malloc(((size_t) orig_argc + 1) * sizeof(*argv));
	int argc = orig_argc;
	bool ok;

	if (argv == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	memcpy(argv, orig_argv, ((size_t) orig_argc + 1) * sizeof(*argv));
	ok = config_load(cfg, &argc, argv, err);
	free(argv);
	return ok;
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

/* With EST on (capf_listen, capf_cert), the trust with the CA's key, which
 * EST signs with; when the key cannot be read EST stays off with a warning
 * (*signing false) and the rest runs on the certificate alone, as a server
 * that only checks LSCs does. */
static struct capf_trust *
trust_load(const struct config *cfg, bool *signing, struct app_err *err)
{
	struct app_err why = { 0 };
	struct capf_trust *t;

	*signing = false;
	if (est_enabled(cfg) && (t = capf_trust_load(cfg, true, &why)) != NULL) {
		*signing = true;
		return t;
	}
	t = capf_trust_load(cfg, false, err);
	if (t != NULL && est_enabled(cfg))
		log_msg(LOG_WARN,
			"EST (capf_listen %s) is off: %s; set capf_key to let phones "
			"enroll online",
			cfg->capf_listen, why.msg);
	return t;
}

/* The phone certificate trust (CAPF CA, MIC roots), read once at start
 * when capf_cert or mic_roots is set: a bad file stops the start.  Logs the
 * CA's subject and expiry; *signing: the CA's key is loaded too (EST). */
static bool
load_capf_trust(const struct config *cfg, struct capf_trust **out, bool *signing)
{
	struct app_err err = { 0 };
	char subject[256], until[32];
	long long not_after;
	time_t t;
	struct tm tm;

	*out = NULL;
	*signing = false;
	if (cfg->capf_cert[0] == '\0' && cfg->mic_roots[0] == '\0')
		return true;
	if ((*out = trust_load(cfg, signing, &err)) == NULL) {
		log_msg(LOG_ERROR, "cannot load the phone certificate trust: %s", err.msg);
		return false;
	}
	if (capf_ca_describe(*out, subject, sizeof(subject), &not_after)) {
		t = (time_t) not_after;
		gmtime_r(&t, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_msg(LOG_INFO, "CAPF CA %s (%s), valid until %s", subject, cfg->capf_cert,
			until);
	}
	if (cfg->mic_roots[0] != '\0')
		log_msg(LOG_INFO, "MIC roots from %s", cfg->mic_roots);
	return true;
}

/* Before any port opens: a SIGTERM sent as soon as a port answers must
 * stop the server cleanly, not kill it (server_run() sees the flag and
 * returns at once). */
static void
stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int
serve(const struct config *cfg, const struct capf_trust *trust, bool signing)
{
	struct app_err err = { 0 };
	struct db *db;
	struct server *srv;
	struct sip *sip = NULL;
	struct sigaction sa;
	bool ok;

	stop_on_signals();
	if (signing && !est_init(cfg, trust, &err)) {
		log_msg(LOG_ERROR, "%s", err.msg);
		return 1;
	}
	if (!auth_init((int) cfg->auth_cache_ttl)) {
		log_msg(LOG_ERROR, "cannot seed the random generator");
		return 1;
	}
	auth_backoff_init((int) cfg->login_backoff_after, (int) cfg->login_backoff_window,
			  (int) cfg->login_backoff_max);
	db = db_open(cfg->database_url);
	if (db == NULL || !repo_models_load(db, &err)) {
		log_msg(LOG_ERROR, "cannot load the phone models from the database: %s", err.msg);
		db_close(db);
		return 1;
	}
	db_close(db);
	/* SIP first: once the HTTP port accepts, the whole server is up. */
	if (cfg->sip_listen[0] && (sip = sip_start(cfg, reread_settings, &err)) == NULL) {
		log_msg(LOG_ERROR, "%s", err.msg);
		return 1;
	}
	running_sip = sip;
	/* SIGHUP before the ports open: a reload asked for that early waits for
	 * the server loop instead of killing the process.  SA_RESTART: a
	 * reload must not interrupt other threads' reads. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	srv = server_new(cfg, &err);
	if (srv == NULL) {
		log_msg(LOG_ERROR, "%s", err.msg);
		sip_stop(sip);
		return 1;
	}
	server_set_reread(srv, reread_settings);
	raise_fd_limit();
	config_log(cfg);
	log_msg(LOG_INFO, "axlprovd %s ready", AXLPROV_VERSION);
	ok = server_run(srv);
	running_sip = NULL;
	sip_stop(sip);
	server_free(srv);
	est_free();
	log_msg(LOG_INFO, "stopped");
	return ok ? 0 : 1;
}

static int
cmd_serve(const struct config *cfg)
{
	struct capf_trust *trust;
	bool signing;
	int rc;

	if (!load_capf_trust(cfg, &trust, &signing))
		return 1;
	rc = serve(cfg, trust, signing);
	capf_trust_free(trust);
	return rc;
}

/* The actor of an admin command: the OS user running it, source "cli". */
static struct actor
cli_actor(const char *op)
{
	static char who[64];
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(who, sizeof(who), "%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "uid %ld", (long) geteuid());
	return (struct actor) { .who = who, .source = "cli", .op = op, .node = "" };
}

/* The password from AXLPROV_PASSWORD or the first line of standard input,
 * hashed into hash; prints why not and returns false. */
static bool
read_password_hash(char hash[APIUSER_HASH_MAX])
{
	const char *password = getenv("AXLPROV_PASSWORD");
	char line[512];

	if (password == NULL) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "axlprovd: no password on standard input\n");
			return false;
		}
		line[strcspn(line, "\r\n")] = '\0';
		password = line;
	}
	if (*password == '\0') {
		fprintf(stderr, "axlprovd: the password must not be empty\n");
		return false;
	}
	if (!auth_hash_password(password, hash, APIUSER_HASH_MAX)) {
		fprintf(stderr, "axlprovd: cannot hash the password\n");
		return false;
	}
	return true;
}

static bool
role_ok(const char *role)
{
	return strcmp(role, ROLE_FULL) == 0 || strcmp(role, ROLE_READ_ONLY) == 0;
}

static bool
print_user(void *ctx, const char *userid, const char *role, const char *created,
	   const char *changed)
{
	(void) ctx;
	printf("%-32s %-10s %-21s %s\n", userid, role, created, changed);
	return true;
}

/* user add|set|passwd|remove|list: what each takes and says. */
enum user_sub { US_ADD, US_SET, US_PASSWD, US_REMOVE, US_LIST, US__COUNT };
/* clang-format off */
static const struct {
	const char *name;
	bool userid, role, password;   /* takes a USERID, --role, a password */
	const char *args;              /* for the usage line */
} user_subs[US__COUNT] = {
	[US_ADD]    = { "add", true, true, true, " USERID [--role full|read-only]" },
	[US_SET]    = { "set", true, true, true, " USERID [--role full|read-only]" },
	[US_PASSWD] = { "passwd", true, false, true, " USERID" },
	[US_REMOVE] = { "remove", true, false, false, " USERID" },
	[US_LIST]   = { "list", false, false, false, "" },
};
/* clang-format on */

/* USERID and --role; 2 (usage) when they do not fit the subcommand. */
static int
user_args(enum user_sub us, int argc, char **argv, const char **userid, const char **role)
{
	*userid = NULL;
	*role = ROLE_FULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc && user_subs[us].role)
			*role = argv[++i];
		else if (*userid == NULL && user_subs[us].userid)
			*userid = argv[i];
		else {
			fprintf(stderr, "axlprovd: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	if ((user_subs[us].userid && *userid == NULL) || !role_ok(*role)) {
		fprintf(stderr, "usage: axlprovd user %s%s\n", user_subs[us].name,
			user_subs[us].args);
		return 2;
	}
	return 0;
}

static bool
user_run(struct db *db, enum user_sub us, const char *userid, const char *hash, const char *role,
	 const struct actor *actor, struct app_err *err)
{
	switch (us) {
	case US_LIST:
		return repo_apiuser_list(db, print_user, NULL, err);
	case US_ADD:
		return repo_apiuser_add(db, userid, hash, role, actor, err);
	case US_PASSWD:
		return repo_apiuser_set_password(db, userid, hash, actor, err);
	case US_REMOVE:
		return repo_apiuser_remove(db, userid, actor, err);
	default:
		return repo_apiuser_put(db, userid, hash, role, actor, err);
	}
}

static void
user_done(enum user_sub us, const char *userid, const char *role)
{
	if (us == US_ADD || us == US_SET)
		printf("user %s saved (role %s)\n", userid, role);
	else if (us == US_PASSWD)
		printf("password of user %s changed\n", userid);
	else if (us == US_REMOVE)
		printf("user %s removed\n", userid);
}

static int
cmd_user(const struct config *cfg, const char *sub, int argc, char **argv)
{
	const char *userid, *role;
	char hash[APIUSER_HASH_MAX], op[32];
	struct app_err err = { 0 };
	struct actor actor;
	struct db *db;
	int us = 0, rc;
	bool ok;

	while (us < US__COUNT && strcmp(sub, user_subs[us].name) != 0)
		us++;
	if (us == US__COUNT) {
		fprintf(stderr, "axlprovd: unknown command user %s (see --help)\n", sub);
		return 2;
	}
	if ((rc = user_args((enum user_sub) us, argc, argv, &userid, &role)) != 0)
		return rc;
	if (user_subs[us].password && !read_password_hash(hash))
		return 2;
	snprintf(op, sizeof(op), "user %s", sub);
	actor = cli_actor(op);
	db = db_open(cfg->database_url);
	if (db == NULL) {
		fprintf(stderr, "axlprovd: out of memory\n");
		return 1;
	}
	ok = user_run(db, (enum user_sub) us, userid, hash, role, &actor, &err);
	db_close(db);
	if (!ok && err.code == APP_E_DUPLICATE)
		fprintf(stderr,
			"axlprovd: AXL user %s already exists (use user passwd to "
			"change its password)\n",
			userid);
	else if (!ok)
		fprintf(stderr, "axlprovd: %s\n", err.msg);
	else
		user_done((enum user_sub) us, userid, role);
	return ok ? 0 : 1;
}

struct audit_print {
	bool json;
	long rows;
	struct xbuf line;
};

static bool
print_audit(void *vctx, const struct audit_row *r)
{
	struct audit_print *c = vctx;
	struct xbuf *b = &c->line;

	xbuf_reset(b);
	if (c->json) {
		static const char *const keys[] = { "at",         "user",      "source",
						    "node",       "operation", "targetKind",
						    "targetName", "targetUuid" };
		const char *values[] = { r->at,          r->userid,     r->source,
					 r->node,        r->operation,  r->target_kind,
					 r->target_name, r->target_uuid };

		xbuf_printf(b, "%s{\"id\": %s", c->rows ? ",\n " : "[", r->id);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			xbuf_printf(b, ", \"%s\": ", keys[i]);
			xbuf_put_json(b, values[i]);
		}
		xbuf_printf(b, ", \"changes\": %s}", r->changes);
	} else {
		xbuf_printf(b, "%s %s from %s %s %s %s%s%s %s\n", r->at, r->userid, r->source,
			    r->operation, r->target_kind, r->target_name,
			    r->target_uuid[0] ? " " : "", r->target_uuid, r->changes);
	}
	fwrite(b->data, 1, b->len, stdout);
	c->rows++;
	return true;
}

static int
cmd_audit(const struct config *cfg, int argc, char **argv)
{
	struct audit_filter f = { .limit = 50 };
	struct audit_print ctx = { 0 };
	struct app_err err = { 0 };
	struct db *db;
	char *end;
	bool ok;

	for (int i = 0; i < argc; i++) {
		bool has = i + 1 < argc;

		if (strcmp(argv[i], "--json") == 0) {
			ctx.json = true;
		} else if (strcmp(argv[i], "--limit") == 0 && has) {
			f.limit = strtol(argv[++i], &end, 10);
			if (*end != '\0' || f.limit < 1) {
				fprintf(stderr, "axlprovd: --limit needs a positive number\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--user") == 0 && has) {
			f.user = argv[++i];
		} else if (strcmp(argv[i], "--target") == 0 && has) {
			f.target = argv[++i];
		} else if (strcmp(argv[i], "--since") == 0 && has) {
			f.since = argv[++i];
		} else {
			fprintf(stderr, "usage: axlprovd audit [--limit N] [--user USERID] "
					"[--target NAME] [--since TIMESTAMP] [--json]\n");
			return 2;
		}
	}
	xbuf_init(&ctx.line);
	db = db_open(cfg->database_url);
	ok = db != NULL && repo_audit_list(db, &f, print_audit, &ctx, &err);
	db_close(db);
	if (ok && ctx.json)
		printf("%s\n", ctx.rows ? "]" : "[]");
	xbuf_free(&ctx.line);
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* Completes the operation and, for a successful Delete, revokes the phone's
 * LSC: one transaction, so the notification goes out only with both. */
static bool
capf_complete_tx(struct db *db, const char *phone, const char *status, char result[64],
		 bool *revoked, struct app_err *err)
{
	struct actor actor = cli_actor("capf complete");
	struct capf_phone ph;

	*revoked = false;
	if (!db_begin(db, err) || !repo_capf_lock_phone(db, phone, &ph, err) ||
	    !repo_phone_capf_complete(db, phone, status, &actor, result, err))
		return false;
	if (strcmp(ph.operation, "Delete") == 0 && strcmp(result, "Delete Success") == 0 &&
	    !repo_capf_revoke(db, ph.uuid, &actor, revoked, err))
		return false;
	return db_commit(db, err);
}

static int
cmd_capf_complete(const struct config *cfg, int argc, char **argv)
{
	const char *phone = NULL, *status = NULL;
	char result[64];
	struct app_err err = { 0 };
	struct db *db;
	bool ok, revoked;

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
	db = db_open(cfg->database_url);
	ok = db != NULL && capf_complete_tx(db, phone, status, result, &revoked, &err);
	if (!ok && db != NULL)
		db_rollback(db);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 1;
	}
	printf("phone %s: certificate status %s%s\n", phone, result,
	       revoked ? "; its LSC is revoked" : "");
	return 0;
}

struct issue_args {
	const char *phone, *csr, *out;
};

static int
issue_usage(void)
{
	fprintf(stderr, "usage: axlprovd capf issue PHONE --csr FILE [--out FILE]\n");
	return 2;
}

static int
parse_issue_args(int argc, char **argv, struct issue_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--csr") == 0 && i + 1 < argc)
			a->csr = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			a->out = argv[++i];
		else if (a->phone == NULL && argv[i][0] != '-')
			a->phone = argv[i];
		else
			return issue_usage();
	}
	return a->phone != NULL && a->csr != NULL ? 0 : issue_usage();
}

/* The request file, at most CSR_MAX bytes (a request is a few KB). */
#define CSR_MAX (64 * 1024)
static bool
read_csr(const char *path, unsigned char *buf, size_t *len, struct app_err *err)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr", "cannot open %s: %s", path,
				   strerror(errno));
	*len = fread(buf, 1, CSR_MAX + 1, f);
	fclose(f);
	if (*len > CSR_MAX)
		return app_err_set(err, APP_E_INVALID_VALUE, "csr",
				   "%s is larger than %d bytes: not a certificate request", path,
				   CSR_MAX);
	return true;
}

/* Checks, signs and records inside one transaction the caller commits. */
static bool
issue_tx(struct db *db, const struct capf_trust *t, long days, const char *phone,
	 const unsigned char *csr, size_t len, struct capf_issued *out, bool *replaced,
	 struct app_err *err)
{
	struct actor actor = cli_actor("capf issue");
	struct capf_phone ph;

	if (!db_begin(db, err) || !repo_capf_lock_phone(db, phone, &ph, err))
		return false;
	if (strcmp(ph.operation, "Install/Upgrade") != 0)
		return app_err_set(err, APP_E_RULE, "certificateOperation",
				   "phone %s has no Install/Upgrade certificate operation pending "
				   "(certificateOperation is %s); set one with updatePhone first",
				   ph.name, ph.operation);
	return capf_ops_issue(db, t, days, &ph, csr, len, &actor, false, out, replaced, err);
}

/* The certificate goes to a temporary file beside --out before the
 * commit, and takes its name after: a failed write changes nothing, and a
 * failed commit leaves no certificate behind. */
static bool
stage_out(const char *path, const char *pem, char *tmp, size_t size, struct app_err *err)
{
	int fd;
	FILE *f;
	bool ok;

	snprintf(tmp, size, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		tmp[0] = '\0';
		return app_err_set(err, APP_E_INVALID_VALUE, "out", "cannot write beside %s: %s",
				   path, strerror(errno));
	}
	f = fdopen(fd, "w");
	ok = f != NULL && fchmod(fd, 0644) == 0 && fputs(pem, f) >= 0 && fflush(f) == 0 &&
	     fsync(fd) == 0;
	if (f != NULL ? fclose(f) != 0 : close(fd) != 0)
		ok = false;
	if (!ok)
		app_err_set(err, APP_E_INVALID_VALUE, "out", "cannot write %s: %s", tmp,
			    strerror(errno));
	return ok;
}

static bool
issue_and_deliver(const struct config *cfg, const struct capf_trust *t, const struct issue_args *a,
		  struct capf_issued *c, bool *replaced, struct app_err *err)
{
	static unsigned char csr[CSR_MAX + 1];
	char tmp[600] = "";
	size_t len = 0;
	struct db *db;
	bool ok;

	if (!read_csr(a->csr, csr, &len, err))
		return false;
	db = db_open(cfg->database_url);
	ok = db != NULL &&
	     issue_tx(db, t, cfg->capf_lsc_days, a->phone, csr, len, c, replaced, err) &&
	     (a->out == NULL || stage_out(a->out, c->pem, tmp, sizeof(tmp), err)) &&
	     db_commit(db, err);
	if (!ok && db != NULL)
		db_rollback(db);
	db_close(db);
	if (ok && tmp[0] && rename(tmp, a->out) != 0)
		ok = app_err_set(err, APP_E_INTERNAL, "out",
				 "the LSC is recorded, but cannot be "
				 "renamed from %s to %s: %s",
				 tmp, a->out, strerror(errno));
	else if (!ok && tmp[0])
		unlink(tmp);
	return ok;
}

static int
cmd_capf_issue(const struct config *cfg, int argc, char **argv)
{
	struct issue_args a;
	struct app_err err = { 0 };
	struct capf_issued c = { 0 };
	struct capf_trust *t;
	bool ok, replaced = false;
	int rc = parse_issue_args(argc, argv, &a);

	if (rc != 0)
		return rc;
	t = capf_trust_load(cfg, true, &err);
	ok = t != NULL && issue_and_deliver(cfg, t, &a, &c, &replaced, &err);
	capf_trust_free(t);
	if (!ok) {
		fprintf(stderr, "axlprovd: capf issue %s: %s\n", a.phone, err.msg);
		capf_issued_free(&c);
		return 1;
	}
	if (a.out == NULL)
		fputs(c.pem, stdout);
	fprintf(a.out ? stdout : stderr, "phone %s: LSC serial %s, SHA-256 %s, valid %ld days%s\n",
		a.phone, c.facts.serial, c.facts.fingerprint, cfg->capf_lsc_days,
		replaced ? "; it replaces the previous LSC" : "");
	capf_issued_free(&c);
	return 0;
}

static int
cmd_import(const struct config *cfg, int argc, char **argv)
{
	struct import_stats stats;
	struct actor actor = cli_actor("import");
	struct app_err err = { 0 };
	struct db *db;
	bool ok;

	if (argc != 1) {
		fprintf(stderr, "usage: axlprovd import FILE.csv\n");
		return 2;
	}
	db = db_open(cfg->database_url);
	ok = db != NULL && repo_models_load(db, &err) &&
	     import_csv(db, argv[0], &actor, stderr, &stats, &err);
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

static int
cmd_check_config(const struct config *cfg, int argc, char **argv)
{
	struct capf_trust *trust;
	bool signing;

	if (argc > 0) {
		fprintf(stderr, "axlprovd: unknown argument %s (see --help)\n", argv[0]);
		return 2;
	}
	config_log(cfg);
	/* The files serve would refuse to start with. */
	if (!load_capf_trust(cfg, &trust, &signing))
		return 2;
	capf_trust_free(trust);
	printf("axlprovd: configuration OK\n");
	return 0;
}

/* --help, --version and the hidden settings-markdown (the settings
 * reference for `make docs`), before config_load so that no setting in the
 * environment changes them.  Returns the exit code, or -1 for none of them. */
static int
print_info(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "settings-markdown") == 0) {
		config_markdown(stdout);
		return 0;
	}
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
	return -1;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct app_err err = { 0 };
	int rc;

	/* Kept for the life of the process, for SIGHUP (reread_settings). */
	orig_argc = argc;
	orig_argv = malloc(((size_t) argc + 1) * sizeof(*argv));
	if (orig_argv == NULL) {
		fprintf(stderr, "axlprovd: out of memory\n");
		return 1;
	}
	memcpy(orig_argv, argv, ((size_t) argc + 1) * sizeof(*argv));
	rc = print_info(argc, argv);
	if (rc >= 0)
		return rc;
	if (!config_load(&cfg, &argc, argv, &err)) {
		fprintf(stderr, "axlprovd: %s\n", err.msg);
		return 2;
	}
	log_set_level((enum log_level) log_level_parse(cfg.log_level));
	repo_init();
	if (argc < 2 || strcmp(argv[1], "serve") == 0) {
		if (argc > 2) {
			fprintf(stderr, "axlprovd: unknown argument %s (see --help)\n", argv[2]);
			return 2;
		}
		return cmd_serve(&cfg);
	}
	if (strcmp(argv[1], "check-config") == 0)
		return cmd_check_config(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "user") == 0 && argc >= 3)
		return cmd_user(&cfg, argv[2], argc - 3, argv + 3);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "apply-status") == 0)
		return cmd_apply_status(&cfg, argc - 2, argv + 2);
	if (strcmp(argv[1], "capf") == 0 && argc >= 3 && strcmp(argv[2], "complete") == 0)
		return cmd_capf_complete(&cfg, argc - 3, argv + 3);
	if (strcmp(argv[1], "capf") == 0 && argc >= 3 && strcmp(argv[2], "issue") == 0)
		return cmd_capf_issue(&cfg, argc - 3, argv + 3);
	fprintf(stderr, "axlprovd: unknown command %s (see --help)\n", argv[1]);
	return 2;
}
