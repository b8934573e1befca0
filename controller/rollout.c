/* rollout.c - planned actions as step machines of API calls:
 *
 *   create:  POST machines (parked ones with skip_launch)
 *   destroy: lease -> stop -> wait stopped -> [refresh lease] -> destroy;
 *   update:  lease -> POST the full config in place -> release;
 *   any failure after the lease releases it.
 *
 * A lease someone else holds ends the job with LeaseHeld: the machine
 * is skipped, never taken over. */
#include "rollout.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "flyclient.h"
#include "log.h"
#include "machinecfg.h"
#include "reconcile.h"
#include "util.h"

#define STOP_WAIT_S 30
#define LEASE_TTL_S 30
#define LEASE_DESCRIPTION "rhone-controller"

/* One action in flight. A destroy or an update holds a Fly lease from
 * its first mutating call to the last, so that a person running flyctl at the
 * same moment is not overrun, and nobody else's lease is ever taken. */
struct job {
	struct entry *e;
	struct plan_action a;
	char region[8];
	char machine[FLY_ID_MAX];
	char state[16];
	int host_ok;
	char launch_id[FLY_ID_MAX];
	char nonce[64];          /* our lease on machine; "" when none */
	double leased_at;        /* monotonic seconds it was last taken */
	const struct plan_region *pr; /* valid until the round ends */
	char reason[32];         /* why the job fails, once it does */
	char error[256];
	char path[256];
	struct job *prev, *next; /* every job in flight, for shutdown */
};

/* Jobs in flight. At shutdown the Fly client drops its requests without
 * calling back, so the jobs waiting on them are freed from here. */
static struct job *live;

static void
job_link(struct job *j)
{
	j->next = live;
	if (live != NULL)
		live->prev = j;
	live = j;
}

static void
job_unlink(struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		live = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
}

static void job_end(struct job *j, const char *reason, const char *error);
static void job_fail(struct job *j, const char *reason, const char *error);
static void step_destroy(struct job *j);
static int step_stop(struct job *j);

static int
job_send(struct job *j, const char *op, const char *key, const char *method,
	 const char *body, long timeout_ms, fly_done_fn fn)
{
	struct fly_request rq = {
		.op = op, .key = key, .method = method, .path = j->path,
		.body = body, .timeout_ms = timeout_ms,
		.lease_nonce = j->nonce[0] ? j->nonce : NULL,
	};

	return fly_client_send(j->e->ctl->fly, &rq, fn, j);
}

static const char *
app_of(const struct job *j)
{
	return j->e->rs->app;
}

/* A 409 naming a lease: someone else is working on the machine. */
static int
lease_conflict(const struct fly_response *r)
{
	return r->status == 409 && strstr(r->body, "lease") != NULL;
}

static const char *
failure_reason(const struct fly_response *r)
{
	if (lease_conflict(r))
		return "LeaseHeld";
	if (strstr(r->body, "insufficient_capacity") != NULL)
		return "InsufficientCapacity";
	return "ApiError";
}

