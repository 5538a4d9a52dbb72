/*
 * svc_profile.c: the five PhoneSecurityProfile operations.  Each adapter
 * copies wire values into a struct profile (through the offset table
 * below), calls the rules in profile.c and the SQL in repo_profile.c, and
 * writes the response straight from the result.  No business rules here.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "soapH.h"

#include "axl_fault.h"
#include "phone.h"
#include "axl_wire.h"
#include "db.h"
#include "like.h"
#include "profile.h"
#include "repo_phone.h"
#include "repo_profile.h"
#include "svc.h"
#include "uuid.h"
#include "worker.h"

/* Where each profile field sits in the add, get and list structs. */
enum wire_shape { W_ADD, W_GET, W_LIST, W__COUNT };

#define NO_UPDATE ((size_t) -1)
#define AT(type, m) offsetof(struct type, m)
#define WF(m, upd) { { AT(ns__XPhoneSecurityProfile, m), AT(ns__RPhoneSecurityProfile, m), \
		       AT(ns__LPhoneSecurityProfile, m) }, upd }
#define UPD(m) AT(ns__UpdatePhoneSecurityProfileReq, m)

static const struct wire_field {
	size_t off[W__COUNT];
	size_t update;   /* offset in the update request, NO_UPDATE if absent */
} wire[PF__COUNT] = {
	[PF_PHONE_TYPE]     = WF(phoneType, NO_UPDATE),
	[PF_PROTOCOL]       = WF(protocol, NO_UPDATE),
	[PF_NAME]           = WF(name, NO_UPDATE),   /* renamed through newName */
	[PF_DESCRIPTION]    = WF(description, UPD(description)),
	[PF_SECURITY_MODE]  = WF(deviceSecurityMode, UPD(deviceSecurityMode)),
	[PF_AUTH_MODE]      = WF(authenticationMode, UPD(authenticationMode)),
	[PF_KEY_SIZE]       = WF(keySize, UPD(keySize)),
	[PF_KEY_ORDER]      = WF(keyOrder, UPD(keyOrder)),
	[PF_EC_KEY_SIZE]    = WF(ecKeySize, UPD(ecKeySize)),
	[PF_TFTP_ENCRYPTED] = WF(tftpEncryptedConfig, UPD(tftpEncryptedConfig)),
	[PF_OAUTH]          = WF(EnableOAuthAuthentication, UPD(EnableOAuthAuthentication)),
	[PF_NONCE_VALIDITY] = WF(nonceValidityTime, UPD(nonceValidityTime)),
	[PF_TRANSPORT]      = WF(transportType, UPD(transportType)),
	[PF_SIP_PORT]       = WF(sipPhonePort, UPD(sipPhonePort)),
	[PF_DIGEST]         = WF(enableDigestAuthentication, UPD(enableDigestAuthentication)),
	[PF_EXCLUDE_DIGEST] = WF(excludeDigestCredentials, UPD(excludeDigestCredentials)),
};

/* The name/uuid choice: gSOAP numbers the variants alike in every request. */
_Static_assert(SOAP_UNION__ns__union_NameAndGUIDRequest_name == 1 &&
	       SOAP_UNION__ns__union_GetPhoneSecurityProfileReq_name == 1 &&
	       SOAP_UNION__ns__union_UpdatePhoneSecurityProfileReq_name == 1 &&
	       SOAP_UNION__ns__union_NameAndGUIDRequest_uuid == 2 &&
	       SOAP_UNION__ns__union_GetPhoneSecurityProfileReq_uuid == 2 &&
	       SOAP_UNION__ns__union_UpdatePhoneSecurityProfileReq_uuid == 2,
	       "name/uuid choice selectors differ between request types");

static const char *
field_at(const void *s, size_t off)
{
	return *(char *const *) (const void *) ((const char *) s + off);
}

/* The fields a returnedTags element asks for; all when absent or empty. */
static unsigned
returned_mask(const void *tags, enum wire_shape shape)
{
	unsigned mask = 0;

	if (tags != NULL)
		for (int i = 0; i < PF__COUNT; i++)
			if (field_at(tags, wire[i].off[shape]) != NULL)
				mask |= 1u << i;
	return mask ? mask : (1u << PF__COUNT) - 1;
}

static void
put_profile(struct xbuf *b, int version, unsigned mask, const char *db_uuid,
	    const char *const values[PF__COUNT])
{
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(db_uuid, uuid);
	xbuf_puts(b, "<phoneSecurityProfile uuid=\"");
	xbuf_puts(b, uuid);
	xbuf_puts(b, "\">");
	for (int i = 0; i < PF__COUNT; i++)
		if ((mask & (1u << i)) && profile_field_in_version((enum pf_id) i, version))
			xbuf_element(b, profile_fields[i].xml, values[i]);
	xbuf_puts(b, "</phoneSecurityProfile>");
}

