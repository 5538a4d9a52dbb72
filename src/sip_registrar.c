/*
 * sip_registrar.c: the registrar (see sip_registrar.h).  Owns the order of
 * checks for a REGISTER (RFC 3261 §10.3): the phone the To URI names, its
 * security profile and certificate (sip_admit), the digest challenge, then
 * the bindings, in one transaction.  It decides answers and writes
 * bindings; sending the answer is sip.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "models.h"
#include "repo_registration.h"
#include "repo_sip.h"
#include "sip_facts.h"
#include "sip_registrar.h"
#include "sip_rules.h"

/* decide_register's "not decided": memory_only and the database needed. */
#define NEEDS_DB (-1)

static int
answer(struct sip_answer *a, int status, const char *phrase)
{
	const char *p = phrase ? phrase : sip_status_phrase(status);
	size_t n = p ? strlen(p) : 0;

	if (n >= sizeof(a->phrase))
		n = sizeof(a->phrase) - 1; /* a long AOR in a 404: cut, never overrun */
	a->status = status;
	memcpy(a->phrase, p ? p : "", n);
	a->phrase[n] = '\0';
	return status;
}

static int
challenge(const struct sip_registrar *r, struct sip_answer *a, bool stale)
{
	char nonce[SIP_NONCE_LEN + 1];

	sip_nonce_make(r->secret, time(NULL), nonce);
	snprintf(a->www_authenticate, sizeof(a->www_authenticate),
		 "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s", SIP_REALM,
		 nonce, stale ? ", stale=true" : "");
	return answer(a, 401, NULL);
}

static int
unavailable(struct sip_answer *a, const struct app_err *err)
{
	log_msg(LOG_WARN, "sip: database: %s", err->msg);
	a->retry_after = true;
	return answer(a, 503, "Service Unavailable: database not reachable");
}

/* The Digest credentials for our realm (or the last Digest ones). */
static void
find_credentials(su_home_t *home, sip_authorization_t const *au, auth_response_t *ar)
{
	for (; au != NULL; au = au->au_next) {
		auth_response_t tmp[1] = { { .ar_size = sizeof(tmp[0]) } };

		/* "Digest" with no parameters has au_params NULL, which
		 * auth_digest_response_get() asserts against (abort). */
		if (au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0 ||
		    au->au_params == NULL || auth_digest_response_get(home, tmp, au->au_params) < 0)
			continue;
		*ar = *tmp;
		if (tmp->ar_realm != NULL && strcmp(tmp->ar_realm, SIP_REALM) == 0)
			break;
	}
}

static bool
nc_fresh(const struct sip_registrar *r, const auth_response_t *ar, const char *phone)
{
	bool fresh;

	if (r->nc_lock != NULL)
		pthread_mutex_lock(r->nc_lock);
	fresh = sip_nc_fresh(r->nc, ar->ar_nonce, ar->ar_cnonce, ar->ar_username, phone, ar->ar_nc,
			     time(NULL));
	if (r->nc_lock != NULL)
		pthread_mutex_unlock(r->nc_lock);
	return fresh;
}

/* 0 when the request may go on, else the status answered. */
static int
authenticate(const struct sip_registrar *r, sip_t const *sip, const struct sip_phone *ph,
	     struct sip_answer *a)
{
	auth_response_t ar[1] = { { .ar_size = sizeof(ar[0]) } };
	su_home_t home[1] = { SU_HOME_INIT(home) };
	enum nonce_state nonce = NONCE_BAD;
	struct sip_digest d;
	int rc = 0;

