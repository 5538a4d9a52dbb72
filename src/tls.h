/*
 * tls.h: the HTTPS listener's TLS material.  Owns the certificate(s), the
 * key(s), the cipher group (tls_ciphers) and the OpenSSL SSL_CTX built from
 * them.  There is one current SSL_CTX; a reload (SIGHUP) builds a new one
 * and swaps it in whole, so connections that already hold an SSL object
 * keep the context they were made with (the SSL holds a reference) and only
 * new handshakes see the new material.
 */
#ifndef AXLPROV_TLS_H
#define AXLPROV_TLS_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "config.h"
#include "err.h"

struct tls;

/* Loads cfg's tls_cert/tls_key (and tls_cert_ecdsa/tls_key_ecdsa) with
 * cfg's tls_ciphers group.  Fails, naming the setting, on an unreadable or
 * mismatched certificate or key, or a group none of whose TLS 1.2 suites the
 * certificates can serve. */
struct tls *tls_new(const struct config *cfg, struct app_err *err);

/* The same for the EST listener, whose contexts ask every client for a
 * certificate but require none and refuse none at the handshake (EST's
 * rules judge what was presented: est.c). */
struct tls *tls_new_est(const struct config *cfg, struct app_err *err);

/* Builds a context from cfg and makes it the current one.  On failure the
 * current context stays as it was and err says why. */
bool tls_reload(struct tls *t, const struct config *cfg, struct app_err *err);

/* The current context, with a reference the caller gives back with
 * SSL_CTX_free() (an SSL made from it holds its own).  Thread-safe. */
SSL_CTX *tls_acquire(struct tls *t);

/* One line about what is being served (group, certificates), for logs. */
const char *tls_describe(struct tls *t, char *buf, size_t size);

void tls_free(struct tls *t);

#endif
