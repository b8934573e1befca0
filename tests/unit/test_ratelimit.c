/* test_ratelimit.c - token buckets and the keyed bucket table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ratelimit.h"

#define EPS 1e-6

struct take_step {
	double now;
	double wait;             /* expected result of rl_take */
};

struct bucket_case {
	const char *name;
	double rate, burst;
	struct take_step steps[16];
	int nsteps;
};

/* Fly's two published shapes, 1/s burst 3 and 5/s burst 10, and the
 * a slower one. */
static const struct bucket_case bucket_cases[] = {
	{ "burst 3 then 1/s", 1, 3,
	  { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 1 }, { 0.25, 0.75 },
	    { 1, 0 }, { 1, 1 }, { 2, 0 }, { 2.5, 0.5 }, { 3, 0 } }, 10 },
	{ "a long pause refills only to burst", 1, 3,
	  { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 100, 0 }, { 100, 0 },
	    { 100, 0 }, { 100, 1 } }, 7 },
	{ "get: burst 10 then 5/s", 5, 10,
	  { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 },
	    { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0.2 },
	    { 0.1, 0.1 }, { 0.2, 0 }, { 0.2, 0.2 } }, 14 },
	{ "a clock going back refills nothing", 1, 3,
	  { { 10, 0 }, { 10, 0 }, { 10, 0 }, { 5, 1 }, { 5.5, 0.5 },
	    { 6, 0 } }, 6 },
	{ "slower: burst 3 then 0.9/s", 0.9, 3,
	  { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 1 / 0.9 }, { 1, 0.1 / 0.9 },
	    { 1.2, 0 }, { 1.2, 0.92 / 0.9 } }, 7 },
	{ "a fraction short of a token waits only the rest", 1, 1,
	  { { 0, 0 }, { 0.999, 0.001 }, { 1, 0 } }, 3 },
};

static void
test_bucket_table(void **state)
{
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(bucket_cases) / sizeof(bucket_cases[0]); i++) {
		const struct bucket_case *bc = &bucket_cases[i];
		struct rl_bucket b;

		rl_init(&b, bc->rate, bc->burst, bc->steps[0].now);
		for (j = 0; j < bc->nsteps; j++) {
			double got = rl_take(&b, bc->steps[j].now);
			if (got < bc->steps[j].wait - EPS ||
			    got > bc->steps[j].wait + EPS)
				fail_msg("%s: step %d: wait %.6f, want %.6f",
					 bc->name, j, got, bc->steps[j].wait);
		}
	}
}

static void
test_bucket_full(void **state)
{
	struct rl_bucket b;

	(void)state;
	rl_init(&b, 1, 3, 0);
	assert_true(rl_full(&b, 0));
	assert_true(rl_take(&b, 0) == 0);
	assert_false(rl_full(&b, 0));
	assert_false(rl_full(&b, 0.5));
	assert_true(rl_full(&b, 1));
	assert_true(rl_full(&b, 50));
}

/* Paced waiting: taking whenever the bucket says so yields exactly the
 * burst at once and then one per 1/rate. */
static void
test_bucket_pacing(void **state)
{
	struct rl_bucket b;
	double now = 0, wait;
	int sent = 0;

	(void)state;
	rl_init(&b, 1, 3, 0);
	while (sent < 6) {
		wait = rl_take(&b, now);
		if (wait > 0)
			now += wait;
		else
			sent++;
	}
	assert_true(now > 3 - EPS && now < 3 + EPS);
}

/* Requests that left the client's bucket of (rate, burst) arrive at
 * Fly's bucket with latency that drops by `jitter` seconds after the
 * opening burst and then varies by that much: how many does the server
 * refuse? */
