/*
 * pages.h: the GET resources, each answering one GET whose
 * path http.c named: the page saying the AXL service works, the Prometheus
 * metrics, and an apply request's delivery status; and the public ones
 * that request.c serves without credentials: the product page, the UDS
 * version and the administration console's static files.  They are the GET
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

/* GET /, public: a small page naming the product, carrying the text
 * "Cisco Unified Communications Manager" in an element of its own (the
 * marker cucm-py looks for) and linking the AXL endpoint. */
int pages_root(struct worker *w);

/* GET /cucm-uds/version, public: <versionInformation version="..."
 * uri="..."/> with the ccm_version setting, as CUCM's UDS answers. */
int pages_uds_version(struct worker *w);

/* GET /ccmadmin/<file>: a console file (console_files.h), index.html for
 * /ccmadmin/; no credentials needed (the console signs in through AXL). */
int pages_console(struct worker *w);

#endif
