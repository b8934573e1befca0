/* status.c - the status model. Every change of what the controller knows
 * about a set rebuilds that set's JSON once; requests only copy it. */
#include "status.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "plancheck.h"
#include "reconcile.h"
#include "webhook.h"

static const char *const cond_types[COND_COUNT] = {
	"Ready", "Progressing", "Degraded", "SpecValid", "RegionsHeld",
};

void
status_init_entry(struct entry *e)
{
	int i;

	e->phase_since = util_now();
	util_strlcpy(e->phase_told, "Progressing", sizeof(e->phase_told));
	for (i = 0; i < COND_COUNT; i++) {
		e->cond[i].type = cond_types[i];
		e->cond[i].status = i == COND_SPEC_VALID;
		e->cond[i].last_transition = util_now();
	}
	util_strlcpy(e->cond[COND_PROGRESSING].reason, "Pending",
		     sizeof(e->cond[0].reason));
}

const char *
status_phase(const struct entry *e)
{
	if (e->invalid != NULL)
		return "Invalid";
	if (e->api_error[0] != '\0')
		return "Degraded";
	if (!e->phase_valid)
		return "Progressing";
	return plan_phase_name(e->phase);
}

static void
cond_set(struct entry *e, int which, int st, const char *reason,
	 const char *msg)
{
	struct condition *c = &e->cond[which];

	if (c->status != st)
		c->last_transition = util_now();
	c->status = st;
	util_strlcpy(c->reason, reason, sizeof(c->reason));
	if (strcmp(c->message ? c->message : "", msg) == 0)
		return;
	free(c->message);
	/* up to 255 bytes, as when this was a fixed field; an allocation
	 * that fails leaves the condition without its message */
	c->message = msg[0] ? strndup(msg, STATUS_COND_MESSAGE_MAX) : NULL;
}

void
status_conditions_free(struct entry *e)
{
	int i;

	for (i = 0; i < COND_COUNT; i++) {
		free(e->cond[i].message);
		e->cond[i].message = NULL;
	}
}

/* Regions the spec in force holds (the plan check), with why. */
static void
held_condition(struct entry *e)
{
	char list[RS_REGIONS_MAX * 5], why[80], msg[256];

	if (plancheck_held_list(e->rs, list, sizeof(list)) == 0) {
		cond_set(e, COND_REGIONS_HELD, 0, "NoneHeld", "");
		return;
	}
	plancheck_why(e->rs, why, sizeof(why));
	snprintf(msg, sizeof(msg), "%s held: %s", list, why);
	cond_set(e, COND_REGIONS_HELD, 1, PLANCHECK_REASON, msg);
}

static void
status_conditions(struct entry *e, const char *reason)
{
	const char *ph = status_phase(e);

	cond_set(e, COND_SPEC_VALID, e->invalid == NULL,
		 e->invalid ? "InvalidSpec" : "Valid",
		 e->invalid ? e->invalid : "");
	cond_set(e, COND_READY, strcmp(ph, "Converged") == 0,
		 strcmp(ph, "Converged") == 0 ? "Converged" : ph, "");
	cond_set(e, COND_PROGRESSING, strcmp(ph, "Progressing") == 0,
		 strcmp(ph, "Progressing") == 0 ||
		 strcmp(reason, "ProgressDeadlineExceeded") == 0 ?
		 reason : "Idle", "");
	if (e->api_error[0] != '\0')
		cond_set(e, COND_DEGRADED, 1, "ApiError", e->api_error);
	else
		cond_set(e, COND_DEGRADED, strcmp(ph, "Degraded") == 0,
			 strcmp(ph, "Degraded") == 0 ? reason : "Healthy",
			 "");
	held_condition(e);
}

