/*
 * server.h: the connection layer: listeners (HTTPS and plain HTTP), TLS
 * handshakes, idle keep-alive connections parked in epoll, and the worker
 * pool whose threads serve one connection at a time (each request through
 * request.h's request_serve()).
 */
#ifndef AXLPROV_SERVER_H
#define AXLPROV_SERVER_H

#include <stdbool.h>

#include "config.h"
#include "err.h"
#include "worker.h"

struct server;

/* Binds the listeners, loads TLS material, starts nothing yet. */
struct server *server_new(const struct config *cfg, struct app_err *err);

/* Serves until server_stop(); returns after in-flight requests finished. */
bool server_run(struct server *srv);

/* Async-signal-safe. */
void server_stop(void);

/* Async-signal-safe: asks the server to reload its TLS certificate, key and
 * cipher group (within a quarter of a second). */
void server_reload(void);

/* Where a reload reads the settings again (fills a whole struct config);
 * without one, the files named by the start-up settings are read again. */
typedef bool (*server_reread_fn)(struct config *cfg, struct app_err *err);
void server_set_reread(struct server *srv, server_reread_fn reread);

void server_free(struct server *srv);

/* Serves one plain connection on fd with a worker made by
 * request_worker_init(), until it closes (closes fd).  For the fuzz
 * harness. */
struct worker;
void server_serve_fd(struct worker *w, int fd, enum request_site site);

#endif
