/*
 * bench/pool.c: the serving shape of the read limits (see pool.h).
 *
 * Shape (as axlprovd's gSOAP use, without its I/O thread): one thread
 * accepts per listener and queues the sockets; a fixed pool of workers,
 * each with its own soap_copy() and PostgreSQL connection, serves one
 * connection at a time with keep-alive until the client closes it, calling
 * soap_destroy() and soap_end() after every request.  A keep-alive client
 * holds its worker, so the pool must be at least as large as the number of
 * connections.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "pool.h"

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

static const char *server_name = "pool";
static const char *database_url = "dbname=axlprov";
static const char *get_sql;

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

PGresult *
pool_get(struct soap *soap, const char *param)
{
	PGconn *pg = soap->user;
	PGresult *r = PQexecPrepared(pg, "get", 1, &param, NULL, NULL, 0);

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	fprintf(stderr, "%s: %s", server_name, PQerrorMessage(pg));
	PQclear(r);
	if (PQstatus(pg) != CONNECTION_OK)
		PQreset(pg);
	soap_receiver_fault(soap, "database error", NULL);
	return NULL;
}

char *
pool_braced_uuid(struct soap *soap, const char *uuid)
{
	char *s = soap_malloc(soap, 40);

	snprintf(s, 40, "{%s}", uuid);
	for (char *c = s; *c; c++)
		*c = (char) toupper((unsigned char) *c);
	return s;
}

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

static PGconn *
connect_and_prepare(void)
{
	PGconn *pg = PQconnectdb(database_url);
	PGresult *r;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "%s: cannot connect: %s", server_name, PQerrorMessage(pg));
		exit(1);
	}
	r = PQprepare(pg, "get", get_sql, 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: cannot prepare: %s", server_name, PQerrorMessage(pg));
		exit(1);
	}
	PQclear(r);
	return pg;
}

static void *
worker_main(void *arg)
{
	struct soap *t = arg;

	t->user = connect_and_prepare();
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

/* As axlprovd sets up its context: TLS 1.2 and 1.3, chain + key from PEM. */
static int
tls_setup(struct soap *tmpl, const char *cert)
{
	SSL_CTX *ctx;

	soap_ssl_init();
	if (soap_ssl_server_context(tmpl, SOAP_SSL_NO_AUTHENTICATION | SOAP_TLSv1_2 | SOAP_TLSv1_3,
				    NULL, NULL, NULL, NULL, NULL, NULL, NULL)) {
		soap_print_fault(tmpl, stderr);
		return -1;
	}
	ctx = tmpl->ctx;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		fprintf(stderr, "%s: cannot load %s\n", server_name, cert);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	return 0;
}

struct options {
	int port, tls_port, workers;
	const char *cert;
};

static int
parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options) { 0, 0, 72, NULL };
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v != NULL && !strcmp(argv[i], "--database-url"))
			database_url = v;
		else if (v != NULL && !strcmp(argv[i], "--port"))
			o->port = atoi(v);
		else if (v != NULL && !strcmp(argv[i], "--tls-port"))
			o->tls_port = atoi(v);
		else if (v != NULL && !strcmp(argv[i], "--tls-cert"))
			o->cert = v;
		else if (v != NULL && !strcmp(argv[i], "--workers"))
			o->workers = atoi(v);
		else {
			fprintf(stderr, "%s: unknown option or missing value: %s\n", server_name, argv[i]);
			return -1;
		}
	}
	if (o->port <= 0 || o->workers <= 0 || (o->tls_port > 0 && o->cert == NULL)) {
		fprintf(stderr, "usage: %s --database-url CONNINFO --port PORT"
			" [--tls-port PORT --tls-cert PEM] [--workers N]\n", server_name);
		return -1;
	}
	return 0;
}

static int
start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	if (pthread_create(&th, NULL, fn, arg) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

int
pool_main(const char *name, const char *sql, int argc, char **argv)
{
	struct options o;
	struct soap *tmpl;
	struct listener *plain, *tls = NULL;

	server_name = name;
	get_sql = sql;
	if (parse_options(argc, argv, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	tmpl = soap_new1(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING);
	if (o.tls_port > 0 && tls_setup(tmpl, o.cert))
		return 1;
	plain = listen_on(tmpl, o.port, 0);
	if (o.tls_port > 0)
		tls = listen_on(tmpl, o.tls_port, 1);
	for (int i = 0; i < o.workers; i++) {
		struct soap *t = soap_copy(tmpl);

		if (t == NULL || start_thread(worker_main, t)) {
			fprintf(stderr, "%s: cannot start worker %d\n", name, i);
			return 1;
		}
	}
	if (tls != NULL && start_thread(accept_main, tls)) {
		fprintf(stderr, "%s: cannot start the TLS listener\n", name);
		return 1;
	}
	fprintf(stderr, "%s: %d workers, http 127.0.0.1:%d%s\n", name, o.workers, o.port,
		o.tls_port > 0 ? ", https too" : "");
	accept_main(plain);
	return 0;
}
