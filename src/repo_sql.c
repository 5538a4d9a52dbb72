/*
 * repo_sql.c: executeSQLQuery's statements on the query role's connection
 * (see repo_sql.h).  The statement is the client's, so it is sent with the
 * extended protocol (PostgreSQL refuses a second statement there), inside
 * a transaction this file opens READ ONLY and always rolls back: whatever
 * the statement sets (set_config, a role it may not take anyway) ends with
 * it.
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
		log_msg(LOG_WARN, "executeSQLQuery: cannot connect as the query role: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
			    "Database unavailable: could not connect; try again later");
		return NULL;
	}
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

static bool
begin(PGconn *conn, long timeout_s, struct app_err *err)
{
	char sql[160];
	PGresult *res;
	bool ok;

	snprintf(sql, sizeof(sql),
		 "BEGIN READ ONLY; SET LOCAL statement_timeout = %ld; "
		 "SET LOCAL search_path = ccm",
		 timeout_s * 1000);
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		failed(conn, res, err);
	PQclear(res);
	return ok;
}

/* The state of one statement's reading. */
struct reading {
	const struct sql_rows *rows;
	const char **values;
	bool started, writing, broken;
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

/* Reads every result of the statement sent; false with err set. */
static bool
read_rows(PGconn *conn, struct reading *r, struct app_err *err)
{
	PGresult *res;
	bool ok = true;

	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)
			take_row(r, res);
		else if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
			/* Never reached through sql_informix.c; a connection in COPY
			 * state is not worth saving. */
			r->broken = true;
			ok = app_err_set(err, APP_E_SQL, "sql", "COPY is not served");
			PQclear(res);
			break;
		} else if (st != PGRES_COMMAND_OK && ok)
			ok = failed(conn, res, err);
		PQclear(res);
	}
	if (ok && r->broken)
		ok = app_err_set(err, APP_E_INTERNAL, NULL, "Internal error: out of memory");
	return ok;
}

/* A connection in a transaction begun: a stale one (the server restarted)
 * is replaced once. */
static PGconn *
ready(const struct config *cfg, struct app_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *conn = connection(cfg, err);

		if (conn == NULL)
			return NULL;
		if (begin(conn, cfg->sql_query_timeout, err))
			return conn;
		conn_drop(conn);
		if (err->code != APP_E_DB_UNAVAILABLE)
			break;
	}
	return NULL;
}

bool
repo_sql_query(const struct config *cfg, const char *sql, const struct sql_rows *rows,
	       long *matched, struct app_err *err)
{
	PGconn *conn = ready(cfg, err);
	struct reading r = { .rows = rows };
	bool ok;

	*matched = 0;
	if (conn == NULL)
		return false;
	if (PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1) {
		PQsetSingleRowMode(conn);
		ok = read_rows(conn, &r, err);
	} else
		ok = failed(conn, NULL, err);
	free(r.values);
	*matched = r.matched;
	if (r.broken || PQstatus(conn) != CONNECTION_OK)
		conn_drop(conn);
	else
		PQclear(PQexec(conn, "ROLLBACK"));
	return ok;
}
