/* router.c - from a request to an answer: routes, auth, limits, faults. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "api.h"
#include "leases.h"
#include "ratelimit.h"
#include "router.h"
#include "simutil.h"

#define F_AUTH 1u	/* needs a token */
#define F_APP 2u	/* the first '*' names an app */
#define F_MACHINE 4u	/* the second '*' names one of its machines */
#define F_LIVE 8u	/* the machine must not be destroyed */
#define F_LEASE 16u	/* refused while leased without the nonce */

#define MACHINE_ROUTE (F_AUTH | F_APP | F_MACHINE)
#define MUTATION (MACHINE_ROUTE | F_LIVE | F_LEASE)
#define MPATH "/v1/apps/*/machines/*"

struct route {
	const char *method;
	const char *pattern;	/* '*' matches one path segment */
	enum op op;
	handler_fn fn;
	unsigned flags;
};

static const struct route routes[] = {
	{ "GET", "/v1/platform/regions", OP_REGIONS, api_regions, 0 },
	{ "POST", "/v1/apps", OP_APP_CREATE, api_app_create, F_AUTH },
	{ "GET", "/v1/apps/*", OP_APP_GET, api_app_get, F_AUTH | F_APP },
	{ "GET", "/v1/apps/*/machines", OP_LIST, api_list, F_AUTH | F_APP },
	{ "POST", "/v1/apps/*/machines", OP_CREATE, api_create,
	    F_AUTH | F_APP },
	{ "GET", MPATH, OP_GET, api_get, MACHINE_ROUTE },
	{ "POST", MPATH, OP_UPDATE, api_update, MUTATION },
	{ "DELETE", MPATH, OP_DESTROY, api_destroy, MUTATION },
	{ "POST", MPATH "/start", OP_START, api_start, MUTATION },
	{ "POST", MPATH "/stop", OP_STOP, api_stop, MUTATION },
	{ "POST", MPATH "/suspend", OP_SUSPEND, api_suspend, MUTATION },
	{ "POST", MPATH "/restart", OP_RESTART, api_restart, MUTATION },
	{ "POST", MPATH "/cordon", OP_CORDON, api_cordon, MUTATION },
	{ "POST", MPATH "/uncordon", OP_UNCORDON, api_uncordon, MUTATION },
	{ "GET", MPATH "/wait", OP_WAIT, api_wait, MACHINE_ROUTE },
	{ "GET", MPATH "/events", OP_EVENTS, api_events, MACHINE_ROUTE },
	{ "POST", MPATH "/lease", OP_LEASE_ACQUIRE, api_lease_acquire,
	    MACHINE_ROUTE | F_LIVE },
	{ "GET", MPATH "/lease", OP_LEASE_GET, api_lease_get, MACHINE_ROUTE },
	{ "DELETE", MPATH "/lease", OP_LEASE_RELEASE, api_lease_release,
	    MACHINE_ROUTE | F_LIVE },
	{ "GET", MPATH "/metadata", OP_METADATA_GET, api_metadata_get,
	    MACHINE_ROUTE },
	{ "PATCH", MPATH "/metadata", OP_METADATA_SET, api_metadata_patch,
	    MACHINE_ROUTE | F_LIVE },
	{ "PUT", MPATH "/metadata", OP_METADATA_SET, api_metadata_patch,
	    MACHINE_ROUTE | F_LIVE },
	{ "GET", MPATH "/metadata/*", OP_METADATA_GET, api_metadata_key_get,
	    MACHINE_ROUTE },
	{ "POST", MPATH "/metadata/*", OP_METADATA_SET, api_metadata_key_set,
	    MACHINE_ROUTE | F_LIVE },
	{ "DELETE", MPATH "/metadata/*", OP_METADATA_DELETE,
	    api_metadata_key_delete, MACHINE_ROUTE | F_LIVE },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define MAX_PARAMS 3

static void
reply_error(struct call *c, int status, const char *code, const char *fmt,
    va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	call_reply(c, status, json_error(msg, code));
}

void
call_error(struct call *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(c, status, "unknown", fmt, ap);
	va_end(ap);
}

void
call_error_code(struct call *c, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(c, status, code, fmt, ap);
	va_end(ap);
}

void
call_reply(struct call *c, int status, json_object *out)
{
	if (c->out != NULL)
		json_object_put(c->out);
	c->status = status;
	c->out = out;
}

const char *
call_query(struct call *c, const char *key)
{
	return http_query(c->req, key);
}

bool
call_query_bool(struct call *c, const char *key)
{
	bool v = false;

	return parse_bool(call_query(c, key), &v) && v;
}

/* Match path against pattern; '*' segments are copied into params. */
static bool
match(const char *pattern, const char *path, char params[][128])
{
	int n = 0;

	while (*pattern != '\0' && *path != '\0') {
		size_t plen = strcspn(path, "/");

		if (*pattern == '*') {
			if (plen == 0 || plen >= 128 || n == MAX_PARAMS)
				return false;
			snprintf(params[n++], 128, "%.*s", (int)plen, path);
			pattern++;
		} else if (strncmp(pattern, path, plen) != 0 ||
		    (pattern[plen] != '/' && pattern[plen] != '\0')) {
			return false;
		} else {
			pattern += plen;
		}
		path += plen;
		if (*pattern != *path)
			return false;
		if (*pattern == '/') {
			pattern++;
			path++;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

/* The route for a request; *known says whether the path exists at all. */
static const struct route *
find_route(const struct http_req *req, char params[][128], bool *known)
{
	*known = false;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, req->path, params))
			continue;
		*known = true;
		if (strcmp(routes[i].method, req->method) == 0)
			return &routes[i];
	}
	return NULL;
}

/* "Bearer X" or "FlyV1 X"; FlyV1 may carry several, comma-separated. */
static const char *
bearer_token(struct call *c)
{
	const char *h = http_header(c->req, "Authorization");

	if (h == NULL)
		return NULL;
	if (strncasecmp(h, "Bearer ", 7) == 0)
		h += 7;
	else if (strncasecmp(h, "FlyV1 ", 6) == 0)
		h += 6;
	else
		return NULL;
	while (*h == ' ')
		h++;
	return *h != '\0' ? h : NULL;
}

static bool
token_matches(const char *want, const char *got)
{
	size_t n = strlen(want);

	for (const char *p = got; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, want, n) == 0 && (p[n] == '\0' || p[n] == ','))
			return true;
	}
	return false;
}

