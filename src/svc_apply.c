/*
 * svc_apply.c: the handler of applyPhoneSecurityProfile,
 * resetPhoneSecurityProfile, applyPhone, resetPhone and restartPhone (see
 * ops.h).  Each records one request (see repo_apply.c) and answers with the
 * target's uuid as soon as it is committed, however many phones it
 * targets; the SIP side queues the phones and delivers the NOTIFYs.  The request's own uuid goes out in an X-Axlprov-Apply-Request
 * header for the status endpoint.
 */
#include <stdio.h>

#include "log.h"
#include "repo_apply.h"
#include "svc.h"

/* What each operation queues: its target and the phones' action. */
/* clang-format off */
static const struct {
	enum apply_target target;
	const char *action;
} orders[OP__COUNT] = {
	[OP_APPLY_PROFILE] = { APPLY_PROFILE, "apply-config" },
	[OP_RESET_PROFILE] = { APPLY_PROFILE, "reset" },
	[OP_APPLY_PHONE]   = { APPLY_PHONE, "apply-config" },
	[OP_RESET_PHONE]   = { APPLY_PHONE, "reset" },
	[OP_RESTART_PHONE] = { APPLY_PHONE, "restart" },
};
/* clang-format on */

/* Queues `o` (its key set), names the request in the X-Axlprov-Apply-Request
 * header and logs it: what every operation that notifies phones does,
 * doDeviceReset (svc_device.c) included. */
bool
svc_apply_order(struct op_call *c, struct apply_order *o, struct apply_queued *q)
{
	char request[UUID_AXL_LEN + 1];

	if (!repo_apply_queue(c->w->db, o, q, &c->err))
		return false;
	uuid_format(q->request_uuid, request);
	snprintf(c->w->extra_header, sizeof(c->w->extra_header), "X-Axlprov-Apply-Request: %s\r\n",
		 request);
	log_msg(LOG_INFO, "%s %s (%s): request %s for %ld phone(s)", c->name,
		o->key->name ? o->key->name : o->key->uuid, o->action, request, q->targeted);
	return true;
}

bool
svc_apply_queue(struct op_call *c, void *req_)
{
	struct ns__NameAndGUIDRequest *req = req_;
	struct apply_queued q = { 0 };
	struct svc_key kb;
	struct apply_order order = { .target = orders[c->op].target,
				     .operation = c->name,
				     .action = orders[c->op].action,
				     .actor = &c->actor,
				     .key = &kb.key };

	if (!svc_key(c, req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name, "name",
		     &kb) ||
	    !svc_apply_order(c, &order, &q))
		return false;
	return svc_answer_uuid(c, req->sequence, q.target_uuid);
}
