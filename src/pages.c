/*
 * pages.c: the GET resources (see pages.h).  Each builds its body in
 * w->body and sends it with http_send(); a failure of the server (the
 * database down, say) goes out through http_error() like every other HTTP
 * error.
 */
#include "pages.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "soapH.h"

#include "apply_status.h"
#include "console_files.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "repo_apply.h"
#include "worker.h"

static const char page_service[] =
	"<html><head><title>Cisco CallManager: AXL Web Service</title></head>"
	"<body><h1>Cisco CallManager: AXL Web Service</h1>"
	"<p>The AXL Web Service is working and accepting requests.<br/>"
	"Use HTTP POST to send a request.</p></body></html>";

int
pages_service(struct worker *w)
{
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, page_service);
	/* The caller's role, for a client that shows only what it may do
	 * (the console hides its write buttons from a read-only user). */
	snprintf(w->extra_header, sizeof(w->extra_header), "X-Axlprov-Role: %s\r\n", w->req.role);
	return http_send(w, 200, "text/html;charset=ISO-8859-1", false);
}

/* The product's own page.  The marker cucm-py checks is the whole text of
 * one element. */
static const char page_root[] =
	"<html><head><title>axlprov</title></head><body>"
	"<h1>axlprov</h1>"
	"<p>An AXL provisioning server and SIP registrar that answers as</p>"
	"<p>Cisco Unified Communications Manager</p>"
	"<p>AXL endpoint: <a href=\"/axl/\">/axl/</a></p></body></html>";

int
pages_root(struct worker *w)
{
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, page_root);
	return http_send(w, 200, "text/html;charset=UTF-8", false);
}

/* The host the client named (its Host header, which gSOAP keeps as
 * scheme://host in soap->endpoint), "" when it sent none. */
static void
request_host(const struct worker *w, char *out, size_t size)
{
	const char *p = strstr(w->soap->endpoint, "://");
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 3;
	n = strcspn(p, "/");
	snprintf(out, size, "%.*s", (int) (n < size ? n : size - 1), p);
}

int
pages_uds_version(struct worker *w)
{
	char host[256];

	request_host(w, host, sizeof(host));
	xbuf_reset(&w->body);
	xbuf_puts(&w->body, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
			    "<versionInformation version=\"");
	xbuf_put_escaped(&w->body, w->cfg->ccm_version);
	xbuf_printf(&w->body, "\" uri=\"%s://", w->req.tls ? "https" : "http");
	xbuf_put_escaped(&w->body, host[0] ? host : "localhost");
	xbuf_puts(&w->body, "/cucm-uds/version\"/>");
	return http_send(w, 200, "application/xml", false);
}

int
pages_metrics(struct worker *w)
{
	struct metrics_gauges g = { .ok = true };
	struct app_err err = { 0 };

	g.ok = repo_metrics_outbox(w->db, &g.outbox_pending, &g.outbox_sending, &err) &&
	       repo_metrics_bindings(w->db, &g.sip_bindings, &err);
	if (!g.ok)
		log_msg(LOG_WARN, "metrics: %s", err.msg);
	xbuf_reset(&w->body);
	metrics_render(&w->body, &g);
	return http_send(w, 200, "text/plain; version=0.0.4; charset=utf-8", false);
}

int
pages_apply_status(struct worker *w)
{
	char id[256];
	struct app_err err = { 0 };

	http_apply_status_id(w, id, sizeof(id));
	xbuf_reset(&w->body);
	if (apply_status_json(w->db, id, &w->body, &err))
		return http_send(w, 200, "application/json", false);
	if (err.code == APP_E_DB_UNAVAILABLE)
		return http_error(w, 503, "The database is not reachable; try again later.", 5,
				  false);
	if (err.code != APP_E_NOT_FOUND)
		return http_error(w, 500, err.msg, 0, false);
	/* No such request: the resource's own answer, as the CLI gives it. */
	xbuf_reset(&w->body);
	apply_status_error_json(&w->body, err.msg);
	return http_send(w, 404, "application/json", false);
}

static const struct console_file *
console_find(const char *name)
{
	size_t i;

	if (name[0] == '\0')
		name = "index.html";
	for (i = 0; i < console_files_count; i++)
		if (strcmp(console_files[i].name, name) == 0)
			return &console_files[i];
	return NULL;
}

/* If-None-Match names this ETag (gSOAP hands header values over with
 * their quotes removed; a client may send either form). */
static bool
etag_matches(const char *header, const char *etag)
{
	size_t n = strlen(header), e = strlen(etag) - 2;

	if (n >= 2 && header[0] == '"' && header[n - 1] == '"') {
		header++;
		n -= 2;
	}
	return n == e && strncmp(header, etag + 1, e) == 0;
}

int
pages_console(struct worker *w)
{
	char name[128];
	const struct console_file *f;

	if (!http_console_name(w, name, sizeof(name))) {
		xbuf_reset(&w->body);
		snprintf(w->extra_header, sizeof(w->extra_header), "Location: /ccmadmin/\r\n");
		return http_send(w, 301, "text/plain; charset=utf-8", false);
	}
	if ((f = console_find(name)) == NULL)
		return http_error(w, 404, "The requested resource is not available.", 0, false);
	xbuf_reset(&w->body);
	if (etag_matches(http_if_none_match(w), f->etag))
		return http_send_console(w, 304, f->type, f->etag);
	xbuf_put(&w->body, (const char *) f->data, f->len);
	return http_send_console(w, 200, f->type, f->etag);
}
