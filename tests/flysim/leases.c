/* leases.c - machine leases: who may change a machine for a while. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "leases.h"
#include "simutil.h"

#define TTL_DEFAULT 30
#define TTL_MAX 86400

/* A lease's length, within the configured cap. */
static double
lease_ttl(const struct sim *sim, double ttl)
{
	double cap = sim->cfg.lease_ttl_max;

	return cap > 0 && ttl > cap ? cap : ttl;
}

bool
lease_active(const struct machine *m, double wall)
{
	return m->lease.held && wall < m->lease.expires_at;
}

void
lease_clear(struct machine *m)
{
	free(m->lease.owner);
	free(m->lease.description);
	memset(&m->lease, 0, sizeof(m->lease));
}

void
lease_grant(struct sim *sim, struct machine *m, const char *owner,
    double ttl, const char *description)
{
	lease_clear(m);
	m->lease.held = true;
	ids_nonce(&sim->rng, m->lease.nonce);
	m->lease.owner = xstrdup(owner);
	m->lease.description = xstrdup(description ? description : "");
	m->lease.expires_at = now_wall() + lease_ttl(sim, ttl);
}

json_object *
lease_data(const struct machine *m, bool with_nonce)
{
	json_object *o = json_object_new_object();

	if (with_nonce)
		json_put_str(o, "nonce", m->lease.nonce);
	json_put_int(o, "expires_at", (long long)m->lease.expires_at);
	json_put_str(o, "owner", m->lease.owner);
	json_put_str(o, "description", m->lease.description);
	json_put_str(o, "version", m->version);
	return o;
}

/* "2022-10-20 19:59:06 +0000 UTC", as Go prints a time. */
static void
fmt_go_time(double wall, char *out, size_t len)
{
	time_t t = (time_t)wall;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

bool
lease_gate(struct call *c)
{
	struct machine *m = c->m;
	char when[32];

	if (!lease_active(m, now_wall()))
		return true;
	if (c->nonce != NULL && strcmp(c->nonce, m->lease.nonce) == 0)
		return true;
	fmt_rfc3339(m->lease.expires_at, when, sizeof(when));
	call_error(c, 409, "aborted: machine ID %s lease currently held "
	    "by %s, expires at %s", m->id, m->lease.owner, when);
	return false;
}

static void
envelope_ok(struct call *c, int status, json_object *data)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "status", "success");
	json_object_object_add(o, "data", data);
	call_reply(c, status, o);
}

static void __attribute__((format(printf, 4, 5)))
envelope_error(struct call *c, int status, const char *code,
    const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_put_str(o, "status", "error");
	json_put_str(o, "message", msg);
	json_put_str(o, "code", code);
	call_reply(c, status, o);
}

static void
envelope_held(struct call *c)
{
	char when[40];

	fmt_go_time(c->m->lease.expires_at, when, sizeof(when));
	envelope_error(c, 409, "invalid", "machine ID %s lease currently "
	    "held by %s, expires at %s", c->m->id, c->m->lease.owner, when);
}

/* ttl from the body, else from ?ttl=, else the default; -1 if bad. */
static long
requested_ttl(struct call *c)
{
	json_object *v;
	const char *q = call_query(c, "ttl");
	long ttl = TTL_DEFAULT;

	if (c->body != NULL && json_object_object_get_ex(c->body, "ttl", &v)
	    && v != NULL) {
		if (!json_object_is_type(v, json_type_int))
			return -1;
		ttl = (long)json_object_get_int64(v);
	} else if (q != NULL && !parse_long(q, &ttl)) {
		return -1;
	}
	return ttl >= 1 && ttl <= TTL_MAX ? ttl : -1;
}

void
api_lease_acquire(struct call *c)
{
	struct machine *m = c->m;
	long ttl = requested_ttl(c);
	const char *desc = json_get_str(c->body, "description");

	if (ttl < 0) {
		envelope_error(c, 400, "invalid",
		    "ttl must be an integer from 1 to %d seconds", TTL_MAX);
		return;
	}
	if (!lease_active(m, now_wall())) {
		lease_grant(c->sim, m, c->owner, (double)ttl, desc);
	} else if (c->nonce != NULL && strcmp(c->nonce, m->lease.nonce) == 0) {
		m->lease.expires_at = now_wall() + lease_ttl(c->sim,
		    (double)ttl);
		if (desc != NULL) {
			free(m->lease.description);
			m->lease.description = xstrdup(desc);
		}
	} else {
		envelope_held(c);
		return;
	}
	envelope_ok(c, 201, lease_data(m, true));
}

void
api_lease_get(struct call *c)
{
	if (!lease_active(c->m, now_wall())) {
		envelope_error(c, 404, "not_found", "lease not found");
		return;
	}
	envelope_ok(c, 200, lease_data(c->m, false));
}

void
api_lease_release(struct call *c)
{
	json_object *data;

	if (c->nonce == NULL || *c->nonce == '\0') {
		envelope_error(c, 400, "invalid",
		    "fly-machine-lease-nonce header is required");
		return;
	}
	if (!lease_active(c->m, now_wall())) {
		envelope_error(c, 404, "not_found", "lease not found");
		return;
	}
	if (strcmp(c->nonce, c->m->lease.nonce) != 0) {
		envelope_held(c);
		return;
	}
	lease_clear(c->m);
	data = json_object_new_object();
	json_put_bool(data, "ok", true);
	envelope_ok(c, 200, data);
}
