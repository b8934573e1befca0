/* rsdecode.c - decode and validate one RegionSet document: the format's
 * field tables, its defaults and its rules (catalog regions, Fly's guest
 * sizes, unique regions and ports). The generic walking is rswalk.c. */
#include "rsdecode.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "rswalk.h"
#include "util.h"

#define RSD_API_VERSION "rhone.dev/v1"
#define RSD_KIND "RegionSet"

#define RSD_MAX_SERVICES 16
#define RSD_MAX_CHECKS 16
#define RSD_MAX_ENV 256
#define RSD_MAX_LABELS 64
#define RSD_KEY_MAX 128            /* env, label and annotation keys */
#define RSD_IMAGE_MAX 1024
#define RSD_PORT_MAX 65535
#define RSD_LIMIT_MAX 100000       /* concurrency limits */
#define RSD_DURATION_MAX 3600      /* check durations and health timeout */
#define RSD_DEADLINE_MAX 86400     /* progress deadline */

/* A guest mapping as written: only the keys given are set (non-zero). */
struct rsd_guest {
	const struct ynode *kind_node, *cpus_node, *mem_node;
	char cpu_kind[16];
	int cpus;
	int memory_mb;
};

/* An additional region as listed, checked against the primary once the
 * whole spec is read (the keys may come in any order). */
struct rsd_extra {
	char code[4];
	int count;
	size_t index;               /* position in spec.regions */
	int in_map;                 /* written as {code, count} */
	const struct ynode *node;   /* the code */
};

/* One {code, count} item of spec.regions while it is decoded. */
struct rsd_item {
	char code[4];
	int count;
	int code_ok;
	int count_bad;
	const struct ynode *node;
};

/* The walk of one document plus what the RegionSet rules need to see
 * across fields. `w` comes first: handlers get the walk and step back to
 * the whole with rsd_of. */
struct rsd {
	struct rswalk w;
	struct regionset *rs;
	char primary[4];            /* "" until primaryRegion is valid */
	int primary_count;
	struct rsd_guest guest[2];  /* guest, primaryGuest */
	struct rsd_extra extra[RS_REGIONS_MAX];
	int nextra;
};

static struct rsd *
rsd_of(struct rswalk *w)
{
	return (struct rsd *)(void *)w;
}

/*
 * Top level and metadata.
 */
static void
rsd_api_version(struct rswalk *w, const struct ynode *v, void *obj)
{
	const char *s = rsw_string(w, v);
	char q[64];

	(void)obj;
	if (s != NULL && strcmp(s, RSD_API_VERSION) != 0)
		rsw_err(w, v, "unsupported apiVersion \"%s\"; expected \"%s\"",
			rsw_q(s, q, sizeof(q)), RSD_API_VERSION);
}

static void
rsd_kind(struct rswalk *w, const struct ynode *v, void *obj)
{
	const char *s = rsw_string(w, v);
	char q[64];

	(void)obj;
	if (s != NULL && strcmp(s, RSD_KIND) != 0)
		rsw_err(w, v, "unsupported kind \"%s\"; expected \"%s\"",
			rsw_q(s, q, sizeof(q)), RSD_KIND);
}

static void
rsd_name(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_label(w, v, rs->name, sizeof(rs->name));
	rs->origin.name_line = v->line;
	rs->origin.name_column = v->column;
}

static void
rsd_label_entry(struct rswalk *w, const struct ynode *k,
		const struct ynode *v, void *obj)
{
	(void)obj;
	if (k->len > RSD_KEY_MAX)
		rsw_err(w, k, "key is too long (at most %d characters)",
			RSD_KEY_MAX);
	else
		rsw_text(w, v);
}

/* Labels and annotations are checked for shape only; nothing reads
 * them yet, and keeping them out of the model keeps hashes stable. */
static void
rsd_labels(struct rswalk *w, const struct ynode *v, void *obj)
{
	rsw_entries(w, v, RSD_MAX_LABELS, rsd_label_entry, obj);
}

static void
rsd_metadata(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "name", rsd_name, 1 },
		{ "labels", rsd_labels, 0 },
		{ "annotations", rsd_labels, 0 },
	};

	rsw_map(w, v, fields, RSW_NFIELDS(fields), obj);
}

/*
 * Spec scalars.
 */
static void
rsd_app(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_label(w, v, rs->app, sizeof(rs->app));
	rs->origin.app_line = v->line;
	rs->origin.app_column = v->column;
}

static void
rsd_image(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;
	const char *s = rsw_string(w, v);
	size_t i;

	if (s == NULL)
		return;
	if (*s == '\0') {
		rsw_err(w, v, "must not be empty");
		return;
	}
	if (strlen(s) > RSD_IMAGE_MAX) {
		rsw_err(w, v, "is too long (at most %d characters)",
			RSD_IMAGE_MAX);
		return;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (isspace((unsigned char)s[i]) ||
		    iscntrl((unsigned char)s[i])) {
			rsw_err(w, v, "must not contain spaces");
			return;
		}
	}
	free(rs->image);
	rs->image = strdup(s);
	if (rs->image == NULL)
		w->nomem = 1;
}

