/* render.h - machines as JSON, in the shapes the Machines API uses. */
#ifndef FLYSIM_RENDER_H
#define FLYSIM_RENDER_H

#include <json-c/json.h>

#include "store.h"

#define RENDER_SUMMARY 1u	/* omit config, checks, events, host */
#define RENDER_LEASE 2u		/* add "lease" when one is held */

/* A Machine object. */
json_object *render_machine(const struct machine *m, unsigned flags);

/* The newest limit events, newest first. */
json_object *render_events(const struct machine *m, int limit);

/* The flat view served by GET /_sim/machines. */
json_object *render_admin_machine(const struct machine *m);

#endif
