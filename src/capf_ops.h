/*
 * capf_ops.h: issuing an LSC inside a transaction: the step that needs the
 * database around the CAPF rules (capf.c).  `axlprovd capf issue` and
 * online enrollment (est.c) record through this one function, so both
 * check, sign and record the same way.
 */
#ifndef AXLPROV_CAPF_OPS_H
#define AXLPROV_CAPF_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "capf.h"
#include "err.h"
#include "repo_capf.h"

struct db;

/* Checks the request (csr, len bytes) against what ph's profile orders,
 * signs it with the CAPF CA for `days`, and records it for ph (renew: as a
 * renewal, whatever is pending; otherwise Install/Upgrade must still be
 * pending), audited as actor, inside the caller's transaction (ph locked
 * by repo_capf_lock_phone).  out gets the certificate (free it with
 * capf_issued_free); *replaced says whether an earlier LSC was replaced. */
bool capf_ops_issue(struct db *db, const struct capf_trust *t, long days,
		    const struct capf_phone *ph, const unsigned char *csr, size_t len,
		    const struct actor *actor, bool renew, struct capf_issued *out, bool *replaced,
		    struct app_err *err);

#endif
