/* test_regionset.c - the RegionSet model: defaults, spec hash, deep
 * copies, region look-ups and error formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "regionset.h"

static struct regionset *
make_set(void)
{
	struct regionset *rs = calloc(1, sizeof(*rs));

	assert_non_null(rs);
	assert_int_equal(rs_init_defaults(rs), 0);
	strcpy(rs->name, "web");
	strcpy(rs->app, "web");
	rs->image = strdup("img:1");
	strcpy(rs->regions[0].code, "iad");
	rs->regions[0].count = 1;
	rs->regions[0].primary = 1;
	strcpy(rs->regions[1].code, "nrt");
	rs->regions[1].count = 3;
	rs->nregions = 2;
	rs->env = calloc(1, sizeof(*rs->env));
	rs->env[0].key = strdup("K");
	rs->env[0].value = strdup("v");
	rs->nenv = 1;
	rs->origin.file = strdup("a.yaml");
	assert_int_equal(rs_finalize(rs), 0);
	return rs;
}

static void
test_defaults(void **state)
{
	struct regionset rs;

	(void)state;
	assert_int_equal(rs_init_defaults(&rs), 0);
	assert_int_equal(rs.nregions, 0);
	assert_null(rs.image);
	assert_int_equal(rs.guest.memory_mb, 256);
	assert_int_equal(rs.primary_guest.memory_mb, 512);
	assert_int_equal(rs.nservices, 1);
	assert_int_equal(rs.services[0].ports[1].port, 443);
	assert_int_equal(rs.nchecks, 1);
	assert_string_equal(rs.checks[0].name, "health");
	assert_string_equal(rs.strategy, "bluegreen");
	assert_int_equal(rs.health_timeout_s, 300);
	free(rs.services);
	free(rs.checks);
}

static void
test_spec_hash(void **state)
{
	struct regionset *a = make_set(), *b = make_set();

	(void)state;
	assert_int_equal(strlen(a->spec_hash), RS_HASH_LEN);
	assert_string_equal(a->spec_hash, b->spec_hash);

	/* Counts are spec, not machine config: only the spec hash moves. */
	b->regions[1].count = 4;
	assert_int_equal(rs_finalize(b), 0);
	assert_string_not_equal(a->spec_hash, b->spec_hash);
	assert_string_equal(a->regions[1].config_hash,
			    b->regions[1].config_hash);

	b->regions[1].count = 3;
	b->health_timeout_s = 60;
	assert_int_equal(rs_finalize(b), 0);
	assert_string_not_equal(a->spec_hash, b->spec_hash);

	b->health_timeout_s = 300;
	free(b->env[0].value);
	b->env[0].value = strdup("w");
	assert_int_equal(rs_finalize(b), 0);
	assert_string_not_equal(a->spec_hash, b->spec_hash);
	assert_string_not_equal(a->regions[0].config_hash,
				b->regions[0].config_hash);
	rs_free(a);
	rs_free(b);
}

static void
test_clone(void **state)
{
	struct regionset *a = make_set(), *b = rs_clone(a);

	(void)state;
	assert_non_null(b);
	assert_ptr_not_equal(a->image, b->image);
	assert_ptr_not_equal(a->services, b->services);
	assert_ptr_not_equal(a->env, b->env);
	assert_string_equal(b->image, "img:1");
	assert_string_equal(b->env[0].value, "v");
	assert_string_equal(b->origin.file, "a.yaml");
	assert_string_equal(a->spec_hash, b->spec_hash);
	b->services[0].internal_port = 1;
	b->env[0].value[0] = 'x';
	assert_int_equal(a->services[0].internal_port, 8080);
	assert_string_equal(a->env[0].value, "v");
	rs_free(a);
	rs_free(b);
	rs_free(NULL);
}

static void
test_regions(void **state)
{
	struct regionset *rs = make_set();
	const struct rs_region *r;

	(void)state;
	r = rs_region_find(rs, "nrt");
	assert_ptr_equal(r, &rs->regions[1]);
	assert_ptr_equal(rs_region_guest(rs, r), &rs->guest);
	assert_ptr_equal(rs_region_guest(rs, &rs->regions[0]),
			 &rs->primary_guest);
	assert_null(rs_region_find(rs, "fra"));
	rs_free(rs);
}

struct fmt_case {
	const char *file;
	int line, column;
	const char *field;
	const char *want;
};

static const struct fmt_case fmt_cases[] = {
	{ "a.yaml", 3, 7, "spec.app", "a.yaml:3:7: spec.app: boom 42" },
	{ "a.yaml", 3, 0, "spec.app", "a.yaml:3: spec.app: boom 42" },
	{ "a.yaml", 0, 0, "", "a.yaml: boom 42" },
	{ NULL, 5, 2, "spec", "5:2: spec: boom 42" },
	{ NULL, 0, 0, "", "boom 42" },
	{ NULL, 0, 0, "metadata.name", "metadata.name: boom 42" },
};

static void
test_errors(void **state)
{
	struct rs_errors errs;
	char buf[128];
	size_t i, n = sizeof(fmt_cases) / sizeof(fmt_cases[0]);

	(void)state;
	memset(&errs, 0, sizeof(errs));
	for (i = 0; i < n; i++) {
		const struct fmt_case *c = &fmt_cases[i];
		assert_int_equal(rs_errors_add(&errs, c->file, c->line,
					       c->column, c->field, "web",
					       "boom %d", 42), 0);
	}
	assert_int_equal(errs.n, n);
	for (i = 0; i < n; i++) {
		rs_error_format(&errs.items[i], buf, sizeof(buf));
		assert_string_equal(buf, fmt_cases[i].want);
		assert_string_equal(errs.items[i].set, "web");
	}
	/* Truncation is safe. */
	rs_error_format(&errs.items[0], buf, 8);
	assert_string_equal(buf, "a.yaml:");
	rs_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_spec_hash),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
