/*
 * db.c: PostgreSQL connection handling.  Statements are prepared once per
 * connection (a reconnect forgets them); every query goes through
 * PQexecPrepared with out-of-line parameters.  Errors are mapped here, once,
 * from SQLSTATE to enum app_errcode.
 */
#include "db_pq.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

#define DB_MAX_PREPARED 128

struct db {
	PGconn *conn;
	char *conninfo;
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	int nprepared;
	bool in_tx;                /* stays set when the connection is lost in a
				    * transaction, until db_rollback() */
	struct timespec failed_at; /* last failed connect, for the hold-off */
	bool down;                 /* connecting failed; logged once until it works */
};

/* After a connect attempt that failed slowly (a host that does not answer:
 * up to connect_timeout), requests fail at once for this long rather than
 * each spending such an attempt.  A refused connect costs nothing and is
 * tried again by the next request, so service resumes as soon as the
 * server is back. */
#define DB_SLOW_CONNECT_MS 200
#define DB_RETRY_HOLDOFF_MS 1000

struct db *
db_open(const char *conninfo)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->conninfo = strdup(conninfo ? conninfo : "");
	if (db->conninfo == NULL) {
		free(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/* Drops the connection.  A transaction that was open is lost with it; in_tx
 * stays set so that nothing more runs as part of it (on a new connection
 * the rest would run outside any transaction) until db_rollback(). */
static void
forget_connection(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long) (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* An idle connection the server has closed (PostgreSQL restarted, an
 * administrator terminated it) has its farewell, then end of file, waiting
 * on the socket: read them now, so that the request reconnects instead of
 * failing on a dead connection.  Normally one poll(2) that does not wait. */
static bool
still_connected(struct db *db)
{
	struct pollfd p = { .fd = PQsocket(db->conn), .events = POLLIN };

	if (PQstatus(db->conn) != CONNECTION_OK || p.fd < 0)
		return false;
	if (db->in_tx)
		return true;
	/* The message is read by one call, the end of file by the next. */
	for (int i = 0; i < 4 && poll(&p, 1, 0) == 1; i++) {
		if (PQconsumeInput(db->conn) != 1 || PQstatus(db->conn) != CONNECTION_OK)
			return false;
		(void) PQisBusy(db->conn); /* parses what arrived */
	}
	return true;
}

bool
db_ready(struct db *db, struct app_err *err)
{
	struct timespec started;

	if (db->conn != NULL && still_connected(db))
		return true;
	if (db->conn != NULL)
		log_msg(LOG_WARN, "database connection lost: %s", PQerrorMessage(db->conn));
	forget_connection(db);
	if (db->in_tx)
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "Database unavailable: connection lost; try again later");
	if ((db->failed_at.tv_sec != 0 || db->failed_at.tv_nsec != 0) &&
	    ms_since(&db->failed_at) < DB_RETRY_HOLDOFF_MS)
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "Database unavailable: could not connect; try again later");
	clock_gettime(CLOCK_MONOTONIC, &started);
	{
		/* Defaults first: the expanded connection string overrides them.
		 * Keepalives and tcp_user_timeout notice a PostgreSQL host that
		 * vanished without closing (TCP only; ignored on Unix sockets). */
		static const char *const keys[] = { "connect_timeout",
						    "application_name",
						    "keepalives",
						    "keepalives_idle",
						    "keepalives_interval",
						    "keepalives_count",
						    "tcp_user_timeout",
						    "dbname",
						    NULL };
		const char *values[] = { "5", "axlprovd", "1",          "10", "5",
					 "3", "20000",    db->conninfo, NULL };

		db->conn = PQconnectdbParams(keys, values, 1);
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* Once per outage, not once per request. */
		if (!db->down)
			log_msg(LOG_WARN, "database connection failed: %s",
				PQerrorMessage(db->conn));
		db->down = true;
		metrics_db_error();
		forget_connection(db);
		if (ms_since(&started) >= DB_SLOW_CONNECT_MS)
			clock_gettime(CLOCK_MONOTONIC, &db->failed_at);
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "Database unavailable: could not connect; try again later");
	}
	db->failed_at.tv_sec = db->failed_at.tv_nsec = 0;
	if (db->down)
		log_msg(LOG_INFO, "database connection restored");
	db->down = false;
	return true;
}

