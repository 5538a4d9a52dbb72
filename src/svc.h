/*
 * svc.h: what every SOAP adapter needs: reading the name/uuid choice,
 * skip/first counts, and the in-use fault for a removal.  gSOAP-free so
 * that the adapters stay thin.
 */
#ifndef AXLPROV_SVC_H
#define AXLPROV_SVC_H

#include <stdbool.h>

#include "audit.h"
#include "err.h"
#include "uuid.h"

/* A lookup key: exactly one of name and uuid is set. */
struct svc_key {
	struct item_key key;
	char uuid_buf[UUID_DB_LEN + 1];
};

/* gSOAP numbers the two variants of every name/uuid choice 1 and 2. */
#define SVC_KEY_NAME 1
#define SVC_KEY_UUID 2

/* Optimistic updates: read-merge-write attempts before giving up (more
 * than one only when others change the same row at the same moment). */
#define UPDATE_ATTEMPTS 16

/* Reads a name/uuid choice (which = the gSOAP selector).  name_element is
 * the element naming the item ("name" or "userid"). */
bool svc_key(int which, const char *value, const char *name_element, struct svc_key *key,
	     struct app_err *err);

/* skip/first: a whole number, or -1 when absent. */
bool svc_count(const char *element, const char *text, long *out, struct app_err *err);

/* The in-use fault text: "Cannot remove <what> <name>: it is used by <n>
 * phone(s): A, B, C[ and <m> more]". */
bool svc_in_use(struct app_err *err, const char *what, const char *name, long count,
		const char *first_names);

struct worker;

/* The audit's actor for the worker's current request: its AXL user, the
 * client's address, op, and this instance's node name. */
struct actor svc_actor(const struct worker *w, const char *op);

#endif
