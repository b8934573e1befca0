/* statuscmd.c - "rhone-controller status [NAME]": GET a running
 * controller's /status (or /status/NAME) and print it the way kubectl
 * get does. With --watch it polls and prints what changed until every
 * set shown has converged or one has failed. A command-line tool: its
 * requests block, since nothing else waits on this process. */
#include "statuscmd.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "util.h"

#define SC_POLL_S 1.0
#define SC_REQUEST_S 10.0
#define SC_CONNECT_S 5.0
#define SC_BODY_MAX ((size_t)64 << 20)
#define SC_MISSES_MAX 5          /* failed polls in a row a watch allows */
#define SC_EVENTS_SHOWN 5
#define SC_COLS_MAX 9
#define SC_CELL 160

enum sc_verdict { SC_WAIT, SC_DONE, SC_FAIL };

/* One GET and its answer. */
struct sc_get {
	long status;                 /* 0: no answer (error says why) */
	struct strbuf body;
	char error[CURL_ERROR_SIZE];
};

/* A table's columns; widths only grow, so rows printed one at a time
 * while watching stay under their header. */
struct sc_table {
	size_t ncols;
	const char *head[SC_COLS_MAX];
	size_t width[SC_COLS_MAX];
};

struct sc_row {
	char cell[SC_COLS_MAX][SC_CELL];
};

/* What the command was asked and what it printed last. */
struct sc_run {
	const struct options *o;
	const char *name;            /* NULL: every set */
	CURL *curl;
	char url[1024];
	char readyz[1024];
	double started, deadline;    /* monotonic; deadline 0: none */
	struct sc_table sets, regions;
	char **seen;                 /* watch: "name\tcells" last printed */
	size_t nseen;
	char *block;                 /* watch with NAME: the last block */
	int printed;
	int waiting_noted;           /* "waiting for NAME" said once */
};

static size_t
sc_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sc_get *g = userdata;
	size_t n = size * nmemb;

	if (n > SC_BODY_MAX - g->body.len)
		return 0;                /* aborts the transfer */
	sb_append(&g->body, ptr, n);
	return g->body.failed ? 0 : n;
}

/* GET url within `timeout` seconds; the answer is in g either way. */
static void
sc_fetch(struct sc_run *r, const char *url, double timeout,
	 struct sc_get *g)
{
	CURLcode rc;
	long ms = (long)(timeout * 1000);

	sb_free(&g->body);
	g->status = 0;
	g->error[0] = '\0';
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, g->error);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, g);
	rc = curl_easy_perform(r->curl);
	if (rc != CURLE_OK) {
		if (g->error[0] == '\0')
			util_strlcpy(g->error, curl_easy_strerror(rc),
				     sizeof(g->error));
		return;
	}
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &g->status);
}

static int
sc_curl_setup(struct sc_run *r)
{
	int bad = 0;

	r->curl = curl_easy_init();
	if (r->curl == NULL)
		return -1;
	bad |= curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS,
				(long)(SC_CONNECT_S * 1000)) != CURLE_OK;
	bad |= curl_easy_setopt(r->curl, CURLOPT_USERAGENT,
				"rhone-controller/" RHONE_VERSION " status") !=
	       CURLE_OK;
	bad |= curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, sc_write) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR,
				"http,https") != CURLE_OK;
	return bad ? -1 : 0;
}

/* --server without its trailing slashes, then the path. */
static int
sc_urls(struct sc_run *r)
{
	size_t n = strlen(r->o->server);
	char *esc = NULL;
	int len;

	while (n > 0 && r->o->server[n - 1] == '/')
		n--;
	if (r->name != NULL &&
	    (esc = curl_easy_escape(r->curl, r->name, 0)) == NULL)
		return -1;
	len = snprintf(r->url, sizeof(r->url), "%.*s/status%s%s", (int)n,
		       r->o->server, esc ? "/" : "", esc ? esc : "");
	curl_free(esc);
	if (len < 0 || (size_t)len >= sizeof(r->url))
		return -1;
	len = snprintf(r->readyz, sizeof(r->readyz), "%.*s/readyz", (int)n,
		       r->o->server);
	return len < 0 || (size_t)len >= sizeof(r->readyz) ? -1 : 0;
}

