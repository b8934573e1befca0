/* pgsource.c - the Postgres source. One connection, driven by the loop:
 * connect (PQconnectPoll), LISTEN on the desired-state channel, then read
 * the rhone_desired view whenever a notification, a resync or SIGHUP asks
 * for it. Every socket wait is an ev_io on PQsocket and every deadline an
 * ev_timer, so nothing here blocks. When the database is unreachable the
 * controller is told once (source_failed: it keeps its last good state and
 * makes no mutating call) and the connection is retried with backoff; the
 * first read after a reconnect brings it up to date again. */
#include "pgsource.h"

#include <ctype.h>
#include <ev.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgconn.h"
#include "plancheck.h"
#include "region.h"
#include "util.h"

#define PGS_CHANNEL "rhone_desired"
#define PGS_CONNECT_TIMEOUT 10.0
#define PGS_QUERY_TIMEOUT 30.0
#define PGS_BACKOFF_MIN 0.5
#define PGS_BACKOFF_MAX 15.0
#define PGS_IMAGE_MAX 512
#define PGS_STATUS_EVERY 1.0

static const char pgs_query_sql[] =
	"SELECT fly_app_id, primary_region, regions, counts, image, plan "
	"FROM rhone_desired ORDER BY fly_app_id";

/* The whole list goes each time it changed: the function itself leaves
 * alone every row whose values are the same. */
static const char pgs_status_sql[] =
	"SELECT rhone_write_status(i) "
	"FROM jsonb_array_elements($1::jsonb -> 'items') i";

/* The statement under way on the connection. */
enum pgs_cmd {
	PGS_NONE,
	PGS_LISTEN,        /* LISTEN, after (re)connecting */
	PGS_QUERY,         /* the desired-state query */
	PGS_WRITE,         /* a status write-back */
};

struct pgsource {
	struct ev_loop *loop;
	char *url;
	char *shown;               /* url without its password */
	source_fn fn;
	void *arg;

	struct pgconn pc;          /* down until a retry or reload */
	enum pgs_cmd cmd;
	ev_timer retry;            /* next connection attempt */
	double backoff;
	int want_query;            /* a change or a resync asked for a read */
	int down_reported;         /* this outage was handed over already */

	pgsource_status_fn status_fn;
	void *status_arg;
	ev_timer status;           /* looks for a status to write back */
	uint64_t status_sent;      /* hash of the list being written */
	uint64_t status_written;   /* hash of the list last written */
};

static void pgs_connect(struct pgsource *s);

int
pgsource_is_url(const char *source)
{
	return source != NULL &&
	       (strncmp(source, "postgres://", 11) == 0 ||
		strncmp(source, "postgresql://", 13) == 0);
}

/* Replace the value after `from` up to the first byte of `stop` with
 * "***"; returns the new string, or s when there is nothing to hide. */
static char *
pgs_mask(char *s, char *from, const char *stop)
{
	size_t keep = (size_t)(from - s);
	size_t len = strcspn(from, stop);
	struct strbuf sb;

	if (len == 0)
		return s;
	sb_init(&sb);
	sb_append(&sb, s, keep);
	sb_puts(&sb, "***");
	sb_puts(&sb, from + len);
	free(s);
	if (sb.failed) {
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb);
}

char *
pgsource_redact(const char *url)
{
	char *s = util_strdup(url), *auth, *at, *colon, *pw;

	if (s == NULL || (auth = strstr(s, "://")) == NULL)
		return s;
	auth += 3;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	if (at != NULL && at < auth + strcspn(auth, "/?") &&
	    colon != NULL && colon < at)
		s = pgs_mask(s, colon + 1, "@");
	if (s != NULL && (pw = strstr(s, "password=")) != NULL)
		s = pgs_mask(s, pw + 9, "&");
	return s;
}

/*
 * Turning rows into RegionSets. A row that cannot become a valid set is
 * an error naming that set, so the store keeps its last good spec.
 */

