/* rollout.c - planned actions as step machines of API calls. */
#include "rollout.h"

#include <stdlib.h>
#include <string.h>

#include "flyclient.h"
#include "log.h"
#include "machinecfg.h"
#include "reconcile.h"
#include "util.h"

#define STOP_WAIT_S 30

struct job {
	struct entry *e;
	struct plan_action a;
	char region[8];
	char machine[FLY_ID_MAX];
	char state[16];
	char launch_id[FLY_ID_MAX];
	char path[256];
};

static void job_end(struct job *j, const char *reason, const char *error);
static void step_destroy(struct job *j);

static int
job_send(struct job *j, const char *op, const char *key, const char *method,
	 const char *body, long timeout_ms, fly_done_fn fn)
{
	struct fly_request rq = {
		.op = op, .key = key, .method = method, .path = j->path,
		.body = body, .timeout_ms = timeout_ms,
	};

	return fly_client_send(j->e->ctl->fly, &rq, fn, j);
}

static const char *
app_of(const struct job *j)
{
	return j->e->rs->app;
}

static void
api_failure(struct job *j, const char *what, const struct fly_response *r)
{
	char msg[160], err[128];

	if (r->status == 0)
		util_strlcpy(err, r->error, sizeof(err));
	else
		fly_error_message(r->body, r->len, err, sizeof(err));
	snprintf(msg, sizeof(msg), "%s failed: %ld %s", what, r->status, err);
	job_end(j, strstr(r->body, "insufficient_capacity") ?
		"InsufficientCapacity" : "ApiError", msg);
}

/* create: one call; the launch id lets the next listing recognise the
 * machine even if this response never arrives. */
static void
on_created(void *arg, const struct fly_response *r)
{
	struct job *j = arg;
	struct fly_machine m;
	char err[128];

	if (r->status != 200) {
		api_failure(j, "create", r);
		return;
	}
	memset(&m, 0, sizeof(m));
	if (fly_parse_machine(r->body, r->len, &m, err, sizeof(err)) < 0)
		util_strlcpy(m.id, "?", sizeof(m.id));
	log_info("machine_created", "regionset=%s app=%s region=%s "
		 "machine=%s reason=%s launch_id=%s", j->e->name, app_of(j),
		 j->region, m.id, plan_reason_name(j->a.reason), j->launch_id);
	fly_machine_clear(&m);
	job_end(j, NULL, NULL);
}

static int
step_create(struct job *j, const struct plan_region *pr)
{
	char *body;
	int rc;

	util_random_hex(j->launch_id, 21);
	body = mcfg_create_body(j->e->rs, pr->spec, j->launch_id);
	if (body == NULL)
		return -1;
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines", app_of(j));
	rc = job_send(j, "create", app_of(j), "POST", body, 60000, on_created);
	free(body);
	return rc;
}

static void
on_destroyed(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status != 200 && r->status != 404) {
		api_failure(j, "destroy", r);
		return;
	}
	log_info("machine_destroyed", "regionset=%s app=%s region=%s "
		 "machine=%s reason=%s", j->e->name, app_of(j), j->region,
		 j->machine, plan_reason_name(j->a.reason));
	job_end(j, NULL, NULL);
}

/* destroy with force: the machine was asked to stop gracefully first,
 * and a machine that would not stop must still go. */
static void
step_destroy(struct job *j)
{
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s?force=true",
		 app_of(j), j->machine);
	if (job_send(j, "destroy", j->machine, "DELETE", NULL, 30000,
		     on_destroyed) < 0)
		job_end(j, "ApiError", "out of memory");
}

static void
on_stopped_wait(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status != 200)
		log_debug("stop_wait_ended", "machine=%s status=%ld",
			  j->machine, r->status);
	step_destroy(j);
}

static void
on_stop(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status == 404) {
		job_end(j, NULL, NULL);
		return;
	}
	if (r->status != 200) {
		api_failure(j, "stop", r);
		return;
	}
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s/wait"
		 "?state=stopped&timeout=%d", app_of(j), j->machine,
		 STOP_WAIT_S);
	if (job_send(j, "wait", j->machine, "GET", NULL,
		     (STOP_WAIT_S + 10) * 1000L, on_stopped_wait) < 0)
		job_end(j, "ApiError", "out of memory");
}

static int
running_state(const char *st)
{
	return strcmp(st, "started") == 0 || strcmp(st, "starting") == 0 ||
	       strcmp(st, "replacing") == 0 || strcmp(st, "updating") == 0 ||
	       strcmp(st, "restarting") == 0;
}

static int
step_stop(struct job *j)
{
	if (!running_state(j->state)) {
		step_destroy(j);
		return 0;
	}
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s/stop",
		 app_of(j), j->machine);
	return job_send(j, "stop", j->machine, "POST", "{}", 30000, on_stop);
}

static void
job_end(struct job *j, const char *reason, const char *error)
{
	struct entry *e = j->e;
	char region[8];

	util_strlcpy(region, j->region, sizeof(region));
	if (error != NULL)
		log_warn("action_failed", "regionset=%s app=%s region=%s "
			 "machine=%s action=%s reason=%s error=%s", e->name,
			 e->rs->app, j->region, j->machine[0] ? j->machine :
			 "-", plan_op_name(j->a.op), reason, log_q(error));
	free(j);
	reconcile_action_done(e, region, reason, error);
}

int
rollout_start(struct entry *e, const struct plan_action *a,
	      const struct plan_region *pr, const struct fly_machine *m)
{
	struct job *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL)
		return -1;
	j->e = e;
	j->a = *a;
	util_strlcpy(j->region, pr->code, sizeof(j->region));
	if (m != NULL) {
		util_strlcpy(j->machine, m->id, sizeof(j->machine));
		util_strlcpy(j->state, m->state, sizeof(j->state));
	}
	rc = a->op == PLAN_CREATE ? step_create(j, pr) : step_stop(j);
	if (rc < 0)
		free(j);
	return rc;
}
