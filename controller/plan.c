/* plan.c - the pure planner. Per region it compares the machines this
 * RegionSet owns with what the spec asks for, by config hash only, and
 * decides creates and destroys for a blue/green convergence:
 *
 *   1. too few machines with the desired hash: create the difference;
 *      one that stands in for an idle (stopped, suspended) outdated
 *      machine is created without booting ("parked");
 *   2. too many: destroy the extras: idle first, then unhealthy, then
 *      newest;
 *   3. retire outdated machines once their replacements are there: a
 *      ready one when enough new ones are available (or parked in place
 *      of idle ones), one that serves nothing as soon as there is room;
 *   4. a new machine past its health timeout while old ones still serve:
 *      roll it back (the caller then holds the region off for a while);
 *      no new machine for a whole progress deadline: roll back all new
 *      ones.
 *
 * Creates stay within maxSurge over the count, and ready machines do
 * not drop under the count minus maxUnavailable.
 *
 * A machine on a host that is not ok counts as outdated: it is replaced,
 * not waited for. Machines of a region that left the spec are destroyed;
 * machines that are not ours are only counted. Holds from the caller
 * block creates in a region or destroys of a leased machine.
 *
 * A region the spec holds (the team's plan does not allow it) gets no
 * action at all: nothing is created, replaced, updated or destroyed
 * there, a new image included. Its machines are counted and reported,
 * its desired count is what it has, and it neither counts toward the
 * set's phase, the storm brake or the waves, nor waits for them. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "machinecfg.h"
#include "util.h"

/* Per-region scratch: indexes of this set's machines, by kind. */
struct bucket {
	long *updated;
	size_t nupdated;
	long *outdated;
	size_t noutdated;
	int parked;            /* updated machines created without booting */
	int old_idle;          /* outdated machines that are idle */
	int available;         /* updated, ready for min_ready_s */
	int old_ready;         /* outdated and ready */
	double last_create;    /* newest created_at of an updated machine */
	double last_change;    /* newest updated_at of an updated machine */
};

static const char *const op_names[] = { "create", "destroy", "update" };
static const char *const reason_names[] = {
	"missing", "replace", "scale-down", "outdated", "region-removed",
	"rollback", "deadline",
};
static const char *const phase_names[] = {
	"Converged", "Progressing", "Degraded", "Held",
};

const char *
plan_op_name(enum plan_op op)
{
	return op_names[op];
}

const char *
plan_reason_name(enum plan_reason r)
{
	return reason_names[r];
}

const char *
plan_phase_name(enum plan_phase ph)
{
	return phase_names[ph];
}

void
plan_free(struct plan *p)
{
	free(p->actions);
	p->actions = NULL;
	p->nactions = p->cap = 0;
}

static int
plan_add(struct plan *p, enum plan_op op, enum plan_reason reason,
	 int region, long machine)
{
	struct plan_action *a;

	if (p->nactions == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		a = realloc(p->actions, cap * sizeof(*a));
		if (a == NULL)
			return -1;
		p->actions = a;
		p->cap = cap;
	}
	a = &p->actions[p->nactions++];
	a->op = op;
	a->reason = reason;
	a->region = region;
	a->machine = machine;
	a->park = 0;
	return 0;
}

/* Region codes are compared as one 8-byte word: the planner looks a
 * region up twice per machine, and strcmp dominated its profile. */
static int
region_index(struct plan *p, const char *code)
{
	char key[8] = { 0 };
	size_t i;

	util_strlcpy(key, code, sizeof(key));
	for (i = 0; i < p->nregions; i++)
		if (memcmp(p->regions[i].code, key, sizeof(key)) == 0)
			return (int)i;
	if (p->nregions == PLAN_REGIONS_MAX)
		return -1;
	memset(&p->regions[p->nregions], 0, sizeof(p->regions[0]));
	memcpy(p->regions[p->nregions].code, key, sizeof(key));
	return (int)p->nregions++;
}

