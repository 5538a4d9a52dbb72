/*
 * est.h: online enrollment of phones' LSCs over EST (RFC 7030) on the
 * capf_listen listener: /.well-known/est/cacerts, simpleenroll,
 * simplereenroll and csrattrs.  The I/O around est_rules.c's decisions:
 * the request's body and credentials in, the phone read and locked, the
 * LSC signed and recorded (capf_ops.c, as `capf issue` does) or the
 * refusal's status written, the answer out.
 */
#ifndef AXLPROV_EST_H
#define AXLPROV_EST_H

#include <stdbool.h>

#include "capf.h"
#include "config.h"
#include "err.h"

struct worker;

/* The largest EST request body accepted (larger: 413). */
#define EST_MAX_BODY 65536

/* Whether EST is asked for: capf_listen and capf_cert set (it runs when
 * the CA's key loads too: est_init). */
bool est_enabled(const struct config *cfg);

/* Whether est_init() ran: the listener is made only then. */
bool est_running(void);

/* Keeps trust (loaded with the CA's key; the caller frees it after
 * est_free) and prepares the cacerts answer and the rate limit. */
bool est_init(const struct config *cfg, const struct capf_trust *trust, struct app_err *err);
void est_free(void);

/* Serves one request of an EST connection whose head is read (rc: how
 * gSOAP began on what follows it); returns like the AXL path. */
int est_serve(struct worker *w, int rc);

#endif
