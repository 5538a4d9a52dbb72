/*
 * axl_fault.h: the only code that builds SOAP faults.  Application errors
 * become AXL faults (HTTP 500, soapenv:Fault, detail/axlError with axlcode,
 * axlmessage, request) through one table; SOAP-level faults without an
 * axlError (unknown operation, unreadable body) also come from here.
 */
#ifndef AXLPROV_AXL_FAULT_H
#define AXLPROV_AXL_FAULT_H

#include <stdbool.h>

#include "err.h"

struct worker;

/* The axlcode and faultcode side of an application error. */
int axl_fault_code(enum app_errcode code);
bool axl_fault_is_client(enum app_errcode code);

/* Sends the AXL fault for err, `request` being the operation name. */
int axl_fault(struct worker *w, const char *request, const struct app_err *err);

/* Sends a fault with an empty <detail/>, as CUCM's SOAP layer does. */
int axl_fault_plain(struct worker *w, bool client, const char *message);

#endif
