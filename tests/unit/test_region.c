/* test_region.c - the compiled-in region catalog: size, order, look-ups
 * and spelling suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "region.h"

static void
test_catalog(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(region_count(), 28);
	assert_string_equal(region_at(0)->code, "iad");
	assert_string_equal(region_at(27)->code, "bah");
	assert_null(region_at(28));
	for (i = 0; i < region_count(); i++) {
		const struct region *r = region_at(i);
		assert_int_equal(strlen(r->code), 3);
		assert_true(r->name[0] && r->city[0] && r->country[0]);
		assert_true(r->continent[0]);
		assert_true(r->latitude >= -90 && r->latitude <= 90);
		assert_true(r->longitude >= -180 && r->longitude <= 180);
		for (j = 0; j < i; j++)
			assert_string_not_equal(region_at(j)->code, r->code);
	}
}

struct find_case {
	const char *code;
	const char *city;       /* NULL: not in the catalog */
	const char *continent;
	double latitude;
};

static const struct find_case find_cases[] = {
	{ "iad", "Ashburn", "North America", 38.9519 },
	{ "gru", "S\xc3\xa3o Paulo", "South America", -23.4356 },
	{ "lhr", "London", "Europe", 51.47 },
	{ "nrt", "Tokyo", "Asia", 35.772 },
	{ "syd", "Sydney", "Oceania", -33.9399 },
	{ "jnb", "Johannesburg", "Africa", -26.1367 },
	{ "bah", "Bahrain", "Middle East", 26.2708 },
	{ "IAD", NULL, NULL, 0 },
	{ "ewr", NULL, NULL, 0 },
	{ "", NULL, NULL, 0 },
	{ "iadx", NULL, NULL, 0 },
};

static void
test_find(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(find_cases) / sizeof(find_cases[0]); i++) {
		const struct find_case *c = &find_cases[i];
		const struct region *r = region_find(c->code);
		if (c->city == NULL) {
			assert_null(r);
			continue;
		}
		assert_non_null(r);
		assert_string_equal(r->code, c->code);
		assert_string_equal(r->city, c->city);
		assert_string_equal(r->continent, c->continent);
		assert_true(r->latitude > c->latitude - 1e-9 &&
			    r->latitude < c->latitude + 1e-9);
	}
	assert_null(region_find(NULL));
}

struct suggest_case {
	const char *in;
	const char *want;       /* NULL: nothing close enough */
};

static const struct suggest_case suggest_cases[] = {
	{ "fra1", "fra" },
	{ "FRA", "fra" },
	{ "Lhr", "lhr" },
	{ "sinn", "sin" },
	{ "nr", "nrt" },
	{ "ams", "ams" },
	{ "frankfurt", NULL },
	{ "qqqq", NULL },
	{ "", NULL },
};

static void
test_suggest(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suggest_cases) / sizeof(suggest_cases[0]);
	     i++) {
		const struct suggest_case *c = &suggest_cases[i];
		const char *got = region_suggest(c->in);
		if (c->want == NULL) {
			if (got != NULL)
				fail_msg("%s: got %s, want none", c->in, got);
			continue;
		}
		if (got == NULL || strcmp(got, c->want) != 0)
			fail_msg("%s: got %s, want %s", c->in,
				 got ? got : "none", c->want);
	}
	assert_null(region_suggest(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