/* A Fly app name is a DNS label: it names the set and its machines. */
static int
pgs_label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= RS_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
pgs_image_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PGS_IMAGE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) ||
		    iscntrl((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The count of `code` in "fra:2,nrt:3" (rows of app_region_counts);
 * 1 when the region has no row. */
static int
pgs_count(const char *counts, const char *code)
{
	size_t n = strlen(code), len;
	const char *p = counts;
	char num[8];
	long v;

	while (p != NULL && *p != '\0') {
		len = strcspn(p, ",");
		if (len > n + 1 && len - n - 1 < sizeof(num) &&
		    strncmp(p, code, n) == 0 && p[n] == ':') {
			memcpy(num, p + n + 1, len - n - 1);
			num[len - n - 1] = '\0';
			if (util_parse_long(num, 1, RS_COUNT_MAX, &v) < 0)
				return 1;
			return (int)v;
		}
		p = p[len] != '\0' ? p + len + 1 : NULL;
	}
	return 1;
}

struct pgs_row {
	const char *app;
	const char *primary;
	const char *regions;
	const char *counts;
	const char *image;
	const char *plan;        /* the team's; decides the plan check */
};

static int
pgs_add_region(struct regionset *rs, const char *code, int count,
	       const char *field, struct rs_errors *errs)
{
	int i;

	if (region_find(code) == NULL) {
		const char *hint = region_suggest(code);
		rs_errors_add(errs, NULL, 0, 0, field, rs->name,
			      "unknown region \"%s\"%s%s%s", code,
			      hint ? "; did you mean \"" : "",
			      hint ? hint : "", hint ? "\"?" : "");
		return -1;
	}
	for (i = 0; i < rs->nregions; i++)
		if (strcmp(rs->regions[i].code, code) == 0)
			return 0;        /* the primary, or a repeat */
	if (rs->nregions == RS_REGIONS_MAX)
		return -1;
	util_strlcpy(rs->regions[rs->nregions].code, code, 4);
	rs->regions[rs->nregions].count = count;
	rs->regions[rs->nregions].primary = rs->nregions == 0;
	rs->nregions++;
	return 0;
}

/* The primary first, then apps.regions in order (it includes the
 * primary, as the platform writes it). */
static int
pgs_regions(struct regionset *rs, const struct pgs_row *r,
	    struct rs_errors *errs)
{
	const char *p = r->regions;
	char code[16];
	size_t b, n;
	int rc;

	rc = pgs_add_region(rs, r->primary, pgs_count(r->counts, r->primary),
			    "apps.primary_region", errs);
	while (rc == 0 && p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		for (b = 0; b < n && isspace((unsigned char)p[b]); b++)
			;
		while (n > b && isspace((unsigned char)p[n - 1]))
			n--;
		if (n > b) {
			util_strlcpy(code, p + b, n - b + 1 < sizeof(code) ?
				     n - b + 1 : sizeof(code));
			rc = pgs_add_region(rs, code, pgs_count(r->counts,
					    code), "apps.regions", errs);
		}
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return rc;
}

static struct regionset *
pgs_row_set(const struct pgs_row *r, struct rs_errors *errs)
{
	struct regionset *rs = malloc(sizeof(*rs));

	if (rs == NULL || rs_init_defaults(rs) < 0) {
		free(rs);
		return NULL;
	}
	util_strlcpy(rs->name, r->app, sizeof(rs->name));
	util_strlcpy(rs->app, r->app, sizeof(rs->app));
	if (!pgs_image_ok(r->image)) {
		rs_errors_add(errs, NULL, 0, 0, "deployments.image", rs->name,
			      "the newest deployment's image is empty, too "
			      "long or holds spaces");
		goto failed;
	}
	rs->image = strdup(r->image);
	if (rs->image == NULL || pgs_regions(rs, r, errs) < 0)
		goto failed;
	plancheck_apply(rs, r->plan);
	if (rs_finalize(rs) < 0)
		goto failed;
	return rs;
failed:
	rs_free(rs);
	return NULL;
}

static int
pgs_push(struct yaml_load *ld, struct regionset *rs)
{
	struct regionset **grown;

	grown = realloc(ld->sets, (ld->nsets + 1) * sizeof(*grown));
	if (grown == NULL) {
		rs_free(rs);
		return -1;
	}
	ld->sets = grown;
	ld->sets[ld->nsets++] = rs;
	return 0;
}

static void
pgs_load_row(struct yaml_load *ld, const PGresult *res, int i)
{
	struct pgs_row r = {
		PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
	};
	struct regionset *rs;
	size_t before = ld->errors.n;

	if (!pgs_label_ok(r.app)) {
		rs_errors_add(&ld->errors, NULL, 0, 0, "apps.fly_app_id", NULL,
			      "\"%.63s\" is not a valid Fly app name",
			      r.app);
		return;
	}
	rs = pgs_row_set(&r, &ld->errors);
	if (rs != NULL)
		pgs_push(ld, rs);
	else if (ld->errors.n == before)
		rs_errors_add(&ld->errors, NULL, 0, 0, "", r.app,
			      "out of memory or too many regions");
}

static void
pgs_fill(struct yaml_load *ld, const PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		pgs_load_row(ld, res, i);
	yaml_load_finish(ld);
}

/* The rows of rhone_desired as a load; NULL only when out of memory. */
static struct yaml_load *
pgs_build(const PGresult *res)
{
	struct yaml_load *ld = calloc(1, sizeof(*ld));

	if (ld != NULL)
		pgs_fill(ld, res);
	return ld;
}

/*
 * The connection.
 */

static void
pgs_hand_over(struct pgsource *s, struct yaml_load *ld)
{
	if (ld == NULL) {
		log_error("source_load_failed", "source=%s error=out_of_memory",
			  s->shown);
		return;
	}
	s->fn(s->arg, ld);
}

/* Tell the controller the source is unavailable: it keeps the last good
 * state and stops mutating. */
static void
pgs_report_down(struct pgsource *s, const char *why)
{
	struct yaml_load *ld = calloc(1, sizeof(*ld));

	if (ld != NULL) {
		ld->source_failed = 1;
		rs_errors_add(&ld->errors, NULL, 0, 0, "", NULL,
			      "SourceUnavailable: %s", why);
	}
	pgs_hand_over(s, ld);
}

/* The server's notices (and its goodbye at shutdown) go to the log. */
static void
pgs_notice(void *arg, const char *msg)
{
	struct pgsource *s = arg;

	log_info("source_notice", "source=%s message=%s", s->shown,
		 log_q(msg));
}

static void
pgs_schedule_retry(struct pgsource *s)
{
	double jitter = 0.8 + 0.4 * ((double)random() / RAND_MAX);

	ev_timer_stop(s->loop, &s->retry);
	ev_timer_set(&s->retry, s->backoff * jitter, 0);
	ev_timer_start(s->loop, &s->retry);
	s->backoff *= 2;
	if (s->backoff > PGS_BACKOFF_MAX)
		s->backoff = PGS_BACKOFF_MAX;
}

/* The connection is lost or could not be made: say so once per outage,
 * and try again later. */
static void
pgs_failed(void *arg, const char *msg, enum pgconn_state was)
{
	struct pgsource *s = arg;

	(void)was;
	s->cmd = PGS_NONE;
	pgs_schedule_retry(s);
	if (s->down_reported) {
		log_debug("source_retry_failed", "source=%s error=%s",
			  s->shown, log_q(msg));
		return;
	}
	log_warn("source_unavailable", "source=%s error=%s", s->shown,
		 log_q(msg));
	s->down_reported = 1;
	pgs_report_down(s, msg);
}

/* Send one statement with at most one text parameter. */
static void
pgs_send(struct pgsource *s, const char *sql, const char *param,
	 enum pgs_cmd cmd)
{
	s->cmd = cmd;
	if (pgconn_send(&s->pc, sql, param ? 1 : 0, &param) < 0)
		pgconn_fail(&s->pc, "sending");
}

static void
pgs_query(struct pgsource *s)
{
	s->want_query = 0;
	pgs_send(s, pgs_query_sql, NULL, PGS_QUERY);
}

static void
pgs_connected(void *arg)
{
	struct pgsource *s = arg;

	log_info("source_connected", "source=%s server_version=%d",
		 s->shown, PQserverVersion(s->pc.conn));
	s->status_written = 0;   /* the database may be a different one */
	pgs_send(s, "LISTEN " PGS_CHANNEL, NULL, PGS_LISTEN);
}

static void
pgs_connect(struct pgsource *s)
{
	ev_timer_stop(s->loop, &s->retry);
	pgconn_connect(&s->pc, s->url, NULL);
}

/* The query finished: hand the rows over, or report why it failed
 * while the connection itself still works (say, a missing view). */
static void
pgs_query_done(struct pgsource *s, const PGresult *rows, const char *err)
{
	if (err != NULL) {
		log_warn("source_query_failed", "source=%s error=%s",
			 s->shown, log_q(err));
		pgs_report_down(s, err);
		s->down_reported = 1;
	} else if (rows != NULL) {
		struct yaml_load *ld = pgs_build(rows);
		if (s->down_reported)
			log_info("source_available", "source=%s", s->shown);
		s->down_reported = 0;
		s->backoff = PGS_BACKOFF_MIN;
		pgs_hand_over(s, ld);
	}
}

/* A failed write-back is not retried until the status changes again:
 * the usual cause (a schema without rhone_write_status) would fail the
 * same way every second. */
static void
pgs_status_done(struct pgsource *s, const char *err)
{
	if (err != NULL)
		log_warn("status_writeback_failed", "source=%s error=%s",
			 s->shown, log_q(err));
	s->status_written = s->status_sent;
}

/* Every result of the statement under way has arrived. */
static void
pgs_done(void *arg, const PGresult *res, const char *err)
{
	struct pgsource *s = arg;
	enum pgs_cmd was = s->cmd;

	s->cmd = PGS_NONE;
	if (was == PGS_QUERY)
		pgs_query_done(s, res, err);
	else if (was == PGS_WRITE)
		pgs_status_done(s, err);
	else if (err != NULL)
		pgconn_fail(&s->pc, "LISTEN");
	else
		s->want_query = 1;       /* first read after (re)connecting */
}

static void
pgs_notified(void *arg, const PGnotify *n)
{
	struct pgsource *s = arg;

	log_debug("source_notified", "source=%s table=%s", s->shown,
		  n->extra);
	s->want_query = 1;
}

/* A read asked for while a statement ran starts once it is done. */
static void
pgs_ready(void *arg)
{
	struct pgsource *s = arg;

	if (s->want_query)
		pgs_query(s);
}

static const struct pgconn_ops pgs_ops = {
	.connected = pgs_connected,
	.done = pgs_done,
	.failed = pgs_failed,
	.notified = pgs_notified,
	.notice = pgs_notice,
	.ready = pgs_ready,
};

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	pgs_connect(w->data);
}

/* Render the status list and write it back if it changed since the last
 * write. Only between reads (a pending read goes first), and not while
 * desired state cannot be read: the schema may not be there at all. */
static void
pgs_status_write(struct pgsource *s)
{
	struct strbuf sb;
	uint64_t h;

	sb_init(&sb);
	s->status_fn(s->status_arg, &sb);
	if (sb.failed || sb.buf == NULL) {
		sb_free(&sb);
		return;
	}
	h = util_fnv1a(UTIL_FNV_SEED, sb.buf, sb.len);
	if (h != s->status_written) {
		s->status_sent = h;
		pgs_send(s, pgs_status_sql, sb.buf, PGS_WRITE);
	}
	sb_free(&sb);
}

static void
on_status(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgsource *s = w->data;

	(void)loop;
	(void)revents;
	if (s->pc.state == PGCONN_IDLE && !s->want_query &&
	    !s->down_reported)
		pgs_status_write(s);
}

void
pgsource_set_status(struct pgsource *s, pgsource_status_fn fn, void *arg)
{
	s->status_fn = fn;
	s->status_arg = arg;
	ev_timer_start(s->loop, &s->status);
}

void
pgsource_reload(struct pgsource *s)
{
	switch (s->pc.state) {
	case PGCONN_IDLE:
		pgs_query(s);
		break;
	case PGCONN_BUSY:
		s->want_query = 1;
		break;
	case PGCONN_DOWN:
		if (!ev_is_active(&s->retry))
			pgs_connect(s);
		break;
	case PGCONN_CONNECTING:
		break;
	}
}

struct pgsource *
pgsource_new(struct ev_loop *loop, const char *url, source_fn fn,
	     void *arg)
{
	struct pgsource *s;

	/* A URL libpq cannot parse is a start-up error, not an outage. */
	if (!pgconn_url_ok(url, "source_bad_url"))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->url = strdup(url);
	s->shown = pgsource_redact(url);
	if (s->url == NULL || s->shown == NULL) {
		pgsource_free(s);
		return NULL;
	}
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	s->backoff = PGS_BACKOFF_MIN;
	pgconn_init(&s->pc, loop, &pgs_ops, s, PGS_CONNECT_TIMEOUT,
		    PGS_QUERY_TIMEOUT, "query timed out");
	ev_timer_init(&s->retry, on_retry, PGS_BACKOFF_MIN, 0);
	ev_timer_init(&s->status, on_status, PGS_STATUS_EVERY,
		      PGS_STATUS_EVERY);
	s->retry.data = s->status.data = s;
	log_info("source_postgres", "source=%s libpq=%d", s->shown,
		 PQlibVersion());
	return s;
}

void
pgsource_free(struct pgsource *s)
{
	if (s == NULL)
		return;
	if (s->loop != NULL) {
		pgconn_close(&s->pc);
		ev_timer_stop(s->loop, &s->retry);
		ev_timer_stop(s->loop, &s->status);
	}
	free(s->url);
	free(s->shown);
	free(s);
}

/* One blocking read, for one-shot commands: a connection of its own,
 * the same query and the same rows-to-sets rules as the loop's. */
int
pgsource_read_once(const char *url, struct yaml_load *out, char *err,
		   size_t size)
{
	static const char *const keys[] = { "dbname", "connect_timeout",
					     NULL };
	const char *vals[] = { url, "10", NULL };
	PGconn *conn;
	PGresult *res = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!pgconn_url_ok(url, "source_bad_url")) {
		snprintf(err, size, "not a valid postgres:// URL");
		return -1;
	}
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		snprintf(err, size, "connecting: %s",
			 conn ? PQerrorMessage(conn) : "out of memory");
	else if ((res = PQexec(conn, pgs_query_sql)) == NULL ||
		 PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, size, "reading rhone_desired: %s",
			 res ? PQresultErrorMessage(res) :
			 PQerrorMessage(conn));
	else
		rc = 0;
	if (rc == 0)
		pgs_fill(out, res);
	else
		pgconn_one_line(err);
	PQclear(res);
	PQfinish(conn);
	return rc;
}