static void
plan_reset(const struct plan_input *in, struct plan *p)
{
	int i;

	p->nactions = 0;
	p->nregions = 0;
	p->unmanaged = 0;
	p->foreign = 0;
	p->unhealthy = 0;
	p->braked = 0;
	p->phase = PLAN_CONVERGED;
	for (i = 0; i < in->rs->nregions; i++) {
		const struct rs_region *r = &in->rs->regions[i];
		struct plan_region *pr = &p->regions[region_index(p, r->code)];
		pr->spec = r;
		pr->primary = r->primary;
		pr->desired = r->count;
	}
}

static int
owned(const struct regionset *rs, const struct fly_machine *m)
{
	return fly_machine_managed(m) && strcmp(m->regionset, rs->name) == 0;
}

static int
held(const struct plan_region *pr)
{
	return pr->spec != NULL && pr->spec->held;
}

static int
host_ok(const struct fly_machine *m)
{
	return m->host_status[0] == '\0' || strcmp(m->host_status, "ok") == 0;
}

/* Where a machine goes: -1 skipped, else its region index; the sign of
 * `updated` tells the bucket. */
struct slot {
	short region;
	char updated;
};

/* First pass: classify every machine and count per region. */
static int
plan_classify(const struct plan_input *in, struct plan *p, struct slot *s)
{
	size_t i;

	for (i = 0; i < in->nmachines; i++) {
		const struct fly_machine *m = &in->machines[i];
		struct plan_region *pr;
		int r;

		s[i].region = -1;
		if (fly_machine_gone(m))
			continue;
		if (!fly_machine_managed(m)) {
			p->unmanaged++;
			continue;
		}
		if (!owned(in->rs, m)) {
			p->foreign++;
			continue;
		}
		r = region_index(p, m->region);
		if (r < 0)
			return -1;
		pr = &p->regions[r];
		pr->current++;
		s[i].region = (short)r;
		s[i].updated = pr->spec != NULL && host_ok(m) &&
			strcmp(m->config_hash, pr->spec->config_hash) == 0;
		pr->updated += s[i].updated;
	}
	return 0;
}

/* Second pass: lay the buckets out in idx, region after region. */
static void
plan_fill(const struct plan_input *in, struct plan *p,
	  const struct slot *s, long *idx, struct bucket *b)
{
	size_t i, r, off = 0;

	for (r = 0; r < p->nregions; r++) {
		b[r].updated = idx + off;
		off += (size_t)p->regions[r].updated;
		b[r].outdated = idx + off;
		off += (size_t)(p->regions[r].current -
				p->regions[r].updated);
		b[r].nupdated = b[r].noutdated = 0;
		p->regions[r].updated = 0;
	}
	for (i = 0; i < in->nmachines; i++) {
		struct bucket *bk;
		if (s[i].region < 0)
			continue;
		bk = &b[s[i].region];
		if (s[i].updated)
			bk->updated[bk->nupdated++] = (long)i;
		else
			bk->outdated[bk->noutdated++] = (long)i;
	}
}

/* Created without booting, on purpose (see PLAN_PARKED_PREFIX). */
static int
parked(const struct fly_machine *m)
{
	return strcmp(m->state, "created") == 0 &&
	       strncmp(m->launch_id, PLAN_PARKED_PREFIX,
		       sizeof(PLAN_PARKED_PREFIX) - 1) == 0;
}

static int
idle_state(const struct fly_machine *m)
{
	return strcmp(m->state, "stopped") == 0 ||
	       strcmp(m->state, "suspended") == 0 || parked(m);
}

/* A machine that should have passed its checks by now: counted from
 * its last change of state, so that a machine updated in place gets
 * the whole timeout again. */
static int
overdue(const struct plan_input *in, const struct fly_machine *m)
{
	double since = m->updated_at > m->created_at ? m->updated_at :
		       m->created_at;

	if (fly_machine_ready(m) || idle_state(m) || since <= 0)
		return 0;
	return in->now - since > in->rs->health_timeout_s;
}

