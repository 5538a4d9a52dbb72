/*
 * fuzz_request.c: libFuzzer harness for the AXL request path.  Each input
 * is the raw bytes a client sends on one connection (one or more HTTP
 * requests).  They go into one end of a socketpair, and the other end is
 * served by the real connection loop (server_serve_fd) with a worker made
 * as the server makes its workers (request_worker_init): the request's
 * owner (request.c) with gSOAP's HTTP parser under the framing hooks
 * (path, size, the XML guard), Basic authentication, the generated
 * deserializers, routing, the role check, the adapters and the rules, over
 * the in-memory repositories of fake_repo.c.  Responses are read and
 * discarded.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soapH.h"

#include "auth.h"
#include "config.h"
#include "fake_repo.h"
#include "log.h"
#include "request.h"
#include "server.h"
#include "worker.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An input larger than this is cut: it must fit in the socket's buffer,
 * which is written before the worker starts reading. */
#define INPUT_MAX 65536

static struct config cfg;
static struct soap *tmpl;
static struct worker w;
/* FUZZ_ECHO=1 in the environment: responses go to stderr (to check that
 * seeds get real answers, not faults). */
static bool echo;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct app_err err = { 0 };
	int one = 1;
	char *args[] = { (char *) "fuzz_request", NULL };

	(void) argc;
	(void) argv;
	if (!config_load(&cfg, &one, args, &err)) {
		fprintf(stderr, "fuzz_request: %s\n", err.msg);
		abort();
	}
	/* Small limits, so that inputs of a few KB reach the 413 and depth
	 * paths too. */
	cfg.max_body = 16384;
	cfg.max_depth = 32;
	cfg.idle_timeout = 2;
	cfg.request_timeout = 2;
	/* The smallest response cap, so that executeSQLQuery's "too large" is
	 * reached by a short result (fake_repo.c's repo_sql_query). */
	cfg.max_response = 65536;
	echo = getenv("FUZZ_ECHO") != NULL;
	log_set_level(echo ? LOG_DEBUG : LOG_ERROR);
	/* No write throttle and no login back-off (their defaults): both
	 * depend on the clock, and a crash must reproduce from its input. */
	cfg.throttle_writes_per_second = 0;
	fake_repo_init();
	if (!auth_init((int) cfg.auth_cache_ttl) || !request_init(&cfg)) {
		fprintf(stderr, "fuzz_request: auth_init or request_init failed\n");
		abort();
	}
	/* As server_new makes the template and start_workers each worker. */
	tmpl = soap_new1(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING);
	if (tmpl == NULL || !request_worker_init(&w, 0, tmpl, &cfg))
		abort();
	return 0;
}


/* Reads the responses until the worker closes its end. */
static void *
drain(void *arg)
{
	int fd = *(int *) arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (echo)
			fwrite(buf, 1, (size_t) n, stderr);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], sndbuf = 4 * INPUT_MAX;
	size_t off = 0;
	pthread_t reader;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	fake_repo_reset();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (off < size) {
		ssize_t n = write(sv[0], data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t) n;
	}
	shutdown(sv[0], SHUT_WR);
	if (pthread_create(&reader, NULL, drain, &sv[0]) != 0)
		abort();
	server_serve_fd(&w, sv[1]);
	pthread_join(reader, NULL);
	close(sv[0]);
	return 0;
}
