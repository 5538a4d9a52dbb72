/*
 * sql_informix.c: Informix habits to PostgreSQL, and what executeSQLQuery
 * refuses before a statement reaches the database (see sql_informix.h).
 */
#include "sql_informix.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "axl_fault.h"

enum tok { T_END, T_WORD, T_NUMBER, T_STRING, T_QNAME, T_SEMI, T_LPAREN, T_OTHER, T_BAD };

struct lex {
	const char *s;
	size_t pos;        /* after the current token */
	size_t start, end; /* the current token */
	size_t prev_end;   /* where the token before it ends */
	enum tok t;
	const char *bad; /* why T_BAD */
};

static bool
word_char(unsigned char c, bool first)
{
	return isalpha(c) || c == '_' || c >= 0x80 || (!first && (isdigit(c) || c == '$'));
}

/* Whitespace and comments (PostgreSQL nests block comments). */
static bool
skip_space(struct lex *l)
{
	const char *s = l->s;

	for (;;) {
		while (isspace((unsigned char) s[l->pos]))
			l->pos++;
		if (s[l->pos] == '-' && s[l->pos + 1] == '-') {
			while (s[l->pos] != '\0' && s[l->pos] != '\n')
				l->pos++;
		} else if (s[l->pos] == '/' && s[l->pos + 1] == '*') {
			int depth = 0;

			do {
				if (s[l->pos] == '\0')
					return false;
				if (s[l->pos] == '/' && s[l->pos + 1] == '*')
					depth++, l->pos += 2;
				else if (s[l->pos] == '*' && s[l->pos + 1] == '/')
					depth--, l->pos += 2;
				else
					l->pos++;
			} while (depth > 0);
		} else
			return true;
	}
}

/* A quoted run from l->pos (at the quote): doubled quotes stay inside,
 * and so does a backslash-escaped character when backslash is set. */
static bool
quoted(struct lex *l, char q, bool backslash)
{
	const char *s = l->s;

	for (l->pos++;; l->pos++) {
		if (s[l->pos] == '\0')
			return false;
		if (backslash && s[l->pos] == '\\' && s[l->pos + 1] != '\0')
			l->pos++;
		else if (s[l->pos] == q) {
			if (s[l->pos + 1] != q)
				break;
			l->pos++;
		}
	}
	l->pos++;
	return true;
}

/* $tag$ ... $tag$ (l->pos at the first '$'); false if it is not one. */
static bool
dollar_quoted(struct lex *l)
{
	const char *s = l->s, *close;
	size_t n = 1;
	char tag[64];

	while (word_char((unsigned char) s[l->pos + n], n == 1) && s[l->pos + n] != '$')
		n++;
	if (s[l->pos + n] != '$' || n + 1 >= sizeof(tag))
		return false;
	memcpy(tag, s + l->pos, n + 1);
	tag[n + 1] = '\0';
	close = strstr(s + l->pos + n + 1, tag);
	if (close == NULL)
		return false;
	l->pos = (size_t) (close - s) + n + 1;
	return true;
}

static enum tok
bad(struct lex *l, const char *why)
{
	l->bad = why;
	return l->t = T_BAD;
}

static enum tok
next_quoted(struct lex *l, char c)
{
	const char *s = l->s;
	size_t at = l->pos;

	if ((c == 'U' || c == 'u') && s[at + 1] == '&' && (s[at + 2] == '\'' || s[at + 2] == '"'))
		return bad(l, "Unicode escapes (U&) are not accepted");
	if ((c == 'E' || c == 'e') && s[at + 1] == '\'') {
		l->pos++;
		return quoted(l, '\'', true) ? (l->t = T_STRING) : bad(l, "unterminated string");
	}
	if (c == '\'')
		return quoted(l, '\'', false) ? (l->t = T_STRING) : bad(l, "unterminated string");
	if (c == '"')
		return quoted(l, '"', false) ? (l->t = T_QNAME) :
					       bad(l, "unterminated quoted name");
	if (dollar_quoted(l))
		return l->t = T_STRING;
	return T_END; /* not a quoted token */
}

static enum tok
next(struct lex *l)
{
	const char *s = l->s;
	unsigned char c;

	l->prev_end = l->end;
	if (!skip_space(l))
		return bad(l, "unterminated comment");
	l->start = l->pos;
	c = (unsigned char) s[l->pos];
	if (c == '\0')
		l->t = T_END;
	else if (next_quoted(l, (char) c) != T_END)
		;
	else if (word_char(c, true)) {
		while (word_char((unsigned char) s[l->pos], false))
			l->pos++;
		l->t = T_WORD;
	} else if (isdigit(c)) {
		while (isalnum((unsigned char) s[l->pos]) || s[l->pos] == '.' || s[l->pos] == '_')
			l->pos++;
		l->t = T_NUMBER;
	} else {
		l->pos++;
		l->t = c == ';' ? T_SEMI : c == '(' ? T_LPAREN : T_OTHER;
	}
	l->end = l->pos;
	return l->t;
}

static bool
is_word(const struct lex *l, const char *w)
{
	return l->t == T_WORD && l->end - l->start == strlen(w) &&
	       strncasecmp(l->s + l->start, w, l->end - l->start) == 0;
}

static bool
refuse(struct app_err *err, const char *why)
{
	return app_err_set(err, APP_E_SQL, "sql", "%s", why);
}

/* A name from the system catalogs (pg_*, pg_catalog, information_schema),
 * bare or quoted; functions (a name before '(') are the role's business. */
