/* regionapi.c - the platform's region API, served in DB mode beside
 * /status:
 *
 *   GET  /regions                    available regions by continent
 *   GET  /apps/{id}/regions          an app's primary and other regions
 *   POST /apps/{id}/regions          change them
 *   GET  /apps/{id}/regions/status   per region: machines, state, health
 *
 * {id} is the app's id in the platform (apps.id, a UUID). Every request
 * carries "Authorization: Bearer TOKEN"; the token's SHA-256 is looked up
 * in api_tokens, which ties it to a team and a role. Members read their
 * team's apps, admins and owners may also change regions; another
 * team's app is "not found", like one that does not exist.
 *
 * A request runs as a short chain of statements on the pool (look the
 * token and the app up, then the route's own statement). Meanwhile its
 * MHD connection is suspended; the last step writes the answer and
 * resumes it. Every value from the request reaches SQL as a parameter. */
#include "regionapi.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller.h"
#include "httpd.h"
#include "log.h"
#include "pgpool.h"
#include "region.h"
#include "util.h"

#define RAPI_POOL_SIZE 2
#define RAPI_TOKEN_MAX 256
#define RAPI_CODES_MAX 64         /* region codes in one POST */
#define RAPI_CODE_MAX 16          /* a code is reported up to this long */
#define RAPI_LIST_MAX 96          /* regions in a status answer */

/* The token, and the app when the path names one, in one statement: no
 * row means the token is wrong; a row without an app means the app is
 * not the token's team's (or does not exist). */
static const char rapi_auth_sql[] =
	"SELECT t.team_id, t.role, a.id, a.fly_app_id, a.primary_region, "
	"a.regions "
	"FROM api_tokens t "
	"LEFT JOIN apps a ON a.id = $2::uuid AND a.team_id = t.team_id "
	"WHERE t.token_hash = sha256(convert_to($1, 'UTF8')) "
	"AND t.revoked_at IS NULL";

static const char rapi_catalog_sql[] =
	"SELECT code, name, city, country, continent, latitude::text, "
	"longitude::text FROM regions WHERE available "
	"ORDER BY continent, code";

/* The codes of a POST that cannot be used: unknown, or not available
 * (false or unset). */
static const char rapi_check_sql[] =
	"SELECT w.code, r.code IS NOT NULL "
	"FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY "
	"AS w(code, n) LEFT JOIN regions r ON r.code = w.code "
	"WHERE r.available IS NOT TRUE ORDER BY w.n";

/* The change, as the platform writes it: the primary, the comma list
 * that includes it, and a count row per region (existing counts stay,
 * new regions get 1, rows of regions left go). It happens only if every
 * code is still available and the app still the team's; the triggers
 * of 002 then tell the controller. */
static const char rapi_write_sql[] =
	"WITH want AS ("
	" SELECT w.code, w.n"
	" FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY"
	" AS w(code, n) JOIN regions r ON r.code = w.code AND r.available),"
	" app AS ("
	" UPDATE apps SET"
	" primary_region = (SELECT code FROM want WHERE n = 1),"
	" regions = (SELECT string_agg(code, ',' ORDER BY n) FROM want),"
	" updated_at = now()"
	" WHERE id = $1::uuid AND team_id = $3::uuid"
	" AND (SELECT count(*) FROM want) = jsonb_array_length($2::jsonb)"
	" RETURNING id),"
	" gone AS ("
	" DELETE FROM app_region_counts c USING app"
	" WHERE c.app_id = app.id"
	" AND c.region NOT IN (SELECT code FROM want)),"
	" added AS ("
	" INSERT INTO app_region_counts (app_id, region, count)"
	" SELECT app.id, want.code, 1 FROM app, want"
	" ON CONFLICT (app_id, region) DO NOTHING)"
	" SELECT id FROM app";

static const char rapi_status_sql[] =
	"SELECT region, desired, current, ready, phase, message "
	"FROM region_status WHERE app_id = $1::uuid ORDER BY region";

enum rapi_route { RAPI_CATALOG, RAPI_APP_REGIONS, RAPI_APP_STATUS };

