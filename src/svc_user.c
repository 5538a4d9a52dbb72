/*
 * svc_user.c: addUser, getUser, updateUser, removeUser: end users, as far
 * as phones need them (a phone's digestUser).  Digest credentials are
 * turned into RFC 7616 HA1 values here and never stored or returned in
 * clear.
 */
#include <stdio.h>
#include <string.h>

#include "soapH.h"

#include "auth.h"
#include "axl_fault.h"
#include "axl_wire.h"
#include "db.h"
#include "repo_phone.h"
#include "svc.h"
#include "text.h"
#include "worker.h"

_Static_assert(SOAP_UNION__ns__union_UpdateUserReq_userid == SVC_KEY_NAME &&
	       SOAP_UNION__ns__union_GetUserReq_userid == SVC_KEY_NAME &&
	       SOAP_UNION__ns__union_RemoveUserReq_userid == SVC_KEY_NAME &&
	       SOAP_UNION__ns__union_UpdateUserReq_uuid == SVC_KEY_UUID &&
	       SOAP_UNION__ns__union_GetUserReq_uuid == SVC_KEY_UUID &&
	       SOAP_UNION__ns__union_RemoveUserReq_uuid == SVC_KEY_UUID,
	       "userid/uuid choice selectors");

/* Copies a text value after checking it; required ones must not be empty. */
static bool
take(const char *element, const char *value, bool required, char *out, size_t size, long maxc,
     struct app_err *err)
{
	long n;

	if (value == NULL || *value == '\0') {
		if (required)
			return app_err_set(err, APP_E_MISSING_FIELD, element,
					   "Missing required element: %s", element);
		out[0] = '\0';
		return true;
	}
	n = utf8_chars(value);
	if (n < 0)
		return app_err_invalid(err, element, value, "control characters or invalid UTF-8");
	if (n > maxc || strlen(value) >= size) {
		char why[48];

		snprintf(why, sizeof(why), "at most %ld characters", maxc);
		return app_err_invalid(err, element, value, why);
	}
	snprintf(out, size, "%s", value);
	return true;
}

struct ha1 {
	char md5[33];
	char sha256[65];
};

static bool
digest(const char *userid, const char *password, struct ha1 *h, struct app_err *err)
{
	if (!auth_digest_ha1(userid, DIGEST_REALM, password, h->md5, h->sha256))
		return app_err_set(err, APP_E_INTERNAL, NULL, "cannot hash the digest credentials");
	return true;
}

int
__svc__addUser(struct soap *soap, struct ns__AddUserReq *req, struct ns__StandardResponse *res)
{
	static const char op[] = "addUser";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	const struct ns__XUser *x = req->user;
	struct end_user u;
	struct ha1 h;
	bool with_digest;

	(void) res;
	if (x == NULL) {
		app_err_set(&err, APP_E_MISSING_FIELD, "user", "Missing required element: user");
		return axl_fault(w, op, &err);
	}
	memset(&u, 0, sizeof(u));
	with_digest = x->digestCredentials != NULL && *x->digestCredentials != '\0';
	if (!take("userid", x->userid, true, u.userid, sizeof(u.userid), 128, &err) ||
	    !take("lastName", x->lastName, true, u.last_name, sizeof(u.last_name), 64, &err) ||
	    !take("firstName", x->firstName, false, u.first_name, sizeof(u.first_name), 64, &err) ||
	    (with_digest && !digest(u.userid, x->digestCredentials, &h, &err)) ||
	    !repo_enduser_insert(w->db, &u, with_digest ? h.md5 : NULL,
				 with_digest ? h.sha256 : NULL, &actor, &err))
		return axl_fault(w, op, &err);
	return axl_response_uuid(w, op, req->sequence, u.uuid);
}