/* A catalog region code; on a miss the nearest code is suggested. */
static int
rsd_region_code(struct rswalk *w, const struct ynode *v, char code[4])
{
	const char *s = rsw_string(w, v), *hint;
	char q[64];

	if (s == NULL)
		return -1;
	if (region_find(s) != NULL) {
		util_strlcpy(code, s, 4);
		return 0;
	}
	rsw_q(s, q, sizeof(q));
	hint = region_suggest(s);
	if (hint != NULL)
		rsw_err(w, v, "unknown region \"%s\"; did you mean \"%s\"?",
			q, hint);
	else
		rsw_err(w, v, "unknown region \"%s\"", q);
	return -1;
}

static void
rsd_primary(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd *d = rsd_of(w);

	(void)obj;
	rsd_region_code(w, v, d->primary);
}

static void
rsd_primary_count(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd *d = rsd_of(w);

	(void)obj;
	rsw_int(w, v, 1, RS_COUNT_MAX, &d->primary_count);
}

/*
 * spec.regions: codes, or {code, count} mappings.
 */
static void
rsd_item_code(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd_item *it = obj;

	it->node = v;
	it->code_ok = rsd_region_code(w, v, it->code) == 0;
}

static void
rsd_item_count(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd_item *it = obj;

	if (rsw_int(w, v, 1, RS_COUNT_MAX, &it->count) < 0)
		it->count_bad = 1;
}

static void
rsd_add_extra(struct rsd *d, const struct rsd_item *it, size_t index,
	      int in_map)
{
	struct rsd_extra *x;
	size_t old;
	int i;

	for (i = 0; i < d->nextra; i++) {
		if (strcmp(d->extra[i].code, it->code) != 0)
			continue;
		old = in_map ? rsw_push(&d->w, "code") : d->w.plen;
		rsw_err(&d->w, it->node, "duplicate region \"%s\" (first "
			"listed at line %d)", it->code,
			d->extra[i].node->line);
		rsw_pop(&d->w, old);
		return;
	}
	if (d->nextra == RS_REGIONS_MAX)
		return;
	x = &d->extra[d->nextra++];
	util_strlcpy(x->code, it->code, sizeof(x->code));
	x->count = it->count;
	x->index = index;
	x->in_map = in_map;
	x->node = it->node;
}

static void
rsd_region_item(struct rsd *d, const struct ynode *v, size_t index)
{
	static const struct rswalk_field fields[] = {
		{ "code", rsd_item_code, 1 },
		{ "count", rsd_item_count, 0 },
	};
	struct rsd_item it = { .count = 1 };

	if (v->kind == YNODE_SCALAR) {
		it.node = v;
		it.code_ok = rsd_region_code(&d->w, v, it.code) == 0;
	} else if (v->kind == YNODE_MAP) {
		rsw_map(&d->w, v, fields, RSW_NFIELDS(fields), &it);
	} else {
		rsw_err(&d->w, v, "must be a region code or a mapping with "
			"code and count, not %s", rsw_type_name(v));
	}
	if (it.code_ok && !it.count_bad)
		rsd_add_extra(d, &it, index, v->kind == YNODE_MAP);
}

static void
rsd_regions(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd *d = rsd_of(w);
	size_t i, old;

	(void)obj;
	if (!rsw_is_list(w, v))
		return;
	for (i = 0; i < v->n; i++) {
		old = rsw_push_index(w, i);
		rsd_region_item(d, v->items[i], i);
		rsw_pop(w, old);
	}
}

/* Primary first, then the additional regions in the order listed. Runs
 * with the path at "spec". */
static void
rsd_build_regions(struct rsd *d)
{
	struct regionset *rs = d->rs;
	size_t old;
	int i;

	util_strlcpy(rs->regions[0].code, d->primary, 4);
	rs->regions[0].count = d->primary_count;
	rs->regions[0].primary = 1;
	rs->nregions = 1;
	for (i = 0; i < d->nextra; i++) {
		const struct rsd_extra *x = &d->extra[i];
		if (strcmp(x->code, d->primary) == 0) {
			old = rsw_push(&d->w, "regions");
			rsw_push_index(&d->w, x->index);
			if (x->in_map)
				rsw_push(&d->w, "code");
			rsw_err(&d->w, x->node, "region \"%s\" is already the "
				"primary region; set primaryCount for more "
				"machines there", x->code);
			rsw_pop(&d->w, old);
			continue;
		}
		util_strlcpy(rs->regions[rs->nregions].code, x->code, 4);
		rs->regions[rs->nregions++].count = x->count;
	}
}

