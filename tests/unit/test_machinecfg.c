/* test_machinecfg.c - the machine config built per region, its identity
 * hash and the create request body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "machinecfg.h"
#include "regionset.h"

/* The default set of the design: primary iad, two machines in fra. */
static struct regionset *
make_set(void)
{
	struct regionset *rs = calloc(1, sizeof(*rs));

	assert_non_null(rs);
	assert_int_equal(rs_init_defaults(rs), 0);
	strcpy(rs->name, "web");
	strcpy(rs->app, "web-app");
	rs->image = strdup("registry.fly.io/web:v1");
	strcpy(rs->regions[0].code, "iad");
	rs->regions[0].count = 1;
	rs->regions[0].primary = 1;
	strcpy(rs->regions[1].code, "fra");
	rs->regions[1].count = 2;
	rs->nregions = 2;
	assert_int_equal(rs_finalize(rs), 0);
	return rs;
}

static void
set_env(struct regionset *rs, const char *key, const char *value)
{
	rs->env = realloc(rs->env, (size_t)(rs->nenv + 1) * sizeof(*rs->env));
	assert_non_null(rs->env);
	rs->env[rs->nenv].key = strdup(key);
	rs->env[rs->nenv].value = strdup(value);
	rs->nenv++;
}

/* Walk a dotted path ("services.0.ports.1.port") through objects and
 * arrays; NULL when any step is missing. */
static json_object *
jget(json_object *o, const char *path)
{
	char buf[128], *save = NULL, *part;

	strcpy(buf, path);
	for (part = strtok_r(buf, ".", &save); part && o;
	     part = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(part));
		else if (!json_object_object_get_ex(o, part, &o))
			o = NULL;
	}
	return o;
}

static const char *
jstr(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	return v && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "(missing)";
}

static int
jint(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	return v && json_object_is_type(v, json_type_int) ?
	       json_object_get_int(v) : -12345;
}

static void
test_primary_defaults(void **state)
{
	struct regionset *rs = make_set();
	json_object *c = mcfg_build(rs, &rs->regions[0]);

	(void)state;
	assert_non_null(c);
	assert_string_equal(jstr(c, "image"), "registry.fly.io/web:v1");
	assert_string_equal(jstr(c, "env.PRIMARY_REGION"), "iad");
	assert_string_equal(jstr(c, "env.FLY_REGION"), "iad");
	assert_string_equal(jstr(c, "guest.cpu_kind"), "shared");
	assert_int_equal(jint(c, "guest.cpus"), 1);
	assert_int_equal(jint(c, "guest.memory_mb"), 512);
	assert_string_equal(jstr(c, "services.0.protocol"), "tcp");
	assert_int_equal(jint(c, "services.0.internal_port"), 8080);
	assert_int_equal(jint(c, "services.0.ports.0.port"), 80);
	assert_string_equal(jstr(c, "services.0.ports.0.handlers.0"), "http");
	assert_null(jget(c, "services.0.ports.0.handlers.1"));
	assert_int_equal(jint(c, "services.0.ports.1.port"), 443);
	assert_string_equal(jstr(c, "services.0.ports.1.handlers.0"), "tls");
	assert_string_equal(jstr(c, "services.0.ports.1.handlers.1"), "http");
	assert_null(jget(c, "services.0.ports.1.force_https"));
	assert_string_equal(jstr(c, "services.0.concurrency.type"),
			    "connections");
	assert_int_equal(jint(c, "services.0.concurrency.soft_limit"), 80);
	assert_int_equal(jint(c, "services.0.concurrency.hard_limit"), 100);
	assert_null(jget(c, "services.0.autostop"));
	assert_null(jget(c, "services.0.autostart"));
	assert_null(jget(c, "services.0.min_machines_running"));
	assert_string_equal(jstr(c, "checks.health.type"), "http");
	assert_int_equal(jint(c, "checks.health.port"), 8080);
	assert_string_equal(jstr(c, "checks.health.path"), "/health");
	assert_string_equal(jstr(c, "checks.health.method"), "GET");
	assert_string_equal(jstr(c, "checks.health.interval"), "10s");
	assert_string_equal(jstr(c, "checks.health.timeout"), "5s");
	assert_null(jget(c, "checks.health.grace_period"));
	assert_string_equal(jstr(c, "restart.policy"), "always");
	assert_null(jget(c, "metadata"));
	json_object_put(c);
	rs_free(rs);
}

