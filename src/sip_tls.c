/*
 * sip_tls.c: SIP over TLS (sip_tls_listen).  Owns the TLS listener, its
 * certificate (sip_tls_cert/sip_tls_key, else the HTTPS one) and the trust
 * phones' certificates are judged by (capf_trust_load: the CAPF CA and
 * mic_roots).
 *
 * Why not sofia-sip's own TLS transport: the one Debian ships (1.12.11)
 * gives the application no access to the peer's certificate (only its
 * subject names, and only once it verified the chain itself), so the LSC's
 * fingerprint cannot be compared with the one on record; it either asks
 * for no client certificate at all or fails the handshake on any chain
 * problem (no certificate, expired), so the phone never learns why; and it
 * cannot pin TLS 1.2-1.3 or reload its certificate.  So each connection is
 * terminated here with OpenSSL and its plaintext relayed over a loopback
 * TCP connection to nta's TCP transport, in the same event loop.  The
 * relay's local port names the TLS connection: sip.c asks sip_tls_peer()
 * for the phone's real address and certificate, and a NOTIFY sent down the
 * relay's nta connection reaches the phone encrypted.  nta drops a request
 * whose top Via names another transport than the one it came over, so the
 * relay frames the stream (headers, Content-Length) and swaps "TLS" and
 * "TCP" in each message's top Via, the same length either way: TCP towards
 * nta, TLS towards the phone.
 *
 * Every client is asked for a certificate and every certificate passes the
 * handshake: the registrar refuses with a 403 that says why.
 */
#define _GNU_SOURCE /* accept4 */
#define SU_WAKEUP_ARG_T struct relay
struct relay;

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "sip_priv.h"
#include "tls.h"

#define RELAY_BUF 16384
#define PORTS 65536
/* A connection that has not finished its handshake by then is closed:
 * otherwise idle connections would hold descriptors for ever. */
#define HANDSHAKE_SECONDS 10

struct relay {
	struct sip_tls *t;
	SSL *ssl;
	int cfd, ufd; /* the phone's TLS connection; ours to nta */
	su_wait_t cwait[1], uwait[1];
	int cidx, uidx; /* su_root registrations, 0 = none */
	bool handshaken, want_write;
	time_t born;
	unsigned relay_port; /* ufd's local port: what nta sees */
	char relay_ip[64];
	char ip[64]; /* the phone */
	unsigned port;
	struct cert_facts cert;
	size_t uplen, downlen;
	size_t up_ready, down_ready; /* framed, Via rewritten: may be passed on */
	size_t up_body, down_body;   /* body bytes of the current message still to come */
	char up[RELAY_BUF];          /* decrypted from the phone, for nta */
	char down[RELAY_BUF];        /* from nta, for the phone */
	struct relay *prev, *next;
};

struct sip_tls {
	struct sip *s;
	struct tls *tls; /* the server certificate (tls.c) */
	struct capf_trust *trust;
	int lfd;
	su_wait_t lwait[1];
	int lidx;
	struct sockaddr_storage nta; /* nta's TCP transport, to relay to */
	socklen_t nta_len;
	struct relay *all;
	struct relay *by_port[PORTS];
};

/* The settings tls.c builds a context from: sip_tls_cert, else the HTTPS
 * certificate(s) as they are. */
static void
tls_settings(const struct config *cfg, struct config *out)
{
	*out = *cfg;
	if (cfg->sip_tls_cert[0]) {
		/* One certificate of its own; its key type picks the suites. */
		snprintf(out->tls_cert, sizeof(out->tls_cert), "%s", cfg->sip_tls_cert);
		snprintf(out->tls_key, sizeof(out->tls_key), "%s", cfg->sip_tls_key);
		out->tls_cert_ecdsa[0] = out->tls_key_ecdsa[0] = '\0';
	}
}

/* --- relays --------------------------------------------------------------- */

