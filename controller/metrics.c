/* metrics.c - Prometheus metrics. Counters are bumped by the modules
 * where things happen (Fly client, reconcile, store); per-set gauges are
 * kept from each set's last plan; a scrape only formats what is here.
 *
 * The counters live in one file-static registry rather than in struct
 * ctl: the Fly client bumps them and holds no pointer to the controller,
 * and a process runs one controller. */
#include "metrics.h"

#include <curl/curl.h>
#include <ev.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "controller.h"
#include "flyclient.h"
#include "flymachine.h"
#include "leader.h"
#include "plan.h"
#include "status.h"
#include "webhook.h"

#define MET_OPS_MAX 24           /* distinct API operations */
#define MET_CODES_MAX 96         /* distinct (operation, status) pairs */

/* Seconds; API calls are mostly sub-second, a reconcile round includes
 * stop waits of up to half a minute. */
static const double met_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

#define MET_NBUCKETS (sizeof(met_buckets) / sizeof(met_buckets[0]))

struct met_histo {
	unsigned long bucket[MET_NBUCKETS];  /* not cumulative */
	unsigned long count;
	double sum;
};

struct met_op {
	char name[16];
	struct met_histo latency;
};

struct met_code {
	size_t op;                           /* index into ops */
	long status;
	unsigned long n;
};

/* One set's gauges, from its last plan. */
struct met_region {
	char code[8];
	int desired, ready;
};

struct met_state {
	char region[8];
	char state[16];
	int n;
};

struct metrics_set {
	char app[RS_NAME_MAX];
	struct met_region *regions;
	size_t nregions;
	struct met_state *states;
	size_t nstates;
};

static struct {
	struct met_op ops[MET_OPS_MAX];
	size_t nops;
	struct met_code codes[MET_CODES_MAX];
	size_t ncodes;
	unsigned long rate_limited;
	unsigned long retries;
	unsigned long reconciles[2];         /* success, error */
	struct met_histo reconcile_seconds;
	unsigned long loads[2];              /* success, failure */
	size_t load_errors;                  /* in the latest load */
	double last_good_load;
	struct metrics_api_state api;
	unsigned long webhooks[METRICS_WEBHOOK_RESULTS];
	unsigned long webhook_retries;
} met;

