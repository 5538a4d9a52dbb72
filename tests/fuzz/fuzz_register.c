/*
 * fuzz_register.c: libFuzzer harness for the SIP registrar, in process.
 * Each input is what a phone's connection tells the registrar: three
 * control bytes (the transport, and what the TLS handshake learnt of the
 * phone's certificate), then one SIP message.  The message is parsed by
 * sofia-sip's own SIP parser, passed the checks nta makes before it calls
 * us (sip_sanity_check: a request line and the mandatory headers), and
 * handed to sip_registrar_handle() (the registrar's order of checks,
 * sip_admit's decision by profile and certificate, digest, bindings) over
 * the in-memory repositories of fake_repo.c.  No socket, thread or nta
 * transaction: tens of thousands of inputs a second instead of a loopback
 * round trip each.
 *
 * Control bytes:
 *   0: transport, "udp" "tcp" "tls" by value modulo 3
 *   1: the certificate (tls only): bits 0-1 kind (none, LSC, MIC,
 *      untrusted), bit 2 expired, bit 3 not yet valid, bit 4 its fingerprint
 *      is the one on record (FAKE_LSC_FINGERPRINT), bit 5 sip_accept_mic on,
 *      bit 6 the registrar decides on the facts it remembers from earlier
 *      inputs (sip_facts.h, four users at most, so entries replace each
 *      other), bit 7 (with bit 6) first on them alone, as the SIP thread
 *      does before it hands a REGISTER to a database thread (sip_pool.c)
 *   2: its CN, modulo 4: the To URI's user, "CP-8845-" + that user (a MIC's
 *      form), another phone's name, empty
 *
 * FUZZ_ECHO=1 writes each answer's status line to stderr (check_seeds.py).
 * What nta does below us (transactions, retransmissions, sockets, its
 * STUN server) is not reached here; tests/integration/test_sip_stun.py
 * replays the datagrams that once leaked there against a real server.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>

#include "config.h"
#include "db.h"
#include "fake_repo.h"
#include "log.h"
#include "sip_facts.h"
#include "repo_sip.h"
#include "sip_registrar.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONTROL 3
#define OTHER_PHONE "SEP0011223344AB"

static struct config cfg;
static struct db *db;
static bool echo;
static char secret[128];
static struct sip_facts *memory;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct app_err err = { 0 };
	int one = 1;
	char *args[] = { (char *) "fuzz_register", NULL };

	(void) argc;
	(void) argv;
	if (!config_load(&cfg, &one, args, &err)) {
		fprintf(stderr, "fuzz_register: %s\n", err.msg);
		abort();
	}
	echo = getenv("FUZZ_ECHO") != NULL;
	log_set_level(echo ? LOG_DEBUG : LOG_ERROR);
	fake_repo_init();
	db = db_open("");
	memory = sip_facts_new(4);
	sip_facts_reset(memory, true);
	if (db == NULL || memory == NULL || !repo_sip_secret(db, secret, sizeof(secret), &err))
		abort();
	return 0;
}

/* A binding is remembered with its connection: never one over UDP. */
static void
on_bound(void *ctx, long long id)
{
	const struct sip_peer *peer = ctx;

	if (id <= 0 || strcmp(peer->transport, "udp") == 0)
		abort();
}

static void
on_forget(void *ctx, long long id)
{
	(void) ctx;
	if (id <= 0)
		abort();
}

/* The certificate facts control bytes 1 and 2 describe, for a phone that
 * names itself `user`. */
