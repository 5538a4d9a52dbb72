/*
 * sip_warm.c: fills the registrar's memory of phone facts (sip_facts.h)
 * with every phone's, so that REGISTERs after a start (a whole cluster
 * registering again after an outage) and after a change of facts are
 * decided without reading them one by one: a challenge then needs no
 * database at all, as in a registrar whose 401 is computed alone.  Pages
 * of phones are read on the outbox thread, one task each, between its
 * claims; a reset of the memory while they are read (a change of facts)
 * ends the fill, and the reset schedules the next.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* First: it sets the types sofia-sip passes back to our callbacks. */
#include "sip_priv.h"

#include "log.h"
#include "metrics.h"
#include "sip_facts.h"

#define WARM_PAGE 2000
/* After a change of facts, the fill waits this many ticks for more
 * changes (a bulk provisioning run makes many in a row). */
#define WARM_SETTLE_TICKS 2

struct warm_task {
	struct sip_task t;
	struct sip_facts *facts;
	unsigned long era;
	char after[64];
	int read; /* phones read, -1 on a database error */
};

static void
remember(void *ctx, const char *const users[2], const struct sip_phone *ph)
{
	struct warm_task *w = ctx;

	sip_facts_put(w->facts, w->era, users, 2, ph);
}

static void
warm_run(struct db *db, struct sip_task *t)
{
	struct warm_task *w = (struct warm_task *) t;
	struct app_err err = { 0 };
	char last[64] = "";

	w->read = repo_sip_phone_page(db, w->after, WARM_PAGE, remember, w, last, sizeof(last),
				      &err);
	if (w->read < 0)
		log_msg(LOG_WARN, "sip: phone facts not read ahead: %s", err.msg);
	memcpy(w->after, last, sizeof(w->after));
}

static void post_page(struct sip *s, struct warm_task *w);

static void
warm_done(struct sip *s, struct sip_task *t)
{
	struct warm_task *w = (struct warm_task *) t;
	struct sip_warm *warm = s != NULL ? &s->warm : NULL;

	if (warm != NULL) {
		warm->phones += w->read > 0 ? w->read : 0;
		if (w->read == WARM_PAGE && sip_facts_era(s->facts) == w->era) {
			post_page(s, w);
			return;
		}
		warm->running = false;
		metrics_phones_remembered(sip_facts_count(s->facts));
		if (w->read >= 0 && sip_facts_era(s->facts) == w->era)
			log_msg(LOG_INFO, "sip: facts of %d phones read ahead in %ld ms",
				warm->phones, sip_ms_since(&warm->started));
	}
	free(w);
}

static void
post_page(struct sip *s, struct warm_task *w)
{
	w->t.run = warm_run;
	w->t.done = warm_done;
	sip_pool_task(s->pool, &w->t);
}

void
sip_warm_schedule(struct sip *s, bool now)
{
	s->warm.due = s->ticks + (now ? 0 : WARM_SETTLE_TICKS);
	s->warm.scheduled = true;
}

void
sip_warm_cancel(struct sip *s)
{
	s->warm.scheduled = false;
}

void
sip_warm_tick(struct sip *s)
{
	struct warm_task *w;

	metrics_phones_remembered(sip_facts_count(s->facts));
	if (!s->warm.scheduled || s->warm.running || (int) (s->ticks - s->warm.due) < 0 ||
	    s->pool == NULL || (w = calloc(1, sizeof(*w))) == NULL)
		return;
	s->warm.scheduled = false;
	s->warm.running = true;
	s->warm.phones = 0;
	clock_gettime(CLOCK_MONOTONIC, &s->warm.started);
	w->facts = s->facts;
	w->era = sip_facts_era(s->facts); /* before the first page is read */
	post_page(s, w);
}
