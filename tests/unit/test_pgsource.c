/* test_pgsource.c - the Postgres source's URL handling: which --source
 * values it takes, and that a password never reaches a log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgmigrate.h"
#include "pgsource.h"

static void
test_is_url(void **state)
{
	(void)state;
	assert_true(pgsource_is_url("postgres://db/rhone"));
	assert_true(pgsource_is_url("postgresql://u@127.0.0.1:5432/x"));
	assert_false(pgsource_is_url("./regionsets"));
	assert_false(pgsource_is_url("postgres:/db"));
	assert_false(pgsource_is_url("mysql://db"));
	assert_false(pgsource_is_url(NULL));
}

static const struct {
	const char *in;
	const char *out;
} redact_cases[] = {
	{ "postgres://db/rhone", "postgres://db/rhone" },
	{ "postgres://user@db/rhone", "postgres://user@db/rhone" },
	{ "postgres://user:pw@db:5432/rhone",
	  "postgres://user:***@db:5432/rhone" },
	{ "postgresql://u:p%40ss@h/d?sslmode=require",
	  "postgresql://u:***@h/d?sslmode=require" },
	{ "postgres://h/d?user=u&password=pw&sslmode=disable",
	  "postgres://h/d?user=u&password=***&sslmode=disable" },
	{ "postgres://u:a@b@h/d", "postgres://u:***@b@h/d" },
	{ "postgres://h:5432/d?x=@y", "postgres://h:5432/d?x=@y" },
	{ "postgres://u:@h/d", "postgres://u:@h/d" },
};

static void
test_redact(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]);
	     i++) {
		char *got = pgsource_redact(redact_cases[i].in);
		assert_non_null(got);
		assert_string_equal(got, redact_cases[i].out);
		free(got);
	}
	assert_null(pgsource_redact(NULL));
}

static void
test_migrations_embedded(void **state)
{
	(void)state;
	assert_true(pgmigrate_latest() >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_url),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_migrations_embedded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
