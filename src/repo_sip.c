/*
 * repo_sip.c: the SIP thread's SQL (see repo_sip.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "repo_sip.h"
#include "xbuf.h"

/* sip_phone_facts: db/migrations/0014.  Column 10 is the query's own. */
#define PHONE_COLS(col10) \
	"SELECT pkid::text, name, sip, enable_digest, nonce_validity_time, transport_type, " \
	"       device_security_mode, coalesce(userid, ''), ha1_md5, ha1_sha256, " col10 ", " \
	"       model, lsc_fingerprint, facts " \
	"  FROM sip_phone_facts f "

/* By name first; two rows by userid means the AOR is ambiguous. */
static const struct db_stmt st_phone = {
	"sip_phone",
	"(" PHONE_COLS(
		"name = $1") " WHERE name = $1) UNION ALL "
			     "(" PHONE_COLS(
				     "name = $1") " WHERE userid = $1 AND name <> $1 LIMIT 2) "
};

/* A page of phones in name order; column 10: the userid when a lookup by
 * it finds this phone (no phone is so named, no other has it), else ''. */
static const struct db_stmt st_phone_page = {
	"sip_phone_page",
	PHONE_COLS("coalesce(CASE WHEN userid IS NOT NULL "
		   "  AND NOT EXISTS (SELECT 1 FROM phone q WHERE q.name = f.userid) "
		   "  AND NOT EXISTS (SELECT 1 FROM phone q JOIN end_user e "
		   "                     ON e.pkid = q.digest_user_id "
		   "                  WHERE e.userid = f.userid AND q.pkid <> f.pkid) "
		   "  THEN userid END, '')") " WHERE name > $1 ORDER BY name LIMIT $2"
};

static void
copy_phone(PGresult *res, int r, struct sip_phone *out)
{
	memset(out, 0, sizeof(*out));
	db_copy(res, r, 0, out->uuid, sizeof(out->uuid));
	db_copy(res, r, 1, out->name, sizeof(out->name));
	out->sip = strcmp(PQgetvalue(res, r, 2), "t") == 0;
	out->digest = strcmp(PQgetvalue(res, r, 3), "t") == 0;
	out->nonce_validity = atol(PQgetvalue(res, r, 4));
	db_copy(res, r, 5, out->transport_type, sizeof(out->transport_type));
	db_copy(res, r, 6, out->security_mode, sizeof(out->security_mode));
	db_copy(res, r, 7, out->digest_user, sizeof(out->digest_user));
	db_copy(res, r, 8, out->ha1_md5, sizeof(out->ha1_md5));
	db_copy(res, r, 9, out->ha1_sha256, sizeof(out->ha1_sha256));
	db_copy(res, r, 11, out->model, sizeof(out->model));
	db_copy(res, r, 12, out->lsc_fingerprint, sizeof(out->lsc_fingerprint));
	db_copy(res, r, 13, out->facts, sizeof(out->facts));
}

bool
repo_sip_phone(struct db *db, const char *user, struct sip_phone *out, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_phone, 1, &user, err);
	int n;

	if (res == NULL)
		return false;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return app_err_set(err, APP_E_NOT_FOUND, "aor",
				   "Not Found: no phone or digest user %s", user);
	}
	if (n > 1 && strcmp(PQgetvalue(res, 0, 10), "t") != 0) {
		PQclear(res);
		return app_err_set(
			err, APP_E_RULE, "aor",
			"Forbidden: %s is the digest user of several phones; register as the phone name",
			user);
	}
	copy_phone(res, 0, out);
	PQclear(res);
	return true;
}

int
repo_sip_phone_page(struct db *db, const char *after, int limit, sip_phone_fn *fn, void *ctx,
		    char *last, size_t lastsize, struct app_err *err)
{
	char lim[16];
	const char *params[2] = { after, lim };
	PGresult *res;
	struct sip_phone ph;
	int n;

	snprintf(lim, sizeof(lim), "%d", limit);
	res = db_exec(db, &st_phone_page, 2, params, err);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (int r = 0; r < n; r++) {
		const char *users[2] = { PQgetvalue(res, r, 1), PQgetvalue(res, r, 10) };

		copy_phone(res, r, &ph);
		fn(ctx, users, &ph);
	}
	if (n > 0)
		db_copy(res, n - 1, 1, last, lastsize);
	PQclear(res);
	return n;
}

static const struct db_stmt st_secret = { "sip_secret", "SELECT secret FROM sip_secret" };