struct rapi_req {
	struct regionapi *api;
	struct rapi_req *prev, *next;    /* every live request */
	struct MHD_Connection *conn;
	enum rapi_route route;
	int post;
	char app_id[37];                 /* lowercase UUID, "" if not one */
	char token[RAPI_TOKEN_MAX + 1];

	struct strbuf body;
	int too_big;

	struct pgpool_query *q;          /* the statement under way */
	int suspended;
	unsigned code;                   /* the answer, once there is one */
	char *reply;

	char team[37];                   /* from the token */
	int may_write;
	char *fly_app;                   /* from the app row */
	char *primary;
	char *regions;
	struct strbuf codes;             /* POST: JSON array, primary first */
};

struct regionapi {
	struct ctl *ctl;
	struct pgpool *pool;
	struct rapi_req *reqs;
};

/*
 * Answers.
 */

static char *
rapi_error_body(unsigned code, const char *msg)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "{\"error\":");
	sb_json_string(&sb, msg);
	sb_printf(&sb, ",\"code\":%u}\n", code);
	return sb_steal(&sb);
}

static enum MHD_Result
rapi_queue(struct MHD_Connection *conn, unsigned code, char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (body == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (code == 401)
		MHD_add_response_header(r, "WWW-Authenticate",
					"Bearer realm=\"rhone\"");
	if (code == 405)
		MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* The answer is known: keep it and wake the connection up. MHD calls
 * the handler again, which queues it. */
static void
rapi_answer(struct rapi_req *req, unsigned code, char *body)
{
	if (body == NULL) {
		code = 500;
		body = rapi_error_body(code, "out of memory");
	}
	free(req->reply);
	req->code = code;
	req->reply = body;
	if (req->suspended) {
		req->suspended = 0;
		MHD_resume_connection(req->conn);
		httpd_kick(req->api->ctl->httpd);
	}
}

static void
rapi_fail(struct rapi_req *req, unsigned code, const char *msg)
{
	rapi_answer(req, code, rapi_error_body(code, msg));
}

/* A database error is logged, not shown: it may quote the request. */
static void
rapi_db_error(struct rapi_req *req, const char *err)
{
	log_warn("api_db_error", "route=%d app_id=%s error=%s", req->route,
		 req->app_id, log_q(err ? err : "?"));
	rapi_fail(req, 503, "the database is unavailable; try again");
}

static void
rapi_submit(struct rapi_req *req, const char *sql, int n,
	    const char *const *params, pgpool_fn fn)
{
	req->q = pgpool_query(req->api->pool, sql, n, params, fn, req);
	if (req->q == NULL)
		rapi_fail(req, 503, "the database is unavailable; try again");
}

/*
 * Reading rows.
 */

static const char *
rapi_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL :
	       PQgetvalue(res, row, col);
}

/* A numeric column as JSON: the server's text when it is a plain
 * number (numeric may also be NaN), else null. */
static void
rapi_json_number(struct strbuf *sb, const char *v)
{
	size_t i;

	if (v == NULL || *v == '\0')
		goto null;
	for (i = 0; v[i] != '\0'; i++)
		if (!isdigit((unsigned char)v[i]) && v[i] != '.' &&
		    !(i == 0 && v[i] == '-'))
			goto null;
	if (!isdigit((unsigned char)v[v[0] == '-']) ||
	    !isdigit((unsigned char)v[i - 1]))
		goto null;
	sb_puts(sb, v);
	return;
null:
	sb_puts(sb, "null");
}

/* Region codes of an app, as the platform stores them: the primary
 * first, then the comma list (which includes it) without repeats or
 * blanks. Returns how many went into codes. */
static size_t
rapi_app_codes(const char *primary, const char *list,
	       char codes[][RAPI_CODE_MAX], size_t max)
{
	size_t n = 0, i, b, len;
	const char *p = list ? list : "";
	char code[RAPI_CODE_MAX];

	if (primary != NULL && *primary != '\0' && max > 0)
		util_strlcpy(codes[n++], primary, RAPI_CODE_MAX);
	while (*p != '\0' && n < max) {
		len = strcspn(p, ",");
		for (b = 0; b < len && isspace((unsigned char)p[b]); b++)
			;
		while (len > b && isspace((unsigned char)p[len - 1]))
			len--;
		util_strlcpy(code, p + b, len - b + 1 < sizeof(code) ?
			     len - b + 1 : sizeof(code));
		for (i = 0; i < n && strcmp(codes[i], code) != 0; i++)
			;
		if (code[0] != '\0' && i == n)
			util_strlcpy(codes[n++], code, RAPI_CODE_MAX);
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return n;
}

/* {"app_id":..., "fly_app_id":..., "primary_region":...,
 *  "additional_regions":[...], "regions":[...]} */
static char *
rapi_app_body(const struct rapi_req *req)
{
	char codes[RS_REGIONS_MAX * 2][RAPI_CODE_MAX];
	size_t n = rapi_app_codes(req->primary, req->regions, codes,
				  RS_REGIONS_MAX * 2), i;
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "{\"app_id\":");
	sb_json_string(&sb, req->app_id);
	sb_puts(&sb, ",\"fly_app_id\":");
	if (req->fly_app != NULL)
		sb_json_string(&sb, req->fly_app);
	else
		sb_puts(&sb, "null");
	sb_puts(&sb, ",\"primary_region\":");
	sb_json_string(&sb, req->primary ? req->primary : "");
	sb_puts(&sb, ",\"additional_regions\":[");
	for (i = 1; i < n; i++) {
		sb_puts(&sb, i > 1 ? "," : "");
		sb_json_string(&sb, codes[i]);
	}
	sb_puts(&sb, "],\"regions\":[");
	for (i = 0; i < n; i++) {
		sb_puts(&sb, i ? "," : "");
		sb_json_string(&sb, codes[i]);
	}
	sb_puts(&sb, "]}\n");
	return sb_steal(&sb);
}

/*
 * GET /regions
 */

static void
rapi_catalog_region(struct strbuf *sb, const PGresult *res, int i)
{
	static const char *const keys[] = { "code", "name", "city",
					     "country", "continent" };
	size_t k;

	sb_puts(sb, "{");
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		sb_printf(sb, "%s\"%s\":", k ? "," : "", keys[k]);
		sb_json_string(sb, rapi_value(res, i, (int)k));
	}
	sb_puts(sb, ",\"latitude\":");
	rapi_json_number(sb, rapi_value(res, i, 5));
	sb_puts(sb, ",\"longitude\":");
	rapi_json_number(sb, rapi_value(res, i, 6));
	sb_puts(sb, ",\"available\":true}");
}

