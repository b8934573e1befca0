/* regionset.c - the RegionSet model: defaults, hashes, copies, errors. */
#include "regionset.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinecfg.h"
#include "util.h"

/* Defaults of the originating design; DESIGN.md lists them too. */
#define RS_DEF_PORT 8080
#define RS_DEF_SOFT 80
#define RS_DEF_HARD 100
#define RS_DEF_INTERVAL 10
#define RS_DEF_TIMEOUT 5
#define RS_DEF_HEALTH_TIMEOUT 300
#define RS_DEF_PROGRESS_DEADLINE 600

static void
rs_guest_set(struct rs_guest *g, const char *kind, int cpus, int mem)
{
	util_strlcpy(g->cpu_kind, kind, sizeof(g->cpu_kind));
	g->cpus = cpus;
	g->memory_mb = mem;
}

void
rs_service_init(struct rs_service *s)
{
	memset(s, 0, sizeof(*s));
	util_strlcpy(s->protocol, "tcp", sizeof(s->protocol));
	util_strlcpy(s->concurrency_type, "connections",
		     sizeof(s->concurrency_type));
	s->soft_limit = RS_DEF_SOFT;
	s->hard_limit = RS_DEF_HARD;
	s->autostart = -1;
}

void
rs_check_init(struct rs_check *c)
{
	memset(c, 0, sizeof(*c));
	util_strlcpy(c->type, "http", sizeof(c->type));
	util_strlcpy(c->method, "GET", sizeof(c->method));
	c->interval_s = RS_DEF_INTERVAL;
	c->timeout_s = RS_DEF_TIMEOUT;
}

static void
rs_port_set(struct rs_port *p, int port, const char *h1, const char *h2)
{
	p->port = port;
	p->nhandlers = 0;
	if (h1 != NULL)
		util_strlcpy(p->handlers[p->nhandlers++], h1,
			     sizeof(p->handlers[0]));
	if (h2 != NULL)
		util_strlcpy(p->handlers[p->nhandlers++], h2,
			     sizeof(p->handlers[0]));
}

/* The one service of the design: 8080 behind 80/http and 443/tls+http. */
static void
rs_default_service(struct rs_service *s)
{
	rs_service_init(s);
	s->internal_port = RS_DEF_PORT;
	s->nports = 2;
	rs_port_set(&s->ports[0], 80, "http", NULL);
	rs_port_set(&s->ports[1], 443, "tls", "http");
}

static void
rs_default_check(struct rs_check *c)
{
	rs_check_init(c);
	util_strlcpy(c->name, "health", sizeof(c->name));
	c->port = RS_DEF_PORT;
	util_strlcpy(c->path, "/health", sizeof(c->path));
}

int
rs_init_defaults(struct regionset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs_guest_set(&rs->guest, "shared", 1, 256);
	rs_guest_set(&rs->primary_guest, "shared", 1, 512);
	util_strlcpy(rs->strategy, "bluegreen", sizeof(rs->strategy));
	rs->health_timeout_s = RS_DEF_HEALTH_TIMEOUT;
	rs->max_surge.value = 1;
	rs->progress_deadline_s = RS_DEF_PROGRESS_DEADLINE;
	rs->max_unhealthy.value = 100;
	rs->max_unhealthy.percent = 1;
	rs->primary_first = 1;

	rs->services = calloc(1, sizeof(*rs->services));
	rs->checks = calloc(1, sizeof(*rs->checks));
	if (rs->services == NULL || rs->checks == NULL) {
		free(rs->services);
		free(rs->checks);
		rs->services = NULL;
		rs->checks = NULL;
		return -1;
	}
	rs->nservices = 1;
	rs_default_service(&rs->services[0]);
	rs->nchecks = 1;
	rs_default_check(&rs->checks[0]);
	return 0;
}

/*
 * spec_hash: FNV-1a over every spec field in a fixed order. Each value is
 * hashed as text followed by a NUL, so "ab"+"c" and "a"+"bc" differ.
 */
static uint64_t
hash_str(uint64_t h, const char *s)
{
	if (s == NULL)
		s = "";
	return util_fnv1a(h, s, strlen(s) + 1);
}

static uint64_t
hash_int(uint64_t h, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	return hash_str(h, buf);
}

static uint64_t
hash_guest(uint64_t h, const struct rs_guest *g)
{
	h = hash_str(h, g->cpu_kind);
	h = hash_int(h, g->cpus);
	return hash_int(h, g->memory_mb);
}

