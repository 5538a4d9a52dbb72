/*
 * svc_sql.c: executeSQLQuery, and the refusal of executeSQLUpdate and
 * executeSQLQueryInactive.  The statement is checked and translated by
 * sql_informix.c, run by repo_sql.c as the query role, and each row is
 * written as it arrives: <row> with one child per column, named as the
 * column (docs/sql-query.md), until the response passes max_response;
 * the rows past it are only counted, for AXL's "Query request too large".
 */
#include "svc.h"

#include <stdio.h>
#include <string.h>

#include "repo_sql.h"
#include "sql_informix.h"

/* The longest column element name written (PostgreSQL's names are 63
 * bytes at most). */
#define SQL_ELEMENT_MAX 72

struct sql_answer {
	struct op_call *c;
	struct axl_list list;
	char (*names)[SQL_ELEMENT_MAX];
};

static void
answer_columns(void *ctx, int n, const char *const *columns)
{
	struct sql_answer *a = ctx;

	a->names = soap_malloc(a->c->w->soap, (size_t) (n > 0 ? n : 1) * sizeof(*a->names));
	for (int i = 0; a->names != NULL && i < n; i++)
		sql_column_element(columns[i], a->names[i], sizeof(a->names[i]));
}

static bool
answer_row(void *ctx, int n, const char *const *values)
{
	struct sql_answer *a = ctx;
	struct xbuf *b = &a->c->w->body;

	if (a->names == NULL)
		return false;
	xbuf_puts(b, "<row>");
	/* A NULL is an empty element, as CUCM prints it. */
	for (int i = 0; i < n; i++)
		xbuf_element(b, a->names[i], values[i] != NULL ? values[i] : "");
	xbuf_puts(b, "</row>");
	return axl_list_row(&a->list);
}

/* The request log's copy of the statement: its start, on one line. */
static void
note_statement(struct worker *w, const char *sql)
{
	size_t cut = sizeof(w->req.sql) - 4;

	snprintf(w->req.sql, sizeof(w->req.sql), "%s", sql);
	if (strlen(sql) < sizeof(w->req.sql))
		return;
	/* Not inside a UTF-8 character. */
	while (cut > 0 && (w->req.sql[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(w->req.sql + cut, "...", 4);
}

bool
svc_sql_query(struct op_call *c, void *req_)
{
	struct ns__ExecuteSQLQueryReq *req = req_;
	const char *sql = req->sql != NULL ? req->sql : "";
	size_t size = SQL_TRANSLATED_SIZE(strlen(sql));
	char *pg = soap_malloc(c->w->soap, size);
	struct sql_answer a = { .c = c };
	struct sql_rows rows = { answer_columns, answer_row, &a };
	long matched;

	note_statement(c->w, sql);
	if (pg == NULL)
		return svc_no_memory(c);
	if (!sql_informix_translate(sql, pg, size, &c->err))
		return false;
	axl_list_begin(&a.list, c->w, c->name, req->sequence);
	if (!repo_sql_query(c->w->cfg, pg, &rows, &matched, &c->err))
		return false;
	if (a.names == NULL && a.list.rows == 0 && matched > 0)
		return svc_no_memory(c);
	c->rc = axl_list_end(&a.list, matched);
	return true;
}

/* What changes the data dictionary's contents here: the AXL operations. */
#define SQL_WRITES \
	"this server's data dictionary is a read-only view of what it holds; change it " \
	"through AXL: addPhoneSecurityProfile, updatePhoneSecurityProfile, " \
	"removePhoneSecurityProfile, addPhone, updatePhone, removePhone, addUser, updateUser, " \
	"removeUser (and applyPhone, resetPhone, restartPhone, applyPhoneSecurityProfile, " \
	"resetPhoneSecurityProfile to tell phones)"

bool
svc_sql_refuse(struct op_call *c, void *req_)
{
	(void) req_;
	if (c->op == OP_SQL_UPDATE)
		return app_err_set(&c->err, APP_E_READ_ONLY, NULL,
				   "executeSQLUpdate is not served: " SQL_WRITES);
	return app_err_set(&c->err, APP_E_READ_ONLY, NULL,
			   "executeSQLQueryInactive is not served: there is no inactive "
			   "partition; use executeSQLQuery, which reads the active data "
			   "dictionary. Also, " SQL_WRITES);
}
