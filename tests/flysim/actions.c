/* actions.c - start, stop, suspend, restart, cordon, wait, events. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "lifecycle.h"
#include "render.h"
#include "simutil.h"

#define WAIT_DEFAULT 60
#define WAIT_MAX 60
#define EVENTS_DEFAULT 20

static void
reply_ok(struct call *c)
{
	json_object *o = json_object_new_object();

	json_put_bool(o, "ok", true);
	call_reply(c, 200, o);
}

static void
refuse(struct call *c, const char *what)
{
	call_error(c, 412, "failed_precondition: unable to %s machine from "
	    "current state: '%s'", what, mstate_name(c->m->state));
}

static bool
startable(enum mstate s)
{
	return s == MS_CREATED || s == MS_STOPPED || s == MS_SUSPENDED ||
	    s == MS_STOPPING || s == MS_SUSPENDING;
}

/*
 * Starting a running machine is refused (412) unless the setting
 * start_started_ok asks for the lenient reading: 200 and no change.
 */
void
api_start(struct call *c)
{
	static const struct mstep boot[] = { { MS_STARTED, DELAY_BOOT } };
	enum mstate prev = c->m->state;
	json_object *o;

	if (prev == MS_DESTROYING ||
	    (!startable(prev) && !c->sim->cfg.start_started_ok)) {
		refuse(c, "start");
		return;
	}
	if (startable(prev))
		life_begin(c->sim, c->m, MS_STARTING, "start", boot, 1);
	o = json_object_new_object();
	json_put_str(o, "previous_state", mstate_name(prev));
	json_put_bool(o, "migrated", false);
	json_put_str(o, "new_host", "");
	call_reply(c, 200, o);
}

static bool
valid_signal(const char *sig)
{
	static const char *const ok[] = {
		"SIGABRT", "SIGALRM", "SIGFPE", "SIGHUP", "SIGILL", "SIGINT",
		"SIGKILL", "SIGPIPE", "SIGQUIT", "SIGSEGV", "SIGTERM",
		"SIGTRAP", "SIGUSR1", "SIGUSR2",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(sig, ok[i]) == 0)
			return true;
	return false;
}

/* The optional {"signal", "timeout"} body of stop. */
static bool
check_stop_body(struct call *c)
{
	json_object *v;
	const char *sig = json_get_str(c->body, "signal");
	double secs;

	if (sig != NULL && !valid_signal(sig)) {
		call_error(c, 400, "invalid_argument: unknown signal %s", sig);
		return false;
	}
	if (c->body == NULL || !json_object_object_get_ex(c->body,
	    "timeout", &v) || v == NULL ||
	    json_object_is_type(v, json_type_int))
		return true;
	if (json_object_is_type(v, json_type_string) &&
	    parse_seconds(json_object_get_string(v), &secs) && secs >= 0)
		return true;
	call_error(c, 400, "invalid_argument: bad stop timeout");
	return false;
}

void
api_stop(struct call *c)
{
	static const struct mstep down[] = { { MS_STOPPED, DELAY_STOP } };
	enum mstate s = c->m->state;

	if (!check_stop_body(c))
		return;
	if (s == MS_DESTROYING) {
		refuse(c, "stop");
		return;
	}
	if (s != MS_CREATED && s != MS_STOPPED && s != MS_STOPPING)
		life_begin(c->sim, c->m, MS_STOPPING, "stop", down, 1);
	reply_ok(c);
}

void
api_suspend(struct call *c)
{
	static const struct mstep down[] = { { MS_SUSPENDED, DELAY_STOP } };
	enum mstate s = c->m->state;

	if (s == MS_SUSPENDED || s == MS_SUSPENDING) {
		reply_ok(c);
		return;
	}
	if (s != MS_STARTED) {
		refuse(c, "suspend");
		return;
	}
	life_begin(c->sim, c->m, MS_SUSPENDING, "suspend", down, 1);
	reply_ok(c);
}

void
api_restart(struct call *c)
{
	static const struct mstep again[] = {
		{ MS_STARTING, DELAY_STOP }, { MS_STARTED, DELAY_BOOT },
	};

	if (c->m->state != MS_STARTED) {
		refuse(c, "restart");
		return;
	}
	life_begin(c->sim, c->m, MS_RESTARTING, "restart", again, 2);
	reply_ok(c);
}