/* Victim order for scale-down: idle first, then unhealthy, then
 * newest; the id breaks ties so that a restart picks the same one. */
static const struct fly_machine *sort_base;

static int
victim_rank(const struct fly_machine *m)
{
	if (idle_state(m))
		return 0;
	return fly_machine_ready(m) ? 2 : 1;
}

static int
victim_cmp(const void *a, const void *b)
{
	const struct fly_machine *x = &sort_base[*(const long *)a];
	const struct fly_machine *y = &sort_base[*(const long *)b];
	int rx = victim_rank(x), ry = victim_rank(y);

	if (rx != ry)
		return rx - ry;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? 1 : -1;
	return strcmp(x->id, y->id);
}

static const char *
hold_reason(const struct plan_hold *h)
{
	switch (h->kind) {
	case PLAN_HOLD_CAPACITY:
		return "InsufficientCapacity";
	case PLAN_HOLD_DEADLINE:
		return "ProgressDeadlineExceeded";
	case PLAN_HOLD_LEASE:
		return "LeaseHeld";
	default:
		return "RolloutBackoff";
	}
}

/* A rollback hold for this config, or a capacity hold, on the region. */
static const struct plan_hold *
region_hold(const struct plan_input *in, const struct plan_region *pr)
{
	size_t i;

	for (i = 0; i < in->nholds; i++) {
		const struct plan_hold *h = &in->holds[i];
		if (h->kind == PLAN_HOLD_LEASE || h->retry ||
		    strcmp(h->region, pr->code) != 0)
			continue;
		if (h->kind == PLAN_HOLD_CAPACITY ||
		    strcmp(h->config_hash, pr->spec->config_hash) == 0)
			return h;
	}
	return NULL;
}

static int
capacity_retry(const struct plan_input *in, const struct plan_region *pr)
{
	size_t i;

	for (i = 0; i < in->nholds; i++)
		if (in->holds[i].kind == PLAN_HOLD_CAPACITY &&
		    in->holds[i].retry &&
		    strcmp(in->holds[i].region, pr->code) == 0)
			return 1;
	return 0;
}

static int
lease_held(const struct plan_input *in, const struct fly_machine *m)
{
	size_t i;

	for (i = 0; i < in->nholds; i++)
		if (in->holds[i].kind == PLAN_HOLD_LEASE &&
		    strcmp(in->holds[i].machine, m->id) == 0)
			return 1;
	return 0;
}

/* Destroy machine idx unless someone else leases it; 1 when planned,
 * 0 when skipped, -1 on allocation failure. */
static int
plan_destroy(const struct plan_input *in, struct plan *p,
	     enum plan_reason reason, int r, long idx)
{
	if (lease_held(in, &in->machines[idx])) {
		p->regions[r].leased++;
		return 0;
	}
	return plan_add(p, PLAN_DESTROY, reason, r, idx) < 0 ? -1 : 1;
}

/* Ready, and up for the spec's minReadySeconds: updated_at is when the
 * machine last changed state, so it has been started since then. */
static int
available(const struct plan_input *in, const struct fly_machine *m)
{
	return fly_machine_ready(m) &&
	       in->now - m->updated_at >= in->rs->min_ready_s;
}

static void
count_updated(const struct plan_input *in, struct plan_region *pr,
	      struct bucket *b)
{
	size_t i;

	pr->updated = (int)b->nupdated;
	pr->outdated = (int)b->noutdated;
	b->parked = b->old_idle = b->available = b->old_ready = 0;
	b->last_create = b->last_change = 0;
	for (i = 0; i < b->nupdated; i++) {
		const struct fly_machine *m = &in->machines[b->updated[i]];
		if (fly_machine_ready(m))
			pr->ready++;
		else if (idle_state(m))
			pr->idle++;
		else if (overdue(in, m))
			pr->failed++;
		b->parked += parked(m);
		b->available += available(in, m);
		if (m->created_at > b->last_create)
			b->last_create = m->created_at;
		if (m->updated_at > b->last_change)
			b->last_change = m->updated_at;
	}
	for (i = 0; i < b->noutdated; i++) {
		const struct fly_machine *m = &in->machines[b->outdated[i]];
		b->old_idle += idle_state(m);
		b->old_ready += fly_machine_ready(m);
	}
}