/*
 * guest and primaryGuest.
 */
static void
rsd_guest_kind(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const kinds[] = { "shared", "performance", NULL };
	struct rsd_guest *g = obj;

	if (rsw_enum(w, v, kinds, g->cpu_kind, sizeof(g->cpu_kind)) == 0)
		g->kind_node = v;
}

static void
rsd_guest_cpus(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd_guest *g = obj;

	if (rsw_int(w, v, 1, 128, &g->cpus) == 0)
		g->cpus_node = v;
}

static void
rsd_guest_mem(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd_guest *g = obj;

	if (rsw_int(w, v, 256, 128 * 8192, &g->memory_mb) == 0)
		g->mem_node = v;
}

static void
rsd_guest_map(struct rswalk *w, const struct ynode *v, struct rsd_guest *g)
{
	static const struct rswalk_field fields[] = {
		{ "cpuKind", rsd_guest_kind, 0 },
		{ "cpus", rsd_guest_cpus, 0 },
		{ "memoryMB", rsd_guest_mem, 0 },
	};

	rsw_map(w, v, fields, RSW_NFIELDS(fields), g);
}

static void
rsd_guest(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd *d = rsd_of(w);

	(void)obj;
	rsd_guest_map(w, v, &d->guest[0]);
}

static void
rsd_primary_guest(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rsd *d = rsd_of(w);

	(void)obj;
	rsd_guest_map(w, v, &d->guest[1]);
}

/* Where a resolved guest value came from, to point an error at it. */
struct rsd_src {
	const struct ynode *node;
	const char *path;
	const char *key;
};

static int
rsd_cpus_allowed(int perf, int cpus)
{
	static const int shared[] = { 1, 2, 4, 6, 8, 0 };
	static const int performance[] = { 1, 2, 4, 6, 8, 10, 12, 14, 16,
		32, 64, 128, 0 };
	const int *p;

	for (p = perf ? performance : shared; *p != 0; p++)
		if (*p == cpus)
			return 1;
	return 0;
}

static int
rsd_min_memory(const char *kind, int cpus)
{
	return cpus * (strcmp(kind, "performance") == 0 ? 2048 : 256);
}

/* Report at the first source that was written (defaults cannot be
 * wrong on their own), unless that node already has an error: the
 * primary inherits guest's values, and one mistake deserves one error.
 * Returns the node the error belongs to. */
static const struct ynode *
rsd_guest_err(struct rswalk *w, const struct rsd_src *s, int n,
	      const struct ynode *skip, const char *msg, const char *who)
{
	char saved[sizeof(w->path)];
	size_t saved_len = w->plen;
	int i;

	for (i = 0; i < n && s[i].node == NULL; i++)
		;
	if (i == n || s[i].node == skip)
		return i == n ? NULL : skip;
	memcpy(saved, w->path, sizeof(saved));
	w->plen = 0;
	w->path[0] = '\0';
	rsw_push(w, s[i].path);
	rsw_push(w, s[i].key);
	rsw_err(w, s[i].node, "%s%s", msg, who);
	memcpy(w->path, saved, sizeof(saved));
	w->plen = saved_len;
	return s[i].node;
}

/* Fly's sizing rules. src holds where kind, cpus and memory came from;
 * returns the node an error belongs to, or NULL when g is fine. */
static const struct ynode *
rsd_check_guest(struct rswalk *w, const struct rs_guest *g,
		const struct rsd_src src[3], const struct ynode *skip,
		const char *who)
{
	const struct rsd_src by_mem[3] = { src[2], src[1], src[0] };
	const struct rsd_src by_cpus[2] = { src[1], src[0] };
	int perf = strcmp(g->cpu_kind, "performance") == 0;
	int step = perf ? 1024 : 256;
	int min = rsd_min_memory(g->cpu_kind, g->cpus);
	int max = g->cpus * (perf ? 8192 : 2048);
	char msg[160];

	if (!rsd_cpus_allowed(perf, g->cpus)) {
		snprintf(msg, sizeof(msg), "%s guests take %s cpus, not %d",
			 g->cpu_kind, perf ? "1, 2, 4, 6, 8, 10, 12, 14, 16, "
			 "32, 64 or 128" : "1, 2, 4, 6 or 8", g->cpus);
		return rsd_guest_err(w, by_cpus, 2, skip, msg, who);
	}
	if (g->memory_mb % step != 0)
		snprintf(msg, sizeof(msg), "memoryMB %d is not a multiple of "
			 "%d", g->memory_mb, step);
	else if (g->memory_mb < min || g->memory_mb > max)
		snprintf(msg, sizeof(msg), "memoryMB %d is outside %d..%d for "
			 "%d %s cpu%s", g->memory_mb, min, max, g->cpus,
			 g->cpu_kind, g->cpus > 1 ? "s" : "");
	else
		return NULL;
	return rsd_guest_err(w, by_mem, 3, skip, msg, who);
}

