/*
 * auth.c: password hashing (OpenSSL PKCS5_PBKDF2_HMAC) and the credential
 * cache.  The cache never stores a password: entries hold HMAC(key, user,
 * password) under a random per-process key, compared in constant time.
 */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "err.h"
#include "log.h"
#include "repo_apiuser.h"

#define PBKDF2_ITERATIONS 100000
#define SALT_LEN 16
#define HASH_LEN 32
#define CACHE_SLOTS 64

struct cache_entry {
	unsigned char tag[HASH_LEN];
	char role[16];
	char stored[APIUSER_HASH_MAX]; /* the hash the login was verified against */
	time_t expires;
	bool used;
};

static unsigned char cache_key[32];
static struct cache_entry cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int cache_ttl;

static bool
pbkdf2(const char *password, const unsigned char *salt, size_t saltlen, int iter,
       unsigned char out[HASH_LEN])
{
	return PKCS5_PBKDF2_HMAC(password, (int) strlen(password), salt, (int) saltlen, iter,
				 EVP_sha256(), HASH_LEN, out) == 1;
}

bool
auth_hash_password(const char *password, char *out, size_t size)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	unsigned char salt64[64], hash64[64];

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    !pbkdf2(password, salt, sizeof(salt), PBKDF2_ITERATIONS, hash))
		return false;
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(hash64, hash, sizeof(hash));
	return (size_t) snprintf(out, size, "pbkdf2-sha256$%d$%s$%s", PBKDF2_ITERATIONS, salt64,
				 hash64) < size;
}

/* Decodes standard base64 of a known decoded length. */
static bool
b64_decode(const char *in, unsigned char *out, size_t want)
{
	unsigned char buf[128];
	size_t len = strlen(in);
	int n;

	if (len == 0 || len > 160 || len % 4 != 0)
		return false;
	n = EVP_DecodeBlock(buf, (const unsigned char *) in, (int) len);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (n < 0 || (size_t) n < want)
		return false;
	memcpy(out, buf, want);
	return true;
}

bool
auth_verify_password(const char *password, const char *stored)
{
	char copy[APIUSER_HASH_MAX];
	unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	char *iter_s, *salt_s, *hash_s, *save = NULL;
	long iter;

	if (strncmp(stored, "pbkdf2-sha256$", 14) != 0 ||
	    (size_t) snprintf(copy, sizeof(copy), "%s", stored + 14) >= sizeof(copy))
		return false;
	iter_s = strtok_r(copy, "$", &save);
	salt_s = strtok_r(NULL, "$", &save);
	hash_s = strtok_r(NULL, "$", &save);
	if (iter_s == NULL || salt_s == NULL || hash_s == NULL)
		return false;
	iter = strtol(iter_s, NULL, 10);
	if (iter < 1000 || iter > 10000000 || !b64_decode(salt_s, salt, SALT_LEN) ||
	    !b64_decode(hash_s, want, HASH_LEN) ||
	    !pbkdf2(password, salt, SALT_LEN, (int) iter, got))
		return false;
	return CRYPTO_memcmp(want, got, HASH_LEN) == 0;
}

/* One keyed HMAC context per thread, set up once: OpenSSL's one-shot
 * HMAC() looks the algorithm up on every call, which cost more than the
 * rest of a cached login. */
static EVP_MAC *hmac;
static pthread_key_t ctx_key;

static void
free_ctx(void *ctx)
{
	EVP_MAC_CTX_free(ctx);
}

static EVP_MAC_CTX *
thread_ctx(void)
{
	EVP_MAC_CTX *ctx = pthread_getspecific(ctx_key);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *) "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (ctx != NULL)
		return ctx;
	ctx = EVP_MAC_CTX_new(hmac);
	if (ctx == NULL || EVP_MAC_init(ctx, cache_key, sizeof(cache_key), params) != 1 ||
	    pthread_setspecific(ctx_key, ctx) != 0) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* HMAC(key, user NUL password); false (tag unusable) on failure. */
static bool
credential_tag(const char *user, const char *password, unsigned char tag[HASH_LEN])
{
	EVP_MAC_CTX *ctx = thread_ctx();
	size_t len = 0;

	return ctx != NULL && EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	       EVP_MAC_update(ctx, (const unsigned char *) user, strlen(user) + 1) == 1 &&
	       EVP_MAC_update(ctx, (const unsigned char *) password, strlen(password)) == 1 &&
	       EVP_MAC_final(ctx, tag, &len, HASH_LEN) == 1 && len == HASH_LEN;
}

bool
auth_init(int cache_ttl_seconds)
{
	cache_ttl = cache_ttl_seconds;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return hmac != NULL && pthread_key_create(&ctx_key, free_ctx) == 0 &&
	       RAND_bytes(cache_key, sizeof(cache_key)) == 1;
}

enum cache_state { CACHE_MISS, CACHE_FRESH, CACHE_STALE };

/* A fresh entry is trusted as is; a stale one only after the caller has
 * seen that the user's stored hash is still the one it was verified
 * against (a cheap query instead of PBKDF2 for every client at the moment
 * the entry expires). */
