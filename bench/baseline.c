/*
 * bench/baseline.c: the read "physical limit" for `make bench`.
 *
 * A bare gSOAP server built from the same generated stubs (generated/), the
 * same compiler flags and the same gsoapssl flags as axlprovd.  It serves
 * getPhoneSecurityProfile by name with one prepared SELECT per request on
 * the worker's own libpq connection, and lets gSOAP's generated code parse
 * the request and serialize the answer.  No authentication, no validation,
 * no AXL-exact envelope, no logging: only what no AXL server can avoid.
 *
 * Shape (gsoap-notes.md 5.2, perf-notes.md): one thread accepts per
 * listener and queues the sockets; a fixed pool of workers, each with its
 * own soap_copy() and PostgreSQL connection, serves one connection at a
 * time with keep-alive until the client closes it, calling soap_destroy()
 * and soap_end() after every request.  A keep-alive client holds its worker,
 * so the pool must be at least as large as the number of connections.
 *
 *   baseline --database-url CONNINFO --port PORT [--tls-port PORT --tls-cert PEM]
 *            [--workers N]
 *
 * Every other operation of the WSDL answers SOAP_NO_METHOD.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/ssl.h>

#include "soapH.h"

/* Our own table, as axlprovd has: the AXL row takes every version. */
SOAP_NMAC struct Namespace namespaces[] = {
	{ "SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/",
	  "http://www.w3.org/*/soap-envelope", NULL },
	{ "SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/",
	  "http://www.w3.org/*/soap-encoding", NULL },
	{ "xsi", "http://www.w3.org/2001/XMLSchema-instance",
	  "http://www.w3.org/*/XMLSchema-instance", NULL },
	{ "xsd", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/*/XMLSchema", NULL },
	{ "svc", "http://www.cisco.com/AXLAPIService/", NULL, NULL },
	{ "ns", "http://www.cisco.com/AXL/API/14.0", "http://www.cisco.com/AXL/API/*", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* The same select list as axlprovd's repo_profile.c: every column as text. */
static const char SQL_GET[] =
	"SELECT pkid::text, is_standard::text, phone_type::text, protocol::text, name::text,"
	" description::text, device_security_mode::text, authentication_mode::text,"
	" key_size::text, key_order::text, ec_key_size::text, tftp_encrypted_config::text,"
	" enable_oauth::text, nonce_validity_time::text, transport_type::text,"
	" sip_phone_port::text, enable_digest::text, exclude_digest_credentials::text"
	" FROM phone_security_profile WHERE name = $1";

#define QUEUE_CAP 4096

struct job {
	SOAP_SOCKET fd;
	int tls;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct job q[QUEUE_CAP];
	int head, len;
} queue = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { 0, 0 } }, 0, 0 };

static const char *database_url = "dbname=axlprov";

static void
push(SOAP_SOCKET fd, int tls)
{
	pthread_mutex_lock(&queue.lock);
	if (queue.len == QUEUE_CAP) {
		pthread_mutex_unlock(&queue.lock);
		close(fd);
		return;
	}
	queue.q[(queue.head + queue.len) % QUEUE_CAP] = (struct job) { fd, tls };
	queue.len++;
	pthread_cond_signal(&queue.nonempty);
	pthread_mutex_unlock(&queue.lock);
}

static struct job
pop(void)
{
	struct job j;

	pthread_mutex_lock(&queue.lock);
	while (queue.len == 0)
		pthread_cond_wait(&queue.nonempty, &queue.lock);
	j = queue.q[queue.head];
	queue.head = (queue.head + 1) % QUEUE_CAP;
	queue.len--;
	pthread_mutex_unlock(&queue.lock);
	return j;
}

/* --- the one operation ---------------------------------------------------- */

static char *
col(struct soap *soap, PGresult *res, int c)
{
	return soap_strdup(soap, PQgetvalue(res, 0, c));
}

int
__svc__getPhoneSecurityProfile(struct soap *soap, struct ns__GetPhoneSecurityProfileReq *req,
			       struct ns__GetPhoneSecurityProfileRes *res)
{
	PGconn *pg = soap->user;
	const char *name;
	struct ns__RPhoneSecurityProfile *p;
	PGresult *r;
	char *uuid;

