/*
 * sip.c: the SIP thread (see sip.h).  sofia-sip's nta parses, keeps the
 * transactions, retransmits over UDP, and answers over the connection a
 * request came on; this file holds only the registrar's order of checks
 * (RFC 3261 §10.3), the digest challenge, and the sender that turns
 * claimed outbox rows into NOTIFYs and records each final answer.
 *
 * Everything here runs on the one thread that owns the su_root; the thread
 * owns two PostgreSQL connections (queries, and LISTEN).
 */
#define _GNU_SOURCE /* eventfd */
#define SU_ROOT_MAGIC_T struct sip
#define SU_WAKEUP_ARG_T struct sip
#define SU_TIMER_ARG_T struct sip
#define NTA_LEG_MAGIC_T struct sip
#define NTA_OUTGOING_MAGIC_T struct notify

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "repo_registration.h"
#include "repo_sip.h"
#include "sip.h"
#include "sip_rules.h"

#define TICK_MS 1000
/* NOTIFYs in flight at once.  Each answer is a datagram waiting in the
 * socket's receive buffer (about 200 fit in the kernel's default) until
 * this thread reads it: sending thousands at once lost answers and then
 * retransmitted into the same overflow. */
#define WINDOW 128
/* Answers are recorded in one statement per batch, at most this long
 * after the first of the batch arrived. */
#define FLUSH_MS 10
#define JANITOR_TICKS 120
#define TPORT_BUCKETS 1024
#define USER_AGENT "axlprov"
#define STR_(x) #x
#define STR(x) STR_(x)

/* A connection-oriented binding's transport, kept so that a NOTIFY goes
 * back down the TCP connection the REGISTER came on. */
struct tport_entry {
	long long registration_id;
	tport_t *tport;
	struct tport_entry *next;
};

/* A NOTIFY in flight. */
struct notify {
	struct sip *sip;
	long long id;
	int attempts;
	nta_outgoing_t *orq;
	struct notify *prev, *next;
};

struct sip {
	const struct config *cfg;
	char node[64];
	pthread_t thread;
	int stop_fd;

	/* Start-up handshake. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;             /* 0 starting, 1 running, -1 failed */
	struct app_err err;

	/* Owned by the thread. */
	su_root_t *root;
	nta_agent_t *agent;
	nta_leg_t *leg;
	su_timer_t *tick;
	su_wait_t stop_wait[1];
	su_wait_t listen_wait[1];
	struct db *db;
	struct sip_listener *listener;
	char secret[128];
	unsigned ticks;
	struct notify *inflight;
	int ninflight;
	struct sip_result results[SIP_RESULTS_MAX];
	int nresults;
	su_timer_t *flush;
	bool flush_armed;
	struct tport_entry *tports[TPORT_BUCKETS];
};

/* --- TCP connections of bindings ------------------------------------------ */

static struct tport_entry **
tport_slot(struct sip *s, long long id)
{
	struct tport_entry **e = &s->tports[(unsigned long long) id % TPORT_BUCKETS];

	while (*e != NULL && (*e)->registration_id != id)
		e = &(*e)->next;
	return e;
}

static void
tport_forget(void *ctx, long long id)
{
	struct tport_entry **slot = tport_slot(ctx, id), *e = *slot;

	if (e == NULL)
		return;
	*slot = e->next;
	tport_unref(e->tport);
	free(e);
}

static void
tport_remember(struct sip *s, long long id, tport_t *tp)
{
	struct tport_entry **slot = tport_slot(s, id), *e = *slot;

	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return;   /* the NOTIFY will open a new connection instead */
		e->registration_id = id;
		*slot = e;
	} else {
		tport_unref(e->tport);
	}
	e->tport = tport_ref(tp);
}

/* --- the registrar -------------------------------------------------------- */

static int
reply(nta_incoming_t *irq, int status, const char *phrase, tag_type_t tag, tag_value_t value,
      ...)
{
	ta_list ta;

	ta_start(ta, tag, value);
	nta_incoming_treply(irq, status, phrase, SIPTAG_USER_AGENT_STR(USER_AGENT),
			    ta_tags(ta));
	ta_end(ta);
	return status;   /* nta destroys the transaction after a final status */
}

