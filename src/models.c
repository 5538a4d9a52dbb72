/*
 * models.c: the in-memory phone model capability table.
 */
#include "models.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct model_caps *table;
static size_t ntable;

bool
models_load(const struct model_caps *rows, size_t n)
{
	struct model_caps *t = calloc(n ? n : 1, sizeof(*t));

	if (t == NULL)
		return false;
	memcpy(t, rows, n * sizeof(*t));
	free(table);
	table = t;
	ntable = n;
	return true;
}

void
models_free(void)
{
	free(table);
	table = NULL;
	ntable = 0;
}

const struct model_caps *
models_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < ntable; i++)
		if (strcasecmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

size_t
models_count(void)
{
	return ntable;
}

/* The mic column of phone_model (db/migrations/0003, corrected by 0008):
 * Cisco's hardware phones from the 7906/7911/7941 generation on (7900
 * SIP/SCCP phones but the 7940 and 7960, 6900, 7800, 8800, 8900, 9900 and
 * the wireless 792x/882x) leave the factory with a MIC; the 7940/7960, the
 * 3905, the ATAs, IP Communicator, Jabber-type soft clients and third-party
 * devices do not.  That rests on Cisco's public lists of phones that
 * support security by default (MIC) versus by CAPF-installed LSC only. */
bool
models_ships_mic(const char *model)
{
	const struct model_caps *m = models_find(model);

	return m != NULL && m->mic;
}
