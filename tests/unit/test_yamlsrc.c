/* test_yamlsrc.c - reading RegionSets: every field and default, every
 * validation error with its exact position and field path, multi-document
 * files, folders (nested, failing files, empty), cross-set checks and
 * hostile input. Fixtures are written to a fresh temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "regionset.h"
#include "yamlsrc.h"


/* Eight lines every case builds on; a case's own lines start at 9. */
#define HEAD7 \
	"apiVersion: rhone.dev/v1\n" \
	"kind: RegionSet\n" \
	"metadata:\n" \
	"  name: web\n" \
	"spec:\n" \
	"  app: web\n" \
	"  image: img:1\n"
#define HEAD HEAD7 "  primaryRegion: iad\n"

static void
load(const char *text, struct yaml_load *ld)
{
	memset(ld, 0, sizeof(*ld));
	yaml_load_buffer("t.yaml", text, strlen(text), ld);
}

static const char *
err_text(const struct yaml_load *ld, size_t i)
{
	static char buf[1024];

	rs_error_format(&ld->errors.items[i], buf, sizeof(buf));
	return buf;
}

static int
has_error(const struct yaml_load *ld, const char *part)
{
	size_t i;

	for (i = 0; i < ld->errors.n; i++)
		if (strstr(err_text(ld, i), part) != NULL)
			return 1;
	return 0;
}

/* Parse text that must be valid; returns its only set. */
static struct regionset *
load_one(const char *text, struct yaml_load *ld)
{
	load(text, ld);
	if (ld->errors.n > 0)
		fail_msg("unexpected error: %s", err_text(ld, 0));
	assert_int_equal(ld->nsets, 1);
	return ld->sets[0];
}

/*
 * Valid documents: defaults and every field.
 */
static void
test_defaults(void **state)
{
	struct yaml_load ld;
	struct regionset *rs = load_one(HEAD, &ld);
	const struct rs_service *s = &rs->services[0];
	const struct rs_check *c = &rs->checks[0];

	(void)state;
	assert_string_equal(rs->name, "web");
	assert_string_equal(rs->app, "web");
	assert_string_equal(rs->image, "img:1");
	assert_int_equal(rs->nregions, 1);
	assert_string_equal(rs->regions[0].code, "iad");
	assert_int_equal(rs->regions[0].count, 1);
	assert_int_equal(rs->regions[0].primary, 1);
	assert_int_equal(strlen(rs->regions[0].config_hash), RS_HASH_LEN);
	assert_int_equal(strlen(rs->spec_hash), RS_HASH_LEN);
	assert_string_equal(rs->guest.cpu_kind, "shared");
	assert_int_equal(rs->guest.cpus, 1);
	assert_int_equal(rs->guest.memory_mb, 256);
	assert_string_equal(rs->primary_guest.cpu_kind, "shared");
	assert_int_equal(rs->primary_guest.cpus, 1);
	assert_int_equal(rs->primary_guest.memory_mb, 512);

	assert_int_equal(rs->nservices, 1);
	assert_string_equal(s->protocol, "tcp");
	assert_int_equal(s->internal_port, 8080);
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].nhandlers, 1);
	assert_string_equal(s->ports[0].handlers[0], "http");
	assert_int_equal(s->ports[1].port, 443);
	assert_int_equal(s->ports[1].nhandlers, 2);
	assert_string_equal(s->ports[1].handlers[0], "tls");
	assert_string_equal(s->ports[1].handlers[1], "http");
	assert_int_equal(s->ports[1].force_https, 0);
	assert_string_equal(s->concurrency_type, "connections");
	assert_int_equal(s->soft_limit, 80);
	assert_int_equal(s->hard_limit, 100);
	assert_string_equal(s->autostop, "");
	assert_int_equal(s->autostart, -1);
	assert_int_equal(s->min_machines_running, 0);

	assert_int_equal(rs->nchecks, 1);
	assert_string_equal(c->name, "health");
	assert_string_equal(c->type, "http");
	assert_int_equal(c->port, 8080);
	assert_string_equal(c->method, "GET");
	assert_string_equal(c->path, "/health");
	assert_int_equal(c->interval_s, 10);
	assert_int_equal(c->timeout_s, 5);
	assert_int_equal(c->grace_s, 0);

	assert_int_equal(rs->nenv, 0);
	assert_string_equal(rs->strategy, "bluegreen");
	assert_int_equal(rs->health_timeout_s, 300);
	assert_int_equal(rs->max_surge.value, 1);
	assert_int_equal(rs->max_surge.percent, 0);
	assert_int_equal(rs->max_unavailable.value, 0);
	assert_int_equal(rs->max_unavailable.percent, 0);
	assert_int_equal(rs->min_ready_s, 0);
	assert_int_equal(rs->progress_deadline_s, 600);
	assert_int_equal(rs->primary_first, 1);
	assert_int_equal(rs->max_parallel_regions, 0);
	assert_int_equal(rs->soak_s, 0);
	assert_int_equal(rs->max_unhealthy.value, 100);
	assert_int_equal(rs->max_unhealthy.percent, 1);
	assert_string_equal(rs->origin.file, "t.yaml");
	assert_int_equal(rs->origin.line, 1);
	assert_int_equal(rs->origin.column, 1);
	assert_int_equal(ld.nfiles, 1);
	assert_int_equal(ld.files[0].failed, 0);
	assert_int_equal(ld.source_failed, 0);
	yaml_load_free(&ld);
}

static const char full_doc[] =
	"apiVersion: rhone.dev/v1\n"
	"kind: RegionSet\n"
	"metadata:\n"
	"  name: atlas-api\n"
	"  labels: {team: api, tier: 1}\n"
	"  annotations: {note: \"hello\"}\n"
	"spec:\n"
	"  app: atlas-api-prod\n"
	"  image: registry.fly.io/atlas-api:v7\n"
	"  primaryRegion: lhr\n"
	"  primaryCount: 3\n"
	"  regions:\n"
	"    - ams\n"
	"    - code: sin\n"
	"      count: 4\n"
	"    - {code: gru}\n"
	"  guest: {cpuKind: shared, cpus: 2, memoryMB: 1024}\n"
	"  primaryGuest: {cpuKind: performance, memoryMB: 4096}\n"
	"  services:\n"
	"    - protocol: tcp\n"
	"      internalPort: 3000\n"
	"      ports:\n"
	"        - port: 443\n"
	"          handlers: [tls, http]\n"
	"        - port: 80\n"
	"          handlers: [http]\n"
	"          forceHttps: true\n"
	"      concurrency: {type: requests, softLimit: 20, hardLimit: 25}\n"
	"      autostop: suspend\n"
	"      autostart: true\n"
	"      minMachinesRunning: 2\n"
	"    - protocol: udp\n"
	"      internalPort: 5353\n"
	"      ports: [{port: 53}]\n"
	"      autostop: false\n"
	"  checks:\n"
	"    web: {type: http, port: 3000, path: /ready, method: HEAD,\n"
	"          interval: 1m30s, timeout: 15, gracePeriod: 30s}\n"
	"    alive: {type: tcp, port: 3000}\n"
	"  env:\n"
	"    ZED: last\n"
	"    LOG_LEVEL: debug\n"
	"    VERSION: 1.20\n"
	"    DEBUG: true\n"
	"    EMPTY: \"\"\n"
	"  strategy: {type: bluegreen, healthTimeout: 90s, maxSurge: 25%,\n"
	"             maxUnavailable: 2, minReadySeconds: 15,\n"
	"             progressDeadline: 20m, primaryFirst: false,\n"
	"             maxParallelRegions: 3, soakTime: 1m, maxUnhealthy: 2}\n";