/* --- reading the JSON ------------------------------------------- */

static json_object *
sc_obj(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
sc_str(json_object *o, const char *key)
{
	json_object *v = sc_obj(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

static long
sc_long(json_object *o, const char *key)
{
	json_object *v = sc_obj(o, key);

	return v != NULL ? (long)json_object_get_int64(v) : 0;
}

/* The reason of one condition ("" when absent). */
static const char *
sc_condition(json_object *st, const char *type)
{
	json_object *conds = sc_obj(st, "conditions");
	size_t i, n;

	if (conds == NULL || !json_object_is_type(conds, json_type_array))
		return "";
	n = json_object_array_length(conds);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(conds, i);
		if (strcmp(sc_str(c, "type"), type) == 0)
			return sc_str(c, "reason");
	}
	return "";
}

/* A cell as text a terminal shows as it is: control bytes become '?'. */
static void
sc_cell(char *dst, const char *src)
{
	size_t i;

	util_strlcpy(dst, src, SC_CELL);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < ' ' || dst[i] == 0x7f)
			dst[i] = '?';
}

/* One set, summed over its regions. */
struct sc_set {
	json_object *item, *st;
	const char *name, *app, *phase;
	long generation, observed;
	int desired, ready, updated, nregions, nconverged;
	char worst[SC_CELL];         /* first region not converged */
};

static void
sc_set_read(json_object *item, struct sc_set *s)
{
	json_object *regions;
	size_t i, n;

	memset(s, 0, sizeof(*s));
	s->item = item;
	s->st = sc_obj(item, "status");
	s->name = sc_str(sc_obj(item, "metadata"), "name");
	s->app = sc_str(sc_obj(item, "spec"), "app");
	s->phase = sc_str(s->st, "phase");
	s->generation = sc_long(sc_obj(item, "metadata"), "generation");
	s->observed = sc_long(s->st, "observedGeneration");
	regions = sc_obj(s->st, "regions");
	n = regions && json_object_is_type(regions, json_type_array) ?
	    json_object_array_length(regions) : 0;
	for (i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(regions, i);
		const char *ph = sc_str(g, "phase");
		s->desired += (int)sc_long(g, "desired");
		s->ready += (int)sc_long(g, "ready");
		s->updated += (int)sc_long(g, "updated");
		s->nregions++;
		if (strcmp(ph, "Converged") == 0)
			s->nconverged++;
		else if (s->worst[0] == '\0' ||
			 strcmp(ph, "Degraded") == 0)
			snprintf(s->worst, sizeof(s->worst), "%s: %s",
				 sc_str(g, "region"), sc_str(g, "reason"));
	}
}

/* What a watch makes of one set. A Degraded phase from an API error
 * may pass, so it is waited out (the timeout still applies); one that
 * predates the spec in force is stale and waited out too. */
static enum sc_verdict
sc_verdict(const struct sc_set *s, char *why, size_t size)
{
	const char *err = sc_str(s->st, "lastError");
	int current = s->observed >= s->generation;

	if (strcmp(s->phase, "Invalid") == 0) {
		snprintf(why, size, "%s is Invalid: %s", s->name, err);
		return SC_FAIL;
	}
	if (strcmp(s->phase, "Degraded") == 0 && current &&
	    strcmp(sc_condition(s->st, "Degraded"), "ApiError") != 0) {
		snprintf(why, size, "%s is Degraded (%s)", s->name,
			 s->worst[0] ? s->worst :
			 sc_condition(s->st, "Degraded"));
		return SC_FAIL;
	}
	if (strcmp(s->phase, "Converged") == 0 && current)
		return SC_DONE;
	snprintf(why, size, "%s is %s%s%s", s->name, s->phase,
		 s->worst[0] ? " (" : "", s->worst[0] ? s->worst : "");
	if (s->worst[0] != '\0')
		util_strlcpy(why + strlen(why), ")", size - strlen(why));
	return SC_WAIT;
}

/* --- printing ---------------------------------------------------- */

static void
sc_table_init(struct sc_table *t, const char *const *head, size_t ncols)
{
	size_t i;

	t->ncols = ncols;
	for (i = 0; i < ncols; i++) {
		t->head[i] = head[i];
		t->width[i] = strlen(head[i]);
	}
}

static void
sc_table_fit(struct sc_table *t, const struct sc_row *rows, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < t->ncols; k++)
			if (strlen(rows[i].cell[k]) > t->width[k])
				t->width[k] = strlen(rows[i].cell[k]);
}

