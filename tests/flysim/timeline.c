/* timeline.c - when the ready and alive counts of each region changed. */
#include <stdlib.h>
#include <string.h>

#include "regions.h"
#include "simutil.h"
#include "timeline.h"

void
timeline_add(struct timeline *tl, const struct tl_entry *e)
{
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 256;
		tl->v = xrealloc(tl->v, tl->cap * sizeof(*tl->v));
	}
	tl->v[tl->n++] = *e;
}

static json_object *
entry_json(const struct tl_entry *e)
{
	json_object *o = json_object_new_object();

	json_put_double(o, "t", e->t);
	json_put_str(o, "app", e->app);
	json_put_str(o, "region", region_at(e->region)->code);
	json_put_int(o, "ready", e->ready);
	json_put_int(o, "alive", e->alive);
	return o;
}

json_object *
timeline_json(const struct timeline *tl, const char *app)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < tl->n; i++) {
		if (app != NULL && strcmp(app, tl->v[i].app) != 0)
			continue;
		json_object_array_add(arr, entry_json(&tl->v[i]));
	}
	return arr;
}

void
timeline_free(struct timeline *tl)
{
	free(tl->v);
	tl->v = NULL;
	tl->n = tl->cap = 0;
}
