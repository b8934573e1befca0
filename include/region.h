/* region.h - the compiled-in Fly region catalog (from specs/regions.csv). */
#ifndef RHONE_REGION_H
#define RHONE_REGION_H

#include <stddef.h>

struct region {
	const char *code;
	const char *name;
	const char *city;
	const char *country;
	const char *continent;
	double latitude;
	double longitude;
};

/* Number of regions in the catalog. */
size_t region_count(void);

/* The i-th region in catalog order, or NULL past the end. */
const struct region *region_at(size_t i);

/* Look a region up by its three-letter code; NULL when unknown. */
const struct region *region_find(const char *code);

/* The catalog code nearest to `code` by spelling, or NULL if none is
 * close (edit distance above 2). */
const char *region_suggest(const char *code);

#endif