/* Columns padded to their width and three spaces apart; the last
 * non-empty one is not padded, so no line ends in blanks. */
static void
sc_print_cells(FILE *out, const struct sc_table *t,
	       const char *const *cells)
{
	size_t k, last = 0;

	for (k = 0; k < t->ncols; k++)
		if (cells[k][0] != '\0')
			last = k;
	for (k = 0; k < last; k++)
		fprintf(out, "%-*s   ", (int)t->width[k], cells[k]);
	fprintf(out, "%s\n", cells[last]);
}

static void
sc_print_row(FILE *out, const struct sc_table *t, const struct sc_row *row)
{
	const char *cells[SC_COLS_MAX] = { NULL };
	size_t k;

	for (k = 0; k < t->ncols && k < SC_COLS_MAX; k++)
		cells[k] = row->cell[k];
	sc_print_cells(out, t, cells);
}

static void
sc_print_head(FILE *out, const struct sc_table *t)
{
	sc_print_cells(out, t, t->head);
}

/* NAME APP PHASE READY UPDATED REGIONS GENERATION MESSAGE */
static void
sc_set_row(const struct sc_set *s, struct sc_row *row)
{
	const char *err = sc_str(s->st, "lastError");

	sc_cell(row->cell[0], s->name);
	sc_cell(row->cell[1], s->app);
	sc_cell(row->cell[2], s->phase);
	snprintf(row->cell[3], SC_CELL, "%d/%d", s->ready, s->desired);
	snprintf(row->cell[4], SC_CELL, "%d", s->updated);
	snprintf(row->cell[5], SC_CELL, "%d/%d", s->nconverged,
		 s->nregions);
	snprintf(row->cell[6], SC_CELL, "%ld/%ld", s->observed,
		 s->generation);
	sc_cell(row->cell[7], err[0] ? err : s->worst);
}

static const char *const sc_set_head[] = {
	"NAME", "APP", "PHASE", "READY", "UPDATED", "REGIONS", "GENERATION",
	"MESSAGE",
};

static const char *const sc_region_head[] = {
	"REGION", "PRIMARY", "PHASE", "DESIRED", "READY", "UPDATED",
	"OUTDATED", "REASON", "MESSAGE",
};

/* REGION PRIMARY PHASE DESIRED READY UPDATED OUTDATED REASON MESSAGE */
static void
sc_region_row(json_object *g, struct sc_row *row)
{
	json_object *primary = sc_obj(g, "primary");
	const char *reason = sc_str(g, "reason"), *msg = sc_str(g, "message");
	size_t n = strlen(reason);

	sc_cell(row->cell[0], sc_str(g, "region"));
	sc_cell(row->cell[1], primary && json_object_get_boolean(primary) ?
		"yes" : "no");
	sc_cell(row->cell[2], sc_str(g, "phase"));
	snprintf(row->cell[3], SC_CELL, "%ld", sc_long(g, "desired"));
	snprintf(row->cell[4], SC_CELL, "%ld", sc_long(g, "ready"));
	snprintf(row->cell[5], SC_CELL, "%ld", sc_long(g, "updated"));
	snprintf(row->cell[6], SC_CELL, "%ld", sc_long(g, "outdated"));
	/* "PlanRequired: ..." under REASON PlanRequired says it twice */
	if (n > 0 && strncmp(msg, reason, n) == 0 && msg[n] == ':')
		msg += n + 1 + (msg[n + 1] == ' ');
	sc_cell(row->cell[7], reason);
	sc_cell(row->cell[8], msg);
}

