/*
 * auth.h: AXL API user authentication.  Passwords are stored as salted
 * PBKDF2-HMAC-SHA256 hashes; because each check costs ~0.1 s by design,
 * successful logins are remembered for auth_cache_ttl seconds in a
 * process-local cache keyed by an HMAC of the credentials.  After that a
 * login is renewed with one query when the user's stored hash has not
 * changed, so a changed password or a removed user takes effect within the
 * TTL without every client paying PBKDF2 again.
 */
#ifndef AXLPROV_AUTH_H
#define AXLPROV_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/* AUTH_BACKOFF: not checked, the source address failed too often lately. */
enum auth_result { AUTH_OK, AUTH_DENIED, AUTH_UNAVAILABLE, AUTH_BACKOFF };

/* "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" into out. */
bool auth_hash_password(const char *password, char *out, size_t size);
bool auth_verify_password(const char *password, const char *stored);

/* RFC 7616 HA1 = H(username ":" realm ":" password), as lower-case hex,
 * with MD5 and with SHA-256: what a registrar needs to check a digest. */
#define DIGEST_REALM "ccmsipline"
bool auth_digest_ha1(const char *user, const char *realm, const char *password, char md5_hex[33],
		     char sha256_hex[65]);

/* Must run once before threads use auth_check. */
bool auth_init(int cache_ttl_seconds);

/* The failed-login back-off (backoff.h); after = 0 turns it off.  Call
 * once, before threads use auth_check. */
void auth_backoff_init(int after, int window_seconds, int max_seconds);

/* The same back-off for other credentials checked elsewhere (EST's
 * authentication strings): whether peer must wait, and a check's result. */
bool auth_backoff_blocked(const char *peer);
void auth_backoff_result(const char *peer, bool ok);

/* Checks credentials from peer ("host:port", for the back-off); fills role
 * ("full" or "read-only") on success. */
enum auth_result auth_check(struct db *db, const char *user, const char *password, const char *peer,
			    char role[16]);

#endif