static void
rsd_pick_src(struct rsd_src *s, const struct ynode *pn,
	     const struct ynode *gn, const char *key)
{
	s->node = pn ? pn : gn;
	s->path = pn ? "spec.primaryGuest" : "spec.guest";
	s->key = key;
}

/* Replicas: guest over the defaults. Primary: primaryGuest over guest
 * over the defaults, with at least 512 MB unless memory is given. */
static void
rsd_resolve_guests(struct rsd *d)
{
	const struct rsd_guest *g = &d->guest[0], *p = &d->guest[1];
	struct rs_guest *rg = &d->rs->guest, *pg = &d->rs->primary_guest;
	int floor_mb;

	util_strlcpy(rg->cpu_kind, g->cpu_kind[0] ? g->cpu_kind : "shared",
		     sizeof(rg->cpu_kind));
	rg->cpus = g->cpus ? g->cpus : 1;
	rg->memory_mb = g->memory_mb ? g->memory_mb :
		rsd_min_memory(rg->cpu_kind, rg->cpus);

	util_strlcpy(pg->cpu_kind, p->cpu_kind[0] ? p->cpu_kind :
		     rg->cpu_kind, sizeof(pg->cpu_kind));
	pg->cpus = p->cpus ? p->cpus : rg->cpus;
	floor_mb = rsd_min_memory(pg->cpu_kind, pg->cpus);
	if (floor_mb < 512)
		floor_mb = 512;
	pg->memory_mb = p->memory_mb ? p->memory_mb :
		g->memory_mb ? g->memory_mb : floor_mb;
}

static void
rsd_check_guests(struct rsd *d)
{
	const struct rsd_guest *g = &d->guest[0], *p = &d->guest[1];
	struct rsd_src rsrc[3], psrc[3];
	const struct ynode *bad;

	rsd_pick_src(&rsrc[0], NULL, g->kind_node, "cpuKind");
	rsd_pick_src(&rsrc[1], NULL, g->cpus_node, "cpus");
	rsd_pick_src(&rsrc[2], NULL, g->mem_node, "memoryMB");
	rsd_pick_src(&psrc[0], p->kind_node, g->kind_node, "cpuKind");
	rsd_pick_src(&psrc[1], p->cpus_node, g->cpus_node, "cpus");
	rsd_pick_src(&psrc[2], p->mem_node, g->mem_node, "memoryMB");
	bad = rsd_check_guest(&d->w, &d->rs->guest, rsrc, NULL, "");
	rsd_check_guest(&d->w, &d->rs->primary_guest, psrc, bad,
			" (primary region)");
}

/*
 * spec.services.
 */
static void
rsd_protocol(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	struct rs_service *s = obj;

	rsw_enum(w, v, protos, s->protocol, sizeof(s->protocol));
}

static void
rsd_internal_port(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_service *s = obj;

	rsw_int(w, v, 1, RSD_PORT_MAX, &s->internal_port);
}

static void
rsd_handlers(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const names[] = { "http", "tls", "pg_tls", NULL };
	struct rs_port *p = obj;
	size_t i, old;
	int j;

	if (!rsw_is_list(w, v))
		return;
	if (v->n > RS_HANDLERS_MAX) {
		rsw_err(w, v, "at most %d handlers", RS_HANDLERS_MAX);
		return;
	}
	for (i = 0; i < v->n; i++) {
		char h[8] = "";
		old = rsw_push_index(w, i);
		if (rsw_enum(w, v->items[i], names, h, sizeof(h)) == 0) {
			for (j = 0; j < p->nhandlers &&
			     strcmp(p->handlers[j], h) != 0; j++)
				;
			if (j < p->nhandlers)
				rsw_err(w, v->items[i], "duplicate handler "
					"\"%s\"", h);
			else
				memcpy(p->handlers[p->nhandlers++], h, 8);
		}
		rsw_pop(w, old);
	}
}

static void
rsd_port_number(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_port *p = obj;

	rsw_int(w, v, 1, RSD_PORT_MAX, &p->port);
}

static void
rsd_force_https(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_port *p = obj;

	rsw_bool(w, v, &p->force_https);
}

static void
rsd_ports(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "port", rsd_port_number, 1 },
		{ "handlers", rsd_handlers, 0 },
		{ "forceHttps", rsd_force_https, 0 },
	};
	struct rs_service *s = obj;
	size_t i, old;

	if (!rsw_is_list(w, v))
		return;
	if (v->n > RS_PORTS_MAX) {
		rsw_err(w, v, "at most %d ports per service", RS_PORTS_MAX);
		return;
	}
	for (i = 0; i < v->n; i++) {
		old = rsw_push_index(w, i);
		rsw_map(w, v->items[i], fields, RSW_NFIELDS(fields),
			&s->ports[s->nports++]);
		rsw_pop(w, old);
	}
}

