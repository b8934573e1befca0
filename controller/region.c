/* region.c - the compiled-in Fly region catalog and look-ups by code. */
#include "region.h"

#include <ctype.h>
#include <string.h>

#include "util.h"

/* Generated at build time from specs/regions.csv (see regions.awk), so
 * the catalog has one source of truth shared with docs and the schema. */
static const struct region region_table[] = {
#include "regions.inc"
};

#define REGION_N (sizeof(region_table) / sizeof(region_table[0]))

/* Suggestions further away than this are more noise than help. */
#define REGION_SUGGEST_MAX 2

size_t
region_count(void)
{
	return REGION_N;
}

const struct region *
region_at(size_t i)
{
	return i < REGION_N ? &region_table[i] : NULL;
}

const struct region *
region_find(const char *code)
{
	size_t i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < REGION_N; i++)
		if (strcmp(region_table[i].code, code) == 0)
			return &region_table[i];
	return NULL;
}

const char *
region_suggest(const char *code)
{
	char low[65];
	const char *best = NULL;
	int best_d = REGION_SUGGEST_MAX + 1;
	size_t i;

	if (code == NULL)
		return NULL;
	/* Codes are lowercase; "FRA" should still lead to "fra". */
	for (i = 0; code[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)code[i]);
	low[i] = '\0';
	for (i = 0; i < REGION_N; i++) {
		int d = util_edit_distance(low, region_table[i].code);
		if (d < best_d) {
			best_d = d;
			best = region_table[i].code;
		}
	}
	return best;
}
