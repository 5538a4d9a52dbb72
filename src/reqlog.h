/*
 * reqlog.h: the one log line per request, in logfmt (key=value pairs
 * separated by spaces; a value with a space, '=', '"', '\' or a control
 * character, or an empty one, is double-quoted with \" \\ \n \t \xNN
 * escapes), and the request ids it carries.
 */
#ifndef AXLPROV_REQLOG_H
#define AXLPROV_REQLOG_H

#include <stddef.h>

#define REQLOG_ID_LEN 16

struct reqlog {
	const char *id;
	const char *user;   /* "" before authentication */
	const char *source; /* peer address:port */
	const char *op;
	const char *outcome; /* metrics_outcome() */
	int status;          /* HTTP status */
	int axlcode;         /* 0 when no AXL fault */
	double duration_ms;
	const char *sql; /* executeSQLQuery's statement (cut); NULL or "": no key */
};

/* A new id: REQLOG_ID_LEN hex digits (a random per-process prefix and a
 * counter), NUL-terminated in out. */
void reqlog_new_id(char out[REQLOG_ID_LEN + 1]);

/* "request id=... user=... source=... op=... outcome=... status=...
 * axlcode=... duration_ms=...[ sql=...]" into buf (always NUL-terminated, cut at
 * size); returns the length written. */
size_t reqlog_format(char *buf, size_t size, const struct reqlog *r);

/* Appends " key=value" (quoted as needed) at *len, never past size. */
void reqlog_put(char *buf, size_t size, size_t *len, const char *key, const char *value);

#endif
