/* test_metrics.c - the exposition text and the events ring, without a
 * loop or a network: counters in, text out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "status.h"

static char *
render(const struct ctl *c)
{
	struct strbuf sb;

	sb_init(&sb);
	metrics_render(c, &sb);
	assert_false(sb.failed);
	return sb_steal(&sb);
}

static void
assert_has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing \"%s\" in:\n%s", line, text);
}

/* The registry is process-wide: this test runs first and alone sees
 * its own counts. */
static void
test_counters_and_histograms(void **state)
{
	struct ctl c;
	char *t;

	(void)state;
	memset(&c, 0, sizeof(c));
	metrics_fly_request("list", 200, 0.003, "");
	metrics_fly_request("list", 200, 0.2, "");
	metrics_fly_request("create", 429, 0.7, "");
	metrics_fly_request("create", 0, 100, "Connection refused");
	metrics_reconcile(0, 0.02);
	metrics_reconcile(1, 3);
	metrics_retry();
	metrics_source_load(0, 2);
	metrics_source_load(1, 0);
	t = render(&c);
	assert_has(t, "rhone_fly_api_requests_total{operation=\"list\","
		   "code=\"200\"} 2\n");
	assert_has(t, "{operation=\"create\",code=\"429\"} 1\n");
	assert_has(t, "{operation=\"create\",code=\"error\"} 1\n");
	assert_has(t, "rhone_fly_api_request_duration_seconds_bucket{"
		   "operation=\"list\",le=\"0.005\"} 1\n");
	assert_has(t, "{operation=\"list\",le=\"0.25\"} 2\n");
	assert_has(t, "{operation=\"create\",le=\"60\"} 1\n");
	assert_has(t, "{operation=\"create\",le=\"+Inf\"} 2\n");
	assert_has(t, "rhone_fly_api_rate_limited_total 1\n");
	assert_has(t, "rhone_reconciles_total{result=\"error\"} 1\n");
	assert_has(t, "rhone_reconcile_duration_seconds_count 2\n");
	assert_has(t, "rhone_workqueue_retries_total 1\n");
	assert_has(t, "rhone_source_loads_total{result=\"failure\"} 1\n");
	assert_has(t, "rhone_source_errors 2\n");
	assert_has(t, "# TYPE rhone_reconcile_duration_seconds histogram\n");
	free(t);
}

static void
test_api_state_follows_the_last_call(void **state)
{
	struct metrics_api_state st;

	(void)state;
	metrics_fly_request("list", 0, 1, "Connection refused");
	metrics_api_state(&st);
	assert_int_equal(st.answered, 1);
	assert_int_equal(st.status, 0);
	assert_string_equal(st.error, "Connection refused");
	metrics_fly_request("list", 503, 1, "");
	metrics_api_state(&st);
	assert_int_equal(st.status, 503);
}

/* Label values from the API are escaped as the format asks. */
static void
test_set_gauges_and_escaping(void **state)
{
	struct regionset rs;
	struct entry e, *list[1] = { &e };
	struct fly_machine m[2];
	struct plan p;
	struct ctl c;
	char *t;

	(void)state;
	memset(&rs, 0, sizeof(rs));
	memset(&e, 0, sizeof(e));
	memset(m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	strcpy(rs.app, "web-app");
	strcpy(e.name, "web");
	e.rs = &rs;
	c.entries = list;
	c.nentries = 1;
	p.nregions = 1;
	strcpy(p.regions[0].code, "fra");
	p.regions[0].desired = 3;
	p.regions[0].ready = 1;
	for (int i = 0; i < 2; i++) {
		strcpy(m[i].region, "fra");
		strcpy(m[i].managed_by, "rhone-controller");
		strcpy(m[i].regionset, "web");
	}
	strcpy(m[0].state, "started");
	strcpy(m[1].state, "we\"ird\\");
	metrics_observe(&e, &p, m, 2);
	t = render(&c);
	assert_has(t, "rhone_region_machines_desired{regionset=\"web\","
		   "app=\"web-app\",region=\"fra\"} 3\n");
	assert_has(t, "rhone_region_machines_ready{regionset=\"web\","
		   "app=\"web-app\",region=\"fra\"} 1\n");
	assert_has(t, "region=\"fra\",state=\"started\"} 1\n");
	assert_has(t, "state=\"we\\\"ird\\\\\"} 1\n");
	assert_has(t, "rhone_regionsets{phase=\"Progressing\"} 1\n");
	metrics_entry_free(&e);
	assert_null(e.metrics);
	free(t);
}

static void
test_events_keep_the_last(void **state)
{
	struct entry e;
	struct strbuf sb;
	int i;

	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.name, "web");
	for (i = 0; i < EVENTS_MAX + 5; i++)
		events_add(&e, i % 2 ? "fra" : "", "Test", "event %d", i);
	sb_init(&sb);
	events_render(&e, &sb);
	assert_non_null(strstr(sb.buf, "\"message\":\"event 5\""));
	assert_null(strstr(sb.buf, "\"message\":\"event 4\""));
	assert_true(strstr(sb.buf, "event 5\"") <
		    strstr(sb.buf, "event 24\""));
	assert_non_null(strstr(sb.buf, "\"region\":\"fra\""));
	sb_free(&sb);
	events_free(&e);
	sb_init(&sb);
	events_render(&e, &sb);
	assert_string_equal(sb.buf, "[]");
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_and_histograms),
		cmocka_unit_test(test_api_state_follows_the_last_call),
		cmocka_unit_test(test_set_gauges_and_escaping),
		cmocka_unit_test(test_events_keep_the_last),
	};

	log_setup(LOG_FORMAT_TEXT, LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