static void
test_full(void **state)
{
	struct yaml_load ld;
	struct regionset *rs = load_one(full_doc, &ld);
	const struct rs_service *s = &rs->services[0], *u = &rs->services[1];

	(void)state;
	assert_string_equal(rs->app, "atlas-api-prod");
	assert_string_equal(rs->image, "registry.fly.io/atlas-api:v7");
	assert_int_equal(rs->nregions, 4);
	assert_string_equal(rs->regions[0].code, "lhr");
	assert_int_equal(rs->regions[0].count, 3);
	assert_string_equal(rs->regions[1].code, "ams");
	assert_int_equal(rs->regions[1].count, 1);
	assert_int_equal(rs->regions[1].primary, 0);
	assert_string_equal(rs->regions[2].code, "sin");
	assert_int_equal(rs->regions[2].count, 4);
	assert_string_equal(rs->regions[3].code, "gru");
	assert_int_equal(rs->regions[3].count, 1);

	assert_string_equal(rs->guest.cpu_kind, "shared");
	assert_int_equal(rs->guest.cpus, 2);
	assert_int_equal(rs->guest.memory_mb, 1024);
	/* cpus comes from guest, kind and memory from primaryGuest. */
	assert_string_equal(rs->primary_guest.cpu_kind, "performance");
	assert_int_equal(rs->primary_guest.cpus, 2);
	assert_int_equal(rs->primary_guest.memory_mb, 4096);

	assert_int_equal(rs->nservices, 2);
	assert_int_equal(s->internal_port, 3000);
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->ports[1].port, 80);
	assert_int_equal(s->ports[1].force_https, 1);
	assert_string_equal(s->concurrency_type, "requests");
	assert_int_equal(s->soft_limit, 20);
	assert_int_equal(s->hard_limit, 25);
	assert_string_equal(s->autostop, "suspend");
	assert_int_equal(s->autostart, 1);
	assert_int_equal(s->min_machines_running, 2);
	assert_string_equal(u->protocol, "udp");
	assert_int_equal(u->ports[0].port, 53);
	assert_int_equal(u->ports[0].nhandlers, 0);
	assert_string_equal(u->autostop, "off");
	/* Limits not given keep the defaults. */
	assert_int_equal(u->soft_limit, 80);

	/* Checks come sorted by name. */
	assert_int_equal(rs->nchecks, 2);
	assert_string_equal(rs->checks[0].name, "alive");
	assert_string_equal(rs->checks[0].type, "tcp");
	assert_string_equal(rs->checks[1].name, "web");
	assert_string_equal(rs->checks[1].method, "HEAD");
	assert_string_equal(rs->checks[1].path, "/ready");
	assert_int_equal(rs->checks[1].interval_s, 90);
	assert_int_equal(rs->checks[1].timeout_s, 15);
	assert_int_equal(rs->checks[1].grace_s, 30);

	/* Env sorted by key; scalars kept as written. */
	assert_int_equal(rs->nenv, 5);
	assert_string_equal(rs->env[0].key, "DEBUG");
	assert_string_equal(rs->env[0].value, "true");
	assert_string_equal(rs->env[1].key, "EMPTY");
	assert_string_equal(rs->env[1].value, "");
	assert_string_equal(rs->env[2].key, "LOG_LEVEL");
	assert_string_equal(rs->env[3].value, "1.20");
	assert_string_equal(rs->env[4].key, "ZED");
	assert_int_equal(rs->health_timeout_s, 90);
	assert_int_equal(rs->max_surge.value, 25);
	assert_int_equal(rs->max_surge.percent, 1);
	assert_int_equal(rs->max_unavailable.value, 2);
	assert_int_equal(rs->max_unavailable.percent, 0);
	assert_int_equal(rs->min_ready_s, 15);
	assert_int_equal(rs->progress_deadline_s, 1200);
	assert_int_equal(rs->primary_first, 0);
	assert_int_equal(rs->max_parallel_regions, 3);
	assert_int_equal(rs->soak_s, 60);
	assert_int_equal(rs->max_unhealthy.value, 2);
	assert_int_equal(rs->max_unhealthy.percent, 0);
	yaml_load_free(&ld);
}

static void
test_empty_services_and_checks(void **state)
{
	struct yaml_load ld;
	struct regionset *rs = load_one(HEAD "  services: []\n"
					"  checks: {}\n", &ld);

	(void)state;
	assert_int_equal(rs->nservices, 0);
	assert_int_equal(rs->nchecks, 0);
	yaml_load_free(&ld);
}

/* How guest, primaryGuest and the defaults combine. */
struct guest_case {
	const char *yaml;
	const char *kind; int cpus, mem;         /* replicas */
	const char *pkind; int pcpus, pmem;      /* primary */
};

static const struct guest_case guest_cases[] = {
	{ "", "shared", 1, 256, "shared", 1, 512 },
	{ "  guest: {memoryMB: 1024}\n", "shared", 1, 1024,
	  "shared", 1, 1024 },
	{ "  guest: {cpus: 2}\n", "shared", 2, 512, "shared", 2, 512 },
	{ "  guest: {cpus: 4}\n", "shared", 4, 1024, "shared", 4, 1024 },
	{ "  guest: {cpuKind: performance}\n", "performance", 1, 2048,
	  "performance", 1, 2048 },
	{ "  primaryGuest: {cpuKind: performance, cpus: 2}\n", "shared", 1,
	  256, "performance", 2, 4096 },
	{ "  primaryGuest: {memoryMB: 256}\n", "shared", 1, 256, "shared", 1,
	  256 },
	{ "  guest: {cpus: 2, memoryMB: 2048}\n  primaryGuest: {cpus: 8}\n",
	  "shared", 2, 2048, "shared", 8, 2048 },
};

static void
test_guest_resolution(void **state)
{
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(guest_cases) / sizeof(guest_cases[0]); i++) {
		const struct guest_case *c = &guest_cases[i];
		struct yaml_load ld;
		struct regionset *rs;

		snprintf(text, sizeof(text), "%s%s", HEAD, c->yaml);
		rs = load_one(text, &ld);
		assert_string_equal(rs->guest.cpu_kind, c->kind);
		assert_int_equal(rs->guest.cpus, c->cpus);
		assert_int_equal(rs->guest.memory_mb, c->mem);
		assert_string_equal(rs->primary_guest.cpu_kind, c->pkind);
		assert_int_equal(rs->primary_guest.cpus, c->pcpus);
		assert_int_equal(rs->primary_guest.memory_mb, c->pmem);
		yaml_load_free(&ld);
	}
}

