/*
 * pages.h: the GET resources, each answering one authenticated GET whose
 * path http.c named: the page saying the AXL service works, the Prometheus
 * metrics, and an apply request's delivery status; and the one public
 * resource, the administration console's static files.  They are the GET
 * side's adapters: the request's owner (request.c) routes to them.
 */
#ifndef AXLPROV_PAGES_H
#define AXLPROV_PAGES_H

struct worker;

/* GET /axl/: the service page, with the caller's role in X-Axlprov-Role. */
int pages_service(struct worker *w);

/* GET /metrics: the Prometheus text (gauges read from the database). */
int pages_metrics(struct worker *w);

/* GET /axl/status/apply/<id>: the JSON document (404 with a JSON error
 * when there is no such request). */
int pages_apply_status(struct worker *w);

/* GET /ccmadmin/<file>: a console file (console_files.h), index.html for
 * /ccmadmin/; no credentials needed (the console signs in through AXL). */
int pages_console(struct worker *w);

#endif