bool
repo_sip_secret(struct db *db, char *out, size_t size, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_secret, 0, NULL, err);
	bool ok;

	if (res == NULL)
		return false;
	ok = PQntuples(res) == 1;
	if (ok)
		db_copy(res, 0, 0, out, size);
	PQclear(res);
	return ok || app_err_set(err, APP_E_INTERNAL, NULL, "the sip_secret row is missing");
}

/* db/migrations/0014: accepted REGISTERs, several at once. */
static const struct db_stmt st_register = {
	"sip_register",
	"SELECT req, kind, coalesce(row_id, 0), coalesce(contact, ''), coalesce(seconds, 0) "
	"FROM sip_register($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
};

/* One array element of a PostgreSQL array literal: NULL, or quoted with
 * " and \ escaped (valid for every element type). */
static void
put_elem(struct xbuf *x, const char *v)
{
	if (x->len > 0 && x->data[x->len - 1] != '{')
		xbuf_put(x, ",", 1);
	if (v == NULL) {
		xbuf_puts(x, "NULL");
		return;
	}
	xbuf_put(x, "\"", 1);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			xbuf_put(x, "\\", 1);
		xbuf_put(x, v, 1);
	}
	xbuf_put(x, "\"", 1);
}

/* sip_register()'s per-request arrays, in its parameter order: where
 * each value is in a struct sip_register, and how it becomes text. */
enum col_type { COL_TEXT, COL_TEXT_OR_EMPTY, COL_ULONG, COL_UINT, COL_LLONG };
/* clang-format off */
#define REQ(field, type) { offsetof(struct sip_register, field), type }
static const struct {
	size_t offset;
	enum col_type type;
} request_cols[] = {
	REQ(b.phone_uuid, COL_TEXT),          REQ(facts, COL_TEXT),
	REQ(b.aor, COL_TEXT),                 REQ(b.call_id, COL_TEXT),
	REQ(b.cseq, COL_ULONG),               REQ(b.transport, COL_TEXT),
	REQ(b.source_ip, COL_TEXT),           REQ(b.source_port, COL_UINT),
	REQ(b.user_agent, COL_TEXT),          REQ(b.cert_kind, COL_TEXT_OR_EMPTY),
	REQ(b.cert_serial, COL_TEXT_OR_EMPTY), REQ(b.cert_not_after, COL_LLONG),
};
/* clang-format on */
#define NREQ ((int) (sizeof(request_cols) / sizeof(request_cols[0])))

/* Column c of request rq, as text (t: room for a number's). */
static const char *
request_col(const struct sip_register *rq, int c, char *t, size_t n)
{
	const void *v = (const char *) rq + request_cols[c].offset;

	switch (request_cols[c].type) {
	case COL_TEXT:
		return *(const char *const *) v;
	case COL_TEXT_OR_EMPTY:
		return *(const char *const *) v != NULL ? *(const char *const *) v : "";
	case COL_ULONG:
		snprintf(t, n, "%lu", *(const unsigned long *) v);
		break;
	case COL_UINT:
		snprintf(t, n, "%u", *(const unsigned *) v);
		break;
	case COL_LLONG:
		snprintf(t, n, "%lld", *(const long long *) v);
		break;
	}
	return t;
}

/* The per-request arrays, then the Contacts' (request, contact, expiry);
 * "Contact: *" is one item with no contact. */
static void
put_requests(struct xbuf *x, struct sip_register *const rqs[], int n)
{
	char t[32], q[16];

	for (int i = 0; i < n; i++) {
		const struct sip_register *rq = rqs[i];

		for (int c = 0; c < NREQ; c++)
			put_elem(&x[c], request_col(rq, c, t, sizeof(t)));
		snprintf(q, sizeof(q), "%d", i + 1);
		for (int k = 0; rq->contacts == NULL ? k < 1 : k < rq->ncontacts; k++) {
			snprintf(t, sizeof(t), "%ld", rq->contacts ? rq->expires[k] : 0L);
			put_elem(&x[NREQ], q);
			put_elem(&x[NREQ + 1], rq->contacts ? rq->contacts[k] : NULL);
			put_elem(&x[NREQ + 2], t);
		}
	}
}