static void
sc_print_events(json_object *st)
{
	json_object *evs = sc_obj(st, "events");
	size_t i, n = evs && json_object_is_type(evs, json_type_array) ?
		      json_object_array_length(evs) : 0;
	struct sc_table t;
	struct sc_row row;
	static const char *const head[] = {
		"TIME", "REGION", "REASON", "MESSAGE",
	};

	if (n == 0)
		return;
	sc_table_init(&t, head, 4);
	t.width[0] = strlen("2006-01-02T15:04:05Z");
	t.width[1] = 6;
	t.width[2] = 17;
	printf("\n");
	sc_print_head(stdout, &t);
	for (i = n > SC_EVENTS_SHOWN ? n - SC_EVENTS_SHOWN : 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(evs, i);
		const char *region = sc_str(ev, "region");
		sc_cell(row.cell[0], sc_str(ev, "time"));
		sc_cell(row.cell[1], region[0] ? region : "-");
		sc_cell(row.cell[2], sc_str(ev, "reason"));
		sc_cell(row.cell[3], sc_str(ev, "message"));
		sc_print_row(stdout, &t, &row);
	}
}

/* --- one set: a summary row, then its regions --------------------- */

/* The set's block as text: summary table, then the region table. */
static char *
sc_block(struct sc_run *r, const struct sc_set *s)
{
	json_object *regions = sc_obj(s->st, "regions");
	size_t i, n = regions && json_object_is_type(regions,
						     json_type_array) ?
		      json_object_array_length(regions) : 0;
	struct sc_row *rows = calloc(n + 1, sizeof(*rows));
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	if (rows == NULL || (out = open_memstream(&text, &size)) == NULL) {
		free(rows);
		return NULL;
	}
	sc_set_row(s, &rows[n]);
	sc_table_fit(&r->sets, &rows[n], 1);
	for (i = 0; i < n; i++)
		sc_region_row(json_object_array_get_idx(regions, i),
			      &rows[i]);
	sc_table_fit(&r->regions, rows, n);
	sc_print_head(out, &r->sets);
	sc_print_row(out, &r->sets, &rows[n]);
	if (n > 0) {
		fprintf(out, "\n");
		sc_print_head(out, &r->regions);
	}
	for (i = 0; i < n; i++)
		sc_print_row(out, &r->regions, &rows[i]);
	fclose(out);
	free(rows);
	return text;
}

/* Print the set's block when it changed (always the first time). */
static void
sc_show_one(struct sc_run *r, const struct sc_set *s)
{
	char *text = sc_block(r, s);

	if (text == NULL)
		return;
	if (r->block != NULL && strcmp(r->block, text) == 0) {
		free(text);
		return;
	}
	printf("%s%s", r->printed ? "\n" : "", text);
	free(r->block);
	r->block = text;
	r->printed = 1;
	if (!r->o->watch)
		sc_print_events(s->st);
	fflush(stdout);
}

/* --- every set: one row each ---------------------------------------- */

/* Was this row printed with these cells last time? Remember it if not. */
static int
sc_row_seen(struct sc_run *r, const struct sc_row *row)
{
	char key[SC_COLS_MAX * (SC_CELL + 1)], **grown;
	size_t i, len = 0;

	for (i = 0; i < r->sets.ncols; i++)
		len += (size_t)snprintf(key + len, sizeof(key) - len, "%s\t",
					row->cell[i]);
	for (i = 0; i < r->nseen; i++) {
		size_t n = strcspn(r->seen[i], "\t");
		if (strlen(row->cell[0]) != n ||
		    strncmp(r->seen[i], row->cell[0], n) != 0)
			continue;
		if (strcmp(r->seen[i], key) == 0)
			return 1;
		free(r->seen[i]);
		r->seen[i] = strdup(key);
		return 0;
	}
	grown = realloc(r->seen, (r->nseen + 1) * sizeof(*grown));
	if (grown != NULL) {
		r->seen = grown;
		r->seen[r->nseen] = strdup(key);
		if (r->seen[r->nseen] != NULL)
			r->nseen++;
	}
	return 0;
}

static void
sc_show_list(struct sc_run *r, const struct sc_set *sets, size_t n)
{
	struct sc_row *rows = calloc(n + 1, sizeof(*rows));
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		sc_set_row(&sets[i], &rows[i]);
	sc_table_fit(&r->sets, rows, n);
	if (!r->printed)
		sc_print_head(stdout, &r->sets);
	r->printed = 1;
	for (i = 0; i < n; i++)
		if (!sc_row_seen(r, &rows[i]))
			sc_print_row(stdout, &r->sets, &rows[i]);
	fflush(stdout);
	free(rows);
}

