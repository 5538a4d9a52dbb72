/*
 * svc_user.c: the handlers of addUser, getUser, updateUser, removeUser
 * (see ops.h): end users, as far as phones need them (a phone's
 * digestUser).  Digest credentials are turned into RFC 7616 HA1 values
 * here and never stored or returned in clear.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "phone_ops.h"
#include "repo_enduser.h"
#include "svc.h"

_Static_assert(SOAP_UNION__ns__union_UpdateUserReq_userid == SVC_KEY_NAME &&
		       SOAP_UNION__ns__union_GetUserReq_userid == SVC_KEY_NAME &&
		       SOAP_UNION__ns__union_RemoveUserReq_userid == SVC_KEY_NAME &&
		       SOAP_UNION__ns__union_UpdateUserReq_uuid == SVC_KEY_UUID &&
		       SOAP_UNION__ns__union_GetUserReq_uuid == SVC_KEY_UUID &&
		       SOAP_UNION__ns__union_RemoveUserReq_uuid == SVC_KEY_UUID,
	       "userid/uuid choice selectors");

/* The text fields of an end user: element, where, longest, required. */
#define AT(m) offsetof(struct end_user, m), sizeof(((struct end_user *) 0)->m)
enum { U_USERID, U_NEW_USERID, U_LAST, U_FIRST };
/* clang-format off */
static const struct {
	const char *element;
	size_t off, size;
	long max;
	bool required;
} text_fields[] = {
	[U_USERID]     = { "userid", AT(userid), 128, true },
	[U_NEW_USERID] = { "newUserid", AT(userid), 128, true },
	[U_LAST]       = { "lastName", AT(last_name), 64, true },
	[U_FIRST]      = { "firstName", AT(first_name), 64, false },
};
/* clang-format on */

/* Copies a text value into u after checking it; a required one must not
 * be empty. */
static bool
take(struct op_call *c, int field, const char *value, struct end_user *u)
{
	char *out = (char *) u + text_fields[field].off;

	if (value == NULL || *value == '\0') {
		if (text_fields[field].required)
			return axl_err_missing(&c->err, text_fields[field].element, NULL);
		out[0] = '\0';
		return true;
	}
	if (!app_err_check_text(&c->err, text_fields[field].element, value, text_fields[field].max,
				text_fields[field].size))
		return false;
	snprintf(out, text_fields[field].size, "%s", value);
	return true;
}

/* take() for an element an update may leave out (NULL: unchanged). */
static bool
take_given(struct op_call *c, int field, const char *value, struct end_user *u)
{
	return value == NULL || take(c, field, value, u);
}

struct ha1 {
	char md5[33];
	char sha256[65];
};

/* The HA1 values of the credentials, when the request gives them. */
static bool
digest(struct op_call *c, const char *userid, const char *password, struct ha1 *h)
{
	if (password == NULL || *password == '\0')
		return true;
	if (!auth_digest_ha1(userid, DIGEST_REALM, password, h->md5, h->sha256))
		return app_err_set(&c->err, APP_E_INTERNAL, NULL,
				   "cannot hash the digest credentials");
	return true;
}

bool
svc_user_add(struct op_call *c, void *req_)
{
	struct ns__AddUserReq *req = req_;
	const struct ns__XUser *x = req->user;
	struct end_user u;
	struct ha1 h = { "", "" };

	if (x == NULL)
		return axl_err_missing(&c->err, "user", NULL);
	memset(&u, 0, sizeof(u));
	return take(c, U_USERID, x->userid, &u) && take(c, U_LAST, x->lastName, &u) &&
	       take(c, U_FIRST, x->firstName, &u) &&
	       digest(c, u.userid, x->digestCredentials, &h) &&
	       repo_enduser_insert(c->w->db, &u, h.md5[0] ? h.md5 : NULL,
				   h.md5[0] ? h.sha256 : NULL, &c->actor, &c->err) &&
	       svc_answer_uuid(c, req->sequence, u.uuid);
}

static void
put_user(struct worker *w, unsigned mask, const void *item)
{
	const struct end_user *u = item;
	char uuid[UUID_AXL_LEN + 1];

	uuid_format(u->uuid, uuid);
	xbuf_printf(&w->body, "<user uuid=\"%s\">", uuid);
	if (mask & 1u)
		xbuf_element(&w->body, "firstName", u->first_name);
	if (mask & 2u)
		xbuf_element(&w->body, "lastName", u->last_name);
	if (mask & 4u)
		xbuf_element(&w->body, "userid", u->userid);
	xbuf_puts(&w->body, "</user>");
}

static bool
read_user(struct op_call *c, const struct item_key *key, void *item)
{
	return repo_enduser_get(c->w->db, key, false, item, &c->err);
}

/* Removal and update lock the row: a phone may not take the user as its
 * digest user meanwhile. */
static bool
lock_user(struct op_call *c, const struct item_key *key, void *item)
{
	return repo_enduser_get(c->w->db, key, true, item, &c->err);
}

bool
svc_user_get(struct op_call *c, void *req_)
{
	static const size_t tags[] = { offsetof(struct ns__RUser, firstName),
				       offsetof(struct ns__RUser, lastName),
				       offsetof(struct ns__RUser, userid) };
	struct ns__GetUserReq *req = req_;
	struct svc_key kb;
	struct end_user u;

	return svc_key(c, req->__union_GetUserReq, req->union_GetUserReq.userid, "userid", &kb) &&
	       svc_get(c, req->sequence, &kb, read_user, &u, put_user,
		       svc_returned_mask(req->returnedTags, tags, sizeof(tags[0]), 3));
}

bool
svc_user_update(struct op_call *c, void *req_)
{
	struct ns__UpdateUserReq *req = req_;
	struct svc_key kb;
	struct end_user u;
	struct ha1 h = { "", "" };

	return svc_key(c, req->__union_UpdateUserReq, req->union_UpdateUserReq.userid, "userid",
		       &kb) &&
	       db_begin(c->w->db, &c->err) && lock_user(c, &kb.key, &u) &&
	       take_given(c, U_NEW_USERID, req->newUserid, &u) &&
	       take_given(c, U_LAST, req->lastName, &u) &&
	       take_given(c, U_FIRST, req->firstName, &u) &&
	       digest(c, u.userid, req->digestCredentials, &h) &&
	       repo_enduser_update(c->w->db, &u, h.md5[0] ? h.md5 : NULL,
				   h.md5[0] ? h.sha256 : NULL, &c->actor, &c->err) &&
	       db_commit(c->w->db, &c->err) && svc_answer_uuid(c, req->sequence, u.uuid);
}

static bool
unused(struct op_call *c, const void *item)
{
	const struct end_user *u = item;

	return phone_ops_unused(c->w->db, DEP_USER, c->kind, u->uuid, u->userid, &c->err);
}

static bool
remove_user(struct op_call *c, const void *item, char uuid[UUID_DB_LEN + 1])
{
	const struct end_user *u = item;

	snprintf(uuid, UUID_DB_LEN + 1, "%s", u->uuid);
	return repo_enduser_remove(c->w->db, &(struct item_key) { .uuid = u->uuid }, &c->actor,
				   NULL, &c->err);
}

bool
svc_user_remove(struct op_call *c, void *req_)
{
	static const struct svc_remover remover = { true, lock_user, unused, remove_user };
	struct ns__RemoveUserReq *req = req_;
	struct svc_key kb;
	struct end_user u;

	return svc_key(c, req->__union_RemoveUserReq, req->union_RemoveUserReq.userid, "userid",
		       &kb) &&
	       svc_remove(c, req->sequence, &kb, &remover, &u);
}
