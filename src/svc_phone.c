/*
 * svc_phone.c: addPhone, getPhone, updatePhone, listPhone, removePhone.
 * The adapters copy wire values into a struct phone through the offset
 * table below, resolve the references (security profile, digest user) and
 * apply the rules of phone.c inside one transaction; responses are written
 * straight from the stored row.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "soapH.h"

#include "axl_fault.h"
#include "axl_wire.h"
#include "db.h"
#include "like.h"
#include "phone.h"
#include "repo_phone.h"
#include "repo_profile.h"
#include "phone_ops.h"
#include "svc.h"
#include "worker.h"

enum { W_ADD, W_UPDATE, W_GET, W_LIST, W__COUNT };

#define NONE ((size_t) -1)
#define AT(type, m) offsetof(struct type, m)
/* Offsets in the add, update, get and list structs; NONE where absent. */
#define WF(add, upd, m, fk) { { add, upd, AT(ns__RPhone, m), AT(ns__LPhone, m) }, fk }
#define ALL(m, fk) WF(AT(ns__XPhone, m), AT(ns__UpdatePhoneReq, m), m, fk)
#define ADDONLY(m) WF(AT(ns__XPhone, m), NONE, m, false)
#define OUTONLY(m) WF(NONE, NONE, m, false)

static const struct wire_field {
	size_t off[W__COUNT];
	bool fk;   /* struct ns__XFkType * rather than char * */
} wire[PH__COUNT] = {
	[PH_NAME]             = ADDONLY(name),
	[PH_DESCRIPTION]      = ALL(description, false),
	[PH_PRODUCT]          = ADDONLY(product),
	[PH_MODEL]            = OUTONLY(model),
	[PH_CLASS]            = ADDONLY(class_),
	[PH_PROTOCOL]         = ADDONLY(protocol),
	[PH_PROTOCOL_SIDE]    = ADDONLY(protocolSide),
	[PH_CSS]              = ALL(callingSearchSpaceName, true),
	[PH_DEVICE_POOL]      = ALL(devicePoolName, true),
	[PH_COMMON_CONFIG]    = ALL(commonPhoneConfigName, true),
	[PH_LOCATION]         = ALL(locationName, true),
	[PH_SECURITY_PROFILE] = ALL(securityProfileName, true),
	[PH_SIP_PROFILE]      = ALL(sipProfileName, true),
	[PH_TEMPLATE]         = ALL(phoneTemplateName, true),
	[PH_CERT_OP]          = ALL(certificateOperation, false),
	[PH_AUTH_MODE]        = ALL(authenticationMode, false),
	[PH_KEY_SIZE]         = ALL(keySize, false),
	[PH_KEY_ORDER]        = ALL(keyOrder, false),
	[PH_EC_KEY_SIZE]      = ALL(ecKeySize, false),
	[PH_AUTH_STRING]      = ALL(authenticationString, false),
	[PH_CERT_STATUS]      = OUTONLY(certificateStatus),
	[PH_UPGRADE_TIME]     = ALL(upgradeFinishTime, false),
	[PH_DIGEST_USER]      = ALL(digestUser, false),
};

_Static_assert(SOAP_UNION__ns__union_UpdatePhoneReq_name == SVC_KEY_NAME &&
	       SOAP_UNION__ns__union_GetPhoneReq_name == SVC_KEY_NAME &&
	       SOAP_UNION__ns__union_UpdatePhoneReq_uuid == SVC_KEY_UUID &&
	       SOAP_UNION__ns__union_GetPhoneReq_uuid == SVC_KEY_UUID,
	       "name/uuid choice selectors");

/* Reads field i of a wire struct: its text and, for a reference, its uuid
 * attribute.  Both NULL when the element is absent. */
static void
wire_get(const void *s, int shape, int i, const char **text, const char **uuid)
{
	const void *slot = (const char *) s + wire[i].off[shape];

	*text = *uuid = NULL;
	if (wire[i].fk) {
		const struct ns__XFkType *fk = *(struct ns__XFkType *const *) slot;

		if (fk != NULL) {
			*text = fk->__item ? fk->__item : "";
			*uuid = fk->uuid;
		}
	} else
		*text = *(char *const *) slot;
}

static bool
read_fields(struct phone *p, const void *s, int shape, unsigned flag, struct app_err *err)
{
	for (int i = 0; i < PH__COUNT; i++) {
		const char *text, *uuid;

		if (!(phone_fields[i].flags & flag) || wire[i].off[shape] == NONE)
			continue;
		wire_get(s, shape, i, &text, &uuid);
		if (!phone_set(p, (enum ph_id) i, text, uuid, err))
			return false;
	}
	return true;
}

