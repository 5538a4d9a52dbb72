/*
 * fake_repo.c: an in-memory stand-in for db.c and every repo_*.c, for the
 * fuzz harnesses (see fake_repo.h).  It keeps what the SQL keeps (profiles,
 * phones, end users, apply requests, SIP bindings) in fixed arrays and
 * enforces what the schema enforces that the adapters rely on: unique
 * names, predefined rows, references, row versions.  Transactions and the
 * one savepoint phone_ops uses are snapshots of the whole store.  Fault
 * texts are the ones db.c and the repositories produce.  There is no audit
 * trail: the actor of a write is accepted and not recorded.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "axl_fault.h"
#include "db.h"
#include "fake_repo.h"
#include "models.h"
#include "repo_apply.h"
#include "repo_capf.h"
#include "repo_enduser.h"
#include "repo_phone.h"
#include "repo_profile.h"
#include "repo_registration.h"
#include "repo_sip.h"
#include "repo_apiuser.h"
#include "repo_sql.h"

#define MAX_PROFILES 96
#define MAX_PHONES 24
#define MAX_ENDUSERS 24
#define MAX_APPLY 8
#define MAX_APPLY_PHONES 8
#define MAX_BINDINGS 32

struct fprofile {
	struct profile p;
	unsigned version;
};

struct fphone {
	struct phone p; /* stored fields only */
	char profile_uuid[UUID_DB_LEN + 1];
	char user_uuid[UUID_DB_LEN + 1]; /* "" = no digest user */
	unsigned version;
	char lsc_serial[68];  /* phone_lsc: the current LSC's serial, "" = none */
	char reg_outcome[16]; /* phone_registration_state; "" = never seen */
	char reg_call_id[257];
	time_t reg_seen;
};

struct fenduser {
	struct end_user u;
	char ha1_md5[40];
	char ha1_sha256[72];
};

struct fapply {
	struct apply_status st;
	int nphones;
	struct {
		char name[64];
		bool registered;
	} phones[MAX_APPLY_PHONES];
};

struct fbinding {
	long long id;
	char phone_uuid[UUID_DB_LEN + 1];
	char contact[1025];
	char call_id[257];
	unsigned long cseq;
	time_t expires_at;
	bool tls;
};

struct store {
	unsigned next_id; /* for uuids, ctiids and row ids */
	int nprofiles, nphones, nusers, napply, nbindings;
	struct fprofile profiles[MAX_PROFILES];
	struct fphone phones[MAX_PHONES];
	struct fenduser users[MAX_ENDUSERS];
	struct fapply apply[MAX_APPLY];
	struct fbinding bindings[MAX_BINDINGS];
};

struct db {
	bool in_tx;
	bool savepoint;
};

/* The live store, its initial contents, and the transaction's and the
 * savepoint's snapshots. */
static struct store *cur, *initial, *tx_snap, *sp_snap;

/* Copies only the rows in use: the arrays are large and mostly empty. */
static void
store_copy(struct store *dst, const struct store *src)
{
	dst->next_id = src->next_id;
	dst->nprofiles = src->nprofiles;
	dst->nphones = src->nphones;
	dst->nusers = src->nusers;
	dst->napply = src->napply;
	dst->nbindings = src->nbindings;
	memcpy(dst->profiles, src->profiles, (size_t) src->nprofiles * sizeof(src->profiles[0]));
	memcpy(dst->phones, src->phones, (size_t) src->nphones * sizeof(src->phones[0]));
	memcpy(dst->users, src->users, (size_t) src->nusers * sizeof(src->users[0]));
	memcpy(dst->apply, src->apply, (size_t) src->napply * sizeof(src->apply[0]));
	memcpy(dst->bindings, src->bindings, (size_t) src->nbindings * sizeof(src->bindings[0]));
}

static void
new_uuid(char out[UUID_DB_LEN + 1])
{
	unsigned id = ++cur->next_id;

	snprintf(out, UUID_DB_LEN + 1, "%08x-f00d-4000-8000-%012x", id, id * 2654435761u);
}

/* The uuid the database derives for a reference kept by name (an md5 there;
 * any stable hash will do here). */
static void
ref_uuid(const char *kind, const char *value, char out[UUID_DB_LEN + 1])
{
	unsigned long long h1 = 1469598103934665603ull, h2 = 1099511628211ull;

	for (const char *s = kind; *s; s++)
		h1 = (h1 ^ (unsigned char) *s) * 1099511628211ull;
	for (const char *s = value; *s; s++) {
		h1 = (h1 ^ (unsigned char) *s) * 1099511628211ull;
		h2 = (h2 ^ (unsigned char) *s) * 1469598103934665603ull + 7;
	}
	snprintf(out, UUID_DB_LEN + 1, "%08llx-%04llx-%04llx-%04llx-%012llx", h1 >> 32,
		 (h1 >> 16) & 0xffff, h1 & 0xffff, h2 >> 48, h2 & 0xffffffffffffull);
}

/* SQL LIKE with % and _ and backslash escapes, case-sensitive; the
 * one-backtrack-point wildcard match, linear in practice. */
static bool
like(const char *pattern, const char *text)
{
	const char *p = pattern, *t = text, *star_p = NULL, *star_t = NULL;

	for (;;) {
		if (*p == '%') {
			while (*p == '%')
				p++;
			star_p = p;
			star_t = t;
			continue;
		}
		if (*t == '\0') {
			if (*p == '\0')
				return true;
		} else if (*p == '_' || (*p == '\\' && p[1] != '\0' && p[1] == *t) ||
			   (*p != '\\' && *p != '\0' && *p == *t)) {
			p += *p == '\\' ? 2 : 1;
			t++;
			continue;
		}
		if (star_p == NULL || *star_t == '\0')
			return false;
		p = star_p;
		t = ++star_t;
	}
}

/* --- db.h ------------------------------------------------------------------- */

struct db *
db_open(const char *conninfo)
{
	(void) conninfo;
	return calloc(1, sizeof(struct db));
}

void
db_close(struct db *db)
{
	free(db);
}

bool
db_ready(struct db *db, struct app_err *err)
{
	(void) db;
	(void) err;
	return true;
}

bool
db_begin(struct db *db, struct app_err *err)
{
	if (db->in_tx)
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (SQLSTATE 25001)");
	store_copy(tx_snap, cur);
	db->in_tx = true;
	db->savepoint = false;
	return true;
}

bool
db_commit(struct db *db, struct app_err *err)
{
	(void) err;
	db->in_tx = false;
	db->savepoint = false;
	return true;
}

void
db_rollback(struct db *db)
{
	if (db->in_tx)
		store_copy(cur, tx_snap);
	db->in_tx = false;
	db->savepoint = false;
}

bool
db_in_tx(const struct db *db)
{
	return db->in_tx;
}

bool
db_commit_if_open(struct db *db, struct app_err *err)
{
	return !db->in_tx || db_commit(db, err);
}

bool
db_savepoint(struct db *db, enum db_savepoint what, struct app_err *err)
{
	if (!db->in_tx)
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (SQLSTATE 25P01)");
	if (what == DB_SAVEPOINT_SET) {
		store_copy(sp_snap, cur);
		db->savepoint = true;
	} else if (what == DB_SAVEPOINT_RELEASE && db->savepoint) {
		db->savepoint = false;
	} else if (what == DB_SAVEPOINT_ROLLBACK && db->savepoint) {
		store_copy(cur, sp_snap);
	} else {
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (SQLSTATE 3B001)");
	}
	return true;
}

/* --- profiles --------------------------------------------------------------- */

static struct fprofile *
profile_by_key(const struct item_key *key)
{
	for (int i = 0; i < cur->nprofiles; i++) {
		struct profile *p = &cur->profiles[i].p;

		if (key->name ? strcmp(p->v[PF_NAME], key->name) == 0 :
				strcmp(p->uuid, key->uuid) == 0)
			return &cur->profiles[i];
	}
	return NULL;
}

static struct fprofile *
profile_by_uuid(const char *uuid)
{
	return profile_by_key(&(struct item_key) { NULL, uuid });
}

static void
profile_out(const struct fprofile *f, struct profile *out)
{
	*out = f->p;
	out->given = 0;
	snprintf(out->row_version, sizeof(out->row_version), "%u", f->version);
}

static bool
profile_name_taken(const char *name, const struct fprofile *self)
{
	for (int i = 0; i < cur->nprofiles; i++)
		if (&cur->profiles[i] != self && strcmp(cur->profiles[i].p.v[PF_NAME], name) == 0)
			return true;
	return false;
}

