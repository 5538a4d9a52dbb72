/*
 * bench/minimal/minimal.c: the minimal read limit for `make bench` (issue 16).
 *
 * A gSOAP server generated from a one-operation WSDL of our own
 * (bench/minimal/minimal.wsdl: getPhoneSecurityProfile by name, answering
 * the elements axlprovd answers for a profile) doing one prepared SELECT per
 * request, in the serving shape of the baseline (bench/pool.c: accept
 * thread, worker pool, one libpq connection each, keep-alive, the same
 * gsoapssl flags).  Beside bench/baseline.c, which links axlprovd's own
 * generated stubs (every AXL type and operation), it shows what gSOAP costs
 * when its type tables hold almost nothing.  The generated code is built
 * into build/bench/minimal/ by the Makefile and never committed.
 *
 *   minimal --database-url CONNINFO --port PORT [--tls-port PORT --tls-cert PEM]
 *           [--workers N]
 */
#include <stddef.h>

#include "pool.h"
#include "soapH.h"

/* The same table as the baseline's: the AXL row takes every version. */
SOAP_NMAC struct Namespace namespaces[] = {
	{ "SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/",
	  "http://www.w3.org/*/soap-envelope", NULL },
	{ "SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/",
	  "http://www.w3.org/*/soap-encoding", NULL },
	{ "xsi", "http://www.w3.org/2001/XMLSchema-instance",
	  "http://www.w3.org/*/XMLSchema-instance", NULL },
	{ "xsd", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/*/XMLSchema", NULL },
	{ "svc", "http://www.cisco.com/AXLAPIService/", NULL, NULL },
	{ "ns", "http://www.cisco.com/AXL/API/14.0", "http://www.cisco.com/AXL/API/*", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* The baseline's select list: the uuid, then one column per field below. */
static const char SQL_GET[] =
	"SELECT pkid::text, phone_type::text, protocol::text, name::text,"
	" description::text, device_security_mode::text, authentication_mode::text,"
	" key_size::text, key_order::text, ec_key_size::text, tftp_encrypted_config::text,"
	" enable_oauth::text, nonce_validity_time::text, transport_type::text,"
	" sip_phone_port::text, enable_digest::text, exclude_digest_credentials::text"
	" FROM phone_security_profile WHERE name = $1";

/* Column i + 1 of the SELECT fills the field at FIELDS[i]. */
static const size_t FIELDS[] = {
	offsetof(struct ns__Profile, phoneType),
	offsetof(struct ns__Profile, protocol),
	offsetof(struct ns__Profile, name),
	offsetof(struct ns__Profile, description),
	offsetof(struct ns__Profile, deviceSecurityMode),
	offsetof(struct ns__Profile, authenticationMode),
	offsetof(struct ns__Profile, keySize),
	offsetof(struct ns__Profile, keyOrder),
	offsetof(struct ns__Profile, ecKeySize),
	offsetof(struct ns__Profile, tftpEncryptedConfig),
	offsetof(struct ns__Profile, EnableOAuthAuthentication),
	offsetof(struct ns__Profile, nonceValidityTime),
	offsetof(struct ns__Profile, transportType),
	offsetof(struct ns__Profile, sipPhonePort),
	offsetof(struct ns__Profile, enableDigestAuthentication),
	offsetof(struct ns__Profile, excludeDigestCredentials),
};

int
__svc__getPhoneSecurityProfile(struct soap *soap, struct ns__GetReq *req, struct ns__GetRes *res)
{
	struct ns__Profile *p;
	PGresult *r;

	soap->header = NULL;
	if (req->name == NULL)
		return soap_sender_fault(soap, "a profile name is required", NULL);
	r = pool_get(soap, req->name);
	if (r == NULL)
		return soap->error;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return soap_sender_fault(soap, "no such phone security profile", NULL);
	}
	p = soap_malloc(soap, sizeof(*p));
	soap_default_ns__Profile(soap, p);
	p->uuid = pool_braced_uuid(soap, PQgetvalue(r, 0, 0));
	for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
		*(char **) ((char *) p + FIELDS[i]) = soap_strdup(soap, PQgetvalue(r, 0, (int) i + 1));
	PQclear(r);
	res->return_.phoneSecurityProfile = p;
	res->sequence = req->sequence;
	return SOAP_OK;
}

int
main(int argc, char **argv)
{
	return pool_main("minimal", SQL_GET, argc, argv);
}
