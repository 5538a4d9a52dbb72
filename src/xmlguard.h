/*
 * xmlguard.h: a byte-level guard in front of gSOAP's parser.  gSOAP skips
 * DTDs silently, skips unknown elements without counting their depth and
 * reads invalid UTF-8 as Latin-1; the guard sees the raw request body as it
 * arrives and refuses those inputs before they are parsed: any DTD
 * declaration, nesting deeper than a limit, and bytes that are not UTF-8.
 * It tokenizes only as far as that needs (tags, comments, CDATA, quoted
 * attribute values); it is not a parser.  Pure C, incremental across reads.
 */
#ifndef AXLPROV_XMLGUARD_H
#define AXLPROV_XMLGUARD_H

#include <stddef.h>

enum xmlguard_result {
	XMLGUARD_OK,
	XMLGUARD_DTD,      /* <!DOCTYPE, <!ENTITY or another declaration */
	XMLGUARD_TOO_DEEP, /* more open elements than the limit */
	XMLGUARD_BAD_UTF8, /* not UTF-8 */
};

struct xmlguard {
	unsigned max_depth;
	unsigned depth;
	int state;
	char quote;            /* the quote of an attribute value */
	int run;               /* '-' or ']' seen in a row, to find the end of a comment or CDATA */
	unsigned char utf8[4]; /* a character cut by the end of a read */
	int nutf8, needutf8;
	enum xmlguard_result result; /* sticky once not OK */
};

void xmlguard_init(struct xmlguard *g, unsigned max_depth);

/* Feeds the next bytes; returns XMLGUARD_OK or the first problem found
 * (which every later call repeats). */
enum xmlguard_result xmlguard_feed(struct xmlguard *g, const char *buf, size_t n);

/* What a client is told, e.g. "DOCTYPE and ENTITY declarations are not allowed". */
const char *xmlguard_message(enum xmlguard_result r);

#endif