static int
challenge(struct sip *s, nta_incoming_t *irq, bool stale)
{
	char nonce[SIP_NONCE_LEN + 1], header[256];

	sip_nonce_make(s->secret, time(NULL), nonce);
	snprintf(header, sizeof(header),
		 "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s", SIP_REALM,
		 nonce, stale ? ", stale=true" : "");
	return reply(irq, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR(header), TAG_END());
}

static int
unavailable(nta_incoming_t *irq, const struct app_err *err)
{
	log_msg(LOG_WARN, "sip: database: %s", err->msg);
	return reply(irq, 503, "Service Unavailable: database not reachable",
		     SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
}

/* 0 when the request may go on, else the status already answered. */
static int
authenticate(struct sip *s, nta_incoming_t *irq, sip_t const *sip, const struct sip_phone *ph)
{
	sip_authorization_t const *au = sip->sip_authorization;
	auth_response_t ar[1] = { { .ar_size = sizeof(ar[0]) } };
	su_home_t home[1] = { SU_HOME_INIT(home) };
	enum nonce_state nonce;
	struct sip_digest d;
	int rc = 0;

	if (ph->digest_user[0] == '\0')
		return reply(irq, 403, "Forbidden: digest authentication is on but the phone has no digest user",
			     TAG_END());
	for (; au != NULL; au = au->au_next) {
		auth_response_t tmp[1] = { { .ar_size = sizeof(tmp[0]) } };

		if (au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0 ||
		    auth_digest_response_get(home, tmp, au->au_params) < 0)
			continue;
		*ar = *tmp;
		if (tmp->ar_realm != NULL && strcmp(tmp->ar_realm, SIP_REALM) == 0)
			break;
	}
	if (ar->ar_nonce == NULL) {
		rc = challenge(s, irq, false);
		goto done;
	}
	if (ar->ar_username == NULL || strcmp(ar->ar_username, ph->digest_user) != 0) {
		rc = reply(irq, 403, "Forbidden: wrong digest user for this phone", TAG_END());
		goto done;
	}
	nonce = sip_nonce_check(s->secret, ar->ar_nonce, time(NULL), ph->nonce_validity);
	if (nonce == NONCE_BAD) {
		rc = challenge(s, irq, false);
		goto done;
	}
	d = (struct sip_digest) {
		.algorithm = ar->ar_algorithm, .nonce = ar->ar_nonce, .uri = ar->ar_uri,
		.qop = ar->ar_qop, .nc = ar->ar_nc, .cnonce = ar->ar_cnonce,
		.response = ar->ar_response,
	};
	if (!sip_digest_ok(&d, "REGISTER", ph->ha1_md5, ph->ha1_sha256)) {
		log_msg(LOG_INFO, "sip: bad digest credentials for %s (user %s)", ph->name,
			ph->digest_user);
		rc = reply(irq, 403, "Forbidden: bad credentials", TAG_END());
		goto done;
	}
	if (nonce == NONCE_STALE)
		rc = challenge(s, irq, true);
done:
	su_home_deinit(home);
	return rc;
}

struct contact_list {
	char text[4096];
	size_t len;
};

static void
add_contact(void *ctx, const char *contact, long expires)
{
	struct contact_list *l = ctx;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s<%s>;expires=%ld",
			 l->len ? ", " : "", contact, expires);

	if (n > 0 && (size_t) n < sizeof(l->text) - l->len)
		l->len += (size_t) n;
	else
		l->text[l->len] = '\0';   /* the list is cut, never overrun */
}

static long
param_long(const char *s)
{
	return s != NULL && *s >= '0' && *s <= '9' ? strtol(s, NULL, 10) : -1;
}

/* Applies every Contact of an authenticated REGISTER in one transaction:
 * 0 when done, else the status answered. */