static void
rsd_conc_type(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const types[] = { "connections", "requests",
		NULL };
	struct rs_service *s = obj;

	rsw_enum(w, v, types, s->concurrency_type,
		 sizeof(s->concurrency_type));
}

static void
rsd_conc_soft(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_service *s = obj;

	rsw_int(w, v, 1, RSD_LIMIT_MAX, &s->soft_limit);
}

static void
rsd_conc_hard(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_service *s = obj;

	rsw_int(w, v, 1, RSD_LIMIT_MAX, &s->hard_limit);
}

static void
rsd_concurrency(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "type", rsd_conc_type, 0 },
		{ "softLimit", rsd_conc_soft, 0 },
		{ "hardLimit", rsd_conc_hard, 0 },
	};
	struct rs_service *s = obj;

	if (rsw_map(w, v, fields, RSW_NFIELDS(fields), s) == 0 &&
	    s->soft_limit > s->hard_limit)
		rsw_err(w, v, "softLimit (%d) must not exceed hardLimit (%d)",
			s->soft_limit, s->hard_limit);
}

/* Fly also takes booleans here: false is "off", true is "stop". */
static void
rsd_autostop(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const modes[] = { "off", "stop", "suspend",
		NULL };
	struct rs_service *s = obj;

	if (v->kind == YNODE_SCALAR && v->type == YS_BOOL) {
		int on = v->value[0] == 't' || v->value[0] == 'T';
		util_strlcpy(s->autostop, on ? "stop" : "off",
			     sizeof(s->autostop));
		return;
	}
	rsw_enum(w, v, modes, s->autostop, sizeof(s->autostop));
}

static void
rsd_autostart(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_service *s = obj;

	rsw_bool(w, v, &s->autostart);
}

static void
rsd_min_running(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_service *s = obj;

	rsw_int(w, v, 0, RS_COUNT_MAX, &s->min_machines_running);
}

static const struct ynode *
rsd_port_node(const struct ynode *services, size_t si, int pi)
{
	const struct ynode *ports = ytree_get(services->items[si], "ports",
					      NULL);
	const struct ynode *p;

	if (ports == NULL || ports->kind != YNODE_LIST ||
	    (size_t)pi >= ports->n)
		return services->items[si];
	p = ytree_get(ports->items[pi], "port", NULL);
	return p ? p : ports->items[pi];
}

/* The first earlier port with the same number and protocol as port
 * pi of service si; 0 and its place in *sa, *pa when there is one. */
static int
rsd_port_taken(const struct regionset *rs, int si, int pi, int *sa,
	       int *pa)
{
	const struct rs_service *s = &rs->services[si];
	int a, b;

	for (a = 0; a <= si; a++) {
		const struct rs_service *t = &rs->services[a];
		int upto = a == si ? pi : t->nports;
		if (strcmp(s->protocol, t->protocol) != 0)
			continue;
		for (b = 0; b < upto; b++) {
			if (t->ports[b].port == s->ports[pi].port) {
				*sa = a;
				*pa = b;
				return 0;
			}
		}
	}
	return -1;
}

/* Two services cannot both listen on one public port and protocol. */
static void
rsd_ports_unique(struct rswalk *w, const struct ynode *v,
		 const struct regionset *rs)
{
	int i, j, a, b;
	size_t old;

	for (i = 0; i < rs->nservices; i++) {
		for (j = 0; j < rs->services[i].nports; j++) {
			const struct rs_service *s = &rs->services[i];
			if (s->ports[j].port == 0 ||
			    rsd_port_taken(rs, i, j, &a, &b) < 0)
				continue;
			old = rsw_push_index(w, (size_t)i);
			rsw_push(w, "ports");
			rsw_push_index(w, (size_t)j);
			rsw_push(w, "port");
			rsw_err(w, rsd_port_node(v, (size_t)i, j),
				"port %d/%s is already used by "
				"services[%d].ports[%d]", s->ports[j].port,
				s->protocol, a, b);
			rsw_pop(w, old);
		}
	}
}

static void
rsd_services(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "protocol", rsd_protocol, 0 },
		{ "internalPort", rsd_internal_port, 1 },
		{ "ports", rsd_ports, 0 },
		{ "concurrency", rsd_concurrency, 0 },
		{ "autostop", rsd_autostop, 0 },
		{ "autostart", rsd_autostart, 0 },
		{ "minMachinesRunning", rsd_min_running, 0 },
	};
	struct regionset *rs = obj;
	size_t i, old;

	if (!rsw_is_list(w, v))
		return;
	if (v->n > RSD_MAX_SERVICES) {
		rsw_err(w, v, "at most %d services", RSD_MAX_SERVICES);
		return;
	}
	free(rs->services);
	rs->nservices = 0;
	rs->services = v->n ? calloc(v->n, sizeof(*rs->services)) : NULL;
	if (v->n > 0 && rs->services == NULL) {
		w->nomem = 1;
		return;
	}
	for (i = 0; i < v->n; i++) {
		rs_service_init(&rs->services[i]);
		old = rsw_push_index(w, i);
		rsw_map(w, v->items[i], fields, RSW_NFIELDS(fields),
			&rs->services[i]);
		rsw_pop(w, old);
	}
	rs->nservices = (int)v->n;
	rsd_ports_unique(w, v, rs);
}

