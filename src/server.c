/*
 * server.c: the connection layer: sockets and threads, no AXL and no HTTP
 * (http.c says when a parked connection's request is all there).  One
 * thread accepts, and keeps idle keep-alive connections parked in
 * epoll until their next request arrives; a fixed pool of workers (each
 * with its own gSOAP context and PostgreSQL connection, request.c's) takes
 * ready connections one at a time, makes the TLS handshake, and hands each
 * request to request_serve(), which says what the connection is good for
 * afterwards: the next request, a close, or a drain and a close.
 */
#define _GNU_SOURCE /* accept4 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soapH.h"

#include "http.h"
#include "log.h"
#include "est.h"
#include "request.h"
#include "tls.h"
#include "worker.h"

#define QUEUE_CAP 4096

/* A client connection.  Owned by exactly one of: the I/O thread (while it
 * waits for the next request: "parked"), the ready queue, or a worker. */
struct conn {
	int fd;
	bool tls;
	enum request_site site; /* the listener's: AXL or EST */
	SSL *ssl;               /* set once the TLS handshake is done */
	BIO *bio;
	char peer[64];
	time_t parked_at;
	struct conn *prev, *next; /* the I/O thread's idle list, oldest first */
};

struct listener {
	int fd;
	bool tls;
	enum request_site site;
};
#define MAX_LISTENERS 3

struct server {
	const struct config *cfg;
	struct soap *tmpl;       /* what each worker's context is copied from */
	struct tls *tls;         /* the HTTPS listener's SSL_CTX, swapped on reload */
	struct tls *est_tls;     /* the EST listener's (tls.h: client certificates asked for) */
	server_reread_fn reread; /* settings source for a reload, or NULL */
	struct listener listeners[MAX_LISTENERS];
	int nlisteners;
	struct worker *workers;
	pthread_t *threads;
	int nworkers; /* workers made (request_worker_init) */
	int nthreads; /* their threads started */
	int epfd;     /* listeners, the wake-up eventfd, parked connections */
	int wakefd;
	int busyfd; /* readable while a queued connection has no idle worker */

	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct conn *queue[QUEUE_CAP]; /* ready connections, for the workers */
	int qhead, qlen;
	int idle_workers;                   /* waiting in pop() */
	struct conn *handoff;               /* connections workers give back to park */
	struct conn *idle_head, *idle_tail; /* I/O thread only */
	atomic_int *active_fd;              /* per worker: the connection it serves, or -1 */
};

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t reload_wanted;

void
server_stop(void)
{
	stopping = 1;
}

void
server_reload(void)
{
	reload_wanted = 1;
}

void
server_set_reread(struct server *srv, server_reread_fn reread)
{
	srv->reread = reread;
}

/* "host:port" or "port" (host defaulting to dflt_host). */
static bool
split_addr(const char *addr, const char *dflt_host, char *host, size_t hsize, int *port)
{
	const char *colon = strrchr(addr, ':');
	const char *p = colon ? colon + 1 : addr;
	char *end;
	long n = strtol(p, &end, 10);

	if (*p == '\0' || *end != '\0' || n < 0 || n > 65535)
		return false;
	if (colon == NULL)
		snprintf(host, hsize, "%s", dflt_host);
	else {
		size_t len = (size_t) (colon - addr);

		/* [::1]:8443 */
		if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
			addr++;
			len -= 2;
		}
		if (len >= hsize)
			return false;
		memcpy(host, addr, len);
		host[len] = '\0';
	}
	*port = (int) n;
	return true;
}

static bool
bind_listener(struct server *srv, const char *addr, const char *dflt_host, bool tls,
	      enum request_site site, struct app_err *err)
{
	const char *setting = site == SITE_EST ? "capf_listen" : tls ? "listen" : "plain_listen";
	char host[128];
	int port;
	struct soap *s = srv->tmpl;
	SOAP_SOCKET fd;

