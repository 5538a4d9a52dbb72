/*
 * fake_repo.h: the in-memory database the fuzz harnesses link instead of
 * db.c and repo_*.c.  It implements the same headers (db.h, repo_profile.h,
 * repo_phone.h, repo_enduser.h, repo_apiuser.h, repo_apply.h,
 * repo_sip.h, repo_capf.h) over arrays, so the real adapters, rules and
 * registrar run on top of it without PostgreSQL.
 */
#ifndef AXLPROV_FAKE_REPO_H
#define AXLPROV_FAKE_REPO_H

/* The AXL API users the fake knows (password for both: FAKE_PASSWORD). */
#define FAKE_ADMIN "admin"
#define FAKE_READER "reader"
#define FAKE_PASSWORD "fuzzpass"

/* The LSC on record (SHA-256 of its DER, as phone_lsc keeps it) of the
 * phones with a secure profile (SEP0011223344AA, Encrypted, and CSFFUZZ, a
 * model that ships no MIC); the others have none. */
#define FAKE_LSC_FINGERPRINT "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"

/* The phones EST enrolls (Install/Upgrade pending, EC P-256 keys ordered):
 * one by Null String, one by authentication string FAKE_EST_STRING. */
#define FAKE_EST_NULL_PHONE "SEP00112233E501"
#define FAKE_EST_STRING_PHONE "SEP00112233E502"
#define FAKE_EST_STRING "fuzz1234"

/* Loads the phone models and builds the initial contents (predefined
 * profiles, API users, a few phones and end users); call once. */
void fake_repo_init(void);

/* Back to the initial contents, so every fuzz input starts from the same
 * state and a crash reproduces from its input alone. */
void fake_repo_reset(void);

#endif
