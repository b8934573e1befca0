/* plancheck.h - the plan check: running in more regions than the
 * primary needs the team's plan to be "pro". On another plan the
 * additional regions of a set are held: nothing is created, replaced or
 * destroyed there, and status says PlanRequired. */
#ifndef RHONE_PLANCHECK_H
#define RHONE_PLANCHECK_H

#include <stddef.h>

#include "regionset.h"

/* The plan that allows more regions than the primary. */
#define PLANCHECK_MULTI_REGION "pro"

/* The reason held regions report. */
#define PLANCHECK_REASON "PlanRequired"

struct entry;

/* Whether a team on `plan` may run in more regions than the primary. */
int plancheck_allows(const char *plan);

/* Record the team's plan on rs and hold every region but the primary
 * unless the plan allows them. Call before rs_finalize. */
void plancheck_apply(struct regionset *rs, const char *plan);

/* The held regions of rs as "fra, nrt" into buf; their number. */
int plancheck_held_list(const struct regionset *rs, char *buf,
			size_t size);

/* Why rs has held regions, one phrase: "multi-region needs the pro plan
 * (team plan: free)". */
void plancheck_why(const struct regionset *rs, char *buf, size_t size);

/* The message of one held region that has `current` machines. */
void plancheck_region_message(const struct regionset *rs, int current,
			      char *buf, size_t size);

/* An event and a log line when the spec taking over from `old` (NULL
 * for a new set) holds other regions than it did. */
void plancheck_note_change(struct entry *e, const struct regionset *old,
			   const struct regionset *rs);

#endif
