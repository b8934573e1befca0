/* test_flymachine.c - reading Machine JSON as the Fly API sends it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flymachine.h"

/* Shaped like the documented create response: no metadata, version only
 * as instance_id, image_ref and events to be ignored. */
static const char create_resp[] =
	"{\"id\":\"1857156b526dd8\",\"name\":\"aged-thunder-7371\","
	"\"state\":\"created\",\"region\":\"ord\","
	"\"image_ref\":{\"registry\":\"registry-1.docker.io\","
	"\"repository\":\"library/ubuntu\",\"tag\":\"latest\","
	"\"labels\":{\"org.opencontainers.image.version\":\"22.04\"}},"
	"\"instance_id\":\"01HEPA330HZ37A78TK080NAK1M\","
	"\"private_ip\":\"fdaa:ff:ff:a7b:195:e229:8038:2\","
	"\"created_at\":\"2023-11-08T01:52:30Z\","
	"\"updated_at\":\"2023-11-08T01:52:31Z\","
	"\"config\":{\"init\":{\"exec\":[\"/bin/sleep\",\"inf\"]},"
	"\"image\":\"registry-1.docker.io/library/ubuntu:latest\","
	"\"auto_destroy\":true,\"restart\":{\"policy\":\"always\"},"
	"\"guest\":{\"cpu_kind\":\"shared\",\"cpus\":1,\"memory_mb\":256},"
	"\"dns\":{}},"
	"\"events\":[{\"type\":\"launch\",\"status\":\"created\","
	"\"source\":\"user\",\"timestamp\":1699408350300}]}";

/* A list as rhone sees it: one managed, healthy machine with every field
 * rhone reads plus some it does not know; one made by someone else. */
static const char list_resp[] =
	"[{\"id\":\"3d8d413b29d089\",\"name\":\"rhone-iad-1\","
	"\"state\":\"started\",\"region\":\"iad\","
	"\"version\":\"01HQ73A7BFFDF1B6WMGHFZZ4E7\","
	"\"instance_id\":\"01HQ73A7BFFDF1B6WMGHFZZ4XX\","
	"\"host_status\":\"ok\",\"cordoned\":false,"
	"\"brand_new_field\":{\"nested\":[1,2,{\"x\":null}]},"
	"\"created_at\":\"2026-12-03T16:05:53Z\","
	"\"config\":{\"image\":\"registry.fly.io/acme-web:v2\","
	"\"env\":null,\"metadata\":{\"rhone_managed_by\":\"rhone-controller\","
	"\"rhone_regionset\":\"acme-web\","
	"\"rhone_config_hash\":\"0123456789abcdef\","
	"\"rhone_launch_id\":\"5c35f65c9f95aa01\","
	"\"fly_platform_version\":\"v2\"},"
	"\"checks\":{\"health\":{\"type\":\"http\",\"port\":8080,"
	"\"interval\":\"10s\"}}},"
	"\"checks\":[{\"name\":\"health\",\"status\":\"passing\","
	"\"output\":\"200 OK\",\"updated_at\":\"2026-12-03T16:06:00Z\"},"
	"{\"name\":\"servicecheck-00-tcp-8080\",\"status\":\"passing\"}]},"
	"{\"id\":\"d5683210c7968e\",\"name\":\"quirky-machine\","
	"\"state\":\"stopped\",\"region\":\"cdg\","
	"\"instance_id\":\"01G3GNA72484XS5D9SCRW8X79Q\","
	"\"config\":{\"image\":\"flyio/fastify-functions\","
	"\"metadata\":null}}]";

static void
test_create_response(void **state)
{
	struct fly_machine m;
	char err[128] = "";

	(void)state;
	assert_int_equal(fly_parse_machine(create_resp, strlen(create_resp),
					   &m, err, sizeof(err)), 0);
	assert_string_equal(m.id, "1857156b526dd8");
	assert_string_equal(m.state, "created");
	assert_string_equal(m.region, "ord");
	assert_string_equal(m.version, "01HEPA330HZ37A78TK080NAK1M");
	assert_string_equal(m.host_status, "");
	assert_string_equal(m.image,
			    "registry-1.docker.io/library/ubuntu:latest");
	assert_true(m.created_at == 1699408350.0);
	assert_true(m.updated_at == 1699408351.0);
	assert_int_equal(m.nchecks, 0);
	assert_false(fly_machine_managed(&m));
	assert_false(fly_machine_ready(&m));
	assert_false(fly_machine_gone(&m));
	fly_machine_clear(&m);
	assert_null(m.image);
}

