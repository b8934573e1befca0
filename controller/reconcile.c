/* reconcile.c - one reconcile of one RegionSet. Everything it decides
 * comes from the spec in force and the machines listed right now; what
 * it remembers between rounds (backoff, holds) only slows it down. */
#include "reconcile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flyclient.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "plancheck.h"
#include "rollout.h"
#include "status.h"
#include "store.h"
#include "util.h"

#define BACKOFF_MAX 300.0
#define HOLD_FIRST 30.0
#define HOLD_MAX 600.0
#define LEASE_HOLD_FIRST 2.0
#define LEASE_HOLD_MAX 60.0
#define CAPACITY_HOLD_FIRST 5.0
#define CAPACITY_HOLD_MAX 300.0

/* What one round keeps alive while its actions run. */
struct round {
	struct entry *e;
	struct fly_machine *ms;
	size_t n;
	struct plan plan;
	int failed;
	int held;                /* an action met a lease or capacity hold */
	double started;          /* for the duration metric */
	char path[160];
};

static double
jitter(double d)
{
	return d * (0.8 + 0.4 * (rand() / (double)RAND_MAX));
}

static void
round_free(struct round *rd)
{
	fly_machines_free(rd->ms, rd->n);
	plan_free(&rd->plan);
	free(rd);
}

/* Every action of the round was a destroy and each one worked: what
 * they did is final, so the next look need not wait for the poll (new
 * machines, by contrast, still have to boot and pass their checks). */
static int
destroys_done(const struct round *rd)
{
	size_t i;

	if (rd->failed || rd->held || rd->plan.nactions == 0)
		return 0;
	for (i = 0; i < rd->plan.nactions; i++)
		if (rd->plan.actions[i].op != PLAN_DESTROY)
			return 0;
	return 1;
}

static void
round_requeue(struct entry *e, const struct round *rd)
{
	struct ctl *c = e->ctl;

	if (rd->failed)
		metrics_retry();
	if (e->dirty || destroys_done(rd)) {
		e->dirty = 0;
		ctl_enqueue(e);
	} else if (rd->failed) {
		double d = c->opt.poll * pow(2, e->failures);
		ctl_enqueue_after(e, jitter(d < BACKOFF_MAX ? d : BACKOFF_MAX));
	} else if (!store_frozen(c, e) &&
		   (rd->plan.nactions > 0 || e->phase != PLAN_CONVERGED)) {
		/* A frozen set can do nothing until its input changes: the
		 * source change or the resync will bring it back. */
		ctl_enqueue_after(e, c->opt.poll);
	}
}

/* The round ends: report, then decide when to look again. */
static void
round_finish(struct round *rd)
{
	struct entry *e = rd->e;

	if (rd->ms != NULL) {
		events_from_round(e, &rd->plan);
		status_observe(e, &rd->plan, rd->ms, rd->n);
	} else {
		status_refresh(e);
	}
	metrics_reconcile(rd->failed, util_now() - rd->started);
	e->failures = rd->failed ? e->failures + 1 : 0;
	e->running = 0;
	e->round = NULL;
	if (!e->ctl->stopping)
		round_requeue(e, rd);
	round_free(rd);
	ctl_round_ended(e->ctl);
}

static void
set_region_error(struct entry *e, const char *region, const char *reason,
		 const char *error)
{
	size_t i, slot = RS_REGIONS_MAX;

	if (e->region_errors == NULL)
		e->region_errors = calloc(RS_REGIONS_MAX,
					  sizeof(*e->region_errors));
	if (e->region_errors == NULL)
		return;
	for (i = 0; i < RS_REGIONS_MAX; i++) {
		if (strncmp(e->region_errors[i], region, 3) == 0) {
			slot = i;
			break;
		}
		if (e->region_errors[i][0] == '\0' && slot == RS_REGIONS_MAX)
			slot = i;
	}
	if (slot == RS_REGIONS_MAX)
		return;
	snprintf(e->region_errors[slot], sizeof(e->region_errors[slot]),
		 "%.3s %s: %s", region, reason, error);
}