/* --- one poll ------------------------------------------------------ */

/* The verdict over the sets; why names the first that failed or the
 * first still under way. */
static enum sc_verdict
sc_verdict_all(const struct sc_set *sets, size_t n, char *why, size_t size)
{
	enum sc_verdict v = SC_DONE;
	char one[512];
	size_t i;

	for (i = 0; i < n; i++) {
		switch (sc_verdict(&sets[i], one, sizeof(one))) {
		case SC_FAIL:
			util_strlcpy(why, one, size);
			return SC_FAIL;
		case SC_WAIT:
			if (v == SC_DONE)
				util_strlcpy(why, one, size);
			v = SC_WAIT;
			break;
		case SC_DONE:
			break;
		}
	}
	return v;
}

/* A whole-source failure freezes every set: a watch fails on it. */
static int
sc_source_failed(struct sc_run *r, json_object *list, char *why,
		 size_t size)
{
	struct sc_get g;
	json_object *meta, *ready = NULL;
	int failed = 0;

	if (list != NULL) {
		meta = sc_obj(list, "metadata");
		failed = json_object_get_boolean(sc_obj(meta, "sourceFailed"));
		if (failed)
			snprintf(why, size, "the source failed (sets are "
				 "frozen): %s", sc_str(meta, "lastLoadError"));
		return failed;
	}
	memset(&g, 0, sizeof(g));
	sc_fetch(r, r->readyz, SC_REQUEST_S, &g);
	if (g.status == 503 && g.body.buf != NULL)
		ready = json_tokener_parse(g.body.buf);
	if (ready != NULL &&
	    strcmp(sc_str(ready, "reason"), "SourceFailed") == 0) {
		snprintf(why, size, "the source failed (sets are frozen): %s",
			 sc_str(ready, "message"));
		failed = 1;
	}
	json_object_put(ready);
	sb_free(&g.body);
	return failed;
}

static enum sc_verdict
sc_list(struct sc_run *r, json_object *root, char *why, size_t size)
{
	json_object *items = sc_obj(root, "items");
	size_t i, n = items && json_object_is_type(items, json_type_array) ?
		      json_object_array_length(items) : 0;
	struct sc_set *sets = calloc(n + 1, sizeof(*sets));
	enum sc_verdict v;

	if (sets == NULL) {
		util_strlcpy(why, "out of memory", size);
		return SC_FAIL;
	}
	for (i = 0; i < n; i++)
		sc_set_read(json_object_array_get_idx(items, i), &sets[i]);
	sc_show_list(r, sets, n);
	v = sc_verdict_all(sets, n, why, size);
	if (sc_str(sc_obj(root, "metadata"), "lastLoadTime")[0] == '\0') {
		util_strlcpy(why, "no desired state loaded yet", size);
		v = v == SC_FAIL ? SC_FAIL : SC_WAIT;
	}
	free(sets);
	if (v == SC_FAIL || !sc_source_failed(r, root, why, size))
		return v;
	/* The table shows the last good state; say that it is frozen. A
	 * watch fails on it, a one-off look still printed what it asked. */
	if (r->o->watch)
		return SC_FAIL;
	fprintf(stderr, "warning: %s\n", why);
	return v;
}

static enum sc_verdict
sc_one(struct sc_run *r, json_object *item, char *why, size_t size)
{
	struct sc_set s;
	enum sc_verdict v;

	sc_set_read(item, &s);
	sc_show_one(r, &s);
	v = sc_verdict(&s, why, size);
	if (r->o->watch && v != SC_FAIL && sc_source_failed(r, NULL, why,
							      size))
		v = SC_FAIL;
	return v;
}

/* One GET and what it says: SC_DONE, SC_WAIT or SC_FAIL, or -1 when
 * the controller gave no usable answer, -2 when the set is unknown. */