static void
each_row(PGresult *res, struct sip_register *const rqs[], int n)
{
	for (int r = 0; r < PQntuples(res); r++) {
		int q = atoi(PQgetvalue(res, r, 0)) - 1;
		const char *kind = PQgetvalue(res, r, 1);
		long long id = atoll(PQgetvalue(res, r, 2));
		struct sip_register *rq = q >= 0 && q < n ? rqs[q] : NULL;
		const struct sip_register_fns *fns = rq ? rq->fns : NULL;

		if (rq == NULL)
			continue;
		if (kind[0] == 'f' || kind[0] == 's')
			rq->written = kind[0] == 'f' ? SIP_FACTS_STALE : SIP_CSEQ_REFUSED;
		else if (kind[0] == 'b' && fns->bound != NULL)
			fns->bound(fns->ctx, id);
		else if (kind[0] == 'r' && fns->removed != NULL)
			fns->removed(fns->ctx, id);
		else if (kind[0] == 'c')
			fns->contact(fns->ctx, PQgetvalue(res, r, 3), atol(PQgetvalue(res, r, 4)));
		else if (kind[0] == 'k')
			rq->confirmed = (long) id;
	}
}

bool
repo_sip_register(struct db *db, struct sip_register *const rqs[], int n, const char *node,
		  struct app_err *err)
{
	struct xbuf x[NREQ + 3];
	const char *params[NREQ + 4];
	PGresult *res = NULL;
	bool oom = false;

	for (int c = 0; c < NREQ + 3; c++) {
		xbuf_init(&x[c]);
		xbuf_put(&x[c], "{", 1);
	}
	for (int i = 0; i < n; i++) {
		rqs[i]->written = SIP_WRITTEN;
		rqs[i]->confirmed = 0;
	}
	put_requests(x, rqs, n);
	for (int c = 0; c < NREQ + 3; c++) {
		xbuf_put(&x[c], "}", 2); /* with its NUL: a parameter */
		oom = oom || x[c].oom;
		params[c < NREQ ? c : c + 1] = x[c].data;
	}
	params[NREQ] = node;
	if (oom)
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	else
		res = db_exec(db, &st_register, NREQ + 4, params, err);
	for (int c = 0; c < NREQ + 3; c++)
		xbuf_free(&x[c]);
	if (res == NULL)
		return false;
	each_row(res, rqs, n);
	PQclear(res);
	return true;
}

static const struct db_stmt st_unbind_tls = {
	"sip_unbind_tls",
	"DELETE FROM sip_registration r WHERE r.phone_id = $1 AND r.transport = 'tls' "
	"   AND r.node = $2 AND r.cert_kind = 'LSC' AND r.cert_serial IS DISTINCT FROM "
	"       (SELECT l.serial FROM phone_lsc l WHERE l.phone_uuid = $1) "
	"RETURNING r.id"
};
static const struct db_stmt st_expire = {
	"sip_expire",
	"DELETE FROM sip_registration WHERE expires_at < now() - interval '5 minutes' RETURNING id"
};

static bool
each_id(PGresult *res, void (*fn)(void *ctx, long long id), void *ctx)
{
	if (res == NULL)
		return false;
	for (int r = 0; fn != NULL && r < PQntuples(res); r++)
		fn(ctx, atoll(PQgetvalue(res, r, 0)));
	PQclear(res);
	return true;
}

bool
repo_sip_unbind_tls(struct db *db, const char *phone_uuid, const char *node,
		    void (*fn)(void *ctx, long long id), void *ctx, struct app_err *err)
{
	const char *params[2] = { phone_uuid, node };

	return each_id(db_exec(db, &st_unbind_tls, 2, params, err), fn, ctx);
}

bool
repo_sip_expire(struct db *db, void (*fn)(void *ctx, long long id), void *ctx, struct app_err *err)
{
	return each_id(db_exec(db, &st_expire, 0, NULL, err), fn, ctx);
}

/* Due rows of this node, oldest first; a row left in 'sending' past its
 * lock (the instance stopped mid-send) is due again.  The phone's bindings
 * are read now, not when the request was queued: a phone that registered
 * again (new Call-ID, new port) is reached where it is, and every active
 * binding is (a phone may register several contacts). */