int
__svc__addPhone(struct soap *soap, struct ns__AddPhoneReq *req, struct ns__StandardResponse *res)
{
	static const char op[] = "addPhone";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct phone *p = soap_malloc(soap, sizeof(*p));  /* large: the request's arena */
	const struct model_caps *m = NULL;
	struct profile prof;
	char user_uuid[UUID_DB_LEN + 1];

	(void) res;
	if (p == NULL)
		return soap->error = SOAP_EOM;
	if (req->phone == NULL) {
		app_err_set(&err, APP_E_MISSING_FIELD, "phone", "Missing required element: phone");
		return axl_fault(w, op, &err);
	}
	phone_defaults(p);
	if (!read_fields(p, req->phone, W_ADD, PHF_ADD, &err) || !phone_check_add(p, w->req.version, &m, &err))
		return axl_fault(w, op, &err);
	/* A phone is one row: the lookups and the insert need no transaction
	 * unless a CAPF change creates a profile (phone_ops opens one then). */
	if (!(((p->given & (1u << PH_SECURITY_PROFILE)) &&
	       (p->v[PH_SECURITY_PROFILE][0] || p->ref_uuid[PH_SECURITY_PROFILE][0])) ?
	      phone_ops_named_profile(w->db, p, &prof, &err) : phone_ops_standard_profile(w->db, p, &prof, &err)) ||
	    !phone_ops_digest_user(w->db, p, user_uuid, &err) ||
	    !phone_ops_settle(w->db, p, m, p->v[PH_CERT_STATUS], &prof, NULL, &actor, &err) ||
	    !repo_phone_insert(w->db, p, prof.uuid, user_uuid[0] ? user_uuid : NULL, &actor,
			       &err) ||
	    !db_commit_if_open(w->db, &err)) {
		db_rollback(w->db);
		return axl_fault(w, op, &err);
	}
	return axl_response_uuid(w, op, req->sequence, p->uuid);
}

/* One read-merge-write of an update; APP_E_CONFLICT when the phone changed
 * since it was read (the caller starts over). */
static bool
update_once(struct worker *w, const struct ns__UpdatePhoneReq *req, const struct svc_key *kb,
	    struct phone *p, const struct actor *actor, struct app_err *err)
{
	const struct model_caps *m;
	struct profile prof;
	char profile_uuid[UUID_DB_LEN + 1], user_uuid[UUID_DB_LEN + 1];
	char old_status[PH_VALUE_MAX];
	unsigned capf = 0;

	if (!repo_phone_get(w->db, &kb->key, p, profile_uuid, err))
		return false;
	m = models_find(p->v[PH_MODEL]);
	snprintf(old_status, sizeof(old_status), "%s", p->v[PH_CERT_STATUS]);
	snprintf(user_uuid, sizeof(user_uuid), "%s", p->ref_uuid[PH_DIGEST_USER]);
	/* Input uuid attributes replace the stored ones only where given. */
	p->given = 0;
	memset(p->ref_uuid, 0, sizeof(p->ref_uuid));
	if (!read_fields(p, req, W_UPDATE, PHF_UPDATE, err))
		return false;
	if (req->newName != NULL) {
		snprintf(p->v[PH_NAME], PH_VALUE_MAX, "%s", req->newName);
		if (m == NULL || !phone_check_name("newName", p->v[PH_NAME], m, err))
			return false;
	}
	if ((p->given & (1u << PH_DIGEST_USER)) && !phone_ops_digest_user(w->db, p, user_uuid, err))
		return false;
	for (int i = 0; i < PH__COUNT; i++)
		if (phone_fields[i].flags & PHF_PROFILE)
			capf |= p->given & (1u << i);
	/* The profile matters only when the request names one or changes
	 * CAPF settings; otherwise the phone keeps it untouched. */
	if ((p->given & (1u << PH_SECURITY_PROFILE)) || capf) {
		if ((p->given & (1u << PH_SECURITY_PROFILE)) ?
		    !phone_ops_named_profile(w->db, p, &prof, err) :
		    !repo_profile_get(w->db, &(struct item_key){ NULL, profile_uuid }, &prof, err))
			return false;
		if (!phone_ops_settle(w->db, p, m, old_status, &prof, profile_uuid, actor, err))
			return false;
		snprintf(profile_uuid, sizeof(profile_uuid), "%s", prof.uuid);
	} else
		phone_mark_pending(p);
	/* The audit records what the request set (and a new name). */
	return repo_phone_update(w->db, p, profile_uuid, user_uuid[0] ? user_uuid : NULL,
				 p->given | (req->newName != NULL ? 1u << PH_NAME : 0), actor,
				 err) &&
	       db_commit_if_open(w->db, err);
}

int
__svc__updatePhone(struct soap *soap, struct ns__UpdatePhoneReq *req,
		   struct ns__StandardResponse *res)
{
	static const char op[] = "updatePhone";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct phone *p = soap_malloc(soap, sizeof(*p));
	struct svc_key kb;

	(void) res;
	if (p == NULL)
		return soap->error = SOAP_EOM;
	if (!svc_key(req->__union_UpdatePhoneReq, req->union_UpdatePhoneReq.name, "name", &kb,
		     &err))
		return axl_fault(w, op, &err);
	for (int attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
		if (update_once(w, req, &kb, p, &actor, &err))
			return axl_response_uuid(w, op, req->sequence, p->uuid);
		db_rollback(w->db);
		if (err.code != APP_E_CONFLICT)
			break;
	}
	return axl_fault(w, op, &err);
}