	soap->header = NULL;
	if (req->__union_GetPhoneSecurityProfileReq != SOAP_UNION__ns__union_GetPhoneSecurityProfileReq_name)
		return soap_sender_fault(soap, "only get by name is served here", NULL);
	name = req->union_GetPhoneSecurityProfileReq.name;
	r = PQexecPrepared(pg, "get", 1, &name, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "baseline: %s", PQerrorMessage(pg));
		PQclear(r);
		if (PQstatus(pg) != CONNECTION_OK)
			PQreset(pg);
		return soap_receiver_fault(soap, "database error", NULL);
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return soap_sender_fault(soap, "The specified Phone Security Profile was not found", NULL);
	}
	p = soap_malloc(soap, sizeof(*p));
	soap_default_ns__RPhoneSecurityProfile(soap, p);
	/* {UPPER-CASE} uuid, as AXL prints it. */
	uuid = soap_malloc(soap, 40);
	snprintf(uuid, 40, "{%s}", PQgetvalue(r, 0, 0));
	for (char *c = uuid; *c; c++)
		*c = (char) toupper((unsigned char) *c);
	p->uuid = uuid;
	p->phoneType = col(soap, r, 2);
	p->protocol = col(soap, r, 3);
	p->name = col(soap, r, 4);
	p->description = col(soap, r, 5);
	p->deviceSecurityMode = col(soap, r, 6);
	p->authenticationMode = col(soap, r, 7);
	p->keySize = col(soap, r, 8);
	p->keyOrder = col(soap, r, 9);
	p->ecKeySize = col(soap, r, 10);
	p->tftpEncryptedConfig = col(soap, r, 11);
	p->EnableOAuthAuthentication = col(soap, r, 12);
	p->nonceValidityTime = col(soap, r, 13);
	p->transportType = col(soap, r, 14);
	p->sipPhonePort = col(soap, r, 15);
	p->enableDigestAuthentication = col(soap, r, 16);
	p->excludeDigestCredentials = col(soap, r, 17);
	PQclear(r);
	res->return_.phoneSecurityProfile = p;
	res->sequence = req->sequence;
	return SOAP_OK;
}

/* --- everything else the generated soapServer.c dispatches to --------------- */

#define NO_METHOD(op, req_t, res_t)                                             \
	int __svc__##op(struct soap *soap, struct req_t *req, struct res_t *res) \
	{                                                                       \
		(void) soap;                                                    \
		(void) req;                                                     \
		(void) res;                                                     \
		return SOAP_NO_METHOD;                                          \
	}