static void
relay_close(struct relay *r)
{
	struct sip_tls *t = r->t;

	if (r->cidx > 0)
		su_root_deregister(t->s->root, r->cidx);
	if (r->uidx > 0)
		su_root_deregister(t->s->root, r->uidx);
	if (r->ssl != NULL) {
		(void) SSL_shutdown(r->ssl); /* one close_notify, no waiting */
		SSL_free(r->ssl);
	}
	ERR_clear_error();
	close(r->cfd);
	if (r->ufd >= 0)
		close(r->ufd);
	if (r->relay_port > 0 && t->by_port[r->relay_port] == r)
		t->by_port[r->relay_port] = NULL;
	if (r->prev)
		r->prev->next = r->next;
	else
		t->all = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

static bool
set_masks(struct relay *r)
{
	su_root_t *root = r->t->s->root;
	int c = (r->uplen < RELAY_BUF ? SU_WAIT_IN : 0) | (r->want_write ? SU_WAIT_OUT : 0);
	int u = (r->downlen < RELAY_BUF ? SU_WAIT_IN : 0) | (r->uplen > 0 ? SU_WAIT_OUT : 0);

	return su_root_eventmask(root, r->cidx, r->cfd, c) >= 0 &&
	       (r->uidx == 0 || su_root_eventmask(root, r->uidx, r->ufd, u) >= 0);
}

/* One SSL call's outcome: 1 progress, 0 would block, -1 closed or broken. */
static int
ssl_outcome(struct relay *r, int n)
{
	int e;

	if (n > 0)
		return 1;
	e = SSL_get_error(r->ssl, n);
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_WANT_WRITE) {
		r->want_write = true;
		return 0;
	}
	return -1;
}

/* The value of the first header named `name` (or its compact form) in a
 * header block, or NULL. */
static const char *
header_value(const char *head, size_t len, const char *name, const char *compact)
{
	const char *end = head + len, *p = memchr(head, '\n', len);

	for (; p != NULL && p + 1 < end; p = memchr(p + 1, '\n', (size_t) (end - p - 1))) {
		const char *n = p + 1, *colon = memchr(n, ':', (size_t) (end - n));
		size_t nl;

		if (colon == NULL)
			return NULL;
		nl = (size_t) (colon - n);
		while (nl > 0 && (n[nl - 1] == ' ' || n[nl - 1] == '\t'))
			nl--;
		if ((nl == strlen(name) && strncasecmp(n, name, nl) == 0) ||
		    (nl == strlen(compact) && strncasecmp(n, compact, nl) == 0)) {
			for (colon++; colon < end && (*colon == ' ' || *colon == '\t'); colon++)
				;
			return colon;
		}
	}
	return NULL;
}

/* Frames what arrived in buf[*ready, len): each complete header block gets
 * its top Via's transport `from` swapped for `to`, and its body is passed
 * through.  False when a header block cannot fit the buffer. */
static bool
frame(char *buf, size_t len, size_t *ready, size_t *body, const char *from, const char *to)
{
	while (*ready < len) {
		char *head = buf + *ready, *end, *v;
		size_t hlen, n;

		if (*body > 0) {
			n = len - *ready < *body ? len - *ready : *body;
			*ready += n;
			*body -= n;
			continue;
		}
		if (*head == '\r' || *head == '\n') { /* keep-alive CRLFs */
			(*ready)++;
			continue;
		}
		end = memmem(head, len - *ready, "\r\n\r\n", 4);
		if (end == NULL)
			return *ready > 0 || len < RELAY_BUF;
		hlen = (size_t) (end + 4 - head);
		v = (char *) header_value(head, hlen, "Via", "v");
		if (v != NULL && head + hlen - v > 11 && strncasecmp(v, "SIP/2.0/", 8) == 0 &&
		    strncasecmp(v + 8, from, 3) == 0)
			memcpy(v + 8, to, 3);
		v = (char *) header_value(head, hlen, "Content-Length", "l");
		*body = v != NULL ? strtoul(v, NULL, 10) : 0;
		*ready += hlen;
	}
	return true;
}

/* Drops the first n bytes of a buffer that were passed on. */
static void
consume(char *buf, size_t *len, size_t *ready, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len -= n;
	*ready -= n;
}

