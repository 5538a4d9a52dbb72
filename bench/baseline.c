/*
 * bench/baseline.c: the read "physical limit" for `make bench`.
 *
 * A bare gSOAP server built from the same generated stubs (generated/), the
 * same compiler flags and the same gsoapssl flags as axlprovd.  It serves
 * getPhoneSecurityProfile by name with one prepared SELECT per request on
 * the worker's own libpq connection, and lets gSOAP's generated code parse
 * the request and serialize the answer.  No authentication, no validation,
 * no AXL-exact envelope, no logging: only what no AXL server can avoid.
 * Its serving shape (accept thread, worker pool, keep-alive, TLS) is
 * bench/pool.c, shared with the minimal one-operation server
 * (bench/minimal/minimal.c).
 *
 *   baseline --database-url CONNINFO --port PORT [--tls-port PORT --tls-cert PEM]
 *            [--workers N]
 *
 * Every other operation of the WSDL answers SOAP_NO_METHOD.
 */
#include <stdio.h>

#include "pool.h"
#include "soapH.h"

/* Our own table, as axlprovd has: the AXL row takes every version. */
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

/* The same select list as axlprovd's repo_profile.c: every column as text. */
static const char SQL_GET[] =
	"SELECT pkid::text, is_standard::text, phone_type::text, protocol::text, name::text,"
	" description::text, device_security_mode::text, authentication_mode::text,"
	" key_size::text, key_order::text, ec_key_size::text, tftp_encrypted_config::text,"
	" enable_oauth::text, nonce_validity_time::text, transport_type::text,"
	" sip_phone_port::text, enable_digest::text, exclude_digest_credentials::text"
	" FROM phone_security_profile WHERE name = $1";

/* --- the one operation ---------------------------------------------------- */

static char *
col(struct soap *soap, PGresult *res, int c)
{
	return soap_strdup(soap, PQgetvalue(res, 0, c));
}

int
__svc__getPhoneSecurityProfile(struct soap *soap, struct ns__GetPhoneSecurityProfileReq *req,
			       struct ns__GetPhoneSecurityProfileRes *res)
{
	struct ns__RPhoneSecurityProfile *p;
	PGresult *r;

	soap->header = NULL;
	if (req->__union_GetPhoneSecurityProfileReq != SOAP_UNION__ns__union_GetPhoneSecurityProfileReq_name)
		return soap_sender_fault(soap, "only get by name is served here", NULL);
	r = pool_get(soap, req->union_GetPhoneSecurityProfileReq.name);
	if (r == NULL)
		return soap->error;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return soap_sender_fault(soap, "The specified Phone Security Profile was not found", NULL);
	}
	p = soap_malloc(soap, sizeof(*p));
	soap_default_ns__RPhoneSecurityProfile(soap, p);
	p->uuid = pool_braced_uuid(soap, PQgetvalue(r, 0, 0));
	p->phoneType = col(soap, r, 2);
	p->protocol = col(soap, r, 3);
	p->name = col(soap, r, 4);
	p->description = col(soap, r, 5);
	p->deviceSecurityMode = col(soap, r, 6);
	p->authenticationMode = col(soap, r, 7);
	p->keySize = col(soap, r, 8);
	p->keyOrder = col(soap, r, 9);
	p->ecKeySize = col(soap, r, 10);
	p->tftpEncryptedConfig = col(soap, r, 11);
	p->EnableOAuthAuthentication = col(soap, r, 12);
	p->nonceValidityTime = col(soap, r, 13);
	p->transportType = col(soap, r, 14);
	p->sipPhonePort = col(soap, r, 15);
	p->enableDigestAuthentication = col(soap, r, 16);
	p->excludeDigestCredentials = col(soap, r, 17);
	PQclear(r);
	res->return_.phoneSecurityProfile = p;
	res->sequence = req->sequence;
	return SOAP_OK;
}

/* --- everything else the generated soapServer.c dispatches to --------------- */

#define NO_METHOD(op, req_t, res_t)                                             \
	int __svc__##op(struct soap *soap, struct req_t *req, struct res_t *res) \
	{                                                                       \
		(void) soap;                                                    \
		(void) req;                                                     \
		(void) res;                                                     \
		return SOAP_NO_METHOD;                                          \
	}

NO_METHOD(addPhoneSecurityProfile, ns__AddPhoneSecurityProfileReq, ns__StandardResponse)
NO_METHOD(updatePhoneSecurityProfile, ns__UpdatePhoneSecurityProfileReq, ns__StandardResponse)
NO_METHOD(removePhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(listPhoneSecurityProfile, ns__ListPhoneSecurityProfileReq, ns__ListPhoneSecurityProfileRes)
NO_METHOD(addPhone, ns__AddPhoneReq, ns__StandardResponse)
NO_METHOD(updatePhone, ns__UpdatePhoneReq, ns__StandardResponse)
NO_METHOD(getPhone, ns__GetPhoneReq, ns__GetPhoneRes)
NO_METHOD(removePhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(listPhone, ns__ListPhoneReq, ns__ListPhoneRes)
NO_METHOD(addUser, ns__AddUserReq, ns__StandardResponse)
NO_METHOD(updateUser, ns__UpdateUserReq, ns__StandardResponse)
NO_METHOD(getUser, ns__GetUserReq, ns__GetUserRes)
NO_METHOD(removeUser, ns__RemoveUserReq, ns__StandardResponse)
NO_METHOD(applyPhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(resetPhoneSecurityProfile, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(applyPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(resetPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(restartPhone, ns__NameAndGUIDRequest, ns__StandardResponse)
NO_METHOD(getCCMVersion, ns__GetCCMVersionReq, ns__GetCCMVersionRes)
NO_METHOD(doDeviceReset, ns__DoDeviceResetReq, ns__StandardResponse)
NO_METHOD(listRegistrationDynamic, ns__ListRegistrationDynamicReq, ns__ListRegistrationDynamicRes)
NO_METHOD(executeSQLQuery, ns__ExecuteSQLQueryReq, ns__ExecuteSQLQueryRes)
NO_METHOD(executeSQLUpdate, ns__ExecuteSQLQueryReq, ns__ExecuteSQLUpdateRes)
NO_METHOD(executeSQLQueryInactive, ns__ExecuteSQLQueryReq, ns__ExecuteSQLQueryRes)

int
main(int argc, char **argv)
{
	return pool_main("baseline", SQL_GET, argc, argv);
}
