/*
 * svc_device.c: the handlers of getCCMVersion, doDeviceReset and
 * listRegistrationDynamic (see ops.h): what toolchains ask before and
 * after they touch a phone.  The version comes from the ccm_version
 * setting; a reset goes through the apply outbox like resetPhone (see
 * svc_apply.c); registration state is what the registrar recorded (see
 * repo_registration.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "like.h"
#include "log.h"
#include "repo_apply.h"
#include "repo_registration.h"
#include "svc.h"

bool
svc_device_version(struct op_call *c, void *req_)
{
	struct ns__GetCCMVersionReq *req = req_;
	const char *node = req->processNodeName;
	char why[160];

	/* Only this node's version is known here: its own name (sip_node,
	 * else the host name) or no name at all. */
	if (node != NULL && node[0] != '\0' && strcmp(node, c->actor.node) != 0) {
		snprintf(why, sizeof(why), "not a node of this cluster; this node is %.64s",
			 c->actor.node);
		return app_err_invalid(&c->err, "processNodeName", node, why);
	}
	axl_response_open(c->w, c->name, req->sequence);
	xbuf_puts(&c->w->body, "<return><componentVersion><version>");
	xbuf_put_escaped(&c->w->body, c->w->cfg->ccm_version);
	xbuf_puts(&c->w->body, "</version></componentVersion></return>");
	c->rc = axl_response_send(c->w, c->name);
	return true;
}

/* AXL's deviceResetType values; NULL: one this server cannot carry out. */
static const struct {
	const char *type;
	const char *action;
} reset_types[] = {
	{ "Reset", "reset" },
	{ "Restart", "restart" },
	{ "Apply Configuration", "apply-config" },
	{ "Generate PRT", NULL },
	{ "Extended Config Pull", NULL },
};

