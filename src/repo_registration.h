/*
 * repo_registration.h: what the registrar last saw of each phone (the
 * phone_registration_state table, db/migrations/0010): the registrar
 * records every REGISTER it gave a verdict on, which also confirms the
 * configuration of NOTIFYs delivered before a new registration; and the
 * listRegistrationDynamic query over phones, that state and their
 * bindings.
 */
#ifndef AXLPROV_REPO_REGISTRATION_H
#define AXLPROV_REPO_REGISTRATION_H

#include <stdbool.h>

#include "err.h"

struct db;

/* One REGISTER of a known phone and its answer. */
struct reg_event {
	const char *phone_uuid;
	int status; /* the SIP status answered */
	bool bound; /* the phone holds an active binding after it */
	const char *call_id;
	const char *source_ip; /* "" when unknown */
	const char *node;      /* this instance */
};

/* What a REGISTER's answer says of the phone: registered, unregistered,
 * rejected (the registrar's refusals of a known phone: credentials, the
 * profile's transport or security mode, a certificate), or NULL when it
 * says nothing (a digest challenge, a malformed request, the database
 * down).  Inline: the fuzzers' fake repository decides the same way. */
static inline const char *
reg_outcome(int status, bool bound)
{
	if (status == 200)
		return bound ? "registered" : "unregistered";
	return status == 403 ? "rejected" : NULL;
}

/* Records a refusal of a known phone when reg_outcome() calls it
 * rejected (other refusals say nothing of the phone).  An accepted
 * REGISTER's state is recorded with its bindings (repo_sip_register). */
bool repo_registration_refused(struct db *db, const struct reg_event *ev, struct app_err *err);

struct reg_search {
	const char *device; /* LIKE pattern over phone names */
	long skip, first;   /* first < 0: all */
};

/* One phone's row; every text is "" when unknown. */
struct reg_row {
	const char *name, *uuid;
	const char *ip, *node;
	const char *config_version;
	const char *last_seen; /* seconds since the epoch of its last REGISTER */
	const char *status;    /* Registered, Unregistered, Rejected or Unknown */
};

typedef bool (*reg_row_fn)(void *ctx, const struct reg_row *row);

/* Phones matching the search in name order; fn returns false to stop. */
bool repo_registration_list(struct db *db, const struct reg_search *s, reg_row_fn fn, void *ctx,
			    long *matched, struct app_err *err);

#endif