static int
server_refusals(double rate, double burst, double jitter)
{
	struct rl_bucket client, server;
	double now = 0, wait, lat;
	int sent = 0, refused = 0;

	rl_init(&client, rate, burst, 0);
	rl_init(&server, RL_FLY_RATE, RL_FLY_BURST, jitter);
	while (sent < 40) {
		wait = rl_take(&client, now);
		if (wait > 0) {
			now += wait;
			continue;
		}
		lat = sent < burst || sent % 2 ? jitter : 0;
		if (rl_take(&server, now + lat) > 0)
			refused++;
		sent++;
	}
	return refused;
}

/* Fly's own burst lets jitter through as 429s; the burst the client
 * ships with absorbs up to RL_SLACK_S of it, and the sustained rate
 * stays Fly's. */
static void
test_slack_absorbs_jitter(void **state)
{
	double burst = RL_CLIENT_BURST(RL_FLY_RATE, RL_FLY_BURST);
	double j;

	(void)state;
	assert_true(burst > 2.0 - EPS && burst < 2.0 + EPS);
	assert_true(server_refusals(RL_FLY_RATE, RL_FLY_BURST, 0.1) > 0);
	for (j = 0.1; j < RL_SLACK_S + EPS; j += 0.1)
		assert_int_equal(server_refusals(RL_FLY_RATE, burst, j), 0);
	burst = RL_CLIENT_BURST(RL_FLY_GET_RATE, RL_FLY_GET_BURST);
	assert_true(burst > 5.0 - EPS && burst < 5.0 + EPS);
	assert_true(RL_CLIENT_BURST(1.0, 1.0) > 1.0 - EPS);
}

static double
table_take(struct rl_table *t, const char *op, const char *key, double now)
{
	double wait = -1;

	assert_int_equal(rl_table_take(t, op, key, 1, 3, now, &wait), 0);
	return wait;
}

static void
test_table_keys(void **state)
{
	struct rl_table *t = rl_table_new();
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 3; i++)
		assert_true(table_take(t, "create", "app1", 0) == 0);
	assert_true(table_take(t, "create", "app1", 0) > 0);
	/* another key, another op, and a split that spells the same */
	assert_true(table_take(t, "create", "app2", 0) == 0);
	assert_true(table_take(t, "start", "app1", 0) == 0);
	assert_true(table_take(t, "createa", "pp1", 0) == 0);
	assert_true(table_take(t, "create", "", 0) == 0);
	assert_int_equal(rl_table_size(t), 5);
	assert_true(table_take(t, "create", "app1", 1) == 0);
	rl_table_free(t);
}

/* Buckets that are full again are forgotten: a stream of new keys over
 * time keeps the table near the number of recently used buckets. */
static void
test_table_eviction(void **state)
{
	struct rl_table *t = rl_table_new();
	char key[32];
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		assert_true(table_take(t, "stop", key, i * 0.01) == 0);
		assert_true(rl_table_size(t) < 2000);
	}
	rl_table_sweep(t, 1e6);
	assert_int_equal(rl_table_size(t), 0);
	rl_table_free(t);
}

/* Forgetting only full buckets changes no answer: a busy bucket keeps
 * its debt across sweeps. */
static void
test_table_sweep_keeps_busy(void **state)
{
	struct rl_table *t = rl_table_new();

	(void)state;
	assert_non_null(t);
	table_take(t, "create", "busy", 0);
	table_take(t, "create", "busy", 0);
	table_take(t, "create", "busy", 0);
	table_take(t, "create", "idle", 0);
	rl_table_sweep(t, 1.5);
	assert_int_equal(rl_table_size(t), 1);
	assert_true(table_take(t, "create", "busy", 1.5) == 0);
	assert_true(table_take(t, "create", "busy", 1.5) > 0);
	rl_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_table),
		cmocka_unit_test(test_bucket_full),
		cmocka_unit_test(test_bucket_pacing),
		cmocka_unit_test(test_slack_absorbs_jitter),
		cmocka_unit_test(test_table_keys),
		cmocka_unit_test(test_table_eviction),
		cmocka_unit_test(test_table_sweep_keeps_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