/* The fields a returnedTags element asks for; all when absent or empty. */
static unsigned
returned_mask(const void *tags, int shape)
{
	unsigned mask = 0;

	if (tags != NULL)
		for (int i = 0; i < PH__COUNT; i++) {
			const char *text, *uuid;

			wire_get(tags, shape, i, &text, &uuid);
			if (text != NULL)
				mask |= 1u << i;
		}
	return mask ? mask : (1u << PH__COUNT) - 1;
}

static void
put_phone(struct xbuf *b, unsigned mask, const struct phone *p)
{
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(p->uuid, uuid);
	xbuf_printf(b, "<phone ctiid=\"%s\" uuid=\"%s\">", p->ctiid, uuid);
	for (int i = 0; i < PH__COUNT; i++) {
		const char *xml = phone_fields[i].xml;

		if (!(mask & (1u << i)))
			continue;
		if (!(phone_fields[i].flags & PHF_REF) || p->ref_uuid[i][0] == '\0') {
			xbuf_element(b, xml, p->v[i]);
			continue;
		}
		uuid_format(p->ref_uuid[i], uuid);
		xbuf_printf(b, "<%s uuid=\"%s\">", xml, uuid);
		xbuf_put_escaped(b, p->v[i]);
		xbuf_printf(b, "</%s>", xml);
	}
	xbuf_puts(b, "</phone>");
}

int
__svc__getPhone(struct soap *soap, struct ns__GetPhoneReq *req, struct ns__GetPhoneRes *res)
{
	static const char op[] = "getPhone";
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	struct phone *p = soap_malloc(soap, sizeof(*p));
	struct svc_key kb;

	(void) res;
	if (p == NULL)
		return soap->error = SOAP_EOM;
	if (!svc_key(req->__union_GetPhoneReq, req->union_GetPhoneReq.name, "name", &kb, &err) ||
	    !repo_phone_get(w->db, &kb.key, p, NULL, &err))
		return axl_fault(w, op, &err);
	axl_response_open(w, op, req->sequence);
	xbuf_puts(&w->body, "<return>");
	put_phone(&w->body, returned_mask(req->returnedTags, W_GET), p);
	xbuf_puts(&w->body, "</return>");
	return axl_response_send(w, op);
}

int
__svc__removePhone(struct soap *soap, struct ns__NameAndGUIDRequest *req,
		   struct ns__StandardResponse *res)
{
	static const char op[] = "removePhone";
	struct worker *w = soap->user;
	struct actor actor = svc_actor(w, op);
	struct app_err err = { 0 };
	struct svc_key kb;
	char uuid[UUID_DB_LEN + 1];

	(void) res;
	if (!svc_key(req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name, "name",
		     &kb, &err) ||
	    !repo_phone_remove(w->db, &kb.key, &actor, uuid, &err))
		return axl_fault(w, op, &err);
	return axl_response_uuid(w, op, req->sequence, uuid);
}

struct list_ctx {
	struct axl_list list;
	unsigned mask;
};

static bool
list_row(void *vctx, const struct phone *p)
{
	struct list_ctx *c = vctx;

	put_phone(&c->list.w->body, c->mask, p);
	return axl_list_row(&c->list);
}

int
__svc__listPhone(struct soap *soap, struct ns__ListPhoneReq *req, struct ns__ListPhoneRes *res)
{
	static const char op[] = "listPhone";
	struct worker *w = soap->user;
	struct app_err err = { 0 };
	const struct ns__ListPhoneSearch *sc = req->searchCriteria;
	struct phone_search search = { 0 };
	struct list_ctx ctx = { .mask = returned_mask(req->returnedTags, W_LIST) };
	const char **pat[] = { &search.name, &search.description, &search.protocol,
				     &search.css, &search.device_pool, &search.profile };
	static const char *const names[] = { "name", "description", "protocol",
					      "callingSearchSpaceName", "devicePoolName",
					      "securityProfileName" };
	long matched = 0;
	bool any = false;

	(void) res;
	if (sc != NULL) {
		const char *given[] = { sc->name, sc->description, sc->protocol,
					sc->callingSearchSpaceName, sc->devicePoolName,
					sc->securityProfileName };

		for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
			if (given[i] == NULL)
				continue;
			if (!like_check(names[i], given[i], &err))
				return axl_fault(w, op, &err);
			*pat[i] = given[i];
			any = true;
		}
	}
	if (!any) {
		app_err_set(&err, APP_E_MISSING_FIELD, "searchCriteria",
			    "Missing required element: searchCriteria needs at least one search element");
		return axl_fault(w, op, &err);
	}
	if (!svc_count("skip", req->skip, &search.skip, &err) ||
	    !svc_count("first", req->first, &search.first, &err))
		return axl_fault(w, op, &err);
	if (search.skip < 0)
		search.skip = 0;
	axl_list_begin(&ctx.list, w, op, req->sequence);
	if (!repo_phone_list(w->db, &search, list_row, &ctx, &matched, &err))
		return axl_fault(w, op, &err);
	return axl_list_end(&ctx.list, matched);
}