static void
render_machine(struct strbuf *sb, const struct fly_machine *m,
	       const char *want_hash)
{
	int i;

	sb_puts(sb, "{\"id\":");
	sb_json_string(sb, m->id);
	sb_puts(sb, ",\"state\":");
	sb_json_string(sb, m->state);
	sb_puts(sb, ",\"image\":");
	sb_json_string(sb, m->image ? m->image : "");
	sb_printf(sb, ",\"updated\":%s,\"ready\":%s,\"checks\":[",
		  want_hash && strcmp(m->config_hash, want_hash) == 0 ?
		  "true" : "false", fly_machine_ready(m) ? "true" : "false");
	for (i = 0; i < m->nchecks; i++) {
		sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
		sb_json_string(sb, m->checks[i].name);
		sb_puts(sb, ",\"status\":");
		sb_json_string(sb, m->checks[i].status);
		sb_puts(sb, "}");
	}
	sb_puts(sb, "]}");
}


static void
render_region(struct strbuf *sb, const struct entry *e,
	      const struct plan_region *pr, const struct fly_machine *ms,
	      size_t n)
{
	const char *err = reconcile_region_error(e, pr->code);
	size_t i;
	int first = 1;

	sb_puts(sb, "{\"region\":");
	sb_json_string(sb, pr->code);
	sb_printf(sb, ",\"primary\":%s,\"desired\":%d,\"current\":%d,"
		  "\"ready\":%d,\"updated\":%d,\"outdated\":%d,\"phase\":",
		  pr->primary ? "true" : "false", pr->desired, pr->current,
		  pr->ready, pr->updated, pr->outdated);
	sb_json_string(sb, plan_phase_name(pr->phase));
	sb_puts(sb, ",\"reason\":");
	sb_json_string(sb, pr->reason);
	sb_puts(sb, ",\"message\":");
	sb_json_string(sb, err ? err : "");
	sb_puts(sb, ",\"machines\":[");
	for (i = 0; i < n; i++) {
		const struct fly_machine *m = &ms[i];
		if (fly_machine_gone(m) || !fly_machine_managed(m) ||
		    strcmp(m->regionset, e->name) != 0 ||
		    strcmp(m->region, pr->code) != 0)
			continue;
		if (!first)
			sb_puts(sb, ",");
		first = 0;
		render_machine(sb, m, pr->spec ? pr->spec->config_hash : NULL);
	}
	sb_puts(sb, "]}");
}

/* Each change of the phase word, wherever it comes from (a plan, a
 * rejected spec, an API error), is told once: one log line with how
 * long the old phase lasted and why the new one holds, one event, and
 * one webhook. A standby tells nothing: the leader does. */
static void
phase_tell(struct entry *e, const char *why, const char *msg)
{
	const char *now = status_phase(e);
	char old[sizeof(e->phase_told)];
	double t = util_now(), after;

	if (strcmp(e->phase_told, now) == 0 ||
	    (e->ctl != NULL && !leader_acting(e->ctl->leader)))
		return;
	if (e->invalid != NULL) {
		why = "InvalidSpec";
		msg = e->invalid;
	} else if (e->api_error[0] != '\0') {
		why = "ApiError";
		msg = e->api_error;
	}
	after = e->phase_since ? t - e->phase_since : 0.0;
	util_strlcpy(old, e->phase_told, sizeof(old));
	util_strlcpy(e->phase_told, now, sizeof(e->phase_told));
	e->phase_since = t;
	log_info("phase_changed", "regionset=%s app=%s from=%s to=%s "
		 "after=%.1fs reason=%s message=%s", e->name,
		 e->rs ? e->rs->app : "", old, now, after, why, log_q(msg));
	events_add(e, "", "PhaseChanged", "%s -> %s after %.0fs (%s)", old,
		   now, after, why);
	webhook_phase_changed(e->ctl ? e->ctl->webhook : NULL, e, old, now,
			      why, msg, after);
}

/* The region that sets a plan's phase, said in a few words. */
static void
phase_message(const struct entry *e, const struct plan_region *pr,
	      char *msg, size_t size)
{
	const char *err = reconcile_region_error(e, pr->code);

	snprintf(msg, size, "%s: %s", pr->code, err ? err : pr->reason);
}

/* Replace *slot with what sb holds, unless that is what it already says:
 * a converged set renders the same text every round, and keeping the old
 * block spares the heap a long-lived allocation churned per round. A
 * failed render keeps the previous snapshot. */
static void
keep_snapshot(char **slot, struct strbuf *sb)
{
	if (sb->failed || (*slot != NULL && strcmp(*slot, sb->buf) == 0)) {
		sb_free(sb);
		return;
	}
	free(*slot);
	*slot = sb_steal(sb);
}

