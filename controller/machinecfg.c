/* machinecfg.c - the Fly machine config of one region of a RegionSet,
 * its identity hash and the create request body. */
#include "machinecfg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Compact output; "/" unescaped so image paths read as written. */
#define MCFG_JSON_FLAGS \
	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * Builders. Each helper records an allocation failure in *bad and keeps
 * going, so a builder checks once at the end instead of after every call.
 */
static void
mcfg_add(json_object *o, const char *key, json_object *v, int *bad)
{
	if (v == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		*bad = 1;
	}
}

static void
mcfg_push(json_object *a, json_object *v, int *bad)
{
	if (v == NULL || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		*bad = 1;
	}
}

static void
mcfg_str(json_object *o, const char *key, const char *s, int *bad)
{
	mcfg_add(o, key, json_object_new_string(s ? s : ""), bad);
}

static void
mcfg_int(json_object *o, const char *key, int v, int *bad)
{
	mcfg_add(o, key, json_object_new_int(v), bad);
}

static void
mcfg_bool(json_object *o, const char *key, int v, int *bad)
{
	mcfg_add(o, key, json_object_new_boolean(v != 0), bad);
}

/* Fly takes durations as Go duration strings ("10s"), not numbers. */
static void
mcfg_secs(json_object *o, const char *key, int secs, int *bad)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ds", secs);
	mcfg_str(o, key, buf, bad);
}

/* Allocation failed part-way: drop what was built. */
static json_object *
mcfg_done(json_object *o, int bad)
{
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *
mcfg_env(const struct regionset *rs, const struct rs_region *r)
{
	json_object *o = json_object_new_object();
	int i, bad = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < rs->nenv; i++)
		mcfg_str(o, rs->env[i].key, rs->env[i].value, &bad);
	/* Validation keeps these two names out of the spec's env. */
	mcfg_str(o, "PRIMARY_REGION", rs->regions[0].code, &bad);
	mcfg_str(o, "FLY_REGION", r->code, &bad);
	return mcfg_done(o, bad);
}

static json_object *
mcfg_guest(const struct rs_guest *g)
{
	json_object *o = json_object_new_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	mcfg_str(o, "cpu_kind", g->cpu_kind, &bad);
	mcfg_int(o, "cpus", g->cpus, &bad);
	mcfg_int(o, "memory_mb", g->memory_mb, &bad);
	return mcfg_done(o, bad);
}

static json_object *
mcfg_port(const struct rs_port *p)
{
	json_object *o = json_object_new_object();
	json_object *h = json_object_new_array();
	int i, bad = 0;

	if (o == NULL || h == NULL) {
		json_object_put(o);
		json_object_put(h);
		return NULL;
	}
	mcfg_int(o, "port", p->port, &bad);
	for (i = 0; i < p->nhandlers; i++)
		mcfg_push(h, json_object_new_string(p->handlers[i]), &bad);
	mcfg_add(o, "handlers", h, &bad);
	if (p->force_https)
		mcfg_bool(o, "force_https", 1, &bad);
	return mcfg_done(o, bad);
}

static json_object *
mcfg_concurrency(const struct rs_service *s)
{
	json_object *o = json_object_new_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	mcfg_str(o, "type", s->concurrency_type, &bad);
	mcfg_int(o, "soft_limit", s->soft_limit, &bad);
	mcfg_int(o, "hard_limit", s->hard_limit, &bad);
	return mcfg_done(o, bad);
}

/* Optional settings are left out when unset, so that adding a field to
 * the model never changes the hash of configs that do not use it. */