static int
phones_of_profile(const char *uuid)
{
	int n = 0;

	for (int i = 0; i < cur->nphones; i++)
		n += strcmp(cur->phones[i].profile_uuid, uuid) == 0;
	return n;
}

bool
repo_profile_insert(struct db *db, struct profile *p, const struct actor *actor,
		    struct app_err *err)
{
	(void) actor;
	struct fprofile *f;

	(void) db;
	if (profile_name_taken(p->v[PF_NAME], NULL))
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	if (cur->nprofiles == MAX_PROFILES)
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (fake: full)");
	f = &cur->profiles[cur->nprofiles++];
	new_uuid(p->uuid);
	f->p = *p;
	f->p.standard = false;
	f->version = 1;
	return true;
}

bool
repo_profile_get(struct db *db, const struct item_key *key, struct profile *out,
		 struct app_err *err)
{
	const struct fprofile *f = profile_by_key(key);

	(void) db;
	if (f == NULL)
		return axl_err(err, APP_E_NOT_FOUND, OBJ_PROFILE, key->name ? "name" : "uuid");
	profile_out(f, out);
	return true;
}

bool
repo_profile_update(struct db *db, const struct profile *p, const struct profile *before,
		    const struct actor *actor, struct app_err *err)
{
	struct fprofile *f = profile_by_uuid(p->uuid);
	char version[16];

	(void) db;
	(void) before;
	(void) actor;
	if (f != NULL)
		snprintf(version, sizeof(version), "%u", f->version);
	if (f == NULL || f->p.standard || strcmp(version, p->row_version) != 0)
		return app_err_set(err, APP_E_CONFLICT, NULL,
				   "Could not update %s: it kept changing; try again",
				   p->v[PF_NAME]);
	if (profile_name_taken(p->v[PF_NAME], f))
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	for (int i = 0; i < PF__COUNT; i++)
		if (!(profile_fields[i].flags & PFF_FIXED))
			snprintf(f->p.v[i], sizeof(f->p.v[i]), "%s", p->v[i]);
	f->version++;
	return true;
}

bool
repo_profile_set_description(struct db *db, const struct item_key *key, const char *description,
			     const struct actor *actor, char uuid_out[UUID_DB_LEN + 1], bool *found,
			     struct app_err *err)
{
	(void) actor;
	struct fprofile *f = profile_by_key(key);

	(void) db;
	(void) err;
	*found = f != NULL && !f->p.standard;
	if (*found) {
		snprintf(f->p.v[PF_DESCRIPTION], sizeof(f->p.v[PF_DESCRIPTION]), "%s", description);
		snprintf(uuid_out, UUID_DB_LEN + 1, "%s", f->p.uuid);
		f->version++;
	}
	return true;
}

bool
repo_profile_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		    char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	(void) actor;
	struct fprofile *f = profile_by_key(key);

	(void) db;
	if (f == NULL)
		return axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_PROFILE, NULL);
	if (f->p.standard)
		return axl_err_predefined(err, OBJ_PROFILE, "remove", f->p.v[PF_NAME]);
	if (phones_of_profile(f->p.uuid) > 0)
		return app_err_set(err, APP_E_IN_USE, NULL,
				   "Key value for constraint (%s) is still being referenced.",
				   "phone_security_profile_id_fkey");
	snprintf(uuid_out, UUID_DB_LEN + 1, "%s", f->p.uuid);
	*f = cur->profiles[--cur->nprofiles];
	return true;
}

bool
repo_profile_find_same(struct db *db, const struct profile *target, struct profile *out,
		       bool *found, struct app_err *err)
{
	const struct fprofile *best = NULL;

	(void) db;
	(void) err;
	for (int i = 0; i < cur->nprofiles; i++) {
		const struct fprofile *f = &cur->profiles[i];
		bool same = true;

		for (int k = 0; k < PF__COUNT && same; k++)
			if (k != PF_NAME && k != PF_DESCRIPTION)
				same = strcmp(f->p.v[k], target->v[k]) == 0;
		if (same && (best == NULL || strcmp(f->p.v[PF_NAME], best->p.v[PF_NAME]) < 0))
			best = f;
	}
	*found = best != NULL;
	if (best != NULL)
		profile_out(best, out);
	return true;
}

/* Indexes of rows in name (byte) order. */
static int
cmp_profile_idx(const void *a, const void *b)
{
	return strcmp(cur->profiles[*(const int *) a].p.v[PF_NAME],
		      cur->profiles[*(const int *) b].p.v[PF_NAME]);
}

static int
cmp_phone_idx(const void *a, const void *b)
{
	return strcmp(cur->phones[*(const int *) a].p.v[PH_NAME],
		      cur->phones[*(const int *) b].p.v[PH_NAME]);
}

bool
repo_profile_list(struct db *db, const struct profile_search *search, unsigned mask,
		  profile_row_fn fn, void *ctx, long *matched, struct app_err *err)
{
	int order[MAX_PROFILES], n = 0, start, end;
	long skip = search->first >= 0 ? search->skip : 0;
	const char *values[PF__COUNT];

	(void) db;
	(void) err;
	for (int i = 0; i < cur->nprofiles; i++)
		order[i] = i;
	qsort(order, (size_t) cur->nprofiles, sizeof(order[0]), cmp_profile_idx);
	for (int i = 0; i < cur->nprofiles; i++) {
		const struct profile *p = &cur->profiles[order[i]].p;

		if (like(search->name ? search->name : "%", p->v[PF_NAME]) &&
		    like(search->description ? search->description : "%", p->v[PF_DESCRIPTION]))
			order[n++] = order[i];
	}
	/* Every row the query produces counts, whether fn reads it or not. */
	start = skip < n ? (int) skip : n;
	end = search->first >= 0 && search->first < n - start ? start + (int) search->first : n;
	*matched = end - start;
	for (int i = start; i < end; i++) {
		const struct profile *p = &cur->profiles[order[i]].p;

		for (int k = 0; k < PF__COUNT; k++)
			values[k] = mask & (1u << k) ? p->v[k] : "";
		if (!fn(ctx, p->uuid, values))
			break;
	}
	return true;
}

/* --- phones ------------------------------------------------------------------ */

static struct fphone *
phone_by_key(const struct item_key *key)
{
	for (int i = 0; i < cur->nphones; i++) {
		struct phone *p = &cur->phones[i].p;

		if (key->name ? strcmp(p->v[PH_NAME], key->name) == 0 :
				strcmp(p->uuid, key->uuid) == 0)
			return &cur->phones[i];
	}
	return NULL;
}

static struct fenduser *
enduser_by(const char *userid, const char *uuid)
{
	for (int i = 0; i < cur->nusers; i++)
		if (userid ? strcmp(cur->users[i].u.userid, userid) == 0 :
			     strcmp(cur->users[i].u.uuid, uuid) == 0)
			return &cur->users[i];
	return NULL;
}

static bool
written(int i)
{
	return (phone_fields[i].flags & PHF_STORED) && i != PH_MODEL;
}

/* The row as the select's joins give it. */
static void
phone_out(const struct fphone *f, struct phone *out, char *profile_uuid)
{
	const struct fprofile *prof = profile_by_uuid(f->profile_uuid);
	const struct fenduser *u = f->user_uuid[0] ? enduser_by(NULL, f->user_uuid) : NULL;

	memset(out, 0, sizeof(*out));
	snprintf(out->uuid, sizeof(out->uuid), "%s", f->p.uuid);
	snprintf(out->ctiid, sizeof(out->ctiid), "%s", f->p.ctiid);
	snprintf(out->row_version, sizeof(out->row_version), "%u", f->version);
	if (profile_uuid != NULL)
		snprintf(profile_uuid, UUID_DB_LEN + 1, "%s", f->profile_uuid);
	for (int i = 0; i < PH__COUNT; i++) {
		const struct ph_desc *d = &phone_fields[i];
		const char *v = "";

		if (d->flags & PHF_PROFILE)
			v = prof ? prof->p.v[d->profile_field] : "";
		else if (i == PH_SECURITY_PROFILE)
			v = prof ? prof->p.v[PF_NAME] : "";
		else if (i == PH_DIGEST_USER)
			v = u ? u->u.userid : "";
		else if (i == PH_MODEL)
			v = f->p.v[PH_PRODUCT];
		else if (d->flags & PHF_STORED)
			v = f->p.v[i];
		snprintf(out->v[i], PH_VALUE_MAX, "%s", v);
		if (i == PH_SECURITY_PROFILE)
			snprintf(out->ref_uuid[i], UUID_DB_LEN + 1, "%s", f->profile_uuid);
		else if (i == PH_DIGEST_USER)
			snprintf(out->ref_uuid[i], UUID_DB_LEN + 1, "%s", u ? u->u.uuid : "");
		else if ((d->flags & PHF_REF) && out->v[i][0] != '\0')
			ref_uuid(d->ref_kind, out->v[i], out->ref_uuid[i]);
	}
}