void
status_observe(struct entry *e, const struct plan *p,
	       const struct fly_machine *ms, size_t n)
{
	struct strbuf sb;
	char msg[200] = "";
	size_t i;

	sb_init(&sb);
	sb_puts(&sb, "[");
	for (i = 0; i < p->nregions; i++) {
		if (i)
			sb_puts(&sb, ",");
		render_region(&sb, e, &p->regions[i], ms, n);
	}
	sb_puts(&sb, "]");
	keep_snapshot(&e->regions_json, &sb);
	e->phase = p->phase;
	e->phase_valid = 1;
	metrics_observe(e, p, ms, n);
	e->unmanaged = p->unmanaged + p->foreign;
	for (i = 0; i < p->nregions && p->phase != PLAN_CONVERGED; i++)
		if (p->regions[i].phase == p->phase)
			break;
	status_conditions(e, i < p->nregions ? p->regions[i].reason :
			  "Converged");
	if (i < p->nregions && p->phase != PLAN_CONVERGED)
		phase_message(e, &p->regions[i], msg, sizeof(msg));
	phase_tell(e, i < p->nregions ? p->regions[i].reason : "Converged",
		   msg);
	status_refresh(e);
}

static void
render_guest(struct strbuf *sb, const struct rs_guest *g)
{
	sb_puts(sb, "{\"cpuKind\":");
	sb_json_string(sb, g->cpu_kind);
	sb_printf(sb, ",\"cpus\":%d,\"memoryMB\":%d}", g->cpus,
		  g->memory_mb);
}

static void
render_service(struct strbuf *sb, const struct rs_service *s)
{
	int i, j;

	sb_puts(sb, "{\"protocol\":");
	sb_json_string(sb, s->protocol);
	sb_printf(sb, ",\"internalPort\":%d,\"ports\":[", s->internal_port);
	for (i = 0; i < s->nports; i++) {
		sb_printf(sb, "%s{\"port\":%d,\"forceHttps\":%s,"
			  "\"handlers\":[", i ? "," : "", s->ports[i].port,
			  s->ports[i].force_https ? "true" : "false");
		for (j = 0; j < s->ports[i].nhandlers; j++) {
			if (j)
				sb_puts(sb, ",");
			sb_json_string(sb, s->ports[i].handlers[j]);
		}
		sb_puts(sb, "]}");
	}
	sb_puts(sb, "]");
	if (s->autostop[0] != '\0')
		sb_printf(sb, ",\"autostop\":\"%s\"", s->autostop);
	if (s->autostart >= 0)
		sb_printf(sb, ",\"autostart\":%s",
			  s->autostart ? "true" : "false");
	if (s->min_machines_running > 0)
		sb_printf(sb, ",\"minMachinesRunning\":%d",
			  s->min_machines_running);
	sb_puts(sb, ",\"concurrency\":{\"type\":");
	sb_json_string(sb, s->concurrency_type);
	sb_printf(sb, ",\"softLimit\":%d,\"hardLimit\":%d}}", s->soft_limit,
		  s->hard_limit);
}

static void
render_checks(struct strbuf *sb, const struct regionset *rs)
{
	int i;

	sb_puts(sb, "{");
	for (i = 0; i < rs->nchecks; i++) {
		const struct rs_check *ck = &rs->checks[i];
		if (i)
			sb_puts(sb, ",");
		sb_json_string(sb, ck->name);
		sb_puts(sb, ":{\"type\":");
		sb_json_string(sb, ck->type);
		sb_printf(sb, ",\"port\":%d,\"path\":", ck->port);
		sb_json_string(sb, ck->path);
		if (strcmp(ck->type, "http") == 0) {
			sb_puts(sb, ",\"method\":");
			sb_json_string(sb, ck->method);
		}
		sb_printf(sb, ",\"interval\":\"%ds\",\"timeout\":\"%ds\"",
			  ck->interval_s, ck->timeout_s);
		if (ck->grace_s > 0)
			sb_printf(sb, ",\"gracePeriod\":\"%ds\"", ck->grace_s);
		sb_puts(sb, "}");
	}
	sb_puts(sb, "}");
}