static void
make_facts(uint8_t c1, uint8_t c2, const char *user, struct cert_facts *c)
{
	static const enum cert_kind kinds[] = { CERT_NONE, CERT_LSC, CERT_MIC, CERT_UNTRUSTED };

	memset(c, 0, sizeof(*c));
	c->kind = kinds[c1 & 3];
	c->expired = (c1 & 4) != 0;
	c->not_yet_valid = (c1 & 8) != 0;
	snprintf(c->fingerprint, sizeof(c->fingerprint), "%s",
		 (c1 & 16) ? FAKE_LSC_FINGERPRINT :
			     "0000000000000000000000000000000000000000000000000000000000000000");
	snprintf(c->serial, sizeof(c->serial), "%X", c1 * 256u + c2);
	c->not_after = 1900000000;
	switch (c2 % 4) {
	case 0:
		snprintf(c->cn, sizeof(c->cn), "%s", user);
		break;
	case 1:
		snprintf(c->cn, sizeof(c->cn), "CP-8845-%s", user);
		break;
	case 2:
		snprintf(c->cn, sizeof(c->cn), OTHER_PHONE);
		break;
	default:
		break;
	}
	if (c->kind == CERT_NONE)
		memset(c, 0, sizeof(*c));
}

/* What nta refuses before calling the registrar (nta.c, agent_recv_request). */
static bool
nta_would_pass(sip_t const *sip)
{
	return sip != NULL && sip->sip_request != NULL && !(sip->sip_flags & MSG_FLG_ERROR) &&
	       sip_sanity_check(sip) >= 0 && strcmp(sip->sip_request->rq_version, "SIP/2.0") == 0;
}

static void
echo_answer(const struct sip_answer *a)
{
	fprintf(stderr, "SIP/2.0 %d %s\r\n", a->status, a->phrase);
	if (a->www_authenticate[0])
		fprintf(stderr, "WWW-Authenticate: %s\r\n", a->www_authenticate);
	if (a->contact[0])
		fprintf(stderr, "Contact: %s\r\n", a->contact);
	fprintf(stderr, "\r\n----\n");
}

/* As sip_pool.c does: decided on the SIP thread on remembered facts alone
 * when they suffice (then written), else as a database thread would. */
static void
decide_first_in_memory(struct sip_registrar *r, sip_t const *sip, const struct sip_peer *peer,
		       struct sip_answer *a)
{
	struct sip_accepted acc = { .decided = 0 }, *one = &acc;
	enum sip_step step;

	r->memory_only = true;
	step = sip_registrar_decide(r, sip, peer, false, a, &acc);
	r->memory_only = false;
	if (step == SIP_NEEDS_DB) {
		sip_registrar_handle(r, sip, peer, a);
	} else if (step == SIP_TO_WRITE) {
		sip_registrar_write(r, &one, 1);
		if (acc.again && sip_registrar_decide(r, sip, peer, true, a, &acc) == SIP_TO_WRITE)
			sip_registrar_write(r, &one, 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const transports[] = { "udp", "tcp", "tls" };
	struct cert_facts facts;
	struct sip_answer a;
	msg_t *msg;
	sip_t const *sip;

	if (size <= CONTROL)
		return 0;
	fake_repo_reset();
	msg = msg_make(sip_default_mclass(), 0, data + CONTROL, (ssize_t) (size - CONTROL));
	sip = msg != NULL ? sip_object(msg) : NULL;
	if (nta_would_pass(sip)) {
		const char *user = sip->sip_to->a_url->url_user;
		struct sip_peer peer = {
			.transport = transports[data[0] % 3],
			.ip = "127.0.0.1",
			.port = 5062,
		};
		struct sip_registrar r = {
			.db = db,
			.secret = secret,
			.node = "fuzz",
			.accept_mic = (data[1] & 32) != 0,
			.facts = (data[1] & 64) ? memory : NULL,
			.bound = on_bound,
			.forget = on_forget,
			.ctx = &peer,
		};

		make_facts(data[1], data[2], user ? user : "", &facts);
		if (strcmp(peer.transport, "tls") == 0)
			peer.cert = &facts;
		if ((data[1] & 128) && r.facts != NULL)
			decide_first_in_memory(&r, sip, &peer, &a);
		else
			sip_registrar_handle(&r, sip, &peer, &a);
		if (a.status < 100 || a.status > 699)
			abort(); /* the answer must be a SIP status */
		if (echo)
			echo_answer(&a);
	}
	msg_destroy(msg);
	return 0;
}
