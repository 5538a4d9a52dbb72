/*
 * models.h: what each phone model can do, as far as security profiles care.
 * The rows come from the phone_model table (db/migrations) and are loaded
 * once at start-up, before the workers run; afterwards the table is
 * read-only and shared by all threads.  Pure C.
 */
#ifndef AXLPROV_MODELS_H
#define AXLPROV_MODELS_H

#include <stdbool.h>
#include <stddef.h>

#define MODEL_NAME_MAX 96

struct model_caps {
	char name[MODEL_NAME_MAX]; /* AXL XModel display name, e.g. "Cisco 8845" */
	bool sip;                  /* speaks SIP */
	bool sccp;                 /* speaks SCCP */
	bool secure;               /* can run Authenticated/Encrypted */
	bool cisco; /* takes Cisco-only settings (CAPF, TFTP encryption, digest exclusion) */
	bool model_independent; /* the Universal Device Template */
	int since;              /* first AXL version whose XModel lists it (140, 150, ...) */
	bool sep_name;          /* Cisco hardware: named SEP + MAC address */
	bool mic;               /* ships a manufacture-installed certificate */
};

/* Replaces the table (copies rows). Not thread-safe: call before serving. */
bool models_load(const struct model_caps *rows, size_t n);
void models_free(void);

/* Case-insensitive lookup; NULL when unknown. */
const struct model_caps *models_find(const char *name);
size_t models_count(void);

/* True if the model ships a manufacture-installed certificate (MIC); false
 * for unknown models. */
bool models_ships_mic(const char *model);

#endif
