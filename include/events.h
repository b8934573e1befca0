/* events.h - each RegionSet's recent transitions: a small ring shown in
 * /status as status.events and logged one line each. */
#ifndef RHONE_EVENTS_H
#define RHONE_EVENTS_H

#include "util.h"

struct entry;
struct plan;

/* Transitions kept per RegionSet; older ones fall off. */
#define EVENTS_MAX 20
#define EVENT_MESSAGE_MAX 160    /* longer messages are cut */

struct rs_event {
	double time;
	char region[8];          /* "" for the whole set */
	char reason[32];         /* CamelCase */
	char *message;           /* allocated: most are short */
};

struct event_ring {
	struct rs_event items[EVENTS_MAX];
	size_t n;                /* how many are kept */
	size_t next;             /* slot the next one goes to */
};

/* Record and log one transition of e. */
void events_add(struct entry *e, const char *region, const char *reason,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record what a finished round did, one event per region it acted in:
 * "created 2 machines in fra", "rollback in nrt: ...", or the error. */
void events_from_round(struct entry *e, const struct plan *p);

/* Append e's events as a JSON array, oldest first. */
void events_render(const struct entry *e, struct strbuf *sb);

void events_free(struct entry *e);

#endif
