/* reconcile.h - one reconcile of one RegionSet: observe (one list call),
 * plan (pure), act (rollout steps), report. */
#ifndef RHONE_RECONCILE_H
#define RHONE_RECONCILE_H

#include "controller.h"

/* Start a reconcile of e; e must not be running. */
void reconcile_start(struct entry *e);

/* A rollout step machine ended; error is NULL on success. reason is a
 * CamelCase word for the status (InsufficientCapacity, LeaseHeld,
 * ApiError...); machine is the id acted on, "" for a create. */
void reconcile_action_done(struct entry *e, const char *region,
			   const char *machine, const char *reason,
			   const char *error);

/* The error the region's actions last ended with ("Reason: text"), kept
 * while a hold lasts there; NULL when none. */
const char *reconcile_region_error(const struct entry *e, const char *code);

/* Drop the round of e without finishing it (shutdown only: the Fly
 * client has already dropped its requests). */
void reconcile_abandon(struct entry *e);

#endif