	if (!split_addr(addr, dflt_host, host, sizeof(host), &port))
		return app_err_set(err, APP_E_INVALID_VALUE, setting, "invalid listen address %s",
				   addr);
	s->bind_flags = SO_REUSEADDR;
	fd = soap_bind(s, host, port, 128);
	if (!soap_valid_socket(fd))
		return app_err_set(err, APP_E_INVALID_VALUE, setting, "cannot listen on %s: %s",
				   addr, strerror(s->errnum));
	/* soap_bind keeps the socket in the template; we own it from here. */
	s->master = SOAP_INVALID_SOCKET;
	srv->listeners[srv->nlisteners].fd = fd;
	srv->listeners[srv->nlisteners].tls = tls;
	srv->listeners[srv->nlisteners].site = site;
	srv->nlisteners++;
	log_msg(LOG_INFO, "listening on %s://%s:%d%s", tls ? "https" : "http", host, port,
		site == SITE_EST ? "/.well-known/est/ (EST)" : "/axl/");
	return true;
}

static bool
setup_tls(struct server *srv, struct tls **t, bool est, struct app_err *err)
{
	char desc[512];

	soap_ssl_init();
	*t = est ? tls_new_est(srv->cfg, err) : tls_new(srv->cfg, err);
	if (*t == NULL)
		return false;
	log_msg(LOG_INFO, "TLS%s: %s", est ? " (EST)" : "", tls_describe(*t, desc, sizeof(desc)));
	return true;
}

/* SIGHUP: new TLS material for new handshakes; connections already made
 * keep theirs.  Settings are read again from where they came from when a
 * source is set; a failure keeps everything as it was. */
static void
reload_tls(struct server *srv)
{
	struct app_err err = { 0 };
	struct config *cfg;
	char desc[512];
	bool ok;

	reload_wanted = 0;
	if (srv->tls == NULL && srv->est_tls == NULL) {
		log_msg(LOG_INFO, "SIGHUP: no TLS listener, nothing to reload");
		return;
	}
	cfg = malloc(sizeof(*cfg)); /* a few KB: not on the stack */
	if (cfg == NULL)
		ok = app_err_set(&err, APP_E_INTERNAL, NULL, "out of memory");
	else if (srv->reread != NULL)
		ok = srv->reread(cfg, &err);
	else {
		*cfg = *srv->cfg;
		ok = true;
	}
	ok = ok && (srv->tls == NULL || tls_reload(srv->tls, cfg, &err)) &&
	     (srv->est_tls == NULL || tls_reload(srv->est_tls, cfg, &err));
	if (ok)
		log_msg(LOG_INFO, "TLS reloaded: %s",
			tls_describe(srv->tls ? srv->tls : srv->est_tls, desc, sizeof(desc)));
	else
		log_msg(LOG_ERROR,
			"TLS reload failed, still serving the previous certificate "
			"and ciphers: %s",
			err.msg);
	free(cfg);
}

/* A new TLS connection's handshake, with the SSL_CTX current now. */
static int
tls_accept(struct server *srv, struct soap *s, enum request_site site)
{
	SSL_CTX *ctx = tls_acquire(site == SITE_EST ? srv->est_tls : srv->tls);
	int rc;

	s->ctx = ctx;
	rc = soap_ssl_accept(s);
	/* The SSL made from it holds its own reference; gSOAP must never
	 * free or reuse ours. */
	s->ctx = NULL;
	SSL_CTX_free(ctx);
	return rc;
}

struct server *
server_new(const struct config *cfg, struct app_err *err)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->epfd = srv->wakefd = srv->busyfd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->nonempty, NULL);
	srv->tmpl = soap_new1(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING);
	if (srv->tmpl == NULL || !request_init(cfg)) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		server_free(srv);
		return NULL;
	}
	if ((cfg->listen[0] &&
	     (!setup_tls(srv, &srv->tls, false, err) ||
	      !bind_listener(srv, cfg->listen, "0.0.0.0", true, SITE_AXL, err))) ||
	    (cfg->plain_listen[0] &&
	     !bind_listener(srv, cfg->plain_listen, "127.0.0.1", false, SITE_AXL, err)) ||
	    (est_running() &&
	     (!setup_tls(srv, &srv->est_tls, true, err) ||
	      !bind_listener(srv, cfg->capf_listen, "0.0.0.0", true, SITE_EST, err)))) {
		server_free(srv);
		return NULL;
	}
	if (srv->nlisteners == 0) {
		app_err_set(err, APP_E_MISSING_FIELD, "listen",
			    "nothing to listen on: set listen and/or plain_listen");
		server_free(srv);
		return NULL;
	}
	return srv;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl); /* frees the BIO too */
	}
	close(c->fd);
	free(c);
}

