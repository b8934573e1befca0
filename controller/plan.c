/* plan.c - the pure planner. Per region it compares the machines this
 * RegionSet owns with what the spec asks for, by config hash only, and
 * decides creates and destroys for a blue/green convergence:
 *
 *   1. too few machines with the desired hash: create the difference;
 *   2. too many: destroy the extras, unhealthy and newest first;
 *   3. once every desired machine is ready, destroy the outdated ones;
 *   4. a new machine past its health timeout while old ones still serve:
 *      roll it back (the caller then holds the region off for a while).
 *
 * Machines of a region that left the spec are destroyed; machines that
 * are not ours are only counted. */
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
};

static const char *const op_names[] = { "create", "destroy" };
static const char *const reason_names[] = {
	"missing", "replace", "scale-down", "outdated", "region-removed",
	"rollback",
};
static const char *const phase_names[] = {
	"Converged", "Progressing", "Degraded",
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
		s[i].updated = pr->spec != NULL &&
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

static int
idle_state(const struct fly_machine *m)
{
	return strcmp(m->state, "stopped") == 0 ||
	       strcmp(m->state, "suspended") == 0;
}

/* A machine that should have passed its checks by now. */
static int
overdue(const struct plan_input *in, const struct fly_machine *m)
{
	if (fly_machine_ready(m) || idle_state(m) || m->created_at <= 0)
		return 0;
	return in->now - m->created_at > in->rs->health_timeout_s;
}

/* Victim order for scale-down: not ready first, then newest first. */
static const struct fly_machine *sort_base;

static int
victim_cmp(const void *a, const void *b)
{
	const struct fly_machine *x = &sort_base[*(const long *)a];
	const struct fly_machine *y = &sort_base[*(const long *)b];
	int rx = fly_machine_ready(x), ry = fly_machine_ready(y);

	if (rx != ry)
		return rx - ry;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int
held(const struct plan_input *in, const struct plan_region *pr)
{
	size_t i;

	for (i = 0; i < in->nholds; i++)
		if (strcmp(in->holds[i].region, pr->code) == 0 &&
		    strcmp(in->holds[i].config_hash,
			   pr->spec->config_hash) == 0)
			return 1;
	return 0;
}

static void
count_updated(const struct plan_input *in, struct plan_region *pr,
	      const struct bucket *b)
{
	size_t i;

	pr->updated = (int)b->nupdated;
	pr->outdated = (int)b->noutdated;
	for (i = 0; i < b->nupdated; i++) {
		const struct fly_machine *m = &in->machines[b->updated[i]];
		if (fly_machine_ready(m))
			pr->ready++;
		else if (idle_state(m))
			pr->idle++;
		else if (overdue(in, m))
			pr->failed++;
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
		    plan_add(p, PLAN_DESTROY, PLAN_ROLLBACK, r,
			     b->updated[i]) < 0)
			return -1;
	return 0;
}

static int
plan_scale(const struct plan_input *in, struct plan *p, int r,
	   struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	int i, missing = pr->desired - pr->updated;

	if (missing > 0 && held(in, pr)) {
		set_phase(pr, PLAN_DEGRADED, "RolloutBackoff");
		return 0;
	}
	for (i = 0; i < missing; i++)
		if (plan_add(p, PLAN_CREATE, pr->outdated ? PLAN_REPLACE :
			     PLAN_MISSING, r, -1) < 0)
			return -1;
	if (missing >= 0)
		return 0;
	sort_base = in->machines;
	qsort(b->updated, b->nupdated, sizeof(long), victim_cmp);
	for (i = 0; i < -missing; i++)
		if (plan_add(p, PLAN_DESTROY, PLAN_SCALE_DOWN, r,
			     b->updated[i]) < 0)
			return -1;
	return 0;
}

static int
plan_spec_region(const struct plan_input *in, struct plan *p, int r,
		 struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	size_t i;

	count_updated(in, pr, b);
	if (pr->failed > 0 && pr->outdated > 0)
		return plan_rollback(in, p, r, b);
	if (plan_scale(in, p, r, b) < 0)
		return -1;
	if (pr->ready >= pr->desired)
		for (i = 0; i < b->noutdated; i++)
			if (plan_add(p, PLAN_DESTROY, PLAN_OUTDATED, r,
				     b->outdated[i]) < 0)
				return -1;
	if (pr->phase == PLAN_DEGRADED)
		return 0;
	if (pr->failed > 0)
		set_phase(pr, PLAN_DEGRADED, "HealthCheckTimeout");
	else if (pr->updated == pr->desired && pr->outdated == 0 &&
		 pr->ready + pr->idle == pr->desired)
		set_phase(pr, PLAN_CONVERGED, "Converged");
	else
		set_phase(pr, PLAN_PROGRESSING, pr->outdated ?
			  "RollingOut" : "Scaling");
	return 0;
}

static int
plan_removed_region(struct plan *p, int r, const struct bucket *b)
{
	struct plan_region *pr = &p->regions[r];
	size_t i;

	pr->outdated = (int)b->noutdated;
	set_phase(pr, PLAN_PROGRESSING, "RegionRemoved");
	for (i = 0; i < b->noutdated; i++)
		if (plan_add(p, PLAN_DESTROY, PLAN_REGION_REMOVED, r,
			     b->outdated[i]) < 0)
			return -1;
	return 0;
}

static int
plan_regions(const struct plan_input *in, struct plan *p, struct bucket *b)
{
	size_t r;

	for (r = 0; r < p->nregions; r++) {
		struct plan_region *pr = &p->regions[r];
		int rc = pr->spec ? plan_spec_region(in, p, (int)r, &b[r]) :
			 plan_removed_region(p, (int)r, &b[r]);
		if (rc < 0)
			return -1;
		if (pr->phase > p->phase)
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
