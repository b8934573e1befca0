/* test_plancheck.c - the plan check: which plans allow more regions than
 * the primary, what it holds, how that reads, and the events when a
 * plan change holds or releases regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller.h"
#include "events.h"
#include "plancheck.h"

/* iad (primary), fra, nrt; finalized on `plan`. */
static struct regionset *
make_set(const char *plan)
{
	static const char *const codes[] = { "iad", "fra", "nrt" };
	struct regionset *rs = calloc(1, sizeof(*rs));
	int i;

	assert_non_null(rs);
	assert_int_equal(rs_init_defaults(rs), 0);
	strcpy(rs->name, "web");
	strcpy(rs->app, "web");
	rs->image = strdup("img:1");
	for (i = 0; i < 3; i++) {
		strcpy(rs->regions[i].code, codes[i]);
		rs->regions[i].count = 1;
		rs->regions[i].primary = i == 0;
	}
	rs->nregions = 3;
	plancheck_apply(rs, plan);
	assert_int_equal(rs_finalize(rs), 0);
	return rs;
}

static void
test_allows(void **state)
{
	(void)state;
	assert_true(plancheck_allows("pro"));
	assert_false(plancheck_allows("free"));
	assert_false(plancheck_allows("hobby"));
	assert_false(plancheck_allows(""));
	assert_false(plancheck_allows("Pro"));
	assert_false(plancheck_allows("pro "));
	assert_false(plancheck_allows(NULL));
}

static void
test_apply(void **state)
{
	struct regionset *free_set = make_set("free"), *pro = make_set("pro");
	struct regionset *odd = make_set("a b\n\"c\"");

	(void)state;
	assert_string_equal(free_set->plan, "free");
	assert_int_equal(free_set->regions[0].held, 0);
	assert_int_equal(free_set->regions[1].held, 1);
	assert_int_equal(free_set->regions[2].held, 1);
	assert_string_equal(pro->plan, "pro");
	assert_int_equal(pro->regions[1].held, 0);
	assert_int_equal(pro->regions[2].held, 0);
	/* Free text from the database: only printable ASCII is kept. */
	assert_string_equal(odd->plan, "a?b?\"c\"");
	assert_int_equal(odd->regions[2].held, 1);
	rs_free(free_set);
	rs_free(pro);
	rs_free(odd);
}

/* Holding is spec (the generation moves), not machine config (no
 * machine is replaced because of it). */
static void
test_hashes(void **state)
{
	struct regionset *free_set = make_set("free"), *pro = make_set("pro");
	int i;

	(void)state;
	assert_string_not_equal(free_set->spec_hash, pro->spec_hash);
	for (i = 0; i < 3; i++)
		assert_string_equal(free_set->regions[i].config_hash,
				    pro->regions[i].config_hash);
	rs_free(free_set);
	rs_free(pro);
}

static void
test_words(void **state)
{
	struct regionset *free_set = make_set("free"), *pro = make_set("pro");
	struct regionset *none = make_set("");
	char buf[160];

	(void)state;
	assert_int_equal(plancheck_held_list(free_set, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "fra, nrt");
	assert_int_equal(plancheck_held_list(pro, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(plancheck_held_list(NULL, buf, sizeof(buf)), 0);
	plancheck_why(free_set, buf, sizeof(buf));
	assert_string_equal(buf, "multi-region needs the pro plan "
			    "(team plan: free)");
	plancheck_why(none, buf, sizeof(buf));
	assert_string_equal(buf, "multi-region needs the pro plan "
			    "(team plan: none)");
	plancheck_region_message(free_set, 0, buf, sizeof(buf));
	assert_string_equal(buf, "multi-region needs the pro plan "
			    "(team plan: free): not deployed here");
	plancheck_region_message(free_set, 1, buf, sizeof(buf));
	assert_string_equal(buf, "multi-region needs the pro plan "
			    "(team plan: free): 1 machine left as it is");
	plancheck_region_message(free_set, 3, buf, sizeof(buf));
	assert_string_equal(buf, "multi-region needs the pro plan "
			    "(team plan: free): 3 machines left as they are");
	rs_free(free_set);
	rs_free(pro);
	rs_free(none);
}

static const struct rs_event *
last_event(const struct entry *e)
{
	const struct event_ring *r = e->events;

	assert_non_null(r);
	return &r->items[(r->next + EVENTS_MAX - 1) % EVENTS_MAX];
}

static void
test_events(void **state)
{
	struct regionset *free_set = make_set("free"), *pro = make_set("pro");
	struct entry *e = calloc(1, sizeof(*e));

	(void)state;
	assert_non_null(e);
	strcpy(e->name, "web");

	plancheck_note_change(e, NULL, pro);
	assert_null(e->events);                 /* nothing held */

	plancheck_note_change(e, pro, free_set);
	assert_int_equal(e->events->n, 1);
	assert_string_equal(last_event(e)->reason, "PlanRequired");
	assert_string_equal(last_event(e)->message, "held fra, nrt: "
			    "multi-region needs the pro plan (team plan: "
			    "free)");

	plancheck_note_change(e, free_set, free_set);
	assert_int_equal(e->events->n, 1);      /* no change, no event */

	plancheck_note_change(e, free_set, pro);
	assert_int_equal(e->events->n, 2);
	assert_string_equal(last_event(e)->reason, "RegionsReleased");
	assert_string_equal(last_event(e)->message, "reconciling fra, nrt "
			    "again (team plan: pro)");

	/* A new set that starts held says so at once. */
	events_free(e);
	plancheck_note_change(e, NULL, free_set);
	assert_int_equal(e->events->n, 1);
	assert_string_equal(last_event(e)->reason, "PlanRequired");
	events_free(e);
	free(e);
	rs_free(free_set);
	rs_free(pro);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allows),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
