/*
 * axlsvc.h: the soapcpp2 input.  Pulls in what wsdl2h made of wsdl/axl.wsdl
 * and declares our own SOAP Header and Detail structs: the Detail carries an
 * unqualified <axlError> as real CUCM sends it.
 */
#import "axl.h"

struct SOAP_ENV__Header { [ int unused; ] };
struct SOAP_ENV__Detail { struct ns__AXLError *axlError; int __type; void *fault; _XML __any; };
