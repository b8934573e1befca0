/* admin_config.c - reading and changing settings at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "simutil.h"

#define DELAY_MAX 3600.0
#define CAPACITY_MAX 1000000

struct cfg_key {
	const char *name;
	const char *(*check)(json_object *v);	/* NULL or why not */
	void (*apply)(struct sim_config *cfg, json_object *v, int arg);
	int arg;
};

static json_object *
config_json(const struct sim_config *cfg)
{
	json_object *o = json_object_new_object();
	json_object *caps = json_object_new_object();

	for (int d = 0; d < DELAY_COUNT; d++)
		json_put_double(o, delay_name((enum delay)d), cfg->delay[d]);
	json_put_str(o, "unhealthy_image", cfg->unhealthy_image);
	json_put_int(o, "capacity", cfg->capacity);
	for (int i = 0; i < REGION_COUNT; i++)
		if (cfg->region_capacity[i] >= 0)
			json_put_int(caps, region_at(i)->code,
			    cfg->region_capacity[i]);
	json_object_object_add(o, "capacity_regions", caps);
	json_put_bool(o, "rate_limit", cfg->rate_limit);
	json_put_bool(o, "destroy_requires_stop", cfg->destroy_requires_stop);
	json_put_bool(o, "start_started_ok", cfg->start_started_ok);
	json_put_bool(o, "auto_apps", cfg->auto_apps);
	json_put_double(o, "lease_ttl_max", cfg->lease_ttl_max);
	/* Say whether a token is required, never which. */
	json_put_str(o, "token", cfg->token ? "(set)" : NULL);
	return o;
}

void
admin_get_config(struct call *c)
{
	call_reply(c, 200, config_json(&c->sim->cfg));
}

static bool
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

static const char *
check_delay(json_object *v)
{
	double d;

	if (v == NULL || !is_number(v))
		return "must be a number of seconds";
	d = json_object_get_double(v);
	return d >= 0 && d <= DELAY_MAX ? NULL : "must be 0-3600 seconds";
}

static const char *
check_count(json_object *v)
{
	long long n;

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return "must be an integer";
	n = json_object_get_int64(v);
	return n >= 0 && n <= CAPACITY_MAX ? NULL : "is out of range";
}

static const char *
check_bool(json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_boolean) ?
	    NULL : "must be true or false";
}

static const char *
check_str_or_null(json_object *v)
{
	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return "must be a string or null";
	return *json_object_get_string(v) ? NULL : "must not be empty";
}

static const char *
check_regions(json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_object))
		return "must be an object of region: count";
	json_object_object_foreach(v, code, n) {
		if (region_index(code) < 0)
			return "names an unknown region";
		if (n != NULL && check_count(n) != NULL)
			return "needs integer counts (null resets)";
	}
	return NULL;
}

static void
apply_delay(struct sim_config *cfg, json_object *v, int arg)
{
	cfg->delay[arg] = json_object_get_double(v);
}

static void
apply_lease_ttl_max(struct sim_config *cfg, json_object *v, int arg)
{
	(void)arg;
	cfg->lease_ttl_max = json_object_get_double(v);
}

static void
apply_capacity(struct sim_config *cfg, json_object *v, int arg)
{
	(void)arg;
	cfg->capacity = (int)json_object_get_int64(v);
}

static void
apply_regions(struct sim_config *cfg, json_object *v, int arg)
{
	(void)arg;
	json_object_object_foreach(v, code, n)
		cfg->region_capacity[region_index(code)] = n == NULL ? -1 :
		    (int)json_object_get_int64(n);
}

static bool *
bool_slot(struct sim_config *cfg, int arg)
{
	bool *slots[] = {
		&cfg->rate_limit, &cfg->destroy_requires_stop,
		&cfg->start_started_ok, &cfg->auto_apps,
	};

	return slots[arg];
}

static void
apply_bool(struct sim_config *cfg, json_object *v, int arg)
{
	*bool_slot(cfg, arg) = json_object_get_boolean(v);
}

static void
apply_str(struct sim_config *cfg, json_object *v, int arg)
{
	char **slot = arg == 0 ? &cfg->unhealthy_image : &cfg->token;

	free(*slot);
	*slot = v ? xstrdup(json_object_get_string(v)) : NULL;
}

static const struct cfg_key keys[] = {
	{ "create_delay", check_delay, apply_delay, DELAY_CREATE },
	{ "boot_delay", check_delay, apply_delay, DELAY_BOOT },
	{ "stop_delay", check_delay, apply_delay, DELAY_STOP },
	{ "destroy_delay", check_delay, apply_delay, DELAY_DESTROY },
	{ "health_delay", check_delay, apply_delay, DELAY_HEALTH },
	{ "unhealthy_image", check_str_or_null, apply_str, 0 },
	{ "token", check_str_or_null, apply_str, 1 },
	{ "capacity", check_count, apply_capacity, 0 },
	{ "capacity_regions", check_regions, apply_regions, 0 },
	{ "rate_limit", check_bool, apply_bool, 0 },
	{ "destroy_requires_stop", check_bool, apply_bool, 1 },
	{ "start_started_ok", check_bool, apply_bool, 2 },
	{ "auto_apps", check_bool, apply_bool, 3 },
	{ "lease_ttl_max", check_delay, apply_lease_ttl_max, 0 },
};

static const struct cfg_key *
find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Validate every key first, so a bad one changes nothing. */
static bool
check_all(struct call *c)
{
	json_object_object_foreach(c->body, name, val) {
		const struct cfg_key *k = find_key(name);
		const char *why;

		if (k == NULL) {
			call_error(c, 400, "unknown setting %s", name);
			return false;
		}
		if ((why = k->check(val)) != NULL) {
			call_error(c, 400, "%s %s", name, why);
			return false;
		}
	}
	return true;
}

void
admin_set_config(struct call *c)
{
	if (c->body == NULL) {
		call_error(c, 400, "a JSON object of settings is required");
		return;
	}
	if (!check_all(c))
		return;
	json_object_object_foreach(c->body, name, val) {
		const struct cfg_key *k = find_key(name);

		k->apply(&c->sim->cfg, val, k->arg);
	}
	sim_changed(c->sim);
	call_reply(c, 200, config_json(&c->sim->cfg));
}