/* Gives a connection to the I/O thread to wait for its next request. */
static void
park(struct server *srv, struct conn *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&srv->lock);
	c->next = srv->handoff;
	srv->handoff = c;
	pthread_mutex_unlock(&srv->lock);
	(void) !write(srv->wakefd, &one, sizeof(one));
}

/* After answering a request whose body we did not read (401, 413, ...):
 * closing at once would make the kernel reset the connection and the client
 * could lose the answer, so stop sending and read what is still coming for
 * a moment first. */
static void
drain(int fd)
{
	char buf[16384];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t total = 0;

	shutdown(fd, SHUT_WR);
	while (total < (1u << 20) && poll(&p, 1, 100) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n <= 0)
			break;
		total += (size_t) n;
	}
}

/* busyfd, under srv->lock: set when a queued connection finds no idle
 * worker (or the server stops), cleared when the queue empties. */
static void
set_busy(struct server *srv)
{
	uint64_t one = 1;

	if (srv->busyfd >= 0)
		(void) !write(srv->busyfd, &one, sizeof(one));
}

static void
clear_busy(struct server *srv)
{
	uint64_t n;

	if (srv->busyfd >= 0)
		(void) !read(srv->busyfd, &n, sizeof(n));
}

/* Waits up to LINGER_MS for the connection's next request, giving up as
 * soon as a queued connection has no idle worker to take it.  One poll on
 * the socket and busyfd: a wait in 1 ms slices (to look at the queue) woke
 * the worker every millisecond, and under CPU contention, where a keep-alive
 * client's next request takes a millisecond or more, those wake-ups raised
 * the CPU per request by up to a third (docs/performance.md, read path). */
#define LINGER_MS 5

static bool
next_request_soon(struct server *srv, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = srv->busyfd, .events = POLLIN } };

	if (stopping || poll(p, 2, LINGER_MS) <= 0 || (p[1].revents & POLLIN) != 0)
		return false;
	return (p[0].revents & POLLIN) != 0;
}

/* Parks c with its TLS state, detached from the worker's context. */
static void
give_back(struct server *srv, struct soap *s, struct conn *c)
{
	c->ssl = s->ssl;
	c->bio = s->bio;
	s->ssl = NULL;
	s->bio = NULL;
	s->imode &= ~SOAP_ENC_SSL;
	s->omode &= ~SOAP_ENC_SSL;
	s->socket = SOAP_INVALID_SOCKET;
	park(srv, c);
}

/* Puts c on w's context with the connection's limits and facts.  A TLS
 * connection is handshaken first.  False when c is gone: the handshake
 * failed (closed), or it is done but no request is here yet (parked:
 * idle TLS clients must not hold the pool). */
static bool
attach(struct server *srv, struct worker *w, struct conn *c)
{
	struct soap *s = w->soap;

	s->socket = c->fd;
	s->recv_timeout = (int) w->cfg->idle_timeout;
	s->send_timeout = (int) w->cfg->request_timeout;
	s->transfer_timeout = (int) w->cfg->request_timeout;
	s->bufidx = s->buflen = 0;
	w->req.tls = c->tls;
	w->req.site = c->site;
	snprintf(w->req.peer, sizeof(w->req.peer), "%s", c->peer);
	if (c->ssl != NULL) {
		s->ssl = c->ssl;
		s->bio = c->bio;
		s->imode |= SOAP_ENC_SSL;
		s->omode |= SOAP_ENC_SSL;
		return true;
	}
	if (!c->tls)
		return true;
	if (tls_accept(srv, s, c->site) != SOAP_OK) {
		log_msg(LOG_DEBUG, "TLS handshake with %s failed", c->peer);
		soap_force_closesock(s);
		free(c);
		return false;
	}
	if (SSL_pending(s->ssl) == 0 && !next_request_soon(srv, c->fd)) {
		give_back(srv, s, c);
		return false;
	}
	return true;
}

/* Closes c, draining it first when its last request's body went unread. */
static void
detach_close(struct worker *w, struct conn *c, bool drain_first)
{
	struct soap *s = w->soap;

	if (drain_first && s->ssl == NULL)
		drain(c->fd);
	soap_end(s);
	soap_force_closesock(s);
	s->imode &= ~SOAP_ENC_SSL;
	s->omode &= ~SOAP_ENC_SSL;
	free(c);
}

/* Serves requests on c until it closes, or until it goes idle: then it is
 * parked, so an idle keep-alive client never holds a worker. */