/* {"count":N,"continents":{"Africa":[{region}...],...}}, continents and
 * regions in alphabetical order. */
static void
on_catalog(void *arg, const PGresult *res, const char *err)
{
	struct rapi_req *req = arg;
	struct strbuf sb;
	const char *last = NULL;
	int i, n;

	req->q = NULL;
	if (res == NULL) {
		rapi_db_error(req, err);
		return;
	}
	n = PQntuples(res);
	sb_init(&sb);
	sb_printf(&sb, "{\"count\":%d,\"continents\":{", n);
	for (i = 0; i < n; i++) {
		const char *cont = PQgetvalue(res, i, 4);
		if (last == NULL || strcmp(last, cont) != 0) {
			sb_puts(&sb, last ? "]," : "");
			sb_json_string(&sb, cont);
			sb_puts(&sb, ":[");
		} else {
			sb_puts(&sb, ",");
		}
		last = cont;
		rapi_catalog_region(&sb, res, i);
	}
	sb_puts(&sb, last ? "]}}\n" : "}}\n");
	rapi_answer(req, 200, sb_steal(&sb));
}

/*
 * POST /apps/{id}/regions
 */

static int
rapi_is_string(struct json_object *o, const char **s)
{
	if (!json_object_is_type(o, json_type_string))
		return 0;
	*s = json_object_get_string(o);
	/* "\u0000" inside would cut the code short: not a code. */
	return (size_t)json_object_get_string_len(o) == strlen(*s) &&
	       **s != '\0';
}