static void
test_replica(void **state)
{
	struct regionset *rs = make_set();
	json_object *c;

	(void)state;
	set_env(rs, "LOG_LEVEL", "debug");
	c = mcfg_build(rs, &rs->regions[1]);
	assert_non_null(c);
	assert_int_equal(jint(c, "guest.memory_mb"), 256);
	assert_string_equal(jstr(c, "env.PRIMARY_REGION"), "iad");
	assert_string_equal(jstr(c, "env.FLY_REGION"), "fra");
	assert_string_equal(jstr(c, "env.LOG_LEVEL"), "debug");
	assert_int_equal(json_object_object_length(jget(c, "env")), 3);
	json_object_put(c);
	rs_free(rs);
}

static void
test_optional_fields(void **state)
{
	struct regionset *rs = make_set();
	struct rs_service *s = &rs->services[0];
	json_object *c;

	(void)state;
	strcpy(s->autostop, "suspend");
	s->autostart = 0;
	s->min_machines_running = 2;
	s->ports[0].force_https = 1;
	rs->checks[0].grace_s = 30;
	strcpy(rs->checks[0].type, "tcp");
	c = mcfg_build(rs, &rs->regions[0]);
	assert_string_equal(jstr(c, "services.0.autostop"), "suspend");
	assert_true(json_object_is_type(jget(c, "services.0.autostart"),
					json_type_boolean));
	assert_false(json_object_get_boolean(jget(c, "services.0.autostart")));
	assert_int_equal(jint(c, "services.0.min_machines_running"), 2);
	assert_true(json_object_get_boolean(
		jget(c, "services.0.ports.0.force_https")));
	assert_string_equal(jstr(c, "checks.health.grace_period"), "30s");
	/* A tcp check has no method or path. */
	assert_null(jget(c, "checks.health.path"));
	assert_null(jget(c, "checks.health.method"));
	json_object_put(c);

	rs->nservices = 0;
	rs->nchecks = 0;
	c = mcfg_build(rs, &rs->regions[0]);
	assert_null(jget(c, "services"));
	assert_null(jget(c, "checks"));
	json_object_put(c);
	rs_free(rs);
}

/*
 * The hash: stable, and a function of the config and nothing else.
 */

/* The default primary config's hash: FNV-1a 64 of the config printed
 * with sorted keys and no spaces, which any JSON tool can reproduce. It
 * must never change by accident: a new value replaces every machine of
 * every set on upgrade. */
#define GOLDEN_PRIMARY_HASH "31965d2d56dbd240"