static void
api_failure(struct job *j, const char *what, const struct fly_response *r)
{
	char msg[256], err[160];

	if (lease_conflict(r)) {
		fly_error_message(r->body, r->len, err, sizeof(err));
		snprintf(msg, sizeof(msg), "machine %s skipped: %s",
			 j->machine, err);
	} else {
		fly_failure_text(r, err, sizeof(err));
		snprintf(msg, sizeof(msg), "%s failed: %s", what, err);
	}
	job_fail(j, failure_reason(r), msg);
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

/* A parked create (skip_launch) stands in for an idle machine: it is
 * made but not booted, and its launch id says so to later listings. */
static char *
create_body(struct job *j, const struct plan_region *pr)
{
	char *body, *parked;
	size_t n;

	body = mcfg_create_body(j->e->rs, pr->spec, j->launch_id);
	if (body == NULL || !j->a.park || body[0] != '{')
		return body;
	n = strlen(body) + 32;
	parked = malloc(n);
	if (parked != NULL)
		snprintf(parked, n, "{\"skip_launch\":true,%s", body + 1);
	free(body);
	return parked;
}

static int
step_create(struct job *j, const struct plan_region *pr)
{
	char *body;
	int rc;

	if (j->a.park) {
		util_strlcpy(j->launch_id, PLAN_PARKED_PREFIX,
			     sizeof(j->launch_id));
		util_random_hex(j->launch_id + strlen(j->launch_id), 21);
	} else {
		util_random_hex(j->launch_id, 21);
	}
	body = create_body(j, pr);
	if (body == NULL)
		return -1;
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines", app_of(j));
	rc = job_send(j, "create", app_of(j), "POST", body, 60000, on_created);
	free(body);
	return rc;
}

/* The lease goes with a destroyed machine; after any other ending it is
 * released, and the job ends with what it saved in job_fail. */
static void
on_released(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status != 200)
		log_debug("lease_release_failed", "machine=%s status=%ld",
			  j->machine, r->status);
	job_end(j, j->reason[0] ? j->reason : NULL,
		j->error[0] ? j->error : NULL);
}

static void
job_fail(struct job *j, const char *reason, const char *error)
{
	util_strlcpy(j->reason, reason ? reason : "", sizeof(j->reason));
	util_strlcpy(j->error, error ? error : "", sizeof(j->error));
	if (j->nonce[0] == '\0') {
		job_end(j, reason, error);
		return;
	}
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s/lease",
		 app_of(j), j->machine);
	if (job_send(j, "lease", j->machine, "DELETE", NULL, 30000,
		     on_released) < 0)
		job_end(j, reason, error);
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
	j->nonce[0] = '\0';
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
		job_fail(j, "ApiError", "out of memory");
}

/* Take the nonce out of a lease envelope {"data":{"nonce":...}}. */
static int
lease_nonce(const struct fly_response *r, char *out, size_t size)
{
	json_object *o = json_tokener_parse(r->body), *data, *nonce;
	int rc = -1;

	if (o != NULL && json_object_object_get_ex(o, "data", &data) &&
	    json_object_object_get_ex(data, "nonce", &nonce) &&
	    json_object_is_type(nonce, json_type_string) &&
	    json_object_get_string_len(nonce) > 0 &&
	    (size_t)json_object_get_string_len(nonce) < size) {
		util_strlcpy(out, json_object_get_string(nonce), size);
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

/* The lease was taken (or refreshed): go on with `next`. */
static int
lease_taken(struct job *j, const struct fly_response *r)
{
	if (r->status == 404) {
		j->nonce[0] = '\0';
		job_end(j, NULL, NULL);         /* the machine is gone */
		return 0;
	}
	if (r->status != 200 && r->status != 201) {
		api_failure(j, "lease", r);
		return 0;
	}
	if (lease_nonce(r, j->nonce, sizeof(j->nonce)) < 0) {
		job_fail(j, "ApiError", "lease answer without a nonce");
		return 0;
	}
	j->leased_at = util_monotonic();
	return 1;
}

/* update: the full config in place, under our lease; then release it
 * (job_fail with no error releases and ends in success). */
static void
on_updated(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status != 200) {
		api_failure(j, "update", r);
		return;
	}
	log_info("machine_updated", "regionset=%s app=%s region=%s "
		 "machine=%s launch=%s", j->e->name, app_of(j), j->region,
		 j->machine, j->a.park ? "skipped" : "yes");
	job_fail(j, NULL, NULL);
}

static int
step_update(struct job *j)
{
	const struct plan_region *pr = j->pr;
	char *body;
	int rc;

	util_random_hex(j->launch_id, 21);
	body = create_body(j, pr);
	if (body == NULL)
		return -1;
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s",
		 app_of(j), j->machine);
	rc = job_send(j, "update", j->machine, "POST", body, 60000,
		      on_updated);
	free(body);
	return rc;
}