static int
rapi_seen(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* The codes asked for as a JSON array, the primary first and every
 * other code once. 0, or -1 with why. */
static int
rapi_update_codes(struct json_object *doc, struct strbuf *codes,
		  char *why, size_t size)
{
	struct json_object *prim, *more = NULL, *o;
	const char *list[RAPI_CODES_MAX + 1], *s;
	size_t n = 0, i, len;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, size, "the body must be a JSON object");
		return -1;
	}
	if (!json_object_object_get_ex(doc, "primary_region", &prim) ||
	    !rapi_is_string(prim, &s)) {
		snprintf(why, size, "primary_region must be a region code");
		return -1;
	}
	list[n++] = s;
	if (json_object_object_get_ex(doc, "additional_regions", &more) &&
	    more != NULL && !json_object_is_type(more, json_type_array)) {
		snprintf(why, size, "additional_regions must be an array of "
			 "region codes");
		return -1;
	}
	len = more ? json_object_array_length(more) : 0;
	if (len > RAPI_CODES_MAX) {
		snprintf(why, size, "additional_regions holds more than %d "
			 "codes", RAPI_CODES_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		o = json_object_array_get_idx(more, i);
		if (!rapi_is_string(o, &s)) {
			snprintf(why, size, "additional_regions[%zu] is not a "
				 "region code", i);
			return -1;
		}
		if (!rapi_seen(list, n, s))
			list[n++] = s;
	}
	sb_puts(codes, "[");
	for (i = 0; i < n; i++) {
		sb_puts(codes, i ? "," : "");
		sb_json_string(codes, list[i]);
	}
	sb_puts(codes, "]");
	return codes->failed ? -1 : 0;
}

/* Parse the body strictly: one JSON value, valid UTF-8, nothing after
 * it but white space. */
