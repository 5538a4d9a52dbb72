/*
 * axl_fault.h: application errors as AXL faults (HTTP 500, soapenv:Fault,
 * detail/axlError with axlcode, axlmessage, request).  The tables (codes,
 * Client/Server, AXL's wording by code and object kind) are axl_fault.c's
 * and pure C; the writers below are the only code that builds SOAP faults
 * (axl_wire.c, with the other AXL bytes), SOAP-level ones without an
 * axlError (unknown operation, unreadable body) too.
 */
#ifndef AXLPROV_AXL_FAULT_H
#define AXLPROV_AXL_FAULT_H

#include <stdbool.h>

#include "err.h"

struct worker;

/* The kinds of object AXL's texts speak of. */
enum obj_kind { OBJ_NONE, OBJ_PROFILE, OBJ_PHONE, OBJ_USER, OBJ__COUNT };

/* AXL's wording: callers give the code, the kind and the names, never the
 * text.  Each sets err (which may be NULL) and returns false.
 *   APP_E_NOT_FOUND         Item not valid: The specified <kind> was not found
 *   APP_E_REMOVE_NOT_FOUND  Item not valid: The specified entry was not found
 *   APP_E_DUPLICATE         Could not insert new row - duplicate value ...
 * field is the element the error is about (or NULL); other codes are a
 * bug (APP_E_INTERNAL). */
bool axl_err(struct app_err *err, enum app_errcode code, enum obj_kind kind, const char *field);

/* "Missing required element: <what>", what defaulting to the element. */
bool axl_err_missing(struct app_err *err, const char *element, const char *what);

/* A predefined item refuses the change (verb: "update", "remove"). */
bool axl_err_predefined(struct app_err *err, enum obj_kind kind, const char *verb,
			const char *name);

/* Still used by phones: "Cannot remove <kind> <name>: it is used by <n>
 * phone(s): A, B, C[ and <m> more]" (first_names: up to five). */
bool axl_err_in_use(struct app_err *err, enum obj_kind kind, const char *name, long count,
		    const char *first_names);

/* The axlcode and faultcode side of an application error. */
int axl_fault_code(enum app_errcode code);
bool axl_fault_is_client(enum app_errcode code);

/* Sends the AXL fault for err, `request` being the operation name. */
int axl_fault(struct worker *w, const char *request, const struct app_err *err);

/* Sends a fault with an empty <detail/>, as CUCM's SOAP layer does. */
int axl_fault_plain(struct worker *w, bool client, const char *message);

#endif