static void
set_phase(struct plan_region *pr, enum plan_phase ph, const char *reason)
{
	pr->phase = ph;
	util_strlcpy(pr->reason, reason, sizeof(pr->reason));
}

/* A failed rollout: new machines never got healthy, old ones still
 * serve. Remove the failed new ones; keep the old. */
static int
plan_rollback(const struct plan_input *in, struct plan *p, int r,
	      const struct bucket *b)
{
	size_t i;

	set_phase(&p->regions[r], PLAN_DEGRADED, "HealthCheckTimeout");
	for (i = 0; i < b->nupdated; i++)
		if (overdue(in, &in->machines[b->updated[i]]) &&
		    plan_destroy(in, p, PLAN_ROLLBACK, r, b->updated[i]) < 0)
			return -1;
	return 0;
}

/* No new machine for a whole progress deadline while old ones remain:
 * the rollout is stuck. Blue/green gives up on every new machine and
 * keeps the old. */
static int
past_deadline(const struct plan_input *in, const struct plan_region *pr,
	      const struct bucket *b)
{
	return pr->outdated > 0 && pr->updated > 0 && b->last_create > 0 &&
	       in->now - b->last_create > in->rs->progress_deadline_s;
}

static int
plan_give_up(const struct plan_input *in, struct plan *p, int r,
	     const struct bucket *b)
{
	size_t i;

	set_phase(&p->regions[r], PLAN_DEGRADED, "ProgressDeadlineExceeded");
	for (i = 0; i < b->nupdated; i++)
		if (plan_destroy(in, p, PLAN_DEADLINE, r, b->updated[i]) < 0)
			return -1;
	return 0;
}

static int
surge_of(const struct plan_input *in, const struct plan_region *pr)
{
	int surge = rs_quantity_resolve(&in->rs->max_surge, pr->desired, 1);
	int unav = rs_quantity_resolve(&in->rs->max_unavailable,
				       pr->desired, 0);

	return surge == 0 && unav == 0 ? 1 : surge;  /* or no step at all */
}

/* Creates for what is missing, within the surge: the region never holds
 * more than desired + maxSurge machines. The first `park` are parked:
 * stand-ins for idle outdated machines that have none yet. */
static int
plan_create(const struct plan_input *in, struct plan *p, int r,
	    int missing, int park)
{
	struct plan_region *pr = &p->regions[r];
	const struct plan_hold *h = region_hold(in, pr);
	int i;
	int room = pr->desired + surge_of(in, pr) - pr->current;

	if (h != NULL) {
		set_phase(pr, PLAN_DEGRADED, hold_reason(h));
		return 0;
	}
	/* Trying again after a capacity error is not progress yet: the
	 * region stays Degraded (and its phase does not flap with each
	 * retry) until a create there works. */
	if (missing > 0 && room > 0 && capacity_retry(in, pr))
		set_phase(pr, PLAN_DEGRADED, "InsufficientCapacity");
	for (i = 0; i < missing && i < room; i++) {
		if (plan_add(p, PLAN_CREATE, pr->outdated ? PLAN_REPLACE :
			     PLAN_MISSING, r, -1) < 0)
			return -1;
		p->actions[p->nactions - 1].park = i < park;
	}
	return 0;
}

static int
plan_scale(const struct plan_input *in, struct plan *p, int r,
	   struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	int missing = pr->desired - pr->updated, gone = 0, rc;
	size_t i;

	if (missing > 0)
		return plan_create(in, p, r, missing, b->old_idle - pr->idle);
	sort_base = in->machines;
	qsort(b->updated, b->nupdated, sizeof(long), victim_cmp);
	for (i = 0; i < b->nupdated && gone < -missing; i++) {
		rc = plan_destroy(in, p, PLAN_SCALE_DOWN, r, b->updated[i]);
		if (rc < 0)
			return -1;
		gone += rc;
	}
	return 0;
}