static void
serve_connection(struct server *srv, struct worker *w, struct conn *c)
{
	struct soap *s = w->soap;
	enum request_end end;

	if (!attach(srv, w, c))
		return;
	while ((end = request_serve(w)) == REQUEST_KEEP && !stopping) {
		/* Bytes of a pipelined request already read, or the client's
		 * next request arriving while nobody else waits for a worker:
		 * keep serving here, which saves two thread hand-offs. */
		if (s->bufidx < s->buflen || (s->ssl != NULL && SSL_pending(s->ssl) > 0) ||
		    next_request_soon(srv, c->fd))
			continue;
		give_back(srv, s, c);
		return;
	}
	detach_close(w, c, end == REQUEST_DRAIN);
}

static struct conn *
pop(struct server *srv)
{
	struct conn *c = NULL;

	pthread_mutex_lock(&srv->lock);
	srv->idle_workers++;
	while (srv->qlen == 0 && !stopping)
		pthread_cond_wait(&srv->nonempty, &srv->lock);
	srv->idle_workers--;
	if (srv->qlen > 0) {
		c = srv->queue[srv->qhead];
		srv->qhead = (srv->qhead + 1) % QUEUE_CAP;
		srv->qlen--;
		if (srv->qlen == 0 && !stopping)
			clear_busy(srv);
	}
	pthread_mutex_unlock(&srv->lock);
	return c;
}

struct worker_arg {
	struct server *srv;
	struct worker *w;
};

static void *
worker_main(void *arg)
{
	struct server *srv = ((struct worker_arg *) arg)->srv;
	struct worker *w = ((struct worker_arg *) arg)->w;
	struct conn *c;

	free(arg);
	while ((c = pop(srv)) != NULL) {
		atomic_store(&srv->active_fd[w->id], c->fd);
		serve_connection(srv, w, c);
		atomic_store(&srv->active_fd[w->id], -1);
	}
	return NULL;
}

static bool
start_workers(struct server *srv, struct app_err *err)
{
	int n = (int) srv->cfg->workers;

	srv->workers = calloc((size_t) n, sizeof(*srv->workers));
	srv->threads = calloc((size_t) n, sizeof(*srv->threads));
	srv->active_fd = calloc((size_t) n, sizeof(*srv->active_fd));
	if (srv->workers == NULL || srv->threads == NULL || srv->active_fd == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		struct worker_arg *arg;

		atomic_init(&srv->active_fd[i], -1);
		srv->nworkers = i + 1; /* so server_free releases this one too */
		if (!request_worker_init(&srv->workers[i], i, srv->tmpl, srv->cfg) ||
		    (arg = malloc(sizeof(*arg))) == NULL)
			return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		arg->srv = srv;
		arg->w = &srv->workers[i];
		if (pthread_create(&srv->threads[i], NULL, worker_main, arg) != 0) {
			free(arg);
			return app_err_set(err, APP_E_INTERNAL, NULL, "cannot start worker %d", i);
		}
		srv->nthreads = i + 1;
	}
	return true;
}

/* --- the I/O thread: accepting, and waiting on idle connections --------- */

#define TAG_WAKE ((uint64_t) 1)
#define TAG_LISTENER ((uint64_t) 2) /* + index */

static void
idle_unlink(struct server *srv, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->idle_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		srv->idle_tail = c->prev;
	c->prev = c->next = NULL;
}

