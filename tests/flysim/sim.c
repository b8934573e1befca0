/* sim.c - the shared context: lock, change signal, sleeps, request ids. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "simutil.h"

static bool
init_sync(struct sim *sim)
{
	pthread_condattr_t attr;

	if (pthread_mutex_init(&sim->lock, NULL) != 0)
		return false;
	if (pthread_condattr_init(&attr) != 0)
		return false;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&sim->changed, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		return false;
	}
	pthread_condattr_destroy(&attr);
	return true;
}

static void
seed_rngs(struct sim *sim)
{
	uint64_t seed = sim->cfg.seed;

	if (!sim->cfg.seeded)
		seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
	rng_seed(&sim->rng, seed);
	rng_seed(&sim->req_rng, seed ^ 0x5eed5eed5eed5eedULL);
}

struct sim *
sim_new(const struct sim_config *cfg)
{
	struct sim *sim = xmalloc(sizeof(*sim));

	sim->cfg = *cfg;
	if (!init_sync(sim)) {
		fputs("flysim: cannot set up locks\n", stderr);
		free(sim);
		return NULL;
	}
	seed_rngs(sim);
	faults_init(&sim->faults);
	for (int i = 0; i < cfg->napps; i++)
		if (store_app_lookup(sim, cfg->apps[i]) == NULL)
			store_app_create(sim, cfg->apps[i], "personal");
	return sim;
}

void
sim_free(struct sim *sim)
{
	store_free(sim);
	faults_clear(&sim->faults);
	timeline_free(&sim->timeline);
	options_free(&sim->cfg);
	pthread_cond_destroy(&sim->changed);
	pthread_mutex_destroy(&sim->lock);
	free(sim);
}

void
sim_changed(struct sim *sim)
{
	pthread_cond_broadcast(&sim->changed);
}

void
sim_wait(struct sim *sim, double deadline)
{
	struct timespec ts;
	double whole;

	ts.tv_nsec = (long)(modf(deadline, &whole) * 1e9);
	ts.tv_sec = (time_t)whole;
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	pthread_cond_timedwait(&sim->changed, &sim->lock, &ts);
}

void
sim_sleep(struct sim *sim, double delay)
{
	double deadline = now_mono() + delay;

	while (!sim->stopping && now_mono() < deadline)
		sim_wait(sim, deadline);
}

void
sim_request_id(struct sim *sim, char *out, size_t len)
{
	char ulid[ULID_LEN + 1];

	pthread_mutex_lock(&sim->lock);
	ids_ulid(&sim->req_rng, now_wall(), ulid);
	pthread_mutex_unlock(&sim->lock);
	snprintf(out, len, "%s-%s", ulid, REGION_NEAREST);
}