static int
update_bindings(struct sip *s, nta_incoming_t *irq, sip_t const *sip, const struct sip_phone *ph,
		tport_t *tp, const char *transport, const char *ip, unsigned port)
{
	long header = sip->sip_expires ? (long) sip->sip_expires->ex_delta : -1;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct app_err err = { 0 };
	sip_contact_t const *m;
	char *aor;
	int rc = 0;

	if (sip->sip_contact != NULL && sip->sip_contact->m_url->url_type == url_any) {
		if (sip->sip_contact->m_next != NULL || header != 0)
			return reply(irq, 400, "Bad Request: Contact * needs Expires: 0 and no other Contact",
				     TAG_END());
		if (!repo_sip_unbind(s->db, ph->uuid, NULL, tport_forget, s, &err))
			return unavailable(irq, &err);
		return 0;
	}
	for (m = sip->sip_contact; m != NULL; m = m->m_next)
		if (sip_expiry(param_long(m->m_expires), header) < 0)
			return reply(irq, SIP_423_INTERVAL_TOO_BRIEF,
				     SIPTAG_MIN_EXPIRES_STR(STR(SIP_MIN_EXPIRES)),
				     TAG_END());
	/* Several contacts change together or not at all; one needs no
	 * transaction (a round trip each for BEGIN and COMMIT saved). */
	if (sip->sip_contact != NULL && sip->sip_contact->m_next != NULL && !db_begin(s->db, &err))
		return unavailable(irq, &err);
	aor = url_as_string(home, sip->sip_to->a_url);
	for (m = sip->sip_contact; m != NULL && rc == 0; m = m->m_next) {
		long exp = sip_expiry(param_long(m->m_expires), header);
		char *contact = url_as_string(home, m->m_url);
		long long id = 0;
		struct sip_binding b = {
			.phone_uuid = ph->uuid, .aor = aor, .contact = contact,
			.call_id = sip->sip_call_id->i_id, .cseq = sip->sip_cseq->cs_seq,
			.expires = exp, .transport = transport, .source_ip = ip, .source_port = port,
			.node = s->node,
			.user_agent = sip->sip_user_agent ? sip->sip_user_agent->g_string : "",
		};

		if (contact == NULL || aor == NULL)
			rc = reply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		else if (strlen(contact) > 1024 || strlen(b.call_id) > 256 || strlen(aor) > 255)
			rc = reply(irq, 400, "Bad Request: Contact, To or Call-ID too long", TAG_END());
		else if (exp == 0 ? !repo_sip_unbind(s->db, ph->uuid, contact, tport_forget, s, &err) :
			 !repo_sip_bind(s->db, &b, &id, &err))
			rc = -1;
		else if (exp > 0 && id == 0)
			rc = reply(irq, 400, "Bad Request: CSeq not above the last REGISTER of this Call-ID",
				   TAG_END());
		else if (id > 0 && tport_is_reliable(tp))
			tport_remember(s, id, tp);
	}
	if (rc == 0 && !db_commit_if_open(s->db, &err))
		rc = -1;
	if (rc != 0 && db_in_tx(s->db))
		db_rollback(s->db);
	if (rc == -1)
		rc = unavailable(irq, &err);
	su_home_deinit(home);
	return rc;
}

/* What the answer says of the phone, for listRegistrationDynamic and the
 * confirmation of delivered configuration (repo_registration.c).  Its
 * failure costs only that record: the phone has its answer. */
static void
record_outcome(struct sip *s, const struct reg_event *ev)
{
	struct app_err err = { 0 };
	long confirmed;

	if (!repo_registration_record(s->db, ev, &confirmed, &err))
		log_msg(LOG_WARN, "sip: registration state of %s not recorded: %s", ev->phone_uuid,
			err.msg);
	else if (confirmed > 0)
		log_msg(LOG_INFO, "sip: %s confirmed %ld delivered NOTIFY(s) by a new registration",
			ev->phone_uuid, confirmed);
}