	if (ph->digest_user[0] == '\0')
		return answer(
			a, 403,
			"Forbidden: digest authentication is on but the phone has no digest user");
	find_credentials(home, sip->sip_authorization, ar);
	if (ar->ar_nonce != NULL && ar->ar_username != NULL &&
	    strcmp(ar->ar_username, ph->digest_user) == 0)
		nonce = sip_nonce_check(r->secret, ar->ar_nonce, time(NULL), ph->nonce_validity);
	d = (struct sip_digest) {
		.algorithm = ar->ar_algorithm,
		.nonce = ar->ar_nonce,
		.uri = ar->ar_uri,
		.qop = ar->ar_qop,
		.nc = ar->ar_nc,
		.cnonce = ar->ar_cnonce,
		.response = ar->ar_response,
	};
	if (ar->ar_nonce == NULL) {
		rc = challenge(r, a, false);
	} else if (ar->ar_username == NULL || strcmp(ar->ar_username, ph->digest_user) != 0) {
		rc = answer(a, 403, "Forbidden: wrong digest user for this phone");
	} else if (nonce == NONCE_BAD) {
		rc = challenge(r, a, false);
	} else if (!sip_digest_ok(&d, "REGISTER", ph->ha1_md5, ph->ha1_sha256)) {
		log_msg(LOG_INFO, "sip: bad digest credentials for %s (user %s)", ph->name,
			ph->digest_user);
		rc = answer(a, 403, "Forbidden: bad credentials");
	} else if (nonce == NONCE_STALE) {
		rc = challenge(r, a, true);
	} else if (r->nc != NULL && ar->ar_qop != NULL && !nc_fresh(r, ar, ph->name)) {
		/* A replayed or rewound count: a fresh nonce, which a phone
		 * with the password answers at once (a 403 would leave it
		 * unregistered until its own back-off); a replayer cannot. */
		log_msg(LOG_INFO, "sip: digest nc %s reused for %s: challenged again",
			ar->ar_nc ? ar->ar_nc : "(none)", ph->name);
		rc = challenge(r, a, true);
	}
	su_home_deinit(home);
	return rc;
}

/* Each live binding, into the 200's Contact list. */
static void
add_contact(void *ctx, const char *contact, long expires)
{
	struct sip_answer *a = ((struct sip_accepted *) ctx)->a;
	size_t len = strlen(a->contact);
	int n = snprintf(a->contact + len, sizeof(a->contact) - len, "%s<%s>;expires=%ld",
			 len ? ", " : "", contact, expires);

	if (n < 0 || (size_t) n >= sizeof(a->contact) - len)
		a->contact[len] = '\0'; /* the list is cut, never overrun */
}

static long
param_long(const char *s)
{
	return s != NULL && *s >= '0' && *s <= '9' ? strtol(s, NULL, 10) : -1;
}

/* What a binding records of the certificate that admitted it. */
static void
binding_cert(struct sip_binding *b, enum cert_kind kind, const struct cert_facts *c)
{
	b->cert_kind = kind == CERT_LSC ? "LSC" : kind == CERT_MIC ? "MIC" : "";
	b->cert_serial = kind != CERT_NONE && c != NULL ? c->serial : "";
	b->cert_not_after = kind != CERT_NONE && c != NULL ? c->not_after : 0;
}

/* The Contacts of a REGISTER as texts with their expiry (RFC 3261 §10.3
 * steps 6-7), checked before anything changes: 0, else the status
 * answered.  "Contact: *" leaves rq->contacts NULL. */
static int
read_contacts(su_home_t *home, sip_t const *sip, struct sip_register *rq, struct sip_answer *a)
{
	long header = sip->sip_expires ? (long) sip->sip_expires->ex_delta : -1;
	sip_contact_t const *m;
	const char **contacts;
	long *expires;
	int n = 0;

	if (sip->sip_contact != NULL && sip->sip_contact->m_url->url_type == url_any) {
		if (sip->sip_contact->m_next != NULL || header != 0)
			return answer(
				a, 400,
				"Bad Request: Contact * needs Expires: 0 and no other Contact");
		return 0;
	}
	for (m = sip->sip_contact; m != NULL; m = m->m_next)
		n++;
	contacts = su_zalloc(home, (size_t) (n + 1) * sizeof(*contacts));
	expires = su_zalloc(home, (size_t) (n + 1) * sizeof(*expires));
	if (contacts == NULL || expires == NULL || rq->b.aor == NULL)
		return answer(a, 500, NULL);
	n = 0;
	for (m = sip->sip_contact; m != NULL; m = m->m_next)
		if ((expires[n++] = sip_expiry(param_long(m->m_expires), header)) < 0) {
			a->min_expires = true;
			return answer(a, 423, NULL);
		}
	n = 0;
	for (m = sip->sip_contact; m != NULL; m = m->m_next, n++) {
		contacts[n] = url_as_string(home, m->m_url);
		if (contacts[n] == NULL)
			return answer(a, 500, NULL);
		if (strlen(contacts[n]) > 1024)
			return answer(a, 400, "Bad Request: Contact, To or Call-ID too long");
	}
	if (strlen(rq->b.call_id) > 256 || strlen(rq->b.aor) > 255)
		return answer(a, 400, "Bad Request: Contact, To or Call-ID too long");
	rq->contacts = contacts;
	rq->expires = expires;
	rq->ncontacts = n;
	return 0;
}