/* Forms that are accepted and what they mean. */
static void
test_accepted_forms(void **state)
{
	struct yaml_load ld;
	struct regionset *rs;

	(void)state;
	rs = load_one(HEAD "  services:\n    - internalPort: 1\n"
		      "      autostop: true\n", &ld);
	assert_string_equal(rs->services[0].autostop, "stop");
	assert_int_equal(rs->services[0].nports, 0);
	yaml_load_free(&ld);

	/* Key order does not matter; metadata may come last. */
	rs = load_one("spec:\n  primaryRegion: fra\n  image: i\n  app: a\n"
		      "kind: RegionSet\nmetadata: {name: late}\n"
		      "apiVersion: rhone.dev/v1\n", &ld);
	assert_string_equal(rs->name, "late");
	yaml_load_free(&ld);

	/* "!!str" or quotes make text of what looks like a number. */
	rs = load_one(HEAD "  env: {A: !!str 10, B: '20'}\n", &ld);
	assert_string_equal(rs->env[0].value, "10");
	assert_string_equal(rs->env[1].value, "20");
	yaml_load_free(&ld);

	/* Surge 0 is fine when some may be unavailable; 100% is a
	 * percentage, not a count of 100. */
	rs = load_one(HEAD "  strategy: {maxSurge: 0, maxUnavailable: "
		      "100%}\n", &ld);
	assert_int_equal(rs->max_surge.value, 0);
	assert_int_equal(rs->max_unavailable.value, 100);
	assert_int_equal(rs->max_unavailable.percent, 1);
	assert_int_equal(rs_quantity_resolve(&rs->max_unavailable, 3, 0), 3);
	yaml_load_free(&ld);

	rs = load_one(HEAD "  strategy: {type: rolling}\n", &ld);
	assert_string_equal(rs->strategy, "rolling");
	yaml_load_free(&ld);
	rs = load_one(HEAD "  strategy: {type: immediate}\n", &ld);
	assert_string_equal(rs->strategy, "immediate");
	yaml_load_free(&ld);

	/* A document start marker, comments and a trailing "...". */
	rs = load_one("# comment\n---\n" HEAD "...\n", &ld);
	assert_int_equal(rs->origin.line, 3);
	yaml_load_free(&ld);
}

/*
 * Validation errors: each row is a document, its first error exactly as
 * rs_error_format prints it, the set it names and how many there are.
 */
struct err_case {
	const char *name;
	const char *yaml;
	const char *want;
	const char *set;
	size_t nerrs;
};