const char *
reconcile_region_error(const struct entry *e, const char *code)
{
	size_t i;

	for (i = 0; e->region_errors != NULL && i < RS_REGIONS_MAX; i++)
		if (strncmp(e->region_errors[i], code, 3) == 0 &&
		    e->region_errors[i][3] == ' ')
			return e->region_errors[i] + 4;
	return NULL;
}

/* Remember that kind of trouble at key until a growing delay passes;
 * a slot whose delay ran out long ago starts over. */
static double
hold_note(struct entry *e, const struct plan_hold *key, double now,
	  double first, double max)
{
	struct hold *h = NULL;
	size_t i;

	for (i = 0; i < e->nholds && h == NULL; i++)
		if (e->holds[i].key.kind == key->kind &&
		    strcmp(e->holds[i].key.region, key->region) == 0 &&
		    strcmp(e->holds[i].key.machine, key->machine) == 0)
			h = &e->holds[i];
	for (i = 0; i < e->nholds && h == NULL; i++)
		if (e->holds[i].until + HOLD_MAX < now)
			h = &e->holds[i];
	if (h == NULL && e->holds == NULL)
		e->holds = calloc(RS_REGIONS_MAX, sizeof(*e->holds));
	if (h == NULL && (e->holds == NULL || e->nholds == RS_REGIONS_MAX))
		return first;
	if (h == NULL) {
		h = &e->holds[e->nholds++];
		memset(h, 0, sizeof(*h));
	}
	if (memcmp(&h->key, key, sizeof(*key)) != 0 ||
	    h->until + max < now)
		h->backoff = 0;
	h->backoff = h->backoff == 0 ? first : fmin(h->backoff * 2, max);
	h->until = now + h->backoff;
	h->key = *key;
	return h->backoff;
}

/* A create in the region worked: a capacity hold there is over. */
static void
capacity_found(struct entry *e, const char *region)
{
	size_t i;

	for (i = 0; i < e->nholds; i++)
		if (e->holds[i].key.kind == PLAN_HOLD_CAPACITY &&
		    strcmp(e->holds[i].key.region, region) == 0)
			e->holds[i] = e->holds[--e->nholds];
}

/* Lease and capacity trouble is one machine's or one region's: it
 * holds that back for a while and does not slow the rest of the set. */
static int
hold_for_failure(struct entry *e, const char *region, const char *machine,
		 const char *reason)
{
	struct plan_hold key;
	double backoff;

	memset(&key, 0, sizeof(key));
	util_strlcpy(key.region, region, sizeof(key.region));
	if (strcmp(reason, "LeaseHeld") == 0 && machine[0] != '\0') {
		key.kind = PLAN_HOLD_LEASE;
		util_strlcpy(key.machine, machine, sizeof(key.machine));
		backoff = hold_note(e, &key, util_now(), LEASE_HOLD_FIRST,
				    LEASE_HOLD_MAX);
	} else if (strcmp(reason, "InsufficientCapacity") == 0) {
		key.kind = PLAN_HOLD_CAPACITY;
		backoff = hold_note(e, &key, util_now(), CAPACITY_HOLD_FIRST,
				    CAPACITY_HOLD_MAX);
	} else {
		return 0;
	}
	log_info("region_held", "regionset=%s app=%s region=%s machine=%s "
		 "reason=%s retry_in=%.0fs", e->name, e->rs->app, region,
		 machine[0] ? machine : "-", reason, backoff);
	return 1;
}

void
reconcile_action_done(struct entry *e, const char *region,
		      const char *machine, const char *reason,
		      const char *error)
{
	struct round *rd = e->round;

	if (error != NULL) {
		set_region_error(e, region, reason, error);
		if (hold_for_failure(e, region, machine, reason))
			rd->held = 1;
		else
			rd->failed = 1;
	} else if (region[0] != '\0' && machine[0] == '\0') {
		capacity_found(e, region);      /* a create worked there */
	}
	if (--e->pending == 0)
		round_finish(rd);
}