static json_object *
mcfg_service(const struct rs_service *s)
{
	json_object *o = json_object_new_object();
	json_object *ports = json_object_new_array();
	int i, bad = 0;

	if (o == NULL || ports == NULL) {
		json_object_put(o);
		json_object_put(ports);
		return NULL;
	}
	mcfg_str(o, "protocol", s->protocol, &bad);
	mcfg_int(o, "internal_port", s->internal_port, &bad);
	for (i = 0; i < s->nports; i++)
		mcfg_push(ports, mcfg_port(&s->ports[i]), &bad);
	mcfg_add(o, "ports", ports, &bad);
	mcfg_add(o, "concurrency", mcfg_concurrency(s), &bad);
	if (s->autostop[0] != '\0')
		mcfg_str(o, "autostop", s->autostop, &bad);
	if (s->autostart >= 0)
		mcfg_bool(o, "autostart", s->autostart, &bad);
	if (s->min_machines_running > 0)
		mcfg_int(o, "min_machines_running",
			 s->min_machines_running, &bad);
	return mcfg_done(o, bad);
}

static json_object *
mcfg_check(const struct rs_check *c)
{
	json_object *o = json_object_new_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	mcfg_str(o, "type", c->type, &bad);
	mcfg_int(o, "port", c->port, &bad);
	mcfg_secs(o, "interval", c->interval_s, &bad);
	mcfg_secs(o, "timeout", c->timeout_s, &bad);
	if (c->grace_s > 0)
		mcfg_secs(o, "grace_period", c->grace_s, &bad);
	if (strcmp(c->type, "http") == 0) {
		mcfg_str(o, "method", c->method, &bad);
		mcfg_str(o, "path", c->path, &bad);
	}
	return mcfg_done(o, bad);
}

static void
mcfg_add_services(json_object *cfg, const struct regionset *rs, int *bad)
{
	json_object *a;
	int i;

	if (rs->nservices == 0)
		return;
	a = json_object_new_array();
	for (i = 0; a != NULL && i < rs->nservices; i++)
		mcfg_push(a, mcfg_service(&rs->services[i]), bad);
	mcfg_add(cfg, "services", a, bad);
}

static void
mcfg_add_checks(json_object *cfg, const struct regionset *rs, int *bad)
{
	json_object *o;
	int i;

	if (rs->nchecks == 0)
		return;
	o = json_object_new_object();
	for (i = 0; o != NULL && i < rs->nchecks; i++)
		mcfg_add(o, rs->checks[i].name, mcfg_check(&rs->checks[i]),
			 bad);
	mcfg_add(cfg, "checks", o, bad);
}

json_object *
mcfg_build(const struct regionset *rs, const struct rs_region *r)
{
	json_object *cfg, *restart;
	int bad = 0;

	if (rs->nregions < 1 || (cfg = json_object_new_object()) == NULL)
		return NULL;
	mcfg_str(cfg, "image", rs->image, &bad);
	mcfg_add(cfg, "env", mcfg_env(rs, r), &bad);
	mcfg_add(cfg, "guest", mcfg_guest(rs_region_guest(rs, r)), &bad);
	mcfg_add_services(cfg, rs, &bad);
	mcfg_add_checks(cfg, rs, &bad);
	restart = json_object_new_object();
	if (restart != NULL)
		mcfg_str(restart, "policy", "always", &bad);
	mcfg_add(cfg, "restart", restart, &bad);
	return mcfg_done(cfg, bad);
}

/*
 * Canonical text of a JSON value, the input of the config hash: object
 * keys sorted bytewise, no whitespace, minimal string escapes. It is our
 * own printer on purpose: a json-c upgrade that prints differently must
 * not change every hash, because a changed hash replaces every machine.
 * Changing anything here has that effect too.
 */
static void mcfg_canon(struct strbuf *sb, json_object *v);

static void
mcfg_canon_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	sb_puts(sb, "\"");
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(sb, "\\%c", *p);
		else if (*p < 0x20)
			sb_printf(sb, "\\u%04x", *p);
		else
			sb_append(sb, (const char *)p, 1);
	}
	sb_puts(sb, "\"");
}

