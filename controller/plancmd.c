/* plancmd.c - "rhone-controller plan": read the source (a folder, or a
 * database read once), list each app's machines once, run the planner
 * and print its actions and the regions it holds. It makes no mutating
 * call: the only request it sends is the list. */
#include "plancmd.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flyclient.h"
#include "flymachine.h"
#include "options.h"
#include "pgsource.h"
#include "plan.h"
#include "plancheck.h"
#include "util.h"
#include "yamlsrc.h"

#define PC_TOKEN_MAX 8192

struct pc_set {
	const struct regionset *rs;
	struct fly_machine *ms;
	size_t n;
	char error[320];             /* "" when the list worked */
	char path[160];
	size_t *pending;
	struct ev_loop *loop;
};

static void
pc_on_list(void *arg, const struct fly_response *r)
{
	struct pc_set *s = arg;
	char err[200];

	if (r->status != 200) {
		fly_failure_text(r, err, sizeof(err));
		snprintf(s->error, sizeof(s->error), "listing machines of "
			 "app %s failed: %.160s", s->rs->app, err);
	} else if (fly_parse_machine_list(r->body, r->len, &s->ms, &s->n,
					  err, sizeof(err)) < 0) {
		snprintf(s->error, sizeof(s->error), "malformed machine list "
			 "for app %s: %.160s", s->rs->app, err);
	}
	if (--*s->pending == 0)
		ev_break(s->loop, EVBREAK_ALL);
}

/* The token, as "run" reads it: the file named by the option, else
 * $FLY_API_TOKEN. The caller wipes and frees it. */
static char *
pc_token(const struct options *o)
{
	char buf[PC_TOKEN_MAX];
	const char *env = getenv("FLY_API_TOKEN");
	size_t n;
	FILE *f;

	if (o->fly_api_token_file == NULL)
		return env && *env ? strdup(env) : NULL;
	if ((f = fopen(o->fly_api_token_file, "r")) == NULL) {
		fprintf(stderr, "plan: cannot read the token file %s\n",
			o->fly_api_token_file);
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	explicit_bzero(buf + n, sizeof(buf) - n);
	return n ? strdup(buf) : NULL;
}

/* List every set's app at once on a private loop; 0 when the requests
 * went out and every answer came back (errors are in the sets). */
static int
pc_list_all(struct fly_client *fly, struct ev_loop *loop,
	    struct pc_set *sets, size_t nsets)
{
	size_t i, pending = 0;

	for (i = 0; i < nsets; i++) {
		struct fly_request rq = { .op = "list", .method = "GET",
					  .key = sets[i].rs->app,
					  .path = sets[i].path };
		sets[i].pending = &pending;
		sets[i].loop = loop;
		snprintf(sets[i].path, sizeof(sets[i].path),
			 "/v1/apps/%s/machines", sets[i].rs->app);
		if (fly_client_send(fly, &rq, pc_on_list, &sets[i]) < 0)
			return -1;
		pending++;
	}
	if (pending > 0)
		ev_run(loop, 0);
	return pending == 0 ? 0 : -1;
}

static void
pc_print_action(const struct plan *p, const struct plan_action *a,
		const struct fly_machine *ms)
{
	const struct plan_region *pr = &p->regions[a->region];

	printf("  %-4s %-8s %-15s", pr->code, plan_op_name(a->op),
	       plan_reason_name(a->reason));
	if (a->machine >= 0)
		printf(" machine %s (%s)", ms[a->machine].id,
		       ms[a->machine].state);
	else
		printf(" desired %d, current %d, ready %d", pr->desired,
		       pr->current, pr->ready);
	printf("\n");
}

/* A region the plan check holds: no action, and why. */
static void
pc_print_held(const struct regionset *rs, const struct plan_region *pr)
{
	char msg[160];

	plancheck_region_message(rs, pr->current, msg, sizeof(msg));
	printf("  %-4s %-8s %-15s %s\n", pr->code, "held", pr->reason, msg);
}

static int
pc_held_count(const struct plan *p)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->nregions; i++)
		n += p->regions[i].phase == PLAN_HELD;
	return n;
}