/* Holds: a region whose new machines had to be rolled back (never
 * healthy, or past the progress deadline) waits before it tries the
 * same config again, longer each time. One line per region is enough:
 * the hold is noted once per rollback, not once per machine. */
static void
holds_note_rollbacks(struct entry *e, const struct plan *p, double now)
{
	struct plan_hold key;
	double backoff;
	size_t i;
	int noted = -1;

	for (i = 0; i < p->nactions; i++) {
		const struct plan_region *pr = &p->regions[p->actions[i].region];
		enum plan_reason why = p->actions[i].reason;
		if ((why != PLAN_ROLLBACK && why != PLAN_DEADLINE) ||
		    p->actions[i].region == noted)
			continue;
		noted = p->actions[i].region;
		memset(&key, 0, sizeof(key));
		key.kind = why == PLAN_ROLLBACK ? PLAN_HOLD_ROLLBACK :
			   PLAN_HOLD_DEADLINE;
		util_strlcpy(key.region, pr->code, sizeof(key.region));
		util_strlcpy(key.config_hash, pr->spec->config_hash,
			     sizeof(key.config_hash));
		backoff = hold_note(e, &key, now, HOLD_FIRST, HOLD_MAX);
		log_warn("rollout_failed", "regionset=%s app=%s region=%s "
			 "retry_in=%.0fs reason=%s", e->name, e->rs->app,
			 pr->code, backoff, pr->reason);
	}
}

/* The holds in force now, for the planner. */
static size_t
holds_active(const struct entry *e, double now, struct plan_hold *out)
{
	size_t i, n = 0;

	for (i = 0; i < e->nholds; i++) {
		const struct hold *h = &e->holds[i];
		if (h->until > now) {
			out[n] = h->key;
			out[n++].retry = 0;
		} else if (h->key.kind == PLAN_HOLD_CAPACITY &&
			   h->until + CAPACITY_HOLD_MAX > now) {
			out[n] = h->key;
			out[n++].retry = 1;
		}
	}
	return n;
}

/* Regions held back by the waves or the storm brake say by whom;
 * regions the plan check holds say why and what is left there. */
static void
note_held_back(struct entry *e, const struct plan *p)
{
	char msg[160];
	size_t i;

	for (i = 0; i < p->nregions; i++) {
		const struct plan_region *pr = &p->regions[i];
		const struct plan_region *w = pr->spec && pr->waiting_for >= 0 ?
			&p->regions[pr->waiting_for] : NULL;
		if (pr->phase == PLAN_HELD)
			plancheck_region_message(e->rs, pr->current, msg,
						 sizeof(msg));
		else if (strcmp(pr->reason, "TooManyUnhealthy") == 0)
			snprintf(msg, sizeof(msg), "%d machines of the set "
				 "are unhealthy: replacing is stopped",
				 p->unhealthy);
		else if (w != NULL && strcmp(pr->reason, "WaveHalted") == 0)
			snprintf(msg, sizeof(msg), "wave %d failed in region "
				 "%s: %s", w->wave, w->code, w->reason);
		else if (w != NULL &&
			 strcmp(pr->reason, "WaitingForWave") == 0)
			snprintf(msg, sizeof(msg), "waits for wave %d (region "
				 "%s: %s)", w->wave, w->code, w->reason);
		else
			continue;
		set_region_error(e, pr->code, pr->reason, msg);
	}
}

/* A region error stays on the status while its lease or capacity hold
 * lasts: the planner is skipping work there, and the status says why. */
static void
clear_region_errors(struct entry *e, double now)
{
	size_t i, h;
	int keep;

	for (i = 0; e->region_errors != NULL && i < RS_REGIONS_MAX; i++) {
		keep = 0;
		for (h = 0; h < e->nholds; h++)
			keep |= e->holds[h].key.kind != PLAN_HOLD_ROLLBACK &&
				e->holds[h].until > now &&
				strncmp(e->holds[h].key.region,
					e->region_errors[i], 3) == 0;
		if (!keep)
			e->region_errors[i][0] = '\0';
	}
}

