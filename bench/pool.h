/*
 * bench/pool.h: the serving shape the two read limits of `make bench` share
 * (bench/baseline.c and bench/minimal/minimal.c): an accept thread per
 * listener, a fixed worker pool, each worker with its own soap context and
 * its own libpq connection holding one prepared statement "get".
 *
 * Each server links its own generated soapServer.c, whose
 * soap_serve_request() dispatches to its operations; the operations find
 * their PGconn in soap->user.
 */
#ifndef BENCH_POOL_H
#define BENCH_POOL_H

#include <libpq-fe.h>

#include <stdsoap2.h>

/* Generated in each server's soapServer.c. */
int soap_serve_request(struct soap *soap);

/* Parses --database-url --port [--tls-port --tls-cert] [--workers], starts
 * the listeners and the workers (each prepares `sql` as "get") and accepts
 * forever; returns only on bad arguments or a failed start (exit status). */
int pool_main(const char *name, const char *sql, int argc, char **argv);

/* Runs the prepared "get" with one parameter; NULL (and a receiver fault
 * set on soap) on a database error. */
PGresult *pool_get(struct soap *soap, const char *param);

/* The {UPPER-CASE} form of a uuid, as AXL prints it, in soap's arena. */
char *pool_braced_uuid(struct soap *soap, const char *uuid);

#endif