/* Print one set's plan; the number of actions, -1 on error. */
static long
pc_plan_one(const struct pc_set *s)
{
	struct plan p;
	struct plan_input in = { .rs = s->rs, .machines = s->ms,
				 .nmachines = s->n, .now = util_now() };
	size_t i;
	int held;

	if (s->error[0] != '\0') {
		printf("RegionSet %s (app %s): error: %s\n", s->rs->name,
		       s->rs->app, s->error);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	if (plan_compute(&in, &p) < 0) {
		printf("RegionSet %s: planning failed\n", s->rs->name);
		return -1;
	}
	held = pc_held_count(&p);
	if (p.nactions == 0)
		printf("RegionSet %s (app %s): no changes", s->rs->name,
		       s->rs->app);
	else
		printf("RegionSet %s (app %s): %zu change%s", s->rs->name,
		       s->rs->app, p.nactions, p.nactions == 1 ? "" : "s");
	if (held > 0)
		printf(", %d region%s held (%s)", held, held == 1 ? "" : "s",
		       PLANCHECK_REASON);
	printf("\n");
	for (i = 0; i < p.nactions; i++)
		pc_print_action(&p, &p.actions[i], s->ms);
	for (i = 0; i < p.nregions; i++)
		if (p.regions[i].phase == PLAN_HELD)
			pc_print_held(s->rs, &p.regions[i]);
	i = p.nactions;
	plan_free(&p);
	return (long)i;
}

/* Plan every set; the exit code. */
static int
pc_report(struct pc_set *sets, size_t nsets, int failed)
{
	size_t i, changes = 0;

	for (i = 0; i < nsets; i++) {
		long n = pc_plan_one(&sets[i]);
		if (n < 0)
			failed = 1;
		else
			changes += (size_t)n;
	}
	printf("%zu change%s pending in %zu RegionSet%s\n", changes,
	       changes == 1 ? "" : "s", nsets, nsets == 1 ? "" : "s");
	if (failed)
		return 1;
	return changes ? 2 : 0;
}

/* A database read once; -2 when it cannot be read at all. */
static int
pc_load_db(const struct options *o, struct yaml_load *ld)
{
	char err[512];
	char *shown;

	if (pgsource_read_once(o->source, ld, err, sizeof(err)) == 0)
		return 0;
	shown = pgsource_redact(o->source);
	fprintf(stderr, "plan: cannot read desired state from %s: %s\n",
		shown ? shown : "the database", err);
	free(shown);
	return -2;
}

/* 0 when the source read cleanly, -1 with errors (printed), -2 when it
 * could not be read at all. */
static int
pc_load(const struct options *o, struct yaml_load *ld)
{
	char msg[1024];
	size_t i;

	memset(ld, 0, sizeof(*ld));
	if (pgsource_is_url(o->source) && pc_load_db(o, ld) < 0)
		return -2;
	if (!pgsource_is_url(o->source))
		yaml_load_dir(o->source, ld);
	for (i = 0; i < ld->errors.n; i++) {
		rs_error_format(&ld->errors.items[i], msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	return ld->errors.n == 0 && !ld->source_failed ? 0 : -1;
}

static int
pc_run(const struct options *o, struct yaml_load *ld, int bad)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct pc_set *sets = calloc(ld->nsets + 1, sizeof(*sets));
	struct fly_client *fly = NULL;
	char *token = pc_token(o);
	int rc = 1;
	size_t i;

	if (loop != NULL && sets != NULL && token != NULL)
		fly = fly_client_new(loop, o->fly_api_url, token);
	for (i = 0; i < ld->nsets && sets != NULL; i++)
		sets[i].rs = ld->sets[i];
	if (token == NULL)
		fprintf(stderr, "plan: set FLY_API_TOKEN or "
			"--fly-api-token-file\n");
	else if (fly != NULL && pc_list_all(fly, loop, sets, ld->nsets) == 0)
		rc = pc_report(sets, ld->nsets, bad);
	else
		fprintf(stderr, "plan: cannot set up the Fly API client\n");
	for (i = 0; i < ld->nsets && sets != NULL; i++)
		fly_machines_free(sets[i].ms, sets[i].n);
	fly_client_free(fly);
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	free(sets);
	if (loop != NULL)
		ev_loop_destroy(loop);
	return rc;
}

int
plancmd_main(int argc, char **argv)
{
	struct options o;
	struct yaml_load ld;
	char *pos[1];
	int npos = 1, bad;
	int rc = options_parse_cmd(&o, "plan", argc, argv, stderr, pos, &npos);

	if (rc != 0) {
		options_free(&o);
		return rc < 0 ? 1 : 0;
	}
	/* `plan DIR` is `plan --source DIR`, as validate takes its path. */
	if (npos == 1 && o.source != NULL &&
	    getenv("RHONE_SOURCE") == NULL) {
		fprintf(stderr, "plan: give the source once, as --source or "
			"as an argument\n");
		options_free(&o);
		return 1;
	}
	if (npos == 1) {
		free(o.source);
		o.source = strdup(pos[0]);
	}
	if (o.source == NULL) {
		fprintf(stderr, "plan: give --source DIR or --source "
			"postgres://...\n");
		options_free(&o);
		return 1;
	}
	bad = pc_load(&o, &ld);
	rc = bad == -2 ? 1 : pc_run(&o, &ld, bad < 0);
	yaml_load_free(&ld);
	options_free(&o);
	return rc;
}