static int
on_register(struct sip *s, nta_incoming_t *irq, sip_t const *sip)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	tport_t *tp = nta_incoming_transport(s->agent, irq, msg);
	su_addrinfo_t *ai = msg_addrinfo(msg);
	/* sofia names its protocols in lower case: "udp", "tcp", "tls". */
	const char *transport = tp ? tport_name(tp)->tpn_proto : "udp";
	char ip[64] = "", port[16] = "0";
	const char *user = sip->sip_to ? sip->sip_to->a_url->url_user : NULL;
	struct sip_phone ph = { .uuid = "" };
	struct app_err err = { 0 };
	struct contact_list contacts = { .len = 0 };
	const char *phrase;
	int rc;

	if (ai != NULL)
		getnameinfo(ai->ai_addr, (socklen_t) ai->ai_addrlen, ip, sizeof(ip), port,
			    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	if (sip->sip_require != NULL) {
		rc = reply(irq, SIP_420_BAD_EXTENSION, SIPTAG_UNSUPPORTED(
				   (sip_unsupported_t const *) sip->sip_require), TAG_END());
	} else if (user == NULL || *user == '\0' || strlen(user) > 128) {
		rc = reply(irq, 400, "Bad Request: the To URI must name the phone or its digest user",
			   TAG_END());
	} else if (!repo_sip_phone(s->db, user, &ph, &err)) {
		if (err.code == APP_E_NOT_FOUND) {
			char text[200];

			snprintf(text, sizeof(text), "Not Found: unknown device %s", user);
			rc = reply(irq, 404, text, TAG_END());
		} else if (err.code == APP_E_RULE) {
			rc = reply(irq, 403, err.msg, TAG_END());
		} else {
			rc = unavailable(irq, &err);
		}
	} else if ((rc = sip_policy_check(&(struct sip_policy) {
			   .sip = ph.sip, .security_mode = ph.security_mode,
			   .transport_type = ph.transport_type }, transport, &phrase)) != 0) {
		rc = reply(irq, rc, phrase, TAG_END());
	} else if ((!ph.digest || (rc = authenticate(s, irq, sip, &ph)) == 0) &&
		   (rc = update_bindings(s, irq, sip, &ph, tp, transport, ip,
					 (unsigned) atoi(port))) == 0) {
		if (!repo_sip_bindings(s->db, ph.uuid, add_contact, &contacts, &err))
			rc = unavailable(irq, &err);
		else
			rc = reply(irq, SIP_200_OK,
				   TAG_IF(contacts.len > 0, SIPTAG_CONTACT_STR(contacts.text)),
				   SIPTAG_DATE(sip_date_create(msg_home(msg), sip_now())), TAG_END());
		log_msg(LOG_DEBUG, "sip: REGISTER %s as %s over %s from %s:%s", user, ph.name,
			transport, ip, port);
	}
	if (ph.uuid[0] != '\0')
		record_outcome(s, &(struct reg_event) {
			.phone_uuid = ph.uuid, .status = rc, .bound = contacts.len > 0,
			.call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "",
			.source_ip = ip, .node = s->node });
	metrics_register(rc);
	if (tp != NULL)
		tport_unref(tp);
	msg_destroy(msg);
	return rc;
}

static int
on_request(struct sip *s, nta_leg_t *leg, nta_incoming_t *irq, sip_t const *sip)
{
	(void) leg;
	switch (sip->sip_request->rq_method) {
	case sip_method_register:
		return on_register(s, irq, sip);
	case sip_method_options:
		return reply(irq, SIP_200_OK, SIPTAG_ALLOW_STR("REGISTER, OPTIONS"), TAG_END());
	default:
		return reply(irq, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR("REGISTER, OPTIONS"),
			     TAG_END());
	}
}

/* --- the sender ----------------------------------------------------------- */

static void
notify_unlink(struct notify *n)
{
	struct sip *s = n->sip;

	if (n->prev)
		n->prev->next = n->next;
	else
		s->inflight = n->next;
	if (n->next)
		n->next->prev = n->prev;
	s->ninflight--;
}

static void claim_due(struct sip *s);

static void
flush_results(struct sip *s)
{
	struct app_err err = { 0 };

	if (s->nresults == 0)
		return;
	if (!repo_sip_results(s->db, s->results, s->nresults, (int) s->cfg->notify_attempts, &err))
		/* The rows stay 'sending' and come back after their lock. */
		log_msg(LOG_WARN, "sip: cannot record %d NOTIFY results: %s", s->nresults, err.msg);
	s->nresults = 0;
}

