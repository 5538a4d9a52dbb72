/*
 * svc.h: what every SOAP operation shares.  gSOAP's dispatcher calls the
 * __svc__X service functions; each is a one-line trampoline (svc.c) into
 * op_run(), which does the prologue once (the worker, the audit's actor,
 * the error) and sends the fault when the operation's handler fails.  A
 * handler does only what is specific to its operation, with the helpers
 * below for reading a name/uuid key, answering, getting one item, listing
 * and removing.
 */
#ifndef AXLPROV_SVC_H
#define AXLPROV_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include "axl_wire.h"

#include "audit.h"
#include "err.h"
#include "ops.h"
#include "uuid.h"
#include "worker.h"

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

/* One call of an operation, as its handler sees it. */
struct op_call {
	struct worker *w;
	enum op_id op;
	const char *name;   /* the operation: response element, fault's <request> */
	enum obj_kind kind; /* what its faults speak of */
	struct actor actor; /* who asks, for the audit */
	struct app_err err; /* why it failed */
	int rc;             /* what sending the answer returned */
};

/* A handler: answers (through the helpers below) and returns true, or
 * returns false with c->err set; op_run() then rolls back and sends the
 * fault.  req is the operation's gSOAP request struct. */
typedef bool (*op_handler)(struct op_call *c, void *req);

int op_run(struct soap *soap, enum op_id op, void *req);

#define OP_DECL(id, name, writes, kind, handler, req, res) \
	bool handler(struct op_call *c, void *req_);
AXL_OPS(OP_DECL)
#undef OP_DECL

/* Reads a name/uuid choice (which = the gSOAP selector).  element names
 * the item ("name" or "userid"). */
bool svc_key(struct op_call *c, int which, const char *value, const char *element,
	     struct svc_key *key);

/* The request's arena is exhausted: gSOAP's own error, no fault. */
bool svc_no_memory(struct op_call *c);

/* Answers with a StandardResponse naming db_uuid; true. */
bool svc_answer_uuid(struct op_call *c, const ULONG64 *sequence, const char *db_uuid);

/* Writes one item inside <return>. */
typedef void (*svc_put_fn)(struct worker *w, unsigned mask, const void *item);

/* getX: key -> read -> <return>item</return>. */
typedef bool (*svc_read_fn)(struct op_call *c, const struct item_key *key, void *item);
bool svc_get(struct op_call *c, const ULONG64 *sequence, const struct svc_key *key,
	     svc_read_fn read, void *item, svc_put_fn put, unsigned mask);

/* The fields a returnedTags element asks for, all when it is absent or
 * empty: field i is asked for when the pointer at
 * offsets[i * stride / sizeof(size_t)] in tags is set. */
unsigned svc_returned_mask(const void *tags, const size_t *offsets, size_t stride, int n);

/* listX: the skip/first counts, the list envelope and "Query request too
 * large".  run fills the rows through svc_list_row(). */
struct svc_list {
	struct axl_list list;
	unsigned mask;
	svc_put_fn put;
	long skip, first; /* -1 when absent; skip 0 then */
};
bool svc_list_counts(struct op_call *c, struct svc_list *l, const char *skip, const char *first);
typedef bool (*svc_list_fn)(struct op_call *c, struct svc_list *l, const void *search,
			    long *matched);
bool svc_list(struct op_call *c, const ULONG64 *sequence, struct svc_list *l, svc_list_fn run,
	      const void *search);
/* One row: written with l->put; false once the response is too large. */
bool svc_list_row(struct svc_list *l, const void *item);

/* removeX of an item read first: key -> read (a missing item is
 * "entry not found") -> rules -> remove -> StandardResponse.  In a
 * transaction when tx is set. */
struct svc_remover {
	bool tx;
	svc_read_fn read;
	bool (*rules)(struct op_call *c, const void *item);
	bool (*remove)(struct op_call *c, const void *item, char uuid[UUID_DB_LEN + 1]);
};
bool svc_remove(struct op_call *c, const ULONG64 *sequence, const struct svc_key *key,
		const struct svc_remover *r, void *item);

/* Optimistic update: runs once() up to UPDATE_ATTEMPTS times while it
 * fails with APP_E_CONFLICT, rolling back between attempts. */
bool svc_retry(struct op_call *c, bool (*once)(struct op_call *c, void *ctx), void *ctx);

/* Queues an apply, reset or restart (svc_apply.c): the request's uuid in the
 * X-Axlprov-Apply-Request header, and a log line. */
struct apply_order;
struct apply_queued;
bool svc_apply_order(struct op_call *c, struct apply_order *o, struct apply_queued *q);

#endif