static void
idle_add(struct server *srv, struct conn *c)
{
	/* Edge-triggered: a request that has only partly arrived stays here
	 * (see request_arrived) and must not be reported again until more
	 * comes. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c };

	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
		conn_close(c);
		return;
	}
	c->parked_at = time(NULL);
	c->next = NULL;
	c->prev = srv->idle_tail;
	if (srv->idle_tail != NULL)
		srv->idle_tail->next = c;
	else
		srv->idle_head = c;
	srv->idle_tail = c;
}

/* Closes a parked connection (idle too long, out of descriptors, stopping). */
static void
drop_parked(struct server *srv, struct conn *c)
{
	idle_unlink(srv, c);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	conn_close(c);
}

/* A parked connection has something to read (or was closed): a worker
 * takes it from here. */
static void
make_ready(struct server *srv, struct conn *c)
{
	idle_unlink(srv, c);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	pthread_mutex_lock(&srv->lock);
	if (srv->qlen == QUEUE_CAP) {
		pthread_mutex_unlock(&srv->lock);
		log_msg(LOG_WARN, "request queue full; closing %s", c->peer);
		conn_close(c);
		return;
	}
	srv->queue[(srv->qhead + srv->qlen) % QUEUE_CAP] = c;
	srv->qlen++;
	/* More waiting than free workers: the lingering ones give up theirs. */
	if (srv->qlen > srv->idle_workers)
		set_busy(srv);
	pthread_cond_signal(&srv->nonempty);
	pthread_mutex_unlock(&srv->lock);
}

/* Whether a plain connection's request has wholly arrived (asked of
 * http.c, on the bytes waiting in the socket, without taking them): only
 * then does a worker take it, so a client sending its request slowly waits
 * here (until idle_timeout) and holds no worker.  TLS, more than PEEK_MAX
 * bytes and the peer closing go to a worker at once. */
#define PEEK_MAX 65536

static bool
request_arrived(const struct server *srv, const struct conn *c)
{
	static char buf[PEEK_MAX]; /* the I/O thread's only */
	ssize_t n;

	if (c->tls)
		return true;
	n = recv(c->fd, buf, sizeof(buf) - 1, MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || n == (ssize_t) sizeof(buf) - 1)
		return true;
	buf[n] = '\0';
	return http_request_complete(buf, (size_t) n, srv->cfg->max_body);
}

/* Out of file descriptors: the pending connection would make epoll report
 * the listener again at once.  Make room by closing the longest-idle
 * keep-alive connection (its client reconnects), or pause briefly when
 * there is none; warn at most once a second. */
static void
out_of_descriptors(struct server *srv)
{
	static time_t warned;
	time_t now = time(NULL);

	if (now != warned) {
		log_msg(LOG_WARN, "out of file descriptors (%s); closing idle connections",
			strerror(errno));
		warned = now;
	}
	if (srv->idle_head != NULL)
		drop_parked(srv, srv->idle_head);
	else
		poll(NULL, 0, 10);
}

static void
accept_one(struct server *srv, const struct listener *l)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
	int one = 1;
	struct conn *c;
	int fd = accept4(l->fd, (struct sockaddr *) &sa, &len, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			out_of_descriptors(srv);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->tls = l->tls;
	c->site = l->site;
	getnameinfo((const struct sockaddr *) &sa, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Wait for the first bytes here, not in a worker. */
	idle_add(srv, c);
}

static void
take_handoffs(struct server *srv)
{
	struct conn *list, *next;
	uint64_t n;

	(void) !read(srv->wakefd, &n, sizeof(n));
	pthread_mutex_lock(&srv->lock);
	list = srv->handoff;
	srv->handoff = NULL;
	pthread_mutex_unlock(&srv->lock);
	for (; list != NULL; list = next) {
		next = list->next;
		idle_add(srv, list);
	}
}

static void
expire_idle(struct server *srv)
{
	time_t now = time(NULL);

	while (srv->idle_head != NULL && srv->idle_head->parked_at + srv->cfg->idle_timeout <= now)
		drop_parked(srv, srv->idle_head);
}

static void
io_loop(struct server *srv)
{
	struct epoll_event events[64];

	while (!stopping) {
		int n = epoll_wait(srv->epfd, events, 64, 250);

		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;

			if (tag == TAG_WAKE)
				take_handoffs(srv);
			else if (tag >= TAG_LISTENER && tag < TAG_LISTENER + MAX_LISTENERS)
				accept_one(srv, &srv->listeners[tag - TAG_LISTENER]);
			else if (request_arrived(srv, events[i].data.ptr))
				make_ready(srv, events[i].data.ptr);
		}
		expire_idle(srv);
		if (reload_wanted)
			reload_tls(srv);
	}
}

static bool
setup_epoll(struct server *srv, struct app_err *err)
{
	struct epoll_event ev = { .events = EPOLLIN };

	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv->busyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->epfd < 0 || srv->wakefd < 0 || srv->busyfd < 0)
		return app_err_set(err, APP_E_INTERNAL, NULL, "epoll: %s", strerror(errno));
	ev.data.u64 = TAG_WAKE;
	epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wakefd, &ev);
	for (int i = 0; i < srv->nlisteners; i++) {
		ev.data.u64 = TAG_LISTENER + (uint64_t) i;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listeners[i].fd, &ev) != 0)
			return app_err_set(err, APP_E_INTERNAL, NULL, "epoll: %s", strerror(errno));
	}
	return true;
}

