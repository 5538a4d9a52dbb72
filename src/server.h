/*
 * server.h: listeners (HTTPS and plain HTTP), the worker pool and the
 * per-connection serve loop.  Owns every gSOAP context and every database
 * connection of the process.
 */
#ifndef AXLPROV_SERVER_H
#define AXLPROV_SERVER_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

struct server;

/* Binds the listeners, loads TLS material, starts nothing yet. */
struct server *server_new(const struct config *cfg, struct app_err *err);

/* Serves until server_stop(); returns after in-flight requests finished. */
bool server_run(struct server *srv);

/* Async-signal-safe. */
void server_stop(void);

void server_free(struct server *srv);

/* Serves one plain connection on fd with a worker whose context is set up
 * like the pool's, until it closes (closes fd).  For the fuzz harness. */
struct worker;
void server_serve_fd(struct worker *w, int fd);

#endif
