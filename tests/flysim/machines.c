/* machines.c - list, create, get, update and destroy machines. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "leases.h"
#include "lifecycle.h"
#include "render.h"
#include "simutil.h"

#define MAX_META_FILTERS 16
#define LIMIT_MAX 1000

struct list_filter {
	const char *meta_key[MAX_META_FILTERS];
	const char *meta_val[MAX_META_FILTERS];
	int nmeta;
	unsigned states;	/* bit per enum mstate; 0: any */
	bool bad;
};

static void
add_states(struct list_filter *f, const char *list)
{
	char buf[256], *save = NULL;
	int s;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save))
		if ((s = mstate_lookup(t)) >= 0)
			f->states |= 1u << s;
		else
			f->states |= 1u << MS_COUNT;	/* matches nothing */
}

static void
collect_filter(void *cls, const char *key, const char *val)
{
	struct list_filter *f = cls;

	if (val == NULL)
		return;
	if (strcmp(key, "state") == 0) {
		add_states(f, val);
	} else if (strncmp(key, "metadata.", 9) == 0) {
		if (f->nmeta == MAX_META_FILTERS) {
			f->bad = true;
			return;
		}
		f->meta_key[f->nmeta] = key + 9;
		f->meta_val[f->nmeta++] = val;
	}
}

static bool
meta_matches(const struct machine *m, const struct list_filter *f)
{
	json_object *md = NULL;

	if (f->nmeta == 0)
		return true;
	json_object_object_get_ex(m->config, "metadata", &md);
	for (int i = 0; i < f->nmeta; i++) {
		const char *v = json_get_str(md, f->meta_key[i]);

		if (v == NULL || strcmp(v, f->meta_val[i]) != 0)
			return false;
	}
	return true;
}

static bool
list_matches(struct call *c, const struct machine *m,
    const struct list_filter *f)
{
	const char *region = call_query(c, "region");
	bool deleted_ok = call_query_bool(c, "include_deleted") ||
	    (f->states & (1u << MS_DESTROYED));

	if (m->state == MS_DESTROYED && !deleted_ok)
		return false;
	if (f->states != 0 && !(f->states & (1u << m->state)))
		return false;
	if (region != NULL && *region != '\0' &&
	    strcmp(region, region_at(m->region)->code) != 0)
		return false;
	return meta_matches(m, f);
}

/* Where a page starts: 0, or just after the cursor's machine. */
static bool
page_start(struct call *c, size_t *start, long *limit)
{
	const char *cur = call_query(c, "cursor");
	const char *lim = call_query(c, "limit");

	*start = 0;
	*limit = 0;
	if (lim != NULL && (!parse_long(lim, limit) || *limit < 1 ||
	    *limit > LIMIT_MAX)) {
		call_error(c, 400, "invalid_argument: limit must be "
		    "between 1 and %d", LIMIT_MAX);
		return false;
	}
	if (cur == NULL || *cur == '\0')
		return true;
	for (size_t i = 0; i < c->app->nmachines; i++)
		if (strcmp(c->app->machines[i]->id, cur) == 0) {
			*start = i + 1;
			return true;
		}
	call_error(c, 400, "invalid_argument: invalid cursor");
	return false;
}

void
api_list(struct call *c)
{
	struct list_filter f = { 0 };
	unsigned flags = 0;
	json_object *arr;
	size_t i, last = 0;
	long limit, n = 0;

	http_query_each(c->req, collect_filter, &f);
	if (f.bad) {
		call_error(c, 400, "invalid_argument: too many filters");
		return;
	}
	if (!page_start(c, &i, &limit))
		return;
	flags |= call_query_bool(c, "summary") ? RENDER_SUMMARY : 0;
	flags |= call_query_bool(c, "include_leases") ? RENDER_LEASE : 0;
	arr = json_object_new_array();
	for (; i < c->app->nmachines; i++) {
		struct machine *m = c->app->machines[i];

		if (!list_matches(c, m, &f))
			continue;
		if (limit > 0 && n == limit) {
			snprintf(c->cursor, sizeof(c->cursor), "%s",
			    c->app->machines[last]->id);
			break;
		}
		json_object_array_add(arr, render_machine(m, flags));
		last = i;
		n++;
	}
	call_reply(c, 200, arr);
}