static const struct err_case err_cases[] = {
	{ "unknown spec field", HEAD "  primaryRegon: iad\n",
	  "t.yaml:9:3: spec: unknown field \"primaryRegon\"; did you mean "
	  "\"primaryRegion\"?", "web", 1 },
	{ "unknown field, snake case", HEAD
	  "  services:\n    - internalPort: 80\n"
	  "      min_machines_running: 1\n",
	  "t.yaml:11:7: spec.services[0]: unknown field "
	  "\"min_machines_running\"; did you mean \"minMachinesRunning\"?",
	  "web", 1 },
	{ "unknown field, no hint", HEAD "  replicas: 3\n",
	  "t.yaml:9:3: spec: unknown field \"replicas\"; known fields: app, "
	  "image, primaryRegion, primaryCount, regions, guest, primaryGuest, "
	  "services, checks, env, strategy", "web", 1 },
	{ "unknown top-level field", HEAD "status: {}\n",
	  "t.yaml:9:1: unknown field \"status\"; known fields: apiVersion, "
	  "kind, metadata, spec", "web", 1 },
	{ "unknown metadata field", "metadata:\n  name: web\n  namespace: x\n"
	  "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:3:3: metadata: unknown field \"namespace\"; known fields: "
	  "name, labels, annotations", "web", 1 },
	{ "duplicate field", HEAD "  image: img:2\n",
	  "t.yaml:9:3: spec: duplicate field \"image\"", "web", 1 },
	{ "missing image",
	  "apiVersion: rhone.dev/v1\nkind: RegionSet\nmetadata:\n"
	  "  name: web\nspec:\n  app: web\n  primaryRegion: iad\n",
	  "t.yaml:6:3: spec: missing required field \"image\"", "web", 1 },
	{ "missing spec",
	  "apiVersion: rhone.dev/v1\nkind: RegionSet\nmetadata:\n"
	  "  name: web\n",
	  "t.yaml:1:1: missing required field \"spec\"", "web", 1 },
	{ "wrong apiVersion", "apiVersion: v1\nkind: RegionSet\n"
	  "metadata: {name: web}\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:1:13: apiVersion: unsupported apiVersion \"v1\"; expected "
	  "\"rhone.dev/v1\"", "web", 1 },
	{ "wrong kind", "apiVersion: rhone.dev/v1\nkind: Deployment\n"
	  "metadata: {name: web}\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:2:7: kind: unsupported kind \"Deployment\"; expected "
	  "\"RegionSet\"", "web", 1 },
	{ "invalid name", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata: {name: Web_1}\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:3:18: metadata.name: invalid name \"Web_1\": use at most 63 "
	  "lowercase letters, digits and '-', starting and ending with a "
	  "letter or digit", "", 1 },
	{ "name too long", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata: {name: "
	  "a234567890123456789012345678901234567890123456789012345678901234}\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:3:18: metadata.name: invalid name \"a23456789012345678901"
	  "234567890123456789012345678901234567890...\": "
	  "use at most 63 lowercase letters, digits and '-', starting and "
	  "ending with a letter or digit", "", 1 },
	{ "invalid app", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata: {name: web}\n"
	  "spec: {app: -web, image: i, primaryRegion: iad}\n",
	  "t.yaml:4:13: spec.app: invalid name \"-web\": use at most 63 "
	  "lowercase letters, digits and '-', starting and ending with a "
	  "letter or digit", "web", 1 },
	{ "empty app", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata: {name: web}\nspec:\n  app:\n  image: i\n"
	  "  primaryRegion: iad\n",
	  "t.yaml:5:7: spec.app: must not be empty", "web", 1 },
	{ "null image", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata: {name: web}\nspec:\n  app: web\n  image:\n"
	  "  primaryRegion: iad\n",
	  "t.yaml:6:9: spec.image: must not be empty", "web", 1 },
	{ "image with a space", "apiVersion: rhone.dev/v1\n"
	  "kind: RegionSet\nmetadata: {name: web}\n"
	  "spec: {app: web, image: \"a b\", primaryRegion: iad}\n",
	  "t.yaml:4:25: spec.image: must not contain spaces", "web", 1 },
	{ "image is a number", "apiVersion: rhone.dev/v1\n"
	  "kind: RegionSet\nmetadata: {name: web}\n"
	  "spec: {app: web, image: 123, primaryRegion: iad}\n",
	  "t.yaml:4:25: spec.image: must be a string, not an integer (quote "
	  "it: \"123\")", "web", 1 },
	{ "unknown primary region", HEAD7 "  primaryRegion: frankfurt\n",
	  "t.yaml:8:18: spec.primaryRegion: unknown region \"frankfurt\"",
	  "web", 1 },
	{ "primary region typo", HEAD7 "  primaryRegion: IAD\n",
	  "t.yaml:8:18: spec.primaryRegion: unknown region \"IAD\"; did you "
	  "mean \"iad\"?", "web", 1 },
	{ "unknown region", HEAD "  regions: [fra1]\n",
	  "t.yaml:9:13: spec.regions[0]: unknown region \"fra1\"; did you "
	  "mean \"fra\"?", "web", 1 },
	{ "unknown region in mapping", HEAD
	  "  regions:\n    - nrt\n    - code: sinn\n",
	  "t.yaml:11:13: spec.regions[1].code: unknown region \"sinn\"; did "
	  "you mean \"sin\"?", "web", 1 },
	{ "region count zero", HEAD
	  "  regions:\n    - code: fra\n      count: 0\n",
	  "t.yaml:11:14: spec.regions[0].count: must be between 1 and 100",
	  "web", 1 },
	{ "region count too big", HEAD
	  "  regions: [{code: fra, count: 101}]\n",
	  "t.yaml:9:32: spec.regions[0].count: must be between 1 and 100",
	  "web", 1 },
	{ "region count text", HEAD
	  "  regions: [{code: fra, count: two}]\n",
	  "t.yaml:9:32: spec.regions[0].count: must be an integer, not a "
	  "string", "web", 1 },
	{ "region count in hex", HEAD
	  "  regions: [{code: fra, count: 0x10}]\n",
	  "t.yaml:9:32: spec.regions[0].count: must be a decimal integer",
	  "web", 1 },
	{ "region count quoted", HEAD
	  "  regions: [{code: fra, count: \"2\"}]\n",
	  "t.yaml:9:32: spec.regions[0].count: must be an integer, not a "
	  "string", "web", 1 },
	{ "region without code", HEAD "  regions: [{count: 2}]\n",
	  "t.yaml:9:13: spec.regions[0]: missing required field \"code\"",
	  "web", 1 },
	{ "region is a list", HEAD "  regions: [[fra]]\n",
	  "t.yaml:9:13: spec.regions[0]: must be a region code or a mapping "
	  "with code and count, not a list", "web", 1 },
	{ "duplicate region", HEAD "  regions: [fra, nrt, fra]\n",
	  "t.yaml:9:23: spec.regions[2]: duplicate region \"fra\" (first "
	  "listed at line 9)", "web", 1 },
	{ "duplicate region, mapping", HEAD
	  "  regions:\n    - fra\n    - code: fra\n      count: 2\n",
	  "t.yaml:11:13: spec.regions[1].code: duplicate region \"fra\" "
	  "(first listed at line 10)", "web", 1 },
	{ "region repeats the primary", HEAD "  regions: [fra, iad]\n",
	  "t.yaml:9:18: spec.regions[1]: region \"iad\" is already the "
	  "primary region; set primaryCount for more machines there", "web",
	  1 },
	{ "regions not a list", HEAD "  regions: fra\n",
	  "t.yaml:9:12: spec.regions: must be a list, not a string", "web",
	  1 },
	{ "primaryCount zero", HEAD "  primaryCount: 0\n",
	  "t.yaml:9:17: spec.primaryCount: must be between 1 and 100", "web",
	  1 },
	{ "primaryCount float", HEAD "  primaryCount: 1.5\n",
	  "t.yaml:9:17: spec.primaryCount: must be an integer, not a number",
	  "web", 1 },
	{ "cpu kind", HEAD "  guest: {cpuKind: gpu}\n",
	  "t.yaml:9:20: spec.guest.cpuKind: must be \"shared\" or "
	  "\"performance\", not \"gpu\"", "web", 1 },
	{ "shared cpus", HEAD "  guest: {cpus: 3}\n",
	  "t.yaml:9:17: spec.guest.cpus: shared guests take 1, 2, 4, 6 or 8 "
	  "cpus, not 3", "web", 1 },
	{ "performance cpus", HEAD "  primaryGuest: {cpuKind: performance,"
	  " cpus: 24}\n",
	  "t.yaml:9:46: spec.primaryGuest.cpus: performance guests take 1, 2, "
	  "4, 6, 8, 10, 12, 14, 16, 32, 64 or 128 cpus, not 24 (primary "
	  "region)", "web", 1 },
	{ "memory step", HEAD "  guest: {memoryMB: 300}\n",
	  "t.yaml:9:21: spec.guest.memoryMB: memoryMB 300 is not a multiple "
	  "of 256", "web", 1 },
	{ "memory too big", HEAD "  guest:\n    memoryMB: 4096\n",
	  "t.yaml:10:15: spec.guest.memoryMB: memoryMB 4096 is outside "
	  "256..2048 for 1 shared cpu", "web", 1 },
	{ "performance memory too small", HEAD
	  "  guest: {cpuKind: performance, memoryMB: 1024}\n",
	  "t.yaml:9:43: spec.guest.memoryMB: memoryMB 1024 is outside "
	  "2048..8192 for 1 performance cpu", "web", 1 },
	{ "primary memory, inherited", HEAD
	  "  guest: {memoryMB: 1280}\n  primaryGuest: {cpuKind: performance}\n",
	  "t.yaml:9:21: spec.guest.memoryMB: memoryMB 1280 is not a multiple "
	  "of 1024 (primary region)", "web", 1 },
	{ "guest not a mapping", HEAD "  guest: small\n",
	  "t.yaml:9:10: spec.guest: must be a mapping, not a string", "web",
	  1 },
	{ "service without internalPort", HEAD
	  "  services:\n    - ports: [{port: 80}]\n",
	  "t.yaml:10:7: spec.services[0]: missing required field "
	  "\"internalPort\"", "web", 1 },
	{ "service port quoted", HEAD
	  "  services:\n    - internalPort: \"8080\"\n",
	  "t.yaml:10:21: spec.services[0].internalPort: must be an integer, "
	  "not a string", "web", 1 },
	{ "service port range", HEAD "  services: [{internalPort: 70000}]\n",
	  "t.yaml:9:29: spec.services[0].internalPort: must be between 1 and "
	  "65535", "web", 1 },
	{ "service protocol", HEAD
	  "  services: [{internalPort: 1, protocol: sctp}]\n",
	  "t.yaml:9:42: spec.services[0].protocol: must be \"tcp\" or \"udp\", "
	  "not \"sctp\"", "web", 1 },
	{ "handler", HEAD "  services:\n    - internalPort: 1\n"
	  "      ports: [{port: 80, handlers: [http, gzip]}]\n",
	  "t.yaml:11:43: spec.services[0].ports[0].handlers[1]: must be "
	  "\"http\", \"tls\" or \"pg_tls\", not \"gzip\"", "web", 1 },
	{ "duplicate handler", HEAD "  services:\n    - internalPort: 1\n"
	  "      ports: [{port: 80, handlers: [tls, tls]}]\n",
	  "t.yaml:11:42: spec.services[0].ports[0].handlers[1]: duplicate "
	  "handler \"tls\"", "web", 1 },
	{ "port without number", HEAD "  services:\n    - internalPort: 1\n"
	  "      ports: [{handlers: [http]}]\n",
	  "t.yaml:11:15: spec.services[0].ports[0]: missing required field "
	  "\"port\"", "web", 1 },
	{ "forceHttps", HEAD "  services:\n    - internalPort: 1\n"
	  "      ports: [{port: 80, forceHttps: yes}]\n",
	  "t.yaml:11:38: spec.services[0].ports[0].forceHttps: must be true "
	  "or false, not a string", "web", 1 },
	{ "port used twice", HEAD "  services:\n    - internalPort: 1\n"
	  "      ports: [{port: 80}]\n    - internalPort: 2\n"
	  "      ports: [{port: 80}]\n",
	  "t.yaml:13:22: spec.services[1].ports[0].port: port 80/tcp is "
	  "already used by services[0].ports[0]", "web", 1 },
	{ "concurrency", HEAD "  services:\n    - internalPort: 1\n"
	  "      concurrency: {softLimit: 200, hardLimit: 100}\n",
	  "t.yaml:11:20: spec.services[0].concurrency: softLimit (200) must "
	  "not exceed hardLimit (100)", "web", 1 },
	{ "concurrency type", HEAD "  services:\n    - internalPort: 1\n"
	  "      concurrency: {type: sessions}\n",
	  "t.yaml:11:27: spec.services[0].concurrency.type: must be "
	  "\"connections\" or \"requests\", not \"sessions\"", "web", 1 },
	{ "autostop", HEAD "  services: [{internalPort: 1, autostop: on}]\n",
	  "t.yaml:9:42: spec.services[0].autostop: must be \"off\", \"stop\" "
	  "or \"suspend\", not \"on\"", "web", 1 },
	{ "autostart", HEAD "  services: [{internalPort: 1, autostart: 1}]\n",
	  "t.yaml:9:43: spec.services[0].autostart: must be true or false, "
	  "not an integer", "web", 1 },
	{ "minMachinesRunning", HEAD
	  "  services: [{internalPort: 1, minMachinesRunning: -1}]\n",
	  "t.yaml:9:52: spec.services[0].minMachinesRunning: must be between "
	  "0 and 100", "web", 1 },
	{ "services not a list", HEAD "  services: {internalPort: 1}\n",
	  "t.yaml:9:13: spec.services: must be a list, not a mapping", "web",
	  1 },
	{ "http check without path", HEAD
	  "  checks:\n    web: {type: http, port: 80}\n",
	  "t.yaml:10:10: spec.checks.web: missing required field \"path\" "
	  "(http checks need one)", "web", 1 },
	{ "tcp check with path", HEAD
	  "  checks:\n    tcp: {type: tcp, port: 80, path: /}\n",
	  "t.yaml:10:32: spec.checks.tcp: field \"path\" applies to http "
	  "checks only", "web", 1 },
	{ "check without type", HEAD
	  "  checks:\n    web:\n      port: 80\n",
	  "t.yaml:11:7: spec.checks.web: missing required field \"type\"",
	  "web", 1 },
	{ "check name", HEAD
	  "  checks:\n    \"my check\": {type: tcp, port: 80}\n",
	  "t.yaml:10:5: spec.checks.my check: invalid check name \"my "
	  "check\": use at most 31 letters, digits, '-' and '_'", "web", 1 },
	{ "check method", HEAD "  checks:\n    web: {type: http, port: 80,"
	  " path: /, method: get}\n",
	  "t.yaml:10:50: spec.checks.web.method: must be \"GET\", \"HEAD\", "
	  "\"POST\", \"PUT\", \"PATCH\", \"DELETE\" or \"OPTIONS\", not "
	  "\"get\"", "web", 1 },
	{ "check path", HEAD "  checks:\n    web: {type: http, port: 80,"
	  " path: health}\n",
	  "t.yaml:10:39: spec.checks.web.path: must start with '/' and "
	  "contain no spaces", "web", 1 },
	{ "check interval", HEAD "  checks:\n    web: {type: tcp, port: 80,"
	  " interval: soon}\n",
	  "t.yaml:10:42: spec.checks.web.interval: must be a duration such as "
	  "\"10s\" or \"1m30s\"", "web", 1 },
	{ "check interval fraction", HEAD "  checks:\n    web: {type: tcp,"
	  " port: 80, interval: 1500ms}\n",
	  "t.yaml:10:42: spec.checks.web.interval: must be a whole number of "
	  "seconds", "web", 1 },
	{ "check timeout zero", HEAD "  checks:\n    web: {type: tcp,"
	  " port: 80, timeout: 0s}\n",
	  "t.yaml:10:41: spec.checks.web.timeout: must be between 1s and "
	  "3600s", "web", 1 },
	{ "checks not a mapping", HEAD "  checks: [health]\n",
	  "t.yaml:9:11: spec.checks: must be a mapping, not a list", "web",
	  1 },
	{ "duplicate check", HEAD "  checks:\n"
	  "    a: {type: tcp, port: 1}\n    a: {type: tcp, port: 2}\n",
	  "t.yaml:11:5: spec.checks: duplicate key \"a\"", "web", 1 },
	{ "env reserved", HEAD "  env:\n    PRIMARY_REGION: fra\n",
	  "t.yaml:10:5: spec.env.PRIMARY_REGION: PRIMARY_REGION is set by the "
	  "controller for each machine; remove it", "web", 1 },
	{ "env name", HEAD "  env:\n    my-var: x\n",
	  "t.yaml:10:5: spec.env.my-var: invalid variable name \"my-var\": "
	  "use letters, digits and '_', not starting with a digit", "web", 1 },
	{ "env null", HEAD "  env:\n    EMPTY:\n",
	  "t.yaml:10:11: spec.env.EMPTY: must not be null; write \"\" for an "
	  "empty value", "web", 1 },
	{ "env list", HEAD "  env:\n    LIST: [a]\n",
	  "t.yaml:10:11: spec.env.LIST: must be a string, not a list", "web",
	  1 },
	{ "env not a mapping", HEAD "  env: [A=1]\n",
	  "t.yaml:9:8: spec.env: must be a mapping, not a list", "web", 1 },
	{ "strategy", HEAD "  strategy: {type: canary}\n",
	  "t.yaml:9:20: spec.strategy.type: unsupported strategy \"canary\"; "
	  "supported: bluegreen, rolling, immediate", "web", 1 },
	{ "health timeout", HEAD "  strategy: {healthTimeout: 2h}\n",
	  "t.yaml:9:29: spec.strategy.healthTimeout: must be between 2s and "
	  "3600s", "web", 1 },
	{ "surge and unavailable both 0", HEAD
	  "  strategy: {maxSurge: 0, maxUnavailable: 0%}\n",
	  "t.yaml:9:13: spec.strategy: maxSurge and maxUnavailable must not "
	  "both be 0", "web", 1 },
	{ "surge word", HEAD "  strategy: {maxSurge: lots}\n",
	  "t.yaml:9:24: spec.strategy.maxSurge: must be a count or a "
	  "percentage such as \"25%\"", "web", 1 },
	{ "unavailable percent", HEAD "  strategy: {maxUnavailable: 150%}\n",
	  "t.yaml:9:30: spec.strategy.maxUnavailable: must be a percentage "
	  "from 0% to 100%", "web", 1 },
	{ "surge count", HEAD "  strategy: {maxSurge: 101}\n",
	  "t.yaml:9:24: spec.strategy.maxSurge: must be between 0 and 100",
	  "web", 1 },
	{ "min ready", HEAD "  strategy: {minReadySeconds: 10s}\n",
	  "t.yaml:9:31: spec.strategy.minReadySeconds: must be an integer, "
	  "not a string", "web", 1 },
	{ "parallel regions", HEAD "  strategy: {maxParallelRegions: 29}\n",
	  "t.yaml:9:34: spec.strategy.maxParallelRegions: must be between 0 "
	  "and 28", "web", 1 },
	{ "primary first", HEAD "  strategy: {primaryFirst: 1}\n",
	  "t.yaml:9:28: spec.strategy.primaryFirst: must be true or false, "
	  "not an integer", "web", 1 },
	{ "progress deadline", HEAD "  strategy: {progressDeadline: 1s}\n",
	  "t.yaml:9:32: spec.strategy.progressDeadline: must be between 2s "
	  "and 86400s", "web", 1 },
	{ "labels", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	  "metadata:\n  name: web\n  labels: {team: [a]}\n"
	  "spec: {app: web, image: i, primaryRegion: iad}\n",
	  "t.yaml:5:18: metadata.labels.team: must be a string, not a list",
	  "web", 1 },
	{ "non-string key", HEAD "  ? [a]\n  : b\n",
	  "t.yaml:9:5: spec: keys must be strings", "web", 1 },
	{ "document is a list", "- a\n- b\n",
	  "t.yaml:1:1: a RegionSet document must be a mapping, not a list",
	  "", 1 },
	{ "several errors", HEAD7 "  primaryRegion: qq\n  primaryCount: 0\n"
	  "  regions: [fra, fra]\n",
	  "t.yaml:8:18: spec.primaryRegion: unknown region \"qq\"", "web", 3 },
};

/* 0 when the case holds; otherwise says why. Every row runs, so one
 * run shows every mismatch. */
static int
check_err_case(const struct err_case *c)
{
	struct yaml_load ld;
	int bad = 1;

	load(c->yaml, &ld);
	if (ld.errors.n == 0)
		print_error("%s: no error\n", c->name);
	else if (strcmp(err_text(&ld, 0), c->want) != 0)
		print_error("%s:\n got: %s\nwant: %s\n", c->name,
			    err_text(&ld, 0), c->want);
	else if (c->nerrs > 0 && ld.errors.n != c->nerrs)
		print_error("%s: %zu errors, want %zu (second: %s)\n",
			    c->name, ld.errors.n, c->nerrs,
			    ld.errors.n > 1 ? err_text(&ld, 1) : "-");
	else if (strcmp(ld.errors.items[0].set, c->set) != 0)
		print_error("%s: set \"%s\", want \"%s\"\n", c->name,
			    ld.errors.items[0].set, c->set);
	/* An error without a set name fails the whole file. */
	else if (ld.files[0].failed != (c->set[0] == '\0') ||
		 ld.nsets != 0 || ld.source_failed)
		print_error("%s: failed=%d nsets=%zu source_failed=%d\n",
			    c->name, ld.files[0].failed, ld.nsets,
			    ld.source_failed);
	else
		bad = 0;
	yaml_load_free(&ld);
	return bad;
}

static void
test_errors(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		bad += check_err_case(&err_cases[i]);
	assert_int_equal(bad, 0);
}

/*
 * YAML-level problems: the whole file fails, no set comes out of it.
 */
struct syntax_case {
	const char *name;
	const char *yaml;
	const char *want;       /* prefix of the formatted error */
};

static const struct syntax_case syntax_cases[] = {
	{ "bad indentation", HEAD " oops: [\n",
	  "t.yaml:9:2: invalid YAML: " },
	{ "unclosed flow", HEAD "  regions: [fra\n",
	  "t.yaml:10:1: invalid YAML: " },
	{ "tab", "a: b\n\tc: d\n", "t.yaml:2:1: invalid YAML: " },
	{ "invalid UTF-8", HEAD "  app: \"\xc3\x28\"\n",
	  "t.yaml:9:10: invalid YAML: invalid" },
	{ "anchor", HEAD "  app: &a web\n",
	  "t.yaml:9:8: anchors and aliases are not supported (&a)" },
	{ "alias", "a: [1]\nb: *x\n",
	  "t.yaml:2:4: anchors and aliases are not supported (*x)" },
	{ "custom tag", HEAD "  env: !secret {A: b}\n",
	  "t.yaml:9:8: unsupported tag \"!secret\"" },
	{ "good document, then a bad one", HEAD "---\n" HEAD " x: [\n",
	  "t.yaml:18:2: invalid YAML: " },
};

static void
test_syntax_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]);
	     i++) {
		const struct syntax_case *c = &syntax_cases[i];
		struct yaml_load ld;

		load(c->yaml, &ld);
		if (ld.errors.n != 1)
			fail_msg("%s: %zu errors", c->name, ld.errors.n);
		if (strncmp(err_text(&ld, 0), c->want, strlen(c->want)) != 0)
			fail_msg("%s:\n got: %s\nwant: %s...", c->name,
				 err_text(&ld, 0), c->want);
		assert_string_equal(ld.errors.items[0].set, "");
		assert_int_equal(ld.files[0].failed, 1);
		assert_int_equal(ld.nsets, 0);
		yaml_load_free(&ld);
	}
}