static void
test_list_response(void **state)
{
	struct fly_machine *ms;
	size_t n;
	char err[128] = "";

	(void)state;
	assert_int_equal(fly_parse_machine_list(list_resp, strlen(list_resp),
						&ms, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(ms[0].version, "01HQ73A7BFFDF1B6WMGHFZZ4E7");
	assert_string_equal(ms[0].managed_by, "rhone-controller");
	assert_string_equal(ms[0].regionset, "acme-web");
	assert_string_equal(ms[0].config_hash, "0123456789abcdef");
	assert_string_equal(ms[0].launch_id, "5c35f65c9f95aa01");
	assert_string_equal(ms[0].image, "registry.fly.io/acme-web:v2");
	assert_int_equal(ms[0].nchecks, 2);
	assert_string_equal(ms[0].checks[1].name, "servicecheck-00-tcp-8080");
	assert_string_equal(ms[0].checks[1].status, "passing");
	assert_true(fly_machine_managed(&ms[0]));
	assert_true(fly_machine_ready(&ms[0]));
	assert_true(ms[0].updated_at == 0);

	assert_string_equal(ms[1].id, "d5683210c7968e");
	assert_string_equal(ms[1].managed_by, "");
	assert_false(fly_machine_managed(&ms[1]));
	assert_false(fly_machine_ready(&ms[1]));
	fly_machines_free(ms, n);
}

static void
test_empty_list(void **state)
{
	struct fly_machine *ms = NULL;
	size_t n = 7;

	(void)state;
	assert_int_equal(fly_parse_machine_list("[]\n", 3, &ms, &n, NULL, 0),
			 0);
	assert_int_equal(n, 0);
	fly_machines_free(ms, n);
}

/* When the host is not ok the API may send incomplete_config instead of
 * config; ownership must still be seen there. */
static void
test_incomplete_config(void **state)
{
	static const char body[] =
		"{\"id\":\"73d8d46dbee589\",\"state\":\"started\","
		"\"host_status\":\"unreachable\","
		"\"incomplete_config\":{\"image\":\"img:1\",\"metadata\":"
		"{\"rhone_managed_by\":\"rhone-controller\","
		"\"rhone_regionset\":\"web\"}}}";
	struct fly_machine m;

	(void)state;
	assert_int_equal(fly_parse_machine(body, strlen(body), &m, NULL, 0),
			 0);
	assert_string_equal(m.image, "img:1");
	assert_string_equal(m.host_status, "unreachable");
	assert_true(fly_machine_managed(&m));
	assert_false(fly_machine_ready(&m));
	fly_machine_clear(&m);
}

struct state_case {
	const char *state;
	int gone;
};

static void
test_gone(void **state)
{
	static const struct state_case cases[] = {
		{ "destroyed", 1 }, { "destroying", 1 }, { "started", 0 },
		{ "stopped", 0 }, { "created", 0 }, { "replacing", 0 },
		{ "failed", 0 }, { "", 0 }, { "destroyedx", 0 },
	};
	struct fly_machine m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		snprintf(m.state, sizeof(m.state), "%s", cases[i].state);
		if (fly_machine_gone(&m) != cases[i].gone)
			fail_msg("state %s: gone %d", cases[i].state,
				 !cases[i].gone);
	}
}

struct ready_case {
	const char *name;
	const char *json;
	int ready;
};

#define MACHINE(extra) "{\"id\":\"abc123\"," extra "}"

static const struct ready_case ready_cases[] = {
	{ "started, no checks", MACHINE("\"state\":\"started\""), 1 },
	{ "started, host ok", MACHINE("\"state\":\"started\","
	  "\"host_status\":\"ok\""), 1 },
	{ "host unknown", MACHINE("\"state\":\"started\","
	  "\"host_status\":\"unknown\""), 0 },
	{ "host unreachable", MACHINE("\"state\":\"started\","
	  "\"host_status\":\"unreachable\""), 0 },
	{ "starting", MACHINE("\"state\":\"starting\""), 0 },
	{ "stopped", MACHINE("\"state\":\"stopped\""), 0 },
	{ "all passing", MACHINE("\"state\":\"started\",\"checks\":["
	  "{\"name\":\"a\",\"status\":\"passing\"},"
	  "{\"name\":\"b\",\"status\":\"passing\"}]"), 1 },
	{ "one warning", MACHINE("\"state\":\"started\",\"checks\":["
	  "{\"name\":\"a\",\"status\":\"passing\"},"
	  "{\"name\":\"b\",\"status\":\"warning\"}]"), 0 },
	{ "one critical", MACHINE("\"state\":\"started\",\"checks\":["
	  "{\"name\":\"a\",\"status\":\"critical\"}]"), 0 },
	{ "check without status", MACHINE("\"state\":\"started\","
	  "\"checks\":[{\"name\":\"a\"}]"), 0 },
	{ "check status not a string", MACHINE("\"state\":\"started\","
	  "\"checks\":[{\"name\":\"a\",\"status\":1}]"), 0 },
	{ "check not an object", MACHINE("\"state\":\"started\","
	  "\"checks\":[\"passing\"]"), 0 },
	{ "checks not an array", MACHINE("\"state\":\"started\","
	  "\"checks\":{\"a\":\"passing\"}"), 0 },
	{ "checks null", MACHINE("\"state\":\"started\",\"checks\":null"),
	  1 },
	{ "compat check ignored", MACHINE("\"state\":\"started\","
	  "\"checks\":[{\"name\":\"bg_deployments_compat\","
	  "\"status\":\"critical\"}]"), 1 },
	{ "long status cut short", MACHINE("\"state\":\"started\","
	  "\"checks\":[{\"name\":\"a\",\"status\":\"passingpassingpass\"}]"),
	  0 },
	{ "nine passing", MACHINE("\"state\":\"started\",\"checks\":["
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"}]"), 1 },
	{ "ninth critical", MACHINE("\"state\":\"started\",\"checks\":["
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"passing\"},{\"status\":\"passing\"},"
	  "{\"status\":\"critical\"}]"), 0 },
};

static void
test_ready(void **state)
{
	struct fly_machine m;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ready_cases) / sizeof(ready_cases[0]); i++) {
		const struct ready_case *rc = &ready_cases[i];
		if (fly_parse_machine(rc->json, strlen(rc->json), &m, err,
				      sizeof(err)) != 0)
			fail_msg("%s: parse failed: %s", rc->name, err);
		if (fly_machine_ready(&m) != rc->ready)
			fail_msg("%s: ready is %d", rc->name, !rc->ready);
		assert_true(m.nchecks <= FLY_CHECKS_MAX);
		fly_machine_clear(&m);
	}
}