/* Counts print as numbers and percentages as strings, the way they are
 * written in the YAML, so the spec can be pasted back. */
static void
render_quantity(struct strbuf *sb, const char *name,
		const struct rs_quantity *q)
{
	if (q->percent)
		sb_printf(sb, ",\"%s\":\"%d%%\"", name, q->value);
	else
		sb_printf(sb, ",\"%s\":%d", name, q->value);
}

/* The rollout settings in force, defaults filled in and keyed as in the
 * YAML, so an operator can see why a rollout paces or stops. */
static void
render_strategy(struct strbuf *sb, const struct regionset *rs)
{
	sb_puts(sb, "{\"type\":");
	sb_json_string(sb, rs->strategy);
	sb_printf(sb, ",\"healthTimeout\":\"%ds\"", rs->health_timeout_s);
	render_quantity(sb, "maxSurge", &rs->max_surge);
	render_quantity(sb, "maxUnavailable", &rs->max_unavailable);
	sb_printf(sb, ",\"minReadySeconds\":%d,"
		  "\"progressDeadline\":\"%ds\"",
		  rs->min_ready_s, rs->progress_deadline_s);
	sb_printf(sb, ",\"primaryFirst\":%s,"
		  "\"maxParallelRegions\":%d,\"soakTime\":\"%ds\"",
		  rs->primary_first ? "true" : "false",
		  rs->max_parallel_regions, rs->soak_s);
	render_quantity(sb, "maxUnhealthy", &rs->max_unhealthy);
	sb_puts(sb, "}");
}

static void
render_spec(struct strbuf *sb, const struct regionset *rs)
{
	int i;

	sb_puts(sb, "{\"app\":");
	sb_json_string(sb, rs->app);
	sb_puts(sb, ",\"image\":");
	sb_json_string(sb, rs->image);
	sb_puts(sb, ",\"primaryRegion\":");
	sb_json_string(sb, rs->regions[0].code);
	sb_printf(sb, ",\"primaryCount\":%d,\"regions\":[",
		  rs->regions[0].count);
	for (i = 1; i < rs->nregions; i++) {
		sb_printf(sb, "%s{\"code\":\"%s\",\"count\":%d}",
			  i > 1 ? "," : "", rs->regions[i].code,
			  rs->regions[i].count);
	}
	sb_puts(sb, "],\"guest\":");
	render_guest(sb, &rs->guest);
	sb_puts(sb, ",\"primaryGuest\":");
	render_guest(sb, &rs->primary_guest);
	sb_puts(sb, ",\"services\":[");
	for (i = 0; i < rs->nservices; i++) {
		if (i)
			sb_puts(sb, ",");
		render_service(sb, &rs->services[i]);
	}
	sb_puts(sb, "],\"checks\":");
	render_checks(sb, rs);
	sb_puts(sb, ",\"env\":{");
	for (i = 0; i < rs->nenv; i++) {
		sb_puts(sb, i ? "," : "");
		sb_json_string(sb, rs->env[i].key);
		sb_puts(sb, ":");
		sb_json_string(sb, rs->env[i].value);
	}
	sb_puts(sb, "},\"strategy\":");
	render_strategy(sb, rs);
	sb_puts(sb, "}");
}

static void
render_conditions(struct strbuf *sb, const struct entry *e)
{
	char ts[32];
	int i;

	sb_puts(sb, "[");
	for (i = 0; i < COND_COUNT; i++) {
		const struct condition *c = &e->cond[i];
		util_rfc3339(c->last_transition, ts, sizeof(ts));
		sb_printf(sb, "%s{\"type\":\"%s\",\"status\":\"%s\","
			  "\"reason\":", i ? "," : "", c->type,
			  c->status ? "True" : "False");
		sb_json_string(sb, c->reason);
		sb_puts(sb, ",\"message\":");
		sb_json_string(sb, c->message ? c->message : "");
		sb_printf(sb, ",\"lastTransitionTime\":\"%s\"}", ts);
	}
	sb_puts(sb, "]");
}

