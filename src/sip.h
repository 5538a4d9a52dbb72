/*
 * sip.h: the SIP side of the server: one thread that runs sofia-sip's
 * transaction layer (nta) as an RFC 3261 registrar over UDP, TCP and TLS
 * (phones' certificates checked against their security profile), and
 * delivers the NOTIFYs queued in notify_outbox to registered phones.  SOAP workers never
 * touch it; they only write the outbox, whose trigger wakes this thread
 * through PostgreSQL LISTEN/NOTIFY.
 */
#ifndef AXLPROV_SIP_H
#define AXLPROV_SIP_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

struct sip;

/* Reads the settings again from where they came from (for SIGHUP). */
typedef bool (*sip_reread_fn)(struct config *cfg, struct app_err *err);

/* Binds cfg->sip_listen (UDP and TCP) and cfg->sip_tls_listen (TLS, unless
 * "") and starts the thread; NULL with err set when it cannot (port taken,
 * certificate unreadable, database unreachable).  reread may be NULL (a
 * reload then reuses cfg). */
struct sip *sip_start(const struct config *cfg, sip_reread_fn reread, struct app_err *err);

/* Asks the thread to reload the TLS certificate and the trusted roots for
 * new connections.  Async-signal-safe; NULL is fine. */
void sip_reload(struct sip *sip);

/* Stops the thread and frees everything.  NULL is fine. */
void sip_stop(struct sip *sip);

#endif