struct bad_case {
	const char *name;
	const char *body;
	int list;                /* parse as a list, else as one machine */
};

static const struct bad_case bad_cases[] = {
	{ "empty", "", 1 },
	{ "not JSON", "<html>502 Bad Gateway</html>", 1 },
	{ "cut short", "[{\"id\":\"abc\"", 1 },
	{ "trailing data", "[] []", 1 },
	{ "null", "null", 1 },
	{ "object for list", "{\"id\":\"abc\"}", 1 },
	{ "string for list", "\"[]\"", 1 },
	{ "element not an object", "[{\"id\":\"abc\"},42]", 1 },
	{ "element null", "[null]", 1 },
	{ "id missing", "[{\"name\":\"x\"}]", 1 },
	{ "id a number", "[{\"id\":12345}]", 1 },
	{ "id null", "[{\"id\":null}]", 1 },
	{ "id empty", "[{\"id\":\"\"}]", 1 },
	{ "id too long", "[{\"id\":\"0123456789abcdef0123456789abcdef\"}]", 1 },
	{ "id with a slash", "[{\"id\":\"abc/../x\"}]", 1 },
	{ "id with a NUL", "[{\"id\":\"abc\\u0000def\"}]", 1 },
	{ "array for machine", "[{\"id\":\"abc\"}]", 0 },
	{ "number for machine", "17", 0 },
	{ "machine without id", "{\"state\":\"started\"}", 0 },
	{ "single quotes", "{'id':'abc'}", 0 },
};

