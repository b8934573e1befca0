/* lifecycle.h - machine state machine, events, health checks, ticker. */
#ifndef FLYSIM_LIFECYCLE_H
#define FLYSIM_LIFECYCLE_H

#include <pthread.h>
#include <stdbool.h>

#include "store.h"

struct sim;

/*
 * Enter state now because a user asked (recording an event of type),
 * then walk through steps, each after its delay. Replaces any steps
 * still pending. Lock held.
 */
void life_begin(struct sim *sim, struct machine *m, enum mstate state,
    const char *type, const struct mstep *steps, int nsteps);

/* Record an event with the machine's current state as its status. */
void life_event(struct sim *sim, struct machine *m, const char *type,
    bool by_user);

/* Rebuild the check names from the config; all become critical. */
void life_set_checks(struct machine *m);

/* Started, host ok and every check passing. */
bool life_ready(const struct machine *m);

/* Whether a state counts as running ("not currently stopped"). */
bool life_running(enum mstate s);

/* Whether a state is persistent rather than transient. */
bool life_settled(enum mstate s);

/* Put a region's counts on the timeline if they changed. Lock held. */
void life_note(struct sim *sim, struct app *app, int region);

/* Advance timers: transitions, health checks, lease expiry. */
void life_tick(struct sim *sim);

/* Start the thread that calls life_tick every few milliseconds. */
bool life_ticker_start(struct sim *sim, pthread_t *tid);

#endif