/* Rule 3. An outdated machine that serves nothing (idle, unhealthy, on
 * a bad host) goes while the region holds more than desired, or at
 * once when there is no surge to make room. A ready one goes only while
 * the ready machines stay at or above desired - maxUnavailable, new
 * ones counting once available; parked stand-ins lower that floor, as
 * the idle machines they replace never served. */
static int
plan_retire(const struct plan_input *in, struct plan *p, int r,
	    struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	int unav = rs_quantity_resolve(&in->rs->max_unavailable,
				       pr->desired, 0);
	int spare = pr->current - pr->desired, rc;
	int budget = b->available + b->old_ready -
		     (pr->desired - unav - b->parked);
	size_t i;

	if (surge_of(in, pr) == 0)
		spare = pr->current;
	sort_base = in->machines;
	qsort(b->outdated, b->noutdated, sizeof(long), victim_cmp);
	for (i = 0; i < b->noutdated; i++) {
		long idx = b->outdated[i];
		int ready = fly_machine_ready(&in->machines[idx]);
		if (ready ? budget <= 0 : spare <= 0)
			continue;
		rc = plan_destroy(in, p, PLAN_OUTDATED, r, idx);
		if (rc < 0)
			return -1;
		if (ready)
			budget -= rc;
		spare -= rc;
	}
	return 0;
}

static void
spec_region_phase(struct plan_region *pr)
{
	if (pr->phase == PLAN_DEGRADED)
		return;
	if (pr->failed > 0)
		set_phase(pr, PLAN_DEGRADED, "HealthCheckTimeout");
	else if (pr->updated == pr->desired && pr->outdated == 0 &&
		 pr->ready + pr->idle == pr->desired)
		set_phase(pr, PLAN_CONVERGED, "Converged");
	else if (pr->leased > 0)
		set_phase(pr, PLAN_PROGRESSING, "LeaseHeld");
	else
		set_phase(pr, PLAN_PROGRESSING, pr->outdated ?
			  "RollingOut" : "Scaling");
}

/* Replacing is held back: an earlier wave is not settled, or the storm
 * brake is on. Creates for a region that is short (nothing outdated)
 * and everything that removes failed new machines still go. */
static int
held_back(const struct plan *p, const struct plan_region *pr)
{
	return pr->outdated > 0 && (pr->waiting_for >= 0 || p->braked);
}

static void
held_back_phase(const struct plan *p, struct plan_region *pr)
{
	const struct plan_region *w;

	if (p->braked) {
		set_phase(pr, PLAN_DEGRADED, "TooManyUnhealthy");
		return;
	}
	w = &p->regions[pr->waiting_for];
	if (w->phase == PLAN_DEGRADED)
		set_phase(pr, PLAN_DEGRADED, "WaveHalted");
	else
		set_phase(pr, PLAN_PROGRESSING, "WaitingForWave");
}

/* In-place strategies. Extras go first (outdated, then as
 * scale-down); a machine on a bad host cannot be updated, so it is
 * destroyed and made again. */
static int
in_place_trim(const struct plan_input *in, struct plan *p, int r,
	      struct bucket *b, int *spare)
{
	size_t i;
	int rc;

	for (i = 0; i < b->noutdated; i++) {
		const struct fly_machine *m = &in->machines[b->outdated[i]];
		if (*spare <= 0 && host_ok(m))
			continue;
		rc = plan_destroy(in, p, PLAN_OUTDATED, r, b->outdated[i]);
		if (rc < 0)
			return -1;
		*spare -= rc;
		b->outdated[i] = -1;
	}
	return 0;
}

/* Updates: idle and unhealthy machines at once (idle ones stay idle),
 * ready ones while the ready count stays at or above desired minus
 * maxUnavailable (at least one at a time); immediate: all at once. */