int
__svc__addPhoneSecurityProfile(struct soap *soap, struct ns__AddPhoneSecurityProfileReq *req,
			       struct ns__StandardResponse *res)
{
	static const char op[] = "addPhoneSecurityProfile";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	const struct ns__XPhoneSecurityProfile *x = req->phoneSecurityProfile;
	struct app_err err = { 0 };
	struct profile p;

	(void) res;
	if (x == NULL) {
		app_err_set(&err, APP_E_MISSING_FIELD, "phoneSecurityProfile",
			    "Missing required element: phoneSecurityProfile");
		return axl_fault(w, op, &err);
	}
	profile_defaults(&p);
	for (int i = 0; i < PF__COUNT; i++)
		if (!profile_set(&p, (enum pf_id) i, field_at(x, wire[i].off[W_ADD]), &err))
			return axl_fault(w, op, &err);
	if (!profile_finish(&p, NULL, w->req.version, &err) ||
	    !repo_profile_insert(w->db, &p, &actor, &err))
		return axl_fault(w, op, &err);
	return axl_response_uuid(w, op, req->sequence, p.uuid);
}

/* Applies the update request to `p` (a copy of the stored profile). */
static bool
apply_update(struct profile *p, const struct profile *before,
	     const struct ns__UpdatePhoneSecurityProfileReq *req, int version,
	     struct app_err *err)
{
	p->given = 0;
	if (req->newName != NULL) {
		if (!profile_check_name("newName", req->newName, err))
			return false;
		snprintf(p->v[PF_NAME], PF_VALUE_MAX, "%s", req->newName);
	}
	for (int i = 0; i < PF__COUNT; i++)
		if (wire[i].update != NO_UPDATE &&
		    !profile_set(p, (enum pf_id) i, field_at(req, wire[i].update), err))
			return false;
	return profile_finish(p, before, version, err);
}

/* Rule 5: a profile in use becomes secure only if all its phones have a
 * certificate. */
static bool
certificates_ok(struct worker *w, const struct profile *p, const struct profile *before,
		struct app_err *err)
{
	long missing = 0;
	char names[512];

	if (!phone_profile_needs_certificate(p) || phone_profile_needs_certificate(before))
		return true;
	if (!repo_phone_without_certificate(w->db, p->uuid, &missing, names, err))
		return false;
	if (missing == 0)
		return true;
	return app_err_set(err, APP_E_RULE, NULL,
			   "The phone %s has no certificate (%ld phone(s) using this profile have "
			   "none: %s), so the profile cannot become %s. Apply a non-secure profile "
			   "to those phones, install a certificate through CAPF, then apply the "
			   "secure profile.", names, missing, names,
			   strcmp(p->v[PF_SECURITY_MODE], "Non Secure") != 0 ?
			   p->v[PF_SECURITY_MODE] : p->v[PF_AUTH_MODE]);
}

/* True when the update names nothing but a new description. */
static bool
description_only(const struct ns__UpdatePhoneSecurityProfileReq *req)
{
	if (req->newName != NULL || req->description == NULL)
		return false;
	for (int i = 0; i < PF__COUNT; i++)
		if (i != PF_DESCRIPTION && wire[i].update != NO_UPDATE &&
		    field_at(req, wire[i].update) != NULL)
			return false;
	return true;
}

int
__svc__updatePhoneSecurityProfile(struct soap *soap,
				  struct ns__UpdatePhoneSecurityProfileReq *req,
				  struct ns__StandardResponse *res)
{
	static const char op[] = "updatePhoneSecurityProfile";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct svc_key kb;
	struct profile before, p;

	(void) res;
	if (!svc_key(req->__union_UpdatePhoneSecurityProfileReq,
		     req->union_UpdatePhoneSecurityProfileReq.name, "name", &kb, &err))
		return axl_fault(w, op, &err);
	/* No rule ties the description to another field: a description-only
	 * update is one statement (bulk relabelling is a common job).  A
	 * profile that is missing or predefined takes the full path below,
	 * which says why. */
	if (description_only(req)) {
		struct profile scratch = { 0 };
		char uuid[UUID_DB_LEN + 1];
		bool found = false;

		if (!profile_set(&scratch, PF_DESCRIPTION, req->description, &err) ||
		    !repo_profile_set_description(w->db, &kb.key, scratch.v[PF_DESCRIPTION],
						  &actor, uuid, &found, &err))
			return axl_fault(w, op, &err);
		if (found)
			return axl_response_uuid(w, op, req->sequence, uuid);
	}
	/* Read, merge, write only if the row is unchanged since the read, and
	 * otherwise start over: concurrent partial updates of one profile keep
	 * each other's fields, in two round trips without a transaction. */
	for (int attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
		if (!repo_profile_get(w->db, &kb.key,
				      &before, &err))
			break;
		if (before.standard) {
			app_err_set(&err, APP_E_READ_ONLY, NULL,
				    "Cannot update a predefined security profile: %s",
				    before.v[PF_NAME]);
			break;
		}
		p = before;
		if (!apply_update(&p, &before, req, w->req.version, &err) ||
		    !certificates_ok(w, &p, &before, &err))
			break;
		if (repo_profile_update(w->db, &p, &before, &actor, &err))
			return axl_response_uuid(w, op, req->sequence, p.uuid);
		if (err.code != APP_E_CONFLICT)
			break;
	}
	return axl_fault(w, op, &err);
}