static void
test_limits(void **state)
{
	size_t big = (4u << 20) + 1, i;
	char *buf = malloc(big), deep[200];
	struct yaml_load ld;

	(void)state;
	assert_non_null(buf);
	memset(buf, '#', big);
	memset(&ld, 0, sizeof(ld));
	yaml_load_buffer("big.yaml", buf, big, &ld);
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(err_text(&ld, 0), "big.yaml: file is larger "
			    "than 4194304 bytes");
	assert_int_equal(ld.files[0].failed, 1);
	yaml_load_free(&ld);
	free(buf);

	for (i = 0; i < 40; i++)
		deep[i] = '[';
	deep[i] = '\0';
	load(deep, &ld);
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(err_text(&ld, 0), "t.yaml:1:33: nesting deeper "
			    "than 32 levels");
	yaml_load_free(&ld);
}

/*
 * Several documents per file.
 */
static void
test_multi_document(void **state)
{
	static const char text[] =
		"---\n"
		HEAD
		"---\n"
		"# only a comment\n"
		"---\n"
		"apiVersion: rhone.dev/v1\nkind: RegionSet\n"
		"metadata: {name: two}\n"
		"spec: {app: two, image: i, primaryRegion: fra}\n"
		"---\n";
	struct yaml_load ld;

	(void)state;
	load(text, &ld);
	assert_int_equal(ld.errors.n, 0);
	assert_int_equal(ld.nsets, 2);
	assert_string_equal(ld.sets[0]->name, "web");
	assert_int_equal(ld.sets[0]->origin.line, 2);
	assert_string_equal(ld.sets[1]->name, "two");
	assert_int_equal(ld.sets[1]->origin.line, 13);
	yaml_load_free(&ld);
}