static void
histo_observe(struct met_histo *h, double v)
{
	size_t i;

	for (i = 0; i < MET_NBUCKETS; i++) {
		if (v <= met_buckets[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

static size_t
op_index(const char *op)
{
	size_t i;

	for (i = 0; i < met.nops; i++)
		if (strcmp(met.ops[i].name, op) == 0)
			return i;
	if (met.nops == MET_OPS_MAX)
		return MET_OPS_MAX;
	util_strlcpy(met.ops[met.nops].name, op, sizeof(met.ops[0].name));
	return met.nops++;
}

static void
code_count(size_t op, long status)
{
	size_t i;

	for (i = 0; i < met.ncodes; i++) {
		if (met.codes[i].op == op && met.codes[i].status == status) {
			met.codes[i].n++;
			return;
		}
	}
	if (met.ncodes == MET_CODES_MAX)
		return;
	met.codes[met.ncodes].op = op;
	met.codes[met.ncodes].status = status;
	met.codes[met.ncodes++].n = 1;
}

void
metrics_fly_request(const char *op, long status, double seconds,
		    const char *error)
{
	size_t i = op_index(op);

	if (i < MET_OPS_MAX) {
		histo_observe(&met.ops[i].latency, seconds);
		code_count(i, status);
	}
	if (status == 429)
		met.rate_limited++;
	met.api.answered = 1;
	met.api.status = status;
	met.api.time = util_now();
	util_strlcpy(met.api.error, error ? error : "",
		     sizeof(met.api.error));
}

void
metrics_reconcile(int failed, double seconds)
{
	met.reconciles[failed ? 1 : 0]++;
	histo_observe(&met.reconcile_seconds, seconds);
}

void
metrics_retry(void)
{
	met.retries++;
}

void
metrics_webhook(enum metrics_webhook_result result)
{
	if (result < METRICS_WEBHOOK_RESULTS)
		met.webhooks[result]++;
}

void
metrics_webhook_retry(void)
{
	met.webhook_retries++;
}

void
metrics_source_load(int failed, size_t nerrors)
{
	met.loads[failed ? 1 : 0]++;
	if (!failed) {
		met.load_errors = nerrors;
		met.last_good_load = util_now();
	}
}

void
metrics_api_state(struct metrics_api_state *out)
{
	*out = met.api;
}

/* The linked libraries, in the order every listing uses: the name
 * said in logs and --version, the Prometheus label (no '-') and the
 * version. */
struct lib_version {
	const char *name, *label;
	char version[32];
};

#define NLIBS 6

static void
lib_versions(struct lib_version v[NLIBS])
{
	int pq = PQlibVersion();   /* 150010 for 15.10 (since 10) */

	v[0] = (struct lib_version){ "libev", "libev", "" };
	snprintf(v[0].version, sizeof(v[0].version), "%d.%d",
		 ev_version_major(), ev_version_minor());
	v[1] = (struct lib_version){ "libcurl", "libcurl", "" };
	util_strlcpy(v[1].version, curl_version_info(CURLVERSION_NOW)->version,
		     sizeof(v[1].version));
	v[2] = (struct lib_version){ "json-c", "json_c", "" };
	util_strlcpy(v[2].version, json_c_version(), sizeof(v[2].version));
	v[3] = (struct lib_version){ "libyaml", "libyaml", "" };
	util_strlcpy(v[3].version, yaml_get_version_string(),
		     sizeof(v[3].version));
	v[4] = (struct lib_version){ "libmicrohttpd", "libmicrohttpd", "" };
	util_strlcpy(v[4].version, MHD_get_version(), sizeof(v[4].version));
	v[5] = (struct lib_version){ "libpq", "libpq", "" };
	snprintf(v[5].version, sizeof(v[5].version), "%d.%d", pq / 10000,
		 pq % 10000);
}

void
metrics_lib_versions(char *buf, size_t size, int quoted)
{
	const char *q = quoted ? "\"" : "";
	struct lib_version v[NLIBS];
	size_t used = 0;
	int i;

	lib_versions(v);
	buf[0] = '\0';
	for (i = 0; i < NLIBS && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s=%s%s%s",
					 i ? " " : "", v[i].name, q,
					 v[i].version, q);
}

/* --- per-set gauges ---------------------------------------------- */

void
metrics_entry_free(struct entry *e)
{
	if (e->metrics == NULL)
		return;
	free(e->metrics->regions);
	free(e->metrics->states);
	free(e->metrics);
	e->metrics = NULL;
}

/* Count one machine into (region, state), adding the row if new. */
static void
set_count_state(struct metrics_set *s, const struct fly_machine *m)
{
	size_t i;

	for (i = 0; i < s->nstates; i++) {
		if (strcmp(s->states[i].region, m->region) == 0 &&
		    strcmp(s->states[i].state, m->state) == 0) {
			s->states[i].n++;
			return;
		}
	}
	util_strlcpy(s->states[i].region, m->region, 8);
	util_strlcpy(s->states[i].state, m->state, 16);
	s->states[i].n = 1;
	s->nstates++;
}

static void
set_copy_regions(struct metrics_set *s, const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nregions; i++) {
		util_strlcpy(s->regions[i].code, p->regions[i].code, 8);
		s->regions[i].desired = p->regions[i].desired;
		s->regions[i].ready = p->regions[i].ready;
	}
}

/* Build the new rows first and swap them in whole, so a failed
 * allocation keeps the previous gauges. */
void
metrics_observe(struct entry *e, const struct plan *p,
		const struct fly_machine *ms, size_t n)
{
	struct metrics_set *s = e->metrics;
	struct met_region *regions;
	struct met_state *states;
	size_t i;

	if (s == NULL && (s = e->metrics = calloc(1, sizeof(*s))) == NULL)
		return;
	regions = calloc(p->nregions + 1, sizeof(*regions));
	states = calloc(n + 1, sizeof(*states));
	if (regions == NULL || states == NULL) {
		free(regions);
		free(states);
		return;
	}
	free(s->regions);
	free(s->states);
	s->regions = regions;
	s->states = states;
	s->nregions = p->nregions;
	s->nstates = 0;
	util_strlcpy(s->app, e->rs ? e->rs->app : "", sizeof(s->app));
	set_copy_regions(s, p);
	for (i = 0; i < n; i++)
		if (!fly_machine_gone(&ms[i]) &&
		    fly_machine_managed(&ms[i]) &&
		    strcmp(ms[i].regionset, e->name) == 0)
			set_count_state(s, &ms[i]);
}

/* --- exposition -------------------------------------------------- */

/* A label value with \, " and newline escaped. */
static void
put_label(struct strbuf *sb, const char *name, const char *v)
{
	sb_printf(sb, "%s=\"", name);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			sb_printf(sb, "\\%c", *v);
		else if (*v == '\n')
			sb_puts(sb, "\\n");
		else
			sb_append(sb, v, 1);
	}
	sb_puts(sb, "\"");
}

static void
put_head(struct strbuf *sb, const char *name, const char *type,
	 const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		  type);
}

/* name{labels,le="..."} lines, _sum and _count; labels may be "". */
static void
put_histo(struct strbuf *sb, const char *name, const char *labels,
	  const struct met_histo *h)
{
	const char *sep = labels[0] ? "," : "";
	unsigned long cum = 0;
	size_t i;

	for (i = 0; i < MET_NBUCKETS; i++) {
		cum += h->bucket[i];
		sb_printf(sb, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels,
			  sep, met_buckets[i], cum);
	}
	sb_printf(sb, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels, sep,
		  h->count);
	sb_printf(sb, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "",
		  labels, labels[0] ? "}" : "", h->sum);
	sb_printf(sb, "%s_count%s%s%s %lu\n", name, labels[0] ? "{" : "",
		  labels, labels[0] ? "}" : "", h->count);
}

static void
render_build_info(struct strbuf *sb)
{
	struct lib_version v[NLIBS];
	int i;

	lib_versions(v);
	put_head(sb, "rhone_build_info", "gauge",
		 "Version and linked library versions; always 1.");
	sb_puts(sb, "rhone_build_info{");
	put_label(sb, "version", RHONE_VERSION);
	for (i = 0; i < NLIBS; i++) {
		sb_puts(sb, ",");
		put_label(sb, v[i].label, v[i].version);
	}
	sb_puts(sb, "} 1\n");
}

/* The revision in force, as on /status: a commit hash, or "fnv:" and a
 * content hash; "" before the first good load. */
static void
render_source_info(const struct ctl *c, struct strbuf *sb)
{
	put_head(sb, "rhone_source_info", "gauge",
		 "Revision of the desired state in force; always 1.");
	sb_puts(sb, "rhone_source_info{");
	put_label(sb, "revision", c->revision);
	sb_puts(sb, "} 1\n");
}

static void
render_phases(const struct ctl *c, struct strbuf *sb)
{
	static const char *const phases[] = {
		"Converged", "Progressing", "Degraded", "Invalid",
	};
	size_t i, k;

	put_head(sb, "rhone_regionsets", "gauge", "RegionSets by phase.");
	for (k = 0; k < sizeof(phases) / sizeof(phases[0]); k++) {
		int n = 0;
		for (i = 0; i < c->nentries; i++)
			n += strcmp(status_phase(c->entries[i]),
				    phases[k]) == 0;
		sb_printf(sb, "rhone_regionsets{phase=\"%s\"} %d\n",
			  phases[k], n);
	}
}

static void
set_labels(struct strbuf *sb, const struct entry *e, const char *region)
{
	sb_puts(sb, "{");
	put_label(sb, "regionset", e->name);
	put_label(sb, ",app", e->metrics->app);
	put_label(sb, ",region", region);
}

static void
render_machines(const struct ctl *c, struct strbuf *sb)
{
	size_t i, k;

	put_head(sb, "rhone_machines", "gauge", "Machines of each "
		 "RegionSet by region and state, as last listed.");
	for (i = 0; i < c->nentries; i++) {
		const struct entry *e = c->entries[i];
		for (k = 0; e->metrics && k < e->metrics->nstates; k++) {
			const struct met_state *st = &e->metrics->states[k];
			sb_puts(sb, "rhone_machines");
			set_labels(sb, e, st->region);
			put_label(sb, ",state", st->state);
			sb_printf(sb, "} %d\n", st->n);
		}
	}
}

/* desired (which = 0) or ready (1) machines per region. */
static void
render_region_gauge(const struct ctl *c, struct strbuf *sb, int which)
{
	const char *name = which ? "rhone_region_machines_ready" :
			   "rhone_region_machines_desired";
	size_t i, k;

	put_head(sb, name, "gauge", which ? "Machines per region that run "
		 "the desired config and pass their checks." :
		 "Machines per region the spec asks for.");
	for (i = 0; i < c->nentries; i++) {
		const struct entry *e = c->entries[i];
		for (k = 0; e->metrics && k < e->metrics->nregions; k++) {
			const struct met_region *r = &e->metrics->regions[k];
			sb_puts(sb, name);
			set_labels(sb, e, r->code);
			sb_printf(sb, "} %d\n", which ? r->ready : r->desired);
		}
	}
}

static void
render_reconciles(const struct ctl *c, struct strbuf *sb)
{
	size_t i, waiting = 0, running = 0;

	put_head(sb, "rhone_reconciles_total", "counter",
		 "Reconcile rounds by result.");
	sb_printf(sb, "rhone_reconciles_total{result=\"success\"} %lu\n"
		  "rhone_reconciles_total{result=\"error\"} %lu\n",
		  met.reconciles[0], met.reconciles[1]);
	put_head(sb, "rhone_reconcile_duration_seconds", "histogram",
		 "Time from a round's list call to its last action's end.");
	put_histo(sb, "rhone_reconcile_duration_seconds", "",
		  &met.reconcile_seconds);
	for (i = 0; i < c->nentries; i++) {
		const struct entry *e = c->entries[i];
		waiting += e->dirty || ev_is_active(&e->requeue);
		running += e->running != 0;
	}
	put_head(sb, "rhone_workqueue_depth", "gauge",
		 "RegionSets waiting for a reconcile.");
	sb_printf(sb, "rhone_workqueue_depth %zu\n", waiting);
	put_head(sb, "rhone_workqueue_in_flight", "gauge",
		 "RegionSets being reconciled now.");
	sb_printf(sb, "rhone_workqueue_in_flight %zu\n", running);
	put_head(sb, "rhone_workqueue_retries_total", "counter",
		 "Reconciles requeued after a failed round.");
	sb_printf(sb, "rhone_workqueue_retries_total %lu\n", met.retries);
}

static void
render_api_requests(struct strbuf *sb)
{
	char labels[64];
	size_t i;

	put_head(sb, "rhone_fly_api_requests_total", "counter",
		 "Fly API calls by operation and HTTP status "
		 "(code=\"error\": no response).");
	for (i = 0; i < met.ncodes; i++) {
		const struct met_code *k = &met.codes[i];
		sb_printf(sb, "rhone_fly_api_requests_total{operation=\"%s\","
			  "code=\"", met.ops[k->op].name);
		if (k->status == 0)
			sb_printf(sb, "error\"} %lu\n", k->n);
		else
			sb_printf(sb, "%ld\"} %lu\n", k->status, k->n);
	}
	put_head(sb, "rhone_fly_api_request_duration_seconds", "histogram",
		 "Fly API calls from queueing to answer, by operation.");
	for (i = 0; i < met.nops; i++) {
		snprintf(labels, sizeof(labels), "operation=\"%s\"",
			 met.ops[i].name);
		put_histo(sb, "rhone_fly_api_request_duration_seconds",
			  labels, &met.ops[i].latency);
	}
}

static void
render_api_counters(const struct ctl *c, struct strbuf *sb)
{
	struct fly_client_stats st;

	memset(&st, 0, sizeof(st));
	if (c->fly != NULL)
		fly_client_stats(c->fly, &st);
	put_head(sb, "rhone_fly_api_rate_limited_total", "counter",
		 "Fly API answers with status 429.");
	sb_printf(sb, "rhone_fly_api_rate_limited_total %lu\n",
		  met.rate_limited);
	put_head(sb, "rhone_fly_api_throttled_total", "counter",
		 "Calls that waited for a client-side rate-limit token.");
	sb_printf(sb, "rhone_fly_api_throttled_total %lu\n", st.throttled);
	put_head(sb, "rhone_fly_api_queue_depth", "gauge",
		 "Calls waiting for a rate-limit token.");
	sb_printf(sb, "rhone_fly_api_queue_depth %zu\n", st.queued);
	put_head(sb, "rhone_fly_api_in_flight", "gauge",
		 "Calls sent and not answered yet.");
	sb_printf(sb, "rhone_fly_api_in_flight %zu\n", st.in_flight);
}

static void
render_source(struct strbuf *sb)
{
	put_head(sb, "rhone_source_loads_total", "counter",
		 "Loads of the desired state (failure: kept the last good).");
	sb_printf(sb, "rhone_source_loads_total{result=\"success\"} %lu\n"
		  "rhone_source_loads_total{result=\"failure\"} %lu\n",
		  met.loads[0], met.loads[1]);
	put_head(sb, "rhone_source_errors", "gauge",
		 "Errors (parse or validation) in the latest good load.");
	sb_printf(sb, "rhone_source_errors %zu\n", met.load_errors);
	put_head(sb, "rhone_source_last_success_timestamp_seconds", "gauge",
		 "When the desired state was last loaded (Unix time).");
	sb_printf(sb, "rhone_source_last_success_timestamp_seconds %.3f\n",
		  met.last_good_load);
}

static void
render_webhooks(const struct ctl *c, struct strbuf *sb)
{
	static const char *const results[METRICS_WEBHOOK_RESULTS] = {
		"success", "failure", "dropped",
	};
	size_t i;

	put_head(sb, "rhone_webhook_deliveries_total", "counter",
		 "Phase-change notifications by how they ended (failure: "
		 "gave up after retries; dropped: pushed out of a full "
		 "queue).");
	for (i = 0; i < METRICS_WEBHOOK_RESULTS; i++)
		sb_printf(sb, "rhone_webhook_deliveries_total{result=\"%s\"} "
			  "%lu\n", results[i], met.webhooks[i]);
	put_head(sb, "rhone_webhook_retries_total", "counter",
		 "Webhook tries that failed and were retried.");
	sb_printf(sb, "rhone_webhook_retries_total %lu\n",
		  met.webhook_retries);
	put_head(sb, "rhone_webhook_queue_depth", "gauge",
		 "Notifications waiting to be delivered, the one in flight "
		 "included.");
	sb_printf(sb, "rhone_webhook_queue_depth %zu\n",
		  webhook_queue_depth(c->webhook));
}

void
metrics_render(const struct ctl *c, struct strbuf *sb)
{
	render_build_info(sb);
	render_source_info(c, sb);
	render_phases(c, sb);
	render_machines(c, sb);
	render_region_gauge(c, sb, 0);
	render_region_gauge(c, sb, 1);
	render_reconciles(c, sb);
	render_api_requests(sb);
	render_api_counters(c, sb);
	render_source(sb);
	render_webhooks(c, sb);
	leader_metrics(c->leader, sb);
}
