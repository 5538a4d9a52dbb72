/*
 * observe.h: where throttling, metrics and the request log meet a request:
 * the write gate run once the operation is known, the /metrics page, and
 * the accounting of every answered request (counters and its log line).
 */
#ifndef AXLPROV_OBSERVE_H
#define AXLPROV_OBSERVE_H

#include <stdbool.h>

struct config;
struct worker;

/* Before the workers start: counters for cfg->workers, throttle settings. */
bool observe_init(const struct config *cfg);
void observe_free(void);

/* After routing (w->req.op known, the body element peeked): SOAP_OK to serve
 * the request; otherwise the request was refused (HTTP 503 + Retry-After,
 * the rest of its body read so the connection stays usable) or could not
 * be read, and the gSOAP status is returned for the serve loop to map. */
int observe_gate(struct worker *w);

/* GET /metrics: the Prometheus text. */
int observe_metrics_page(struct worker *w);

/* Once per answered request: counters, and the request line at info. */
void observe_request_done(const struct worker *w);

#endif