/* A named set with an error drops only itself; an unnamed one fails the
 * file, since nobody can tell which set it was meant to be. */
static void
test_multi_document_errors(void **state)
{
	struct yaml_load ld;

	(void)state;
	load(HEAD "  regions: [xyz9]\n---\n"
	     "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
	     "metadata: {name: two}\n"
	     "spec: {app: two, image: i, primaryRegion: fra}\n", &ld);
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(ld.errors.items[0].set, "web");
	assert_int_equal(ld.files[0].failed, 0);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "two");
	yaml_load_free(&ld);

	load(HEAD "---\nkind: RegionSet\n", &ld);
	assert_int_equal(ld.files[0].failed, 1);
	assert_int_equal(ld.nsets, 0);
	assert_string_equal(err_text(&ld, 0), "t.yaml:10:1: missing required "
			    "field \"apiVersion\"");
	yaml_load_free(&ld);
}

/*
 * Folders.
 */
static char tmp_root[64];

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp_root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
make_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp_root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Rotating buffers: one format call may take several paths. */
static const char *
tmp_path(const char *rel)
{
	static char paths[4][128];
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s%s%.48s", tmp_root,
		 *rel ? "/" : "", rel);
	return p;
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/rhone-yaml-XXXXXX");
	return mkdtemp(tmp_root) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
