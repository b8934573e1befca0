/* ratelimit.h - token buckets, alone or in a table keyed by (op, key). */
#ifndef RHONE_RATELIMIT_H
#define RHONE_RATELIMIT_H

#include <stddef.h>

/* Fly's published limits per (action, machine or app): reads of one
 * machine are cheaper than everything else. */
#define RL_FLY_RATE 1.0
#define RL_FLY_BURST 3.0
#define RL_FLY_GET_RATE 5.0
#define RL_FLY_GET_BURST 10.0

/* The client refills at Fly's rate but holds back part of the burst.
 * Requests leave evenly spaced and arrive bunched by varying latency
 * (and, with many apps, by the loop serving them in turns): with the
 * full burst, the server sees one more than it has tokens for and
 * answers 429. Keeping RL_SLACK_S seconds' worth of tokens unused
 * absorbs up to that much bunching at no cost to the sustained rate;
 * only the opening burst is smaller. */
#define RL_SLACK_S 1.0

/* The burst the client uses against a server bucket of (rate, burst):
 * at least 1. */
#define RL_CLIENT_BURST(rate, burst) \
	((burst) - (rate) * RL_SLACK_S >= 1.0 ? \
	 (burst) - (rate) * RL_SLACK_S : 1.0)

/* A bucket holds up to `burst` tokens and gains `rate` per second. */
struct rl_bucket {
	double rate;
	double burst;
	double last;             /* time of the last refill, seconds */
	double tokens;
};

/* Start a bucket full at time now. */
void rl_init(struct rl_bucket *b, double rate, double burst, double now);

/* Take one token at time now: 0 when one was taken, otherwise the
 * seconds until one will be there (nothing is taken then). A clock that
 * goes backwards refills nothing. */
double rl_take(struct rl_bucket *b, double now);

/* Whether the bucket would be full at time now; a full bucket carries no
 * history, so forgetting it changes nothing. */
int rl_full(const struct rl_bucket *b, double now);

struct rl_table;

/* An empty table; NULL on allocation failure. */
struct rl_table *rl_table_new(void);

void rl_table_free(struct rl_table *t);

/* rl_take on the bucket of (op, key), creating it full with rate and
 * burst when the table has none. Buckets that are full again are
 * forgotten as the table grows, so its size follows recent activity.
 * 0 with *wait set on success, -1 on allocation failure. */
int rl_table_take(struct rl_table *t, const char *op, const char *key,
		  double rate, double burst, double now, double *wait);

/* Buckets the table holds right now. */
size_t rl_table_size(const struct rl_table *t);

/* Forget every bucket that is full at time now. */
void rl_table_sweep(struct rl_table *t, double now);

#endif
