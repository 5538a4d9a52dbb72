/*
 * svc.c: the service functions gSOAP's dispatcher calls (one trampoline
 * per row of AXL_OPS), the runner they share and the helpers handlers are
 * made of (see svc.h).
 */
#include "svc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axl_fault.h"
#include "db.h"

static const op_handler handlers[OP__COUNT] = {
#define OP_HANDLER(id, name, writes, kind, handler, req, res) [OP_##id] = handler,
	AXL_OPS(OP_HANDLER)
#undef OP_HANDLER
};

#define OP_TRAMPOLINE(id, name, writes, kind, handler, req_t, res_t) \
	int __svc__##name(struct soap *soap, struct ns__##req_t *req, struct ns__##res_t *res) \
	{ \
		(void) res; \
		return op_run(soap, OP_##id, req); \
	}
AXL_OPS(OP_TRAMPOLINE)
#undef OP_TRAMPOLINE

/* The audit's actor: the AXL user, the client's address, the operation and
 * this instance's node name (sip_node, else the host name). */
static struct actor
actor_of(const struct worker *w, const char *op)
{
	static __thread char host[64];

	if (w->cfg->sip_node[0] == '\0' && host[0] == '\0' &&
	    gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	return (struct actor) { .who = w->req.user,
				.source = w->req.peer,
				.op = op,
				.node = w->cfg->sip_node[0] ? w->cfg->sip_node : host };
}

int
op_run(struct soap *soap, enum op_id op, void *req)
{
	struct worker *w = soap->user;
	struct op_call c = { .w = w, .op = op, .name = axl_op_name(op), .kind = axl_op_kind(op) };

	c.actor = actor_of(w, c.name);
	if (handlers[op](&c, req))
		return c.rc;
	/* Nothing of a failed operation stays, and its locks go before the
	 * client hears of it. */
	db_rollback(w->db);
	return axl_fault(w, c.name, &c.err);
}

bool
svc_key(struct op_call *c, int which, const char *value, const char *element, struct svc_key *key)
{
	char what[64];

	memset(key, 0, sizeof(*key));
	if (which == SVC_KEY_NAME && value != NULL) {
		key->key.name = value;
		return true;
	}
	if (which == SVC_KEY_UUID && value != NULL) {
		if (!uuid_parse(value, key->uuid_buf))
			return app_err_invalid(&c->err, "uuid", value, "not a uuid");
		key->key.uuid = key->uuid_buf;
		return true;
	}
	snprintf(what, sizeof(what), "%s or uuid", element);
	return axl_err_missing(&c->err, element, what);
}

bool
svc_no_memory(struct op_call *c)
{
	c->rc = c->w->soap->error = SOAP_EOM;
	return true;
}

bool
svc_answer_uuid(struct op_call *c, const ULONG64 *sequence, const char *db_uuid)
{
	c->rc = axl_response_uuid(c->w, c->name, sequence, db_uuid);
	return true;
}

bool
svc_get(struct op_call *c, const ULONG64 *sequence, const struct svc_key *key, svc_read_fn read,
	void *item, svc_put_fn put, unsigned mask)
{
	if (!read(c, &key->key, item))
		return false;
	axl_response_open(c->w, c->name, sequence);
	xbuf_puts(&c->w->body, "<return>");
	put(c->w, mask, item);
	xbuf_puts(&c->w->body, "</return>");
	c->rc = axl_response_send(c->w, c->name);
	return true;
}

unsigned
svc_returned_mask(const void *tags, const size_t *offsets, size_t stride, int n)
{
	unsigned mask = 0;

	if (tags != NULL)
		for (int i = 0; i < n; i++) {
			size_t off = offsets[(size_t) i * stride / sizeof(size_t)];

			if (*(void *const *) (const void *) ((const char *) tags + off) != NULL)
				mask |= 1u << i;
		}
	return mask ? mask : (1u << n) - 1;
}

/* skip/first: a whole number, or -1 when absent. */
static bool
count(struct op_call *c, const char *element, const char *text, long *out)
{
	char *end;
	long n;

	*out = -1;
	if (text == NULL)
		return true;
	n = strtol(text, &end, 10);
	if (end == text || *end != '\0' || n < 0)
		return app_err_invalid(&c->err, element, text, "expected a whole number");
	*out = n;
	return true;
}

bool
svc_list_counts(struct op_call *c, struct svc_list *l, const char *skip, const char *first)
{
	if (!count(c, "skip", skip, &l->skip) || !count(c, "first", first, &l->first))
		return false;
	if (l->skip < 0)
		l->skip = 0;
	return true;
}

bool
svc_list(struct op_call *c, const ULONG64 *sequence, struct svc_list *l, svc_list_fn run,
	 const void *search)
{
	long matched = 0;

	axl_list_begin(&l->list, c->w, c->name, sequence);
	if (!run(c, l, search, &matched))
		return false;
	c->rc = axl_list_end(&l->list, matched);
	return true;
}

bool
svc_list_row(struct svc_list *l, const void *item)
{
	l->put(l->list.w, l->mask, item);
	return axl_list_row(&l->list);
}

bool
svc_remove(struct op_call *c, const ULONG64 *sequence, const struct svc_key *key,
	   const struct svc_remover *r, void *item)
{
	char uuid[UUID_DB_LEN + 1];

	if (r->tx && !db_begin(c->w->db, &c->err))
		return false;
	/* The row read here decides the fault, so a missing item costs one
	 * query. */
	if (!r->read(c, &key->key, item)) {
		if (c->err.code == APP_E_NOT_FOUND)
			axl_err(&c->err, APP_E_REMOVE_NOT_FOUND, c->kind, NULL);
		return false;
	}
	if (!r->rules(c, item) || !r->remove(c, item, uuid) ||
	    (r->tx && !db_commit(c->w->db, &c->err)))
		return false;
	return svc_answer_uuid(c, sequence, uuid);
}

/* After a conflict, a random pause that grows with the attempt (up to
 * 6.4 ms): writers of one row that retried at once kept colliding until
 * one of them ran out of attempts. */
static void
retry_pause(int attempt, unsigned *seed)
{
	long us = (long) (rand_r(seed) % (100u << (attempt < 6 ? attempt : 6)));
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

bool
svc_retry(struct op_call *c, bool (*once)(struct op_call *c, void *ctx), void *ctx)
{
	unsigned seed = (unsigned) ((uintptr_t) c ^ (uintptr_t) time(NULL));

	for (int attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
		if (once(c, ctx))
			return true;
		db_rollback(c->w->db);
		if (c->err.code != APP_E_CONFLICT)
			return false;
		retry_pause(attempt, &seed);
	}
	return false;
}
