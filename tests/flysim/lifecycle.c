/* lifecycle.c - machine state machine, events, health checks, ticker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leases.h"
#include "lifecycle.h"
#include "sim.h"
#include "simutil.h"

#define TICK_NS 10000000L	/* 10 ms */

bool
life_running(enum mstate s)
{
	return s != MS_CREATED && s != MS_STOPPED && s != MS_SUSPENDED &&
	    s != MS_DESTROYED;
}

bool
life_settled(enum mstate s)
{
	return s == MS_CREATED || s == MS_STARTED || s == MS_STOPPED ||
	    s == MS_SUSPENDED || s == MS_DESTROYED;
}

bool
life_ready(const struct machine *m)
{
	return m->state == MS_STARTED && (m->nchecks == 0 ||
	    m->checks_passing);
}

static bool
alive(const struct machine *m)
{
	return m->state != MS_DESTROYING && m->state != MS_DESTROYED;
}

void
life_note(struct sim *sim, struct app *app, int region)
{
	struct tl_entry e = { now_wall(), app->name, region, 0, 0 };

	for (size_t i = 0; i < app->nmachines; i++) {
		const struct machine *m = app->machines[i];

		if (m->region != region)
			continue;
		e.ready += life_ready(m);
		e.alive += alive(m);
	}
	if (e.ready == app->ready[region] && e.alive == app->alive[region])
		return;
	app->ready[region] = e.ready;
	app->alive[region] = e.alive;
	timeline_add(&sim->timeline, &e);
}

void
life_event(struct sim *sim, struct machine *m, const char *type,
    bool by_user)
{
	struct mevent *e;
	double wall = now_wall();

	if (m->nevents == EVENTS_MAX) {
		memmove(&m->events[0], &m->events[1],
		    (EVENTS_MAX - 1) * sizeof(m->events[0]));
		m->nevents--;
	}
	e = &m->events[m->nevents++];
	ids_ulid(&sim->rng, wall, e->id);
	e->type = type;
	e->status = m->state;
	e->by_user = by_user;
	e->timestamp = (long long)(wall * 1000.0);
}

static void
set_passing(struct machine *m, bool passing)
{
	m->checks_passing = passing;
	m->checks_at = now_wall();
}

static void
enter_state(struct sim *sim, struct machine *m, enum mstate state)
{
	enum mstate prev = m->state;

	m->state = state;
	m->updated_at = now_wall();
	if (state == MS_STARTED) {
		set_passing(m, false);
		m->started_mono = now_mono();
	} else if (prev == MS_STARTED && m->checks_passing) {
		set_passing(m, false);
	}
	if (state == MS_DESTROYED) {
		lease_clear(m);
		m->nsteps = 0;
	}
	life_note(sim, m->app, m->region);
	sim_changed(sim);
}

void
life_begin(struct sim *sim, struct machine *m, enum mstate state,
    const char *type, const struct mstep *steps, int nsteps)
{
	memcpy(m->steps, steps, (size_t)nsteps * sizeof(*steps));
	m->nsteps = nsteps;
	enter_state(sim, m, state);
	life_event(sim, m, type, true);
	if (nsteps > 0)
		m->step_due = now_mono() + sim->cfg.delay[steps[0].delay];
}

/* The event flyd records when a transition completes, if any. */
static const char *
completion_event(enum mstate s)
{
	switch (s) {
	case MS_STARTED:
		return "start";
	case MS_STOPPED:
		return "exit";
	case MS_SUSPENDED:
		return "suspend";
	case MS_DESTROYED:
		return "destroy";
	case MS_CREATED:
		return "update";
	default:
		return NULL;
	}
}

/* Enter every step that is due; zero delays chain in one tick. */
static void
advance_steps(struct sim *sim, struct machine *m, double now)
{
	while (m->nsteps > 0 && now >= m->step_due) {
		enum mstate next = m->steps[0].state;
		const char *type = completion_event(next);

		m->nsteps--;
		memmove(&m->steps[0], &m->steps[1],
		    (size_t)m->nsteps * sizeof(m->steps[0]));
		enter_state(sim, m, next);
		if (type != NULL)
			life_event(sim, m, type, false);
		if (m->nsteps > 0)
			m->step_due += sim->cfg.delay[m->steps[0].delay];
	}
}