void
status_refresh(struct entry *e)
{
	struct strbuf sb;

	if (!e->phase_valid || e->invalid != NULL || e->api_error[0])
		status_conditions(e, e->phase_valid ? "Observing" : "Pending");
	phase_tell(e, e->phase_valid ? "Observing" : "Pending", "");
	sb_init(&sb);
	sb_puts(&sb, "{\"apiVersion\":\"rhone.dev/v1\",\"kind\":\"RegionSet\","
		"\"metadata\":{\"name\":");
	sb_json_string(&sb, e->name);
	sb_printf(&sb, ",\"generation\":%ld},\"spec\":", e->generation);
	if (e->rs != NULL)
		render_spec(&sb, e->rs);
	else
		sb_puts(&sb, "null");
	sb_printf(&sb, ",\"status\":{\"observedGeneration\":%ld,\"phase\":",
		  e->observed_generation);
	sb_json_string(&sb, status_phase(e));
	sb_puts(&sb, ",\"sourceFile\":");
	sb_json_string(&sb, e->rs && e->rs->origin.file ?
		       e->rs->origin.file : "");
	sb_puts(&sb, ",\"lastError\":");
	sb_json_string(&sb, e->invalid ? e->invalid : e->api_error);
	sb_printf(&sb, ",\"unmanagedMachines\":%d,\"conditions\":",
		  e->unmanaged);
	render_conditions(&sb, e);
	/* The events (from their ring) and the regions (regions_json)
	 * follow when the item is served: each is kept once, not twice. */
	keep_snapshot(&e->status_json, &sb);
}

void
status_refresh_all(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->nentries; i++)
		status_refresh(c->entries[i]);
}

/* A set's item: the snapshot, then its regions as of the last plan. */
static void
render_item(const struct entry *e, struct strbuf *sb)
{
	if (e->status_json == NULL) {
		sb_puts(sb, "{}");
		return;
	}
	sb_puts(sb, e->status_json);
	sb_puts(sb, ",\"events\":");
	events_render(e, sb);
	sb_puts(sb, ",\"regions\":");
	sb_puts(sb, e->regions_json ? e->regions_json : "[]");
	sb_puts(sb, "}}");
}

void
status_render_list(const struct ctl *c, struct strbuf *sb)
{
	char ts[32] = "";
	size_t i;

	if (c->loaded)
		util_rfc3339(c->last_load, ts, sizeof(ts));
	sb_puts(sb, "{\"apiVersion\":\"rhone.dev/v1\",\"kind\":"
		"\"RegionSetList\",\"metadata\":{\"source\":");
	sb_json_string(sb, c->opt.source);
	/* The dashboard saves regions through the API in postgres mode
	 * and writes YAML to commit otherwise. */
	sb_printf(sb, ",\"sourceKind\":\"%s\"",
		  c->pgsource != NULL ? "postgres" : "yaml");
	sb_puts(sb, ",\"revision\":");
	sb_json_string(sb, c->revision);
	sb_puts(sb, ",\"lastLoadTime\":");
	sb_json_string(sb, ts);
	sb_puts(sb, ",\"lastLoadError\":");
	sb_json_string(sb, c->source_error ? c->source_error : "");
	sb_printf(sb, ",\"sourceFailed\":%s",
		  c->source_failed ? "true" : "false");
	leader_render_meta(c->leader, sb);
	sb_puts(sb, "},\"items\":[");
	if (leader_serves_status(c->leader)) {
		leader_render_items(c->leader, sb);
		sb_puts(sb, "]}\n");
		return;
	}
	for (i = 0; i < c->nentries; i++) {
		if (i)
			sb_puts(sb, ",");
		render_item(c->entries[i], sb);
	}
	sb_puts(sb, "]}\n");
}

int
status_render_one(const struct ctl *c, const char *name, struct strbuf *sb)
{
	size_t i;

	if (leader_serves_status(c->leader))
		return leader_render_one(c->leader, name, sb);
	for (i = 0; i < c->nentries; i++) {
		if (strcmp(c->entries[i]->name, name) == 0) {
			render_item(c->entries[i], sb);
			sb_puts(sb, "\n");
			return 0;
		}
	}
	return -1;
}
