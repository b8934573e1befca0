/* regions.c - region catalog and placement expressions. */
#include <stdbool.h>
#include <string.h>

#include "regions.h"

static const struct region catalog[REGION_COUNT] = {
	{ "iad", "Ashburn", 38.9519, -77.4480, "na" },
	{ "ord", "Chicago", 41.9742, -87.9073, "na" },
	{ "dfw", "Dallas", 32.8998, -97.0403, "na" },
	{ "den", "Denver", 39.8561, -104.6737, "na" },
	{ "lax", "Los Angeles", 33.9416, -118.4085, "na" },
	{ "sjc", "San Jose", 37.3639, -121.9289, "na" },
	{ "sea", "Seattle", 47.4502, -122.3088, "na" },
	{ "yyz", "Toronto", 43.6777, -79.6248, "na" },
	{ "yul", "Montreal", 45.4657, -73.7455, "na" },
	{ "gru", "São Paulo", -23.4356, -46.4731, "sa" },
	{ "gig", "Rio de Janeiro", -22.8100, -43.2505, "sa" },
	{ "eze", "Buenos Aires", -34.8150, -58.5348, "sa" },
	{ "scl", "Santiago", -33.3930, -70.7858, "sa" },
	{ "lhr", "London", 51.4700, -0.4543, "eu" },
	{ "cdg", "Paris", 49.0097, 2.5479, "eu" },
	{ "ams", "Amsterdam", 52.3105, 4.7683, "eu" },
	{ "fra", "Frankfurt", 50.0379, 8.5622, "eu" },
	{ "waw", "Warsaw", 52.1672, 20.9679, "eu" },
	{ "mad", "Madrid", 40.4983, -3.5676, "eu" },
	{ "arn", "Stockholm", 59.6519, 17.9186, "eu" },
	{ "nrt", "Tokyo", 35.7720, 140.3929, "apac" },
	{ "hkg", "Hong Kong", 22.3080, 113.9185, "apac" },
	{ "sin", "Singapore", 1.3644, 103.9915, "apac" },
	{ "syd", "Sydney", -33.9399, 151.1753, "apac" },
	{ "bom", "Mumbai", 19.0896, 72.8656, "apac" },
	{ "maa", "Chennai", 12.9941, 80.1709, "apac" },
	{ "jnb", "Johannesburg", -26.1367, 28.2411, "af" },
	{ "bah", "Bahrain", 26.2708, 50.6336, "me" },
};

const struct region *
region_at(int i)
{
	return &catalog[i];
}

int
region_index(const char *code)
{
	for (int i = 0; i < REGION_COUNT; i++)
		if (strcmp(catalog[i].code, code) == 0)
			return i;
	return -1;
}

/* Which regions an alias stands for; "us" and "usa" mean North America. */
static bool
alias_matches(const char *alias, const struct region *r)
{
	if (strcmp(alias, "any") == 0)
		return true;
	if (strcmp(alias, "us") == 0 || strcmp(alias, "usa") == 0)
		return strcmp(r->geo, "na") == 0;
	return strcmp(alias, r->geo) == 0;
}

static int
add_unique(int out[REGION_COUNT], int n, int idx)
{
	for (int i = 0; i < n; i++)
		if (out[i] == idx)
			return n;
	out[n] = idx;
	return n + 1;
}

/* Add the regions one token names; -1 when it names none. */
static int
expand_token(const char *tok, int out[REGION_COUNT], int n)
{
	int idx = region_index(tok);
	bool any = false;

	if (idx >= 0)
		return add_unique(out, n, idx);
	for (int i = 0; i < REGION_COUNT; i++) {
		if (!alias_matches(tok, &catalog[i]))
			continue;
		n = add_unique(out, n, i);
		any = true;
	}
	return any ? n : -1;
}

int
region_expand(const char *expr, int out[REGION_COUNT])
{
	char tok[16];
	int n = 0;
	const char *p = expr;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(tok))
			return -1;
		memcpy(tok, p, len);
		tok[len] = '\0';
		n = expand_token(tok, out, n);
		if (n < 0)
			return -1;
		p += len;
		if (*p == ',')
			p++;
	}
	return n > 0 ? n : -1;
}