static enum cache_state
cache_lookup(const unsigned char tag[HASH_LEN], char role[16], char stored[APIUSER_HASH_MAX])
{
	time_t now = time(NULL);
	enum cache_state state = CACHE_MISS;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS && state == CACHE_MISS; i++) {
		struct cache_entry *e = &cache[i];

		if (!e->used || CRYPTO_memcmp(e->tag, tag, HASH_LEN) != 0)
			continue;
		memcpy(role, e->role, 16);
		memcpy(stored, e->stored, APIUSER_HASH_MAX);
		state = e->expires > now ? CACHE_FRESH : CACHE_STALE;
	}
	pthread_mutex_unlock(&cache_lock);
	return state;
}

static void
cache_store(const unsigned char tag[HASH_LEN], const char *role, const char *stored)
{
	time_t now = time(NULL);
	int victim = -1;

	pthread_mutex_lock(&cache_lock);
	/* The entry of these credentials, else a free slot, else the oldest. */
	for (int i = 0; i < CACHE_SLOTS && victim < 0; i++)
		if (cache[i].used && CRYPTO_memcmp(cache[i].tag, tag, HASH_LEN) == 0)
			victim = i;
	for (int i = 0; i < CACHE_SLOTS && victim < 0; i++)
		if (!cache[i].used)
			victim = i;
	if (victim < 0) {
		victim = 0;
		for (int i = 1; i < CACHE_SLOTS; i++)
			if (cache[i].expires < cache[victim].expires)
				victim = i;
	}
	memcpy(cache[victim].tag, tag, HASH_LEN);
	snprintf(cache[victim].role, sizeof(cache[victim].role), "%s", role);
	snprintf(cache[victim].stored, sizeof(cache[victim].stored), "%s", stored);
	cache[victim].expires = now + cache_ttl;
	cache[victim].used = true;
	pthread_mutex_unlock(&cache_lock);
}

static struct backoff login_backoff;

void
auth_backoff_init(int after, int window_seconds, int max_seconds)
{
	backoff_init(&login_backoff, after, window_seconds, max_seconds);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static enum auth_result
check(struct db *db, const char *user, const char *password, char role[16])
{
	unsigned char tag[HASH_LEN];
	char hash[APIUSER_HASH_MAX], stored_role[APIUSER_ROLE_MAX], cached[APIUSER_HASH_MAX];
	struct app_err err = { 0 };
	enum cache_state state = CACHE_MISS;
	bool tagged;

	if (user == NULL || password == NULL || *user == '\0')
		return AUTH_DENIED;
	tagged = credential_tag(user, password, tag);
	if (tagged && cache_ttl > 0)
		state = cache_lookup(tag, role, cached);
	if (state == CACHE_FRESH)
		return AUTH_OK;
	if (!repo_apiuser_get(db, user, hash, stored_role, &err)) {
		if (err.code != APP_E_NOT_FOUND)
			return AUTH_UNAVAILABLE;
		/* Spend the same time as a real check so that timing does not
		 * tell which user names exist. */
		(void) auth_verify_password(password,
					    "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$"
					    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
		return AUTH_DENIED;
	}
	/* Unchanged since it was verified: renew without PBKDF2. */
	if (!(state == CACHE_STALE && strcmp(cached, hash) == 0) &&
	    !auth_verify_password(password, hash))
		return AUTH_DENIED;
	snprintf(role, 16, "%s", stored_role);
	if (tagged && cache_ttl > 0)
		cache_store(tag, stored_role, hash);
	return AUTH_OK;
}

static bool
hex_digest(const EVP_MD *md, const char *a, const char *b, const char *c, char *hex)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
		  EVP_DigestUpdate(ctx, a, strlen(a)) == 1 && EVP_DigestUpdate(ctx, ":", 1) == 1 &&
		  EVP_DigestUpdate(ctx, b, strlen(b)) == 1 && EVP_DigestUpdate(ctx, ":", 1) == 1 &&
		  EVP_DigestUpdate(ctx, c, strlen(c)) == 1 &&
		  EVP_DigestFinal_ex(ctx, out, &len) == 1;

	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; ok && i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	return ok;
}

bool
auth_digest_ha1(const char *user, const char *realm, const char *password, char md5_hex[33],
		char sha256_hex[65])
{
	return hex_digest(EVP_md5(), user, realm, password, md5_hex) &&
	       hex_digest(EVP_sha256(), user, realm, password, sha256_hex);
}

bool
auth_backoff_blocked(const char *peer)
{
	char addr[BACKOFF_ADDR_MAX];

	backoff_address(peer != NULL ? peer : "", addr);
	return backoff_wait(&login_backoff, addr, now_seconds()) > 0;
}

void
auth_backoff_result(const char *peer, bool ok)
{
	char addr[BACKOFF_ADDR_MAX];

	backoff_address(peer != NULL ? peer : "", addr);
	if (ok)
		backoff_success(&login_backoff, addr);
	else
		backoff_failure(&login_backoff, addr, now_seconds());
}

enum auth_result
auth_check(struct db *db, const char *user, const char *password, const char *peer, char role[16])
{
	char addr[BACKOFF_ADDR_MAX];
	enum auth_result r;

	backoff_address(peer != NULL ? peer : "", addr);
	/* Refused unchecked, right or wrong: a guesser learns nothing and costs
	 * no PBKDF2 while it waits. */
	if (backoff_wait(&login_backoff, addr, now_seconds()) > 0)
		return AUTH_BACKOFF;
	r = check(db, user, password, role);
	if (r == AUTH_OK)
		backoff_success(&login_backoff, addr);
	else if (r == AUTH_DENIED)
		backoff_failure(&login_backoff, addr, now_seconds());
	return r;
}
