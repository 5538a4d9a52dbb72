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

#include "csv.h"
#include "db.h"
#include "phone.h"
#include "phone_ops.h"
#include "repo_phone.h"

enum { COL_NAME, COL_PRODUCT, COL_PROTOCOL, COL_MODE, COL_DESCRIPTION, NCOLS };

/* The profile a device with this mode gets. */
static bool
profile_for(struct db *db, const struct phone *p, const char *mode, struct profile *prof,
	    struct import_stats *stats, struct app_err *err)
{
	struct profile target;

	if (strcmp(mode, "Non Secure") == 0)
		return phone_ops_standard_profile(db, p, prof, err);
	profile_defaults(&target);
	snprintf(target.v[PF_NAME], PF_VALUE_MAX, "%.95s - %.4s %.16s Profile", p->v[PH_MODEL],
		 p->v[PH_PROTOCOL], mode);
	if (!profile_set(&target, PF_PHONE_TYPE, p->v[PH_MODEL], err) ||
	    !profile_set(&target, PF_PROTOCOL, p->v[PH_PROTOCOL], err) ||
	    !profile_set(&target, PF_SECURITY_MODE, mode, err) ||
	    !profile_finish(&target, NULL, 150, err))
		return false;
	if (!phone_ops_find_or_create(db, &target, prof, err))
		return false;
	if (target.uuid[0] != '\0' && strcmp(target.uuid, prof->uuid) == 0)
		stats->profiles_created++;
	return true;
}

static bool
import_row(struct db *db, char **f, int n, struct import_stats *stats, struct app_err *err)
{
	struct phone *p = malloc(sizeof(*p));
	const struct model_caps *m = NULL;
	struct profile prof, scratch;
	bool ok;

	if (p == NULL)
		return app_err_set(err, APP_E_INTERNAL, NULL, "out of memory");
	phone_defaults(p);
	profile_defaults(&scratch);
	ok = n >= 4 &&
	     phone_set(p, PH_NAME, f[COL_NAME], NULL, err) &&
	     phone_set(p, PH_PRODUCT, f[COL_PRODUCT], NULL, err) &&
	     phone_set(p, PH_PROTOCOL, f[COL_PROTOCOL], NULL, err) &&
	     phone_set(p, PH_DESCRIPTION, n > COL_DESCRIPTION ? f[COL_DESCRIPTION] : "", NULL, err) &&
	     phone_check_add(p, 150, &m, err) &&
	     profile_set(&scratch, PF_SECURITY_MODE, f[COL_MODE], err) &&
	     profile_for(db, p, scratch.v[PF_SECURITY_MODE], &prof, stats, err);
	if (n < 4)
		app_err_set(err, APP_E_MISSING_FIELD, NULL,
			    "expected name,product,protocol,security mode[,description]");
	if (ok && phone_profile_needs_certificate(&prof) && !phone_has_certificate(m, "None"))
		snprintf(p->v[PH_CERT_STATUS], PH_VALUE_MAX, "Upgrade Success");
	ok = ok && repo_phone_insert(db, p, prof.uuid, NULL, err);
	if (ok)
		stats->phones++;
	free(p);
	return ok;
}

bool
import_csv(struct db *db, const char *path, FILE *progress, struct import_stats *stats,
	   struct app_err *err)
{
	FILE *in = fopen(path, "r");
	char line[4096];
	char *f[NCOLS + 1];
	long lineno = 0;
	struct app_err row = { 0 };

	memset(stats, 0, sizeof(*stats));
	if (in == NULL)
		return app_err_set(err, APP_E_INVALID_VALUE, NULL, "cannot open %s", path);
	if (!db_begin(db, err)) {
		fclose(in);
		return false;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		int n;

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (lineno == 1 && strncasecmp(line, "name,", 5) == 0)
			continue;   /* the header */
		n = csv_split(line, f, NCOLS);
		if (n < 0)
			app_err_set(&row, APP_E_INVALID_VALUE, NULL, "not a CSV row of at most %d fields",
				    NCOLS);
		if (n < 0 || !import_row(db, f, n, stats, &row)) {
			db_rollback(db);
			fclose(in);
			return app_err_set(err, row.code, row.field, "%s:%ld: %s; nothing was imported",
					   path, lineno, row.msg);
		}
		if (progress != NULL && stats->phones % 1000 == 0)
			fprintf(progress, "imported %ld phones\n", stats->phones);
	}
	fclose(in);
	return db_commit(db, err);
}
