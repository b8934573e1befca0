/* rollout.h - planned actions as step machines of API calls: a create is
 * one call; a destroy stops the machine, waits for it to stop, then
 * destroys it. Each step is one function; each ends in
 * reconcile_action_done. */
#ifndef RHONE_ROLLOUT_H
#define RHONE_ROLLOUT_H

#include "controller.h"
#include "flymachine.h"
#include "plan.h"

/* Start carrying out one action; m is the machine of a destroy (copied),
 * NULL for a create. 0 when started, -1 on allocation failure. */
int rollout_start(struct entry *e, const struct plan_action *a,
		  const struct plan_region *pr, const struct fly_machine *m);

#endif