static uint64_t
hash_service(uint64_t h, const struct rs_service *s)
{
	int i, j;

	h = hash_str(h, s->protocol);
	h = hash_int(h, s->internal_port);
	h = hash_int(h, s->nports);
	for (i = 0; i < s->nports; i++) {
		h = hash_int(h, s->ports[i].port);
		h = hash_int(h, s->ports[i].force_https);
		h = hash_int(h, s->ports[i].nhandlers);
		for (j = 0; j < s->ports[i].nhandlers; j++)
			h = hash_str(h, s->ports[i].handlers[j]);
	}
	h = hash_str(h, s->concurrency_type);
	h = hash_int(h, s->soft_limit);
	h = hash_int(h, s->hard_limit);
	h = hash_str(h, s->autostop);
	h = hash_int(h, s->autostart);
	return hash_int(h, s->min_machines_running);
}

static uint64_t
hash_check(uint64_t h, const struct rs_check *c)
{
	h = hash_str(h, c->name);
	h = hash_str(h, c->type);
	h = hash_int(h, c->port);
	h = hash_str(h, c->method);
	h = hash_str(h, c->path);
	h = hash_int(h, c->interval_s);
	h = hash_int(h, c->timeout_s);
	return hash_int(h, c->grace_s);
}

static uint64_t
hash_spec(const struct regionset *rs)
{
	uint64_t h = hash_str(UTIL_FNV_SEED, "rhone.dev/v1 spec");
	int i;

	h = hash_str(h, rs->name);
	h = hash_str(h, rs->app);
	h = hash_str(h, rs->image);
	h = hash_int(h, rs->nregions);
	for (i = 0; i < rs->nregions; i++) {
		h = hash_str(h, rs->regions[i].code);
		h = hash_int(h, rs->regions[i].count);
		h = hash_int(h, rs->regions[i].primary);
		h = hash_int(h, rs->regions[i].held);
	}
	h = hash_str(h, rs->plan);
	h = hash_guest(h, &rs->guest);
	h = hash_guest(h, &rs->primary_guest);
	h = hash_int(h, rs->nservices);
	for (i = 0; i < rs->nservices; i++)
		h = hash_service(h, &rs->services[i]);
	h = hash_int(h, rs->nchecks);
	for (i = 0; i < rs->nchecks; i++)
		h = hash_check(h, &rs->checks[i]);
	h = hash_int(h, rs->nenv);
	for (i = 0; i < rs->nenv; i++) {
		h = hash_str(h, rs->env[i].key);
		h = hash_str(h, rs->env[i].value);
	}
	h = hash_str(h, rs->strategy);
	h = hash_int(h, rs->max_surge.value * 2 + rs->max_surge.percent);
	h = hash_int(h, rs->max_unavailable.value * 2 +
		     rs->max_unavailable.percent);
	h = hash_int(h, rs->min_ready_s);
	h = hash_int(h, rs->progress_deadline_s);
	h = hash_int(h, rs->max_parallel_regions * 2 + rs->primary_first);
	h = hash_int(h, rs->soak_s);
	h = hash_int(h, rs->max_unhealthy.value * 2 +
		     rs->max_unhealthy.percent);
	return hash_int(h, rs->health_timeout_s);
}

int
rs_quantity_resolve(const struct rs_quantity *q, int count, int round_up)
{
	if (!q->percent)
		return q->value;
	return (q->value * count + (round_up ? 99 : 0)) / 100;
}

int
rs_finalize(struct regionset *rs)
{
	int i;

	for (i = 0; i < rs->nregions; i++)
		if (mcfg_hash(rs, &rs->regions[i],
			      rs->regions[i].config_hash) < 0)
			return -1;
	snprintf(rs->spec_hash, sizeof(rs->spec_hash), "%016llx",
		 (unsigned long long)hash_spec(rs));
	return 0;
}

static int
rs_clone_env(struct regionset *dst, const struct regionset *src)
{
	int i;

	if (src->nenv == 0)
		return 0;
	dst->env = calloc((size_t)src->nenv, sizeof(*dst->env));
	if (dst->env == NULL)
		return -1;
	for (i = 0; i < src->nenv; i++) {
		dst->env[i].key = strdup(src->env[i].key);
		dst->env[i].value = strdup(src->env[i].value);
		dst->nenv = i + 1;
		if (dst->env[i].key == NULL || dst->env[i].value == NULL)
			return -1;
	}
	return 0;
}

