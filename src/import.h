/*
 * import.h: `axlprovd import FILE.csv`: an existing fleet of devices,
 * each with the security mode it had before security profiles existed,
 * brought in as phones in one transaction, as CUCM does on upgrade.
 */
#ifndef AXLPROV_IMPORT_H
#define AXLPROV_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "audit.h"
#include "err.h"

struct db;

struct import_stats {
	long phones;
	long profiles_created;
};

/* Imports every row of path or nothing.  On failure err says which line
 * and why.  Progress lines go to progress (may be NULL). */
bool import_csv(struct db *db, const char *path, const struct actor *actor, FILE *progress,
		struct import_stats *stats, struct app_err *err);

#endif