/* Checks shared by create and update; false after answering 400. */
static bool
check_config(struct call *c, json_object **config)
{
	json_object *md;
	const char *image, *bad;

	if (c->body == NULL || !json_object_object_get_ex(c->body, "config",
	    config) || !json_object_is_type(*config, json_type_object)) {
		call_error(c, 400, "invalid_argument: config is required");
		return false;
	}
	image = json_get_str(*config, "image");
	if (image == NULL || *image == '\0') {
		call_error(c, 400, "invalid_argument: config.image is "
		    "required");
		return false;
	}
	if (!json_object_object_get_ex(*config, "metadata", &md) ||
	    md == NULL)
		return true;
	if (!json_object_is_type(md, json_type_object)) {
		call_error(c, 400, "invalid_argument: config.metadata must "
		    "be an object");
		return false;
	}
	if ((bad = json_non_string_key(md, true)) == NULL)
		return true;
	call_error(c, 400, "invalid_argument: metadata value of %s must be "
	    "a string", bad);
	return false;
}

/* An optional boolean or integer member; false after answering 400. */
static bool
opt_member(struct call *c, const char *key, json_type type,
    json_object **out)
{
	*out = NULL;
	if (c->body == NULL || !json_object_object_get_ex(c->body, key, out)
	    || *out == NULL)
		return true;
	if (json_object_is_type(*out, type))
		return true;
	call_error(c, 400, "invalid_argument: %s has the wrong type", key);
	return false;
}

static bool
opt_bool(struct call *c, const char *key, bool *val)
{
	json_object *v;

	if (!opt_member(c, key, json_type_boolean, &v))
		return false;
	*val = v != NULL && json_object_get_boolean(v);
	return true;
}

static bool
opt_ttl(struct call *c, long *ttl)
{
	json_object *v;

	if (!opt_member(c, "lease_ttl", json_type_int, &v))
		return false;
	*ttl = v ? (long)json_object_get_int64(v) : 0;
	if (*ttl >= 0 && *ttl <= 86400)
		return true;
	call_error(c, 400, "invalid_argument: lease_ttl out of range");
	return false;
}

struct create_req {
	json_object *config;
	const char *name;
	int regions[REGION_COUNT];
	int nregions;
	bool skip_launch;
	bool skip_registration;
	long lease_ttl;
};

static bool
read_placement(struct call *c, struct create_req *r)
{
	json_object *v;
	const char *expr = REGION_NEAREST;

	if (!opt_member(c, "region", json_type_string, &v))
		return false;
	if (v != NULL && *json_object_get_string(v) != '\0')
		expr = json_object_get_string(v);
	r->nregions = region_expand(expr, r->regions);
	if (r->nregions > 0)
		return true;
	call_error(c, 400, "invalid_argument: unknown region \"%s\"", expr);
	return false;
}

static bool
read_name(struct call *c, struct create_req *r)
{
	json_object *v;

	if (!opt_member(c, "name", json_type_string, &v))
		return false;
	r->name = v ? json_object_get_string(v) : NULL;
	if (r->name != NULL && *r->name == '\0')
		r->name = NULL;
	if (r->name != NULL && strlen(r->name) >= NAME_MAX_LEN) {
		call_error(c, 400, "invalid_argument: name is too long");
		return false;
	}
	if (r->name == NULL || store_machine_named(c->app, r->name) == NULL)
		return true;
	call_error(c, 409, "already_exists: unique machine name violation, "
	    "machine ID %s already exists with name \"%s\"",
	    store_machine_named(c->app, r->name)->id, r->name);
	return false;
}

/* The first region of the expression with room; -1 after a 422. */
static int
place(struct call *c, const struct create_req *r)
{
	for (int i = 0; i < r->nregions; i++) {
		int idx = r->regions[i];

		if (store_region_count(c->sim, idx) <
		    store_region_capacity(c->sim, idx))
			return idx;
	}
	call_error_code(c, 422, "insufficient_capacity",
	    "could not find a candidate host");
	return -1;
}

static void
launch(struct call *c, struct machine *m, const struct create_req *r)
{
	static const struct mstep boot[] = {
		{ MS_STARTING, DELAY_CREATE }, { MS_STARTED, DELAY_BOOT },
	};
	json_object *out;

	m->cordoned = r->skip_registration;
	life_set_checks(m);
	life_begin(c->sim, m, MS_CREATED, "launch", boot,
	    r->skip_launch ? 0 : 2);
	if (r->lease_ttl > 0)
		lease_grant(c->sim, m, c->owner, (double)r->lease_ttl, NULL);
	out = render_machine(m, 0);
	if (r->lease_ttl > 0)
		json_put_str(out, "nonce", m->lease.nonce);
	call_reply(c, 200, out);
}

