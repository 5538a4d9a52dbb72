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
