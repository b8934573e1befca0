/* faults.c - injected failures: rules matched against API requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "regions.h"
#include "simutil.h"

void
faults_init(struct faults *f)
{
	f->head = NULL;
	f->tail = &f->head;
}

static void
fault_free(struct fault *r)
{
	if (r->body != NULL)
		json_object_put(r->body);
	free(r->app);
	free(r->region);
	free(r);
}

/* Read an optional integer member; false when present but not one. */
static bool
opt_int(json_object *spec, const char *key, long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(spec, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = (long)json_object_get_int64(v);
	return true;
}

static bool
opt_str(json_object *spec, const char *key, char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(spec, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	*out = xstrdup(json_object_get_string(v));
	return true;
}

static bool
read_numbers(struct fault *r, json_object *spec, char *err, size_t len)
{
	long status = 500;

	if (!opt_int(spec, "status", &status) || status < 0 ||
	    (status > 0 && (status < 100 || status > 599))) {
		snprintf(err, len, "status must be 0 or 100-599");
		return false;
	}
	r->status = (int)status;
	if (!opt_int(spec, "count", &r->count) ||
	    (r->count < 1 && r->count != -1)) {
		snprintf(err, len, "count must be >= 1, or -1 for always");
		return false;
	}
	if (!opt_int(spec, "delay_ms", &r->delay_ms) || r->delay_ms < 0 ||
	    r->delay_ms > 600000) {
		snprintf(err, len, "delay_ms must be 0-600000");
		return false;
	}
	return true;
}

static bool
read_rest(struct fault *r, json_object *spec, char *err, size_t len)
{
	json_object *v;

	if (!opt_str(spec, "app", &r->app) ||
	    !opt_str(spec, "region", &r->region)) {
		snprintf(err, len, "app and region must be strings");
		return false;
	}
	if (r->region != NULL && region_index(r->region) < 0) {
		snprintf(err, len, "unknown region %s", r->region);
		return false;
	}
	if (json_object_object_get_ex(spec, "after_apply", &v) &&
	    v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, len, "after_apply must be a boolean");
			return false;
		}
		r->after_apply = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(spec, "body", &v) && v != NULL)
		json_object_deep_copy(v, &r->body, NULL);
	return true;
}

bool
faults_add(struct faults *f, json_object *spec, char *err, size_t len)
{
	struct fault *r = xmalloc(sizeof(*r));
	const char *op = json_get_str(spec, "op");

	r->count = 1;
	r->op = op ? op_lookup(op) : OP_NONE;
	if (r->op == OP_NONE) {
		snprintf(err, len, "op must name an API operation");
		fault_free(r);
		return false;
	}
	if (!read_numbers(r, spec, err, len) ||
	    !read_rest(r, spec, err, len)) {
		fault_free(r);
		return false;
	}
	*f->tail = r;
	f->tail = &r->next;
	return true;
}

static bool
matches(const struct fault *r, enum op op, const char *app,
    const char *region)
{
	if (r->op != op)
		return false;
	if (r->app != NULL && (app == NULL || strcmp(r->app, app) != 0))
		return false;
	if (r->region != NULL &&
	    (region == NULL || strcmp(r->region, region) != 0))
		return false;
	return true;
}

static void
unlink_rule(struct faults *f, struct fault **link)
{
	struct fault *r = *link;

	*link = r->next;
	if (f->tail == &r->next)
		f->tail = link;
	fault_free(r);
}

/* A string body is sent verbatim (it need not be JSON); others encoded. */
static char *
body_text(json_object *body)
{
	if (body == NULL)
		return NULL;
	if (json_object_is_type(body, json_type_string))
		return xstrdup(json_object_get_string(body));
	return xstrdup(json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

bool
faults_take(struct faults *f, enum op op, const char *app,
    const char *region, struct fault_hit *hit)
{
	struct fault **link = &f->head;

	for (; *link != NULL; link = &(*link)->next)
		if (matches(*link, op, app, region))
			break;
	if (*link == NULL)
		return false;
	hit->status = (*link)->status;
	hit->delay_ms = (*link)->delay_ms;
	hit->after_apply = (*link)->after_apply;
	hit->body = body_text((*link)->body);
	if ((*link)->count > 0 && --(*link)->count == 0)
		unlink_rule(f, link);
	return true;
}

static json_object *
rule_json(const struct fault *r)
{
	json_object *o = json_object_new_object();
	json_object *body = NULL;

	json_put_str(o, "op", op_name(r->op));
	json_put_int(o, "status", r->status);
	json_put_int(o, "count", r->count);
	json_put_int(o, "delay_ms", r->delay_ms);
	if (r->body != NULL)
		json_object_deep_copy(r->body, &body, NULL);
	json_object_object_add(o, "body", body);
	json_put_str(o, "app", r->app);
	json_put_str(o, "region", r->region);
	json_put_bool(o, "after_apply", r->after_apply);
	return o;
}

json_object *
faults_json(const struct faults *f)
{
	json_object *arr = json_object_new_array();

	for (const struct fault *r = f->head; r != NULL; r = r->next)
		json_object_array_add(arr, rule_json(r));
	return arr;
}

void
faults_clear(struct faults *f)
{
	while (f->head != NULL)
		unlink_rule(f, &f->head);
	f->tail = &f->head;
}