set_doc(const char *name, const char *app)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "apiVersion: rhone.dev/v1\n"
		 "kind: RegionSet\nmetadata: {name: %s}\n"
		 "spec: {app: %s, image: i, primaryRegion: iad}\n", name, app);
	return buf;
}

static void
test_folder_nested(void **state)
{
	struct yaml_load ld;

	(void)state;
	make_dir("sub");
	make_dir("sub/deeper");
	make_dir(".hidden");
	write_file("b.yaml", set_doc("b", "app-b"));
	write_file("a.yml", set_doc("a", "app-a"));
	write_file("sub/c.yaml", set_doc("c", "app-c"));
	write_file("sub/deeper/d.yaml", set_doc("d", "app-d"));
	write_file(".hidden/x.yaml", set_doc("x", "app-x"));
	write_file(".skip.yaml", set_doc("y", "app-y"));
	write_file("notes.txt", "not yaml: [");
	write_file("empty.yaml", "");

	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), 0);
	assert_int_equal(ld.source_failed, 0);
	assert_int_equal(ld.nfiles, 5);
	assert_int_equal(ld.nsets, 4);
	/* Sorted walk: a.yml, b.yaml, empty.yaml, sub/c, sub/deeper/d. */
	assert_string_equal(ld.sets[0]->name, "a");
	assert_string_equal(ld.sets[1]->name, "b");
	assert_string_equal(ld.sets[2]->name, "c");
	assert_string_equal(ld.sets[3]->name, "d");
	assert_string_equal(ld.sets[3]->origin.file,
			    tmp_path("sub/deeper/d.yaml"));
	assert_string_equal(ld.files[2].path, tmp_path("empty.yaml"));
	yaml_load_free(&ld);
}

static void
test_folder_failed_file(void **state)
{
	struct yaml_load ld;

	(void)state;
	write_file("bad.yaml", "apiVersion: [\n");
	write_file("good.yaml", set_doc("good", "good"));
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.source_failed, 0);
	assert_int_equal(ld.nfiles, 2);
	assert_string_equal(ld.files[0].path, tmp_path("bad.yaml"));
	assert_int_equal(ld.files[0].failed, 1);
	assert_int_equal(ld.files[1].failed, 0);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "good");
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(ld.errors.items[0].file, tmp_path("bad.yaml"));
	assert_int_equal(ld.errors.items[0].line, 2);
	yaml_load_free(&ld);
}

/* Files are read whole and capped at 4 MiB; a long valid file is fine. */
static void
test_folder_file_sizes(void **state)
{
	char path[256], *pad = malloc(1 << 16);
	struct yaml_load ld;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(pad);
	memset(pad, '#', (1 << 16) - 1);
	pad[(1 << 16) - 2] = '\n';
	pad[(1 << 16) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/long.yaml", tmp_root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(pad, f);
	fputs(set_doc("long", "long"), f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/huge.yaml", tmp_root);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 65; i++)
		fputs(pad, f);
	fclose(f);
	free(pad);

	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "long");
	assert_int_equal(ld.sets[0]->origin.line, 2);
	assert_int_equal(ld.errors.n, 1);
	assert_true(has_error(&ld, "huge.yaml: file is larger than 4194304 "
			      "bytes"));
	assert_int_equal(ld.files[0].failed, 1);
	assert_int_equal(ld.source_failed, 0);
	yaml_load_free(&ld);
}

static void
test_folder_empty(void **state)
{
	struct yaml_load ld;
	char want[1024];

	(void)state;
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.source_failed, 1);
	assert_int_equal(ld.nsets, 0);
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(err_text(&ld, 0), "no RegionSet found in the "
			    "source; an empty source is refused, never read as "
			    "zero apps");
	yaml_load_free(&ld);

	/* Files with no documents are no better. */
	write_file("blank.yaml", "# nothing here\n");
	write_file("dashes.yaml", "---\n---\n");
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.source_failed, 1);
	assert_int_equal(ld.nfiles, 2);
	yaml_load_free(&ld);

	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_path("missing"), &ld), -1);
	assert_int_equal(ld.source_failed, 1);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or "
		 "directory", tmp_path("missing"));
	assert_string_equal(err_text(&ld, 0), want);
	yaml_load_free(&ld);
}