void
api_create(struct call *c)
{
	struct create_req r = { 0 };
	json_object *copy = NULL;
	struct machine *m;
	int region;

	if (!check_config(c, &r.config) || !read_placement(c, &r) ||
	    !read_name(c, &r) || !opt_bool(c, "skip_launch", &r.skip_launch)
	    || !opt_bool(c, "skip_service_registration",
	    &r.skip_registration) || !opt_ttl(c, &r.lease_ttl))
		return;
	if ((region = place(c, &r)) < 0)
		return;
	json_object_deep_copy(r.config, &copy, NULL);
	m = store_machine_add(c->sim, c->app, region, r.name, copy);
	json_object_put(copy);
	launch(c, m, &r);
}

void
api_get(struct call *c)
{
	unsigned flags = call_query_bool(c, "include_leases") ?
	    RENDER_LEASE : 0;

	call_reply(c, 200, render_machine(c->m, flags));
}

/* region and name may be sent again, but not changed. */
static bool
check_immutable(struct call *c)
{
	const char *region = json_get_str(c->body, "region");
	const char *name = json_get_str(c->body, "name");

	if (region != NULL && *region != '\0' &&
	    strcmp(region, region_at(c->m->region)->code) != 0) {
		call_error(c, 400, "invalid_argument: a machine's region "
		    "cannot be changed");
		return false;
	}
	if (name != NULL && *name != '\0' && strcmp(name, c->m->name) != 0) {
		call_error(c, 400, "invalid_argument: a machine's name "
		    "cannot be changed");
		return false;
	}
	return true;
}

static bool
check_version(struct call *c)
{
	const char *want = json_get_str(c->body, "current_version");

	if (want == NULL || *want == '\0' || strcmp(want, c->m->version) == 0)
		return true;
	call_error(c, 409, "aborted: machine %s is at version %s, not "
	    "current_version %s", c->m->id, c->m->version, want);
	return false;
}

static void
replace(struct call *c, const struct create_req *r)
{
	struct mstep steps[2] = {
		{ MS_STARTING, DELAY_STOP }, { MS_STARTED, DELAY_BOOT },
	};
	struct machine *m = c->m;
	int n = 2;

	if (r->skip_launch) {
		steps[0].state = m->state == MS_CREATED ? MS_CREATED :
		    MS_STOPPED;
		n = 1;
	}
	json_object_put(m->config);
	m->config = NULL;	/* deep_copy insists on an empty target */
	json_object_deep_copy(r->config, &m->config, NULL);
	ids_ulid(&c->sim->rng, now_wall(), m->version);
	if (r->skip_registration)
		m->cordoned = true;
	life_set_checks(m);
	life_begin(c->sim, m, MS_REPLACING, "update", steps, n);
}

void
api_update(struct call *c)
{
	struct create_req r = { 0 };
	json_object *out;

	if (!check_config(c, &r.config) || !check_immutable(c) ||
	    !check_version(c) || !opt_bool(c, "skip_launch", &r.skip_launch)
	    || !opt_bool(c, "skip_service_registration",
	    &r.skip_registration) || !opt_ttl(c, &r.lease_ttl))
		return;
	if (c->m->state == MS_DESTROYING) {
		call_error(c, 412, "failed_precondition: machine %s is being "
		    "destroyed", c->m->id);
		return;
	}
	replace(c, &r);
	if (r.lease_ttl > 0 && lease_active(c->m, now_wall()))
		c->m->lease.expires_at = now_wall() + (double)r.lease_ttl;
	else if (r.lease_ttl > 0)
		lease_grant(c->sim, c->m, c->owner, (double)r.lease_ttl, NULL);
	out = render_machine(c->m, 0);
	if (r.lease_ttl > 0)
		json_put_str(out, "nonce", c->m->lease.nonce);
	call_reply(c, 200, out);
}

static void
reply_ok(struct call *c)
{
	json_object *o = json_object_new_object();

	json_put_bool(o, "ok", true);
	call_reply(c, 200, o);
}

void
api_destroy(struct call *c)
{
	static const struct mstep gone[] = {
		{ MS_DESTROYED, DELAY_DESTROY },
	};
	bool force = call_query_bool(c, "force") ||
	    call_query_bool(c, "kill");

	if (c->m->state == MS_DESTROYING) {
		reply_ok(c);
		return;
	}
	if (life_running(c->m->state) && !force &&
	    c->sim->cfg.destroy_requires_stop) {
		call_error(c, 412, "unable to destroy machine, not currently "
		    "stopped");
		return;
	}
	life_begin(c->sim, c->m, MS_DESTROYING, "destroy", gone, 1);
	reply_ok(c);
}