/* The phone the To URI names: 0 when found, else the status answered. */
static int
find_phone(const struct sip_registrar *r, const char *user, struct sip_phone *ph,
	   struct sip_answer *a)
{
	struct app_err err = { 0 };
	char text[200];

	if (user == NULL || *user == '\0' || strlen(user) > 128)
		return answer(a, 400,
			      "Bad Request: the To URI must name the phone or its digest user");
	metrics_phone_lookup();
	if (repo_sip_phone(r->db, user, ph, &err))
		return 0;
	if (err.code == APP_E_NOT_FOUND) {
		snprintf(text, sizeof(text), "Not Found: unknown device %s", user);
		return answer(a, 404, text);
	}
	if (err.code == APP_E_RULE)
		return answer(a, 403, err.msg);
	return unavailable(a, &err);
}

/* The profile's and the certificate's say: 0 when admitted. */
static int
admit(const struct sip_registrar *r, const struct sip_phone *ph, const struct sip_peer *peer,
      enum cert_kind *kind, struct sip_answer *a)
{
	const char *phrase;
	struct sip_admission adm = {
		.sip = ph->sip,
		.security_mode = ph->security_mode,
		.transport_type = ph->transport_type,
		.transport = peer->transport,
		.cert = peer->cert,
		.device = ph->name,
		.model_ships_mic = models_ships_mic(ph->model),
		.lsc_fingerprint = ph->lsc_fingerprint,
		.accept_mic = r->accept_mic,
	};

	if (sip_admit(&adm, kind, &phrase) == 0)
		return 0;
	log_msg(LOG_INFO, "sip: REGISTER of %s over %s from %s refused: %s", ph->name,
		peer->transport, peer->ip, phrase);
	return answer(a, 403, phrase);
}

/* What a refusal says of a known phone (listRegistrationDynamic's
 * Rejected; see repo_registration.h), recorded before the answer is sent;
 * its failure costs only that record: the phone gets its answer.  An
 * accepted REGISTER records its state with its bindings. */
static int
refused(const struct sip_registrar *r, const struct sip_phone *ph, const struct sip_peer *peer,
	int status)
{
	struct reg_event ev = {
		.phone_uuid = ph->uuid, .status = status, .source_ip = peer->ip, .node = r->node
	};
	struct app_err err = { 0 };

	if (r->db != NULL && ph->uuid[0] != '\0' && !repo_registration_refused(r->db, &ev, &err))
		log_msg(LOG_WARN, "sip: registration state of %s not recorded: %s", ph->name,
			err.msg);
	return status;
}

/* A binding over a connection (not UDP): sip.c tracks it. */
static void
bound_over_connection(void *ctx, long long id)
{
	struct sip_accepted *acc = ctx;

	if (acc->bound != NULL)
		acc->bound(acc->ctx, id);
}

static void
removed(void *ctx, long long id)
{
	struct sip_accepted *acc = ctx;

	if (acc->forget != NULL)
		acc->forget(acc->ctx, id);
}

/* An admitted REGISTER made ready to write: its binding facts and its
 * Contacts (texts in acc->home).  0, or the status answered. */
