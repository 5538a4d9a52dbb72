/*
 * svc_apply.c: applyPhoneSecurityProfile, resetPhoneSecurityProfile,
 * applyPhone, resetPhone and restartPhone.  Each queues one request (see
 * repo_apply.c) and answers with the target's uuid as soon as it is
 * committed; the SIP thread delivers the NOTIFYs.  The request's own uuid
 * goes out in an X-Axlprov-Apply-Request header for the status endpoint.
 */
#include <stdio.h>

#include "soapH.h"

#include "axl_fault.h"
#include "axl_wire.h"
#include "log.h"
#include "repo_apply.h"
#include "svc.h"
#include "uuid.h"
#include "worker.h"

static int
queue(struct soap *soap, const char *op, enum apply_target target, const char *action,
      struct ns__NameAndGUIDRequest *req)
{
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	struct apply_queued q = { 0 };
	struct svc_key kb;
	char request[UUID_AXL_LEN + 1];
	struct actor actor = svc_actor(w, op);
	struct apply_order order = {
		.target = target, .operation = op, .action = action, .actor = &actor,
	};

	if (!svc_key(req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name, "name",
		     &kb, &err))
		return axl_fault(w, op, &err);
	order.key = &kb.key;
	if (!repo_apply_queue(w->db, &order, &q, &err))
		return axl_fault(w, op, &err);
	uuid_format(q.request_uuid, request);
	snprintf(w->extra_header, sizeof(w->extra_header), "X-Axlprov-Apply-Request: %s\r\n",
		 request);
	log_msg(LOG_INFO, "%s %s: request %s, %ld phone(s), %ld registered", op,
		kb.key.name ? kb.key.name : kb.key.uuid, request, q.targeted, q.pending);
	return axl_response_uuid(w, op, req->sequence, q.target_uuid);
}

int
__svc__applyPhoneSecurityProfile(struct soap *soap, struct ns__NameAndGUIDRequest *req,
				 struct ns__StandardResponse *res)
{
	(void) res;
	return queue(soap, "applyPhoneSecurityProfile", APPLY_PROFILE, "apply-config", req);
}

int
__svc__resetPhoneSecurityProfile(struct soap *soap, struct ns__NameAndGUIDRequest *req,
				 struct ns__StandardResponse *res)
{
	(void) res;
	return queue(soap, "resetPhoneSecurityProfile", APPLY_PROFILE, "reset", req);
}

int
__svc__applyPhone(struct soap *soap, struct ns__NameAndGUIDRequest *req,
		  struct ns__StandardResponse *res)
{
	(void) res;
	return queue(soap, "applyPhone", APPLY_PHONE, "apply-config", req);
}

int
__svc__resetPhone(struct soap *soap, struct ns__NameAndGUIDRequest *req,
		  struct ns__StandardResponse *res)
{
	(void) res;
	return queue(soap, "resetPhone", APPLY_PHONE, "reset", req);
}

int
__svc__restartPhone(struct soap *soap, struct ns__NameAndGUIDRequest *req,
		    struct ns__StandardResponse *res)
{
	(void) res;
	return queue(soap, "restartPhone", APPLY_PHONE, "restart", req);
}
