/* reconcile.c - one reconcile of one RegionSet. Everything it decides
 * comes from the spec in force and the machines listed right now; what
 * it remembers between rounds (backoff, holds) only slows it down. */
#include "reconcile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flyclient.h"
#include "log.h"
#include "rollout.h"
#include "status.h"
#include "store.h"
#include "util.h"

#define BACKOFF_MAX 300.0
#define HOLD_FIRST 30.0
#define HOLD_MAX 600.0

/* What one round keeps alive while its actions run. */
struct round {
	struct entry *e;
	struct fly_machine *ms;
	size_t n;
	struct plan plan;
	int failed;
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

static void
round_requeue(struct entry *e, const struct round *rd)
{
	struct ctl *c = e->ctl;

	if (e->dirty) {
		e->dirty = 0;
		ctl_enqueue(e);
	} else if (rd->failed) {
		double d = c->opt.poll * pow(2, e->failures);
		ctl_enqueue_after(e, jitter(d < BACKOFF_MAX ? d : BACKOFF_MAX));
	} else if (rd->plan.nactions > 0 || e->phase != PLAN_CONVERGED) {
		ctl_enqueue_after(e, c->opt.poll);
	}
}

/* The round ends: report, then decide when to look again. */
static void
round_finish(struct round *rd)
{
	struct entry *e = rd->e;

	if (rd->ms != NULL)
		status_observe(e, &rd->plan, rd->ms, rd->n);
	else
		status_refresh(e);
	e->failures = rd->failed ? e->failures + 1 : 0;
	e->running = 0;
	e->round = NULL;
	if (!e->ctl->stopping)
		round_requeue(e, rd);
	round_free(rd);
}

static void
set_region_error(struct entry *e, const char *region, const char *reason,
		 const char *error)
{
	size_t i, slot = RS_REGIONS_MAX;

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

void
reconcile_action_done(struct entry *e, const char *region,
		      const char *reason, const char *error)
{
	struct round *rd = e->round;

	if (error != NULL) {
		set_region_error(e, region, reason, error);
		rd->failed = 1;
	}
	if (--e->pending == 0)
		round_finish(rd);
}

/* Holds: a region whose new machines had to be rolled back waits before
 * it tries the same config again, longer each time. */
static void
holds_note_rollbacks(struct entry *e, const struct plan *p, double now)
{
	size_t i, h;

	for (i = 0; i < p->nactions; i++) {
		const struct plan_region *pr = &p->regions[p->actions[i].region];
		if (p->actions[i].reason != PLAN_ROLLBACK)
			continue;
		for (h = 0; h < e->nholds; h++)
			if (strcmp(e->holds[h].key.region, pr->code) == 0)
				break;
		if (h == e->nholds && e->nholds == RS_REGIONS_MAX)
			continue;
		if (h == e->nholds) {
			e->nholds++;
			e->holds[h].backoff = 0;
		}
		if (strcmp(e->holds[h].key.config_hash,
			   pr->spec->config_hash) != 0)
			e->holds[h].backoff = 0;
		e->holds[h].backoff = e->holds[h].backoff == 0 ? HOLD_FIRST :
			fmin(e->holds[h].backoff * 2, HOLD_MAX);
		e->holds[h].until = now + e->holds[h].backoff;
		util_strlcpy(e->holds[h].key.region, pr->code, 8);
		util_strlcpy(e->holds[h].key.config_hash,
			     pr->spec->config_hash, RS_HASH_LEN + 1);
		log_warn("rollout_failed", "regionset=%s app=%s region=%s "
			 "retry_in=%.0fs reason=HealthCheckTimeout", e->name,
			 e->rs->app, pr->code, e->holds[h].backoff);
	}
}

/* The holds in force now, for the planner. */
static size_t
holds_active(const struct entry *e, double now, struct plan_hold *out)
{
	size_t i, n = 0;

	for (i = 0; i < e->nholds; i++)
		if (e->holds[i].until > now)
			out[n++] = e->holds[i].key;
	return n;
}

static void
round_act(struct round *rd)
{
	struct entry *e = rd->e;
	size_t i;

	memset(e->region_errors, 0, sizeof(e->region_errors));
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
	reconcile_action_done(e, "", NULL, NULL);
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
		if (r->status == 0)
			util_strlcpy(err, r->error, sizeof(err));
		else
			fly_error_message(r->body, r->len, err, sizeof(err));
		snprintf(e->api_error, sizeof(e->api_error),
			 "listing machines of app %s failed: %ld %.120s",
			 e->rs->app, r->status, err);
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
	round_free(e->round);
	e->round = NULL;
	e->running = 0;
	e->pending = 0;
}