static bool
image_unhealthy(const struct sim *sim, const struct machine *m)
{
	const char *bad = sim->cfg.unhealthy_image;

	return bad != NULL && strstr(store_image(m), bad) != NULL;
}

/*
 * Checks pass health_delay after start unless the image is unhealthy.
 * Both are read on every tick, so changing them applies at once.
 */
static void
update_health(struct sim *sim, struct machine *m, double now)
{
	bool want;

	if (m->nchecks == 0)
		return;
	want = m->state == MS_STARTED && !image_unhealthy(sim, m) &&
	    now >= m->started_mono + sim->cfg.delay[DELAY_HEALTH];
	if (want == m->checks_passing)
		return;
	set_passing(m, want);
	life_note(sim, m->app, m->region);
	sim_changed(sim);
}

void
life_tick(struct sim *sim)
{
	double now = now_mono(), wall = now_wall();

	for (size_t i = 0; i < sim->napps; i++) {
		struct app *app = sim->apps[i];

		for (size_t j = 0; j < app->nmachines; j++) {
			struct machine *m = app->machines[j];

			if (m->state == MS_DESTROYED)
				continue;
			advance_steps(sim, m, now);
			update_health(sim, m, now);
			if (m->lease.held && !lease_active(m, wall))
				lease_clear(m);
		}
	}
	sim->ticks++;
}

static void *
ticker_main(void *arg)
{
	struct sim *sim = arg;
	const struct timespec pause = { 0, TICK_NS };

	for (;;) {
		pthread_mutex_lock(&sim->lock);
		if (sim->stopping) {
			pthread_mutex_unlock(&sim->lock);
			return NULL;
		}
		life_tick(sim);
		pthread_mutex_unlock(&sim->lock);
		nanosleep(&pause, NULL);
	}
}

bool
life_ticker_start(struct sim *sim, pthread_t *tid)
{
	return pthread_create(tid, NULL, ticker_main, sim) == 0;
}

static void
add_check(struct machine *m, const char *name)
{
	m->checks = xrealloc(m->checks,
	    (size_t)(m->nchecks + 1) * sizeof(*m->checks));
	m->checks[m->nchecks++] = xstrdup(name);
}

/* Service checks are named servicecheck-NN-<type>-<port>. */
static void
add_service_checks(struct machine *m, json_object *svc, int *seq)
{
	json_object *checks, *port;
	int internal = 0;

	if (json_object_object_get_ex(svc, "internal_port", &port))
		internal = json_object_get_int(port);
	if (!json_object_object_get_ex(svc, "checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *type = json_get_str(c, "type");
		int p = internal;
		char name[NAME_MAX_LEN];

		if (json_object_object_get_ex(c, "port", &port))
			p = json_object_get_int(port);
		snprintf(name, sizeof(name), "servicecheck-%02d-%s-%d",
		    (*seq)++, type ? type : "tcp", p);
		add_check(m, name);
	}
}

void
life_set_checks(struct machine *m)
{
	json_object *checks, *services;
	int seq = 0;

	for (int i = 0; i < m->nchecks; i++)
		free(m->checks[i]);
	m->nchecks = 0;
	if (json_object_object_get_ex(m->config, "checks", &checks) &&
	    json_object_is_type(checks, json_type_object)) {
		json_object_object_foreach(checks, key, val) {
			(void)val;
			add_check(m, key);
		}
	}
	if (json_object_object_get_ex(m->config, "services", &services) &&
	    json_object_is_type(services, json_type_array))
		for (size_t i = 0; i < json_object_array_length(services); i++)
			add_service_checks(m,
			    json_object_array_get_idx(services, i), &seq);
	set_passing(m, false);
}