static void
test_hash_stable(void **state)
{
	struct regionset *rs = make_set(), *copy;
	char h1[RS_HASH_LEN + 1], h2[RS_HASH_LEN + 1];
	size_t i;

	(void)state;
	assert_int_equal(mcfg_hash(rs, &rs->regions[0], h1), 0);
	assert_int_equal(mcfg_hash(rs, &rs->regions[0], h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), RS_HASH_LEN);
	for (i = 0; i < RS_HASH_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", h1[i]));
	assert_string_equal(h1, rs->regions[0].config_hash);
	assert_string_equal(h1, GOLDEN_PRIMARY_HASH);

	/* Primary and replica differ (guest and FLY_REGION). */
	assert_string_not_equal(rs->regions[0].config_hash,
				rs->regions[1].config_hash);

	/* The set's name is metadata, not config. */
	copy = rs_clone(rs);
	strcpy(copy->name, "renamed");
	assert_int_equal(mcfg_hash(copy, &copy->regions[0], h2), 0);
	assert_string_equal(h1, h2);
	rs_free(copy);
	rs_free(rs);
}

enum change {
	CH_IMAGE, CH_ENV_ADD, CH_ENV_VALUE, CH_GUEST, CH_PRIMARY_GUEST,
	CH_CPUS, CH_PORT, CH_HANDLER, CH_CHECK_INTERVAL, CH_CHECK_PATH,
	CH_NO_SERVICES, CH_PRIMARY_REGION, CH_COUNT, CH_AUTOSTOP
};

struct hash_case {
	const char *name;
	enum change change;
	int primary_changes;    /* does the primary's hash change? */
	int replica_changes;
};

static const struct hash_case hash_cases[] = {
	{ "image", CH_IMAGE, 1, 1 },
	{ "env added", CH_ENV_ADD, 1, 1 },
	{ "env value", CH_ENV_VALUE, 1, 1 },
	{ "replica memory", CH_GUEST, 0, 1 },
	{ "primary memory", CH_PRIMARY_GUEST, 1, 0 },
	{ "replica cpus", CH_CPUS, 0, 1 },
	{ "service port", CH_PORT, 1, 1 },
	{ "handler order", CH_HANDLER, 1, 1 },
	{ "check interval", CH_CHECK_INTERVAL, 1, 1 },
	{ "check path", CH_CHECK_PATH, 1, 1 },
	{ "no services", CH_NO_SERVICES, 1, 1 },
	{ "primary moved", CH_PRIMARY_REGION, 1, 1 },
	{ "machine count", CH_COUNT, 0, 0 },
	{ "autostop", CH_AUTOSTOP, 1, 1 },
};

static void
apply_change(struct regionset *rs, enum change ch)
{
	switch (ch) {
	case CH_IMAGE:
		free(rs->image);
		rs->image = strdup("registry.fly.io/web:v2");
		break;
	case CH_ENV_ADD:
		set_env(rs, "A", "1");
		break;
	case CH_ENV_VALUE:
		set_env(rs, "A", "2");
		break;
	case CH_GUEST: rs->guest.memory_mb = 512; break;
	case CH_PRIMARY_GUEST: rs->primary_guest.memory_mb = 1024; break;
	case CH_CPUS: rs->guest.cpus = 2; break;
	case CH_PORT: rs->services[0].internal_port = 3000; break;
	case CH_HANDLER:
		strcpy(rs->services[0].ports[1].handlers[0], "http");
		strcpy(rs->services[0].ports[1].handlers[1], "tls");
		break;
	case CH_CHECK_INTERVAL: rs->checks[0].interval_s = 15; break;
	case CH_CHECK_PATH: strcpy(rs->checks[0].path, "/ready"); break;
	case CH_NO_SERVICES: rs->nservices = 0; break;
	case CH_PRIMARY_REGION: strcpy(rs->regions[0].code, "lhr"); break;
	case CH_COUNT: rs->regions[1].count = 5; break;
	case CH_AUTOSTOP: strcpy(rs->services[0].autostop, "off"); break;
	}
}

static void
test_hash_changes(void **state)
{
	struct regionset *base = make_set();
	size_t i;

	(void)state;
	/* An env with one variable is the base of the "env value" row. */
	for (i = 0; i < sizeof(hash_cases) / sizeof(hash_cases[0]); i++) {
		const struct hash_case *c = &hash_cases[i];
		struct regionset *rs = rs_clone(base);
		struct regionset *ref = rs_clone(base);

		if (c->change == CH_ENV_VALUE)
			apply_change(ref, CH_ENV_ADD);
		assert_int_equal(rs_finalize(ref), 0);
		apply_change(rs, c->change);
		assert_int_equal(rs_finalize(rs), 0);
		if ((strcmp(rs->regions[0].config_hash,
			    ref->regions[0].config_hash) != 0) !=
		    c->primary_changes)
			fail_msg("%s: primary hash", c->name);
		if ((strcmp(rs->regions[1].config_hash,
			    ref->regions[1].config_hash) != 0) !=
		    c->replica_changes)
			fail_msg("%s: replica hash", c->name);
		rs_free(rs);
		rs_free(ref);
	}
	rs_free(base);
}

static void
test_create_body(void **state)
{
	struct regionset *rs = make_set();
	char *text = mcfg_create_body(rs, &rs->regions[1], "launch-1");
	json_object *b;

	(void)state;
	assert_non_null(text);
	b = json_tokener_parse(text);
	assert_non_null(b);
	assert_string_equal(jstr(b, "region"), "fra");
	assert_string_equal(jstr(b, "config.image"), "registry.fly.io/web:v1");
	assert_string_equal(jstr(b, "config.env.FLY_REGION"), "fra");
	assert_string_equal(jstr(b, "config.metadata." MCFG_MANAGED_BY_KEY),
			    MCFG_MANAGED_BY_VALUE);
	assert_string_equal(jstr(b, "config.metadata." MCFG_SET_KEY), "web");
	assert_string_equal(jstr(b, "config.metadata." MCFG_HASH_KEY),
			    rs->regions[1].config_hash);
	assert_string_equal(jstr(b, "config.metadata." MCFG_LAUNCH_KEY),
			    "launch-1");
	/* Slashes stay as written. */
	assert_non_null(strstr(text, "registry.fly.io/web:v1"));
	json_object_put(b);
	free(text);

	/* Without a finalized hash the body computes one. */
	rs->regions[1].config_hash[0] = '\0';
	text = mcfg_create_body(rs, &rs->regions[1], NULL);
	b = json_tokener_parse(text);
	assert_int_equal(strlen(jstr(b, "config.metadata." MCFG_HASH_KEY)),
			 RS_HASH_LEN);
	assert_null(jget(b, "config.metadata." MCFG_LAUNCH_KEY));
	json_object_put(b);
	free(text);
	rs_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary_defaults),
		cmocka_unit_test(test_replica),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_hash_stable),
		cmocka_unit_test(test_hash_changes),
		cmocka_unit_test(test_create_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