/* Only invalid sets: not "empty", since the errors name them. */
static void
test_folder_only_invalid(void **state)
{
	struct yaml_load ld;

	(void)state;
	write_file("web.yaml", HEAD "  regions: [zzzz]\n");
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.source_failed, 0);
	assert_int_equal(ld.errors.n, 1);
	assert_string_equal(ld.errors.items[0].set, "web");
	yaml_load_free(&ld);
}

static void
test_symlink_loop(void **state)
{
	struct yaml_load ld;

	(void)state;
	write_file("a.yaml", set_doc("a", "a"));
	assert_int_equal(symlink(".", tmp_path("loop")), 0);
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.source_failed, 1);
	assert_true(has_error(&ld, "folders nested deeper than 16 levels"));
	yaml_load_free(&ld);
}

static void
test_duplicate_names(void **state)
{
	struct yaml_load ld;
	char want[1024];

	(void)state;
	write_file("one.yaml", set_doc("web", "web-one"));
	write_file("two.yaml", set_doc("web", "web-two"));
	write_file("zz.yaml", set_doc("other", "other"));
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "other");
	assert_int_equal(ld.errors.n, 2);
	/* Each error points at the name itself, in both files. */
	snprintf(want, sizeof(want), "%s:3:18: metadata.name: duplicate "
		 "RegionSet name \"web\"; also defined at %s:3:18",
		 tmp_path("one.yaml"), tmp_path("two.yaml"));
	assert_string_equal(err_text(&ld, 0), want);
	snprintf(want, sizeof(want), "%s:3:18: metadata.name: duplicate "
		 "RegionSet name \"web\"; also defined at %s:3:18",
		 tmp_path("two.yaml"), tmp_path("one.yaml"));
	assert_string_equal(err_text(&ld, 1), want);
	assert_string_equal(ld.errors.items[1].set, "web");
	assert_int_equal(ld.source_failed, 0);
	yaml_load_free(&ld);
}

static void
test_duplicate_apps(void **state)
{
	struct yaml_load ld;
	char want[1024];

	(void)state;
	write_file("one.yaml", set_doc("first", "shared-app"));
	write_file("two.yaml", HEAD "---\n" "apiVersion: rhone.dev/v1\n"
		   "kind: RegionSet\nmetadata: {name: second}\n"
		   "spec: {app: shared-app, image: i, primaryRegion: iad}\n");
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(tmp_root, &ld), -1);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "web");
	assert_int_equal(ld.errors.n, 2);
	snprintf(want, sizeof(want), "%s:4:13: spec.app: app \"shared-app\" "
		 "is also managed by RegionSet \"second\" (%s:13:13); one app, "
		 "one RegionSet", tmp_path("one.yaml"), tmp_path("two.yaml"));
	assert_string_equal(err_text(&ld, 0), want);
	assert_string_equal(ld.errors.items[0].set, "first");
	assert_string_equal(ld.errors.items[1].set, "second");
	yaml_load_free(&ld);
}

/* Several paths accumulate; the cross-set checks span all of them. */
static void
test_load_paths(void **state)
{
	struct yaml_load ld;

	(void)state;
	make_dir("x");
	make_dir("y");
	write_file("x/a.yaml", set_doc("a", "a"));
	write_file("y/a.yaml", set_doc("a", "other"));
	write_file("y/b.yaml", set_doc("b", "b"));
	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_path(tmp_path("x"), &ld), 0);
	assert_int_equal(yaml_load_path(tmp_path("y/b.yaml"), &ld), 0);
	assert_int_equal(yaml_load_path(tmp_path("y/a.yaml"), &ld), 0);
	assert_int_equal(ld.nsets, 3);
	yaml_load_finish(&ld);
	assert_int_equal(ld.nsets, 1);
	assert_string_equal(ld.sets[0]->name, "b");
	assert_int_equal(ld.errors.n, 2);
	yaml_load_free(&ld);
}

/* The repository's examples, from the root (make unit) or from
 * tests/unit. */
static const char *
examples_dir(void)
{
	return access("examples/regionsets", R_OK) == 0 ? "examples" :
	       "../../examples";
}

static void
test_examples(void **state)
{
	char good[64], bad[64], want[256];
	struct yaml_load ld;

	(void)state;
	snprintf(good, sizeof(good), "%s/regionsets", examples_dir());
	snprintf(bad, sizeof(bad), "%s/broken", examples_dir());
	memset(&ld, 0, sizeof(ld));
	if (yaml_load_dir(good, &ld) != 0)
		fail_msg("examples: %s", ld.errors.n ? err_text(&ld, 0) : "?");
	assert_int_equal(ld.nsets, 3);
	assert_string_equal(ld.sets[0]->name, "acme-web");
	assert_int_equal(ld.sets[0]->nregions, 3);
	assert_string_equal(ld.sets[1]->name, "atlas-api");
	assert_int_equal(ld.sets[1]->regions[2].count, 3);
	assert_string_equal(ld.sets[2]->name, "hello");
	assert_string_equal(ld.sets[2]->app, "hello-rhone");
	yaml_load_free(&ld);

	memset(&ld, 0, sizeof(ld));
	assert_int_equal(yaml_load_dir(bad, &ld), -1);
	assert_int_equal(ld.source_failed, 0);
	assert_int_equal(ld.errors.n, 1);
	snprintf(want, sizeof(want), "%s/typo-region.yaml:15:7: "
		 "spec.regions[0]: unknown region \"fra1\"; did you mean "
		 "\"fra\"?", bad);
	assert_string_equal(err_text(&ld, 0), want);
	yaml_load_free(&ld);
}

/* Every prefix and many one-byte changes of a full document: whatever
 * comes out, nothing may crash or leak (run under SAN=1). */
static void
test_mangled_input(void **state)
{
	size_t len = strlen(full_doc), i;
	char *buf = malloc(len + 1);
	static const char bytes[] = { ':', '-', '[', '{', '&', '*', '\'',
		'"', '\n', ' ', '\t', '\0', '!', '#', '|', '>' };

	(void)state;
	assert_non_null(buf);
	for (i = 0; i <= len; i++) {
		struct yaml_load ld;
		memset(&ld, 0, sizeof(ld));
		yaml_load_buffer("p.yaml", full_doc, i, &ld);
		yaml_load_free(&ld);
	}
	for (i = 0; i < len; i++) {
		struct yaml_load ld;
		memcpy(buf, full_doc, len + 1);
		buf[i] = bytes[i % sizeof(bytes)];
		memset(&ld, 0, sizeof(ld));
		yaml_load_buffer("m.yaml", buf, len, &ld);
		yaml_load_free(&ld);
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty_services_and_checks),
		cmocka_unit_test(test_guest_resolution),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_multi_document_errors),
		cmocka_unit_test_setup_teardown(test_folder_nested, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_folder_failed_file,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_folder_file_sizes,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_folder_empty, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_folder_only_invalid,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_symlink_loop, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_duplicate_names,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_duplicate_apps, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_paths, setup_tmp,
						teardown_tmp),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_mangled_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
