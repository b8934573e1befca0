/* render.c - machines as JSON, in the shapes the Machines API uses. */
#include <stdio.h>
#include <string.h>

#include "leases.h"
#include "regions.h"
#include "render.h"
#include "simutil.h"

#define DEFAULT_REGISTRY "registry-1.docker.io"

/* The first path part names a registry when it looks like a host. */
static bool
is_registry(const char *part, size_t len)
{
	return memchr(part, '.', len) != NULL ||
	    memchr(part, ':', len) != NULL ||
	    (len == 9 && strncmp(part, "localhost", 9) == 0);
}

struct image_parts {
	char registry[256];
	char repository[256];
	char tag[128];
};

/* registry/repository:tag, with Docker Hub's defaults filled in. */
static void
split_image(const char *image, struct image_parts *p)
{
	const char *slash = strchr(image, '/'), *rest = image, *colon;
	size_t n, name_len;
	bool hub = true;

	if (slash != NULL && is_registry(image, (size_t)(slash - image))) {
		snprintf(p->registry, sizeof(p->registry), "%.*s",
		    (int)(slash - image), image);
		rest = slash + 1;
		hub = false;
	} else {
		snprintf(p->registry, sizeof(p->registry), "%s",
		    DEFAULT_REGISTRY);
	}
	n = strcspn(rest, "@");
	colon = memchr(rest, ':', n);
	name_len = colon ? (size_t)(colon - rest) : n;
	if (colon != NULL)
		snprintf(p->tag, sizeof(p->tag), "%.*s",
		    (int)(n - name_len - 1), colon + 1);
	else
		snprintf(p->tag, sizeof(p->tag), "latest");
	snprintf(p->repository, sizeof(p->repository), "%s%.*s",
	    hub && memchr(rest, '/', name_len) == NULL ? "library/" : "",
	    (int)name_len, rest);
}

static json_object *
image_ref(const struct machine *m)
{
	const char *image = store_image(m);
	struct image_parts p;
	char digest[DIGEST_LEN + 1];
	json_object *o = json_object_new_object();

	split_image(image, &p);
	ids_digest(image, digest);
	json_put_str(o, "registry", p.registry);
	json_put_str(o, "repository", p.repository);
	json_put_str(o, "tag", p.tag);
	json_put_str(o, "digest", digest);
	json_object_object_add(o, "labels", json_object_new_object());
	return o;
}

static json_object *
exit_request(const struct mevent *e)
{
	json_object *req = json_object_new_object();
	json_object *ex = json_object_new_object();

	json_put_int(ex, "exit_code", 0);
	json_put_int(ex, "exited_at", e->timestamp);
	json_put_int(ex, "guest_exit_code", 0);
	json_put_int(ex, "guest_signal", -1);
	json_put_bool(ex, "oom_killed", false);
	json_put_bool(ex, "requested_stop", true);
	json_put_bool(ex, "restarting", false);
	json_put_int(ex, "signal", -1);
	json_object_object_add(req, "exit_event", ex);
	json_put_int(req, "restart_count", 0);
	return req;
}

static json_object *
event_json(const struct mevent *e)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "id", e->id);
	json_put_str(o, "type", e->type);
	json_put_str(o, "status", mstate_name(e->status));
	json_put_str(o, "source", e->by_user ? "user" : "flyd");
	json_put_int(o, "timestamp", e->timestamp);
	if (strcmp(e->type, "exit") == 0)
		json_object_object_add(o, "request", exit_request(e));
	return o;
}

json_object *
render_events(const struct machine *m, int limit)
{
	json_object *arr = json_object_new_array();

	for (int i = m->nevents - 1; i >= 0 && limit > 0; i--, limit--)
		json_object_array_add(arr, event_json(&m->events[i]));
	return arr;
}

static json_object *
checks_json(const struct machine *m, bool brief)
{
	json_object *arr = json_object_new_array();
	const char *status = m->checks_passing ? "passing" : "critical";
	char when[32];

	fmt_rfc3339(m->checks_at, when, sizeof(when));
	for (int i = 0; i < m->nchecks; i++) {
		json_object *o = json_object_new_object();

		json_put_str(o, "name", m->checks[i]);
		json_put_str(o, "status", status);
		if (!brief) {
			json_put_str(o, "output", m->checks_passing ?
			    "success" : m->state == MS_STARTED ?
			    "waiting for the check to pass" :
			    "machine is not running");
			json_put_str(o, "updated_at", when);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

static void
put_time(json_object *o, const char *key, double wall)
{
	char buf[32];

	fmt_rfc3339(wall, buf, sizeof(buf));
	json_put_str(o, key, buf);
}

static json_object *
stripped_lease(const struct machine *m)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "owner", m->lease.owner);
	json_put_int(o, "expires_at", (long long)m->lease.expires_at);
	json_put_str(o, "description", m->lease.description);
	return o;
}

static void
put_details(json_object *o, const struct machine *m)
{
	json_object_object_add(o, "config", json_object_get(m->config));
	json_object_object_add(o, "events", render_events(m, EVENTS_MAX));
	if (m->nchecks > 0)
		json_object_object_add(o, "checks", checks_json(m, false));
	json_put_str(o, "host_status", m->host_status[0] ? m->host_status :
	    "ok");
}

json_object *
render_machine(const struct machine *m, unsigned flags)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "id", m->id);
	json_put_str(o, "name", m->name);
	json_put_str(o, "state", mstate_name(m->state));
	json_put_str(o, "region", region_at(m->region)->code);
	json_put_str(o, "instance_id", m->version);
	json_put_str(o, "version", m->version);
	json_put_str(o, "private_ip", m->private_ip);
	json_object_object_add(o, "image_ref", image_ref(m));
	put_time(o, "created_at", m->created_at);
	put_time(o, "updated_at", m->updated_at);
	json_put_bool(o, "cordoned", m->cordoned);
	if (!(flags & RENDER_SUMMARY))
		put_details(o, m);
	if ((flags & RENDER_LEASE) && lease_active(m, now_wall()))
		json_object_object_add(o, "lease", stripped_lease(m));
	return o;
}

static json_object *
metadata_copy(const struct machine *m)
{
	json_object *md, *copy = NULL;

	if (!json_object_object_get_ex(m->config, "metadata", &md) ||
	    !json_object_is_type(md, json_type_object))
		return json_object_new_object();
	json_object_deep_copy(md, &copy, NULL);
	return copy;
}

json_object *
render_admin_machine(const struct machine *m)
{
	json_object *o = json_object_new_object();
	json_object *lease = NULL;

	json_put_str(o, "app", m->app->name);
	json_put_str(o, "id", m->id);
	json_put_str(o, "name", m->name);
	json_put_str(o, "region", region_at(m->region)->code);
	json_put_str(o, "state", mstate_name(m->state));
	json_put_str(o, "image", store_image(m));
	json_put_str(o, "version", m->version);
	json_object_object_add(o, "metadata", metadata_copy(m));
	json_object_object_add(o, "checks", checks_json(m, true));
	json_put_bool(o, "cordoned", m->cordoned);
	json_put_str(o, "host_status", m->host_status[0] ? m->host_status :
	    "ok");
	if (lease_active(m, now_wall()))
		lease = stripped_lease(m);
	json_object_object_add(o, "lease", lease);
	put_time(o, "created_at", m->created_at);
	put_time(o, "updated_at", m->updated_at);
	return o;
}