static bool
phone_refs_ok(const char *profile_uuid, const char *user_uuid, struct app_err *err)
{
	if (profile_uuid == NULL || profile_by_uuid(profile_uuid) == NULL ||
	    (user_uuid != NULL && enduser_by(NULL, user_uuid) == NULL))
		return app_err_set(err, APP_E_IN_USE, NULL,
				   "Key value for constraint (%s) is still being referenced.",
				   "phone_reference_fkey");
	return true;
}

static void
phone_store(struct fphone *f, const struct phone *p, const char *profile_uuid,
	    const char *user_uuid)
{
	for (int i = 0; i < PH__COUNT; i++)
		if (written(i))
			snprintf(f->p.v[i], PH_VALUE_MAX, "%s", p->v[i]);
	snprintf(f->profile_uuid, sizeof(f->profile_uuid), "%s", profile_uuid);
	snprintf(f->user_uuid, sizeof(f->user_uuid), "%s", user_uuid ? user_uuid : "");
}

static bool
phone_name_taken(const char *name, const struct fphone *self)
{
	for (int i = 0; i < cur->nphones; i++)
		if (&cur->phones[i] != self && strcmp(cur->phones[i].p.v[PH_NAME], name) == 0)
			return true;
	return false;
}

bool
repo_phone_insert(struct db *db, struct phone *p, const char *profile_uuid, const char *user_uuid,
		  const struct actor *actor, struct app_err *err)
{
	(void) actor;
	struct fphone *f;

	(void) db;
	if (!phone_refs_ok(profile_uuid, user_uuid, err))
		return false;
	if (phone_name_taken(p->v[PH_NAME], NULL))
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	if (cur->nphones == MAX_PHONES)
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (fake: full)");
	f = &cur->phones[cur->nphones++];
	memset(f, 0, sizeof(*f));
	new_uuid(p->uuid);
	snprintf(p->ctiid, sizeof(p->ctiid), "%u", cur->next_id);
	snprintf(f->p.uuid, sizeof(f->p.uuid), "%s", p->uuid);
	snprintf(f->p.ctiid, sizeof(f->p.ctiid), "%s", p->ctiid);
	phone_store(f, p, profile_uuid, user_uuid);
	f->version = 1;
	return true;
}

bool
repo_phone_get(struct db *db, const struct item_key *key, struct phone *out,
	       char profile_uuid[UUID_DB_LEN + 1], struct app_err *err)
{
	const struct fphone *f = phone_by_key(key);

	(void) db;
	if (f == NULL)
		return axl_err(err, APP_E_NOT_FOUND, OBJ_PHONE, key->name ? "name" : "uuid");
	phone_out(f, out, profile_uuid);
	return true;
}

bool
repo_phone_update(struct db *db, const struct phone *p, const char *profile_uuid,
		  const char *user_uuid, unsigned changed_fields, const struct actor *actor,
		  struct app_err *err)
{
	(void) changed_fields;
	(void) actor;
	struct fphone *f = phone_by_key(&(struct item_key) { NULL, p->uuid });
	char version[16];

	(void) db;
	if (f != NULL)
		snprintf(version, sizeof(version), "%u", f->version);
	if (f == NULL || strcmp(version, p->row_version) != 0)
		return app_err_set(err, APP_E_CONFLICT, NULL,
				   "Could not update %s: it kept changing; try again",
				   p->v[PH_NAME]);
	if (!phone_refs_ok(profile_uuid, user_uuid, err))
		return false;
	if (phone_name_taken(p->v[PH_NAME], f))
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	phone_store(f, p, profile_uuid, user_uuid);
	f->version++;
	return true;
}

bool
repo_phone_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		  char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	(void) actor;
	struct fphone *f = phone_by_key(key);

	(void) db;
	if (f == NULL)
		return axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_PHONE, NULL);
	snprintf(uuid_out, UUID_DB_LEN + 1, "%s", f->p.uuid);
	/* Its bindings go with it (ON DELETE CASCADE). */
	for (int i = 0; i < cur->nbindings; i++)
		if (strcmp(cur->bindings[i].phone_uuid, f->p.uuid) == 0)
			cur->bindings[i--] = cur->bindings[--cur->nbindings];
	*f = cur->phones[--cur->nphones];
	return true;
}

bool
repo_phone_list(struct db *db, const struct phone_search *search, phone_row_fn fn, void *ctx,
		long *matched, struct app_err *err)
{
	int order[MAX_PHONES], n = 0, start, end;
	long skip = search->first >= 0 ? search->skip : 0;
	struct phone *p = malloc(sizeof(*p));

	(void) db;
	if (p == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < cur->nphones; i++)
		order[i] = i;
	qsort(order, (size_t) cur->nphones, sizeof(order[0]), cmp_phone_idx);
	for (int i = 0; i < cur->nphones; i++) {
		phone_out(&cur->phones[order[i]], p, NULL);
		if (like(search->name ? search->name : "%", p->v[PH_NAME]) &&
		    like(search->description ? search->description : "%", p->v[PH_DESCRIPTION]) &&
		    like(search->protocol ? search->protocol : "%", p->v[PH_PROTOCOL]) &&
		    like(search->css ? search->css : "%", p->v[PH_CSS]) &&
		    like(search->device_pool ? search->device_pool : "%", p->v[PH_DEVICE_POOL]) &&
		    like(search->profile ? search->profile : "%", p->v[PH_SECURITY_PROFILE]))
			order[n++] = order[i];
	}
	start = skip < n ? (int) skip : n;
	end = search->first >= 0 && search->first < n - start ? start + (int) search->first : n;
	*matched = end - start;
	for (int i = start; i < end; i++) {
		phone_out(&cur->phones[order[i]], p, NULL);
		if (!fn(ctx, p))
			break;
	}
	free(p);
	return true;
}

/* Count and the first five names in name order, as the SQL's LIMIT 5. */
static void
first_names(bool (*pick)(const struct fphone *, const char *), const char *arg, long *count,
	    char names[512])
{
	int order[MAX_PHONES], n = 0;
	size_t len = 0;

	for (int i = 0; i < cur->nphones; i++)
		order[i] = i;
	qsort(order, (size_t) cur->nphones, sizeof(order[0]), cmp_phone_idx);
	names[0] = '\0';
	for (int i = 0; i < cur->nphones; i++) {
		const struct fphone *f = &cur->phones[order[i]];

		if (!pick(f, arg))
			continue;
		if (n < 5)
			len += (size_t) snprintf(names + len, len < 512 ? 512 - len : 0, "%s%s",
						 n ? ", " : "", f->p.v[PH_NAME]);
		n++;
	}
	*count = n;
}

static bool
pick_profile(const struct fphone *f, const char *uuid)
{
	return strcmp(f->profile_uuid, uuid) == 0;
}

static bool
pick_user(const struct fphone *f, const char *uuid)
{
	return strcmp(f->user_uuid, uuid) == 0;
}

static bool
pick_no_cert(const struct fphone *f, const char *profile_uuid)
{
	const struct model_caps *m = models_find(f->p.v[PH_PRODUCT]);

	return pick_profile(f, profile_uuid) && (m == NULL || !m->mic) &&
	       strcmp(f->p.v[PH_CERT_STATUS], "Upgrade Success") != 0;
}

bool
repo_phone_dependents(struct db *db, enum phone_dependency dep, const char *uuid, long *count,
		      char names[512], struct app_err *err)
{
	(void) db;
	(void) err;
	first_names(dep == DEP_PROFILE ? pick_profile : pick_user, uuid, count, names);
	return true;
}

bool
repo_phone_without_certificate(struct db *db, const char *profile_uuid, long *count,
			       char names[512], struct app_err *err)
{
	(void) db;
	(void) err;
	first_names(pick_no_cert, profile_uuid, count, names);
	return true;
}