static const struct db_stmt st_claim = {
	"sip_claim",
	"WITH due AS (SELECT id FROM notify_outbox "
	"   WHERE node = $1 AND state IN ('pending', 'sending') AND next_attempt_at <= now() "
	"     AND (state = 'pending' OR locked_until < now()) "
	"   ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
	"claimed AS (UPDATE notify_outbox o SET state = 'sending', attempts = o.attempts + 1, "
	"     locked_until = now() + make_interval(secs => $3) "
	"   FROM due WHERE o.id = due.id "
	"   RETURNING o.id, o.event, o.action, o.attempts, o.config_version, "
	"             o.phone_name, o.phone_id) "
	"SELECT c.id, c.event, c.action, c.attempts, c.config_version, "
	"       c.phone_name, coalesce(r.id, 0), coalesce(r.aor, ''), coalesce(r.contact_uri, ''), "
	"       coalesce(r.call_id, ''), coalesce(r.transport, ''), coalesce(host(r.source_ip), ''), "
	"       coalesce(r.source_port, 0), coalesce(sp.device_security_mode, 'Non Secure'), "
	"       row_number() OVER w, count(r.id) OVER (PARTITION BY c.id) "
	"  FROM claimed c LEFT JOIN phone p ON p.pkid = c.phone_id "
	"  LEFT JOIN phone_security_profile sp ON sp.pkid = p.security_profile_id "
	"  LEFT JOIN sip_registration r ON r.phone_id = c.phone_id AND r.expires_at > now() "
	"WINDOW w AS (PARTITION BY c.id ORDER BY r.id) ORDER BY c.id, r.id"
};

static void
claimed_job(PGresult *res, int r, struct sip_job *job)
{
	memset(job, 0, sizeof(*job));
	job->id = atoll(PQgetvalue(res, r, 0));
	db_copy(res, r, 1, job->event, sizeof(job->event));
	db_copy(res, r, 2, job->action, sizeof(job->action));
	job->attempts = atoi(PQgetvalue(res, r, 3));
	job->config_version = atoll(PQgetvalue(res, r, 4));
	db_copy(res, r, 5, job->phone, sizeof(job->phone));
	job->registration_id = atoll(PQgetvalue(res, r, 6));
	db_copy(res, r, 7, job->aor, sizeof(job->aor));
	db_copy(res, r, 8, job->contact, sizeof(job->contact));
	db_copy(res, r, 9, job->call_id, sizeof(job->call_id));
	db_copy(res, r, 10, job->transport, sizeof(job->transport));
	db_copy(res, r, 11, job->source_ip, sizeof(job->source_ip));
	job->source_port = (unsigned) atoi(PQgetvalue(res, r, 12));
	db_copy(res, r, 13, job->security_mode, sizeof(job->security_mode));
	job->bindings = atoi(PQgetvalue(res, r, 15));
	job->binding = job->bindings ? atoi(PQgetvalue(res, r, 14)) : 0;
}

bool
repo_sip_claim(struct db *db, const char *node, int limit, long lock_seconds,
	       void (*fn)(void *ctx, struct sip_job *job), void *ctx, int *claimed,
	       struct app_err *err)
{
	char lim[16], lock[24];
	const char *params[3] = { node, lim, lock };
	PGresult *res;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lock, sizeof(lock), "%ld", lock_seconds);
	res = db_exec(db, &st_claim, 3, params, err);
	if (res == NULL)
		return false;
	*claimed = 0;
	for (int r = 0; r < PQntuples(res); r++) {
		struct sip_job job;

		claimed_job(res, r, &job);
		*claimed += job.binding <= 1;
		fn(ctx, &job);
	}
	PQclear(res);
	return true;
}

static const struct db_stmt st_release = {
	"sip_release", "UPDATE notify_outbox SET state = 'pending', locked_until = NULL "
		       " WHERE node = $1 AND state = 'sending'"
};

bool
repo_sip_release(struct db *db, const char *node, struct app_err *err)
{
	PGresult *res = db_exec(db, &st_release, 1, &node, err);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

static const struct db_stmt st_results = {
	"sip_results",
	"UPDATE notify_outbox o SET last_status = r.status, reason = r.phrase, locked_until = NULL, "
	"       state = CASE WHEN r.status BETWEEN 200 AND 299 THEN 'delivered' "
	"                    WHEN r.retry AND o.attempts < $6 THEN 'pending' ELSE 'failed' END, "
	"       next_attempt_at = now() + make_interval(secs => r.after), "
	"       done_at = CASE WHEN r.status BETWEEN 200 AND 299 OR NOT r.retry "
	"                        OR o.attempts >= $6 THEN now() END "
	"  FROM unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[], $5::float8[]) "
	"       AS r(id, status, phrase, retry, after) "
	" WHERE o.id = r.id AND o.state = 'sending'"
};

/* Appends one element of a PostgreSQL array literal, quoted. */
static bool
array_add(char *buf, size_t size, size_t *len, const char *value)
{
	size_t need = 4 + 2 * strlen(value); /* ,"" and every byte escaped */

	if (*len + need + 2 > size)
		return false;
	buf[*len] = *len == 0 ? '{' : ',';
	(*len)++;
	buf[(*len)++] = '"';
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *p;
	}
	buf[(*len)++] = '"';
	buf[*len] = '\0';
	return true;
}

