/* regions.h - the fixed catalog of Fly regions flysim knows about. */
#ifndef FLYSIM_REGIONS_H
#define FLYSIM_REGIONS_H

#define REGION_COUNT 28
#define REGION_NEAREST "iad"

struct region {
	const char *code;
	const char *name;
	double latitude;
	double longitude;
	const char *geo;	/* geo_region alias: na, sa, eu, apac... */
};

/* The region at index i (0 <= i < REGION_COUNT). */
const struct region *region_at(int i);

/* Index of a region code, or -1 when the code is not in the catalog. */
int region_index(const char *code);

/*
 * Expand a placement expression ("iad", "iad,dfw", "lhr,eu", "any") into
 * region indexes in order of preference, without duplicates. Returns the
 * count, or -1 when a token is neither a code nor an alias.
 */
int region_expand(const char *expr, int out[REGION_COUNT]);

#endif
