/* rollout.h - planned actions as step machines of API calls: a create is
 * one call; a destroy takes a lease, stops the machine, waits for it to
 * stop, then destroys it; an update takes a lease and posts the config.
 * Each step is one function; each job ends in reconcile_action_done. */
#ifndef RHONE_ROLLOUT_H
#define RHONE_ROLLOUT_H

#include "controller.h"
#include "flymachine.h"
#include "plan.h"

/* Start carrying out one action; m is the machine of a destroy or an
 * update (copied), NULL for a create; pr must outlive the job. 0 when
 * started, -1 on allocation failure. */
int rollout_start(struct entry *e, const struct plan_action *a,
		  const struct plan_region *pr, const struct fly_machine *m);

/* Free the jobs of e without ending them (shutdown only: the Fly client
 * has already dropped their requests). */
void rollout_abandon(struct entry *e);

#endif
