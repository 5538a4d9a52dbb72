/*
 * svc_phone.c: the handlers of addPhone, getPhone, updatePhone, listPhone
 * and removePhone (see ops.h).  They copy wire values into a struct phone through the offset
 * table below, resolve the references (security profile, digest user) and
 * apply the rules of phone.c inside one transaction; responses are written
 * straight from the stored row.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
/* clang-format off */
#define WF(add, upd, m, fk) { { add, upd, AT(ns__RPhone, m), AT(ns__LPhone, m) }, fk }
/* clang-format on */
#define ALL(m, fk) WF(AT(ns__XPhone, m), AT(ns__UpdatePhoneReq, m), m, fk)
#define ADDONLY(m) WF(AT(ns__XPhone, m), NONE, m, false)
#define OUTONLY(m) WF(NONE, NONE, m, false)

/* clang-format off */
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
/* clang-format on */

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

/* The profile an add names, else the standard one of its model. */
static bool
add_profile(struct op_call *c, const struct phone *p, struct profile *prof)
{
	if ((p->given & (1u << PH_SECURITY_PROFILE)) &&
	    (p->v[PH_SECURITY_PROFILE][0] || p->ref_uuid[PH_SECURITY_PROFILE][0]))
		return phone_ops_named_profile(c->w->db, p, prof, &c->err);
	return phone_ops_standard_profile(c->w->db, p, prof, &c->err);
}

bool
svc_phone_add(struct op_call *c, void *req_)
{
	struct ns__AddPhoneReq *req = req_;
	struct phone *p = soap_malloc(c->w->soap, sizeof(*p)); /* large: the request's arena */
	const struct model_caps *m = NULL;
	struct profile prof;
	char user_uuid[UUID_DB_LEN + 1];

	if (p == NULL)
		return svc_no_memory(c);
	if (req->phone == NULL)
		return axl_err_missing(&c->err, "phone", NULL);
	phone_defaults(p);
	/* A phone is one row: the lookups and the insert need no transaction
	 * unless a CAPF change creates a profile (phone_ops opens one then). */
	return read_fields(p, req->phone, W_ADD, PHF_ADD, &c->err) &&
	       phone_check_add(p, c->w->req.version, &m, &c->err) && add_profile(c, p, &prof) &&
	       phone_ops_digest_user(c->w->db, p, user_uuid, &c->err) &&
	       phone_ops_settle(c->w->db, p, m, p->v[PH_CERT_STATUS], &prof, NULL, &c->actor,
				&c->err) &&
	       repo_phone_insert(c->w->db, p, prof.uuid, user_uuid[0] ? user_uuid : NULL, &c->actor,
				 &c->err) &&
	       db_commit_if_open(c->w->db, &c->err) && svc_answer_uuid(c, req->sequence, p->uuid);
}

struct update {
	const struct ns__UpdatePhoneReq *req;
	struct svc_key kb;
	struct phone *p;
};

/* The profile the phone ends up with, when the request names one or
 * changes CAPF settings; otherwise it keeps its own untouched. */
static bool
update_profile(struct op_call *c, struct phone *p, const struct model_caps *m,
	       const char *old_status, char profile_uuid[UUID_DB_LEN + 1])
{
	struct profile prof;
	unsigned capf = 0;

	for (int i = 0; i < PH__COUNT; i++)
		if (phone_fields[i].flags & PHF_PROFILE)
			capf |= p->given & (1u << i);
	if (!(p->given & (1u << PH_SECURITY_PROFILE)) && !capf) {
		phone_mark_pending(p);
		return true;
	}
	if ((p->given & (1u << PH_SECURITY_PROFILE)) ?
		    !phone_ops_named_profile(c->w->db, p, &prof, &c->err) :
		    !repo_profile_get(c->w->db, &(struct item_key) { NULL, profile_uuid }, &prof,
				      &c->err))
		return false;
	if (!phone_ops_settle(c->w->db, p, m, old_status, &prof, profile_uuid, &c->actor, &c->err))
		return false;
	snprintf(profile_uuid, UUID_DB_LEN + 1, "%s", prof.uuid);
	return true;
}

/* One read-merge-write of an update; APP_E_CONFLICT when the phone changed
 * since it was read (svc_retry starts over). */
