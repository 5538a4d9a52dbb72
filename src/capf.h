/*
 * capf.h: phone certificates.  The CAPF CA (the server's own certificate
 * authority, settings capf_cert/capf_key) issues LSCs (locally significant
 * certificates); manufacture-installed certificates (MICs) chain to the
 * roots in mic_roots.  This module loads that trust, classifies a
 * certificate a TLS peer presents, and checks and signs certificate
 * requests.  Pure C + OpenSSL: no database, no gSOAP.
 */
#ifndef AXLPROV_CAPF_H
#define AXLPROV_CAPF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "config.h"
#include "err.h"

struct capf_trust; /* the CAPF CA certificate (+ key when signing) and the MIC roots */

/* Reads capf_cert (and its key from capf_key, or from capf_cert when that
 * is empty, only if need_key) and the mic_roots bundle.  An empty
 * capf_cert means no LSC is trusted (and need_key fails); an empty
 * mic_roots means no MIC is.  NULL with err set when a file is missing or
 * unreadable, the key does not match, or the certificate cannot sign. */
struct capf_trust *capf_trust_load(const struct config *cfg, bool need_key, struct app_err *err);
void capf_trust_free(struct capf_trust *t);

enum cert_kind { CERT_NONE, CERT_LSC, CERT_MIC, CERT_UNTRUSTED };
/* What the registrar's rules need to know of a certificate a TLS peer presented. */
struct cert_facts {
	enum cert_kind
		kind; /* LSC: signed by the CAPF CA; MIC: chains to mic_roots; else UNTRUSTED; NONE: no cert */
	bool not_yet_valid, expired;
	char cn[128];         /* subject CN */
	char serial[64];      /* hex, upper case */
	char fingerprint[65]; /* SHA-256 of the DER, lower-case hex */
	long long not_after;  /* seconds since the epoch */
};
/* Classifies a presented certificate with its chain (may be NULL) at time `now`. Pure: no database. */
void capf_cert_facts(const struct capf_trust *t, X509 *leaf, STACK_OF(X509) * chain, time_t now,
		     struct cert_facts *out);
/* True if `cn` names `device` for that kind (LSC: equal; MIC: equal or ends with "-" + device). */
bool capf_cn_names(enum cert_kind kind, const char *cn, const char *device);

/* What a phone's certificate request must be: its CN the device name,
 * its key what the phone's security profile orders. */
struct capf_key_rules {
	const char *device; /* the phone's name */
	const char
		*key_order;   /* keyOrder: "RSA Only", "EC Only", "EC Preferred, RSA Backup", ... */
	const char *key_size; /* keySize: RSA bits */
	const char *ec_key_size; /* ecKeySize: EC bits (256, 384, 521) */
};

/* A certificate capf_issue() signed. */
struct capf_issued {
	char *pem;               /* malloc'd PEM certificate */
	struct cert_facts facts; /* its serial, fingerprint, not-after (kind CERT_LSC) */
};

/* Parses a PKCS#10 request (PEM or DER) and checks it against rules: the
 * signature verifies with its own key (proof of possession), the subject
 * CN is the device name, the key's type and size are what the profile
 * orders.  Each refusal is APP_E_INVALID_VALUE (field "csr") or APP_E_RULE
 * (the key) with a message saying why; no key material in it. */
bool capf_check_request(const unsigned char *csr, size_t len, const struct capf_key_rules *rules,
			struct app_err *err);

/* capf_check_request(), then signs the request with the CAPF CA (loaded
 * with need_key) for `days` from `now`: a random positive 16-byte serial,
 * subject CN = device, keyUsage digitalSignature + keyEncipherment,
 * extendedKeyUsage clientAuth + serverAuth.  Free out with
 * capf_issued_free(). */
bool capf_issue(const struct capf_trust *t, const unsigned char *csr, size_t len,
		const struct capf_key_rules *rules, long days, time_t now, struct capf_issued *out,
		struct app_err *err);
void capf_issued_free(struct capf_issued *out);

/* The kind's name for logs and reason phrases: "none", "LSC", "MIC", "untrusted". */
const char *capf_kind_name(enum cert_kind kind);

/* The CAPF CA's subject (one line) and not-after, for the start-up log;
 * false when no CA is loaded. */
bool capf_ca_describe(const struct capf_trust *t, char *subject, size_t size, long long *not_after);

#endif
