/* test_webhook.c - the webhook sender without a network: what its logs
 * may show of a URL, and the bounded queue with its drop counter. The
 * loop is never run, so no transfer leaves the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ev.h>

#include "controller.h"
#include "log.h"
#include "metrics.h"
#include "webhook.h"

static const struct {
	const char *url, *shown;
} shown_cases[] = {
	{ "https://hooks.example.com/services/T0/B0/s3cr3t",
	  "https://hooks.example.com" },
	{ "http://user:pw@example.com:8080/x?y=1", "http://example.com:8080" },
	{ "http://127.0.0.1:9/", "http://127.0.0.1:9" },
	{ "https://example.com?token=abc", "https://example.com" },
	{ "https://example.com#frag", "https://example.com" },
	{ "http://example.com", "http://example.com" },
};

static void
test_url_shown_keeps_only_scheme_host_port(void **state)
{
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shown_cases) / sizeof(shown_cases[0]); i++) {
		webhook_url_shown(shown_cases[i].url, buf, sizeof(buf));
		assert_string_equal(buf, shown_cases[i].shown);
	}
}

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

/* The first body goes out at once; WEBHOOK_QUEUE_MAX wait behind it;
 * each one more pushes the oldest waiting one out and is counted. */
static void
test_queue_is_bounded_and_counts_drops(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct webhook *w;
	struct ctl c;
	char body[32], *t;
	int i;

	(void)state;
	assert_non_null(loop);
	w = webhook_new(loop, "http://127.0.0.1:9/hook");
	assert_non_null(w);
	memset(&c, 0, sizeof(c));
	c.webhook = w;
	for (i = 0; i < WEBHOOK_QUEUE_MAX + 1; i++) {
		snprintf(body, sizeof(body), "{\"n\":%d}", i);
		webhook_send(w, body);
		assert_int_equal(webhook_queue_depth(w), (size_t)i + 1);
	}
	for (i = 0; i < 3; i++)
		webhook_send(w, "{\"late\":true}");
	assert_int_equal(webhook_queue_depth(w), WEBHOOK_QUEUE_MAX + 1);
	t = render(&c);
	assert_has(t, "rhone_webhook_deliveries_total{result=\"dropped\"} "
		   "3\n");
	assert_has(t, "rhone_webhook_deliveries_total{result=\"success\"} "
		   "0\n");
	assert_has(t, "rhone_webhook_queue_depth 65\n");
	assert_has(t, "# TYPE rhone_webhook_deliveries_total counter\n");
	free(t);
	webhook_free(w);
	ev_loop_destroy(loop);
}

/* No webhook configured: sending is a no-op and nothing is queued. */
static void
test_no_webhook_is_a_no_op(void **state)
{
	struct entry e;

	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.name, "web");
	webhook_send(NULL, "{}");
	webhook_phase_changed(NULL, &e, "Progressing", "Converged",
			      "Converged", "", 1.0);
	assert_int_equal(webhook_queue_depth(NULL), 0);
	webhook_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_shown_keeps_only_scheme_host_port),
		cmocka_unit_test(test_queue_is_bounded_and_counts_drops),
		cmocka_unit_test(test_no_webhook_is_a_no_op),
	};

	log_setup(LOG_FORMAT_TEXT, LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