static void
test_malformed(void **state)
{
	struct fly_machine *ms, m;
	size_t i, n;
	char err[128];
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		err[0] = '\0';
		ms = &m;
		n = 99;
		if (bc->list)
			rc = fly_parse_machine_list(bc->body, strlen(bc->body),
						    &ms, &n, err, sizeof(err));
		else
			rc = fly_parse_machine(bc->body, strlen(bc->body), &m,
					       err, sizeof(err));
		if (rc != -1 || err[0] == '\0')
			fail_msg("%s: rc %d err '%s'", bc->name, rc, err);
		if (bc->list && (ms != NULL || n != 0))
			fail_msg("%s: output not reset", bc->name);
	}
}

/* A body with an element that fails after earlier ones were read must
 * not leak what those own (checked under AddressSanitizer). */
static void
test_malformed_late_element(void **state)
{
	static const char body[] =
		"[{\"id\":\"a1\",\"config\":{\"image\":\"x\"}},"
		"{\"id\":\"a2\",\"config\":{\"image\":\"y\"}},{\"id\":7}]";
	struct fly_machine *ms;
	size_t n;
	char err[128];

	(void)state;
	assert_int_equal(fly_parse_machine_list(body, strlen(body), &ms, &n,
						err, sizeof(err)), -1);
	assert_non_null(strstr(err, "machine 2"));
}

static void
test_lengths(void **state)
{
	static const char body[] =
		"{\"id\":\"0123456789abcdef0123456789abcde\","
		"\"name\":\"a-very-long-machine-name-that-goes-on-and-on-and-"
		"on-beyond-sixty-four-bytes\","
		"\"state\":\"a-state-longer-than-sixteen-bytes\","
		"\"region\":\"\\u00e9\\u00e9\\u00e9\\u00e9\","
		"\"config\":{\"metadata\":{"
		"\"rhone_managed_by\":\"rhone-controller-but-much-longer-x\","
		"\"rhone_regionset\":7,"
		"\"rhone_config_hash\":\"0123456789abcdef0\","
		"\"rhone_launch_id\":\"ok\"}}}";
	struct fly_machine m;
	char err[128];

	(void)state;
	assert_int_equal(fly_parse_machine(body, strlen(body), &m, err,
					   sizeof(err)), 0);
	assert_int_equal(strlen(m.id), FLY_ID_MAX - 1);
	assert_int_equal(strlen(m.state), sizeof(m.state) - 1);
	/* four two-byte characters in 7 bytes: three fit, no half one */
	assert_string_equal(m.region, "\xc3\xa9\xc3\xa9\xc3\xa9");
	/* identity fields that do not fit are dropped, never cut */
	assert_string_equal(m.managed_by, "");
	assert_string_equal(m.regionset, "");
	assert_string_equal(m.config_hash, "");
	assert_string_equal(m.launch_id, "ok");
	assert_null(m.image);
	fly_machine_clear(&m);
}

struct error_case {
	const char *body;
	size_t size;
	const char *want;
};

static const struct error_case error_cases[] = {
	{ "{\"error\":\"machine not found\"}", 64, "machine not found" },
	{ "{\"error\":\"no hosts\",\"status\":\"insufficient_capacity\"}",
	  64, "no hosts" },
	{ "{\"status\":\"error\",\"message\":\"lease currently held\","
	  "\"code\":\"invalid\"}", 64, "lease currently held" },
	{ "{\"error\":\"\",\"message\":\"from message\"}", 64,
	  "from message" },
	{ "{\"error\":{\"deep\":1},\"message\":\"m\"}", 64, "m" },
	{ "{\"ok\":true}", 64, "{\"ok\":true}" },
	{ "upstream connect error\nor disconnect", 64,
	  "upstream connect error or disconnect" },
	{ "<html>Bad Gateway</html>", 10, "<html>Bad" },
	{ "{\"error\":\"Could not find App \\\"x\\\"\"}", 64,
	  "Could not find App \"x\"" },
	{ "", 64, "" },
};

static void
test_error_message(void **state)
{
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *ec = &error_cases[i];
		memset(buf, 'X', sizeof(buf));
		fly_error_message(ec->body, strlen(ec->body), buf, ec->size);
		if (strcmp(buf, ec->want) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, buf,
				 ec->want);
	}
}

/* Only len bytes of the body are read, so a body need not end in NUL. */
static void
test_error_message_len(void **state)
{
	char buf[32];

	(void)state;
	fly_error_message("gateway timeoutXYZ", 15, buf, sizeof(buf));
	assert_string_equal(buf, "gateway timeout");
	fly_error_message(NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_response),
		cmocka_unit_test(test_list_response),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_incomplete_config),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_late_element),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_error_message_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
