/*
 * repo_sql.c: executeSQLQuery's statements on the query role's connection
 * (see repo_sql.h).  The statement is the client's, so it is sent with the
 * extended protocol (PostgreSQL refuses a second statement there), inside
 * a transaction this file opens READ ONLY and always rolls back: whatever
 * the statement sets (set_config, a role it may not take anyway) ends with
 * it.  The transaction's statements and the client's go in one pipeline,
 * so a statement costs one round trip.
 */
#include "repo_sql.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pq.h"
#include "log.h"

/* One connection per worker thread, opened on first use and closed when
 * the thread ends. */
static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;
static __thread bool conn_down;

static void
conn_free(void *conn)
{
	PQfinish(conn);
}

static void
conn_key_make(void)
{
	if (pthread_key_create(&conn_key, conn_free) != 0)
		log_msg(LOG_ERROR, "executeSQLQuery: no thread key");
}

static void
conn_drop(PGconn *conn)
{
	PQfinish(conn);
	pthread_setspecific(conn_key, NULL);
}

/* database_url with the query role's user, unless a connection of its own
 * is configured (later keywords win over the expanded dbname). */
static PGconn *
conn_open(const struct config *cfg)
{
	const bool own = cfg->sql_query_database_url[0] != '\0';
	const char *const keys[] = { "connect_timeout", "application_name", "dbname",
				     own ? NULL : "user", NULL };
	const char *const values[] = { "5", "axlprovd-sql",
				       own ? cfg->sql_query_database_url : cfg->database_url,
				       REPO_SQL_ROLE, NULL };

	return PQconnectdbParams(keys, values, 1);
}

static PGconn *
connection(const struct config *cfg, struct app_err *err)
{
	PGconn *conn;

	pthread_once(&conn_once, conn_key_make);
	conn = pthread_getspecific(conn_key);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) == PQTRANS_IDLE)
		return conn;
	if (conn != NULL)
		conn_drop(conn);
	conn = conn_open(cfg);
	if (PQstatus(conn) != CONNECTION_OK) {
		/* Once per outage and worker, not once per request. */
		if (!conn_down)
			log_msg(LOG_WARN, "executeSQLQuery: cannot connect as the query role: %s",
				PQerrorMessage(conn));
		conn_down = true;
		PQfinish(conn);
		app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
			    "Database unavailable: could not connect; try again later");
		return NULL;
	}
	conn_down = false;
	pthread_setspecific(conn_key, conn);
	return conn;
}

/* A lost connection, or the database's own message for the statement. */
static bool
failed(PGconn *conn, const PGresult *res, struct app_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    PQstatus(conn) != CONNECTION_OK) {
		log_msg(LOG_WARN, "executeSQLQuery: connection lost: %s", PQerrorMessage(conn));
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "Database unavailable: connection lost; try again later");
	}
	return app_err_set(err, APP_E_SQL, "sql", "%s",
			   msg ? msg :
				 "the database refused the "
				 "statement");
}

/* One round trip, pipelined: BEGIN READ ONLY and the settings, a Sync,
 * the statement, ROLLBACK, a Sync.  The first Sync matters: in the
 * extended protocol statement_timeout runs from a query message to the
 * next Sync, so the client's statement gets a timer of its own, with the
 * value just set. */
