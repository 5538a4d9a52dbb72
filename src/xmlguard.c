/*
 * xmlguard.c: the state machine behind xmlguard.h.
 */
#include "xmlguard.h"

#include <string.h>

#include "text.h"

/* The tag states come first, up to S_ETAG: step() dispatches on that. */
enum {
	S_TEXT,      /* character data */
	S_LT,        /* after '<' */
	S_STAG,      /* inside a start tag */
	S_STAG_Q,    /* inside a quoted attribute value */
	S_STAG_SL,   /* '/' inside a start tag: "/>" closes it */
	S_ETAG,      /* inside an end tag */
	S_PI,        /* inside <? ... ?> */
	S_BANG,      /* after "<!" */
	S_BANG_DASH, /* after "<!-" */
	S_COMMENT,   /* inside <!-- ... --> */
	S_CDATA,     /* inside <![ ... ]]> */
};

void
xmlguard_init(struct xmlguard *g, unsigned max_depth)
{
	memset(g, 0, sizeof(*g));
	g->max_depth = max_depth;
	g->state = S_TEXT;
}

static enum xmlguard_result
fail(struct xmlguard *g, enum xmlguard_result r)
{
	g->result = r;
	return r;
}

static enum xmlguard_result
open_element(struct xmlguard *g)
{
	if (++g->depth > g->max_depth)
		return fail(g, XMLGUARD_TOO_DEEP);
	return XMLGUARD_OK;
}

static void
close_element(struct xmlguard *g)
{
	if (g->depth > 0)
		g->depth--;
}

/* One byte after '<' or inside a start or end tag. */
static enum xmlguard_result
step_tag(struct xmlguard *g, char c)
{
	switch (g->state) {
	case S_LT:
		if (c == '/')
			g->state = S_ETAG;
		else if (c == '?')
			g->state = S_PI;
		else if (c == '!')
			g->state = S_BANG;
		else {
			g->state = S_STAG;
			return open_element(g);
		}
		return XMLGUARD_OK;
	case S_STAG_SL:
		if (c == '>') {
			close_element(g);
			g->state = S_TEXT;
			return XMLGUARD_OK;
		}
		g->state = S_STAG;
		/* the byte belongs to the tag */
		__attribute__((fallthrough));
	case S_STAG:
		if (c == '"' || c == '\'') {
			g->quote = c;
			g->state = S_STAG_Q;
		} else if (c == '/')
			g->state = S_STAG_SL;
		else if (c == '>')
			g->state = S_TEXT;
		return XMLGUARD_OK;
	case S_STAG_Q:
		if (c == g->quote)
			g->state = S_STAG;
		return XMLGUARD_OK;
	default: /* S_ETAG */
		if (c == '>') {
			close_element(g);
			g->state = S_TEXT;
		}
		return XMLGUARD_OK;
	}
}

/* One byte of a processing instruction, or after "<!": a comment, CDATA,
 * or (refused) a DTD declaration. */
static enum xmlguard_result
step_other(struct xmlguard *g, char c)
{
	switch (g->state) {
	case S_PI:
		if (c == '>' && g->run == 1)
			g->state = S_TEXT;
		g->run = c == '?';
		return XMLGUARD_OK;
	case S_BANG:
		/* Only comments and CDATA may follow "<!" in a SOAP message;
		 * anything else (DOCTYPE, ENTITY, ELEMENT, ...) is a DTD. */
		if (c == '-')
			g->state = S_BANG_DASH;
		else if (c == '[') {
			g->state = S_CDATA;
			g->run = 0;
		} else
			return fail(g, XMLGUARD_DTD);
		return XMLGUARD_OK;
	case S_BANG_DASH:
		if (c != '-')
			return fail(g, XMLGUARD_DTD);
		g->state = S_COMMENT;
		g->run = 0;
		return XMLGUARD_OK;
	case S_COMMENT:
		if (c == '>' && g->run >= 2)
			g->state = S_TEXT;
		g->run = c == '-' ? g->run + 1 : 0;
		return XMLGUARD_OK;
	default: /* S_CDATA */
		if (c == '>' && g->run >= 2)
			g->state = S_TEXT;
		g->run = c == ']' ? g->run + 1 : 0;
		return XMLGUARD_OK;
	}
}

/* One byte of markup; UTF-8 is checked separately. */
static enum xmlguard_result
step(struct xmlguard *g, char c)
{
	if (g->state == S_TEXT) {
		if (c == '<')
			g->state = S_LT;
		return XMLGUARD_OK;
	}
	return g->state <= S_ETAG ? step_tag(g, c) : step_other(g, c);
}

/* Expected length of the UTF-8 character a lead byte starts (0: invalid). */
static int
lead_len(unsigned char c)
{
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

enum xmlguard_result
xmlguard_feed(struct xmlguard *g, const char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *) buf;

	if (g->result != XMLGUARD_OK)
		return g->result;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (g->needutf8 > 0) {
			/* Collecting a multi-byte character (bytes >= 0x80 are
			 * never markup, so the tokenizer need not see them). */
			g->utf8[g->nutf8++] = c;
			if (g->nutf8 < g->needutf8)
				continue;
			if (utf8_len(g->utf8) != (size_t) g->needutf8)
				return fail(g, XMLGUARD_BAD_UTF8);
			g->needutf8 = g->nutf8 = 0;
			continue;
		}
		if (c >= 0x80) {
			g->needutf8 = lead_len(c);
			if (g->needutf8 == 0)
				return fail(g, XMLGUARD_BAD_UTF8);
			g->utf8[0] = c;
			g->nutf8 = 1;
			continue;
		}
		if (step(g, (char) c) != XMLGUARD_OK)
			return g->result;
	}
	return XMLGUARD_OK;
}

const char *
xmlguard_message(enum xmlguard_result r)
{
	switch (r) {
	case XMLGUARD_DTD:
		return "DOCTYPE, ENTITY and other DTD declarations are not allowed";
	case XMLGUARD_TOO_DEEP:
		return "the XML is nested deeper than allowed";
	case XMLGUARD_BAD_UTF8:
		return "the body is not valid UTF-8";
	case XMLGUARD_OK:
		break;
	}
	return "ok";
}
