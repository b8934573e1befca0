/* bench_plan.c - CPU cost of the planner: 10,000 RegionSets of 28
 * regions, one machine each, planned on one core. Two scenarios: every
 * set converged (no action), and every set with a new image (28 creates
 * each). Each runs cold (all 280,000 machines in memory, every set's
 * machines read once per run, as a sweep over all sets would) and warm
 * (the 10,000 plans cycle over a few sets whose machines stay in cache,
 * as when a set is planned right after its list is parsed). Prints one
 * key=value line per scenario; asserts no time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "machinecfg.h"

#define NSETS 10000
#define RUNS 5
#define WARM_SETS 16        /* 16 x 28 machines: about 340 KB */
#define NOW 1700000000.0

static const char *const catalog[] = {
	"iad", "ord", "dfw", "den", "lax", "sjc", "sea", "yyz", "yul", "gru",
	"gig", "eze", "scl", "lhr", "cdg", "ams", "fra", "waw", "mad", "arn",
	"nrt", "hkg", "sin", "syd", "bom", "maa", "jnb", "bah",
};

#define NREGIONS ((int)(sizeof(catalog) / sizeof(catalog[0])))

/* Everything the runs read: the sets as first converged, the same sets
 * after an image change, and every set's listed machines. */
struct world {
	struct regionset *sets;
	struct regionset *next;
	struct fly_machine *machines;     /* NREGIONS per set, in order */
};

/* A distinct hash per (set, region, image version), as mcfg_hash gives. */
static void
fake_hash(char out[RS_HASH_LEN + 1], int set, int region, int version)
{
	snprintf(out, RS_HASH_LEN + 1, "%06x%02x%08x", (unsigned)set,
		 (unsigned)region, (unsigned)version);
}

static void
make_set(struct regionset *rs, int s, int version)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	snprintf(rs->name, sizeof(rs->name), "set-%05d", s);
	snprintf(rs->app, sizeof(rs->app), "app-%05d", s);
	rs->health_timeout_s = 300;
	rs->nregions = NREGIONS;
	for (r = 0; r < NREGIONS; r++) {
		struct rs_region *rr = &rs->regions[r];
		snprintf(rr->code, sizeof(rr->code), "%s", catalog[r]);
		rr->count = 1;
		rr->primary = r == 0;
		fake_hash(rr->config_hash, s, r, version);
	}
}

/* What every machine's one check says (not freed: world_free frees the
 * machine array only). */
static struct fly_check passing = { "health", "passing" };

/* A healthy machine of set s in region r, created an hour ago. */
static void
make_machine(struct fly_machine *m, const struct regionset *rs, int s,
	     int r)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%08x%06x", (unsigned)s,
		 (unsigned)r);
	snprintf(m->state, sizeof(m->state), "started");
	snprintf(m->region, sizeof(m->region), "%s", catalog[r]);
	snprintf(m->managed_by, sizeof(m->managed_by), "%s",
		 MCFG_MANAGED_BY_VALUE);
	snprintf(m->regionset, sizeof(m->regionset), "%s", rs->name);
	snprintf(m->config_hash, sizeof(m->config_hash), "%s",
		 rs->regions[r].config_hash);
	m->created_at = NOW - 3600;
	m->updated_at = m->created_at;
	m->nchecks = 1;
	m->checks = &passing;
}

static int
world_init(struct world *w)
{
	int s, r;

	w->sets = calloc(NSETS, sizeof(*w->sets));
	w->next = calloc(NSETS, sizeof(*w->next));
	w->machines = calloc((size_t)NSETS * NREGIONS, sizeof(*w->machines));
	if (w->sets == NULL || w->next == NULL || w->machines == NULL)
		return -1;
	for (s = 0; s < NSETS; s++) {
		make_set(&w->sets[s], s, 1);
		make_set(&w->next[s], s, 2);
		for (r = 0; r < NREGIONS; r++)
			make_machine(&w->machines[(size_t)s * NREGIONS + r],
				     &w->sets[s], s, r);
	}
	return 0;
}

static void
world_free(struct world *w)
{
	free(w->sets);
	free(w->next);
	free(w->machines);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What one scenario plans and what every plan must come out as. */
struct scenario {
	const char *name;
	int next;                  /* plan against the new-image sets */
	int nsets;                 /* distinct sets cycled through */
	size_t want_actions;
	enum plan_phase want_phase;
};

/* NSETS plans with one reused plan; -1 if any plan is not what the
 * scenario must give (an error in the planner, not a slow run). */
static int
plan_all(const struct world *w, const struct scenario *sc, struct plan *p,
	 double *ms)
{
	const struct regionset *sets = sc->next ? w->next : w->sets;
	double t0 = now_ms();
	int k, bad = 0;

	for (k = 0; k < NSETS; k++) {
		int s = k % sc->nsets;
		struct plan_input in = {
			.rs = &sets[s],
			.machines = &w->machines[(size_t)s * NREGIONS],
			.nmachines = NREGIONS,
			.now = NOW,
		};
		if (plan_compute(&in, p) < 0 ||
		    p->nactions != sc->want_actions ||
		    p->phase != sc->want_phase)
			bad++;
	}
	*ms = now_ms() - t0;
	return bad ? -1 : 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
run_scenario(const struct world *w, const struct scenario *sc)
{
	struct plan p;
	double t[RUNS], warm, median;
	int i;

	memset(&p, 0, sizeof(p));
	if (plan_all(w, sc, &p, &warm) < 0) {
		fprintf(stderr, "bench_plan: scenario %s: unexpected plan\n",
			sc->name);
		plan_free(&p);
		return -1;
	}
	for (i = 0; i < RUNS; i++)
		plan_all(w, sc, &p, &t[i]);
	plan_free(&p);
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	median = t[RUNS / 2];
	printf("bench=plan scenario=%s cache=%s plans=%d distinct_sets=%d "
	       "regions=%d machines_per_set=%d actions_per_set=%zu runs=%d "
	       "median_ms=%.2f min_ms=%.2f per_set_us=%.3f\n", sc->name,
	       sc->nsets == NSETS ? "cold" : "warm", NSETS, sc->nsets,
	       NREGIONS, NREGIONS, sc->want_actions, RUNS, median, t[0],
	       median * 1e3 / NSETS);
	return 0;
}

static const struct scenario scenarios[] = {
	{ "converged", 0, NSETS, 0, PLAN_CONVERGED },
	{ "new-image", 1, NSETS, NREGIONS, PLAN_PROGRESSING },
	{ "converged", 0, WARM_SETS, 0, PLAN_CONVERGED },
	{ "new-image", 1, WARM_SETS, NREGIONS, PLAN_PROGRESSING },
};

int
main(void)
{
	struct world w;
	size_t i;
	int rc = 0;

	if (world_init(&w) < 0) {
		fprintf(stderr, "bench_plan: out of memory\n");
		world_free(&w);
		return 1;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (run_scenario(&w, &scenarios[i]) < 0)
			rc = 1;
	world_free(&w);
	return rc;
}
