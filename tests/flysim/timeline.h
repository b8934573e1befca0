/* timeline.h - when the ready and alive counts of each region changed. */
#ifndef FLYSIM_TIMELINE_H
#define FLYSIM_TIMELINE_H

#include <stddef.h>

#include <json-c/json.h>

struct tl_entry {
	double t;		/* epoch seconds */
	const char *app;	/* owned by the app, which lives to exit */
	int region;		/* region index */
	int ready;
	int alive;
};

struct timeline {
	struct tl_entry *v;
	size_t n;
	size_t cap;
};

/* Append one entry; entries come in time order. */
void timeline_add(struct timeline *tl, const struct tl_entry *e);

/* Every entry, or only those of one app when app is not NULL. */
json_object *timeline_json(const struct timeline *tl, const char *app);

/* Release the entries. */
void timeline_free(struct timeline *tl);

#endif
