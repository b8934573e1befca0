/* test_pgconn.c - what the shared libpq connection does without a
 * server: libpq's multi-line messages made one log-ready line, and
 * which URLs it accepts before connecting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "pgconn.h"

static const struct {
	const char *in;
	const char *out;
} line_cases[] = {
	{ "", "" },
	{ "\n", "" },
	{ "ERROR:  relation \"x\" does not exist\n",
	  "ERROR: relation \"x\" does not exist" },
	{ "connection to server at \"h\" (::1), port 1 failed: refused\n"
	  "\tIs the server running on that host?\n",
	  "connection to server at \"h\" (::1), port 1 failed: refused "
	  "Is the server running on that host?" },
	{ "  leading\r\n\n  and   inner  ", "leading and inner" },
};

static void
test_one_line(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", line_cases[i].in);
		pgconn_one_line(buf);
		assert_string_equal(buf, line_cases[i].out);
	}
}

static void
test_url_ok(void **state)
{
	FILE *log = tmpfile();
	char got[1024];
	size_t n;
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_non_null(log);
	assert_true(saved >= 0);
	/* the log goes to a file here, to be read back (and not to look
	 * like a failure among the test output) */
	fflush(stderr);
	assert_true(dup2(fileno(log), STDERR_FILENO) >= 0);
	log_setup(LOG_FORMAT_TEXT, LOG_ERROR);
	assert_true(pgconn_url_ok("postgres://u:pw@db:5432/rhone", "t"));
	assert_true(pgconn_url_ok("postgresql:///rhone?host=/tmp", "t"));
	assert_false(pgconn_url_ok("postgres://s3cret@db/x?sslmode", "t"));
	assert_false(pgconn_url_ok("postgres://db/x?nosuchoption=1", "t"));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(log);
	n = fread(got, 1, sizeof(got) - 1, log);
	got[n] = '\0';
	fclose(log);
	assert_non_null(strstr(got, "not a valid postgres:// URL"));
	assert_null(strstr(got, "s3cret"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_url_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