/* --- end users --------------------------------------------------------------- */

bool
repo_enduser_insert(struct db *db, struct end_user *u, const char *ha1_md5, const char *ha1_sha256,
		    const struct actor *actor, struct app_err *err)
{
	(void) actor;
	struct fenduser *f;

	(void) db;
	if (enduser_by(u->userid, NULL) != NULL)
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	if (cur->nusers == MAX_ENDUSERS)
		return app_err_set(err, APP_E_INTERNAL, NULL,
				   "Internal database error (fake: full)");
	f = &cur->users[cur->nusers++];
	new_uuid(u->uuid);
	f->u = *u;
	snprintf(f->ha1_md5, sizeof(f->ha1_md5), "%s", ha1_md5 ? ha1_md5 : "");
	snprintf(f->ha1_sha256, sizeof(f->ha1_sha256), "%s", ha1_sha256 ? ha1_sha256 : "");
	return true;
}

bool
repo_enduser_get(struct db *db, const struct item_key *key, bool for_update, struct end_user *out,
		 struct app_err *err)
{
	const struct fenduser *f = enduser_by(key->name, key->uuid);

	(void) db;
	(void) for_update;
	if (f == NULL)
		return axl_err(err, APP_E_NOT_FOUND, OBJ_USER, key->name ? "userid" : "uuid");
	*out = f->u;
	return true;
}

bool
repo_enduser_update(struct db *db, const struct end_user *u, const char *ha1_md5,
		    const char *ha1_sha256, const struct actor *actor, struct app_err *err)
{
	(void) actor;
	struct fenduser *f = enduser_by(NULL, u->uuid), *other = enduser_by(u->userid, NULL);

	(void) db;
	if (f == NULL)
		return true; /* UPDATE of no row */
	if (other != NULL && other != f)
		return axl_err(err, APP_E_DUPLICATE, OBJ_NONE, NULL);
	f->u = *u;
	if (ha1_md5 != NULL)
		snprintf(f->ha1_md5, sizeof(f->ha1_md5), "%s", ha1_md5);
	if (ha1_sha256 != NULL)
		snprintf(f->ha1_sha256, sizeof(f->ha1_sha256), "%s", ha1_sha256);
	return true;
}

bool
repo_enduser_remove(struct db *db, const struct item_key *key, const struct actor *actor,
		    char uuid_out[UUID_DB_LEN + 1], struct app_err *err)
{
	(void) actor;
	struct fenduser *f = enduser_by(key->name, key->uuid);

	(void) db;
	if (f == NULL)
		return axl_err(err, APP_E_REMOVE_NOT_FOUND, OBJ_USER, NULL);
	if (uuid_out != NULL)
		snprintf(uuid_out, UUID_DB_LEN + 1, "%s", f->u.uuid);
	for (int i = 0; i < cur->nphones; i++)
		if (strcmp(cur->phones[i].user_uuid, f->u.uuid) == 0)
			return app_err_set(
				err, APP_E_IN_USE, NULL,
				"Key value for constraint (%s) is still being referenced.",
				"phone_digest_user_id_fkey");
	*f = cur->users[--cur->nusers];
	return true;
}

/* --- AXL API users ------------------------------------------------------------ */

/* Hashes with the fewest iterations auth_verify_password accepts, so that a
 * fuzzed password costs a millisecond, not a tenth of a second.  Every
 * user id other than the two known ones exists too, with a password nobody
 * knows: for an unknown user auth.c spends a full-cost PBKDF2 on purpose
 * (against timing probes), which would make every mutated user name cost
 * the fuzzer a second. */
static char admin_hash[APIUSER_HASH_MAX], nobody_hash[APIUSER_HASH_MAX];

bool
repo_apiuser_get(struct db *db, const char *userid, char hash[APIUSER_HASH_MAX],
		 char role[APIUSER_ROLE_MAX], struct app_err *err)
{
	bool known = strcmp(userid, FAKE_ADMIN) == 0 || strcmp(userid, FAKE_READER) == 0;

	(void) db;
	(void) err;
	snprintf(hash, APIUSER_HASH_MAX, "%s", known ? admin_hash : nobody_hash);
	snprintf(role, APIUSER_ROLE_MAX, "%s",
		 strcmp(userid, FAKE_ADMIN) == 0 ? "full" : "read-only");
	return true;
}

/* --- apply requests ------------------------------------------------------------ */

static bool
phone_registered(const char *phone_uuid)
{
	time_t now = time(NULL);

	for (int i = 0; i < cur->nbindings; i++)
		if (strcmp(cur->bindings[i].phone_uuid, phone_uuid) == 0 &&
		    cur->bindings[i].expires_at > now)
			return true;
	return false;
}

/* The phones a queued request reaches, counted into a. */
static void
apply_targets(struct fapply *a, enum apply_target target, const char *target_uuid)
{
	for (int i = 0; i < cur->nphones; i++) {
		const struct fphone *f = &cur->phones[i];
		bool registered;

		if (target == APPLY_PHONE ? strcmp(f->p.uuid, target_uuid) != 0 :
					    strcmp(f->profile_uuid, target_uuid) != 0)
			continue;
		registered = phone_registered(f->p.uuid) && strcmp(f->p.v[PH_PROTOCOL], "SIP") == 0;
		a->st.targeted++;
		if (registered)
			a->st.pending++;
		else
			a->st.unreachable++;
		if (a->nphones < MAX_APPLY_PHONES) {
			snprintf(a->phones[a->nphones].name, sizeof(a->phones[0].name), "%s",
				 f->p.v[PH_NAME]);
			a->phones[a->nphones++].registered = registered;
		}
	}
}

bool
repo_apply_queue(struct db *db, const struct apply_order *o, struct apply_queued *out,
		 struct app_err *err)
{
	const char *target_uuid = NULL, *target_name = NULL;
	struct fapply *a;

	(void) db;
	if (o->target == APPLY_PHONE) {
		const struct fphone *f = phone_by_key(o->key);

		if (f != NULL) {
			target_uuid = f->p.uuid;
			target_name = f->p.v[PH_NAME];
		}
	} else {
		const struct fprofile *f = profile_by_key(o->key);

		if (f != NULL) {
			target_uuid = f->p.uuid;
			target_name = f->p.v[PF_NAME];
		}
	}
	if (target_uuid == NULL)
		return axl_err(err, APP_E_NOT_FOUND,
			       o->target == APPLY_PHONE ? OBJ_PHONE : OBJ_PROFILE,
			       o->key->name ? "name" : "uuid");
	/* The oldest request makes room. */
	if (cur->napply == MAX_APPLY)
		memmove(&cur->apply[0], &cur->apply[1], (MAX_APPLY - 1) * sizeof(cur->apply[0]));
	else
		cur->napply++;
	a = &cur->apply[cur->napply - 1];
	memset(a, 0, sizeof(*a));
	new_uuid(a->st.request_uuid);
	snprintf(a->st.operation, sizeof(a->st.operation), "%s", o->operation);
	snprintf(a->st.action, sizeof(a->st.action), "%s", o->action);
	snprintf(a->st.target_kind, sizeof(a->st.target_kind), "%s",
		 o->target == APPLY_PHONE ? "phone" : "phoneSecurityProfile");
	snprintf(a->st.target_name, sizeof(a->st.target_name), "%s", target_name);
	snprintf(a->st.target_uuid, sizeof(a->st.target_uuid), "%s", target_uuid);
	snprintf(a->st.requested_by, sizeof(a->st.requested_by), "%s", o->actor->who);
	snprintf(a->st.created_at, sizeof(a->st.created_at), "2026-01-01T00:00:00Z");
	apply_targets(a, o->target, target_uuid);
	snprintf(out->request_uuid, sizeof(out->request_uuid), "%s", a->st.request_uuid);
	snprintf(out->target_uuid, sizeof(out->target_uuid), "%s", target_uuid);
	out->targeted = a->st.targeted;
	return true;
}

/* This fake queues an apply's phones when it records the request. */
bool
repo_apply_fan_out(struct db *db, int batch, int *queued, bool *more, struct app_err *err)
{
	(void) db;
	(void) batch;
	(void) err;
	*queued = 0;
	*more = false;
	return true;
}

