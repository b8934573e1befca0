/* store.c - apps and machines, as kept in memory. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "simutil.h"
#include "store.h"

static const char *const state_names[MS_COUNT] = {
	[MS_CREATED] = "created",
	[MS_STARTING] = "starting",
	[MS_STARTED] = "started",
	[MS_STOPPING] = "stopping",
	[MS_STOPPED] = "stopped",
	[MS_SUSPENDING] = "suspending",
	[MS_SUSPENDED] = "suspended",
	[MS_RESTARTING] = "restarting",
	[MS_REPLACING] = "replacing",
	[MS_DESTROYING] = "destroying",
	[MS_DESTROYED] = "destroyed",
};

const char *
mstate_name(enum mstate s)
{
	return state_names[s];
}

int
mstate_lookup(const char *name)
{
	for (int i = 0; i < MS_COUNT; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

bool
store_app_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '-')
			return false;
	return true;
}

struct app *
store_app_lookup(struct sim *sim, const char *name)
{
	for (size_t i = 0; i < sim->napps; i++)
		if (strcmp(sim->apps[i]->name, name) == 0)
			return sim->apps[i];
	return NULL;
}

struct app *
store_app(struct sim *sim, const char *name)
{
	struct app *app = store_app_lookup(sim, name);

	if (app == NULL && sim->cfg.auto_apps && store_app_name_ok(name))
		app = store_app_create(sim, name, "personal");
	return app;
}

struct app *
store_app_create(struct sim *sim, const char *name, const char *org)
{
	struct app *app = xmalloc(sizeof(*app));

	app->name = xstrdup(name);
	app->org_slug = xstrdup(org);
	app->created_at = now_wall();
	ids_ulid(&sim->rng, app->created_at, app->id);
	if (sim->napps == sim->apps_cap) {
		sim->apps_cap = sim->apps_cap ? sim->apps_cap * 2 : 16;
		sim->apps = xrealloc(sim->apps,
		    sim->apps_cap * sizeof(*sim->apps));
	}
	sim->apps[sim->napps++] = app;
	return app;
}

struct machine *
store_machine(struct app *app, const char *id)
{
	for (size_t i = 0; i < app->nmachines; i++)
		if (strcmp(app->machines[i]->id, id) == 0)
			return app->machines[i];
	return NULL;
}

struct machine *
store_machine_named(struct app *app, const char *name)
{
	for (size_t i = 0; i < app->nmachines; i++) {
		struct machine *m = app->machines[i];

		if (m->state != MS_DESTROYED && strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

static bool
id_taken(struct sim *sim, const char *id)
{
	for (size_t i = 0; i < sim->napps; i++)
		if (store_machine(sim->apps[i], id) != NULL)
			return true;
	return false;
}

/* A fresh id and, when none is given, a fresh name. */
static void
name_machine(struct sim *sim, struct machine *m, const char *name)
{
	do
		ids_machine(&sim->rng, m->id);
	while (id_taken(sim, m->id));
	if (name != NULL) {
		snprintf(m->name, sizeof(m->name), "%s", name);
		return;
	}
	do
		ids_name(&sim->rng, m->name, sizeof(m->name));
	while (store_machine_named(m->app, m->name) != NULL);
}

static void
append_machine(struct app *app, struct machine *m)
{
	if (app->nmachines == app->cap) {
		app->cap = app->cap ? app->cap * 2 : 16;
		app->machines = xrealloc(app->machines,
		    app->cap * sizeof(*app->machines));
	}
	app->machines[app->nmachines++] = m;
}

struct machine *
store_machine_add(struct sim *sim, struct app *app, int region,
    const char *name, json_object *config)
{
	struct machine *m = xmalloc(sizeof(*m));

	m->app = app;
	m->region = region;
	m->state = MS_CREATED;
	m->config = json_object_get(config);
	m->created_at = m->updated_at = now_wall();
	name_machine(sim, m, name);
	ids_ulid(&sim->rng, m->created_at, m->version);
	ids_private_ip(&sim->rng, m->private_ip, sizeof(m->private_ip));
	append_machine(app, m);
	return m;
}

int
store_region_count(struct sim *sim, int region)
{
	int n = 0;

	for (size_t i = 0; i < sim->napps; i++) {
		struct app *app = sim->apps[i];

		for (size_t j = 0; j < app->nmachines; j++)
			if (app->machines[j]->region == region &&
			    app->machines[j]->state != MS_DESTROYED)
				n++;
	}
	return n;
}

int
store_region_capacity(struct sim *sim, int region)
{
	int cap = sim->cfg.region_capacity[region];

	return cap >= 0 ? cap : sim->cfg.capacity;
}

const char *
store_image(const struct machine *m)
{
	const char *img = json_get_str(m->config, "image");

	return img ? img : "";
}

static void
machine_free(struct machine *m)
{
	json_object_put(m->config);
	for (int i = 0; i < m->nchecks; i++)
		free(m->checks[i]);
	free(m->checks);
	free(m->lease.owner);
	free(m->lease.description);
	free(m);
}

void
store_free(struct sim *sim)
{
	for (size_t i = 0; i < sim->napps; i++) {
		struct app *app = sim->apps[i];

		for (size_t j = 0; j < app->nmachines; j++)
			machine_free(app->machines[j]);
		free(app->machines);
		free(app->name);
		free(app->org_slug);
		free(app);
	}
	free(sim->apps);
	sim->apps = NULL;
	sim->napps = sim->apps_cap = 0;
}