/* SQLSTATE -> application error.  The texts of the common ones are CUCM's. */
static bool
map_error(struct db *db, const PGresult *res, struct app_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);

	if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    PQstatus(db->conn) != CONNECTION_OK) {
		log_msg(LOG_WARN, "database connection lost: %s", msg);
		metrics_db_error();
		forget_connection(db);
		return app_err_set(err, APP_E_DB_UNAVAILABLE, NULL,
				   "Database unavailable: connection lost; try again later");
	}
	if (strcmp(state, "23505") == 0)
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	if (strcmp(state, "AX409") == 0) /* our functions' "refused by a newer one" */
		return app_err_set(err, APP_E_RULE, NULL, "%s",
				   res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "");
	if (strcmp(state, "23503") == 0)
		return app_err_set(err, APP_E_IN_USE, NULL,
				   "Key value for constraint (%s) is still being referenced.",
				   constraint ? constraint : "?");
	if (strcmp(state, "23514") == 0 || strcmp(state, "22P02") == 0 ||
	    strcmp(state, "22001") == 0 || strcmp(state, "23502") == 0)
		return app_err_set(err, APP_E_INVALID_VALUE, NULL,
				   "Invalid value: the database refused it (%s)",
				   constraint ? constraint : state);
	log_msg(LOG_ERROR, "database error %s: %s", state, msg);
	metrics_db_error();
	return app_err_set(err, APP_E_INTERNAL, NULL, "Internal database error (SQLSTATE %s)",
			   state);
}

static bool
prepare(struct db *db, const struct db_stmt *stmt, int nparams, struct app_err *err)
{
	PGresult *res;
	bool ok;

	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == stmt)
			return true;
	/* A statement prepared but not remembered would be prepared again and
	 * fail as a duplicate: refuse before that can happen. */
	if (db->nprepared == DB_MAX_PREPARED) {
		log_msg(LOG_ERROR, "more than %d statements: raise DB_MAX_PREPARED",
			DB_MAX_PREPARED);
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal error: too many statements");
	}
	res = PQprepare(db->conn, stmt->name, stmt->sql, nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		map_error(db, res, err);
	else
		db->prepared[db->nprepared++] = stmt;
	PQclear(res);
	return ok;
}

PGresult *
db_exec(struct db *db, const struct db_stmt *stmt, int nparams, const char *const *params,
	struct app_err *err)
{
	PGresult *res;
	ExecStatusType st;

	if (!db_ready(db, err) || !prepare(db, stmt, nparams, err))
		return NULL;
	res = PQexecPrepared(db->conn, stmt->name, nparams, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	map_error(db, res, err);
	PQclear(res);
	return NULL;
}

static bool
simple(struct db *db, const char *sql, struct app_err *err)
{
	PGresult *res;
	bool ok;

	if (!db_ready(db, err))
		return false;
	res = PQexec(db->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		map_error(db, res, err);
	PQclear(res);
	return ok;
}

bool
db_begin(struct db *db, struct app_err *err)
{
	db->in_tx = simple(db, "BEGIN", err);
	return db->in_tx;
}

bool
db_commit(struct db *db, struct app_err *err)
{
	bool ok = simple(db, "COMMIT", err);

	db->in_tx = false;
	return ok;
}

/* Also ends a transaction whose connection was lost (nothing to send). */
void
db_rollback(struct db *db)
{
	if (db->in_tx && db->conn != NULL) {
		PGresult *res = PQexec(db->conn, "ROLLBACK");

		PQclear(res);
	}
	db->in_tx = false;
}

bool
db_savepoint(struct db *db, enum db_savepoint what, struct app_err *err)
{
	static const char *const sql[] = {
		[DB_SAVEPOINT_SET] = "SAVEPOINT sp",
		[DB_SAVEPOINT_RELEASE] = "RELEASE SAVEPOINT sp",
		[DB_SAVEPOINT_ROLLBACK] = "ROLLBACK TO SAVEPOINT sp",
	};

	return simple(db, sql[what], err);
}

void
db_sql_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

bool
db_in_tx(const struct db *db)
{
	return db->in_tx;
}

bool
db_commit_if_open(struct db *db, struct app_err *err)
{
	return !db->in_tx || db_commit(db, err);
}

void
db_copy(const PGresult *res, int row, int col, char *out, size_t size)
{
	size_t n = (size_t) PQgetlength(res, row, col);

	if (n >= size)
		n = size - 1;
	memcpy(out, PQgetvalue(res, row, col), n);
	out[n] = '\0';
}
