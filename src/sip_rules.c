/*
 * sip_rules.c: digest nonces and responses, the security profile's and the
 * phone certificate's say on a REGISTER, expiry, NOTIFY text and retry
 * policy (see sip_rules.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sip_rules.h"

#define NONCE_TIME_LEN 16
#define NONCE_MAC_LEN (SIP_NONCE_LEN - NONCE_TIME_LEN)

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
nonce_mac(const char *secret, const char *time_hex, char out[NONCE_MAC_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char data[NONCE_TIME_LEN + sizeof(SIP_REALM) + 2], hex[2 * EVP_MAX_MD_SIZE + 1] = { 0 };
	size_t len = 0;

	snprintf(data, sizeof(data), "%s:%s", time_hex, SIP_REALM);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
		      (const unsigned char *) data, strlen(data), mac, sizeof(mac), &len) == NULL)
		len = 0;
	to_hex(mac, len, hex);
	/* A failed MAC leaves "" and can never match a nonce. */
	memcpy(out, hex, NONCE_MAC_LEN);
	out[len * 2 >= NONCE_MAC_LEN ? NONCE_MAC_LEN : 0] = '\0';
}

void
sip_nonce_make(const char *secret, time_t now, char out[SIP_NONCE_LEN + 1])
{
	char time_hex[NONCE_TIME_LEN + 1], mac[NONCE_MAC_LEN + 1];

	snprintf(time_hex, sizeof(time_hex), "%016llx", (unsigned long long) now);
	nonce_mac(secret, time_hex, mac);
	snprintf(out, SIP_NONCE_LEN + 1, "%s%s", time_hex, mac);
}

/* FNV-1a over the key's parts, each ended by a 0 byte; never 0. */
static unsigned long long
nc_key(const char *const parts[4])
{
	unsigned long long h = 14695981039346656037ULL;

	for (int i = 0; i < 4; i++) {
		for (const char *p = parts[i] ? parts[i] : "";; p++) {
			h = (h ^ (unsigned char) *p) * 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	}
	return h ? h : 1;
}

static bool
nc_parse(const char *hex, unsigned *nc)
{
	unsigned long v = 0;

	if (hex == NULL || strlen(hex) != 8)
		return false;
	for (int i = 0; i < 8; i++) {
		int c = hex[i], d = c >= '0' && c <= '9' ? c - '0' :
				    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				    c >= 'A' && c <= 'F' ? c - 'A' + 10 :
							   -1;

		if (d < 0)
			return false;
		v = v << 4 | (unsigned long) d;
	}
	*nc = (unsigned) v;
	return v > 0;
}

bool
sip_nc_fresh(struct sip_nc_table *t, const char *nonce, const char *cnonce, const char *user,
	     const char *phone, const char *nc_hex, time_t now)
{
	const char *const parts[4] = { nonce, cnonce, user, phone };
	unsigned long long key = nc_key(parts);
	struct sip_nc_slot *victim = NULL;
	unsigned nc;

	if (!nc_parse(nc_hex, &nc))
		return false;
	for (int i = 0; i < SIP_NC_PROBE; i++) {
		struct sip_nc_slot *sl = &t->slot[(key + (unsigned long long) i) % SIP_NC_SLOTS];

		if (sl->key == key) {
			if (nc <= sl->nc)
				return false;
			sl->nc = nc;
			sl->seen = (unsigned) now;
			return true;
		}
		/* An empty slot, else the least recently used. */
		if (victim == NULL ||
		    (victim->key != 0 &&
		     (sl->key == 0 || (unsigned) now - sl->seen > (unsigned) now - victim->seen)))
			victim = sl;
	}
	*victim = (struct sip_nc_slot) { .key = key, .nc = nc, .seen = (unsigned) now };
	return true;
}

enum nonce_state
sip_nonce_check(const char *secret, const char *nonce, time_t now, long validity)
{
	char time_hex[NONCE_TIME_LEN + 1], mac[NONCE_MAC_LEN + 1];
	unsigned long long issued;
	char *end;

	if (nonce == NULL || strlen(nonce) != SIP_NONCE_LEN)
		return NONCE_BAD;
	memcpy(time_hex, nonce, NONCE_TIME_LEN);
	time_hex[NONCE_TIME_LEN] = '\0';
	issued = strtoull(time_hex, &end, 16);
	if (*end != '\0')
		return NONCE_BAD;
	nonce_mac(secret, time_hex, mac);
	if (strlen(mac) != NONCE_MAC_LEN ||
	    CRYPTO_memcmp(mac, nonce + NONCE_TIME_LEN, NONCE_MAC_LEN) != 0)
		return NONCE_BAD;
	if (issued > (unsigned long long) now ||
	    (unsigned long long) now - issued > (unsigned long long) validity)
		return NONCE_STALE;
	return NONCE_OK;
}

/* hex(H(a ":" b ":" ...)) of NULL-terminated parts. */
static bool
hash_hex(const EVP_MD *md, char *out, size_t outsize, const char *const *parts)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1;

	for (int i = 0; ok && parts[i] != NULL; i++)
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1) == 1) &&
		     EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, dig, &len) == 1 && outsize > 2 * (size_t) len;
	EVP_MD_CTX_free(ctx);
	if (ok)
		to_hex(dig, len, out);
	return ok;
}

