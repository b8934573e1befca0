/* events.c - each RegionSet's recent transitions. The ring is allocated
 * on a set's first event, so sets that never change cost a pointer. */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "log.h"
#include "plan.h"
#include "reconcile.h"

void
events_add(struct entry *e, const char *region, const char *reason,
	   const char *fmt, ...)
{
	struct event_ring *r = e->events;
	struct rs_event *ev;
	char message[EVENT_MESSAGE_MAX];
	va_list ap;

	if (r == NULL && (r = e->events = calloc(1, sizeof(*r))) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	ev = &r->items[r->next];
	free(ev->message);
	ev->message = strdup(message);
	r->next = (r->next + 1) % EVENTS_MAX;
	if (r->n < EVENTS_MAX)
		r->n++;
	ev->time = util_now();
	util_strlcpy(ev->region, region, sizeof(ev->region));
	util_strlcpy(ev->reason, reason, sizeof(ev->reason));
	log_info("regionset_event", "regionset=%s app=%s region=%s "
		 "reason=%s message=%s", e->name, e->rs ? e->rs->app : "",
		 region[0] ? region : "-", reason, log_q(message));
}


static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

/* "5m" or "90s": how the spec's health timeout reads in a message. */
static void
fmt_timeout(int secs, char *buf, size_t size)
{
	if (secs >= 60 && secs % 60 == 0)
		snprintf(buf, size, "%dm", secs / 60);
	else
		snprintf(buf, size, "%ds", secs);
}

/* One region's share of the round. */
struct ev_tally {
	int created, destroyed, rollback;
	enum plan_reason create_why, destroy_why;
};

static void
event_for_region(struct entry *e, const char *code,
		 const struct ev_tally *t)
{
	const char *err = reconcile_region_error(e, code);
	char tmo[16];

	if (err != NULL) {
		events_add(e, code, "ActionFailed", "in %s: %s", code, err);
		return;
	}
	if (t->rollback) {
		fmt_timeout(e->rs ? e->rs->health_timeout_s : 0, tmo,
			    sizeof(tmo));
		events_add(e, code, "RolledBack", "rollback in %s: checks not "
			   "passing after %s, destroyed %d new machine%s", code,
			   tmo, t->rollback, plural(t->rollback));
	}
	if (t->created)
		events_add(e, code, "MachinesCreated", "created %d machine%s "
			   "in %s (%s)", t->created, plural(t->created), code,
			   plan_reason_name(t->create_why));
	if (t->destroyed)
		events_add(e, code, "MachinesDestroyed", "destroyed %d "
			   "machine%s in %s (%s)", t->destroyed,
			   plural(t->destroyed), code,
			   plan_reason_name(t->destroy_why));
}

void
events_from_round(struct entry *e, const struct plan *p)
{
	struct ev_tally t[PLAN_REGIONS_MAX];
	size_t i;

	if (p->nactions == 0)
		return;
	memset(t, 0, sizeof(t));
	for (i = 0; i < p->nactions; i++) {
		const struct plan_action *a = &p->actions[i];
		struct ev_tally *x = &t[a->region];
		if (a->reason == PLAN_ROLLBACK) {
			x->rollback++;
		} else if (a->op == PLAN_CREATE) {
			x->create_why = a->reason;
			x->created++;
		} else {
			x->destroy_why = a->reason;
			x->destroyed++;
		}
	}
	for (i = 0; i < p->nregions; i++)
		if (t[i].created || t[i].destroyed || t[i].rollback)
			event_for_region(e, p->regions[i].code, &t[i]);
}

void
events_render(const struct entry *e, struct strbuf *sb)
{
	const struct event_ring *r = e->events;
	char ts[32];
	size_t i;

	sb_puts(sb, "[");
	for (i = 0; r != NULL && i < r->n; i++) {
		const struct rs_event *ev =
			&r->items[(r->next + EVENTS_MAX - r->n + i) %
				  EVENTS_MAX];
		util_rfc3339(ev->time, ts, sizeof(ts));
		sb_printf(sb, "%s{\"time\":\"%s\",\"region\":", i ? "," : "",
			  ts);
		sb_json_string(sb, ev->region);
		sb_puts(sb, ",\"reason\":");
		sb_json_string(sb, ev->reason);
		sb_puts(sb, ",\"message\":");
		sb_json_string(sb, ev->message ? ev->message : "");
		sb_puts(sb, "}");
	}
	sb_puts(sb, "]");
}

void
events_free(struct entry *e)
{
	size_t i;

	for (i = 0; e->events != NULL && i < EVENTS_MAX; i++)
		free(e->events->items[i].message);
	free(e->events);
	e->events = NULL;
}
