/*
 * svc_profile.c: the handlers of the five PhoneSecurityProfile operations
 * (see ops.h).  Each copies wire values into a struct profile through the
 * offset table below, calls the rules of profile.c and profile_ops.c and
 * the SQL of repo_profile.c, and writes the response straight from the
 * result.  No business rules here.
 */
#include <stddef.h>
#include <stdio.h>

#include "like.h"
#include "profile.h"
#include "profile_ops.h"
#include "repo_profile.h"
#include "svc.h"

/* Where each profile field sits in the add, get and list structs. */
enum wire_shape { W_ADD, W_GET, W_LIST, W__COUNT };

#define NO_UPDATE ((size_t) -1)
#define AT(type, m) offsetof(struct type, m)
#define WF(m, upd) \
	{ \
		{ AT(ns__XPhoneSecurityProfile, m), AT(ns__RPhoneSecurityProfile, m), \
		  AT(ns__LPhoneSecurityProfile, m) }, \
			upd \
	}
#define UPD(m) AT(ns__UpdatePhoneSecurityProfileReq, m)

/* clang-format off */
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
/* clang-format on */

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

static unsigned
returned_mask(const void *tags, enum wire_shape shape)
{
	return svc_returned_mask(tags, &wire[0].off[shape], sizeof(wire[0]), PF__COUNT);
}

/* A profile as the list and get responses print it. */
struct shown {
	const char *uuid;
	const char *const *values;
};

static void
put_profile(struct worker *w, unsigned mask, const void *item)
{
	const struct shown *s = item;
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(s->uuid, uuid);
	xbuf_puts(&w->body, "<phoneSecurityProfile uuid=\"");
	xbuf_puts(&w->body, uuid);
	xbuf_puts(&w->body, "\">");
	for (int i = 0; i < PF__COUNT; i++)
		if ((mask & (1u << i)) && profile_field_in_version((enum pf_id) i, w->req.version))
			xbuf_element(&w->body, profile_fields[i].xml, s->values[i]);
	xbuf_puts(&w->body, "</phoneSecurityProfile>");
}

static bool
read_profile(struct op_call *c, const struct item_key *key, void *item)
{
	return repo_profile_get(c->w->db, key, item, &c->err);
}

bool
svc_profile_add(struct op_call *c, void *req_)
{
	struct ns__AddPhoneSecurityProfileReq *req = req_;
	const struct ns__XPhoneSecurityProfile *x = req->phoneSecurityProfile;
	struct profile p;

	if (x == NULL)
		return axl_err_missing(&c->err, "phoneSecurityProfile", NULL);
	profile_defaults(&p);
	for (int i = 0; i < PF__COUNT; i++)
		if (!profile_set(&p, (enum pf_id) i, field_at(x, wire[i].off[W_ADD]), &c->err))
			return false;
	return profile_finish(&p, NULL, c->w->req.version, &c->err) &&
	       repo_profile_insert(c->w->db, &p, &c->actor, &c->err) &&
	       svc_answer_uuid(c, req->sequence, p.uuid);
}

/* Applies the update request to `p` (a copy of the stored profile). */
static bool
apply_update(struct profile *p, const struct profile *before,
	     const struct ns__UpdatePhoneSecurityProfileReq *req, int version, struct app_err *err)
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

/* No rule ties the description to another field: a description-only
 * update is one statement (bulk relabelling is a common job).  *done is
 * false when the profile is missing or predefined: the full path says
 * why. */
static bool
update_description(struct op_call *c, const struct ns__UpdatePhoneSecurityProfileReq *req,
		   const struct svc_key *kb, bool *done)
{
	struct profile scratch = { 0 };
	char uuid[UUID_DB_LEN + 1];

	*done = false;
	if (!profile_set(&scratch, PF_DESCRIPTION, req->description, &c->err) ||
	    !repo_profile_set_description(c->w->db, &kb->key, scratch.v[PF_DESCRIPTION], &c->actor,
					  uuid, done, &c->err))
		return false;
	return !*done || svc_answer_uuid(c, req->sequence, uuid);
}

struct update {
	const struct ns__UpdatePhoneSecurityProfileReq *req;
	struct svc_key kb;
};