static void
on_flush(struct sip *s, su_timer_t *t, struct sip *arg)
{
	(void) t;
	(void) arg;
	s->flush_armed = false;
	flush_results(s);
	claim_due(s);   /* the window has room again */
}

static void
record(struct sip *s, long long id, int attempts, int status, const char *phrase)
{
	struct sip_result *r;

	if (s->nresults == SIP_RESULTS_MAX)
		flush_results(s);
	r = &s->results[s->nresults++];
	r->id = id;
	r->status = status;
	snprintf(r->phrase, sizeof(r->phrase), "%s", phrase ? phrase : "");
	r->retryable = sip_status_retryable(status);
	r->retry_after = sip_backoff(s->cfg->notify_retry, attempts);
	/* The same decision repo_sip_results() records. */
	metrics_notify(status >= 200 && status < 300 ? METRICS_NOTIFY_DELIVERED :
		       r->retryable && attempts < s->cfg->notify_attempts ?
		       METRICS_NOTIFY_RETRIED : METRICS_NOTIFY_FAILED);
	if (!s->flush_armed && su_timer_set(s->flush, on_flush, s) == 0)
		s->flush_armed = true;
	else if (!s->flush_armed)
		flush_results(s);
}

static int
on_answer(struct notify *n, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
	const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : "no answer";

	if (status < 200)
		return 0;
	record(n->sip, n->id, n->attempts, status, phrase);
	notify_unlink(n);
	nta_outgoing_destroy(orq);
	free(n);
	return 0;
}

static void
send_job(void *ctx, struct sip_job *job)
{
	struct sip *s = ctx;
	struct sip_notify_text t;
	struct app_err err = { 0 };
	char route[160], from[160];
	struct tport_entry *e = NULL;
	struct notify *n;
	bool v6 = strchr(job->source_ip, ':') != NULL;
	const url_t *self = nta_agent_contact(s->agent)->m_url;

	if (job->registration_id == 0) {
		if (!repo_sip_unreachable(s->db, job->id, "no longer registered", &err))
			log_msg(LOG_WARN, "sip: %s", err.msg);
		metrics_notify(METRICS_NOTIFY_UNREACHABLE);
		return;
	}
	if (!sip_notify_text(job->event, job->action, job->call_id, job->config_version, &t) ||
	    (n = calloc(1, sizeof(*n))) == NULL) {
		record(s, job->id, job->attempts, 500, "cannot build the NOTIFY");
		return;
	}
	if (strcmp(job->transport, "udp") != 0)
		e = *tport_slot(s, job->registration_id);
	/* To the packet's source (NAT), over the transport the phone used. */
	snprintf(route, sizeof(route), "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", job->source_ip,
		 v6 ? "]" : "", job->source_port, job->transport);
	snprintf(from, sizeof(from), "<sip:%s>", self->url_host);
	n->sip = s;
	n->id = job->id;
	n->attempts = job->attempts;
	n->orq = nta_outgoing_tcreate(s->leg, on_answer, n, URL_STRING_MAKE(route),
				      SIP_METHOD_NOTIFY, URL_STRING_MAKE(job->contact),
				      SIPTAG_FROM_STR(from),
				      SIPTAG_TO_STR(job->aor),
				      SIPTAG_CALL_ID_STR(job->call_id),
				      SIPTAG_EVENT_STR(t.event),
				      SIPTAG_SUBSCRIPTION_STATE_STR(t.subscription_state),
				      SIPTAG_USER_AGENT_STR(USER_AGENT),
				      TAG_IF(t.body[0], SIPTAG_CONTENT_TYPE_STR("text/plain")),
				      TAG_IF(t.body[0], SIPTAG_PAYLOAD_STR(t.body)),
				      TAG_IF(e != NULL, NTATAG_TPORT(e ? e->tport : NULL)),
				      TAG_END());
	if (n->orq == NULL) {
		free(n);
		record(s, job->id, job->attempts, 503, "cannot send the NOTIFY");
		return;
	}
	n->next = s->inflight;
	if (s->inflight)
		s->inflight->prev = n;
	s->inflight = n;
	s->ninflight++;
}