/* Per element at most 4 + 2 * 63 bytes (the longest: a quoted phrase). */
#define ARRAY_MAX (SIP_RESULTS_MAX * 132)

bool
repo_sip_results(struct db *db, const struct sip_result *r, int n, int max_attempts,
		 struct app_err *err)
{
	static const size_t cap = ARRAY_MAX;
	char *arrays = malloc(5 * cap), max[16], num[32];
	size_t len[5] = { 0 };
	const char *params[6];
	bool ok = arrays != NULL && n > 0 && n <= SIP_RESULTS_MAX;
	PGresult *res;

	for (int i = 0; ok && i < n; i++) {
		snprintf(num, sizeof(num), "%lld", r[i].id);
		ok = array_add(arrays, cap, &len[0], num);
		snprintf(num, sizeof(num), "%d", r[i].status);
		ok = ok && array_add(arrays + cap, cap, &len[1], num);
		ok = ok && array_add(arrays + 2 * cap, cap, &len[2], r[i].phrase);
		ok = ok && array_add(arrays + 3 * cap, cap, &len[3], r[i].retryable ? "t" : "f");
		snprintf(num, sizeof(num), "%ld", r[i].retry_after);
		ok = ok && array_add(arrays + 4 * cap, cap, &len[4], num);
	}
	if (!ok) {
		free(arrays);
		return app_err_set(err, APP_E_INTERNAL, NULL, "cannot build %d NOTIFY results", n);
	}
	for (int k = 0; k < 5; k++) {
		arrays[k * cap + len[k]++] = '}';
		arrays[k * cap + len[k]] = '\0';
		params[k] = arrays + k * cap;
	}
	snprintf(max, sizeof(max), "%d", max_attempts);
	params[5] = max;
	res = db_exec(db, &st_results, 6, params, err);
	free(arrays);
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

static const struct db_stmt st_unreachable = {
	"sip_unreachable",
	"UPDATE notify_outbox SET state = 'unreachable', reason = $2, locked_until = NULL, "
	"       done_at = now() WHERE id = $1 AND state = 'sending'"
};

bool
repo_sip_unreachable(struct db *db, long long id, const char *reason, struct app_err *err)
{
	char sid[24];
	const char *params[2] = { sid, reason };
	PGresult *res;

	snprintf(sid, sizeof(sid), "%lld", id);
	res = db_exec(db, &st_unreachable, 2, params, err);
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

struct sip_listener {
	PGconn *conn;
};

struct sip_listener *
repo_sip_listen(const char *conninfo, struct app_err *err)
{
	struct sip_listener *l = calloc(1, sizeof(*l));
	PGresult *res;

	if (l == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	l->conn = PQconnectdb(conninfo);
	if (PQstatus(l->conn) != CONNECTION_OK) {
		app_err_set(err, APP_E_DB_UNAVAILABLE, NULL, "LISTEN connection: %s",
			    PQerrorMessage(l->conn));
		repo_sip_listen_close(l);
		return NULL;
	}
	res = PQexec(l->conn, "LISTEN axlprov_outbox; LISTEN axlprov_lsc; LISTEN axlprov_facts");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		app_err_set(err, APP_E_DB_UNAVAILABLE, NULL, "LISTEN: %s", PQerrorMessage(l->conn));
		PQclear(res);
		repo_sip_listen_close(l);
		return NULL;
	}
	PQclear(res);
	return l;
}

int
repo_sip_listen_fd(const struct sip_listener *l)
{
	return PQsocket(l->conn);
}

bool
repo_sip_listen_poll(struct sip_listener *l, const char *node, bool *woken, bool *facts,
		     void (*lsc)(void *ctx, const char *phone_uuid), void *ctx)
{
	PGnotify *n;

	if (PQconsumeInput(l->conn) != 1 || PQstatus(l->conn) != CONNECTION_OK)
		return false;
	while ((n = PQnotifies(l->conn)) != NULL) {
		if (strcmp(n->relname, "axlprov_lsc") == 0)
			lsc(ctx, n->extra);
		else if (strcmp(n->relname, "axlprov_facts") == 0)
			*facts = true;
		else if (n->extra[0] == '\0' || strcmp(n->extra, node) == 0)
			*woken = true;
		PQfreemem(n);
	}
	return true;
}

void
repo_sip_listen_close(struct sip_listener *l)
{
	if (l == NULL)
		return;
	PQfinish(l->conn);
	free(l);
}
