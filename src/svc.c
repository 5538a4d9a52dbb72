/*
 * svc.c: helpers shared by the SOAP adapters.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

bool
svc_key(int which, const char *value, const char *name_element, struct svc_key *key,
	struct app_err *err)
{
	memset(key, 0, sizeof(*key));
	if (which == SVC_KEY_NAME && value != NULL) {
		key->key.name = value;
		return true;
	}
	if (which == SVC_KEY_UUID && value != NULL) {
		if (!uuid_parse(value, key->uuid_buf))
			return app_err_invalid(err, "uuid", value, "not a uuid");
		key->key.uuid = key->uuid_buf;
		return true;
	}
	return app_err_set(err, APP_E_MISSING_FIELD, name_element,
			   "Missing required element: %s or uuid", name_element);
}

bool
svc_count(const char *element, const char *text, long *out, struct app_err *err)
{
	char *end;
	long n;

	*out = -1;
	if (text == NULL)
		return true;
	n = strtol(text, &end, 10);
	if (end == text || *end != '\0' || n < 0)
		return app_err_invalid(err, element, text, "expected a whole number");
	*out = n;
	return true;
}

bool
svc_in_use(struct app_err *err, const char *what, const char *name, long count,
	   const char *first_names)
{
	if (count > 5)
		return app_err_set(err, APP_E_IN_USE, NULL,
				   "Cannot remove %s %s: it is used by %ld phone(s): %s and %ld more",
				   what, name, count, first_names, count - 5);
	return app_err_set(err, APP_E_IN_USE, NULL,
			   "Cannot remove %s %s: it is used by %ld phone(s): %s", what, name, count,
			   first_names);
}

struct actor
svc_actor(const struct worker *w, const char *op)
{
	/* The node as the SIP side names it: sip_node, else the host name. */
	static __thread char host[64];

	if (w->cfg->sip_node[0] == '\0' && host[0] == '\0' &&
	    gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	return (struct actor) { .who = w->req.user, .source = w->req.peer, .op = op,
				.node = w->cfg->sip_node[0] ? w->cfg->sip_node : host };
}