bool
sip_digest_ok(const struct sip_digest *d, const char *method, const char *ha1_md5,
	      const char *ha1_sha256)
{
	char ha2[2 * EVP_MAX_MD_SIZE + 1], expect[2 * EVP_MAX_MD_SIZE + 1];
	const EVP_MD *md;
	const char *ha1;
	bool ok;

	if (d->nonce == NULL || d->uri == NULL || d->response == NULL)
		return false;
	if (d->algorithm == NULL || strcasecmp(d->algorithm, "MD5") == 0) {
		md = EVP_md5();
		ha1 = ha1_md5;
	} else if (strcasecmp(d->algorithm, "SHA-256") == 0) {
		md = EVP_sha256();
		ha1 = ha1_sha256;
	} else {
		return false;
	}
	if (ha1 == NULL || ha1[0] == '\0')
		return false;
	if (!hash_hex(md, ha2, sizeof(ha2), (const char *const[]) { method, d->uri, NULL }))
		return false;
	if (d->qop == NULL) {
		ok = hash_hex(md, expect, sizeof(expect),
			      (const char *const[]) { ha1, d->nonce, ha2, NULL });
	} else {
		if (strcasecmp(d->qop, "auth") != 0 || d->nc == NULL || d->cnonce == NULL)
			return false;
		ok = hash_hex(md, expect, sizeof(expect),
			      (const char *const[]) { ha1, d->nonce, d->nc, d->cnonce, d->qop, ha2,
						      NULL });
	}
	return ok && strlen(d->response) == strlen(expect) &&
	       CRYPTO_memcmp(expect, d->response, strlen(expect)) == 0;
}

/* Non Secure: the transports transportType names, never TLS. */
static int
admit_plain(const struct sip_admission *a, const char **phrase)
{
	static const struct {
		const char *type, *tls_phrase;
		bool udp, tcp;
	} types[] = {
		{ "TCP+UDP", "Forbidden: Non Secure profile allows TCP and UDP only", true, true },
		{ "UDP", "Forbidden: Non Secure profile allows UDP only", true, false },
		{ "TCP", "Forbidden: Non Secure profile allows TCP only", false, true },
		{ "TLS",
		  "Forbidden: Non Secure profile allows no TLS (make it Authenticated or Encrypted)",
		  false, false },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(types[i].type, a->transport_type) != 0)
			continue;
		if (strcmp(a->transport, "tls") == 0)
			*phrase = types[i].tls_phrase;
		else if (strcmp(a->transport, "udp") == 0 && !types[i].udp)
			*phrase = "Forbidden: UDP is not allowed by the phone's security profile";
		else if (strcmp(a->transport, "tcp") == 0 && !types[i].tcp)
			*phrase = "Forbidden: TCP is not allowed by the phone's security profile";
		else
			return 0;
		return 403;
	}
	*phrase = "Forbidden: unknown transport type in the phone's security profile";
	return 403;
}

/* The certificate of a TLS REGISTER for an Authenticated or Encrypted
 * profile: NULL when accepted, else why not. */