/* Phone to nta: decrypt what fits, pass on what nta takes. */
static int
pump_up(struct relay *r, bool *progress)
{
	int rc = 1;

	while (r->uplen < RELAY_BUF && rc > 0) {
		int n = SSL_read(r->ssl, r->up + r->uplen, (int) (RELAY_BUF - r->uplen));

		rc = ssl_outcome(r, n);
		if (rc > 0) {
			r->uplen += (size_t) n;
			*progress = true;
		}
	}
	if (rc < 0 || !frame(r->up, r->uplen, &r->up_ready, &r->up_body, "TLS", "TCP"))
		return -1;
	if (r->up_ready > 0) {
		ssize_t w = send(r->ufd, r->up, r->up_ready, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (w > 0) {
			consume(r->up, &r->uplen, &r->up_ready, (size_t) w);
			*progress = true;
		}
	}
	return 0;
}

/* nta to phone: read what fits, encrypt and send it. */
static int
pump_down(struct relay *r, bool *progress)
{
	if (r->downlen < RELAY_BUF) {
		ssize_t n = recv(r->ufd, r->down + r->downlen, RELAY_BUF - r->downlen,
				 MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return -1; /* nta closed its side */
		if (n > 0) {
			r->downlen += (size_t) n;
			*progress = true;
		}
	}
	if (!frame(r->down, r->downlen, &r->down_ready, &r->down_body, "TCP", "TLS"))
		return -1;
	while (r->down_ready > 0) {
		int n = SSL_write(r->ssl, r->down, (int) r->down_ready);
		int rc = ssl_outcome(r, n);

		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		consume(r->down, &r->downlen, &r->down_ready, (size_t) n);
		*progress = true;
	}
	return 0;
}

static bool relay_connect(struct relay *r);

/* The handshake, then the certificate's facts and the relay to nta. */
static int
handshake(struct relay *r)
{
	X509 *leaf;
	int rc = ssl_outcome(r, SSL_accept(r->ssl));

	if (rc <= 0)
		return rc;
	r->handshaken = true;
	leaf = SSL_get0_peer_certificate(r->ssl);
	memset(&r->cert, 0, sizeof(r->cert));
	r->cert.kind = CERT_NONE;
	if (leaf != NULL)
		capf_cert_facts(r->t->trust, leaf, SSL_get_peer_cert_chain(r->ssl), time(NULL),
				&r->cert);
	return relay_connect(r) ? 1 : -1;
}

static void
pump(struct relay *r)
{
	bool progress = true;

	r->want_write = false;
	if (!r->handshaken) {
		int rc = handshake(r);

		if (rc < 0) {
			log_msg(LOG_DEBUG, "sip: TLS handshake with %s:%u failed", r->ip, r->port);
			relay_close(r);
			return;
		}
		if (rc == 0) {
			set_masks(r);
			return;
		}
	}
	while (progress) {
		progress = false;
		r->want_write = false;
		if (pump_up(r, &progress) < 0 || pump_down(r, &progress) < 0) {
			relay_close(r);
			return;
		}
	}
	if (!set_masks(r))
		relay_close(r);
}

static int
on_relay(struct sip *s, su_wait_t *w, struct relay *r)
{
	(void) s;
	(void) w;
	pump(r);
	return 0;
}

/* A blocking connect to nta over loopback: the kernel completes it
 * without nta's accept, so it does not wait on this thread. */
static bool
relay_connect(struct relay *r)
{
	struct sip_tls *t = r->t;
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	char port[16];
	int one = 1;

	r->ufd = socket(t->nta.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->ufd < 0 || connect(r->ufd, (struct sockaddr *) &t->nta, t->nta_len) != 0 ||
	    getsockname(r->ufd, (struct sockaddr *) &a, &len) != 0 ||
	    getnameinfo((struct sockaddr *) &a, len, r->relay_ip, sizeof(r->relay_ip), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		log_msg(LOG_WARN, "sip: TLS relay cannot reach the registrar: %s", strerror(errno));
		return false;
	}
	setsockopt(r->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(r->ufd, F_SETFL, O_NONBLOCK);
	r->relay_port = (unsigned) atoi(port) % PORTS;
	if (su_wait_create(r->uwait, r->ufd, SU_WAIT_IN) != 0 ||
	    (r->uidx = su_root_register(t->s->root, r->uwait, on_relay, r, 0)) <= 0) {
		r->uidx = 0;
		return false;
	}
	t->by_port[r->relay_port] = r;
	log_msg(LOG_DEBUG, "sip: TLS from %s:%u relayed from %s:%u (certificate: %s)", r->ip,
		r->port, r->relay_ip, r->relay_port, capf_kind_name(r->cert.kind));
	return true;
}

static int
accept_any(int ok, X509_STORE_CTX *store)
{
	/* The registrar judges the certificate (sip_admit) and says why it
	 * refuses; the handshake only collects it. */
	(void) ok;
	(void) store;
	return 1;
}

static struct relay *
relay_new(struct sip_tls *t, int fd, const struct sockaddr *sa, socklen_t salen)
{
	static const unsigned char sid[] = "axlprov-sip";
	struct relay *r = calloc(1, sizeof(*r));
	SSL_CTX *ctx = tls_acquire(t->tls);
	char port[16] = "0";

	if (r == NULL) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	r->t = t;
	r->born = time(NULL);
	r->cfd = fd;
	r->ufd = -1;
	getnameinfo(sa, salen, r->ip, sizeof(r->ip), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	r->port = (unsigned) atoi(port);
	r->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (r->ssl == NULL || SSL_set_fd(r->ssl, fd) != 1 ||
	    SSL_set_session_id_context(r->ssl, sid, sizeof(sid) - 1) != 1) {
		SSL_free(r->ssl);
		free(r);
		return NULL;
	}
	SSL_set_verify(r->ssl, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any);
	SSL_set_mode(r->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return r;
}

static int
on_accept(struct sip *s, su_wait_t *w, struct relay *unused)
{
	struct sip_tls *t = s->tls;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd;
	struct relay *r;

	(void) w;
	(void) unused;
	while ((fd = accept4(t->lfd, (struct sockaddr *) &sa, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* Answers are small and follow the handshake's last flight:
		 * Nagle would hold them for the phone's delayed ACK (40 ms). */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
		r = relay_new(t, fd, (struct sockaddr *) &sa, len);
		if (r == NULL || su_wait_create(r->cwait, fd, SU_WAIT_IN) != 0 ||
		    (r->cidx = su_root_register(s->root, r->cwait, on_relay, r, 0)) <= 0) {
			if (r != NULL)
				SSL_free(r->ssl);
			free(r);
			close(fd);
			continue;
		}
		r->next = t->all;
		if (t->all)
			t->all->prev = r;
		t->all = r;
		len = sizeof(sa);
	}
	return 0;
}

/* --- the listener --------------------------------------------------------- */

/* "host:port" (host may be [v6]) to an address; a wildcard host becomes
 * loopback when `loopback` (where the relay reaches nta). */
static bool
resolve(const char *setting, const char *value, bool loopback, struct sockaddr_storage *out,
	socklen_t *len, struct app_err *err)
{
	char host[128];
	const char *colon = strrchr(value, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	size_t hl;

	if (colon == NULL || colon - value >= (long) sizeof(host))
		return app_err_set(err, APP_E_INVALID_VALUE, setting,
				   "%s must be address:port, not %s", setting, value);
	hl = (size_t) (colon - value);
	if (hl >= 2 && value[0] == '[' && value[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int) hl - 2, value + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int) hl, value);
	if (loopback && (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0'))
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (loopback && strcmp(host, "::") == 0)
		snprintf(host, sizeof(host), "::1");
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, setting, "%s: cannot use address %s",
				   setting, value);
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	*len = (socklen_t) ai->ai_addrlen;
	freeaddrinfo(ai);
	return true;
}

static bool
listen_tls(struct sip_tls *t, const char *value, struct app_err *err)
{
	struct sockaddr_storage a;
	socklen_t len;
	int one = 1;

	if (!resolve("sip_tls_listen", value, false, &a, &len, err))
		return false;
	t->lfd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->lfd < 0 || setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(t->lfd, (struct sockaddr *) &a, len) != 0 || listen(t->lfd, 1024) != 0)
		return app_err_set(err, APP_E_INVALID_VALUE, "sip_tls_listen",
				   "cannot listen for SIP over TLS on %s: %s", value,
				   strerror(errno));
	if (su_wait_create(t->lwait, t->lfd, SU_WAIT_IN) != 0 ||
	    (t->lidx = su_root_register(t->s->root, t->lwait, on_accept, NULL, 0)) <= 0) {
		t->lidx = 0;
		return app_err_set(err, APP_E_INTERNAL, NULL, "sip: cannot watch the TLS listener");
	}
	return true;
}

bool
sip_tls_wanted(const struct config *cfg)
{
	if (cfg->sip_tls_listen[0] == '\0')
		return false;
	if (cfg->sip_tls_cert[0] || cfg->tls_cert[0])
		return true;
	/* The default listener with no certificate anywhere (a plain-HTTP
	 * set-up behind a proxy): off, and said so. */
	log_msg(LOG_WARN, "sip: SIP over TLS is off: no certificate (set sip_tls_cert or tls_cert, "
			  "or sip_tls_listen to \"\" to silence this)");
	return false;
}

struct sip_tls *
sip_tls_start(struct sip *s, struct app_err *err)
{
	struct sip_tls *t = calloc(1, sizeof(*t));
	struct config *c = malloc(sizeof(*c));

	if (t == NULL || c == NULL) {
		free(t);
		free(c);
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	t->s = s;
	t->lfd = -1;
	tls_settings(s->cfg, c);
	if ((t->tls = tls_new(c, err)) != NULL &&
	    (t->trust = capf_trust_load(s->cfg, false, err)) != NULL &&
	    resolve("sip_listen", s->cfg->sip_listen, true, &t->nta, &t->nta_len, err) &&
	    listen_tls(t, s->cfg->sip_tls_listen, err)) {
		free(c);
		return t;
	}
	free(c);
	sip_tls_stop(t);
	return NULL;
}

bool
sip_tls_reload(struct sip_tls *t, const struct config *cfg, struct app_err *err)
{
	struct config *c = malloc(sizeof(*c));
	struct capf_trust *trust;
	bool ok;

	if (c == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	tls_settings(cfg, c);
	trust = capf_trust_load(cfg, false, err);
	ok = trust != NULL && tls_reload(t->tls, c, err);
	free(c);
	if (!ok) {
		capf_trust_free(trust);
		return false;
	}
	/* Connections keep the facts their handshake found. */
	capf_trust_free(t->trust);
	t->trust = trust;
	return true;
}

bool
sip_tls_peer(struct sip_tls *t, const char *relay_ip, unsigned relay_port, char *ip, size_t ipsize,
	     unsigned *peer_port, const struct cert_facts **cert)
{
	struct relay *r = relay_port < PORTS ? t->by_port[relay_port] : NULL;

	if (r == NULL || strcmp(r->relay_ip, relay_ip) != 0)
		return false;
	snprintf(ip, ipsize, "%s", r->ip);
	*peer_port = r->port;
	*cert = &r->cert;
	return true;
}

void
sip_tls_close_tport(struct sip_tls *t, tport_t *tp)
{
	const tp_name_t *n = tport_name(tp);
	unsigned port = n && n->tpn_port ? (unsigned) atoi(n->tpn_port) : 0;
	struct relay *r = port < PORTS ? t->by_port[port] : NULL;

	if (r != NULL && n->tpn_host != NULL && strcmp(n->tpn_host, r->relay_ip) == 0)
		relay_close(r);
}

void
sip_tls_tick(struct sip_tls *t)
{
	time_t now = time(NULL);
	struct relay *r = t->all, *next;

	for (; r != NULL; r = next) {
		next = r->next;
		if (!r->handshaken && now - r->born > HANDSHAKE_SECONDS) {
			log_msg(LOG_DEBUG, "sip: TLS handshake with %s:%u took too long", r->ip,
				r->port);
			relay_close(r);
		}
	}
}

void
sip_tls_stop(struct sip_tls *t)
{
	if (t == NULL)
		return;
	while (t->all != NULL)
		relay_close(t->all);
	if (t->lidx > 0)
		su_root_deregister(t->s->root, t->lidx);
	if (t->lfd >= 0)
		close(t->lfd);
	tls_free(t->tls);
	capf_trust_free(t->trust);
	free(t);
}
