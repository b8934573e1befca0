/* apps.c - apps and the platform's region list. */
#include <string.h>

#include "api.h"
#include "simutil.h"

static json_object *
region_json(const struct region *r)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "code", r->code);
	json_put_str(o, "name", r->name);
	json_put_double(o, "latitude", r->latitude);
	json_put_double(o, "longitude", r->longitude);
	json_put_bool(o, "gateway_available", true);
	json_put_bool(o, "requires_paid_plan", false);
	json_put_bool(o, "deprecated", false);
	json_put_str(o, "geo_region", r->geo);
	return o;
}

void
api_regions(struct call *c)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();

	for (int i = 0; i < REGION_COUNT; i++)
		json_object_array_add(arr, region_json(region_at(i)));
	json_put_str(o, "nearest", REGION_NEAREST);
	json_object_object_add(o, "regions", arr);
	call_reply(c, 200, o);
}

void
api_app_create(struct call *c)
{
	const char *name = json_get_str(c->body, "name");
	const char *org = json_get_str(c->body, "org_slug");
	struct app *app;
	json_object *o;

	if (name == NULL)
		name = json_get_str(c->body, "app_name");
	if (name == NULL || !store_app_name_ok(name)) {
		call_error(c, 400, "invalid_argument: name must be lowercase "
		    "letters, digits and dashes");
		return;
	}
	if (store_app_lookup(c->sim, name) != NULL) {
		call_error_code(c, 422, "name_taken",
		    "Validation failed: Name has already been taken");
		return;
	}
	app = store_app_create(c->sim, name, org ? org : "personal");
	o = json_object_new_object();
	json_put_str(o, "id", app->id);
	json_put_int(o, "created_at", (long long)(app->created_at * 1000));
	call_reply(c, 201, o);
}

static int
live_machines(const struct app *app)
{
	int n = 0;

	for (size_t i = 0; i < app->nmachines; i++)
		n += app->machines[i]->state != MS_DESTROYED;
	return n;
}

void
api_app_get(struct call *c)
{
	json_object *o = json_object_new_object();
	json_object *org = json_object_new_object();
	const struct app *app = c->app;

	json_put_str(org, "name", app->org_slug);
	json_put_str(org, "slug", app->org_slug);
	json_put_int(org, "internal_numeric_id", 1);
	json_put_str(o, "id", app->id);
	json_put_str(o, "name", app->name);
	json_put_str(o, "status", "deployed");
	json_put_str(o, "network", "default");
	json_put_int(o, "machine_count", live_machines(app));
	json_put_int(o, "volume_count", 0);
	json_put_int(o, "internal_numeric_id",
	    (long long)(ids_hash(app->name) & 0xffffff));
	json_object_object_add(o, "organization", org);
	call_reply(c, 200, o);
}
