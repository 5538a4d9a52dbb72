/*
 * audit.h: who is writing (the actor an adapter or CLI command hands to the
 * repositories) and the "changed fields" JSON object of an audit record.
 * Pure C: the SQL lives in repo_audit.c.
 */
#ifndef AXLPROV_AUDIT_H
#define AXLPROV_AUDIT_H

#include <stdbool.h>

#include "xbuf.h"

/* Every repository write takes one; never NULL. */
struct actor {
	const char *who;    /* AXL user, or the OS user for CLI commands */
	const char *source; /* client address ("host:port"), or "cli" */
	const char *op;     /* AXL operation or CLI command */
	const char *node;   /* this instance (sip_node), or "" */
};

/* Written in place of a secret's value: the field is recorded, never what
 * it was set to. */
#define AUDIT_REDACTED "(redacted)"

/* {"field": "value", ...}.  begin resets b; end closes the object. */
void audit_changes_begin(struct xbuf *b);
void audit_change(struct xbuf *b, const char *field, const char *value);
void audit_change_secret(struct xbuf *b, const char *field);
void audit_changes_end(struct xbuf *b);

#endif