static void *
rs_memdup(const void *p, size_t n)
{
	void *q;

	if (p == NULL || n == 0)
		return NULL;
	q = malloc(n);
	if (q != NULL)
		memcpy(q, p, n);
	return q;
}

/* Copy the owned parts; dst starts with them NULL so rs_free is safe
 * whichever step fails. */
static int
rs_clone_owned(struct regionset *dst, const struct regionset *src)
{
	size_t ns = (size_t)src->nservices * sizeof(*src->services);
	size_t nc = (size_t)src->nchecks * sizeof(*src->checks);

	dst->image = util_strdup(src->image);
	dst->origin.file = util_strdup(src->origin.file);
	dst->services = rs_memdup(src->services, ns);
	dst->checks = rs_memdup(src->checks, nc);
	if ((src->image && !dst->image) ||
	    (src->origin.file && !dst->origin.file) ||
	    (ns && !dst->services) || (nc && !dst->checks))
		return -1;
	return rs_clone_env(dst, src);
}

struct regionset *
rs_clone(const struct regionset *rs)
{
	struct regionset *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *rs;
	c->image = NULL;
	c->origin.file = NULL;
	c->services = NULL;
	c->checks = NULL;
	c->env = NULL;
	c->nenv = 0;
	if (rs_clone_owned(c, rs) < 0) {
		rs_free(c);
		return NULL;
	}
	return c;
}

void
rs_free(struct regionset *rs)
{
	int i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nenv; i++) {
		free(rs->env[i].key);
		free(rs->env[i].value);
	}
	free(rs->env);
	free(rs->services);
	free(rs->checks);
	free(rs->image);
	free(rs->origin.file);
	free(rs);
}

const struct rs_region *
rs_region_find(const struct regionset *rs, const char *code)
{
	int i;

	for (i = 0; i < rs->nregions; i++)
		if (strcmp(rs->regions[i].code, code) == 0)
			return &rs->regions[i];
	return NULL;
}

const struct rs_guest *
rs_region_guest(const struct regionset *rs, const struct rs_region *r)
{
	return r->primary ? &rs->primary_guest : &rs->guest;
}

static int
rs_errors_grow(struct rs_errors *errs)
{
	size_t cap = errs->cap ? errs->cap * 2 : 8;
	struct rs_error *items;

	if (errs->n < errs->cap)
		return 0;
	items = realloc(errs->items, cap * sizeof(*items));
	if (items == NULL)
		return -1;
	errs->items = items;
	errs->cap = cap;
	return 0;
}

int
rs_errors_add(struct rs_errors *errs, const char *file, int line,
	      int column, const char *field, const char *set,
	      const char *fmt, ...)
{
	struct rs_error *e;
	char msg[1024];
	va_list ap;

	if (rs_errors_grow(errs) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	e = &errs->items[errs->n];
	memset(e, 0, sizeof(*e));
	e->file = util_strdup(file);
	e->message = strdup(msg);
	if ((file != NULL && e->file == NULL) || e->message == NULL) {
		free(e->file);
		free(e->message);
		return -1;
	}
	e->line = line;
	e->column = column;
	util_strlcpy(e->field, field ? field : "", sizeof(e->field));
	util_strlcpy(e->set, set ? set : "", sizeof(e->set));
	errs->n++;
	return 0;
}

/* snprintf at offset *n that never runs past size, even when an earlier
 * part was already truncated. */
static void __attribute__((format(printf, 4, 5)))
rs_fmt_at(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= size)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k;
}

void
rs_error_format(const struct rs_error *e, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (e->file != NULL)
		rs_fmt_at(buf, size, &n, "%s", e->file);
	if (e->line > 0)
		rs_fmt_at(buf, size, &n, "%s%d", e->file ? ":" : "", e->line);
	if (e->line > 0 && e->column > 0)
		rs_fmt_at(buf, size, &n, ":%d", e->column);
	if (n > 0)
		rs_fmt_at(buf, size, &n, ": ");
	if (e->field[0] != '\0')
		rs_fmt_at(buf, size, &n, "%s: ", e->field);
	rs_fmt_at(buf, size, &n, "%s", e->message ? e->message : "");
}

void
rs_errors_free(struct rs_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->items[i].file);
		free(errs->items[i].message);
	}
	free(errs->items);
	memset(errs, 0, sizeof(*errs));
}
