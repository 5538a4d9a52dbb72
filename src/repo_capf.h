/*
 * repo_capf.h: SQL for phones' LSCs (table phone_lsc) and the CAPF state
 * of a phone that `capf issue` and `capf complete` change.  A phone has at
 * most one current LSC; replacing or deleting it notifies channel
 * axlprov_lsc with the phone's uuid in the same transaction, so registrars
 * drop the phone's TLS bindings made with the old certificate.
 */
#ifndef AXLPROV_REPO_CAPF_H
#define AXLPROV_REPO_CAPF_H

#include <stdbool.h>

#include "audit.h"
#include "capf.h"
#include "err.h"
#include "uuid.h"

struct db;

/* A phone's CAPF state and what its security profile orders for its key. */
struct capf_phone {
	char uuid[UUID_DB_LEN + 1];
	char name[64];
	char operation[32]; /* certificateOperation */
	char key_order[64]; /* the profile's keyOrder, keySize, ecKeySize */
	char key_size[16];
	char ec_key_size[16];
	/* What online enrollment (EST) decides by: */
	char auth_mode[64];    /* the profile's authenticationMode */
	char auth_string[132]; /* the phone's authenticationString (a secret: never logged) */
	char finish_time[104]; /* upgradeFinishTime */
	bool ships_mic;        /* its model leaves the factory with a MIC */
	char lsc_serial[68];   /* its current LSC's serial, "" = none */
};

/* Reads the phone named `name` and locks its row until the transaction
 * ends (call inside one).  APP_E_NOT_FOUND when there is none. */
bool repo_capf_lock_phone(struct db *db, const char *name, struct capf_phone *out,
			  struct app_err *err);

/* Records an issued LSC for ph in place of any earlier one (then *replaced
 * and a notification), sets certificateStatus Upgrade Success and
 * certificateOperation No Pending Operation if Install/Upgrade is still
 * pending (APP_E_CONFLICT if not), and audits serial, fingerprint and
 * not-after.  Inside the caller's transaction. */
bool repo_capf_record_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
			  const char *pem, const struct actor *actor, bool *replaced,
			  struct app_err *err);

/* A renewal (EST simplereenroll): records the LSC in place of the
 * current one, as repo_capf_record_lsc() does, whether or not an operation
 * is pending (a pending Install/Upgrade is completed by it). */
bool repo_capf_renew_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
			 const char *pem, const struct actor *actor, struct app_err *err);

/* A refused enrollment of a phone with Install/Upgrade pending: sets its
 * certificateStatus to status and, when end_operation (the deadline
 * passed), certificateOperation to No Pending Operation; audited.  Nothing
 * when no Install/Upgrade is pending (then *changed is false). */
bool repo_capf_fail(struct db *db, const struct capf_phone *ph, const char *status,
		    bool end_operation, const struct actor *actor, bool *changed,
		    struct app_err *err);

/* Deletes the phone's LSC; *revoked says whether it had one (then the
 * notification went out and an audit row records the revoked serial). */
bool repo_capf_revoke(struct db *db, const char *phone_uuid, const struct actor *actor,
		      bool *revoked, struct app_err *err);

#endif