/* Check the token and derive the caller's lease owner from it. */
static bool
authorize(struct call *c)
{
	const char *tok = bearer_token(c);
	const char *want = c->sim->cfg.token;

	if (tok == NULL || (want != NULL && !token_matches(want, tok))) {
		call_error(c, 401, "Authenticate: token validation error");
		return false;
	}
	snprintf(c->owner, sizeof(c->owner), "%08x@tokens.fly.io",
	    (unsigned)(ids_hash(tok) & 0xffffffffu));
	return true;
}

bool
call_parse_body(struct call *c)
{
	struct json_tokener *tok;
	size_t end;

	if (c->req->too_big) {
		call_error(c, 413, "request body too large");
		return false;
	}
	if (c->req->len == 0)
		return true;
	tok = json_tokener_new();
	c->body = json_tokener_parse_ex(tok, c->req->body, (int)c->req->len);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success)
		end = 0;
	json_tokener_free(tok);
	while (end > 0 && end < c->req->len &&
	    strchr(" \t\r\n", c->req->body[end]) != NULL)
		end++;
	if (c->body != NULL && end == c->req->len &&
	    json_object_is_type(c->body, json_type_object))
		return true;
	call_error(c, 400, "invalid_argument: the body is not a JSON object");
	return false;
}

static bool
resolve(struct call *c, unsigned flags)
{
	if ((flags & F_APP) &&
	    (c->app = store_app(c->sim, c->app_name)) == NULL) {
		call_error(c, 404, "app not found");
		return false;
	}
	if ((flags & F_MACHINE) &&
	    (c->m = store_machine(c->app, c->machine_id)) == NULL) {
		call_error(c, 404, "machine not found");
		return false;
	}
	if ((flags & F_LIVE) && c->m->state == MS_DESTROYED) {
		call_error(c, 404, "machine not found");
		return false;
	}
	return true;
}