static bool
send_pipeline(PGconn *conn, long timeout_s, const char *sql)
{
	char ms[24];
	const char *param = ms;

	snprintf(ms, sizeof(ms), "%ld", timeout_s * 1000);
	return PQenterPipelineMode(conn) == 1 &&
	       PQsendQueryParams(conn, "BEGIN READ ONLY", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	       PQsendQueryParams(conn,
				 "SELECT set_config('statement_timeout', $1, true),"
				 " set_config('search_path', 'ccm', true)",
				 1, NULL, &param, NULL, NULL, 0) == 1 &&
	       PQpipelineSync(conn) == 1 &&
	       PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	       PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	       PQpipelineSync(conn) == 1;
}

/* The state of one statement's reading. */
struct reading {
	const struct sql_rows *rows;
	const char **values;
	bool started, writing, broken;
	bool began;  /* BEGIN succeeded: the statement was reached */
	bool single; /* single-row mode asked for the statement */
	long matched;
};

static void
take_row(struct reading *r, const PGresult *res)
{
	int n = PQnfields(res);

	if (!r->started) {
		const char **names = r->values = calloc((size_t) n + 1, sizeof(*names));

		if (names == NULL) {
			r->writing = false;
			r->broken = true;
			return;
		}
		for (int i = 0; i < n; i++)
			names[i] = PQfname(res, i);
		r->rows->columns(r->rows->ctx, n, names);
		r->started = r->writing = true;
	}
	if (PQresultStatus(res) != PGRES_SINGLE_TUPLE)
		return;
	r->matched++;
	if (!r->writing)
		return;
	for (int i = 0; i < n; i++)
		r->values[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
	r->writing = r->rows->row(r->rows->ctx, n, r->values);
}

/* What the pipeline answers, in order; each query's results end with a
 * NULL from PQgetResult, a Sync's with its one PGRES_PIPELINE_SYNC. */
enum unit { U_BEGIN, U_SETTINGS, U_SYNC1, U_STATEMENT, U_ROLLBACK, U_SYNC2, U__END };

static bool
take(PGconn *conn, struct reading *r, enum unit u, PGresult *res, bool ok, struct app_err *err)
{
	ExecStatusType st = PQresultStatus(res);

	if (u == U_BEGIN && st == PGRES_COMMAND_OK)
		r->began = true;
	if (u == U_STATEMENT && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK))
		take_row(r, res);
	else if (st == PGRES_FATAL_ERROR && ok)
		return failed(conn, res, err);
	return ok;
}

/* Reads the pipeline's answers; false with err set. */
static bool
read_pipeline(PGconn *conn, struct reading *r, struct app_err *err)
{
	bool ok = true;

	for (enum unit u = U_BEGIN; u < U__END;) {
		PGresult *res;

		/* Rows one at a time; without it a result would be held whole. */
		if (u == U_STATEMENT && !r->single &&
		    !(r->single = PQsetSingleRowMode(conn) == 1)) {
			r->broken = true;
			return app_err_set(err, APP_E_INTERNAL, NULL, "Internal error: row mode");
		}
		if ((res = PQgetResult(conn)) == NULL) {
			if (PQstatus(conn) != CONNECTION_OK) {
				r->broken = true;
				return ok ? failed(conn, NULL, err) : false;
			}
			u++;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
			u++;
		else
			ok = take(conn, r, u, res, ok, err);
		PQclear(res);
	}
	if (ok && r->broken)
		ok = app_err_set(err, APP_E_INTERNAL, NULL, "Internal error: out of memory");
	return ok;
}

/* Sends and reads one statement on conn; afterwards no transaction is left
 * open (or the connection is dropped). */
static bool
run(PGconn *conn, const struct config *cfg, const char *sql, struct reading *r, struct app_err *err)
{
	bool ok = send_pipeline(conn, cfg->sql_query_timeout, sql) ?
			  read_pipeline(conn, r, err) :
			  (r->broken = true, failed(conn, NULL, err));

	if (r->broken || PQstatus(conn) != CONNECTION_OK || PQexitPipelineMode(conn) != 1) {
		conn_drop(conn);
		return ok;
	}
	/* A failed statement leaves its transaction aborted, not ended. */
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		conn_drop(conn);
	return ok;
}

bool
repo_sql_query(const struct config *cfg, const char *sql, const struct sql_rows *rows,
	       long *matched, struct app_err *err)
{
	/* A stale connection (the server restarted) fails before the statement
	 * is reached: then once more on a new one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *conn = connection(cfg, err);
		struct reading r = { .rows = rows };
		bool ok;

		*matched = 0;
		if (conn == NULL)
			return false;
		ok = run(conn, cfg, sql, &r, err);
		free(r.values);
		*matched = r.matched;
		if (ok || r.began || err->code != APP_E_DB_UNAVAILABLE)
			return ok;
	}
	return false;
}