int
__svc__getPhoneSecurityProfile(struct soap *soap, struct ns__GetPhoneSecurityProfileReq *req,
			       struct ns__GetPhoneSecurityProfileRes *res)
{
	static const char op[] = "getPhoneSecurityProfile";
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	struct svc_key kb;
	struct profile p;
	const char *values[PF__COUNT];

	(void) res;
	if (!svc_key(req->__union_GetPhoneSecurityProfileReq,
		      req->union_GetPhoneSecurityProfileReq.name, "name", &kb, &err) ||
	    !repo_profile_get(w->db, &kb.key, &p, &err))
		return axl_fault(w, op, &err);
	for (int i = 0; i < PF__COUNT; i++)
		values[i] = p.v[i];
	axl_response_open(w, op, req->sequence);
	xbuf_puts(&w->body, "<return>");
	put_profile(&w->body, w->req.version, returned_mask(req->returnedTags, W_GET), p.uuid,
		    values);
	xbuf_puts(&w->body, "</return>");
	return axl_response_send(w, op);
}

int
__svc__removePhoneSecurityProfile(struct soap *soap, struct ns__NameAndGUIDRequest *req,
				  struct ns__StandardResponse *res)
{
	static const char op[] = "removePhoneSecurityProfile";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct svc_key kb;
	char uuid[UUID_DB_LEN + 1];
	struct profile p;
	long users = 0;
	char names[512];

	(void) res;
	if (!svc_key(req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name, "name",
		     &kb, &err))
		return axl_fault(w, op, &err);
	/* The row read here decides the fault, so a missing or predefined
	 * profile costs one query.  A profile in use stays (the phones
	 * reference it by key); say which phones use it, as CUCM's Dependency
	 * Records would. */
	if (!repo_profile_get(w->db, &kb.key, &p, &err)) {
		if (err.code == APP_E_NOT_FOUND)
			app_err_set(&err, APP_E_REMOVE_NOT_FOUND, NULL,
				    "Item not valid: The specified entry was not found");
		return axl_fault(w, op, &err);
	}
	if (p.standard) {
		app_err_set(&err, APP_E_READ_ONLY, NULL,
			    "Cannot remove a predefined security profile: %s", p.v[PF_NAME]);
		return axl_fault(w, op, &err);
	}
	if (!repo_phone_dependents(w->db, DEP_PROFILE, p.uuid, &users, names, &err))
		return axl_fault(w, op, &err);
	if (users > 0) {
		svc_in_use(&err, "Phone Security Profile", p.v[PF_NAME], users, names);
		return axl_fault(w, op, &err);
	}
	/* By uuid: a rename since the read does not matter.  The repository
	 * still tells a concurrent removal apart. */
	if (!repo_profile_remove(w->db, &(struct item_key) { .uuid = p.uuid }, &actor, uuid, &err))
		return axl_fault(w, op, &err);
	return axl_response_uuid(w, op, req->sequence, uuid);
}

struct list_ctx {
	struct axl_list list;
	unsigned mask;
};

static bool
list_row(void *vctx, const char *uuid, const char *const values[PF__COUNT])
{
	struct list_ctx *c = vctx;

	put_profile(&c->list.w->body, c->list.w->req.version, c->mask, uuid, values);
	return axl_list_row(&c->list);
}

int
__svc__listPhoneSecurityProfile(struct soap *soap, struct ns__ListPhoneSecurityProfileReq *req,
				struct ns__ListPhoneSecurityProfileRes *res)
{
	static const char op[] = "listPhoneSecurityProfile";
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	struct profile_search search = { 0 };
	struct list_ctx ctx = { .mask = returned_mask(req->returnedTags, W_LIST) };
	const struct ns__ListPhoneSecurityProfileSearch *sc = req->searchCriteria;
	long matched = 0;

	(void) res;
	if (sc == NULL || (sc->name == NULL && sc->description == NULL)) {
		app_err_set(&err, APP_E_MISSING_FIELD, "searchCriteria",
			    "Missing required element: searchCriteria needs name or description");
		return axl_fault(w, op, &err);
	}
	search.name = sc->name;
	search.description = sc->description;
	if ((search.name && !like_check("name", search.name, &err)) ||
	    (search.description && !like_check("description", search.description, &err)) ||
	    !svc_count("skip", req->skip, &search.skip, &err) ||
	    !svc_count("first", req->first, &search.first, &err))
		return axl_fault(w, op, &err);
	if (search.skip < 0)
		search.skip = 0;
	axl_list_begin(&ctx.list, w, op, req->sequence);
	if (!repo_profile_list(w->db, &search, ctx.mask, list_row, &ctx, &matched, &err))
		return axl_fault(w, op, &err);
	return axl_list_end(&ctx.list, matched);
}
