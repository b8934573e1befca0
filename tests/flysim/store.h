/* store.h - apps and machines, as kept in memory. */
#ifndef FLYSIM_STORE_H
#define FLYSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "ids.h"
#include "ratelimit.h"
#include "regions.h"
#include "stats.h"

struct sim;

enum mstate {
	MS_CREATED,
	MS_STARTING,
	MS_STARTED,
	MS_STOPPING,
	MS_STOPPED,
	MS_SUSPENDING,
	MS_SUSPENDED,
	MS_RESTARTING,
	MS_REPLACING,
	MS_DESTROYING,
	MS_DESTROYED,
	MS_COUNT
};

#define EVENTS_MAX 50
#define STEPS_MAX 3
#define NAME_MAX_LEN 64

struct mevent {
	char id[ULID_LEN + 1];
	const char *type;	/* launch, start, update, exit, stop... */
	enum mstate status;
	bool by_user;		/* source "user", else "flyd" */
	long long timestamp;	/* epoch milliseconds */
};

/* A state to enter later, after the named delay. */
struct mstep {
	enum mstate state;
	int delay;		/* enum delay */
};

struct lease {
	bool held;
	char nonce[NONCE_LEN + 1];
	char *owner;
	char *description;
	double expires_at;	/* epoch seconds */
};

struct app;

struct machine {
	struct app *app;
	char id[MACHINE_ID_LEN + 1];
	char name[NAME_MAX_LEN];
	int region;			/* region index */
	enum mstate state;
	char version[ULID_LEN + 1];
	char private_ip[48];
	json_object *config;		/* owned */
	double created_at;		/* epoch seconds */
	double updated_at;
	bool cordoned;
	char host_status[16];		/* ok, unknown, unreachable */
	struct lease lease;

	struct mevent events[EVENTS_MAX];	/* oldest first */
	int nevents;

	char **checks;			/* check names from the config */
	int nchecks;
	bool checks_passing;
	double checks_at;		/* epoch of the last status change */
	double started_mono;		/* when it last entered started */

	struct mstep steps[STEPS_MAX];	/* pending transitions */
	int nsteps;
	double step_due;		/* monotonic time of steps[0] */

	struct bucket buckets[OP_COUNT];
};

struct app {
	char *name;
	char *org_slug;
	char id[ULID_LEN + 1];
	double created_at;
	struct machine **machines;	/* creation order, destroyed too */
	size_t nmachines;
	size_t cap;
	int ready[REGION_COUNT];	/* last counts put on the timeline */
	int alive[REGION_COUNT];
	struct bucket buckets[OP_COUNT];
};

/* "started", "stopped", ... */
const char *mstate_name(enum mstate s);

/* The state with that name, or -1. */
int mstate_lookup(const char *name);

/* An app by name; with auto_apps an unknown name is created. */
struct app *store_app(struct sim *sim, const char *name);

/* An app by name, never created; NULL when unknown. */
struct app *store_app_lookup(struct sim *sim, const char *name);

/* Whether name is a valid app name (lowercase, digits, dashes). */
bool store_app_name_ok(const char *name);

/* Create an app; the name must be valid and not yet taken. */
struct app *store_app_create(struct sim *sim, const char *name,
    const char *org_slug);

/* A machine of app by id, destroyed ones included; NULL if none. */
struct machine *store_machine(struct app *app, const char *id);

/* A machine of app not destroyed with that name; NULL if none. */
struct machine *store_machine_named(struct app *app, const char *name);

/*
 * Add a machine in state created. It takes config (a reference is
 * kept), fills in id, version, address and, when name is NULL, a name.
 */
struct machine *store_machine_add(struct sim *sim, struct app *app,
    int region, const char *name, json_object *config);

/* Machines in a region that are not destroyed, over all apps. */
int store_region_count(struct sim *sim, int region);

/* Capacity of a region under the current settings. */
int store_region_capacity(struct sim *sim, int region);

/* The image of a machine's config ("" when missing). */
const char *store_image(const struct machine *m);

/* Free every app and machine. */
void store_free(struct sim *sim);

#endif