bool
repo_apply_status(struct db *db, const char *id, struct apply_status *out, long limit,
		  apply_phone_fn fn, void *ctx, struct app_err *err)
{
	char uuid[UUID_DB_LEN + 1];
	bool is_uuid = uuid_parse(id, uuid);
	const struct fapply *a = NULL;

	(void) db;
	/* A request uuid, else the latest request for a target uuid, else for a
	 * target name. */
	for (int i = 0; is_uuid && a == NULL && i < cur->napply; i++)
		if (strcmp(cur->apply[i].st.request_uuid, uuid) == 0)
			a = &cur->apply[i];
	for (int i = cur->napply - 1; is_uuid && a == NULL && i >= 0; i--)
		if (strcmp(cur->apply[i].st.target_uuid, uuid) == 0)
			a = &cur->apply[i];
	for (int i = cur->napply - 1; a == NULL && i >= 0; i--)
		if (strcmp(cur->apply[i].st.target_name, id) == 0)
			a = &cur->apply[i];
	if (a == NULL)
		return app_err_set(err, APP_E_NOT_FOUND, "id", "no apply request for %s", id);
	*out = a->st;
	for (int i = 0; fn != NULL && i < a->nphones && i < limit; i++) {
		struct apply_phone_status row = {
			.name = a->phones[i].name,
			.state = a->phones[i].registered ? "pending" : "unreachable",
			.attempts = 0,
			.sip_status = "",
			.reason = a->phones[i].registered ? "" : "not registered",
			.done_at = a->phones[i].registered ? "" : a->st.created_at,
			.confirmed_at = "",
		};

		if (!fn(ctx, &row))
			break;
	}
	return true;
}

/* --- the registrar's queries ---------------------------------------------------- */

/* What sip_phone_facts holds of a phone, with its digest (here an FNV-1a
 * of the fields: any change of them changes it, as md5 does in SQL). */
static void
fill_phone(const struct fphone *f, struct sip_phone *out)
{
	const struct fprofile *prof;
	const struct fenduser *u;
	uint64_t h = 1469598103934665603ULL;

	prof = profile_by_uuid(f->profile_uuid);
	u = f->user_uuid[0] ? enduser_by(NULL, f->user_uuid) : NULL;
	memset(out, 0, sizeof(*out));
	snprintf(out->uuid, sizeof(out->uuid), "%s", f->p.uuid);
	snprintf(out->name, sizeof(out->name), "%s", f->p.v[PH_NAME]);
	out->sip = strcmp(f->p.v[PH_PROTOCOL], "SIP") == 0;
	if (prof != NULL) {
		out->digest = strcmp(prof->p.v[PF_DIGEST], "true") == 0;
		out->nonce_validity = atol(prof->p.v[PF_NONCE_VALIDITY]);
		snprintf(out->transport_type, sizeof(out->transport_type), "%s",
			 prof->p.v[PF_TRANSPORT]);
		snprintf(out->security_mode, sizeof(out->security_mode), "%s",
			 prof->p.v[PF_SECURITY_MODE]);
		if (strcmp(prof->p.v[PF_SECURITY_MODE], "Non Secure") != 0)
			snprintf(out->lsc_fingerprint, sizeof(out->lsc_fingerprint), "%s",
				 FAKE_LSC_FINGERPRINT);
	}
	snprintf(out->model, sizeof(out->model), "%s", f->p.v[PH_PRODUCT]);
	if (u != NULL) {
		snprintf(out->digest_user, sizeof(out->digest_user), "%s", u->u.userid);
		snprintf(out->ha1_md5, sizeof(out->ha1_md5), "%s", u->ha1_md5);
		snprintf(out->ha1_sha256, sizeof(out->ha1_sha256), "%s", u->ha1_sha256);
	}
	for (const unsigned char *c = (const unsigned char *) out;
	     c < (const unsigned char *) out->facts; c++)
		h = (h ^ *c) * 1099511628211ULL;
	snprintf(out->facts, sizeof(out->facts), "%016llx", (unsigned long long) h);
}

bool
repo_sip_phone(struct db *db, const char *user, struct sip_phone *out, struct app_err *err)
{
	const struct fphone *f = phone_by_key(&(struct item_key) { user, NULL });

	(void) db;
	if (f == NULL) {
		const struct fenduser *du = enduser_by(user, NULL);
		int n = 0;

		for (int i = 0; du != NULL && i < cur->nphones; i++)
			if (strcmp(cur->phones[i].user_uuid, du->u.uuid) == 0) {
				f = &cur->phones[i];
				n++;
			}
		if (n == 0)
			return app_err_set(err, APP_E_NOT_FOUND, "user", "no phone for %s", user);
		if (n > 1)
			return app_err_set(err, APP_E_RULE, "user",
					   "Forbidden: %s is the digest user of several phones",
					   user);
	}
	fill_phone(f, out);
	return true;
}

/* The phone named next after `after`, or NULL. */
static const struct fphone *
phone_after(const char *after)
{
	const struct fphone *next = NULL;

	for (int i = 0; i < cur->nphones; i++)
		if (strcmp(cur->phones[i].p.v[PH_NAME], after) > 0 &&
		    (next == NULL || strcmp(cur->phones[i].p.v[PH_NAME], next->p.v[PH_NAME]) < 0))
			next = &cur->phones[i];
	return next;
}

int
repo_sip_phone_page(struct db *db, const char *after, int limit, sip_phone_fn *fn, void *ctx,
		    char *last, size_t lastsize, struct app_err *err)
{
	const struct fphone *f;
	struct sip_phone ph, by_user;
	struct app_err none = { 0 };
	int n = 0;

	(void) err;
	for (; n < limit && (f = phone_after(after)) != NULL; n++) {
		const char *users[2] = { f->p.v[PH_NAME], "" };

		fill_phone(f, &ph);
		if (ph.digest_user[0] != '\0' &&
		    repo_sip_phone(db, ph.digest_user, &by_user, &none) &&
		    strcmp(by_user.uuid, ph.uuid) == 0)
			users[1] = ph.digest_user;
		fn(ctx, users, &ph);
		snprintf(last, lastsize, "%s", f->p.v[PH_NAME]);
		after = f->p.v[PH_NAME];
	}
	return n;
}

bool
repo_sip_secret(struct db *db, char *out, size_t size, struct app_err *err)
{
	(void) db;
	(void) err;
	snprintf(out, size, "fuzz-nonce-secret-0123456789abcdef");
	return true;
}

static void
bind_one(const struct sip_binding *b, const char *contact, long expires, long long *id)
{
	struct fbinding *f = NULL;

	for (int i = 0; i < cur->nbindings && f == NULL; i++)
		if (strcmp(cur->bindings[i].phone_uuid, b->phone_uuid) == 0 &&
		    strcmp(cur->bindings[i].contact, contact) == 0)
			f = &cur->bindings[i];
	if (f != NULL && strcmp(f->call_id, b->call_id) == 0 && b->cseq <= f->cseq) {
		*id = 0; /* RFC 3261 10.3 step 7 */
		return;
	}
	if (f == NULL) {
		/* Full: the binding that expires first makes room. */
		if (cur->nbindings == MAX_BINDINGS) {
			f = &cur->bindings[0];
			for (int i = 1; i < MAX_BINDINGS; i++)
				if (cur->bindings[i].expires_at < f->expires_at)
					f = &cur->bindings[i];
		} else {
			f = &cur->bindings[cur->nbindings++];
		}
		memset(f, 0, sizeof(*f));
		f->id = ++cur->next_id;
		snprintf(f->phone_uuid, sizeof(f->phone_uuid), "%s", b->phone_uuid);
		snprintf(f->contact, sizeof(f->contact), "%s", contact);
	}
	snprintf(f->call_id, sizeof(f->call_id), "%s", b->call_id);
	f->cseq = b->cseq;
	f->expires_at = time(NULL) + expires;
	f->tls = strcmp(b->transport, "tls") == 0;
	/* What the schema checks (0009): a TLS binding names its certificate. */
	if (f->tls != (b->cert_kind != NULL && b->cert_kind[0] != '\0')) {
		fprintf(stderr, "fake_repo: binding over %s with certificate kind \"%s\"\n",
			b->transport, b->cert_kind ? b->cert_kind : "(null)");
		abort();
	}
	*id = f->id;
}

static void
unbind(const char *phone_uuid, const char *contact, const struct sip_register_fns *fns)
{
	for (int i = 0; i < cur->nbindings; i++) {
		struct fbinding *f = &cur->bindings[i];

		if (strcmp(f->phone_uuid, phone_uuid) != 0 ||
		    (contact != NULL && strcmp(f->contact, contact) != 0))
			continue;
		if (fns->removed != NULL)
			fns->removed(fns->ctx, f->id);
		cur->bindings[i--] = cur->bindings[--cur->nbindings];
	}
}

