/*
 * profile_fields.h: the one table that describes the 16 fields of an AXL
 * phone security profile: element name, SQL column, value kind, allowed
 * values, default and which rules apply.  Parsing, defaults, validation,
 * SQL and the wire mapping all loop over it.  Pure C.
 */
#ifndef AXLPROV_PROFILE_FIELDS_H
#define AXLPROV_PROFILE_FIELDS_H

#include <stdbool.h>

/* Schema order: the order AXL prints the fields in. */
enum pf_id {
	PF_PHONE_TYPE,
	PF_PROTOCOL,
	PF_NAME,
	PF_DESCRIPTION,
	PF_SECURITY_MODE,
	PF_AUTH_MODE,
	PF_KEY_SIZE,
	PF_KEY_ORDER,
	PF_EC_KEY_SIZE,
	PF_TFTP_ENCRYPTED,
	PF_OAUTH,
	PF_NONCE_VALIDITY,
	PF_TRANSPORT,
	PF_SIP_PORT,
	PF_DIGEST,
	PF_EXCLUDE_DIGEST,
	PF__COUNT
};

enum pf_kind {
	PF_KIND_TEXT, /* free text with a length limit and forbidden characters */
	PF_KIND_ENUM, /* one of values[], matched case-insensitively */
	PF_KIND_INT,  /* decimal integer in [min, max] */
	PF_KIND_BOOL, /* AXL boolean: t f true false 0 1 */
};

/* Rule flags. */
#define PFF_FIXED 0x01u      /* set on add, never changed by update */
#define PFF_SIP_ONLY 0x02u   /* SCCP profiles keep the default */
#define PFF_CISCO_ONLY 0x04u /* third-party models keep the default */
#define PFF_REQUIRED 0x08u   /* add faults when absent or empty */

struct pf_desc {
	const char *xml;    /* AXL element name, also used in fault texts */
	const char *column; /* SQL column (compile-time constant) */
	enum pf_kind kind;
	const char *const *values; /* PF_KIND_ENUM: NULL-terminated, canonical spelling */
	const char *dflt;          /* value on add when absent or empty */
	long min, max;             /* PF_KIND_INT range; PF_KIND_TEXT max characters */
	unsigned flags;
	int since; /* first AXL version with this element (125 = 12.5) */
};

extern const struct pf_desc profile_fields[PF__COUNT];

/* Longest canonical value (bytes, NUL included) a field can hold: 100
 * characters of up to 4 UTF-8 bytes each. */
#define PF_VALUE_MAX 404

/* Index of the field with this element name, or -1. */
int pf_lookup(const char *xml);

#endif