static bool
update_once(struct op_call *c, void *ctx)
{
	const struct update *u = ctx;
	struct phone *p = u->p;
	const struct model_caps *m;
	char profile_uuid[UUID_DB_LEN + 1], user_uuid[UUID_DB_LEN + 1];
	char old_status[PH_VALUE_MAX];

	if (!repo_phone_get(c->w->db, &u->kb.key, p, profile_uuid, &c->err))
		return false;
	m = models_find(p->v[PH_MODEL]);
	snprintf(old_status, sizeof(old_status), "%s", p->v[PH_CERT_STATUS]);
	snprintf(user_uuid, sizeof(user_uuid), "%s", p->ref_uuid[PH_DIGEST_USER]);
	/* Input uuid attributes replace the stored ones only where given. */
	p->given = 0;
	memset(p->ref_uuid, 0, sizeof(p->ref_uuid));
	if (!read_fields(p, u->req, W_UPDATE, PHF_UPDATE, &c->err))
		return false;
	if (u->req->newName != NULL) {
		snprintf(p->v[PH_NAME], PH_VALUE_MAX, "%s", u->req->newName);
		if (m == NULL || !phone_check_name("newName", p->v[PH_NAME], m, &c->err))
			return false;
	}
	if ((p->given & (1u << PH_DIGEST_USER)) &&
	    !phone_ops_digest_user(c->w->db, p, user_uuid, &c->err))
		return false;
	/* The audit records what the request set (and a new name). */
	return update_profile(c, p, m, old_status, profile_uuid) &&
	       repo_phone_update(c->w->db, p, profile_uuid, user_uuid[0] ? user_uuid : NULL,
				 p->given | (u->req->newName != NULL ? 1u << PH_NAME : 0),
				 &c->actor, &c->err) &&
	       db_commit_if_open(c->w->db, &c->err) &&
	       svc_answer_uuid(c, u->req->sequence, p->uuid);
}

bool
svc_phone_update(struct op_call *c, void *req_)
{
	struct update u = { .req = req_, .p = soap_malloc(c->w->soap, sizeof(*u.p)) };

	if (u.p == NULL)
		return svc_no_memory(c);
	return svc_key(c, u.req->__union_UpdatePhoneReq, u.req->union_UpdatePhoneReq.name, "name",
		       &u.kb) &&
	       svc_retry(c, update_once, &u);
}

static unsigned
returned_mask(const void *tags, int shape)
{
	return svc_returned_mask(tags, &wire[0].off[shape], sizeof(wire[0]), PH__COUNT);
}

static void
put_phone(struct worker *w, unsigned mask, const void *item)
{
	const struct phone *p = item;
	struct xbuf *b = &w->body;
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

static bool
read_phone(struct op_call *c, const struct item_key *key, void *item)
{
	return repo_phone_get(c->w->db, key, item, NULL, &c->err);
}

bool
svc_phone_get(struct op_call *c, void *req_)
{
	struct ns__GetPhoneReq *req = req_;
	struct phone *p = soap_malloc(c->w->soap, sizeof(*p));
	struct svc_key kb;

	if (p == NULL)
		return svc_no_memory(c);
	return svc_key(c, req->__union_GetPhoneReq, req->union_GetPhoneReq.name, "name", &kb) &&
	       svc_get(c, req->sequence, &kb, read_phone, p, put_phone,
		       returned_mask(req->returnedTags, W_GET));
}

/* One statement: the repository tells a missing phone apart. */
bool
svc_phone_remove(struct op_call *c, void *req_)
{
	struct ns__NameAndGUIDRequest *req = req_;
	struct svc_key kb;
	char uuid[UUID_DB_LEN + 1];

	return svc_key(c, req->__union_NameAndGUIDRequest, req->union_NameAndGUIDRequest.name,
		       "name", &kb) &&
	       repo_phone_remove(c->w->db, &kb.key, &c->actor, uuid, &c->err) &&
	       svc_answer_uuid(c, req->sequence, uuid);
}

static bool
list_row(void *ctx, const struct phone *p)
{
	return svc_list_row(ctx, p);
}

static bool
list_run(struct op_call *c, struct svc_list *l, const void *search, long *matched)
{
	return repo_phone_list(c->w->db, search, list_row, l, matched, &c->err);
}

/* The search elements, each a LIKE pattern; at least one is required. */
static bool
read_search(struct op_call *c, const struct ns__ListPhoneSearch *sc, struct phone_search *s)
{
	static const char *const names[] = { "name",           "description",
					     "protocol",       "callingSearchSpaceName",
					     "devicePoolName", "securityProfileName" };
	const char **pat[] = { &s->name, &s->description, &s->protocol,
			       &s->css,  &s->device_pool, &s->profile };
	bool any = false;

	if (sc != NULL) {
		const char *given[] = { sc->name,           sc->description,
					sc->protocol,       sc->callingSearchSpaceName,
					sc->devicePoolName, sc->securityProfileName };

		for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
			if (given[i] == NULL)
				continue;
			if (!like_check(names[i], given[i], &c->err))
				return false;
			*pat[i] = given[i];
			any = true;
		}
	}
	return any || axl_err_missing(&c->err, "searchCriteria",
				      "searchCriteria needs at least one search element");
}

bool
svc_phone_list(struct op_call *c, void *req_)
{
	struct ns__ListPhoneReq *req = req_;
	struct svc_list l = { .mask = returned_mask(req->returnedTags, W_LIST), .put = put_phone };
	struct phone_search search = { 0 };

	if (!read_search(c, req->searchCriteria, &search) ||
	    !svc_list_counts(c, &l, req->skip, req->first))
		return false;
	search.skip = l.skip;
	search.first = l.first;
	return svc_list(c, req->sequence, &l, list_run, &search);
}