/* The fake's LSCs never change (there is no capf in memory), so no binding
 * was made with an LSC other than the one on record: nothing to remove. */
bool
repo_sip_unbind_tls(struct db *db, const char *phone_uuid, const char *node,
		    void (*fn)(void *ctx, long long id), void *ctx, struct app_err *err)
{
	(void) db;
	(void) phone_uuid;
	(void) node;
	(void) fn;
	(void) ctx;
	(void) err;
	return true;
}

static bool record_event(struct db *db, const struct reg_event *ev, long *confirmed,
			 struct app_err *err);

/* A binding of this Call-ID with a CSeq not below: step 7 refuses all
 * (as SQL does, a Contact listed twice meets its own first binding). */
static bool
cseq_refused(const struct sip_register *rq)
{
	for (int i = 0; rq->contacts != NULL && i < rq->ncontacts; i++) {
		for (int k = 0; rq->expires[i] > 0 && k < i; k++)
			if (rq->expires[k] > 0 && strcmp(rq->contacts[k], rq->contacts[i]) == 0)
				return true;
		for (int j = 0; rq->expires[i] > 0 && j < cur->nbindings; j++) {
			const struct fbinding *f = &cur->bindings[j];

			if (strcmp(f->phone_uuid, rq->b.phone_uuid) == 0 &&
			    strcmp(f->contact, rq->contacts[i]) == 0 &&
			    strcmp(f->call_id, rq->b.call_id) == 0 && rq->b.cseq <= f->cseq)
				return true;
		}
	}
	return false;
}

/* One REGISTER of a batch: what sip_register() does for request q. */
static void
register_one(struct db *db, struct sip_register *rq)
{
	const struct fphone *f = phone_by_key(&(struct item_key) { NULL, rq->b.phone_uuid });
	const struct sip_register_fns *fns = rq->fns;
	struct reg_event ev = { .phone_uuid = rq->b.phone_uuid,
				.status = 200,
				.call_id = rq->b.call_id };
	struct app_err err = { 0 };
	struct sip_phone now;
	time_t t = time(NULL);
	long long id;

	rq->written = SIP_WRITTEN;
	rq->confirmed = 0;
	if (f != NULL)
		fill_phone(f, &now);
	if (f == NULL || rq->facts == NULL || strcmp(now.facts, rq->facts) != 0) {
		rq->written = SIP_FACTS_STALE;
		return;
	}
	if (cseq_refused(rq)) {
		rq->written = SIP_CSEQ_REFUSED;
		return;
	}
	if (rq->contacts == NULL)
		unbind(rq->b.phone_uuid, NULL, fns);
	for (int i = 0; rq->contacts != NULL && i < rq->ncontacts; i++) {
		if (rq->expires[i] == 0) {
			unbind(rq->b.phone_uuid, rq->contacts[i], fns);
			continue;
		}
		bind_one(&rq->b, rq->contacts[i], rq->expires[i], &id);
		if (fns->bound != NULL)
			fns->bound(fns->ctx, id);
	}
	for (int i = 0; i < cur->nbindings; i++)
		if (strcmp(cur->bindings[i].phone_uuid, rq->b.phone_uuid) == 0 &&
		    cur->bindings[i].expires_at > t) {
			fns->contact(fns->ctx, cur->bindings[i].contact,
				     (long) (cur->bindings[i].expires_at - t));
			ev.bound = true;
		}
	record_event(db, &ev, &rq->confirmed, &err);
}

bool
repo_sip_register(struct db *db, struct sip_register *const rqs[], int n, const char *node,
		  struct app_err *err)
{
	(void) node;
	(void) err;
	for (int i = 0; i < n; i++)
		register_one(db, rqs[i]);
	return true;
}

bool
repo_sip_expire(struct db *db, void (*fn)(void *ctx, long long id), void *ctx, struct app_err *err)
{
	time_t now = time(NULL);

	(void) db;
	(void) err;
	for (int i = 0; i < cur->nbindings; i++)
		if (cur->bindings[i].expires_at + 300 < now) {
			fn(ctx, cur->bindings[i].id);
			cur->bindings[i--] = cur->bindings[--cur->nbindings];
		}
	return true;
}

/* --- metrics ------------------------------------------------------------------------ */

bool
repo_metrics_outbox(struct db *db, long *pending, long *sending, struct app_err *err)
{
	(void) db;
	(void) err;
	*pending = *sending = 0; /* no outbox: see repo_sip_claim */
	return true;
}

bool
repo_metrics_bindings(struct db *db, long *bindings, struct app_err *err)
{
	time_t now = time(NULL);

	(void) db;
	(void) err;
	*bindings = 0;
	for (int i = 0; i < cur->nbindings; i++)
		*bindings += cur->bindings[i].expires_at > now;
	return true;
}

/* The fake keeps no NOTIFY outbox: apply requests record their phones'
 * state at once (above), so there is never anything to claim or record. */
bool
repo_sip_claim(struct db *db, const char *node, int limit, long lock_seconds,
	       void (*fn)(void *ctx, struct sip_job *job), void *ctx, int *claimed,
	       struct app_err *err)
{
	(void) db;
	(void) node;
	(void) limit;
	(void) lock_seconds;
	(void) fn;
	(void) ctx;
	(void) err;
	*claimed = 0;
	return true;
}

bool
repo_sip_release(struct db *db, const char *node, struct app_err *err)
{
	(void) db;
	(void) node;
	(void) err;
	return true;
}

bool
repo_sip_results(struct db *db, const struct sip_result *r, int n, int max_attempts,
		 struct app_err *err)
{
	(void) db;
	(void) r;
	(void) n;
	(void) max_attempts;
	(void) err;
	return true;
}

bool
repo_sip_unreachable(struct db *db, long long id, const char *reason, struct app_err *err)
{
	(void) db;
	(void) id;
	(void) reason;
	(void) err;
	return true;
}

/* No LISTEN connection in memory: the SIP thread then polls on its tick. */
struct sip_listener *
repo_sip_listen(const char *conninfo, struct app_err *err)
{
	(void) conninfo;
	app_err_set(err, APP_E_DB_UNAVAILABLE, NULL, "no LISTEN in the fake database");
	return NULL;
}

int
repo_sip_listen_fd(const struct sip_listener *l)
{
	(void) l;
	return -1;
}

bool
repo_sip_listen_poll(struct sip_listener *l, const char *node, bool *woken, bool *facts,
		     void (*lsc)(void *ctx, const char *phone_uuid), void *ctx)
{
	(void) l;
	(void) node;
	(void) lsc;
	(void) ctx;
	*woken = false;
	*facts = false;
	return false;
}

void
repo_sip_listen_close(struct sip_listener *l)
{
	(void) l;
}

/* --- initial contents -------------------------------------------------------------- */

static const struct actor setup = { "fuzz", "cli", "setup", "" };

/* A subset of db/migrations' phone_model rows, one of each kind. */
static const struct model_caps fake_models[] = {
	/* name, sip, sccp, secure, cisco, model_independent, since, sep_name, mic */
	{ "Cisco 7841", true, false, true, true, false, 110, true, true },
	{ "Cisco 7962", true, true, true, true, false, 110, true, true },
	{ "Cisco 8845", true, false, true, true, false, 110, true, true },
	{ "Cisco 8851", true, false, true, true, false, 110, true, true },
	{ "Cisco IP Communicator", true, true, false, true, false, 110, true, false },
	{ "Cisco Unified Client Services Framework", true, false, true, true, false, 110, false,
	  false },
	{ "Third-party SIP Device (Basic)", true, false, false, false, false, 110, false, false },
	{ "Third-party SIP Device (Advanced)", true, false, false, false, false, 110, false,
	  false },
	{ "Universal Device Template", true, false, true, true, true, 110, false, false },
};

static void
must(bool ok, const char *what, const struct app_err *err)
{
	if (!ok) {
		fprintf(stderr, "fake_repo: cannot set up %s: %s\n", what, err ? err->msg : "");
		abort();
	}
}