static int
prepare(const struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
	struct sip_accepted *acc)
{
	struct sip_register *rq = &acc->rq;
	int rc;

	su_home_init(acc->home);
	memset(rq, 0, sizeof(*rq));
	rq->facts = acc->ph.facts;
	rq->b = (struct sip_binding) {
		.phone_uuid = acc->ph.uuid,
		.aor = url_as_string(acc->home, sip->sip_to->a_url),
		.call_id = sip->sip_call_id->i_id,
		.cseq = sip->sip_cseq->cs_seq,
		.transport = peer->transport,
		.source_ip = peer->ip,
		.source_port = peer->port,
		.user_agent = sip->sip_user_agent ? sip->sip_user_agent->g_string : "",
	};
	binding_cert(&rq->b, acc->kind, peer->cert);
	acc->fns = (struct sip_register_fns) {
		.bound = strcmp(peer->transport, "udp") != 0 ? bound_over_connection : NULL,
		.removed = removed,
		.contact = add_contact,
		.ctx = acc,
	};
	rq->fns = &acc->fns;
	acc->bound = r->bound;
	acc->forget = r->forget;
	acc->ctx = r->ctx;
	rc = read_contacts(acc->home, sip, rq, acc->a);
	if (rc != 0)
		su_home_deinit(acc->home);
	return rc;
}

/* The phone's facts for this request: remembered ones when *remembered
 * (an acceptance is checked again as it is written), else read now (and
 * remembered).  0, or the status answered. */
static int
phone_facts(const struct sip_registrar *r, const char *user, bool *remembered, struct sip_phone *ph,
	    struct sip_answer *a)
{
	unsigned long era;

	if (*remembered && sip_facts_get(r->facts, user, ph))
		return 0;
	if (r->memory_only)
		return NEEDS_DB;
	*remembered = false;
	era = sip_facts_era(r->facts); /* before the read: a change after it counts */
	if (find_phone(r, user, ph, a) != 0)
		return a->status;
	sip_facts_put(r->facts, era, &user, 1, ph);
	return 0;
}

/* The verdict on a REGISTER: 0 when admitted (acc ready to write), else
 * the status answered.  Remembered facts first, unless fresh; when they
 * lead to a refusal, facts read now decide.  A challenge on them stands:
 * if they were stale, the REGISTER answering it is admitted on them only
 * to be decided again as it is written, so the worst a stale challenge
 * costs a phone is one round trip. */
static int
decide_register(const struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
		bool fresh, struct sip_accepted *acc)
{
	const char *user = sip->sip_to ? sip->sip_to->a_url->url_user : NULL;
	bool remembered = r->facts != NULL && !fresh;
	struct sip_answer *a = acc->a;

	/* nta refuses requests without these; the fuzzer's parser may not. */
	if (sip->sip_call_id == NULL || sip->sip_cseq == NULL || sip->sip_to == NULL)
		return answer(a, 400, "Bad Request: To, Call-ID and CSeq are required");
	if (sip->sip_require != NULL) {
		a->unsupported = true;
		return answer(a, 420, NULL);
	}
	for (;;) {
		memset(a, 0, sizeof(*a));
		memset(&acc->ph, 0, sizeof(acc->ph));
		acc->kind = CERT_NONE;
		int rc = phone_facts(r, user, &remembered, &acc->ph, a);

		if (rc != 0)
			return rc == NEEDS_DB ? rc : refused(r, &acc->ph, peer, a->status);
		if (admit(r, &acc->ph, peer, &acc->kind, a) == 0 &&
		    (!acc->ph.digest || authenticate(r, sip, &acc->ph, a) == 0))
			return prepare(r, sip, peer, acc);
		if (!remembered || a->status == 401)
			return refused(r, &acc->ph, peer, a->status);
		if (r->memory_only)
			return NEEDS_DB;
		remembered = false;
	}
}