static int
rapi_parse_update(struct rapi_req *req, char *why, size_t size)
{
	struct json_tokener *tok;
	struct json_object *doc;
	const char *text = req->body.buf ? req->body.buf : "";
	size_t len = req->body.len, end;
	int rc;

	if (len == 0 || strlen(text) != len) {
		snprintf(why, size, "the body must be a JSON object");
		return -1;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	end = doc ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (doc == NULL || end != len) {
		snprintf(why, size, "malformed JSON: %s", doc == NULL ?
			 json_tokener_error_desc(json_tokener_get_error(tok)) :
			 "text after the value");
		json_object_put(doc);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	rc = rapi_update_codes(doc, &req->codes, why, size);
	json_object_put(doc);
	return rc;
}

/* The codes the write used, to answer with and to log. */
static void
rapi_adopt_codes(struct rapi_req *req)
{
	struct json_object *a = json_tokener_parse(req->codes.buf);
	struct strbuf list;
	size_t i, n;

	if (a == NULL)
		return;
	sb_init(&list);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		sb_puts(&list, i ? "," : "");
		sb_puts(&list, json_object_get_string(
				json_object_array_get_idx(a, i)));
	}
	free(req->primary);
	req->primary = util_strdup(n ? json_object_get_string(
				   json_object_array_get_idx(a, 0)) : "");
	free(req->regions);
	req->regions = sb_steal(&list);
	json_object_put(a);
}

static void
on_write(void *arg, const PGresult *res, const char *err)
{
	struct rapi_req *req = arg;

	req->q = NULL;
	if (res == NULL) {
		rapi_db_error(req, err);
		return;
	}
	if (PQntuples(res) == 0) {
		/* Gone, moved to another team, or a region became
		 * unavailable since the check: nothing was written. */
		rapi_fail(req, 409, "the app or a region changed meanwhile; "
			  "nothing was written, try again");
		return;
	}
	rapi_adopt_codes(req);
	log_info("api_regions_changed", "app_id=%s app=%s team=%s "
		 "primary=%s regions=%s", req->app_id,
		 req->fly_app ? req->fly_app : "", req->team,
		 req->primary ? req->primary : "",
		 log_q(req->regions ? req->regions : ""));
	rapi_answer(req, 200, rapi_app_body(req));
}

/* {"error": "...", "code": 400, "unknown": [...], "unavailable": [...]} */
static char *
rapi_bad_codes_body(const PGresult *res)
{
	struct strbuf sb, msg;
	int i, n = PQntuples(res), pass, first;

	sb_init(&msg);
	sb_printf(&msg, "unknown or unavailable region%s: ",
		  n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		sb_puts(&msg, i ? ", " : "");
		sb_puts(&msg, PQgetvalue(res, i, 0));
	}
	sb_init(&sb);
	sb_puts(&sb, "{\"error\":");
	sb_json_string(&sb, msg.buf ? msg.buf : "");
	sb_free(&msg);
	sb_puts(&sb, ",\"code\":400");
	for (pass = 0; pass < 2; pass++) {
		sb_puts(&sb, pass ? ",\"unavailable\":[" : ",\"unknown\":[");
		first = 1;
		for (i = 0; i < n; i++) {
			int known = PQgetvalue(res, i, 1)[0] == 't';
			if (known != pass)
				continue;
			sb_puts(&sb, first ? "" : ",");
			first = 0;
			sb_json_string(&sb, PQgetvalue(res, i, 0));
		}
		sb_puts(&sb, "]");
	}
	sb_puts(&sb, "}\n");
	return sb_steal(&sb);
}

static void
on_check(void *arg, const PGresult *res, const char *err)
{
	struct rapi_req *req = arg;
	const char *params[3] = { req->app_id, req->codes.buf, req->team };

	req->q = NULL;
	if (res == NULL) {
		rapi_db_error(req, err);
		return;
	}
	if (PQntuples(res) > 0) {
		rapi_answer(req, 400, rapi_bad_codes_body(res));
		return;
	}
	rapi_submit(req, rapi_write_sql, 3, params, on_write);
}

static void
rapi_post(struct rapi_req *req)
{
	const char *params[1];
	char why[256];

	if (!req->may_write) {
		rapi_fail(req, 403, "changing regions needs the admin or "
			  "owner role");
		return;
	}
	if (rapi_parse_update(req, why, sizeof(why)) < 0) {
		rapi_fail(req, 400, why);
		return;
	}
	params[0] = req->codes.buf;
	rapi_submit(req, rapi_check_sql, 1, params, on_check);
}

/*
 * GET /apps/{id}/regions/status
 */

/* What is known of one region: from the controller's last plan when it
 * manages the app, else from region_status. */
struct rapi_rstate {
	char code[RAPI_CODE_MAX];
	int known;
	int desired, current, ready;
	char phase[24];
	char message[256];
};

static struct rapi_rstate *
rapi_rstate_get(struct rapi_rstate *rs, size_t *n, const char *code)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(rs[i].code, code) == 0)
			return &rs[i];
	if (*n == RAPI_LIST_MAX)
		return NULL;
	memset(&rs[*n], 0, sizeof(rs[*n]));
	util_strlcpy(rs[*n].code, code, sizeof(rs[*n].code));
	return &rs[(*n)++];
}

static int
rapi_json_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_int(v) : 0;
}

static const char *
rapi_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : "";
}

/* The controller's own view, when it manages the app: 1 if used. */
static int
rapi_live(const struct rapi_req *req, struct rapi_rstate *rs, size_t *n)
{
	struct entry *e = req->fly_app ? ctl_find(req->api->ctl,
						   req->fly_app) : NULL;
	struct json_object *a;
	size_t i, len;

	if (e == NULL || e->regions_json == NULL ||
	    (a = json_tokener_parse(e->regions_json)) == NULL)
		return 0;
	len = json_object_array_length(a);
	for (i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct rapi_rstate *r = rapi_rstate_get(rs, n,
				rapi_json_str(o, "region"));
		const char *msg = rapi_json_str(o, "message");
		if (r == NULL)
			break;
		r->known = 1;
		r->desired = rapi_json_int(o, "desired");
		r->current = rapi_json_int(o, "current");
		r->ready = rapi_json_int(o, "ready");
		util_strlcpy(r->phase, rapi_json_str(o, "phase"),
			     sizeof(r->phase));
		util_strlcpy(r->message, *msg ? msg : rapi_json_str(o,
			     "reason"), sizeof(r->message));
	}
	json_object_put(a);
	return 1;
}

