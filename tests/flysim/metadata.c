/* metadata.c - a machine's metadata, kept in its config. */
#include <string.h>

#include "api.h"
#include "simutil.h"

/* The metadata object, created on demand when create is true. */
static json_object *
metadata_of(struct machine *m, bool create)
{
	json_object *md;

	if (json_object_object_get_ex(m->config, "metadata", &md) &&
	    json_object_is_type(md, json_type_object))
		return md;
	if (!create)
		return NULL;
	md = json_object_new_object();
	json_object_object_add(m->config, "metadata", md);
	return md;
}

static void
set_key(struct machine *m, const char *key, const char *val)
{
	if (val == NULL || *val == '\0') {
		json_object *md = metadata_of(m, false);

		if (md != NULL)
			json_object_object_del(md, key);
	} else {
		json_object_object_add(metadata_of(m, true), key,
		    json_object_new_string(val));
	}
	m->updated_at = now_wall();
}

void
api_metadata_get(struct call *c)
{
	json_object *md = metadata_of(c->m, false), *copy = NULL;

	if (md == NULL)
		copy = json_object_new_object();
	else
		json_object_deep_copy(md, &copy, NULL);
	call_reply(c, 200, copy);
}

/* {"metadata": {k: "v" | null | ""}} with only strings or nulls. */
static json_object *
patch_map(struct call *c)
{
	json_object *md;
	const char *bad;

	if (c->body == NULL || !json_object_object_get_ex(c->body,
	    "metadata", &md) || !json_object_is_type(md, json_type_object)) {
		call_error(c, 400, "invalid_argument: metadata is required");
		return NULL;
	}
	if ((bad = json_non_string_key(md, true)) == NULL)
		return md;
	call_error(c, 400, "invalid_argument: metadata value of %s must be "
	    "a string or null", bad);
	return NULL;
}

void
api_metadata_patch(struct call *c)
{
	const char *want = json_get_str(c->body, "machine_version");
	json_object *md = patch_map(c);

	if (md == NULL)
		return;
	if (want != NULL && *want != '\0' && strcmp(want, c->m->version)) {
		call_error(c, 412, "failed_precondition: machine_version %s "
		    "is not the current version %s", want, c->m->version);
		return;
	}
	json_object_object_foreach(md, key, val)
		set_key(c->m, key, val ? json_object_get_string(val) : NULL);
	call_reply(c, 204, NULL);
}

void
api_metadata_key_get(struct call *c)
{
	const char *val = json_get_str(metadata_of(c->m, false), c->key);
	json_object *o;

	if (val == NULL) {
		call_error(c, 404, "metadata key not found");
		return;
	}
	o = json_object_new_object();
	json_put_str(o, "value", val);
	call_reply(c, 200, o);
}

void
api_metadata_key_set(struct call *c)
{
	const char *val = json_get_str(c->body, "value");

	if (val == NULL) {
		call_error(c, 400, "invalid_argument: value must be a string");
		return;
	}
	set_key(c->m, c->key, val);
	call_reply(c, 204, NULL);
}

void
api_metadata_key_delete(struct call *c)
{
	set_key(c->m, c->key, NULL);
	call_reply(c, 204, NULL);
}
