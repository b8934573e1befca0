/* admin.c - the /_sim/ control API used by tests: no auth, no limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "leases.h"
#include "render.h"
#include "simutil.h"

#define PLANT_TTL_DEFAULT 60
#define PLANT_OWNER_DEFAULT "someone-else@example.com"

static void
reply_ok(struct call *c, int status)
{
	json_object *o = json_object_new_object();

	json_put_bool(o, "ok", true);
	call_reply(c, status, o);
}

static void
get_calls(struct call *c)
{
	call_reply(c, 200, stats_json(&c->sim->stats));
}

static void
reset_calls(struct call *c)
{
	stats_reset(&c->sim->stats);
	reply_ok(c, 200);
}

static void
get_machines(struct call *c)
{
	const char *only = call_query(c, "app");
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < c->sim->napps; i++) {
		struct app *app = c->sim->apps[i];

		if (only != NULL && strcmp(only, app->name) != 0)
			continue;
		for (size_t j = 0; j < app->nmachines; j++)
			json_object_array_add(arr,
			    render_admin_machine(app->machines[j]));
	}
	call_reply(c, 200, arr);
}

static void
get_apps(struct call *c)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < c->sim->napps; i++)
		json_object_array_add(arr,
		    json_object_new_string(c->sim->apps[i]->name));
	call_reply(c, 200, arr);
}

static void
get_faults(struct call *c)
{
	call_reply(c, 200, faults_json(&c->sim->faults));
}

static void
add_fault(struct call *c)
{
	char err[128];

	if (c->body == NULL) {
		call_error(c, 400, "a fault rule is required");
		return;
	}
	if (!faults_add(&c->sim->faults, c->body, err, sizeof(err))) {
		call_error(c, 400, "%s", err);
		return;
	}
	call_reply(c, 201, faults_json(&c->sim->faults));
}

static void
clear_faults(struct call *c)
{
	faults_clear(&c->sim->faults);
	reply_ok(c, 200);
}

static struct machine *
plant_target(struct call *c)
{
	const char *app_name = json_get_str(c->body, "app");
	const char *id = json_get_str(c->body, "machine");
	struct app *app;
	struct machine *m;

	if (app_name == NULL || id == NULL) {
		call_error(c, 400, "app and machine are required");
		return NULL;
	}
	app = store_app_lookup(c->sim, app_name);
	m = app ? store_machine(app, id) : NULL;
	if (m == NULL || m->state == MS_DESTROYED) {
		call_error(c, 404, "machine not found");
		return NULL;
	}
	return m;
}

/* A lease held by someone else, as when a person runs flyctl. */
static void
plant_lease(struct call *c)
{
	struct machine *m = plant_target(c);
	const char *owner = json_get_str(c->body, "owner");
	json_object *v;
	long ttl = PLANT_TTL_DEFAULT;

	if (m == NULL)
		return;
	if (json_object_object_get_ex(c->body, "ttl", &v) && v != NULL) {
		ttl = json_object_is_type(v, json_type_int) ?
		    (long)json_object_get_int64(v) : -1;
		if (ttl < 1 || ttl > 86400) {
			call_error(c, 400, "ttl must be 1-86400 seconds");
			return;
		}
	}
	lease_grant(c->sim, m, owner ? owner : PLANT_OWNER_DEFAULT,
	    (double)ttl, json_get_str(c->body, "description"));
	call_reply(c, 201, lease_data(m, true));
}

/* What the API says of the host under a machine; the machine itself
 * goes on as before (a host the API cannot see may still run it). */
static void
set_host(struct call *c)
{
	struct machine *m = plant_target(c);
	const char *st = json_get_str(c->body, "host_status");

	if (m == NULL)
		return;
	if (st == NULL || (strcmp(st, "ok") != 0 &&
	    strcmp(st, "unknown") != 0 && strcmp(st, "unreachable") != 0)) {
		call_error(c, 400, "host_status must be ok, unknown or "
		    "unreachable");
		return;
	}
	snprintf(m->host_status, sizeof(m->host_status), "%s", st);
	reply_ok(c, 200);
}

static void
get_timeline(struct call *c)
{
	call_reply(c, 200, timeline_json(&c->sim->timeline,
	    call_query(c, "app")));
}

static const struct {
	const char *method;
	const char *path;
	handler_fn fn;
} admin_routes[] = {
	{ "GET", "/_sim/calls", get_calls },
	{ "POST", "/_sim/calls/reset", reset_calls },
	{ "GET", "/_sim/machines", get_machines },
	{ "GET", "/_sim/config", admin_get_config },
	{ "POST", "/_sim/config", admin_set_config },
	{ "GET", "/_sim/faults", get_faults },
	{ "POST", "/_sim/faults", add_fault },
	{ "DELETE", "/_sim/faults", clear_faults },
	{ "POST", "/_sim/leases", plant_lease },
	{ "POST", "/_sim/host", set_host },
	{ "GET", "/_sim/timeline", get_timeline },
	{ "GET", "/_sim/apps", get_apps },
	{ "POST", "/_sim/apps", api_app_create },
};

void
admin_dispatch(struct call *c)
{
	bool known = false;

	for (size_t i = 0; i < sizeof(admin_routes) /
	    sizeof(admin_routes[0]); i++) {
		if (strcmp(admin_routes[i].path, c->req->path) != 0)
			continue;
		known = true;
		if (strcmp(admin_routes[i].method, c->req->method) != 0)
			continue;
		if (call_parse_body(c))
			admin_routes[i].fn(c);
		return;
	}
	if (known)
		call_error(c, 405, "method not allowed");
	else
		call_error(c, 404, "not found");
}