/*
 * spec.checks.
 */
static void
rsd_check_type(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const types[] = { "http", "tcp", NULL };
	struct rs_check *c = obj;

	rsw_enum(w, v, types, c->type, sizeof(c->type));
}

static void
rsd_check_port(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_check *c = obj;

	rsw_int(w, v, 1, RSD_PORT_MAX, &c->port);
}

static void
rsd_check_path(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_check *c = obj;
	char path[sizeof(c->path)];
	size_t i;

	if (rsw_copy(w, v, path, sizeof(path)) < 0)
		return;
	for (i = 0; path[i] != '\0'; i++) {
		if (isspace((unsigned char)path[i]) ||
		    iscntrl((unsigned char)path[i]))
			break;
	}
	if (path[0] != '/' || path[i] != '\0') {
		rsw_err(w, v, "must start with '/' and contain no spaces");
		return;
	}
	memcpy(c->path, path, sizeof(path));
}

static void
rsd_check_method(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS", NULL };
	struct rs_check *c = obj;

	rsw_enum(w, v, methods, c->method, sizeof(c->method));
}

static void
rsd_check_interval(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_check *c = obj;

	rsw_duration(w, v, 1, RSD_DURATION_MAX, &c->interval_s);
}

static void
rsd_check_timeout(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_check *c = obj;

	rsw_duration(w, v, 1, RSD_DURATION_MAX, &c->timeout_s);
}

static void
rsd_check_grace(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct rs_check *c = obj;

	rsw_duration(w, v, 0, RSD_DURATION_MAX, &c->grace_s);
}

static int
rsd_check_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= sizeof(((struct rs_check *)0)->name))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

/* path and method mean something for http checks only. */
static void
rsd_check_kind_rules(struct rswalk *w, const struct ynode *v,
		     const struct rs_check *c)
{
	const struct ynode *k = NULL;

	if (strcmp(c->type, "http") == 0) {
		if (ytree_get(v, "path", NULL) == NULL)
			rsw_err(w, v, "missing required field \"path\" "
				"(http checks need one)");
		return;
	}
	if (ytree_get(v, "path", &k) != NULL ||
	    ytree_get(v, "method", &k) != NULL)
		rsw_err(w, k, "field \"%s\" applies to http checks only",
			k->value);
}

static void
rsd_check_entry(struct rswalk *w, const struct ynode *k,
		const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "type", rsd_check_type, 1 },
		{ "port", rsd_check_port, 1 },
		{ "path", rsd_check_path, 0 },
		{ "method", rsd_check_method, 0 },
		{ "interval", rsd_check_interval, 0 },
		{ "timeout", rsd_check_timeout, 0 },
		{ "gracePeriod", rsd_check_grace, 0 },
	};
	struct regionset *rs = obj;
	struct rs_check *c = &rs->checks[rs->nchecks];
	char q[64];

	if (!rsd_check_name_ok(k->value)) {
		rsw_err(w, k, "invalid check name \"%s\": use at most 31 "
			"letters, digits, '-' and '_'",
			rsw_q(k->value, q, sizeof(q)));
		return;
	}
	rs_check_init(c);
	c->type[0] = '\0';     /* required: no default to fall back on */
	util_strlcpy(c->name, k->value, sizeof(c->name));
	rs->nchecks++;
	if (rsw_map(w, v, fields, RSW_NFIELDS(fields), c) == 0 &&
	    c->type[0] != '\0')
		rsd_check_kind_rules(w, v, c);
}

static int
rsd_check_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rs_check *)a)->name,
		      ((const struct rs_check *)b)->name);
}

static void
rsd_checks(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;
	size_t n = v->n / 2;

	if (!rsw_is_map(w, v))
		return;
	free(rs->checks);
	rs->nchecks = 0;
	rs->checks = calloc(n ? n : 1, sizeof(*rs->checks));
	if (rs->checks == NULL) {
		w->nomem = 1;
		return;
	}
	rsw_entries(w, v, RSD_MAX_CHECKS, rsd_check_entry, rs);
	/* Sorted by name: the order written must not change hashes. */
	qsort(rs->checks, (size_t)rs->nchecks, sizeof(*rs->checks),
	      rsd_check_cmp);
}

