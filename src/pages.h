/*
 * pages.h: the GET resources, each answering one authenticated GET whose
 * path http.c named: the page saying the AXL service works, the Prometheus
 * metrics, and an apply request's delivery status.  They are the GET
 * side's adapters: the request's owner (request.c) routes to them.
 */
#ifndef AXLPROV_PAGES_H
#define AXLPROV_PAGES_H

struct worker;

/* GET /axl/: the service page. */
int pages_service(struct worker *w);

/* GET /metrics: the Prometheus text (gauges read from the database). */
int pages_metrics(struct worker *w);

/* GET /axl/status/apply/<id>: the JSON document (404 with a JSON error
 * when there is no such request). */
int pages_apply_status(struct worker *w);

#endif