static void
round_act(struct round *rd)
{
	struct entry *e = rd->e;
	size_t i;

	clear_region_errors(e, util_now());
	note_held_back(e, &rd->plan);
	e->pending = 1;          /* the round itself, released below */
	for (i = 0; i < rd->plan.nactions; i++) {
		const struct plan_action *a = &rd->plan.actions[i];
		const struct fly_machine *m = a->machine >= 0 ?
			&rd->ms[a->machine] : NULL;
		e->pending++;
		if (rollout_start(e, a, &rd->plan.regions[a->region], m) < 0) {
			e->pending--;
			rd->failed = 1;
		}
	}
	reconcile_action_done(e, "", "", NULL, NULL);
}

static void
round_plan(struct round *rd)
{
	struct entry *e = rd->e;
	struct plan_hold holds[RS_REGIONS_MAX];
	struct plan_input in = {
		.rs = e->rs, .machines = rd->ms, .nmachines = rd->n,
		.now = util_now(), .holds = holds,
	};

	in.nholds = holds_active(e, in.now, holds);
	if (plan_compute(&in, &rd->plan) < 0) {
		util_strlcpy(e->api_error, "planning failed (out of memory "
			     "or too many regions)",
			     sizeof(e->api_error));
		rd->failed = 1;
		round_finish(rd);
		return;
	}
	e->observed_generation = e->generation;
	note_held_back(e, &rd->plan);
	status_observe(e, &rd->plan, rd->ms, rd->n);
	if (store_frozen(e->ctl, e)) {
		rd->plan.nactions = 0;
		round_finish(rd);
		return;
	}
	holds_note_rollbacks(e, &rd->plan, in.now);
	round_act(rd);
}

static void
on_list(void *arg, const struct fly_response *r)
{
	struct round *rd = arg;
	struct entry *e = rd->e;
	char err[200];

	if (r->status != 200) {
		fly_failure_text(r, err, sizeof(err));
		snprintf(e->api_error, sizeof(e->api_error),
			 "listing machines of app %s failed: %.120s",
			 e->rs->app, err);
		log_warn("list_failed", "regionset=%s app=%s status=%ld "
			 "error=%s", e->name, e->rs->app, r->status, log_q(err));
		rd->failed = 1;
		round_finish(rd);
		return;
	}
	if (fly_parse_machine_list(r->body, r->len, &rd->ms, &rd->n, err,
				   sizeof(err)) < 0) {
		snprintf(e->api_error, sizeof(e->api_error),
			 "malformed machine list for app %s: %.150s",
			 e->rs->app, err);
		rd->failed = 1;
		round_finish(rd);
		return;
	}
	e->api_error[0] = '\0';
	round_plan(rd);
}

void
reconcile_start(struct entry *e)
{
	struct round *rd;
	struct fly_request rq = { .op = "list", .method = "GET" };

	if (e->rs == NULL) {
		status_refresh(e);      /* never valid: nothing to observe */
		return;
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		ctl_enqueue_after(e, e->ctl->opt.poll);
		return;
	}
	rd->e = e;
	rd->started = util_now();
	ctl_round_started(e->ctl);
	e->running = 1;
	e->round = rd;
	snprintf(rd->path, sizeof(rd->path), "/v1/apps/%s/machines",
		 e->rs->app);
	rq.key = e->rs->app;
	rq.path = rd->path;
	if (fly_client_send(e->ctl->fly, &rq, on_list, rd) < 0) {
		rd->failed = 1;
		round_finish(rd);
	}
}

void
reconcile_abandon(struct entry *e)
{
	if (e->round == NULL)
		return;
	rollout_abandon(e);
	round_free(e->round);
	e->round = NULL;
	e->running = 0;
	e->pending = 0;
	ctl_round_ended(e->ctl);
}