/* The region a fault rule's "region" filter is compared with. */
static const char *
fault_region(struct call *c)
{
	int idx[REGION_COUNT];
	const char *expr;

	if (c->m != NULL)
		return region_at(c->m->region)->code;
	if (c->op != OP_CREATE)
		return call_query(c, "region");
	expr = json_get_str(c->body, "region");
	if (expr == NULL || *expr == '\0')
		return REGION_NEAREST;
	return region_expand(expr, idx) > 0 ? region_at(idx[0])->code : NULL;
}

static bool
rate_ok(struct call *c)
{
	struct bucket *b;

	if (!c->sim->cfg.rate_limit || !ratelimit_applies(c->op))
		return true;
	b = c->m ? &c->m->buckets[c->op] : &c->app->buckets[c->op];
	if (ratelimit_take(b, c->op, now_mono()))
		return true;
	call_error(c, 429, "rate limit exceeded");
	return false;
}

/* Answer as the fault rule says; status 0 drops the connection. */
static void
apply_fault(struct call *c, struct fault_hit *hit, struct http_resp *resp)
{
	sim_sleep(c->sim, (double)hit->delay_ms / 1000.0);
	free(c->raw);
	c->raw = NULL;
	if (hit->status == 0) {
		resp->drop = true;
		call_reply(c, 0, NULL);
		free(hit->body);
	} else if (hit->body != NULL) {
		call_reply(c, hit->status, NULL);
		c->raw = hit->body;
	} else {
		call_reply(c, hit->status,
		    json_error("injected fault", "unknown"));
	}
}

static void
run(struct call *c, const struct route *r, struct http_resp *resp)
{
	struct fault_hit hit;
	bool faulted;

	if (((r->flags & F_AUTH) && !authorize(c)) || !call_parse_body(c) ||
	    !resolve(c, r->flags))
		return;
	faulted = faults_take(&c->sim->faults, c->op, c->app_name,
	    fault_region(c), &hit);
	if (faulted && !hit.after_apply) {
		apply_fault(c, &hit, resp);
		return;
	}
	if (rate_ok(c) && (!(r->flags & F_LEASE) || lease_gate(c)))
		r->fn(c);
	if (faulted)
		apply_fault(c, &hit, resp);
}

static void
finish(struct call *c, struct http_resp *resp)
{
	resp->status = c->status;
	resp->body = c->raw;
	if (c->out != NULL) {
		resp->body = xstrdup(json_object_to_json_string_ext(c->out,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(c->out);
	}
	snprintf(resp->cursor, sizeof(resp->cursor), "%s", c->cursor);
	if (c->body != NULL)
		json_object_put(c->body);
	resp->op = c->op;
	stats_count(&c->sim->stats, c->op, c->status);
}

static void
unrouted(struct call *c, bool known)
{
	if (known)
		call_error(c, 405, "method not allowed");
	else
		call_error(c, 404, "not found");
}

void
router_handle(struct sim *sim, struct http_req *req, struct http_resp *resp)
{
	char params[MAX_PARAMS][128] = { { 0 } };
	struct call c = { .sim = sim, .req = req, .op = OP_NONE };
	const struct route *r = NULL;
	bool known = false;

	c.nonce = http_header(req, "fly-machine-lease-nonce");
	pthread_mutex_lock(&sim->lock);
	if (strncmp(req->path, "/_sim/", 6) == 0) {
		admin_dispatch(&c);
	} else if ((r = find_route(req, params, &known)) == NULL) {
		unrouted(&c, known);
	} else {
		c.op = r->op;
		c.app_name = params[0];
		c.machine_id = params[1];
		c.key = params[2];
		run(&c, r, resp);
	}
	finish(&c, resp);
	pthread_mutex_unlock(&sim->lock);
}
