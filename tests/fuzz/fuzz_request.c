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
 * discarded.  An input whose first request line names a path under
 * /.well-known/est/ is served as a connection of the EST listener (est.c),
 * with a CAPF CA made at start; without TLS, so no client certificate.
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soapH.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth.h"
#include "capf.h"
#include "config.h"
#include "est.h"
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
static struct capf_trust *trust;
static struct soap *tmpl;
static struct worker w;
/* FUZZ_ECHO=1 in the environment: responses go to stderr (to check that
 * seeds get real answers, not faults). */
static bool echo;

/* A throwaway CAPF CA (EC P-256, a day) in files under /tmp, for est_init. */
static void
make_ca(void)
{
	char kpath[] = "/tmp/fuzz-capf-key-XXXXXX", cpath[] = "/tmp/fuzz-capf-crt-XXXXXX";
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	int kfd = mkstemp(kpath), cfd = mkstemp(cpath);
	FILE *kf = kfd >= 0 ? fdopen(kfd, "w") : NULL, *cf = cfd >= 0 ? fdopen(cfd, "w") : NULL;
	X509V3_CTX v3;
	X509_EXTENSION *bc, *ski;

	if (k == NULL || x == NULL || kf == NULL || cf == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *) "fuzz CAPF", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	ski = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
	if (bc == NULL || ski == NULL || !X509_add_ext(x, bc, -1) || !X509_add_ext(x, ski, -1) ||
	    !X509_sign(x, k, EVP_sha256()) ||
	    !PEM_write_PrivateKey(kf, k, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(cf, x))
		abort();
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(ski);
	fclose(kf);
	fclose(cf);
	X509_free(x);
	EVP_PKEY_free(k);
	snprintf(cfg.capf_cert, sizeof(cfg.capf_cert), "%s", cpath);
	snprintf(cfg.capf_key, sizeof(cfg.capf_key), "%s", kpath);
}

static void
setup_est(void)
{
	struct app_err err = { 0 };

	make_ca();
	cfg.capf_rate_limit = 0; /* clock-dependent, like the back-off */
	trust = capf_trust_load(&cfg, true, &err);
	if (trust == NULL || !est_init(&cfg, trust, &err)) {
		fprintf(stderr, "fuzz_request: EST: %s\n", err.msg);
		abort();
	}
	unlink(cfg.capf_cert);
	unlink(cfg.capf_key);
}

/* Which listener the input's connection came to: EST when the first
 * request line's path is under /.well-known/est/. */
static enum request_site
site_of(const uint8_t *data, size_t size)
{
	static const char est[] = " /.well-known/est/";
	const uint8_t *eol = memchr(data, '\n', size < 256 ? size : 256);
	size_t line = eol ? (size_t) (eol - data) : (size < 256 ? size : 256);

	return memmem(data, line, est, sizeof(est) - 1) != NULL ? SITE_EST : SITE_AXL;
}

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
	setup_est();
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
	server_serve_fd(&w, sv[1], site_of(data, size));
	pthread_join(reader, NULL);
	close(sv[0]);
	return 0;
}