static void
claim_due(struct sip *s)
{
	struct app_err err = { 0 };
	/* A row stays locked for longer than its transaction can last. */
	long lock = (long) (64 * s->cfg->sip_t1 / 1000) + 10;
	int claimed;

	do {
		int room = WINDOW - s->ninflight;

		if (room <= 0)
			return;
		if (!repo_sip_claim(s->db, s->node, room, lock, send_job, s, &claimed, &err)) {
			log_msg(LOG_WARN, "sip: claiming NOTIFYs: %s", err.msg);
			return;
		}
		if (claimed == room)
			continue;
		return;
	} while (true);
}

/* --- the event loop ------------------------------------------------------- */

static int
on_listen(struct sip *s, su_wait_t *w, struct sip *arg)
{
	bool woken = false;

	(void) w;
	(void) arg;
	if (!repo_sip_listen_poll(s->listener, s->node, &woken)) {
		log_msg(LOG_WARN, "sip: LISTEN connection lost; polling until it is back");
		su_root_unregister(s->root, s->listen_wait, on_listen, s);
		su_wait_destroy(s->listen_wait);
		repo_sip_listen_close(s->listener);
		s->listener = NULL;
	}
	if (woken)
		claim_due(s);
	return 0;
}

static void
listen_open(struct sip *s)
{
	struct app_err err = { 0 };

	s->listener = repo_sip_listen(s->cfg->database_url, &err);
	if (s->listener == NULL)
		return;
	if (su_wait_create(s->listen_wait, repo_sip_listen_fd(s->listener), SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, s->listen_wait, on_listen, s, 0) < 0) {
		repo_sip_listen_close(s->listener);
		s->listener = NULL;
	}
}

static void
on_tick(struct sip *s, su_timer_t *t, struct sip *arg)
{
	struct app_err err = { 0 };

	(void) t;
	(void) arg;
	s->ticks++;
	if (s->listener == NULL && s->ticks % 10 == 0)
		listen_open(s);
	if (s->ticks % JANITOR_TICKS == 0 && !repo_sip_expire(s->db, tport_forget, s, &err))
		log_msg(LOG_WARN, "sip: expiring bindings: %s", err.msg);
	/* Retries fall due by time, and wake-ups are lost while LISTEN is down. */
	claim_due(s);
}

static int
on_stop(struct sip *s, su_wait_t *w, struct sip *arg)
{
	(void) w;
	(void) arg;
	su_root_break(s->root);
	return 0;
}