static const char *
cert_refusal(const struct sip_admission *a, bool encrypted)
{
	const struct cert_facts *c = a->cert;

	if (c == NULL || c->kind == CERT_NONE)
		return encrypted ?
			       "Forbidden: Encrypted profile requires a phone certificate (LSC)" :
			       "Forbidden: Authenticated profile requires a phone certificate (LSC)";
	if (c->kind != CERT_LSC && c->kind != CERT_MIC)
		return "Forbidden: certificate not trusted";
	if (c->expired)
		return "Forbidden: certificate expired";
	if (c->not_yet_valid)
		return "Forbidden: certificate not yet valid";
	if (!capf_cn_names(c->kind, c->cn, a->device))
		return "Forbidden: certificate names another device";
	if (c->kind == CERT_MIC && !a->accept_mic)
		return "Forbidden: MIC not accepted for registration (sip_accept_mic is off)";
	if (c->kind == CERT_MIC && !a->model_ships_mic)
		return "Forbidden: model ships no MIC";
	if (c->kind == CERT_LSC &&
	    (a->lsc_fingerprint == NULL || strcmp(a->lsc_fingerprint, c->fingerprint) != 0))
		return "Forbidden: LSC is not the one on record (replaced or revoked)";
	return NULL;
}

int
sip_admit(const struct sip_admission *a, enum cert_kind *kind, const char **phrase)
{
	bool encrypted = strcmp(a->security_mode, "Encrypted") == 0;

	*kind = CERT_NONE;
	*phrase = NULL;
	if (!a->sip) {
		*phrase = "Forbidden: the phone is configured for SCCP";
		return 403;
	}
	if (strcmp(a->security_mode, "Non Secure") == 0)
		return admit_plain(a, phrase);
	if (strcmp(a->transport, "tls") != 0) {
		*phrase =
			encrypted ?
				"Forbidden: Encrypted security profile requires SIP over TLS with a phone certificate" :
				"Forbidden: Authenticated security profile requires SIP over TLS with a phone certificate";
		return 403;
	}
	*phrase = cert_refusal(a, encrypted);
	if (*phrase != NULL)
		return 403;
	*kind = a->cert->kind;
	return 0;
}

bool
sip_binding_notifiable(const char *security_mode, const char *transport)
{
	return (strcmp(security_mode, "Non Secure") == 0) == (strcmp(transport, "tls") != 0);
}

long
sip_expiry(long contact_param, long header)
{
	long e = contact_param >= 0 ? contact_param : header >= 0 ? header : SIP_DEFAULT_EXPIRES;

	if (e == 0)
		return 0;
	if (e < SIP_MIN_EXPIRES)
		return -1;
	return e > SIP_MAX_EXPIRES ? SIP_MAX_EXPIRES : e;
}

bool
sip_notify_text(const char *style, const char *action, const char *register_call_id,
		long long config_version, struct sip_notify_text *out)
{
	int n;

	if (strcmp(style, "check-sync") == 0) {
		/* Third-party phones: reboot only for reset and restart. */
		snprintf(out->event, sizeof(out->event), "check-sync;reboot=%s",
			 strcmp(action, "apply-config") == 0 ? "false" : "true");
		out->subscription_state = "terminated;reason=noresource";
		out->body[0] = '\0';
		return true;
	}
	/* Cisco's sipcc parser wants braces around every value but action and
	 * CUCMResult, one key=value per line. */
	snprintf(out->event, sizeof(out->event), "service-control");
	out->subscription_state = "active";
	n = snprintf(out->body, sizeof(out->body),
		     "action=%s\r\n"
		     "RegisterCallId={%s}\r\n"
		     "ConfigVersionStamp={%016llX}\r\n"
		     "DialplanVersionStamp={}\r\n"
		     "SoftkeyVersionStamp={}\r\n"
		     "FeatureControlVersionStamp={}\r\n"
		     "%s",
		     action, register_call_id, config_version,
		     strcmp(action, "apply-config") == 0 ? "CUCMResult=config_applied\r\n" : "");
	return n > 0 && (size_t) n < sizeof(out->body);
}

bool
sip_status_retryable(int status)
{
	return status == 408 || status == 480 || (status >= 500 && status < 600) || status <= 0;
}

long
sip_backoff(long base, int attempt)
{
	long wait = base;

	for (int i = 1; i < attempt && wait < 300; i++)
		wait *= 2;
	return wait > 300 ? 300 : wait;
}

bool
sip_bucket_take(struct sip_bucket *b, double now, double rate, double burst)
{
	if (!b->started || now < b->last) {
		b->tokens = burst;
		b->started = true;
	} else {
		b->tokens += (now - b->last) * rate;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