static void
add_profile(const char *name, const char *model, const char *protocol, bool standard,
	    const char *const *settings)
{
	struct profile p;
	struct app_err err = { 0 };

	profile_defaults(&p);
	must(profile_set(&p, PF_NAME, name, &err) && profile_set(&p, PF_PHONE_TYPE, model, &err) &&
		     profile_set(&p, PF_PROTOCOL, protocol, &err),
	     name, &err);
	for (; settings != NULL && settings[0] != NULL; settings += 2)
		must(profile_set(&p, (enum pf_id) pf_lookup(settings[0]), settings[1], &err), name,
		     &err);
	must(profile_finish(&p, NULL, 150, &err) && repo_profile_insert(NULL, &p, &setup, &err),
	     name, &err);
	cur->profiles[cur->nprofiles - 1].p.standard = standard;
}

static void
add_user(const char *userid, const char *password)
{
	struct end_user u = { .first_name = "Fuzz", .last_name = "User" };
	char md5[33], sha[65];
	struct app_err err = { 0 };

	snprintf(u.userid, sizeof(u.userid), "%s", userid);
	must(auth_digest_ha1(userid, DIGEST_REALM, password, md5, sha) &&
		     repo_enduser_insert(NULL, &u, md5, sha, &setup, &err),
	     userid, &err);
}

static void
add_phone(const char *name, const char *model, const char *protocol, const char *profile,
	  const char *digest_user)
{
	struct phone *p = calloc(1, sizeof(*p));
	const struct model_caps *m = NULL;
	struct app_err err = { 0 };
	const struct fprofile *prof;
	const struct fenduser *u = digest_user ? enduser_by(digest_user, NULL) : NULL;

	must(p != NULL, name, NULL);
	phone_defaults(p);
	must(phone_set(p, PH_NAME, name, NULL, &err) &&
		     phone_set(p, PH_PRODUCT, model, NULL, &err) &&
		     phone_set(p, PH_PROTOCOL, protocol, NULL, &err) &&
		     phone_check_add(p, 150, &m, &err),
	     name, &err);
	prof = profile_by_key(&(struct item_key) { profile, NULL });
	must(prof != NULL, profile, NULL);
	must(repo_phone_insert(NULL, p, prof->p.uuid, u ? u->u.uuid : NULL, &setup, &err), name,
	     &err);
	free(p);
}

static void
make_hash(const char *password, char out[APIUSER_HASH_MAX])
{
	unsigned char salt[16], hash[32], salt64[32], hash64[64];

	must(RAND_bytes(salt, sizeof(salt)) == 1 &&
		     PKCS5_PBKDF2_HMAC(password, (int) strlen(password), salt, sizeof(salt), 1000,
				       EVP_sha256(), sizeof(hash), hash) == 1,
	     "the API users", NULL);
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(hash64, hash, sizeof(hash));
	snprintf(out, APIUSER_HASH_MAX, "pbkdf2-sha256$1000$%s$%s", salt64, hash64);
}

/* What EST needs (est.c): a phone enrolling by Null String and one by
 * authentication string, both with an Install/Upgrade pending. */
static void
add_est_phones(void)
{
	static const char *const null_string[] = {
		"authenticationMode",
		"By Null String",
		"keyOrder",
		"EC Only",
		"ecKeySize",
		"256",
		NULL,
	};
	static const char *const auth_string[] = {
		"authenticationMode",
		"By Authentication String",
		"keyOrder",
		"EC Only",
		"ecKeySize",
		"256",
		NULL,
	};

	add_profile("Fuzz 8845 EST Null", "Cisco 8845", "SIP", false, null_string);
	add_profile("Fuzz 8845 EST String", "Cisco 8845", "SIP", false, auth_string);
	add_phone(FAKE_EST_NULL_PHONE, "Cisco 8845", "SIP", "Fuzz 8845 EST Null", NULL);
	add_phone(FAKE_EST_STRING_PHONE, "Cisco 8845", "SIP", "Fuzz 8845 EST String", NULL);
	for (int i = cur->nphones - 2; i < cur->nphones; i++) {
		struct phone *ph = &cur->phones[i].p;

		snprintf(ph->v[PH_CERT_OP], PH_VALUE_MAX, "Install/Upgrade");
		snprintf(ph->v[PH_CERT_STATUS], PH_VALUE_MAX, "Operation Pending");
		snprintf(ph->v[PH_AUTH_STRING], PH_VALUE_MAX, "%s", FAKE_EST_STRING);
	}
}

/* --- executeSQLQuery --------------------------------------------------------- */

/* A deterministic stand-in for PostgreSQL: a statement naming "nosuch" is
 * refused as the database refuses an unknown table; one with "repeat" gets
 * 100 rows of 1000 characters (past the harness's max_response); any other
 * gets the stored phones' pkid, name and a NULL column. */
bool
repo_sql_query(const struct config *cfg, const char *sql, const struct sql_rows *rows,
	       long *matched, struct app_err *err)
{
	static const char *const names[] = { "pkid", "name", "fkenduser" };
	static char big[1001];
	bool writing = true;
	int n;

	(void) cfg;
	*matched = 0;
	if (strstr(sql, "nosuch") != NULL)
		return app_err_set(err, APP_E_SQL, "sql", "relation \"nosuch\" does not exist");
	rows->columns(rows->ctx, 3, names);
	if (big[0] == '\0')
		memset(big, 'x', sizeof(big) - 1);
	n = strstr(sql, "repeat") != NULL ? 100 : cur->nphones;
	/* Past the point row() said stop, rows are only counted, as repo_sql.c
	 * does. */
	for (int i = 0; i < n; i++, (*matched)++) {
		const char *v[3] = { "0", big, NULL };

		if (n == cur->nphones && strstr(sql, "repeat") == NULL) {
			v[0] = cur->phones[i].p.uuid;
			v[1] = cur->phones[i].p.v[PH_NAME];
		}
		if (writing)
			writing = rows->row(rows->ctx, 3, v);
	}
	return true;
}

/* The predefined profiles, as migration 0002 makes them. */
static void
add_predefined_profiles(void)
{
	char name[128];

	for (size_t i = 0; i < sizeof(fake_models) / sizeof(fake_models[0]); i++) {
		const struct model_caps *m = &fake_models[i];

		if (m->model_independent)
			continue;
		if (m->sip) {
			snprintf(name, sizeof(name), "%s - Standard SIP Non-Secure Profile",
				 m->name);
			add_profile(name, m->name, "SIP", true, NULL);
		}
		if (m->sccp) {
			snprintf(name, sizeof(name), "%s - Standard SCCP Non-Secure Profile",
				 m->name);
			add_profile(name, m->name, "SCCP", true, NULL);
		}
	}
}

void
fake_repo_init(void)
{
	static const char *const digest[] = {
		"enableDigestAuthentication", "true", "nonceValidityTime", "86400", NULL,
	};
	static const char *const encrypted[] = {
		"deviceSecurityMode", "Encrypted", "transportType", "TLS", NULL,
	};
	static const char *const udp_only[] = { "transportType", "UDP", NULL };

	cur = calloc(1, sizeof(*cur));
	initial = calloc(1, sizeof(*initial));
	tx_snap = calloc(1, sizeof(*tx_snap));
	sp_snap = calloc(1, sizeof(*sp_snap));
	must(cur && initial && tx_snap && sp_snap, "the store", NULL);
	must(models_load(fake_models, sizeof(fake_models) / sizeof(fake_models[0])), "models",
	     NULL);
	make_hash(FAKE_PASSWORD, admin_hash);
	make_hash("\x01 not a password anyone sends", nobody_hash);
	add_predefined_profiles();
	add_profile("Universal Device Template - Model-independent Security Profile",
		    "Universal Device Template", "SIP", true, NULL);
	/* What the registrar needs: phones with and without digest, a secure
	 * one, an SCCP one, one limited to UDP. */
	add_profile("Fuzz 8845 Digest", "Cisco 8845", "SIP", false, digest);
	add_profile("Fuzz 8845 Encrypted", "Cisco 8845", "SIP", false, encrypted);
	add_profile("Fuzz 8845 UDP", "Cisco 8845", "SIP", false, udp_only);
	add_profile("Fuzz 8845 Spare", "Cisco 8845", "SIP", false, NULL); /* unused */
	add_user("1001", "secret1001");
	add_user("1002", "secret1002");
	add_user("shared", "secretshared");
	add_user("spare", "secretspare"); /* no phone */
	add_phone("SEP001122334455", "Cisco 8845", "SIP",
		  "Cisco 8845 - Standard SIP Non-Secure Profile", NULL);
	add_phone("SEP001122334466", "Cisco 8845", "SIP", "Fuzz 8845 Digest", "1001");
	add_phone("SEP001122334477", "Cisco 8845", "SIP", "Fuzz 8845 Digest", NULL);
	add_phone("SEP0011223344AA", "Cisco 8845", "SIP", "Fuzz 8845 Encrypted", "1002");
	add_phone("SEP0011223344BB", "Cisco 8845", "SIP", "Fuzz 8845 UDP", NULL);
	add_phone("SEP0011223344CC", "Cisco 7962", "SCCP",
		  "Cisco 7962 - Standard SCCP Non-Secure Profile", NULL);
	add_phone("SEP0011223344DD", "Cisco 8845", "SIP", "Fuzz 8845 Digest", "shared");
	add_phone("SEP0011223344EE", "Cisco 8851", "SIP",
		  "Cisco 8851 - Standard SIP Non-Secure Profile", "shared");
	/* Last, so that the uuids the request seeds name stay as they were. */
	add_profile("Fuzz CSF Encrypted", "Cisco Unified Client Services Framework", "SIP", false,
		    encrypted);
	add_phone("CSFFUZZ", "Cisco Unified Client Services Framework", "SIP", "Fuzz CSF Encrypted",
		  NULL);
	add_est_phones();
	store_copy(initial, cur);
}