static int
in_place_update(const struct plan_input *in, struct plan *p, int r,
		const struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	int unav = rs_quantity_resolve(&in->rs->max_unavailable,
				       pr->desired, 0);
	int budget = b->available + b->old_ready -
		     (pr->desired - (unav > 1 ? unav : 1));
	int all = strcmp(in->rs->strategy, "immediate") == 0;
	size_t i;

	for (i = 0; i < b->noutdated; i++) {
		const struct fly_machine *m;
		int ready;
		if (b->outdated[i] < 0)
			continue;
		m = &in->machines[b->outdated[i]];
		ready = fly_machine_ready(m);
		if (ready && !all && budget <= 0)
			continue;
		if (lease_held(in, m)) {
			pr->leased++;
			continue;
		}
		if (plan_add(p, PLAN_UPDATE, PLAN_OUTDATED, r,
			     b->outdated[i]) < 0)
			return -1;
		p->actions[p->nactions - 1].park = idle_state(m);
		budget -= ready;
	}
	return 0;
}

static int
plan_in_place(const struct plan_input *in, struct plan *p, int r,
	      struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	int spare = pr->current - pr->desired;

	if (pr->outdated > 0 && b->last_change > 0 &&
	    in->now - b->last_change > in->rs->progress_deadline_s) {
		set_phase(pr, PLAN_DEGRADED, "ProgressDeadlineExceeded");
		return 0;               /* rolling stops where it is */
	}
	if (pr->failed > 0 && strcmp(in->rs->strategy, "rolling") == 0) {
		set_phase(pr, PLAN_DEGRADED, "HealthCheckTimeout");
		return 0;
	}
	sort_base = in->machines;
	qsort(b->outdated, b->noutdated, sizeof(long), victim_cmp);
	if (in_place_trim(in, p, r, b, &spare) < 0 ||
	    (spare < 0 && plan_create(in, p, r, -spare, 0) < 0) ||
	    (pr->updated > pr->desired && plan_scale(in, p, r, b) < 0) ||
	    in_place_update(in, p, r, b) < 0)
		return -1;
	spec_region_phase(pr);
	return 0;
}

static int
plan_spec_region(const struct plan_input *in, struct plan *p, int r,
		 struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];

	if (strcmp(in->rs->strategy, "bluegreen") != 0 && held_back(p, pr)) {
		held_back_phase(p, pr);
		return 0;
	}
	if (strcmp(in->rs->strategy, "bluegreen") != 0)
		return plan_in_place(in, p, r, b);
	if (past_deadline(in, pr, b))
		return plan_give_up(in, p, r, b);
	if (pr->failed > 0 && pr->outdated > 0)
		return plan_rollback(in, p, r, b);
	if (held_back(p, pr)) {
		held_back_phase(p, pr);
		return 0;
	}
	if (plan_scale(in, p, r, b) < 0 || plan_retire(in, p, r, b) < 0)
		return -1;
	spec_region_phase(pr);
	return 0;
}

/* Held by the spec: counted and reported, never acted on. */
static void
plan_held_region(struct plan_region *pr)
{
	pr->desired = pr->current;
	set_phase(pr, PLAN_HELD, "PlanRequired");
}

static int
plan_removed_region(const struct plan_input *in, struct plan *p, int r,
		    const struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	size_t i;

	pr->outdated = (int)b->noutdated;
	for (i = 0; i < b->noutdated; i++)
		if (plan_destroy(in, p, PLAN_REGION_REMOVED, r,
				 b->outdated[i]) < 0)
			return -1;
	set_phase(pr, PLAN_PROGRESSING, pr->leased ? "LeaseHeld" :
		  "RegionRemoved");
	return 0;
}

/* Serves nothing and should: not idle, not ready, and on a bad host or
 * past the time a machine has to pass its checks. */
static int
unhealthy(const struct plan_input *in, const struct fly_machine *m)
{
	if (idle_state(m) || fly_machine_ready(m))
		return 0;
	return !host_ok(m) || overdue(in, m);
}