/* AXL's boolean: true/false, t/f, 1/0.  -1 for anything else. */
static int
axl_bool(const char *s)
{
	static const char *const yes[] = { "true", "t", "1" }, *const no[] = { "false", "f", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* The NOTIFY action a request asks for: isHardReset or deviceResetType,
 * exactly one of them. */
static bool
reset_action(struct op_call *c, const struct ns__DoDeviceResetReq *req, const char **action)
{
	int hard;

	if (req->isMGCP != NULL && axl_bool(req->isMGCP) == 1)
		return app_err_set(&c->err, APP_E_INVALID_VALUE, "isMGCP",
				   "isMGCP=\"true\" is not supported: this server resets SIP "
				   "phones only, it has no MGCP gateways");
	if ((req->isHardReset != NULL) == (req->deviceResetType != NULL))
		return axl_err_missing(&c->err, "isHardReset",
				       "give exactly one of isHardReset and deviceResetType");
	if (req->isHardReset != NULL) {
		if ((hard = axl_bool(req->isHardReset)) < 0)
			return app_err_invalid(&c->err, "isHardReset", req->isHardReset,
					       "expected true or false");
		*action = hard ? "reset" : "restart";
		return true;
	}
	for (size_t i = 0; i < sizeof(reset_types) / sizeof(reset_types[0]); i++) {
		if (strcmp(req->deviceResetType, reset_types[i].type) != 0)
			continue;
		if ((*action = reset_types[i].action) != NULL)
			return true;
		return app_err_set(&c->err, APP_E_INVALID_VALUE, "deviceResetType",
				   "deviceResetType %s is not supported by this server: it can "
				   "Reset, Restart or Apply Configuration",
				   reset_types[i].type);
	}
	return app_err_invalid(&c->err, "deviceResetType", req->deviceResetType,
			       "expected Reset, Restart or Apply Configuration");
}

/* deviceName: the name, or (empty text) the uuid attribute. */
static bool
device_key(struct op_call *c, const struct ns__XFkType *d, struct svc_key *kb)
{
	if (d != NULL && d->__item != NULL && d->__item[0] != '\0')
		return svc_key(c, SVC_KEY_NAME, d->__item, "deviceName", kb);
	if (d != NULL && d->uuid != NULL)
		return svc_key(c, SVC_KEY_UUID, d->uuid, "deviceName", kb);
	return axl_err_missing(&c->err, "deviceName", "deviceName (a name or uuid)");
}

bool
svc_device_reset(struct op_call *c, void *req_)
{
	struct ns__DoDeviceResetReq *req = req_;
	struct apply_queued q = { 0 };
	struct svc_key kb;
	struct apply_order order = {
		.target = APPLY_PHONE, .operation = c->name, .actor = &c->actor, .key = &kb.key
	};

	if (!device_key(c, req->deviceName, &kb) || !reset_action(c, req, &order.action) ||
	    !svc_apply_order(c, &order, &q))
		return false;
	/* DoDeviceResetRes: "true" once the reset is under way (the schema's
	 * own description of its return). */
	axl_response_open(c->w, c->name, req->sequence);
	xbuf_puts(&c->w->body, "<return>true</return>");
	c->rc = axl_response_send(c->w, c->name);
	return true;
}

/* returnedTags, in the schema's order. */
enum {
	RD_DEVICE,
	RD_IP,
	RD_UCM,
	RD_CONFIG,
	RD_LOCATION,
	RD_CONNECTION,
	RD_PORT,
	RD_SEEN,
	RD_STATUS,
	RD__COUNT
};
static const size_t rd_tags[RD__COUNT] = {
	offsetof(struct ns__LRegistrationDynamic, device),
	offsetof(struct ns__LRegistrationDynamic, lastKnownIpAddress),
	offsetof(struct ns__LRegistrationDynamic, lastKnownUcm),
	offsetof(struct ns__LRegistrationDynamic, lastKnownConfigVersion),
	offsetof(struct ns__LRegistrationDynamic, locationDetails),
	offsetof(struct ns__LRegistrationDynamic, endpointConnection),
	offsetof(struct ns__LRegistrationDynamic, portOrSsid),
	offsetof(struct ns__LRegistrationDynamic, lastSeen),
	offsetof(struct ns__LRegistrationDynamic, risStatus),
};
/* risStatus came with schema 12.5; the others are in every version that
 * has the operation. */
static const int rd_since[RD__COUNT] = { [RD_STATUS] = 125 };
static const char *const rd_names[RD__COUNT] = {
	"device",          "lastKnownIpAddress", "lastKnownUcm", "lastKnownConfigVersion",
	"locationDetails", "endpointConnection", "portOrSsid",   "lastSeen",
	"risStatus",
};

/* One row.  What only CUCM's network discovery knows (location, the
 * switch connection, port or SSID) is empty. */
static void
put_registration(struct worker *w, unsigned mask, const void *item)
{
	const struct reg_row *r = item;
	const char *values[RD__COUNT] = {
		[RD_IP] = r->ip,          [RD_UCM] = r->node,      [RD_CONFIG] = r->config_version,
		[RD_SEEN] = r->last_seen, [RD_STATUS] = r->status,
	};
	char uuid[UUID_AXL_LEN + 1];

	xbuf_puts(&w->body, "<registrationDynamic>");
	if (mask & (1u << RD_DEVICE)) {
		uuid_format(r->uuid, uuid);
		xbuf_printf(&w->body, "<device uuid=\"%s\">", uuid);
		xbuf_put_escaped(&w->body, r->name);
		xbuf_puts(&w->body, "</device>");
	}
	for (int i = RD_IP; i < RD__COUNT; i++)
		if ((mask & (1u << i)) && w->req.version >= rd_since[i])
			xbuf_element(&w->body, rd_names[i], values[i] ? values[i] : "");
	xbuf_puts(&w->body, "</registrationDynamic>");
}

static bool
registration_row(void *ctx, const struct reg_row *row)
{
	return svc_list_row(ctx, row);
}

static bool
registrations_run(struct op_call *c, struct svc_list *l, const void *search, long *matched)
{
	return repo_registration_list(c->w->db, search, registration_row, l, matched, &c->err);
}

bool
svc_device_registrations(struct op_call *c, void *req_)
{
	struct ns__ListRegistrationDynamicReq *req = req_;
	struct svc_list l = { .put = put_registration,
			      .mask = svc_returned_mask(req->returnedTags, rd_tags,
							sizeof(rd_tags[0]), RD__COUNT) };
	struct reg_search search = { 0 };

	search.device = req->searchCriteria ? req->searchCriteria->device : NULL;
	if (search.device == NULL)
		return axl_err_missing(&c->err, "searchCriteria",
				       "searchCriteria needs its device element");
	if (!like_check("device", search.device, &c->err) ||
	    !svc_list_counts(c, &l, req->skip, req->first))
		return false;
	search.skip = l.skip;
	search.first = l.first;
	return svc_list(c, req->sequence, &l, registrations_run, &search);
}
