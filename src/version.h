/*
 * version.h: which AXL schema version a request asks for and whether we
 * serve it.  Versions are coded as major*10+minor (14.0 -> 140).  Pure C.
 */
#ifndef AXLPROV_VERSION_H
#define AXLPROV_VERSION_H

#include <stdbool.h>

#define AXL_NS_PREFIX "http://www.cisco.com/AXL/API/"

/* "14.0" -> 140; -1 when the text is not a version. */
int axl_version_parse(const char *text);

/* The version named by a SOAPAction such as `"CUCM:DB ver=14.0 getPhone"`
 * (quotes optional, operation optional); 0 when absent or unparseable. */
int axl_version_from_action(const char *action);

/* The version at the end of an AXL namespace URI; -1 when not an AXL URI. */
int axl_version_from_ns(const char *uri);

/* The version a request for operation op gets: the SOAPAction's when it
 * names one, else the namespace's.  1.0 means the oldest we serve (as CUCM
 * does), but only for getCCMVersion, the probe clients send before they
 * know the version; for anything else it stays 10, which is not served. */
int axl_version_resolve(const char *action, const char *ns_uri, const char *op);

/* Whether version v's schema has operation op (listRegistrationDynamic
 * came with 11.5); true for operations every version has. */
bool axl_version_has_op(int v, const char *op);

/* Whether text is a CUCM version as getCCMVersion reports it
 * ("14.0.1.13900-155": four numbers, a dash, a build number) whose first
 * two numbers are an AXL version we serve. */
bool axl_ccm_version_valid(const char *text);

bool axl_version_supported(int v);

/* The namespace URI of a supported version (static storage). */
const char *axl_version_ns(int v);

/* "11.0, 11.5, 12.0, 12.5, 14.0 and 15.0" for the 599 page. */
const char *axl_version_list(void);

#endif