void
fake_repo_reset(void)
{
	store_copy(cur, initial);
}

/* --- repo_capf.h ---------------------------------------------------------- */

static struct fphone *
capf_phone_of(const char *uuid)
{
	for (int i = 0; i < cur->nphones; i++)
		if (strcmp(cur->phones[i].p.uuid, uuid) == 0)
			return &cur->phones[i];
	return NULL;
}

bool
repo_capf_lock_phone(struct db *db, const char *name, struct capf_phone *out, struct app_err *err)
{
	const struct fphone *f = phone_by_key(&(struct item_key) { name, NULL });
	const struct fprofile *prof = f ? profile_by_uuid(f->profile_uuid) : NULL;
	const struct model_caps *m = f ? models_find(f->p.v[PH_PRODUCT]) : NULL;

	(void) db;
	if (f == NULL || prof == NULL)
		return app_err_set(err, APP_E_NOT_FOUND, "name", "no phone named %s", name);
	memset(out, 0, sizeof(*out));
	snprintf(out->uuid, sizeof(out->uuid), "%s", f->p.uuid);
	snprintf(out->name, sizeof(out->name), "%s", f->p.v[PH_NAME]);
	snprintf(out->operation, sizeof(out->operation), "%s", f->p.v[PH_CERT_OP]);
	snprintf(out->key_order, sizeof(out->key_order), "%s", prof->p.v[PF_KEY_ORDER]);
	snprintf(out->key_size, sizeof(out->key_size), "%s", prof->p.v[PF_KEY_SIZE]);
	snprintf(out->ec_key_size, sizeof(out->ec_key_size), "%s", prof->p.v[PF_EC_KEY_SIZE]);
	snprintf(out->auth_mode, sizeof(out->auth_mode), "%s", prof->p.v[PF_AUTH_MODE]);
	snprintf(out->auth_string, sizeof(out->auth_string), "%s", f->p.v[PH_AUTH_STRING]);
	snprintf(out->finish_time, sizeof(out->finish_time), "%s", f->p.v[PH_UPGRADE_TIME]);
	out->ships_mic = m != NULL && m->mic;
	snprintf(out->lsc_serial, sizeof(out->lsc_serial), "%s", f->lsc_serial);
	return true;
}

static bool
capf_store(const struct capf_phone *ph, const struct cert_facts *f, bool need_pending,
	   bool *replaced, struct app_err *err)
{
	struct fphone *p = capf_phone_of(ph->uuid);
	bool pending = p != NULL && strcmp(p->p.v[PH_CERT_OP], "Install/Upgrade") == 0;

	if (p == NULL || (need_pending && !pending))
		return app_err_set(err, APP_E_CONFLICT, "certificateOperation",
				   "phone %s no longer has an Install/Upgrade operation pending",
				   ph->name);
	*replaced = p->lsc_serial[0] != '\0';
	snprintf(p->lsc_serial, sizeof(p->lsc_serial), "%s", f->serial);
	snprintf(p->p.v[PH_CERT_STATUS], PH_VALUE_MAX, "Upgrade Success");
	if (pending)
		snprintf(p->p.v[PH_CERT_OP], PH_VALUE_MAX, "No Pending Operation");
	return true;
}

bool
repo_capf_record_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
		     const char *pem, const struct actor *actor, bool *replaced,
		     struct app_err *err)
{
	(void) db;
	(void) pem;
	(void) actor;
	return capf_store(ph, f, true, replaced, err);
}

bool
repo_capf_renew_lsc(struct db *db, const struct capf_phone *ph, const struct cert_facts *f,
		    const char *pem, const struct actor *actor, struct app_err *err)
{
	bool replaced;

	(void) db;
	(void) pem;
	(void) actor;
	return capf_store(ph, f, false, &replaced, err);
}

bool
repo_capf_fail(struct db *db, const struct capf_phone *ph, const char *status, bool end_operation,
	       const struct actor *actor, bool *changed, struct app_err *err)
{
	struct fphone *p = capf_phone_of(ph->uuid);

	(void) db;
	(void) actor;
	(void) err;
	*changed = p != NULL && strcmp(p->p.v[PH_CERT_OP], "Install/Upgrade") == 0;
	if (!*changed)
		return true;
	snprintf(p->p.v[PH_CERT_STATUS], PH_VALUE_MAX, "%s", status);
	if (end_operation)
		snprintf(p->p.v[PH_CERT_OP], PH_VALUE_MAX, "No Pending Operation");
	return true;
}

/* --- registration state (repo_registration.h) ------------------------------ */

/* What sip_register() (an accepted REGISTER) and a refusal record. */
static bool
record_event(struct db *db, const struct reg_event *ev, long *confirmed, struct app_err *err)
{
	const char *outcome = reg_outcome(ev->status, ev->bound);
	struct item_key key = { .uuid = ev->phone_uuid };
	struct fphone *f = phone_by_key(&key);

	(void) db;
	(void) err;
	*confirmed = 0;
	if (outcome == NULL || f == NULL)
		return true;
	snprintf(f->reg_outcome, sizeof(f->reg_outcome), "%s", outcome);
	if (strcmp(outcome, "rejected") != 0)
		snprintf(f->reg_call_id, sizeof(f->reg_call_id), "%s", ev->call_id);
	f->reg_seen = time(NULL);
	return true;
}

bool
repo_registration_refused(struct db *db, const struct reg_event *ev, struct app_err *err)
{
	long confirmed;

	return ev->status != 403 || record_event(db, ev, &confirmed, err);
}

bool
repo_registration_list(struct db *db, const struct reg_search *s, reg_row_fn fn, void *ctx,
		       long *matched, struct app_err *err)
{
	int order[MAX_PHONES], n = 0, start, end;
	long skip = s->first >= 0 ? s->skip : 0;
	char seen[24];

	(void) db;
	(void) err;
	for (int i = 0; i < cur->nphones; i++)
		order[i] = i;
	qsort(order, (size_t) cur->nphones, sizeof(order[0]), cmp_phone_idx);
	for (int i = 0; i < cur->nphones; i++)
		if (like(s->device, cur->phones[order[i]].p.v[PH_NAME]))
			order[n++] = order[i];
	start = skip < n ? (int) skip : n;
	end = s->first >= 0 && s->first < n - start ? start + (int) s->first : n;
	*matched = end - start;
	for (int i = start; i < end; i++) {
		const struct fphone *f = &cur->phones[order[i]];
		const char *status = strcmp(f->reg_outcome, "rejected") == 0 ? "Rejected" :
				     phone_registered(f->p.uuid)             ? "Registered" :
				     f->reg_outcome[0]                       ? "Unregistered" :
									       "Unknown";
		struct reg_row row = { .name = f->p.v[PH_NAME],
				       .uuid = f->p.uuid,
				       .ip = "",
				       .node = "",
				       .config_version = "",
				       .last_seen = seen,
				       .status = status };

		snprintf(seen, sizeof(seen), "%lld",
			 f->reg_outcome[0] ? (long long) f->reg_seen : 0LL);
		if (!f->reg_outcome[0])
			seen[0] = '\0';
		if (!fn(ctx, &row))
			break;
	}
	return true;
}