/*
 * spec.env.
 */
static int
rsd_env_name_ok(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return i <= RSD_KEY_MAX;
}

static void
rsd_env_entry(struct rswalk *w, const struct ynode *k,
	      const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;
	struct rs_kv *kv = &rs->env[rs->nenv];
	const char *val;
	char q[64];

	if (!rsd_env_name_ok(k->value)) {
		rsw_err(w, k, "invalid variable name \"%s\": use letters, "
			"digits and '_', not starting with a digit",
			rsw_q(k->value, q, sizeof(q)));
		return;
	}
	if (strcmp(k->value, "PRIMARY_REGION") == 0 ||
	    strcmp(k->value, "FLY_REGION") == 0) {
		rsw_err(w, k, "%s is set by the controller for each machine; "
			"remove it", k->value);
		return;
	}
	if ((val = rsw_text(w, v)) == NULL)
		return;
	kv->key = strdup(k->value);
	kv->value = strdup(val);
	rs->nenv++;
	if (kv->key == NULL || kv->value == NULL)
		w->nomem = 1;
}

static int
rsd_env_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rs_kv *)a)->key,
		      ((const struct rs_kv *)b)->key);
}

static void
rsd_env(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;
	size_t n = v->n / 2;

	if (!rsw_is_map(w, v) || n == 0)
		return;
	if (n > RSD_MAX_ENV) {
		rsw_err(w, v, "has %zu variables; at most %d are allowed", n,
			RSD_MAX_ENV);
		return;
	}
	rs->env = calloc(n, sizeof(*rs->env));
	if (rs->env == NULL) {
		w->nomem = 1;
		return;
	}
	rsw_entries(w, v, RSD_MAX_ENV, rsd_env_entry, rs);
	/* Sorted by key (the model's promise); a failed strdup left a
	 * NULL key, and the set is dropped anyway. */
	if (!w->nomem)
		qsort(rs->env, (size_t)rs->nenv, sizeof(*rs->env),
		      rsd_env_cmp);
}

/*
 * spec.strategy.
 */
static void
rsd_strategy_type(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;
	const char *s = rsw_string(w, v);
	char q[64];

	if (s == NULL)
		return;
	if (strcmp(s, "bluegreen") != 0 && strcmp(s, "rolling") != 0 &&
	    strcmp(s, "immediate") != 0) {
		rsw_err(w, v, "unsupported strategy \"%s\"; supported: "
			"bluegreen, rolling, immediate",
			rsw_q(s, q, sizeof(q)));
		return;
	}
	util_strlcpy(rs->strategy, s, sizeof(rs->strategy));
}

static void
rsd_health_timeout(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_duration(w, v, 2, RSD_DURATION_MAX, &rs->health_timeout_s);
}

/* A count (0 to RS_COUNT_MAX) or a percentage ("25%", 0 to 100). */
static void
rsd_quantity(struct rswalk *w, const struct ynode *v, struct rs_quantity *q)
{
	char digits[8];
	long n;
	size_t len;

	if (v->kind == YNODE_SCALAR && v->type == YS_INT) {
		if (rsw_int(w, v, 0, RS_COUNT_MAX, &q->value) == 0)
			q->percent = 0;
		return;
	}
	len = v->kind == YNODE_SCALAR ? strlen(v->value) : 0;
	if (len < 2 || len > sizeof(digits) || v->value[len - 1] != '%' ||
	    v->value[0] == '+' || v->value[0] == '-') {
		rsw_err(w, v, "must be a count or a percentage such as "
			"\"25%%\"");
		return;
	}
	memcpy(digits, v->value, len - 1);
	digits[len - 1] = '\0';
	if (util_parse_long(digits, 0, 100, &n) < 0) {
		rsw_err(w, v, "must be a percentage from 0%% to 100%%");
		return;
	}
	q->value = (int)n;
	q->percent = 1;
}

static void
rsd_max_surge(struct rswalk *w, const struct ynode *v, void *obj)
{
	rsd_quantity(w, v, &((struct regionset *)obj)->max_surge);
}

static void
rsd_max_unavailable(struct rswalk *w, const struct ynode *v, void *obj)
{
	rsd_quantity(w, v, &((struct regionset *)obj)->max_unavailable);
}

static void
rsd_min_ready(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_int(w, v, 0, RSD_DURATION_MAX, &rs->min_ready_s);
}

static void
rsd_progress_deadline(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_duration(w, v, 2, RSD_DEADLINE_MAX, &rs->progress_deadline_s);
}

static void
rsd_max_parallel(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_int(w, v, 0, RS_REGIONS_MAX, &rs->max_parallel_regions);
}

static void
rsd_primary_first(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_bool(w, v, &rs->primary_first);
}

static void
rsd_soak(struct rswalk *w, const struct ynode *v, void *obj)
{
	struct regionset *rs = obj;

	rsw_duration(w, v, 0, RSD_DEADLINE_MAX, &rs->soak_s);
}