static void
started(struct sip *s, int state)
{
	pthread_mutex_lock(&s->lock);
	s->state = state;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static bool
setup(struct sip *s)
{
	char url[160];
	const char *colon = strrchr(s->cfg->sip_listen, ':');

	if (colon == NULL) {
		app_err_set(&s->err, APP_E_INVALID_VALUE, "sip_listen",
			    "sip_listen must be address:port, not %s", s->cfg->sip_listen);
		return false;
	}
	snprintf(url, sizeof(url), "sip:%s", s->cfg->sip_listen);
	s->db = db_open(s->cfg->database_url);
	if (s->db == NULL || !repo_sip_secret(s->db, s->secret, sizeof(s->secret), &s->err) ||
	    !repo_sip_release(s->db, s->node, &s->err))
		return false;
	s->root = su_root_create(s);
	if (s->root == NULL) {
		app_err_set(&s->err, APP_E_INTERNAL, NULL, "sip: cannot create the event loop");
		return false;
	}
	s->agent = nta_agent_create(s->root, URL_STRING_MAKE(url), NULL, NULL,
				    NTATAG_SERVER_RPORT(1), NTATAG_TCP_RPORT(1),
				    NTATAG_SIP_T1((unsigned) s->cfg->sip_t1),
				    NTATAG_SIP_T1X64((unsigned) (64 * s->cfg->sip_t1)),
				    NTATAG_UA(0),
				    /* No STUN on the SIP port: sofia's STUN
				     * mini-server leaks each error answer it
				     * sends, so any datagram could grow us. */
				    TPTAG_STUN_SERVER(0),
				    /* Room for a burst of answers while this thread
				     * waits on PostgreSQL (capped by rmem_max). */
				    TPTAG_UDP_RMEM(4 << 20), TAG_END());
	if (s->agent == NULL) {
		app_err_set(&s->err, APP_E_INVALID_VALUE, "sip_listen",
			    "cannot listen for SIP on %s (UDP and TCP): %s", s->cfg->sip_listen,
			    strerror(errno));
		return false;
	}
	s->leg = nta_leg_tcreate(s->agent, on_request, s, NTATAG_NO_DIALOG(1), TAG_END());
	s->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	s->flush = su_timer_create(su_root_task(s->root), FLUSH_MS);
	if (s->leg == NULL || s->tick == NULL || s->flush == NULL ||
	    su_timer_run(s->tick, on_tick, s) < 0 ||
	    su_wait_create(s->stop_wait, s->stop_fd, SU_WAIT_IN) != 0 ||
	    su_root_register(s->root, s->stop_wait, on_stop, s, 0) < 0) {
		app_err_set(&s->err, APP_E_INTERNAL, NULL, "sip: cannot set up the event loop");
		return false;
	}
	listen_open(s);
	return true;
}

static void
teardown(struct sip *s)
{
	if (s->db != NULL)
		flush_results(s);
	while (s->inflight != NULL) {
		struct notify *n = s->inflight;

		notify_unlink(n);
		nta_outgoing_destroy(n->orq);
		free(n);
	}
	for (int i = 0; i < TPORT_BUCKETS; i++)
		while (s->tports[i] != NULL)
			tport_forget(s, s->tports[i]->registration_id);
	if (s->listener != NULL) {
		su_root_unregister(s->root, s->listen_wait, on_listen, s);
		su_wait_destroy(s->listen_wait);
		repo_sip_listen_close(s->listener);
	}
	if (s->tick != NULL)
		su_timer_destroy(s->tick);
	if (s->flush != NULL)
		su_timer_destroy(s->flush);
	if (s->leg != NULL)
		nta_leg_destroy(s->leg);
	if (s->agent != NULL)
		nta_agent_destroy(s->agent);
	if (s->root != NULL) {
		su_root_unregister(s->root, s->stop_wait, on_stop, s);
		su_root_destroy(s->root);
	}
	db_close(s->db);
}

static void *
run(void *arg)
{
	struct sip *s = arg;
	bool ok;

	su_init();
	ok = setup(s);
	if (ok) {
		log_msg(LOG_INFO, "sip: registrar on %s (udp, tcp), node %s", s->cfg->sip_listen,
			s->node);
		started(s, 1);
		claim_due(s);   /* what an earlier run of this node left queued */
		su_root_run(s->root);
	}
	teardown(s);
	su_deinit();
	if (!ok)
		started(s, -1);
	return NULL;
}

/* What sip_start() made besides the thread. */
static void
sip_free(struct sip *s)
{
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

struct sip *
sip_start(const struct config *cfg, struct app_err *err)
{
	struct sip *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	if (cfg->sip_node[0])
		snprintf(s->node, sizeof(s->node), "%s", cfg->sip_node);
	else if (gethostname(s->node, sizeof(s->node)) != 0)
		snprintf(s->node, sizeof(s->node), "axlprov");
	s->node[sizeof(s->node) - 1] = '\0';
	/* sofia-sip logs through su_log; ours says what matters. */
	su_log_soft_set_level(su_log_default, 0);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (s->stop_fd < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
		app_err_set(err, APP_E_INTERNAL, NULL, "cannot start the SIP thread");
		sip_free(s);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	while (s->state == 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->state < 0) {
		*err = s->err;
		pthread_join(s->thread, NULL);
		sip_free(s);
		return NULL;
	}
	return s;
}

void
sip_stop(struct sip *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_msg(LOG_WARN, "sip: cannot signal the SIP thread to stop");
	pthread_join(s->thread, NULL);
	sip_free(s);
}
