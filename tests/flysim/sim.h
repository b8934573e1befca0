/* sim.h - the one context that owns flysim's settings and state. */
#ifndef FLYSIM_SIM_H
#define FLYSIM_SIM_H

#include <pthread.h>
#include <stdbool.h>

#include "faults.h"
#include "ids.h"
#include "options.h"
#include "stats.h"
#include "store.h"
#include "timeline.h"

/*
 * Everything below is guarded by lock. Request threads, the ticker and
 * long-polls share it; changed is broadcast whenever a machine changes
 * so that waiters can look again.
 */
struct sim {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* on the monotonic clock */
	bool stopping;

	struct sim_config cfg;
	struct rng rng;			/* machine ids, names, nonces */
	struct rng req_rng;		/* request ids */

	struct app **apps;
	size_t napps;
	size_t apps_cap;

	struct stats stats;
	struct faults faults;
	struct timeline timeline;
	unsigned long ticks;
};

/* Set up the context; takes ownership of cfg's allocations. */
struct sim *sim_new(const struct sim_config *cfg);

/* Free the context and all it owns. */
void sim_free(struct sim *sim);

/* Wake everything waiting for a change. Lock held. */
void sim_changed(struct sim *sim);

/*
 * Sleep with the lock released until something changes or the
 * monotonic deadline passes. Lock held on entry and on return.
 */
void sim_wait(struct sim *sim, double deadline);

/* Sleep delay seconds (lock held), unless flysim is stopping. */
void sim_sleep(struct sim *sim, double delay);

/* A fly-request-id: ULID, "-", a region code. Takes the lock. */
void sim_request_id(struct sim *sim, char *out, size_t len);

#endif
