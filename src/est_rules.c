/*
 * est_rules.c: EST's decisions (see est_rules.h).  The order of checks:
 * a pending operation's deadline, then who is asking (by the profile's
 * authenticationMode, or the current LSC for a renewal), then whether an
 * operation is pending.  A refusal writes a failure status only for a
 * phone whose operation is pending: a stranger cannot rewrite the status
 * of any other phone.
 */
#include "est_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#define ST_STRING "Upgrade Failed: Invalid Authentication String"
#define ST_MIC "Upgrade Failed: Invalid MIC"
#define ST_LSC "Upgrade Failed: Invalid LSC"
#define ST_CREDS "Upgrade Failed: Invalid Credentials"
#define ST_FAILED "Upgrade Failed"

static bool
pending(const struct est_phone_view *ph)
{
	return strcmp(ph->operation, "Install/Upgrade") == 0;
}

/* Sets the verdict; status only for a pending phone. */
static void verdict(struct est_verdict *v, const struct est_phone_view *ph, int http,
		    enum metrics_enroll o, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void
verdict(struct est_verdict *v, const struct est_phone_view *ph, int http, enum metrics_enroll o,
	const char *status, const char *fmt, ...)
{
	va_list ap;

	v->http = http;
	v->outcome = o;
	v->status = pending(ph) ? status : NULL;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

int
est_deadline(const char *text, time_t *when)
{
	struct tm tm = { 0 };
	int n = 0;

	if (text[0] == '\0')
		return 0;
	if (sscanf(text, "%4d:%2d:%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &n) != 5 ||
	    text[n] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_hour < 0 ||
	    tm.tm_min < 0 || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	*when = mktime(&tm);
	return *when == (time_t) -1 ? -1 : 1;
}

/* Constant time in the secret's content: both sides padded to the
 * column's size, the lengths compared apart. */
bool
est_string_matches(const char *stored, const char *given)
{
	char a[129] = { 0 }, b[129] = { 0 };
	size_t ls = strlen(stored), lg = strlen(given);

	memcpy(a, stored, ls < 128 ? ls : 128);
	memcpy(b, given, lg < 128 ? lg : 128);
	return (CRYPTO_memcmp(a, b, sizeof(a)) == 0) & (ls == lg) & (ls > 0);
}

static bool
by_string(const struct est_phone_view *ph, const struct est_creds *c, struct est_verdict *v)
{
	if (!c->basic) {
		verdict(v, ph, 401, METRICS_ENROLL_CHALLENGED, NULL,
			"%s: HTTP Basic credentials are required (user: the device name, "
			"password: its authentication string)",
			ph->name);
		return false;
	}
	if (strcmp(c->user, ph->name) != 0) {
		verdict(v, ph, 401, METRICS_ENROLL_DENIED, ST_CREDS,
			"the HTTP user is not the phone the request names (%s)", ph->name);
		return false;
	}
	v->auth_checked = true;
	v->auth_ok = est_string_matches(ph->auth_string, c->password);
	if (!v->auth_ok)
		verdict(v, ph, 401, METRICS_ENROLL_DENIED, ST_STRING,
			"wrong authentication string for %s", ph->name);
	return v->auth_ok;
}

/* Whether the certificate is the phone's valid credential of kind want. */
static bool
cert_is(const struct est_phone_view *ph, const struct cert_facts *f, enum cert_kind want)
{
	if (f->kind != want || f->expired || f->not_yet_valid ||
	    !capf_cn_names(want, f->cn, ph->name))
		return false;
	return want != CERT_LSC || (ph->lsc_serial[0] && strcmp(f->serial, ph->lsc_serial) == 0);
}

static bool
by_cert(const struct est_phone_view *ph, const struct est_creds *c, enum cert_kind want,
	struct est_verdict *v)
{
	const char *kind = capf_kind_name(want);

	if (want == CERT_NONE) {
		verdict(v, ph, 403, METRICS_ENROLL_REFUSED, ST_CREDS,
			"%s holds neither an LSC nor a MIC to authenticate with", ph->name);
		return false;
	}
	if (c->cert->kind == CERT_NONE) {
		verdict(v, ph, 401, METRICS_ENROLL_CHALLENGED, NULL,
			"a TLS client certificate is required: the phone's %s", kind);
		return false;
	}
	if (cert_is(ph, c->cert, want))
		return true;
	verdict(v, ph, 401, METRICS_ENROLL_DENIED, want == CERT_LSC ? ST_LSC : ST_MIC,
		"the client certificate is not a valid %s of this phone (its current one, "
		"unexpired, trusted, naming it)",
		kind);
	return false;
}

/* Which certificate the mode asks for: the preferred kind when the phone
 * holds it, else the other one it holds, else none. */
static enum cert_kind
wanted(const struct est_phone_view *ph, bool lsc_first)
{
	bool lsc = ph->lsc_serial[0] != '\0', mic = ph->ships_mic;

	if (lsc_first)
		return lsc ? CERT_LSC : mic ? CERT_MIC : CERT_NONE;
	return mic ? CERT_MIC : lsc ? CERT_LSC : CERT_NONE;
}

static bool
authenticated(enum est_op op, const struct est_phone_view *ph, const struct est_creds *c,
	      struct est_verdict *v)
{
	const char *m = ph->auth_mode;

	if (op == EST_REENROLL)
		return by_cert(ph, c, CERT_LSC, v); /* renewal: the current LSC only */
	if (strcmp(m, "By Null String") == 0)
		return true;
	if (strcmp(m, "By Authentication String") == 0)
		return by_string(ph, c, v);
	if (strcmp(m, "By Existing Certificate (precedence to LSC)") == 0)
		return by_cert(ph, c, wanted(ph, true), v);
	if (strcmp(m, "By Existing Certificate (precedence to MIC)") == 0)
		return by_cert(ph, c, wanted(ph, false), v);
	verdict(v, ph, 403, METRICS_ENROLL_REFUSED, ST_FAILED, "unknown authenticationMode %s", m);
	return false;
}

/* A pending operation's deadline: past it, the operation ends. */
static bool
before_deadline(const struct est_phone_view *ph, time_t now, struct est_verdict *v)
{
	time_t when;
	int d = est_deadline(ph->finish_time, &when);

	if (!pending(ph) || d == 0 || (d == 1 && now <= when))
		return true;
	if (d < 0) {
		verdict(v, ph, 403, METRICS_ENROLL_REFUSED, NULL,
			"the phone's upgradeFinishTime (%s) is not a time (YYYY:MM:DD:HH:MM)",
			ph->finish_time);
		return false;
	}
	verdict(v, ph, 403, METRICS_ENROLL_EXPIRED, ST_FAILED,
		"the certificate operation's deadline (upgradeFinishTime %s) has passed; "
		"the operation has ended",
		ph->finish_time);
	v->end_operation = true;
	return false;
}

void
est_decide(enum est_op op, const struct est_phone_view *ph, const struct est_creds *c, time_t now,
	   struct est_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!before_deadline(ph, now, v) || !authenticated(op, ph, c, v))
		return;
	if (op == EST_ENROLL && !pending(ph)) {
		verdict(v, ph, 403, METRICS_ENROLL_REFUSED, NULL,
			"%s has no Install/Upgrade certificate operation pending", ph->name);
		return;
	}
	v->outcome = op == EST_ENROLL ? METRICS_ENROLL_ISSUED : METRICS_ENROLL_RENEWED;
}

void
est_refuse_request(const struct est_phone_view *ph, const char *why, struct est_verdict *v)
{
	verdict(v, ph, 400, METRICS_ENROLL_REFUSED, ST_FAILED, "%s", why);
}

bool
est_cert_valid(const struct est_phone_view *ph, const struct cert_facts *f)
{
	return (f->kind == CERT_LSC && cert_is(ph, f, CERT_LSC)) ||
	       (f->kind == CERT_MIC && ph->ships_mic && cert_is(ph, f, CERT_MIC));
}

void
est_cert_device(const struct cert_facts *f, char *out, size_t size)
{
	const char *dash = strrchr(f->cn, '-');

	if (f->kind == CERT_LSC)
		snprintf(out, size, "%s", f->cn);
	else if (f->kind == CERT_MIC)
		snprintf(out, size, "%s", dash ? dash + 1 : f->cn);
	else
		out[0] = '\0';
}

/* --- csrattrs: DER by hand (a few OIDs in a SEQUENCE) -------------------- */

struct der {
	unsigned char *p;
	size_t len, size;
	bool full;
};

static void
der_put(struct der *d, const unsigned char *b, size_t n)
{
	if (d->full || d->len + n > d->size) {
		d->full = true;
		return;
	}
	memcpy(d->p + d->len, b, n);
	d->len += n;
}

/* Tag and length of a body of n bytes (n < 65536). */
static void
der_head(struct der *d, unsigned char tag, size_t n)
{
	unsigned char h[4] = { tag };

	if (n < 128) {
		h[1] = (unsigned char) n;
		der_put(d, h, 2);
	} else {
		h[1] = 0x82;
		h[2] = (unsigned char) (n >> 8);
		h[3] = (unsigned char) n;
		der_put(d, h, 4);
	}
}

static void
der_oid(struct der *d, int nid)
{
	const ASN1_OBJECT *o = OBJ_nid2obj(nid);
	size_t n = OBJ_length(o);

	der_head(d, 0x06, n);
	der_put(d, OBJ_get0_data(o), n);
}

/* Attribute ::= SEQUENCE { id-ecPublicKey, SET { curve } } */
static void
der_ec_attr(struct der *d, int curve)
{
	size_t c = OBJ_length(OBJ_nid2obj(curve)) + 2;
	size_t k = OBJ_length(OBJ_nid2obj(NID_X9_62_id_ecPublicKey)) + 2;

	der_head(d, 0x30, k + c + 2);
	der_oid(d, NID_X9_62_id_ecPublicKey);
	der_head(d, 0x31, c);
	der_oid(d, curve);
}

static int
curve_of(const char *ec_key_size)
{
	return strcmp(ec_key_size, "384") == 0 ? NID_secp384r1 :
	       strcmp(ec_key_size, "521") == 0 ? NID_secp521r1 :
						 NID_X9_62_prime256v1;
}

/* The body: CN; for EC the key attribute and ecdsa-with-SHA256; for RSA
 * rsaEncryption and sha256WithRSAEncryption. */
static void
csrattrs_body(struct der *d, const char *key_order, const char *ec_key_size)
{
	bool ec = key_order != NULL && strncmp(key_order, "EC", 2) == 0;
	bool rsa = key_order != NULL && strstr(key_order, "RSA") != NULL;

	der_oid(d, NID_commonName);
	if (ec) {
		der_ec_attr(d, curve_of(ec_key_size));
		der_oid(d, NID_ecdsa_with_SHA256);
	}
	if (rsa)
		der_oid(d, NID_rsaEncryption);
	if (rsa || !ec)
		der_oid(d, NID_sha256WithRSAEncryption);
}

size_t
est_csrattrs(const char *key_order, const char *ec_key_size, unsigned char *out, size_t size)
{
	unsigned char body[512];
	struct der b = { body, 0, sizeof(body), false }, d = { out, 0, size, false };

	csrattrs_body(&b, key_order, ec_key_size);
	if (b.full)
		return 0;
	der_head(&d, 0x30, b.len);
	der_put(&d, body, b.len);
	return d.full ? 0 : d.len;
}

/* --- the per-address rate limit ------------------------------------------ */

void
est_rate_init(struct est_rate *r, long per_minute)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->per_minute = per_minute;
}

/* addr's slot, or the one counting the oldest minute (reused). */
static int
rate_slot(struct est_rate *r, const char *addr)
{
	int victim = 0;

	for (int i = 0; i < EST_RATE_SLOTS; i++) {
		if (strcmp(r->slot[i].addr, addr) == 0)
			return i;
		if (r->slot[i].window < r->slot[victim].window)
			victim = i;
	}
	snprintf(r->slot[victim].addr, sizeof(r->slot[victim].addr), "%s", addr);
	r->slot[victim].window = 0;
	r->slot[victim].count = 0;
	return victim;
}

bool
est_rate_allow(struct est_rate *r, const char *addr, time_t now)
{
	time_t minute = now / 60;
	bool ok;
	int i;

	if (r->per_minute <= 0)
		return true;
	pthread_mutex_lock(&r->lock);
	i = rate_slot(r, addr);
	if (r->slot[i].window != minute) {
		r->slot[i].window = minute;
		r->slot[i].count = 0;
	}
	ok = ++r->slot[i].count <= r->per_minute;
	pthread_mutex_unlock(&r->lock);
	return ok;
}