static bool
catalog_name(const struct lex *l, enum tok after)
{
	const char *p = l->s + l->start + (l->t == T_QNAME);
	size_t n = l->end - l->start - (l->t == T_QNAME ? 2 : 0);

	if (l->t != T_WORD && l->t != T_QNAME)
		return false;
	if ((n == 10 && strncasecmp(p, "pg_catalog", n) == 0) ||
	    (n == 18 && strncasecmp(p, "information_schema", n) == 0))
		return true;
	return n >= 3 && strncasecmp(p, "pg_", 3) == 0 && after != T_LPAREN;
}

/* What the translation changes: Informix's projection clause. */
struct edits {
	size_t cut_from, cut_to;  /* SKIP/FIRST/LIMIT/UNIQUE words, removed */
	char skip[24], first[24]; /* "" when absent */
	bool unique;
};

static bool
count_after(struct lex *l, char *out, size_t size)
{
	if (next(l) != T_NUMBER || l->end - l->start >= size)
		return false;
	for (size_t i = l->start; i < l->end; i++)
		if (!isdigit((unsigned char) l->s[i]))
			return false;
	snprintf(out, size, "%.*s", (int) (l->end - l->start), l->s + l->start);
	return true;
}

/* After SELECT: [SKIP n] [FIRST m | LIMIT m] [UNIQUE].  l ends on the first
 * token that is none of these. */
static bool
projection(struct lex *l, struct edits *e, struct app_err *err)
{
	e->cut_from = e->cut_to = l->end;
	next(l);
	if (is_word(l, "skip")) {
		if (!count_after(l, e->skip, sizeof(e->skip)))
			return refuse(err, "SKIP takes a whole number: SELECT SKIP n FIRST m ...");
		next(l);
	}
	if (is_word(l, "first") || is_word(l, "limit")) {
		struct lex peek = *l;

		/* A column named first (SELECT first FROM ...) is not a count. */
		if (count_after(&peek, e->first, sizeof(e->first))) {
			*l = peek;
			next(l);
		} else if (e->skip[0] != '\0')
			return refuse(err, "FIRST takes a whole number: SELECT SKIP n FIRST m ...");
	}
	if (e->skip[0] != '\0' || e->first[0] != '\0')
		e->cut_to = l->start;
	if (is_word(l, "unique")) {
		e->unique = true;
		next(l);
		e->cut_to = l->start;
	}
	return true;
}

/* The rest of the statement: one statement, no MATCHES, no catalogs.
 * *last is where its last token ends. */
static bool
body(struct lex *l, size_t *last, struct app_err *err)
{
	for (*last = l->prev_end; l->t != T_END; next(l)) {
		struct lex peek = *l;

		if (l->t == T_BAD)
			return refuse(err, l->bad);
		if (l->t == T_SEMI) {
			if (next(&peek) != T_END)
				return refuse(err,
					      "One statement per request: nothing may follow ';'");
			return true;
		}
		*last = l->end;
		if (is_word(l, "matches"))
			return refuse(err, "MATCHES is Informix's and is not supported: use LIKE "
					   "('%' any run, '_' one character)");
		if (catalog_name(l, next(&peek)))
			return refuse(
				err, "The system catalogs are not served: the data "
				     "dictionary's tables are device, securityprofile, enduser and "
				     "the type tables (docs/sql-query.md)");
	}
	return true;
}

static void
assemble(const char *sql, size_t last, const struct edits *e, char *out, size_t size)
{
	size_t n = 0;

	n += (size_t) snprintf(out, size, "%.*s", (int) e->cut_from, sql);
	n += (size_t) snprintf(out + n, size - n, "%s", e->unique ? " DISTINCT " : " ");
	if (e->cut_to < last)
		n += (size_t) snprintf(out + n, size - n, "%.*s", (int) (last - e->cut_to),
				       sql + e->cut_to);
	if (e->skip[0] != '\0')
		n += (size_t) snprintf(out + n, size - n, " OFFSET %s", e->skip);
	if (e->first[0] != '\0')
		snprintf(out + n, size - n, " LIMIT %s", e->first);
}

bool
sql_informix_translate(const char *sql, char *out, size_t out_size, struct app_err *err)
{
	struct lex l = { .s = sql };
	struct edits e = { 0 };
	size_t last;

	if (next(&l) == T_END)
		return axl_err_missing(err, "sql", NULL);
	if (l.t == T_BAD)
		return refuse(err, l.bad);
	if (!is_word(&l, "select") && !is_word(&l, "with"))
		return refuse(err,
			      "Only SELECT statements are served: this server's data "
			      "dictionary is read-only (change it through the AXL add, update and "
			      "remove operations)");
	if (is_word(&l, "select")) {
		if (!projection(&l, &e, err))
			return false;
	} else {
		e.cut_from = e.cut_to = 0;
	}
	if (!body(&l, &last, err))
		return false;
	if (out_size < SQL_TRANSLATED_SIZE(strlen(sql)))
		return app_err_set(err, APP_E_INTERNAL, "sql", "Internal error: no room");
	if (e.cut_to == e.cut_from && !e.unique)
		snprintf(out, out_size, "%.*s", (int) last, sql);
	else
		assemble(sql, last, &e, out, out_size);
	return true;
}

void
sql_column_element(const char *column, char *out, size_t size)
{
	size_t n = 0;

	/* Characters a name may hold but not start with; others become '_'. */
	if (column[0] == '\0' || isdigit((unsigned char) column[0]) || column[0] == '-' ||
	    column[0] == '.')
		out[n++] = '_';
	for (const unsigned char *p = (const unsigned char *) column; *p && n + 1 < size; p++)
		out[n++] = isalnum(*p) || *p == '_' || *p == '-' || *p == '.' ? (char) tolower(*p) :
										'_';
	out[n < size ? n : size - 1] = '\0';
}