/* Stopping: a parked connection whose next request has already arrived
 * goes to a worker (it is answered, then closed); the idle ones are closed
 * now rather than left to time out. */
static void
settle_parked(struct server *srv)
{
	take_handoffs(srv);
	while (srv->idle_head != NULL) {
		struct conn *c = srv->idle_head;
		char byte;

		if (recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			make_ready(srv, c);
		else
			drop_parked(srv, c);
	}
}

/* Requests in progress complete and are answered, including one still
 * arriving, for as long as request_timeout lets any request take; after
 * that the reads of the stragglers are ended so that they finish. */
static void
join_workers(struct server *srv)
{
	struct timespec deadline;
	int i = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t) srv->cfg->request_timeout;
	for (; i < srv->nthreads; i++)
		if (pthread_timedjoin_np(srv->threads[i], NULL, &deadline) != 0)
			break;
	if (i == srv->nthreads)
		return;
	log_msg(LOG_WARN, "shutting down: requests still arriving after %llds; ending them",
		(long long) srv->cfg->request_timeout);
	for (int k = 0; k < srv->nthreads; k++) {
		int fd = atomic_load(&srv->active_fd[k]);

		if (fd >= 0)
			shutdown(fd, SHUT_RD);
	}
	for (; i < srv->nthreads; i++)
		pthread_join(srv->threads[i], NULL);
}

bool
server_run(struct server *srv)
{
	struct app_err err = { 0 };
	bool ok = setup_epoll(srv, &err) && start_workers(srv, &err);

	if (!ok)
		log_msg(LOG_ERROR, "%s", err.msg);
	else
		io_loop(srv);
	stopping = 1;
	log_msg(LOG_INFO, "shutting down: finishing requests in progress");
	for (int i = 0; i < srv->nlisteners; i++)
		close(srv->listeners[i].fd);
	srv->nlisteners = 0;
	if (ok)
		settle_parked(srv);
	pthread_mutex_lock(&srv->lock);
	set_busy(srv); /* lingering workers stop waiting; stays set from here */
	pthread_cond_broadcast(&srv->nonempty);
	pthread_mutex_unlock(&srv->lock);
	join_workers(srv);
	/* Whatever is parked or queued now is idle: close it. */
	take_handoffs(srv);
	while (srv->idle_head != NULL)
		drop_parked(srv, srv->idle_head);
	while (srv->qlen > 0) {
		conn_close(srv->queue[srv->qhead]);
		srv->qhead = (srv->qhead + 1) % QUEUE_CAP;
		srv->qlen--;
	}
	return ok;
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	for (int i = 0; i < srv->nlisteners; i++)
		close(srv->listeners[i].fd);
	for (int i = 0; i < srv->nworkers; i++)
		request_worker_free(&srv->workers[i]);
	free(srv->workers);
	free(srv->threads);
	free(srv->active_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->wakefd >= 0)
		close(srv->wakefd);
	if (srv->busyfd >= 0)
		close(srv->busyfd);
	tls_free(srv->tls);
	tls_free(srv->est_tls);
	if (srv->tmpl != NULL) {
		soap_destroy(srv->tmpl);
		soap_end(srv->tmpl);
		soap_free(srv->tmpl);
	}
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->nonempty);
	request_free();
	free(srv);
}

/* Serves one plain connection on fd with worker w (its context set up as
 * start_workers does) until the connection closes, then closes fd: the
 * whole per-connection path without the listeners, the I/O thread or the
 * pool, for the fuzz harness (tests/fuzz/fuzz_request.c).  With no I/O
 * thread, nothing is ever queued, and a connection that goes idle is
 * closed instead of parked. */
void
server_serve_fd(struct worker *w, int fd, enum request_site site)
{
	static struct server srv = {
		.lock = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1, .busyfd = -1
	};
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	srv.cfg = w->cfg;
	c->fd = fd;
	c->site = site;
	snprintf(c->peer, sizeof(c->peer), "local");
	serve_connection(&srv, w, c);
	pthread_mutex_lock(&srv.lock);
	c = srv.handoff;
	srv.handoff = NULL;
	pthread_mutex_unlock(&srv.lock);
	if (c != NULL)
		conn_close(c);
}