static void
rapi_from_rows(const PGresult *res, struct rapi_rstate *rs, size_t *n)
{
	int i;
	long v;

	for (i = 0; i < PQntuples(res); i++) {
		struct rapi_rstate *r = rapi_rstate_get(rs, n,
				PQgetvalue(res, i, 0));
		if (r == NULL)
			break;
		r->known = 1;
		r->desired = util_parse_long(PQgetvalue(res, i, 1), 0, 1000,
					     &v) == 0 ? (int)v : 0;
		r->current = util_parse_long(PQgetvalue(res, i, 2), 0, 1000,
					     &v) == 0 ? (int)v : 0;
		r->ready = util_parse_long(PQgetvalue(res, i, 3), 0, 1000,
					   &v) == 0 ? (int)v : 0;
		util_strlcpy(r->phase, PQgetvalue(res, i, 4),
			     sizeof(r->phase));
		util_strlcpy(r->message, PQgetvalue(res, i, 5),
			     sizeof(r->message));
	}
}

/* healthy: every machine asked for answers its checks; degraded: some
 * do; unhealthy: none does; unknown: nothing known or nothing there. */
static const char *
rapi_health(const struct rapi_rstate *r)
{
	if (!r->known || (r->ready == 0 && r->current == 0 &&
			  r->desired == 0))
		return "unknown";
	if (r->ready == 0)
		return "unhealthy";
	return r->ready >= r->desired ? "healthy" : "degraded";
}

static void
rapi_status_region(struct strbuf *sb, const struct rapi_rstate *r,
		   int primary, int wanted)
{
	const struct region *g = region_find(r->code);

	sb_puts(sb, "{\"code\":");
	sb_json_string(sb, r->code);
	sb_puts(sb, ",\"city\":");
	sb_json_string(sb, g ? g->city : "");
	sb_printf(sb, ",\"primary\":%s,\"wanted\":%s,\"machine_count\":%d,"
		  "\"desired\":%d,\"ready\":%d,\"state\":",
		  primary ? "true" : "false", wanted ? "true" : "false",
		  r->current, r->desired, r->ready);
	sb_json_string(sb, r->known && r->phase[0] ? r->phase : "Pending");
	sb_printf(sb, ",\"health\":\"%s\",\"message\":", rapi_health(r));
	sb_json_string(sb, r->message);
	sb_puts(sb, "}");
}

static void
on_status(void *arg, const PGresult *res, const char *err)
{
	struct rapi_req *req = arg;
	char codes[RS_REGIONS_MAX * 2][RAPI_CODE_MAX];
	struct rapi_rstate *rs;
	size_t n = 0, nwant, i, j;
	struct strbuf sb;
	int live;

	req->q = NULL;
	if (res == NULL) {
		rapi_db_error(req, err);
		return;
	}
	rs = calloc(RAPI_LIST_MAX, sizeof(*rs));
	if (rs == NULL) {
		rapi_fail(req, 500, "out of memory");
		return;
	}
	/* The regions asked for first, in order, then any other the
	 * controller still has machines in (being removed). */
	nwant = rapi_app_codes(req->primary, req->regions, codes,
			       RS_REGIONS_MAX * 2);
	for (i = 0; i < nwant; i++)
		rapi_rstate_get(rs, &n, codes[i]);
	live = rapi_live(req, rs, &n);
	if (!live)
		rapi_from_rows(res, rs, &n);
	sb_init(&sb);
	sb_puts(&sb, "{\"app_id\":");
	sb_json_string(&sb, req->app_id);
	sb_puts(&sb, ",\"fly_app_id\":");
	if (req->fly_app != NULL)
		sb_json_string(&sb, req->fly_app);
	else
		sb_puts(&sb, "null");
	sb_printf(&sb, ",\"source\":\"%s\",\"regions\":[",
		  live ? "controller" : "database");
	for (i = 0; i < n; i++) {
		for (j = 0; j < nwant && strcmp(codes[j], rs[i].code); j++)
			;
		sb_puts(&sb, i ? "," : "");
		rapi_status_region(&sb, &rs[i], req->primary &&
				   strcmp(rs[i].code, req->primary) == 0,
				   j < nwant);
	}
	sb_puts(&sb, "]}\n");
	free(rs);
	rapi_answer(req, 200, sb_steal(&sb));
}

/*
 * The first step: who is asking, and for which app.
 */

