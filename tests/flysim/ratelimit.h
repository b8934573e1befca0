/* ratelimit.h - token buckets per (action, machine or app). */
#ifndef FLYSIM_RATELIMIT_H
#define FLYSIM_RATELIMIT_H

#include <stdbool.h>

#include "stats.h"

struct bucket {
	double tokens;
	double last;	/* monotonic time of the last refill */
	bool primed;	/* false until first use: starts full */
};

/* Whether op is limited at all (regions and app_create are not). */
bool ratelimit_applies(enum op op);

/* Take one token from b for op at time now; false means answer 429. */
bool ratelimit_take(struct bucket *b, enum op op, double now);

#endif
