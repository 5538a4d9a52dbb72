/*
 * import.c: the fleet import.  Rows are "name,product,protocol,security
 * mode[,description]" (a header row and # comments are skipped).  A row
 * with mode Non Secure gets its model's standard profile; a secure mode
 * gets a profile for that model, protocol and mode, found or created as
 * "<model> - <protocol> <mode> Profile".  A device that ran a secure mode
 * already holds a certificate, so one without a MIC is recorded with an
 * LSC (certificateStatus Upgrade Success).
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "phone.h"
#include "phone_ops.h"
#include "repo_phone.h"

enum { COL_NAME, COL_PRODUCT, COL_PROTOCOL, COL_MODE, COL_DESCRIPTION, NCOLS };

/* Splits one CSV line (RFC 4180: commas, double-quoted fields with "" for
 * a quote) in place, its trailing CR/LF removed, into at most max fields;
 * the number of fields, or -1 for an unterminated quote, text after a
 * closing quote or more than max fields. */
static int
csv_split(char *line, char **fields, int max)
{
	char *r = line, *w = line;
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		if (n == max)
			return -1;
		fields[n++] = w;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return -1;
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			while (*r != ',' && *r != '\0')
				*w++ = *r++;
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		*w++ = '\0';
		r++;
	}
}

/* A fleet has few model/protocol/mode combinations: each is looked up (or
 * created) once per import, which is one transaction, not once per row. */
#define CACHE_SLOTS 32
struct profile_cache {
	const struct actor *actor; /* who imports: each row's writes are audited */
	int n;
	struct {
		char model[PH_VALUE_MAX];
		char protocol[PH_VALUE_MAX];
		char mode[PF_VALUE_MAX];
		struct profile prof;
	} slot[CACHE_SLOTS];
};

/* The profile a device with this mode gets. */
static bool
lookup_profile(struct db *db, const struct phone *p, const char *mode, struct profile *prof,
	       const struct actor *actor, struct import_stats *stats, struct app_err *err)
{
	struct profile target;

	if (!profile_mode_is_secure(mode))
		return phone_ops_standard_profile(db, p, prof, err);
	profile_defaults(&target);
	snprintf(target.v[PF_NAME], PF_VALUE_MAX, "%.95s - %.4s %.16s Profile", p->v[PH_MODEL],
		 p->v[PH_PROTOCOL], mode);
	if (!profile_set(&target, PF_PHONE_TYPE, p->v[PH_MODEL], err) ||
	    !profile_set(&target, PF_PROTOCOL, p->v[PH_PROTOCOL], err) ||
	    !profile_set(&target, PF_SECURITY_MODE, mode, err) ||
	    !profile_finish(&target, NULL, 150, err))
		return false;
	if (!phone_ops_find_or_create(db, &target, prof, actor, err))
		return false;
	if (target.uuid[0] != '\0' && strcmp(target.uuid, prof->uuid) == 0)
		stats->profiles_created++;
	return true;
}

static bool
profile_for(struct db *db, struct profile_cache *cache, const struct phone *p, const char *mode,
	    struct profile *prof, struct import_stats *stats, struct app_err *err)
{
	for (int i = 0; i < cache->n; i++)
		if (strcmp(cache->slot[i].model, p->v[PH_MODEL]) == 0 &&
		    strcmp(cache->slot[i].protocol, p->v[PH_PROTOCOL]) == 0 &&
		    strcmp(cache->slot[i].mode, mode) == 0) {
			*prof = cache->slot[i].prof;
			return true;
		}
	if (!lookup_profile(db, p, mode, prof, cache->actor, stats, err))
		return false;
	if (cache->n < CACHE_SLOTS) {
		snprintf(cache->slot[cache->n].model, PH_VALUE_MAX, "%s", p->v[PH_MODEL]);
		snprintf(cache->slot[cache->n].protocol, PH_VALUE_MAX, "%s", p->v[PH_PROTOCOL]);
		snprintf(cache->slot[cache->n].mode, PF_VALUE_MAX, "%s", mode);
		cache->slot[cache->n++].prof = *prof;
	}
	return true;
}

static bool
import_row(struct db *db, struct profile_cache *cache, struct phone *p, char **f, int n,
	   struct import_stats *stats, struct app_err *err)
{
	const struct model_caps *m = NULL;
	struct profile prof, scratch;
	bool ok;

	phone_defaults(p);
	profile_defaults(&scratch);
	ok = n >= 4 && phone_set(p, PH_NAME, f[COL_NAME], NULL, err) &&
	     phone_set(p, PH_PRODUCT, f[COL_PRODUCT], NULL, err) &&
	     phone_set(p, PH_PROTOCOL, f[COL_PROTOCOL], NULL, err) &&
	     phone_set(p, PH_DESCRIPTION, n > COL_DESCRIPTION ? f[COL_DESCRIPTION] : "", NULL,
		       err) &&
	     phone_check_add(p, 150, &m, err) &&
	     profile_set(&scratch, PF_SECURITY_MODE, f[COL_MODE], err) &&
	     profile_for(db, cache, p, scratch.v[PF_SECURITY_MODE], &prof, stats, err);
	if (n < 4)
		app_err_set(err, APP_E_MISSING_FIELD, NULL,
			    "expected name,product,protocol,security mode[,description]");
	if (ok && profile_needs_certificate(&prof) && !phone_has_certificate(m, "None"))
		snprintf(p->v[PH_CERT_STATUS], PH_VALUE_MAX, "Upgrade Success");
	ok = ok && repo_phone_insert(db, p, prof.uuid, NULL, cache->actor, err);
	if (ok)
		stats->phones++;
	return ok;
}

bool
import_csv(struct db *db, const char *path, const struct actor *actor, FILE *progress,
	   struct import_stats *stats, struct app_err *err)
{
	FILE *in = fopen(path, "r");
	char line[4096];
	char *f[NCOLS + 1];
	long lineno = 0;
	struct app_err row = { 0 };
	/* Both large: on the heap, once per import. */
	struct profile_cache *cache = calloc(1, sizeof(*cache));
	struct phone *p = malloc(sizeof(*p));
	bool ok = false;

	memset(stats, 0, sizeof(*stats));
	if (in == NULL) {
		free(cache);
		free(p);
		return app_err_set(err, APP_E_INVALID_VALUE, NULL, "cannot open %s", path);
	}
	if (cache == NULL || p == NULL) {
		app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	cache->actor = actor;
	if (!db_begin(db, err))
		goto out;
	while (fgets(line, sizeof(line), in) != NULL) {
		int n;

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (lineno == 1 && strncasecmp(line, "name,", 5) == 0)
			continue; /* the header */
		n = csv_split(line, f, NCOLS);
		if (n < 0)
			app_err_set(&row, APP_E_INVALID_VALUE, NULL,
				    "not a CSV row of at most %d fields", NCOLS);
		if (n < 0 || !import_row(db, cache, p, f, n, stats, &row)) {
			db_rollback(db);
			app_err_set(err, row.code, row.field, "%s:%ld: %s; nothing was imported",
				    path, lineno, row.msg);
			goto out;
		}
		if (progress != NULL && stats->phones % 1000 == 0)
			fprintf(progress, "imported %ld phones\n", stats->phones);
	}
	ok = db_commit(db, err);
out:
	fclose(in);
	free(cache);
	free(p);
	return ok;
}
