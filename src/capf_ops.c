/*
 * capf_ops.c: see capf_ops.h.
 */
#include "capf_ops.h"

#include <time.h>

bool
capf_ops_issue(struct db *db, const struct capf_trust *t, long days, const struct capf_phone *ph,
	       const unsigned char *csr, size_t len, const struct actor *actor, bool renew,
	       struct capf_issued *out, bool *replaced, struct app_err *err)
{
	struct capf_key_rules rules = { ph->name, ph->key_order, ph->key_size, ph->ec_key_size };

	*replaced = false;
	if (!capf_issue(t, csr, len, &rules, days, time(NULL), out, err))
		return false;
	if (renew) {
		*replaced = ph->lsc_serial[0] != '\0';
		return repo_capf_renew_lsc(db, ph, &out->facts, out->pem, actor, err);
	}
	return repo_capf_record_lsc(db, ph, &out->facts, out->pem, actor, replaced, err);
}
