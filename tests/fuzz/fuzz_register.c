/*
 * fuzz_register.c: libFuzzer harness for the SIP registrar.  Each input is
 * one datagram a phone sends.  The real registrar (sip_start: its thread,
 * sofia-sip's nta agent and parser, our REGISTER handling and digest
 * checks) runs on a loopback UDP port over the in-memory repositories of
 * fake_repo.c, which hold phones with and without digest authentication.
 *
 * A registrar is started per input: nta keeps a server transaction for 32
 * seconds and answers a request with the same branch, Call-ID and CSeq as
 * a retransmission, without calling us, so a long-lived agent would see
 * most mutations as retransmissions.  After the input, an OPTIONS is sent
 * from the same socket; nta handles datagrams in order on its one thread,
 * so its answer means the input has been handled, and the registrar is
 * stopped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fake_repo.h"
#include "log.h"
#include "sip.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The largest UDP payload over IPv4. */
#define DATAGRAM_MAX 65507
#define ANSWER_WAIT_MS 3000
#define SYNC_TRIES 5

static struct config cfg;
static int sock = -1;
static struct sockaddr_in registrar;
static unsigned long sentinel_seq;
static bool echo;   /* FUZZ_ECHO=1: answers go to stderr */

/* A port free for both UDP and TCP on 127.0.0.1 (the registrar binds both). */
static int
free_port(void)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
		int port = -1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *) &a, sizeof(a)) == 0 &&
		    getsockname(u, (struct sockaddr *) &a, &len) == 0 &&
		    bind(t, (struct sockaddr *) &a, sizeof(a)) == 0)
			port = ntohs(a.sin_port);
		close(u);
		close(t);
		if (port > 0)
			return port;
	}
	fprintf(stderr, "fuzz_register: no free port\n");
	abort();
}

static void
pick_port(void)
{
	int port = free_port();

	snprintf(cfg.sip_listen, sizeof(cfg.sip_listen), "127.0.0.1:%d", port);
	registrar.sin_family = AF_INET;
	registrar.sin_port = htons((uint16_t) port);
	registrar.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct app_err err = { 0 };
	int one = 1;
	char *args[] = { (char *) "fuzz_register", NULL };
	struct sockaddr_in self = { .sin_family = AF_INET };

	(void) argc;
	(void) argv;
	if (!config_load(&cfg, &one, args, &err)) {
		fprintf(stderr, "fuzz_register: %s\n", err.msg);
		abort();
	}
	echo = getenv("FUZZ_ECHO") != NULL;
	log_set_level(echo ? LOG_DEBUG : LOG_ERROR);
	snprintf(cfg.sip_node, sizeof(cfg.sip_node), "fuzz");
	fake_repo_init();
	pick_port();
	/* The phone's socket: 127.0.0.1:5062 in the seeds' Via and Contact is
	 * only text; answers come back here (rport). */
	self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *) &self, sizeof(self)) != 0) {
		perror("fuzz_register: socket");
		abort();
	}
	return 0;
}

static void
send_datagram(const void *data, size_t size)
{
	if (sendto(sock, data, size, 0, (const struct sockaddr *) &registrar,
		   sizeof(registrar)) < 0) {
		perror("fuzz_register: sendto");
		abort();
	}
}

/* Sends an OPTIONS and reads answers until its own: true when it came
 * within ANSWER_WAIT_MS. */
static bool
sync_once(void)
{
	char msg[512], call_id[64], buf[65536];
	struct sockaddr_in self;
	socklen_t len = sizeof(self);
	int n;

	getsockname(sock, (struct sockaddr *) &self, &len);
	snprintf(call_id, sizeof(call_id), "fuzz-sync-%lu", ++sentinel_seq);
	n = snprintf(msg, sizeof(msg),
		     "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%s;rport\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:fuzz@127.0.0.1>;tag=sync\r\n"
		     "To: <sip:127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n", ntohs(self.sin_port), call_id, call_id);
	send_datagram(msg, (size_t) n);
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, ANSWER_WAIT_MS) != 1)
			return false;
		got = recv(sock, buf, sizeof(buf) - 1, 0);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		if (echo)
			fprintf(stderr, "%s\n----\n", buf);
		/* Its own answer: the Call-ID line, not a mention elsewhere. */
		if (strstr(buf, "\nCall-ID: ") != NULL &&
		    strncmp(strstr(buf, "\nCall-ID: ") + 10, call_id, strlen(call_id)) == 0 &&
		    strchr("\r\n", strstr(buf, "\nCall-ID: ")[10 + strlen(call_id)]) != NULL)
			return true;
	}
}

/* UDP may drop a datagram on a loaded machine: a few tries before calling
 * the registrar stuck. */
static void
sync_with_registrar(void)
{
	for (int i = 0; i < SYNC_TRIES; i++)
		if (sync_once())
			return;
	fprintf(stderr, "fuzz_register: the registrar did not answer %d OPTIONS in %d s\n",
		SYNC_TRIES, SYNC_TRIES * ANSWER_WAIT_MS / 1000);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_err err = { 0 };
	struct sip *sip;

	if (size == 0)
		return 0;
	if (size > DATAGRAM_MAX)
		size = DATAGRAM_MAX;
	fake_repo_reset();
	/* The port can be briefly unusable after the last registrar (a TCP
	 * connection it opened to answer a TCP Via): then take another. */
	for (int i = 0; (sip = sip_start(&cfg, &err)) == NULL; i++) {
		if (i == 5) {
			fprintf(stderr, "fuzz_register: %s\n", err.msg);
			abort();
		}
		pick_port();
	}
	send_datagram(data, size);
	sync_with_registrar();
	sip_stop(sip);
	return 0;
}