static void
count_unhealthy(const struct plan_input *in, struct plan *p,
		const struct bucket *b)
{
	int desired = 0, limit;
	size_t r, i;

	for (r = 0; r < p->nregions; r++) {
		const long *up = b[r].updated, *out = b[r].outdated;
		if (held(&p->regions[r]))
			continue;
		desired += p->regions[r].desired;
		for (i = 0; i < b[r].nupdated; i++)
			p->unhealthy += unhealthy(in, &in->machines[up[i]]);
		for (i = 0; i < b[r].noutdated; i++)
			p->unhealthy += unhealthy(in, &in->machines[out[i]]);
	}
	limit = rs_quantity_resolve(&in->rs->max_unhealthy, desired, 0);
	p->braked = p->unhealthy > limit;
}

/* Settled: every machine the region asks for is on the new config and
 * ready, and has been quiet for the soak time. The old machines still
 * being retired there do not hold the next wave back: what the wave
 * proves is that the new config runs. */
static int
settled(const struct plan_input *in, const struct plan_region *pr,
	const struct bucket *b)
{
	return pr->failed == 0 && pr->updated == pr->desired &&
	       pr->ready + pr->idle == pr->desired &&
	       in->now - b->last_change >= in->rs->soak_s;
}

/* Waves, in spec order: the primary alone (unless primaryFirst is off),
 * then maxParallelRegions at a time (all at once when 0). A region waits
 * for the first region of an earlier wave that has not settled. */
static void
plan_waves(const struct plan_input *in, struct plan *p,
	   const struct bucket *b)
{
	int per = in->rs->max_parallel_regions;
	int r, k, n = in->rs->nregions;

	for (r = 0; r < n; r++) {
		int at = in->rs->primary_first ? r - 1 : r;
		p->regions[r].wave = at < 0 ? 0 : per > 0 ? at / per +
			in->rs->primary_first : in->rs->primary_first;
		p->regions[r].waiting_for = -1;
		if (p->regions[r].outdated == 0 || held(&p->regions[r]))
			continue;       /* nothing to roll out here */
		for (k = 0; k < r; k++)
			if (p->regions[k].wave < p->regions[r].wave &&
			    !held(&p->regions[k]) &&
			    !settled(in, &p->regions[k], &b[k])) {
				p->regions[r].waiting_for = k;
				break;
			}
	}
}

static int
plan_regions(const struct plan_input *in, struct plan *p, struct bucket *b)
{
	size_t r;

	for (r = 0; r < p->nregions; r++)
		if (p->regions[r].spec != NULL)
			count_updated(in, &p->regions[r], &b[r]);
	count_unhealthy(in, p, b);
	plan_waves(in, p, b);
	for (r = 0; r < p->nregions; r++) {
		struct plan_region *pr = &p->regions[r];
		int rc = 0;
		if (held(pr))
			plan_held_region(pr);
		else if (pr->spec != NULL)
			rc = plan_spec_region(in, p, (int)r, &b[r]);
		else
			rc = plan_removed_region(in, p, (int)r, &b[r]);
		if (rc < 0)
			return -1;
		if (pr->phase > p->phase && pr->phase != PLAN_HELD)
			p->phase = pr->phase;
	}
	return 0;
}

int
plan_compute(const struct plan_input *in, struct plan *out)
{
	struct bucket b[PLAN_REGIONS_MAX];
	long idx_stack[64], *idx = idx_stack;
	struct slot slot_stack[64], *slots = slot_stack;
	int rc = -1;

	if (in->nmachines > 64) {
		idx = malloc(in->nmachines * sizeof(*idx));
		slots = malloc(in->nmachines * sizeof(*slots));
	}
	plan_reset(in, out);
	if (idx != NULL && slots != NULL &&
	    plan_classify(in, out, slots) == 0) {
		plan_fill(in, out, slots, idx, b);
		rc = plan_regions(in, out, b);
	}
	if (idx != idx_stack) {
		free(idx);
		free(slots);
	}
	return rc;
}