static int
sc_poll(struct sc_run *r, char *why, size_t size)
{
	double left = r->deadline ? r->deadline - util_monotonic() : SC_REQUEST_S;
	struct sc_get g;
	json_object *root = NULL;
	int v = -1;

	memset(&g, 0, sizeof(g));
	sc_fetch(r, r->url, left < SC_REQUEST_S ? left : SC_REQUEST_S, &g);
	if (g.status == 404 && r->name != NULL) {
		snprintf(why, size, "no RegionSet named %s", r->name);
		v = -2;
	} else if (g.status != 200) {
		if (g.status == 0)
			snprintf(why, size, "cannot reach %.300s: %.180s",
				 r->url, g.error);
		else
			snprintf(why, size, "%.300s answered %ld", r->url,
				 g.status);
	} else if (g.body.buf == NULL ||
		   (root = json_tokener_parse(g.body.buf)) == NULL ||
		   !json_object_is_type(root, json_type_object)) {
		snprintf(why, size, "%.300s answered something that is not a "
			 "status object", r->url);
	} else {
		v = r->name ? (int)sc_one(r, root, why, size) :
			      (int)sc_list(r, root, why, size);
	}
	json_object_put(root);
	sb_free(&g.body);
	return v;
}

/* --- the watch loop ------------------------------------------------ */

static void
sc_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* The exit code for a poll's result when not watching. */
static int
sc_once(int v, const char *why)
{
	if (v == -1) {
		fprintf(stderr, "status: %s\n", why);
		return STATUSCMD_UNREACHABLE;
	}
	if (v == -2) {
		fprintf(stderr, "status: %s\n", why);
		return STATUSCMD_FAILED;
	}
	return STATUSCMD_CONVERGED;
}

static int
sc_watch(struct sc_run *r)
{
	char why[512] = "";
	int v, misses = 0, polls = 0;

	for (;;) {
		v = sc_poll(r, why, sizeof(why));
		polls++;
		misses = v == -1 ? misses + 1 : 0;
		if (v == -1 && (polls == 1 || misses >= SC_MISSES_MAX)) {
			fprintf(stderr, "status: %s\n", why);
			return STATUSCMD_UNREACHABLE;
		}
		if (v == -2 && !r->waiting_noted) {
			fprintf(stderr, "status: %s yet; waiting\n", why);
			r->waiting_noted = 1;
		}
		if (v == SC_DONE) {
			fprintf(stderr, "status: converged\n");
			return STATUSCMD_CONVERGED;
		}
		if (v == SC_FAIL) {
			fprintf(stderr, "status: failed: %s\n", why);
			return STATUSCMD_FAILED;
		}
		if (r->deadline && util_monotonic() + SC_POLL_S > r->deadline) {
			sc_sleep(r->deadline - util_monotonic());
			fprintf(stderr, "status: timed out after %gs: %s\n",
				r->o->timeout, why);
			return STATUSCMD_TIMEOUT;
		}
		sc_sleep(SC_POLL_S);
	}
}

static void
sc_free(struct sc_run *r)
{
	size_t i;

	for (i = 0; i < r->nseen; i++)
		free(r->seen[i]);
	free(r->seen);
	free(r->block);
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
}

int
statuscmd_main(int argc, char **argv)
{
	struct options o;
	struct sc_run r;
	char *pos[1], why[512] = "";
	int npos = 1, rc;

	rc = options_parse_cmd(&o, "status", argc, argv, stderr, pos, &npos);
	if (rc != 0) {
		options_free(&o);
		return rc < 0 ? STATUSCMD_USAGE : 0;
	}
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.name = npos ? pos[0] : NULL;
	r.started = util_monotonic();
	r.deadline = o.timeout > 0 ? r.started + o.timeout : 0;
	sc_table_init(&r.sets, sc_set_head, 8);
	sc_table_init(&r.regions, sc_region_head, 9);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sc_curl_setup(&r) < 0 || sc_urls(&r) < 0) {
		fprintf(stderr, "status: bad --server URL or name\n");
		rc = STATUSCMD_USAGE;
	} else if (o.watch) {
		rc = sc_watch(&r);
	} else {
		rc = sc_once(sc_poll(&r, why, sizeof(why)), why);
	}
	sc_free(&r);
	curl_global_cleanup();
	options_free(&o);
	return rc;
}
