/*
 * ops.h: the AXL operations this server knows, as one table (AXL_OPS):
 * each operation's name, whether it writes (throttling and the read-only
 * role go by it), the kind of object its faults speak of, its handler and
 * its gSOAP request and response types.  ops.c reads the first three (it
 * stays free of gSOAP, so unit tests link it); svc.c turns the rest into
 * the service functions gSOAP's dispatcher calls.  The role rule lives
 * here too.
 */
#ifndef AXLPROV_OPS_H
#define AXLPROV_OPS_H

#include <stdbool.h>

#include "axl_fault.h"

/* X(ID, name, writes, kind, handler, request type, response type) */
#define AXL_OPS(X) \
	X(ADD_PROFILE, addPhoneSecurityProfile, true, OBJ_PROFILE, svc_profile_add, \
	  AddPhoneSecurityProfileReq, StandardResponse) \
	X(GET_PROFILE, getPhoneSecurityProfile, false, OBJ_PROFILE, svc_profile_get, \
	  GetPhoneSecurityProfileReq, GetPhoneSecurityProfileRes) \
	X(UPDATE_PROFILE, updatePhoneSecurityProfile, true, OBJ_PROFILE, svc_profile_update, \
	  UpdatePhoneSecurityProfileReq, StandardResponse) \
	X(REMOVE_PROFILE, removePhoneSecurityProfile, true, OBJ_PROFILE, svc_profile_remove, \
	  NameAndGUIDRequest, StandardResponse) \
	X(LIST_PROFILE, listPhoneSecurityProfile, false, OBJ_PROFILE, svc_profile_list, \
	  ListPhoneSecurityProfileReq, ListPhoneSecurityProfileRes) \
	X(ADD_PHONE, addPhone, true, OBJ_PHONE, svc_phone_add, AddPhoneReq, StandardResponse) \
	X(GET_PHONE, getPhone, false, OBJ_PHONE, svc_phone_get, GetPhoneReq, GetPhoneRes) \
	X(UPDATE_PHONE, updatePhone, true, OBJ_PHONE, svc_phone_update, UpdatePhoneReq, \
	  StandardResponse) \
	X(REMOVE_PHONE, removePhone, true, OBJ_PHONE, svc_phone_remove, NameAndGUIDRequest, \
	  StandardResponse) \
	X(LIST_PHONE, listPhone, false, OBJ_PHONE, svc_phone_list, ListPhoneReq, ListPhoneRes) \
	X(ADD_USER, addUser, true, OBJ_USER, svc_user_add, AddUserReq, StandardResponse) \
	X(GET_USER, getUser, false, OBJ_USER, svc_user_get, GetUserReq, GetUserRes) \
	X(UPDATE_USER, updateUser, true, OBJ_USER, svc_user_update, UpdateUserReq, \
	  StandardResponse) \
	X(REMOVE_USER, removeUser, true, OBJ_USER, svc_user_remove, RemoveUserReq, \
	  StandardResponse) \
	X(APPLY_PROFILE, applyPhoneSecurityProfile, true, OBJ_PROFILE, svc_apply_queue, \
	  NameAndGUIDRequest, StandardResponse) \
	X(RESET_PROFILE, resetPhoneSecurityProfile, true, OBJ_PROFILE, svc_apply_queue, \
	  NameAndGUIDRequest, StandardResponse) \
	X(APPLY_PHONE, applyPhone, true, OBJ_PHONE, svc_apply_queue, NameAndGUIDRequest, \
	  StandardResponse) \
	X(RESET_PHONE, resetPhone, true, OBJ_PHONE, svc_apply_queue, NameAndGUIDRequest, \
	  StandardResponse) \
	X(RESTART_PHONE, restartPhone, true, OBJ_PHONE, svc_apply_queue, NameAndGUIDRequest, \
	  StandardResponse) \
	X(GET_CCM_VERSION, getCCMVersion, false, OBJ_NONE, svc_device_version, GetCCMVersionReq, \
	  GetCCMVersionRes) \
	X(DEVICE_RESET, doDeviceReset, true, OBJ_PHONE, svc_device_reset, DoDeviceResetReq, \
	  StandardResponse) \
	X(LIST_REGISTRATION, listRegistrationDynamic, false, OBJ_PHONE, svc_device_registrations, \
	  ListRegistrationDynamicReq, ListRegistrationDynamicRes) \
	X(SQL_QUERY, executeSQLQuery, false, OBJ_NONE, svc_sql_query, ExecuteSQLQueryReq, \
	  ExecuteSQLQueryRes) \
	X(SQL_UPDATE, executeSQLUpdate, true, OBJ_NONE, svc_sql_refuse, ExecuteSQLQueryReq, \
	  ExecuteSQLUpdateRes) \
	X(SQL_INACTIVE, executeSQLQueryInactive, false, OBJ_NONE, svc_sql_refuse, \
	  ExecuteSQLQueryReq, ExecuteSQLQueryRes)

#define OP_ENUM(id, name, writes, kind, handler, req, res) OP_##id,
enum op_id { AXL_OPS(OP_ENUM) OP__COUNT };
#undef OP_ENUM

/* True for a known operation that changes data or queues NOTIFYs (add,
 * update, remove, apply, reset, restart); false for reads, NULL and
 * operations we do not serve (the dispatcher answers those with a fault). */
bool axl_op_is_write(const char *op);

/* Number of known operations; their indexes are 0 .. axl_op_count() - 1
 * (the enum op_id values). */
int axl_op_count(void);

/* The index of a known operation, or -1. */
int axl_op_find(const char *op);

/* The name at an index (0 <= i < axl_op_count()), else "other". */
const char *axl_op_name(int i);

/* The kind of object an operation's faults name. */
enum obj_kind axl_op_kind(enum op_id op);

/* Roles, and which may call what. */
#define ROLE_FULL "full"
#define ROLE_READ_ONLY "read-only"

/* May a caller with `role` run `op`?  Only "full" may write. */
bool access_allowed(const char *role, const char *op);

#endif