static int
rapi_keep(char **dst, const char *v)
{
	*dst = v ? strdup(v) : NULL;
	return v == NULL || *dst != NULL ? 0 : -1;
}

static void
on_auth(void *arg, const PGresult *res, const char *err)
{
	struct rapi_req *req = arg;
	const char *role, *params[1] = { req->app_id };

	req->q = NULL;
	if (res == NULL) {
		rapi_db_error(req, err);
		return;
	}
	if (PQntuples(res) != 1) {
		rapi_fail(req, 401, "missing, unknown or revoked API token");
		return;
	}
	util_strlcpy(req->team, PQgetvalue(res, 0, 0), sizeof(req->team));
	role = PQgetvalue(res, 0, 1);
	req->may_write = strcmp(role, "admin") == 0 ||
			 strcmp(role, "owner") == 0;
	if (req->route == RAPI_CATALOG) {
		rapi_submit(req, rapi_catalog_sql, 0, NULL, on_catalog);
		return;
	}
	if (PQgetisnull(res, 0, 2)) {
		rapi_fail(req, 404, "no such app");
		return;
	}
	if (rapi_keep(&req->fly_app, rapi_value(res, 0, 3)) < 0 ||
	    rapi_keep(&req->primary, rapi_value(res, 0, 4)) < 0 ||
	    rapi_keep(&req->regions, rapi_value(res, 0, 5)) < 0) {
		rapi_fail(req, 500, "out of memory");
		return;
	}
	if (req->route == RAPI_APP_STATUS)
		rapi_submit(req, rapi_status_sql, 1, params, on_status);
	else if (req->post)
		rapi_post(req);
	else
		rapi_answer(req, 200, rapi_app_body(req));
}

/*
 * The request as MHD hands it over.
 */

int
regionapi_owns(const char *url)
{
	return strcmp(url, "/regions") == 0 ||
	       strcmp(url, "/regions/") == 0 ||
	       strncmp(url, "/apps/", 6) == 0;
}

/* A UUID in its usual 8-4-4-4-12 form, copied lowercase; else "". */
static void
rapi_uuid(const char *s, size_t len, char out[37])
{
	size_t i;

	out[0] = '\0';
	if (len != 36)
		return;
	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return;
	}
	for (i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[36] = '\0';
}

/* Which route, or 0 with *code and *msg set. */
static int
rapi_route(struct rapi_req *req, const char *url, const char *method,
	   unsigned *code, const char **msg)
{
	const char *id = url + 6, *rest;
	size_t idlen;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	req->post = strcmp(method, "POST") == 0;
	*code = 405;
	*msg = "method not allowed";
	if (strncmp(url, "/regions", 8) == 0) {
		req->route = RAPI_CATALOG;
		return get;
	}
	idlen = strcspn(id, "/");
	rest = id + idlen;
	rapi_uuid(id, idlen, req->app_id);
	if (strcmp(rest, "/regions") == 0 || strcmp(rest, "/regions/") == 0) {
		req->route = RAPI_APP_REGIONS;
		return get || req->post;
	}
	if (strcmp(rest, "/regions/status") == 0) {
		req->route = RAPI_APP_STATUS;
		return get;
	}
	*code = 404;
	*msg = "not found";
	return 0;
}

