/* ratelimit.c - token buckets per (action, machine or app). */
#include "ratelimit.h"

/* Published limits: 1 req/s with a burst of 3; get machine 5/s, 10. */
static void
limits(enum op op, double *rate, double *burst)
{
	if (op == OP_GET) {
		*rate = 5.0;
		*burst = 10.0;
	} else {
		*rate = 1.0;
		*burst = 3.0;
	}
}

bool
ratelimit_applies(enum op op)
{
	return op != OP_NONE && op != OP_REGIONS && op != OP_APP_CREATE;
}

bool
ratelimit_take(struct bucket *b, enum op op, double now)
{
	double rate, burst;

	limits(op, &rate, &burst);
	if (!b->primed) {
		b->tokens = burst;
		b->last = now;
		b->primed = true;
	}
	b->tokens += (now - b->last) * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