/* Read, merge, write only if the row is unchanged since the read:
 * concurrent partial updates of one profile keep each other's fields, in
 * two round trips without a transaction. */
static bool
update_once(struct op_call *c, void *ctx)
{
	const struct update *u = ctx;
	struct profile before, p;

	if (!repo_profile_get(c->w->db, &u->kb.key, &before, &c->err) ||
	    !profile_ops_changeable(&before, "update", &c->err))
		return false;
	p = before;
	return apply_update(&p, &before, u->req, c->w->req.version, &c->err) &&
	       profile_ops_certificates_ok(c->w->db, &p, &before, &c->err) &&
	       repo_profile_update(c->w->db, &p, &before, &c->actor, &c->err) &&
	       svc_answer_uuid(c, u->req->sequence, p.uuid);
}

bool
svc_profile_update(struct op_call *c, void *req_)
{
	struct update u = { .req = req_ };
	bool done = false;

	if (!svc_key(c, u.req->__union_UpdatePhoneSecurityProfileReq,
		     u.req->union_UpdatePhoneSecurityProfileReq.name, "name", &u.kb))
		return false;
	if (description_only(u.req) && !update_description(c, u.req, &u.kb, &done))
		return false;
	return done || svc_retry(c, update_once, &u);
}

static void
put_stored(struct worker *w, unsigned mask, const void *item)
{
	const struct profile *p = item;
	const char *values[PF__COUNT];

	for (int i = 0; i < PF__COUNT; i++)
		values[i] = p->v[i];
	put_profile(w, mask, &(struct shown) { p->uuid, values });
}

bool
svc_profile_get(struct op_call *c, void *req_)
{
	struct ns__GetPhoneSecurityProfileReq *req = req_;
	struct svc_key kb;
	struct profile p;

	return svc_key(c, req->__union_GetPhoneSecurityProfileReq,
		       req->union_GetPhoneSecurityProfileReq.name, "name", &kb) &&
	       svc_get(c, req->sequence, &kb, read_profile, &p, put_stored,
		       returned_mask(req->returnedTags, W_GET));
}

static bool
removable(struct op_call *c, const void *item)
{
	return profile_ops_removable(c->w->db, item, &c->err);
}

/* By uuid: a rename since the read does not matter.  The repository
 * still tells a concurrent removal apart. */
static bool
remove_profile(struct op_call *c, const void *item, char uuid[UUID_DB_LEN + 1])
{
	const struct profile *p = item;

	return repo_profile_remove(c->w->db, &(struct item_key) { .uuid = p->uuid }, &c->actor,
				   uuid, &c->err);
}

bool
svc_profile_remove(struct op_call *c, void *req_)
{
	static const struct svc_remover remover = { false, read_profile, removable,
						    remove_profile };
	struct ns__NameAndGUIDRequest *req = req_;
	struct svc_key kb;
	struct profile p;

	return svc_key(c, req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name,
		       "name", &kb) &&
	       svc_remove(c, req->sequence, &kb, &remover, &p);
}

static bool
list_row(void *ctx, const char *uuid, const char *const values[PF__COUNT])
{
	return svc_list_row(ctx, &(struct shown) { uuid, values });
}

static bool
list_run(struct op_call *c, struct svc_list *l, const void *search, long *matched)
{
	return repo_profile_list(c->w->db, search, l->mask, list_row, l, matched, &c->err);
}

bool
svc_profile_list(struct op_call *c, void *req_)
{
	struct ns__ListPhoneSecurityProfileReq *req = req_;
	const struct ns__ListPhoneSecurityProfileSearch *sc = req->searchCriteria;
	struct svc_list l = { .mask = returned_mask(req->returnedTags, W_LIST),
			      .put = put_profile };
	struct profile_search search = { 0 };

	if (sc == NULL || (sc->name == NULL && sc->description == NULL))
		return axl_err_missing(&c->err, "searchCriteria",
				       "searchCriteria needs name or description");
	search.name = sc->name;
	search.description = sc->description;
	if ((search.name && !like_check("name", search.name, &c->err)) ||
	    (search.description && !like_check("description", search.description, &c->err)) ||
	    !svc_list_counts(c, &l, req->skip, req->first))
		return false;
	search.skip = l.skip;
	search.first = l.first;
	return svc_list(c, req->sequence, &l, list_run, &search);
}