enum sip_step
sip_registrar_decide(const struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
		     bool fresh, struct sip_answer *a, struct sip_accepted *acc)
{
	int status;

	memset(a, 0, sizeof(*a));
	acc->a = a;
	acc->again = false;
	acc->sip = sip;
	acc->peer = peer;
	acc->decided++;
	status = decide_register(r, sip, peer, fresh, acc);
	if (status == NEEDS_DB) {
		acc->decided--; /* not a decision: the next one is the first */
		return SIP_NEEDS_DB;
	}
	if (status == 0)
		return SIP_TO_WRITE;
	metrics_register(status);
	return SIP_ANSWERED;
}

/* The answer to one written REGISTER (or, failed, to one written alone). */
static void
written(const struct sip_registrar *r, struct sip_accepted *acc, const struct app_err *err)
{
	struct sip_answer *a = acc->a;
	const struct sip_peer *peer = acc->peer;
	sip_t const *sip = acc->sip;

	/* CSeq not above: refused by the statement, or a race it raised on */
	if (err != NULL ? err->code == APP_E_RULE : acc->rq.written == SIP_CSEQ_REFUSED)
		answer(a, 400, "Bad Request: CSeq not above the last REGISTER of this Call-ID");
	else if (err != NULL)
		unavailable(a, err);
	else if (acc->rq.written == SIP_FACTS_STALE) {
		sip_facts_drop(r->facts, sip->sip_to->a_url->url_user);
		acc->again = acc->decided < 2;
		if (acc->again)
			return;
		a->retry_after = true;
		answer(a, 503, "Service Unavailable: the phone changed while it registered");
	} else {
		if (acc->rq.confirmed > 0)
			log_msg(LOG_INFO,
				"sip: %s confirmed %ld delivered NOTIFY(s) by a new registration",
				acc->ph.name, acc->rq.confirmed);
		a->date = true;
		log_msg(LOG_DEBUG, "sip: REGISTER %s as %s over %s from %s:%u%s%s",
			sip->sip_to->a_url->url_user, acc->ph.name, peer->transport, peer->ip,
			peer->port, acc->kind != CERT_NONE ? " with its " : "",
			acc->kind != CERT_NONE ? capf_kind_name(acc->kind) : "");
		answer(a, 200, NULL);
	}
	if (a->status != 200)
		a->contact[0] = '\0';
	metrics_register(a->status);
}

void
sip_registrar_write(const struct sip_registrar *r, struct sip_accepted *const accs[], int n)
{
	struct sip_register *rqs[SIP_WRITE_MAX] = { 0 };
	struct app_err err = { 0 };
	bool ok;

	n = n < SIP_WRITE_MAX ? n : SIP_WRITE_MAX; /* the callers' bound */
	for (int i = 0; i < n; i++)
		rqs[i] = &accs[i]->rq;
	ok = repo_sip_register(r->db, rqs, n, r->node, &err);
	if (ok)
		metrics_register_write();
	if (!ok && n > 1) {
		/* one REGISTER raced or broke the statement: each alone */
		for (int i = 0; i < n; i++)
			sip_registrar_write(r, &accs[i], 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		written(r, accs[i], ok ? NULL : &err);
		su_home_deinit(accs[i]->home);
	}
}

void
sip_registrar_discard(struct sip_accepted *acc)
{
	su_home_deinit(acc->home);
}

/* A REGISTER decided and written on its own (the fuzzer; no pool). */
static void
register_alone(const struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
	       struct sip_answer *a)
{
	struct sip_accepted acc = { .decided = 0 }, *one = &acc;
	bool fresh = false;

	do {
		if (sip_registrar_decide(r, sip, peer, fresh, a, &acc) == SIP_ANSWERED)
			return;
		sip_registrar_write(r, &one, 1);
		fresh = true;
	} while (acc.again);
}

void
sip_registrar_handle(const struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
		     struct sip_answer *a)
{
	memset(a, 0, sizeof(*a));
	switch (sip->sip_request->rq_method) {
	case sip_method_register:
		register_alone(r, sip, peer, a);
		break;
	case sip_method_options:
		a->allow = true;
		answer(a, 200, NULL);
		break;
	default:
		a->allow = true;
		answer(a, 405, NULL);
		break;
	}
}
