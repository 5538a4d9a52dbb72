/*
 * apply_status.c: renders an apply request's delivery status as JSON: the
 * request, the counts per state, and each targeted phone.
 */
#include <stdio.h>

#include "apply_status.h"
#include "repo_apply.h"
#include "uuid.h"
#include "xbuf.h"

static void
json_member(struct xbuf *b, const char *key, const char *value, bool comma)
{
	xbuf_printf(b, "%s\"%s\": ", comma ? ", " : "", key);
	xbuf_put_json(b, value);
}

static bool
put_phone(void *ctx, const struct apply_phone_status *p)
{
	struct xbuf *b = ctx;

	xbuf_puts(b, b->len > 0 && b->data[b->len - 1] == '[' ? "\n    {" : ",\n    {");
	json_member(b, "name", p->name, false);
	json_member(b, "state", p->state, true);
	xbuf_printf(b, ", \"attempts\": %d, \"sipStatus\": %s", p->attempts,
		    p->sip_status[0] ? p->sip_status : "null");
	json_member(b, "reason", p->reason, true);
	if (p->done_at[0])
		json_member(b, "doneAt", p->done_at, true);
	/* delivered (doneAt) is the NOTIFY's 200 OK; confirmed, the phone's
	 * new registration after it. */
	xbuf_printf(b, ", \"confirmed\": %s", p->confirmed_at[0] ? "true" : "false");
	if (p->confirmed_at[0])
		json_member(b, "confirmedAt", p->confirmed_at, true);
	xbuf_puts(b, "}");
	return true;
}

void
apply_status_error_json(struct xbuf *out, const char *message)
{
	xbuf_puts(out, "{");
	json_member(out, "error", message, false);
	xbuf_puts(out, "}\n");
}

bool
apply_status_json(struct db *db, const char *id, struct xbuf *out, struct app_err *err)
{
	struct apply_status st = { 0 };
	char request[UUID_AXL_LEN + 1], target[UUID_AXL_LEN + 1];
	struct xbuf phones;
	bool ok;

	xbuf_init(&phones);
	xbuf_puts(&phones, "[");
	ok = repo_apply_status(db, id, &st, APPLY_STATUS_PHONES, put_phone, &phones, err);
	if (ok) {
		uuid_format(st.request_uuid, request);
		uuid_format(st.target_uuid, target);
		xbuf_puts(out, "{");
		json_member(out, "request", request, false);
		json_member(out, "operation", st.operation, true);
		json_member(out, "action", st.action, true);
		json_member(out, "targetKind", st.target_kind, true);
		json_member(out, "targetName", st.target_name, true);
		json_member(out, "targetUuid", target, true);
		json_member(out, "requestedBy", st.requested_by, true);
		json_member(out, "createdAt", st.created_at, true);
		xbuf_printf(out,
			    ",\n  \"targeted\": %ld, \"delivered\": %ld, \"pending\": %ld, "
			    "\"failed\": %ld, \"unreachable\": %ld, \"notQueuedYet\": %ld,\n"
			    "  \"phones\": ",
			    st.targeted, st.delivered, st.pending, st.failed, st.unreachable,
			    st.queued);
		xbuf_put(out, phones.data, phones.len);
		xbuf_puts(out, phones.len > 1 ? "\n  ]}\n" : "]}\n");
	}
	xbuf_free(&phones);
	return ok;
}