NO_METHOD(addPhoneSecurityProfile, ns__AddPhoneSecurityProfileReq, ns__StandardResponse)
NO_METHOD(updatePhoneSecurityProfile, ns__UpdatePhoneSecurityProfileReq, ns__StandardResponse)
NO_METHOD(removePhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(listPhoneSecurityProfile, ns__ListPhoneSecurityProfileReq, ns__ListPhoneSecurityProfileRes)
NO_METHOD(addPhone, ns__AddPhoneReq, ns__StandardResponse)
NO_METHOD(updatePhone, ns__UpdatePhoneReq, ns__StandardResponse)
NO_METHOD(getPhone, ns__GetPhoneReq, ns__GetPhoneRes)
NO_METHOD(removePhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(listPhone, ns__ListPhoneReq, ns__ListPhoneRes)
NO_METHOD(addUser, ns__AddUserReq, ns__StandardResponse)
NO_METHOD(updateUser, ns__UpdateUserReq, ns__StandardResponse)
NO_METHOD(getUser, ns__GetUserReq, ns__GetUserRes)
NO_METHOD(removeUser, ns__RemoveUserReq, ns__StandardResponse)
NO_METHOD(applyPhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(resetPhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(applyPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(resetPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(restartPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(getCCMVersion, ns__GetCCMVersionReq, ns__GetCCMVersionRes)
NO_METHOD(doDeviceReset, ns__DoDeviceResetReq, ns__StandardResponse)
NO_METHOD(listRegistrationDynamic, ns__ListRegistrationDynamicReq, ns__ListRegistrationDynamicRes)
NO_METHOD(executeSQLQuery, ns__ExecuteSQLQueryReq, ns__ExecuteSQLQueryRes)
NO_METHOD(executeSQLUpdate, ns__ExecuteSQLQueryReq, ns__ExecuteSQLUpdateRes)
NO_METHOD(executeSQLQueryInactive, ns__ExecuteSQLQueryReq, ns__ExecuteSQLQueryRes)

/* --- serving ----------------------------------------------------------------- */

/* The generated soap_serve() loop, with soap_destroy()/soap_end() after each
 * request so that a kept-alive connection does not grow the arena. */
static void
serve(struct soap *t)
{
	t->max_keep_alive = 0;  /* no request limit on a connection */
	t->keep_alive = 1;
	do {
		if (soap_begin_serve(t)) {
			if (t->error >= SOAP_STOP) {
				soap_destroy(t);
				soap_end(t);
				continue;
			}
			break;
		}
		if (soap_serve_request(t) && t->error && t->error < SOAP_STOP) {
			soap_send_fault(t);
			break;
		}
		soap_destroy(t);
		soap_end(t);
	} while (t->keep_alive);
	soap_destroy(t);
	soap_end(t);
	soap_force_closesock(t);
}

static void *
worker_main(void *arg)
{
	struct soap *t = arg;
	PGconn *pg = PQconnectdb(database_url);
	PGresult *r;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "baseline: cannot connect: %s", PQerrorMessage(pg));
		exit(1);
	}
	r = PQprepare(pg, "get", SQL_GET, 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "baseline: cannot prepare: %s", PQerrorMessage(pg));
		exit(1);
	}
	PQclear(r);
	t->user = pg;
	for (;;) {
		struct job j = pop();

		t->socket = j.fd;
		t->imode &= ~SOAP_ENC_SSL;
		t->omode &= ~SOAP_ENC_SSL;
		t->recv_timeout = 30;
		t->send_timeout = 30;
		if (j.tls && soap_ssl_accept(t) != SOAP_OK) {
			soap_force_closesock(t);
			continue;
		}
		serve(t);
	}
	return NULL;
}

struct listener {
	struct soap *soap;
	int tls;
};

static void *
accept_main(void *arg)
{
	struct listener *l = arg;

	for (;;) {
		SOAP_SOCKET fd = soap_accept(l->soap);

		if (!soap_valid_socket(fd)) {
			if (l->soap->errnum == EMFILE || l->soap->errnum == ENFILE)
				usleep(1000);
			continue;
		}
		/* soap_accept keeps the socket in the listener's context: the
		 * worker owns it now. */
		l->soap->socket = SOAP_INVALID_SOCKET;
		push(fd, l->tls);
	}
	return NULL;
}

static struct listener *
listen_on(struct soap *tmpl, int port, int tls)
{
	struct listener *l = calloc(1, sizeof(*l));

	l->soap = soap_copy(tmpl);
	l->soap->bind_flags = SO_REUSEADDR;
	l->tls = tls;
	if (!soap_valid_socket(soap_bind(l->soap, "127.0.0.1", port, 1024))) {
		soap_print_fault(l->soap, stderr);
		exit(1);
	}
	return l;
}

int
main(int argc, char **argv)
{
	int port = 0, tls_port = 0, workers = 72;
	const char *cert = NULL;
	struct soap *tmpl;
	struct listener *ls[2];
	int nl = 0;
	pthread_t th;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--database-url"))
			database_url = argv[i + 1];
		else if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tls-port"))
			tls_port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tls-cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--workers"))
			workers = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "baseline: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (port <= 0 || workers <= 0 || (tls_port > 0 && cert == NULL)) {
		fprintf(stderr, "usage: baseline --database-url CONNINFO --port PORT"
			" [--tls-port PORT --tls-cert PEM] [--workers N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	tmpl = soap_new1(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING);
	if (tls_port > 0) {
		SSL_CTX *ctx;

		soap_ssl_init();
		/* As axlprovd sets up its context: TLS 1.2 and 1.3, chain + key from PEM. */
		if (soap_ssl_server_context(tmpl, SOAP_SSL_NO_AUTHENTICATION | SOAP_TLSv1_2 |
					    SOAP_TLSv1_3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) {
			soap_print_fault(tmpl, stderr);
			return 1;
		}
		ctx = tmpl->ctx;
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			fprintf(stderr, "baseline: cannot load %s\n", cert);
			return 1;
		}
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	}
	ls[nl++] = listen_on(tmpl, port, 0);
	if (tls_port > 0)
		ls[nl++] = listen_on(tmpl, tls_port, 1);
	for (int i = 0; i < workers; i++) {
		struct soap *t = soap_copy(tmpl);

		if (t == NULL || pthread_create(&th, NULL, worker_main, t) != 0) {
			fprintf(stderr, "baseline: cannot start worker %d\n", i);
			return 1;
		}
		pthread_detach(th);
	}
	for (int i = 1; i < nl; i++) {
		pthread_create(&th, NULL, accept_main, ls[i]);
		pthread_detach(th);
	}
	fprintf(stderr, "baseline: %d workers, http 127.0.0.1:%d%s\n", workers, port,
		tls_port > 0 ? ", https too" : "");
	accept_main(ls[0]);
	return 0;
}