static void
rsd_max_unhealthy(struct rswalk *w, const struct ynode *v, void *obj)
{
	rsd_quantity(w, v, &((struct regionset *)obj)->max_unhealthy);
}

static void
rsd_strategy(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "type", rsd_strategy_type, 0 },
		{ "healthTimeout", rsd_health_timeout, 0 },
		{ "maxSurge", rsd_max_surge, 0 },
		{ "maxUnavailable", rsd_max_unavailable, 0 },
		{ "minReadySeconds", rsd_min_ready, 0 },
		{ "progressDeadline", rsd_progress_deadline, 0 },
		{ "primaryFirst", rsd_primary_first, 0 },
		{ "maxParallelRegions", rsd_max_parallel, 0 },
		{ "soakTime", rsd_soak, 0 },
		{ "maxUnhealthy", rsd_max_unhealthy, 0 },
	};
	struct regionset *rs = obj;

	if (rsw_map(w, v, fields, RSW_NFIELDS(fields), obj) < 0)
		return;
	/* Neither extra machines nor fewer ready ones: no rollout could
	 * ever take a step. */
	if (rs->max_surge.value == 0 && rs->max_unavailable.value == 0)
		rsw_err(w, v, "maxSurge and maxUnavailable must not both "
			"be 0");
}

/*
 * spec and the document.
 */
static void
rsd_spec(struct rswalk *w, const struct ynode *v, void *obj)
{
	static const struct rswalk_field fields[] = {
		{ "app", rsd_app, 1 },
		{ "image", rsd_image, 1 },
		{ "primaryRegion", rsd_primary, 1 },
		{ "primaryCount", rsd_primary_count, 0 },
		{ "regions", rsd_regions, 0 },
		{ "guest", rsd_guest, 0 },
		{ "primaryGuest", rsd_primary_guest, 0 },
		{ "services", rsd_services, 0 },
		{ "checks", rsd_checks, 0 },
		{ "env", rsd_env, 0 },
		{ "strategy", rsd_strategy, 0 },
	};
	struct rsd *d = rsd_of(w);

	if (rsw_map(w, v, fields, RSW_NFIELDS(fields), obj) < 0)
		return;
	if (d->primary[0] != '\0')
		rsd_build_regions(d);
	rsd_resolve_guests(d);
	rsd_check_guests(d);
}

/* Errors anywhere in the document should name the set, and metadata may
 * come after spec: look the name up before decoding. */
static void
rsd_prescan_name(struct rswalk *w, const struct ynode *root)
{
	const struct ynode *name = ytree_get(ytree_get(root, "metadata",
						       NULL), "name", NULL);

	if (name != NULL && name->kind == YNODE_SCALAR &&
	    name->type == YS_STRING && rsw_is_label(name->value))
		util_strlcpy(w->set, name->value, sizeof(w->set));
}

static void
rsd_document(struct rsd *d, const struct ynode *root)
{
	static const struct rswalk_field fields[] = {
		{ "apiVersion", rsd_api_version, 1 },
		{ "kind", rsd_kind, 1 },
		{ "metadata", rsd_metadata, 1 },
		{ "spec", rsd_spec, 1 },
	};

	rsd_prescan_name(&d->w, root);
	if (root->kind != YNODE_MAP) {
		rsw_err(&d->w, root, "a RegionSet document must be a mapping, "
			"not %s", rsw_type_name(root));
		return;
	}
	rsw_map(&d->w, root, fields, RSW_NFIELDS(fields), d->rs);
}

enum rsdecode_result
rsdecode(const struct ynode *root, const char *file, struct rs_errors *errs,
	 struct regionset **out, char name[RS_NAME_MAX])
{
	struct rsd d;

	*out = NULL;
	name[0] = '\0';
	memset(&d, 0, sizeof(d));
	d.w.errs = errs;
	d.w.file = file;
	d.primary_count = 1;
	d.rs = calloc(1, sizeof(*d.rs));
	if (d.rs == NULL || rs_init_defaults(d.rs) < 0) {
		free(d.rs);
		return RSDECODE_NOMEM;
	}
	rsd_document(&d, root);
	util_strlcpy(name, d.w.set, RS_NAME_MAX);
	if (!d.w.nomem && d.w.nerrs == 0) {
		d.rs->origin.line = root->line;
		d.rs->origin.column = root->column;
		d.rs->origin.file = util_strdup(file);
		if ((file == NULL || d.rs->origin.file != NULL) &&
		    rs_finalize(d.rs) == 0) {
			*out = d.rs;
			return RSDECODE_OK;
		}
		d.w.nomem = 1;
	}
	rs_free(d.rs);
	return d.w.nomem ? RSDECODE_NOMEM : RSDECODE_INVALID;
}