int
__svc__getUser(struct soap *soap, struct ns__GetUserReq *req, struct ns__GetUserRes *res)
{
	static const char op[] = "getUser";
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	const struct ns__RUser *rt = req->returnedTags;
	bool all = rt == NULL || (!rt->firstName && !rt->lastName && !rt->userid);
	struct svc_key kb;
	struct end_user u;
	char uuid[UUID_AXL_LEN + 1];

	(void) res;
	if (!svc_key(req->__union_GetUserReq, req->union_GetUserReq.userid, "userid", &kb, &err) ||
	    !repo_enduser_find(w->db, kb.key.name, kb.key.uuid, false, &u, &err))
		return axl_fault(w, op, &err);
	uuid_format(u.uuid, uuid);
	axl_response_open(w, op, req->sequence);
	xbuf_printf(&w->body, "<return><user uuid=\"%s\">", uuid);
	if (all || rt->firstName)
		xbuf_element(&w->body, "firstName", u.first_name);
	if (all || rt->lastName)
		xbuf_element(&w->body, "lastName", u.last_name);
	if (all || rt->userid)
		xbuf_element(&w->body, "userid", u.userid);
	xbuf_puts(&w->body, "</user></return>");
	return axl_response_send(w, op);
}

int
__svc__updateUser(struct soap *soap, struct ns__UpdateUserReq *req,
		  struct ns__StandardResponse *res)
{
	static const char op[] = "updateUser";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct svc_key kb;
	struct end_user u;
	struct ha1 h;
	bool with_digest = req->digestCredentials != NULL && *req->digestCredentials != '\0';

	(void) res;
	if (!svc_key(req->__union_UpdateUserReq, req->union_UpdateUserReq.userid, "userid", &kb,
		     &err) || !db_begin(w->db, &err))
		return axl_fault(w, op, &err);
	if (!repo_enduser_find(w->db, kb.key.name, kb.key.uuid, true, &u, &err) ||
	    (req->newUserid != NULL &&
	     !take("newUserid", req->newUserid, true, u.userid, sizeof(u.userid), 128, &err)) ||
	    (req->lastName != NULL &&
	     !take("lastName", req->lastName, true, u.last_name, sizeof(u.last_name), 64, &err)) ||
	    (req->firstName != NULL &&
	     !take("firstName", req->firstName, false, u.first_name, sizeof(u.first_name), 64,
		   &err)) ||
	    (with_digest && !digest(u.userid, req->digestCredentials, &h, &err)) ||
	    !repo_enduser_update(w->db, &u, with_digest ? h.md5 : NULL,
				 with_digest ? h.sha256 : NULL, &actor, &err) ||
	    !db_commit(w->db, &err)) {
		db_rollback(w->db);
		return axl_fault(w, op, &err);
	}
	return axl_response_uuid(w, op, req->sequence, u.uuid);
}

int
__svc__removeUser(struct soap *soap, struct ns__RemoveUserReq *req,
		  struct ns__StandardResponse *res)
{
	static const char op[] = "removeUser";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct svc_key kb;
	struct end_user u;
	long users = 0;
	char names[512];

	(void) res;
	if (!svc_key(req->__union_RemoveUserReq, req->union_RemoveUserReq.userid, "userid", &kb,
		     &err) || !db_begin(w->db, &err))
		return axl_fault(w, op, &err);
	if (!repo_enduser_find(w->db, kb.key.name, kb.key.uuid, true, &u, &err)) {
		if (err.code == APP_E_NOT_FOUND)
			app_err_set(&err, APP_E_REMOVE_NOT_FOUND, NULL,
				    "Item not valid: The specified entry was not found");
		goto fail;
	}
	if (!repo_phone_dependents(w->db, DEP_USER, u.uuid, &users, names, &err))
		goto fail;
	if (users > 0) {
		svc_in_use(&err, "User", u.userid, users, names);
		goto fail;
	}
	if (!repo_enduser_remove(w->db, u.uuid, &actor, &err) || !db_commit(w->db, &err))
		goto fail;
	return axl_response_uuid(w, op, req->sequence, u.uuid);
fail:
	db_rollback(w->db);
	return axl_fault(w, op, &err);
}
