/* status.h - the status model: conditions, phases and the precomputed
 * JSON that /status serves. */
#ifndef RHONE_STATUS_H
#define RHONE_STATUS_H

#include "controller.h"
#include "flymachine.h"
#include "plan.h"
#include "util.h"

/* The longest condition message kept, in bytes. */
#define STATUS_COND_MESSAGE_MAX 255

/* Set up the conditions of a new entry. */
void status_init_entry(struct entry *e);

/* Free what the entry's conditions hold (before the entry goes). */
void status_conditions_free(struct entry *e);

/* Record what a reconcile observed and planned, then rebuild the
 * entry's JSON. Logs phase transitions. */
void status_observe(struct entry *e, const struct plan *p,
		    const struct fly_machine *ms, size_t n);

/* Rebuild the entry's JSON from what it already knows (after a change
 * of validity, an API error or a new spec). */
void status_refresh(struct entry *e);

/* Rebuild every entry. */
void status_refresh_all(struct ctl *c);

/* The phase word of an entry: Converged, Progressing, Degraded, Invalid. */
const char *status_phase(const struct entry *e);

/* Append the whole RegionSetList body. */
void status_render_list(const struct ctl *c, struct strbuf *sb);

/* Append one item; -1 when no set has that name. */
int status_render_one(const struct ctl *c, const char *name,
		      struct strbuf *sb);

#endif