/* "Bearer TOKEN" with a token of printable ASCII; 0 if so. */
static int
rapi_bearer(struct rapi_req *req)
{
	const char *h = MHD_lookup_connection_value(req->conn,
			MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t i, n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	if (n == 0 || n > RAPI_TOKEN_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (h[i] < 0x21 || h[i] > 0x7e)
			return -1;
	memcpy(req->token, h, n);
	req->token[n] = '\0';
	return 0;
}

static void
rapi_link(struct regionapi *api, struct rapi_req *req)
{
	req->api = api;
	req->next = api->reqs;
	if (api->reqs != NULL)
		api->reqs->prev = req;
	api->reqs = req;
}

static void
rapi_req_free(struct rapi_req *req)
{
	struct regionapi *api = req->api;

	pgpool_cancel(req->q);
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		api->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	memset(req->token, 0, sizeof(req->token));
	sb_free(&req->body);
	sb_free(&req->codes);
	free(req->reply);
	free(req->fly_app);
	free(req->primary);
	free(req->regions);
	free(req);
}

/* Headers are in: set the request up; an answer that needs no body or
 * database (a wrong path, a body announced too large) is kept. */
static struct rapi_req *
rapi_begin(struct regionapi *api, struct MHD_Connection *conn,
	   const char *url, const char *method)
{
	struct rapi_req *req = calloc(1, sizeof(*req));
	const char *clen, *msg;
	unsigned code;
	long n;

	if (req == NULL)
		return NULL;
	req->conn = conn;
	sb_init(&req->body);
	sb_init(&req->codes);
	rapi_link(api, req);
	if (!rapi_route(req, url, method, &code, &msg)) {
		req->code = code;
		req->reply = rapi_error_body(code, msg);
		return req;
	}
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen != NULL && (util_parse_long(clen, 0, REGIONAPI_BODY_MAX,
					     &n) < 0))
		req->too_big = 1;
	return req;
}

static void
rapi_body(struct rapi_req *req, const char *data, size_t size)
{
	if (req->too_big || req->body.len + size > REGIONAPI_BODY_MAX) {
		req->too_big = 1;
		return;
	}
	sb_append(&req->body, data, size);
}

/* The whole request is in: answer now, or start the database steps and
 * suspend the connection until they end. */
static enum MHD_Result
rapi_start(struct rapi_req *req)
{
	const char *params[2] = { req->token, NULL };

	if (req->too_big)
		return rapi_queue(req->conn, 413,
				  rapi_error_body(413, "the body is too "
						  "large"));
	if (rapi_bearer(req) < 0)
		return rapi_queue(req->conn, 401,
				  rapi_error_body(401, "missing, unknown or "
						  "revoked API token"));
	if (req->route != RAPI_CATALOG)
		params[1] = req->app_id[0] ? req->app_id : NULL;
	rapi_submit(req, rapi_auth_sql, 2, params, on_auth);
	if (req->reply != NULL) {
		char *body = req->reply;
		req->reply = NULL;
		return rapi_queue(req->conn, req->code, body);
	}
	MHD_suspend_connection(req->conn);
	req->suspended = 1;
	return MHD_YES;
}

enum MHD_Result
regionapi_request(struct regionapi *api, struct MHD_Connection *conn,
		  const char *url, const char *method, const char *upload,
		  size_t *upload_size, void **state)
{
	struct rapi_req *req = *state;
	enum MHD_Result ret;

	if (req == NULL) {
		req = rapi_begin(api, conn, url, method);
		*state = req;
		return req != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_size != 0) {
		rapi_body(req, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->reply == NULL)
		return rapi_start(req);
	ret = rapi_queue(conn, req->code, req->reply);
	req->reply = NULL;          /* MHD owns it now, or it was freed */
	return ret;
}

void
regionapi_completed(struct regionapi *api, void **state)
{
	struct rapi_req *req;

	if (api == NULL || state == NULL)
		return;
	for (req = api->reqs; req != NULL; req = req->next)
		if (req == *state)
			break;
	if (req == NULL)
		return;
	rapi_req_free(req);
	*state = NULL;
}

struct regionapi *
regionapi_new(struct ctl *c, const char *url, const char *shown)
{
	struct regionapi *api = calloc(1, sizeof(*api));

	if (api == NULL)
		return NULL;
	api->ctl = c;
	api->pool = pgpool_new(c->loop, url, shown, RAPI_POOL_SIZE);
	if (api->pool == NULL) {
		free(api);
		return NULL;
	}
	return api;
}

void
regionapi_shutdown(struct regionapi *api)
{
	struct rapi_req *req;

	if (api == NULL)
		return;
	for (req = api->reqs; req != NULL; req = req->next) {
		pgpool_cancel(req->q);
		req->q = NULL;
		if (req->suspended)
			rapi_fail(req, 503, "shutting down");
	}
}

void
regionapi_free(struct regionapi *api)
{
	if (api == NULL)
		return;
	while (api->reqs != NULL)
		rapi_req_free(api->reqs);
	pgpool_free(api->pool);
	free(api);
}
