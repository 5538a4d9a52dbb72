/*
 * profile_fields.c: the phone security profile field table.  Enumerations
 * are AXL 14.0/15.0's lists (identical in both); defaults are the schema's
 * (keySize 2048 rather than the old admin guide's 1024).
 */
#include "profile_fields.h"

#include <stddef.h>
#include <string.h>

/* Longest model display name we accept (characters). */
#define MODEL_NAME_CHARS 95

static const char *const protocols[] = { "SIP", "SCCP", NULL };
static const char *const security_modes[] = { "Non Secure", "Authenticated", "Encrypted", NULL };
static const char *const auth_modes[] = { "By Authentication String", "By Null String",
					  "By Existing Certificate (precedence to LSC)",
					  "By Existing Certificate (precedence to MIC)", NULL };
static const char *const key_sizes[] = { "512", "1024", "2048", "3072", "4096", NULL };
static const char *const key_orders[] = { "RSA Only", "EC Only", "EC Preferred, RSA Backup", NULL };
/* "" is allowed: the schema gives ecKeySize no default. */
static const char *const ec_key_sizes[] = { "", "256", "384", "521", NULL };
static const char *const transports[] = { "TCP", "UDP", "TLS", "TCP+UDP", NULL };

/* clang-format off */
#define TEXT(x, c, maxc, fl) { x, c, PF_KIND_TEXT, NULL, "", 0, maxc, fl, 110 }
#define ENUM(x, c, vals, d, fl) { x, c, PF_KIND_ENUM, vals, d, 0, 0, fl, 110 }
#define INT(x, c, d, lo, hi, fl) { x, c, PF_KIND_INT, NULL, d, lo, hi, fl, 110 }
#define BOOL(x, c, fl, ver) { x, c, PF_KIND_BOOL, NULL, "false", 0, 0, fl, ver }
/* clang-format on */

/* clang-format off */
const struct pf_desc profile_fields[PF__COUNT] = {
	/* phoneType's values are the model table (models.c), not a list here. */
	[PF_PHONE_TYPE]     = { "phoneType", "phone_type", PF_KIND_TEXT, NULL, NULL, 0,
				MODEL_NAME_CHARS, PFF_FIXED | PFF_REQUIRED, 110 },
	[PF_PROTOCOL]       = ENUM("protocol", "protocol", protocols, NULL,
				   PFF_FIXED | PFF_REQUIRED),
	[PF_NAME]           = TEXT("name", "name", 100, PFF_REQUIRED),
	[PF_DESCRIPTION]    = TEXT("description", "description", 50, 0),
	[PF_SECURITY_MODE]  = ENUM("deviceSecurityMode", "device_security_mode",
				   security_modes, "Non Secure", 0),
	[PF_AUTH_MODE]      = ENUM("authenticationMode", "authentication_mode",
				   auth_modes, "By Null String", PFF_CISCO_ONLY),
	[PF_KEY_SIZE]       = ENUM("keySize", "key_size", key_sizes, "2048", PFF_CISCO_ONLY),
	[PF_KEY_ORDER]      = ENUM("keyOrder", "key_order", key_orders, "RSA Only",
				   PFF_CISCO_ONLY),
	[PF_EC_KEY_SIZE]    = ENUM("ecKeySize", "ec_key_size", ec_key_sizes, "",
				   PFF_CISCO_ONLY),
	[PF_TFTP_ENCRYPTED] = BOOL("tftpEncryptedConfig", "tftp_encrypted_config",
				   PFF_CISCO_ONLY, 110),
	[PF_OAUTH]          = BOOL("EnableOAuthAuthentication", "enable_oauth",
				   PFF_SIP_ONLY, 125),
	[PF_NONCE_VALIDITY] = INT("nonceValidityTime", "nonce_validity_time", "600",
				  1, 86400, PFF_SIP_ONLY),
	[PF_TRANSPORT]      = ENUM("transportType", "transport_type", transports,
				   "TCP+UDP", PFF_SIP_ONLY),
	[PF_SIP_PORT]       = INT("sipPhonePort", "sip_phone_port", "5060", 1, 65535,
				  PFF_SIP_ONLY),
	[PF_DIGEST]         = BOOL("enableDigestAuthentication", "enable_digest",
				   PFF_SIP_ONLY, 110),
	[PF_EXCLUDE_DIGEST] = BOOL("excludeDigestCredentials", "exclude_digest_credentials",
				   PFF_SIP_ONLY | PFF_CISCO_ONLY, 110),
};
/* clang-format on */

int
pf_lookup(const char *xml)
{
	for (int i = 0; i < PF__COUNT; i++)
		if (strcmp(profile_fields[i].xml, xml) == 0)
			return i;
	return -1;
}