static int
mcfg_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
mcfg_canon_object(struct strbuf *sb, json_object *v)
{
	size_t n = (size_t)json_object_object_length(v), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));

	if (keys == NULL) {
		sb->failed = 1;
		return;
	}
	json_object_object_foreach(v, key, val) {
		(void)val;
		if (i < n)
			keys[i++] = key;
	}
	qsort(keys, i, sizeof(*keys), mcfg_key_cmp);
	sb_puts(sb, "{");
	for (n = 0; n < i; n++) {
		if (n > 0)
			sb_puts(sb, ",");
		mcfg_canon_string(sb, keys[n]);
		sb_puts(sb, ":");
		mcfg_canon(sb, json_object_object_get(v, keys[n]));
	}
	sb_puts(sb, "}");
	free(keys);
}

static void
mcfg_canon_array(struct strbuf *sb, json_object *v)
{
	size_t i, n = json_object_array_length(v);

	sb_puts(sb, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_puts(sb, ",");
		mcfg_canon(sb, json_object_array_get_idx(v, i));
	}
	sb_puts(sb, "]");
}

static void
mcfg_canon(struct strbuf *sb, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		mcfg_canon_object(sb, v);
		break;
	case json_type_array:
		mcfg_canon_array(sb, v);
		break;
	case json_type_string:
		mcfg_canon_string(sb, json_object_get_string(v));
		break;
	case json_type_int:
		sb_printf(sb, "%lld", (long long)json_object_get_int64(v));
		break;
	case json_type_boolean:
		sb_puts(sb, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_double:
		sb_printf(sb, "%.17g", json_object_get_double(v));
		break;
	default:
		sb_puts(sb, "null");
		break;
	}
}

int
mcfg_hash(const struct regionset *rs, const struct rs_region *r,
	  char out[RS_HASH_LEN + 1])
{
	json_object *cfg = mcfg_build(rs, r);
	struct strbuf sb;
	uint64_t h;

	if (cfg == NULL)
		return -1;
	sb_init(&sb);
	mcfg_canon(&sb, cfg);
	json_object_put(cfg);
	if (sb.failed || sb.buf == NULL) {
		sb_free(&sb);
		return -1;
	}
	h = util_fnv1a(UTIL_FNV_SEED, sb.buf, sb.len);
	sb_free(&sb);
	snprintf(out, RS_HASH_LEN + 1, "%016llx", (unsigned long long)h);
	return 0;
}

static json_object *
mcfg_metadata(const struct regionset *rs, const char *hash,
	      const char *launch_id)
{
	json_object *o = json_object_new_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	mcfg_str(o, MCFG_MANAGED_BY_KEY, MCFG_MANAGED_BY_VALUE, &bad);
	mcfg_str(o, MCFG_SET_KEY, rs->name, &bad);
	mcfg_str(o, MCFG_HASH_KEY, hash, &bad);
	if (launch_id != NULL)
		mcfg_str(o, MCFG_LAUNCH_KEY, launch_id, &bad);
	return mcfg_done(o, bad);
}

char *
mcfg_create_body(const struct regionset *rs, const struct rs_region *r,
		 const char *launch_id)
{
	char hash[RS_HASH_LEN + 1];
	json_object *body, *cfg;
	const char *text;
	char *out = NULL;
	int bad = 0;

	/* A finalized set carries the hash already; recompute otherwise. */
	util_strlcpy(hash, r->config_hash, sizeof(hash));
	if (hash[0] == '\0' && mcfg_hash(rs, r, hash) < 0)
		return NULL;
	if ((body = json_object_new_object()) == NULL)
		return NULL;
	mcfg_str(body, "region", r->code, &bad);
	cfg = mcfg_build(rs, r);
	if (cfg != NULL)
		mcfg_add(cfg, "metadata", mcfg_metadata(rs, hash, launch_id),
			 &bad);
	mcfg_add(body, "config", cfg, &bad);
	if (!bad) {
		text = json_object_to_json_string_ext(body, MCFG_JSON_FLAGS);
		out = util_strdup(text);
	}
	json_object_put(body);
	return out;
}
