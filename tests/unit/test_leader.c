/* test_leader.c - what leader election shows without a database: the
 * lock key of a name (other replicas and versions must derive the same
 * one), and a controller without election acting and saying so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leader.h"

/* The key is part of the contract between replicas: a new version that
 * derived another key from the same name would lead beside an old one
 * during a rolling update. */
static void
key_is_stable(void **state)
{
	(void)state;
	assert_true(leader_lock_key("rhone-controller") ==
		    INT64_C(8542328151991757712));
	assert_true(leader_lock_key("fleet/rc-rhone-controller") !=
		    leader_lock_key("rhone-controller"));
	assert_true(leader_lock_key("a") == leader_lock_key("a"));
}

static void
no_election_acts(void **state)
{
	char msg[64] = "untouched";

	(void)state;
	assert_int_equal(leader_acting(NULL), 1);
	assert_string_equal(leader_role(NULL), "leader");
	assert_null(leader_standby_not_ready(NULL, msg, sizeof(msg)));
	assert_string_equal(msg, "untouched");
	assert_int_equal(leader_serves_status(NULL), 0);
}

static void
no_election_renders(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	leader_render_meta(NULL, &sb);
	assert_string_equal(sb.buf, ",\"role\":\"leader\"");
	sb_free(&sb);
	sb_init(&sb);
	leader_metrics(NULL, &sb);
	assert_non_null(strstr(sb.buf, "# TYPE rhone_leader gauge\n"
			       "rhone_leader 1\n"));
	assert_non_null(strstr(sb.buf, "rhone_leader_changes_total 0\n"));
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_is_stable),
		cmocka_unit_test(no_election_acts),
		cmocka_unit_test(no_election_renders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
