/*
 * sip.h: the SIP side of the server: one thread that runs sofia-sip's
 * transaction layer (nta) as an RFC 3261 registrar, and delivers the
 * NOTIFYs queued in notify_outbox to registered phones.  SOAP workers never
 * touch it; they only write the outbox, whose trigger wakes this thread
 * through PostgreSQL LISTEN/NOTIFY.
 */
#ifndef AXLPROV_SIP_H
#define AXLPROV_SIP_H

#include "config.h"
#include "err.h"

struct sip;

/* Binds cfg->sip_listen (UDP and TCP) and starts the thread; NULL with err
 * set when it cannot (port taken, database unreachable). */
struct sip *sip_start(const struct config *cfg, struct app_err *err);

/* Stops the thread and frees everything.  NULL is fine. */
void sip_stop(struct sip *sip);

#endif