static void
set_cordon(struct call *c, bool on)
{
	c->m->cordoned = on;
	c->m->updated_at = now_wall();
	sim_changed(c->sim);
	reply_ok(c);
}

void
api_cordon(struct call *c)
{
	set_cordon(c, true);
}

void
api_uncordon(struct call *c)
{
	set_cordon(c, false);
}

struct wait_spec {
	unsigned states;	/* bit per enum mstate */
	char text[128];		/* as asked, for the timeout message */
	bool bad;
};

static void
add_wait_states(struct wait_spec *w, const char *list)
{
	char buf[128], *save = NULL;
	int s;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "settled") == 0) {
			for (s = 0; s < MS_COUNT; s++)
				if (life_settled((enum mstate)s))
					w->states |= 1u << s;
		} else if ((s = mstate_lookup(t)) >= 0) {
			w->states |= 1u << s;
		} else if (strcmp(t, "failed") != 0) {
			w->bad = true;
		}
	}
}

static void
collect_states(void *cls, const char *key, const char *val)
{
	struct wait_spec *w = cls;
	size_t used = strlen(w->text);

	if (strcmp(key, "state") != 0 || val == NULL || *val == '\0')
		return;
	add_wait_states(w, val);
	snprintf(w->text + used, sizeof(w->text) - used, "%s%s",
	    used ? "," : "", val);
}

/* State set and timeout from the query; false after answering 400. */
static bool
read_wait(struct call *c, struct wait_spec *w, long *timeout)
{
	const char *t = call_query(c, "timeout");
	double secs = WAIT_DEFAULT;

	http_query_each(c->req, collect_states, w);
	if (w->text[0] == '\0') {
		snprintf(w->text, sizeof(w->text), "started");
		add_wait_states(w, w->text);
	}
	if (w->bad) {
		call_error(c, 400, "invalid_argument: invalid state %s",
		    w->text);
		return false;
	}
	if (t != NULL && !parse_seconds(t, &secs))
		secs = -1;
	*timeout = (long)secs;
	if (secs >= 1 && secs <= WAIT_MAX && secs == (double)*timeout)
		return true;
	call_error(c, 400, "invalid_argument: timeout must be an integer "
	    "from 1 to %d seconds", WAIT_MAX);
	return false;
}

static void
wait_reached(struct call *c, const char *state)
{
	json_object *o = json_object_new_object();
	const struct machine *m = c->m;

	json_put_bool(o, "ok", true);
	json_put_str(o, "state", state);
	json_put_str(o, "version", m->version);
	json_put_str(o, "event_id",
	    m->nevents ? m->events[m->nevents - 1].id : "");
	call_reply(c, 200, o);
}

/* A version that is no longer current counts as reached: replaced. */
static bool
version_replaced(struct call *c)
{
	const char *v = call_query(c, "version");

	if (v == NULL || *v == '\0')
		v = call_query(c, "instance_id");
	return v != NULL && *v != '\0' && strcmp(v, c->m->version) != 0;
}

/*
 * Long-poll: the lock is released while sleeping, so only this
 * connection's thread waits; every machine change wakes it to look.
 */
void
api_wait(struct call *c)
{
	struct wait_spec w = { 0 };
	long timeout;
	double deadline;

	if (!read_wait(c, &w, &timeout))
		return;
	if (version_replaced(c)) {
		wait_reached(c, "replaced");
		return;
	}
	deadline = now_mono() + (double)timeout;
	for (;;) {
		if (w.states & (1u << c->m->state)) {
			wait_reached(c, mstate_name(c->m->state));
		} else if (c->m->state == MS_DESTROYED) {
			refuse(c, "wait for");
		} else if (c->sim->stopping) {
			call_error(c, 503, "flysim is shutting down");
		} else if (now_mono() >= deadline) {
			call_error(c, 408, "deadline_exceeded: timeout "
			    "waiting for machine to be %s", w.text);
		} else {
			sim_wait(c->sim, deadline);
			continue;
		}
		return;
	}
}

void
api_events(struct call *c)
{
	const char *q = call_query(c, "limit");
	long limit = EVENTS_DEFAULT;

	if (q != NULL && (!parse_long(q, &limit) || limit < 1 ||
	    limit > EVENTS_MAX)) {
		call_error(c, 400, "invalid_argument: limit must be between "
		    "1 and %d", EVENTS_MAX);
		return;
	}
	call_reply(c, 200, render_events(c->m, (int)limit));
}