static void
on_lease(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (!lease_taken(j, r))
		return;
	if ((j->a.op == PLAN_UPDATE ? step_update(j) : step_stop(j)) < 0)
		job_fail(j, "ApiError", "out of memory");
}

static void
on_lease_refreshed(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (lease_taken(j, r))
		step_destroy(j);
}

static int
send_lease(struct job *j, fly_done_fn fn)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"ttl\":%d,\"description\":\"%s\"}",
		 LEASE_TTL_S, LEASE_DESCRIPTION);
	snprintf(j->path, sizeof(j->path), "/v1/apps/%s/machines/%s/lease",
		 app_of(j), j->machine);
	return job_send(j, "lease", j->machine, "POST", body, 30000, fn);
}

/* A stop wait that used up half the lease or more is followed by a
 * refresh (same nonce) before the destroy; after a quick stop, the usual
 * case, the destroy goes at once, one call fewer per machine. */
static void
on_stopped_wait(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status != 200)
		log_debug("stop_wait_ended", "machine=%s status=%ld",
			  j->machine, r->status);
	if (util_monotonic() - j->leased_at < LEASE_TTL_S / 2.0) {
		step_destroy(j);
		return;
	}
	if (send_lease(j, on_lease_refreshed) < 0)
		job_fail(j, "ApiError", "out of memory");
}

static void
on_stop(void *arg, const struct fly_response *r)
{
	struct job *j = arg;

	if (r->status == 404) {
		j->nonce[0] = '\0';
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
		job_fail(j, "ApiError", "out of memory");
}

static int
running_state(const char *st)
{
	return strcmp(st, "started") == 0 || strcmp(st, "starting") == 0 ||
	       strcmp(st, "replacing") == 0 || strcmp(st, "updating") == 0 ||
	       strcmp(st, "restarting") == 0;
}

/* A machine on a host that is not ok cannot stop gracefully: it goes
 * straight to the forced destroy. */
static int
step_stop(struct job *j)
{
	if (!running_state(j->state) || !j->host_ok) {
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
	char region[8], machine[FLY_ID_MAX], why[32], err[256];

	/* reason and error may point into the job (job_fail saves them
	 * there): copy them out before it is freed */
	util_strlcpy(region, j->region, sizeof(region));
	util_strlcpy(machine, j->machine, sizeof(machine));
	util_strlcpy(why, reason ? reason : "", sizeof(why));
	util_strlcpy(err, error ? error : "", sizeof(err));
	job_unlink(j);
	if (error != NULL)
		log_warn("action_failed", "regionset=%s app=%s region=%s "
			 "machine=%s action=%s reason=%s error=%s", e->name,
			 e->rs->app, j->region, j->machine[0] ? j->machine :
			 "-", plan_op_name(j->a.op), why, log_q(err));
	free(j);
	reconcile_action_done(e, region, machine, reason ? why : NULL,
			      error ? err : NULL);
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
	j->pr = pr;
	util_strlcpy(j->region, pr->code, sizeof(j->region));
	if (m != NULL) {
		util_strlcpy(j->machine, m->id, sizeof(j->machine));
		util_strlcpy(j->state, m->state, sizeof(j->state));
		j->host_ok = m->host_status[0] == '\0' ||
			     strcmp(m->host_status, "ok") == 0;
	}
	job_link(j);
	rc = a->op == PLAN_CREATE ? step_create(j, pr) :
	     send_lease(j, on_lease);
	if (rc < 0) {
		job_unlink(j);
		free(j);
	}
	return rc;
}

void
rollout_abandon(struct entry *e)
{
	struct job *j, *next;

	for (j = live; j != NULL; j = next) {
		next = j->next;
		if (j->e != e)
			continue;
		job_unlink(j);
		free(j);
	}
}
