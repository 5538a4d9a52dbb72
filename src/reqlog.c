/*
 * reqlog.c: request ids and the logfmt request line (see reqlog.h).
 */
#include "reqlog.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static atomic_uint_fast64_t counter;
static atomic_uint prefix; /* 0 until the first id */

void
reqlog_new_id(char out[REQLOG_ID_LEN + 1])
{
	unsigned p = atomic_load_explicit(&prefix, memory_order_relaxed);
	uint64_t n;

	if (p == 0) {
		/* Ids of two runs differ by their prefix.  Threads racing here
		 * each draw one; the first stored wins for all. */
		unsigned mine, expected = 0;

		if (getrandom(&mine, sizeof(mine), GRND_NONBLOCK) != (ssize_t) sizeof(mine))
			mine = (unsigned) time(NULL) ^ (unsigned) getpid() << 16;
		if (mine == 0)
			mine = 1;
		atomic_compare_exchange_strong(&prefix, &expected, mine);
		p = atomic_load(&prefix);
	}
	n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) + 1;
	snprintf(out, REQLOG_ID_LEN + 1, "%08x%08x", p, (unsigned) (n & 0xffffffffu));
}

static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
			return true;
	return false;
}

static void
put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size)
		n = *len + 1 < size ? size - *len - 1 : 0;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

void
reqlog_put(char *buf, size_t size, size_t *len, const char *key, const char *value)
{
	if (*len > 0)
		put(buf, size, len, " ", 1);
	put(buf, size, len, key, strlen(key));
	put(buf, size, len, "=", 1);
	if (!needs_quotes(value)) {
		put(buf, size, len, value, strlen(value));
		return;
	}
	put(buf, size, len, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char) *p;
			put(buf, size, len, esc, 2);
		} else if (*p == '\n') {
			put(buf, size, len, "\\n", 2);
		} else if (*p == '\t') {
			put(buf, size, len, "\\t", 2);
		} else if (*p < ' ' || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(buf, size, len, esc, 4);
		} else {
			put(buf, size, len, (const char *) p, 1);
		}
	}
	put(buf, size, len, "\"", 1);
}

size_t
reqlog_format(char *buf, size_t size, const struct reqlog *r)
{
	char num[32];
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	put(buf, size, &len, "request", 7);
	reqlog_put(buf, size, &len, "id", r->id);
	reqlog_put(buf, size, &len, "user", r->user);
	reqlog_put(buf, size, &len, "source", r->source);
	reqlog_put(buf, size, &len, "op", r->op);
	reqlog_put(buf, size, &len, "outcome", r->outcome);
	snprintf(num, sizeof(num), "%d", r->status);
	reqlog_put(buf, size, &len, "status", num);
	snprintf(num, sizeof(num), "%d", r->axlcode);
	reqlog_put(buf, size, &len, "axlcode", num);
	snprintf(num, sizeof(num), "%.3f", r->duration_ms);
	reqlog_put(buf, size, &len, "duration_ms", num);
	if (r->sql != NULL && r->sql[0] != '\0')
		reqlog_put(buf, size, &len, "sql", r->sql);
	return len;
}
