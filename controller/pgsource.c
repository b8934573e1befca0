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

enum pgs_state {
	PGS_DOWN,          /* no connection; a retry may be scheduled */
	PGS_CONNECTING,    /* PQconnectPoll under way */
	PGS_LISTENING,     /* LISTEN sent, waiting for its result */
	PGS_READY,         /* connected and idle */
	PGS_QUERYING,      /* the desired-state query is under way */
	PGS_WRITING,       /* a status write-back is under way */
};

struct pgsource {
	struct ev_loop *loop;
	char *url;
	char *shown;               /* url without its password */
	source_fn fn;
	void *arg;

	PGconn *conn;
	enum pgs_state state;
	ev_io io;
	ev_timer deadline;         /* connect or query taking too long */
	ev_timer retry;            /* next connection attempt */
	double backoff;
	int want_query;            /* a change or a resync asked for a read */
	int down_reported;         /* this outage was handed over already */
	PGresult *rows;            /* result of the query under way */
	char *query_error;         /* error of the command under way */

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

/* libpq's messages end in a newline and may span indented lines: make
 * them one line with single spaces. */
static void
pgs_clean_message(char *msg)
{
	char *r, *w = msg;

	for (r = msg; *r != '\0'; r++) {
		int space = isspace((unsigned char)*r);
		if (space && (w == msg || w[-1] == ' '))
			continue;
		*w++ = space ? ' ' : *r;
	}
	if (w > msg && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* The server's notices (and its goodbye at shutdown) go to the log, not
 * to libpq's default of stderr. */
static void
pgs_notice(void *arg, const char *message)
{
	struct pgsource *s = arg;
	char msg[512];

	if (!log_enabled(LOG_INFO))
		return;
	util_strlcpy(msg, message, sizeof(msg));
	pgs_clean_message(msg);
	log_info("source_notice", "source=%s message=%s", s->shown,
		 log_q(msg));
}

static void
pgs_close(struct pgsource *s)
{
	ev_io_stop(s->loop, &s->io);
	ev_timer_stop(s->loop, &s->deadline);
	PQclear(s->rows);
	s->rows = NULL;
	free(s->query_error);
	s->query_error = NULL;
	PQfinish(s->conn);
	s->conn = NULL;
	s->state = PGS_DOWN;
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

/* The connection is lost or could not be made: drop it, say so once per
 * outage, and try again later. */
static void
pgs_fail(struct pgsource *s, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 s->conn ? PQerrorMessage(s->conn) : "out of memory");
	pgs_clean_message(msg);
	pgs_close(s);
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

/* Point the io watcher at the connection's socket. It is re-armed each
 * time: while connecting, libpq may close a socket and open another
 * that gets the same number. */
static void
pgs_watch(struct pgsource *s, int events)
{
	int fd = PQsocket(s->conn);

	ev_io_stop(s->loop, &s->io);
	if (fd < 0)
		return;
	ev_io_set(&s->io, fd, events);
	ev_io_start(s->loop, &s->io);
}

static void
pgs_arm_deadline(struct pgsource *s, double secs)
{
	ev_timer_stop(s->loop, &s->deadline);
	ev_timer_set(&s->deadline, secs, 0);
	ev_timer_start(s->loop, &s->deadline);
}

/* Send what is buffered; wait for writability only while some is left. */
static int
pgs_flush(struct pgsource *s)
{
	int rc = PQflush(s->conn);

	if (rc < 0) {
		pgs_fail(s, "sending");
		return -1;
	}
	pgs_watch(s, rc ? EV_READ | EV_WRITE : EV_READ);
	return 0;
}

/* Send one statement with at most one text parameter. */
static int
pgs_send(struct pgsource *s, const char *sql, const char *param,
	 enum pgs_state next)
{
	if (!PQsendQueryParams(s->conn, sql, param ? 1 : 0, NULL, &param,
			       NULL, NULL, 0)) {
		pgs_fail(s, "sending");
		return -1;
	}
	s->state = next;
	pgs_arm_deadline(s, PGS_QUERY_TIMEOUT);
	return pgs_flush(s);
}

static void
pgs_query(struct pgsource *s)
{
	s->want_query = 0;
	pgs_send(s, pgs_query_sql, NULL, PGS_QUERYING);
}

static void
pgs_connected(struct pgsource *s)
{
	ev_timer_stop(s->loop, &s->deadline);
	if (PQsetnonblocking(s->conn, 1) != 0) {
		pgs_fail(s, "non-blocking mode");
		return;
	}
	log_info("source_connected", "source=%s server_version=%d",
		 s->shown, PQserverVersion(s->conn));
	s->status_written = 0;   /* the database may be a different one */
	pgs_send(s, "LISTEN " PGS_CHANNEL, NULL, PGS_LISTENING);
}

static void
pgs_connect_step(struct pgsource *s)
{
	switch (PQconnectPoll(s->conn)) {
	case PGRES_POLLING_READING:
		pgs_watch(s, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		pgs_watch(s, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		pgs_connected(s);
		break;
	default:
		pgs_fail(s, "connecting");
		break;
	}
}

static void
pgs_connect(struct pgsource *s)
{
	ev_timer_stop(s->loop, &s->retry);
	s->conn = PQconnectStart(s->url);
	if (s->conn == NULL || PQstatus(s->conn) == CONNECTION_BAD) {
		pgs_fail(s, "connecting");
		return;
	}
	PQsetNoticeProcessor(s->conn, pgs_notice, s);
	s->state = PGS_CONNECTING;
	pgs_arm_deadline(s, PGS_CONNECT_TIMEOUT);
	/* libpq's contract: poll as if PQconnectPoll had asked to write. */
	pgs_watch(s, EV_WRITE);
}

/* The query finished: hand the rows over, or report why it failed
 * while the connection itself still works (say, a missing view). */
static void
pgs_query_done(struct pgsource *s)
{
	if (s->query_error != NULL) {
		log_warn("source_query_failed", "source=%s error=%s",
			 s->shown, log_q(s->query_error));
		pgs_report_down(s, s->query_error);
		s->down_reported = 1;
	} else if (s->rows != NULL) {
		struct yaml_load *ld = pgs_build(s->rows);
		if (s->down_reported)
			log_info("source_available", "source=%s", s->shown);
		s->down_reported = 0;
		s->backoff = PGS_BACKOFF_MIN;
		pgs_hand_over(s, ld);
	}
	PQclear(s->rows);
	s->rows = NULL;
	free(s->query_error);
	s->query_error = NULL;
}

/* A failed write-back is not retried until the status changes again:
 * the usual cause (a schema without rhone_write_status) would fail the
 * same way every second. */
static void
pgs_status_done(struct pgsource *s)
{
	if (s->query_error != NULL)
		log_warn("status_writeback_failed", "source=%s error=%s",
			 s->shown, log_q(s->query_error));
	s->status_written = s->status_sent;
	free(s->query_error);
	s->query_error = NULL;
}

/* Every result of the command under way has arrived. */
static void
pgs_command_done(struct pgsource *s)
{
	enum pgs_state was = s->state;

	ev_timer_stop(s->loop, &s->deadline);
	s->state = PGS_READY;
	if (was == PGS_QUERYING) {
		pgs_query_done(s);
		return;
	}
	if (was == PGS_WRITING) {
		pgs_status_done(s);
		return;
	}
	if (s->query_error != NULL) {
		pgs_fail(s, "LISTEN");
		return;
	}
	s->want_query = 1;       /* first read after (re)connecting */
}

static void
pgs_result(struct pgsource *s, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK && s->state == PGS_QUERYING) {
		PQclear(s->rows);
		s->rows = res;
		return;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    s->query_error == NULL) {
		s->query_error = strdup(PQresultErrorMessage(res));
		if (s->query_error != NULL)
			pgs_clean_message(s->query_error);
	}
	PQclear(res);
}

static void
pgs_drain(struct pgsource *s)
{
	PGnotify *n;

	while ((n = PQnotifies(s->conn)) != NULL) {
		log_debug("source_notified", "source=%s table=%s", s->shown,
			  n->extra);
		s->want_query = 1;
		PQfreemem(n);
	}
	while ((s->state == PGS_LISTENING || s->state == PGS_QUERYING ||
		s->state == PGS_WRITING) && !PQisBusy(s->conn)) {
		PGresult *res = PQgetResult(s->conn);
		if (res == NULL)
			pgs_command_done(s);
		else
			pgs_result(s, res);
	}
}

static void
pgs_readable(struct pgsource *s)
{
	if (!PQconsumeInput(s->conn) || PQstatus(s->conn) == CONNECTION_BAD) {
		pgs_fail(s, "reading");
		return;
	}
	pgs_drain(s);
	if (s->state == PGS_READY && PQstatus(s->conn) == CONNECTION_BAD)
		pgs_fail(s, "reading");
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pgsource *s = w->data;

	(void)loop;
	if (s->state == PGS_CONNECTING) {
		pgs_connect_step(s);
		return;
	}
	if ((revents & EV_WRITE) && pgs_flush(s) < 0)
		return;
	if (revents & EV_READ)
		pgs_readable(s);
	if (s->state == PGS_READY && s->want_query)
		pgs_query(s);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgsource *s = w->data;

	(void)loop;
	(void)revents;
	pgs_fail(s, s->state == PGS_CONNECTING ? "connect timed out" :
		 "query timed out");
}

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
		pgs_send(s, pgs_status_sql, sb.buf, PGS_WRITING);
	}
	sb_free(&sb);
}

static void
on_status(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgsource *s = w->data;

	(void)loop;
	(void)revents;
	if (s->state == PGS_READY && !s->want_query && !s->down_reported)
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
	switch (s->state) {
	case PGS_READY:
		pgs_query(s);
		break;
	case PGS_LISTENING:
	case PGS_QUERYING:
	case PGS_WRITING:
		s->want_query = 1;
		break;
	case PGS_DOWN:
		if (!ev_is_active(&s->retry))
			pgs_connect(s);
		break;
	case PGS_CONNECTING:
		break;
	}
}

/* A URL libpq cannot parse is a start-up error, not an outage to retry.
 * libpq's reason is not logged: it quotes the URL, password and all. */
static int
pgs_url_ok(const char *url)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(url, &err);

	PQfreemem(err);
	if (o == NULL) {
		log_error("source_bad_url", "hint=%s", log_q("not a valid "
			  "postgres:// URL (see libpq's connection URIs)"));
		return 0;
	}
	PQconninfoFree(o);
	return 1;
}

struct pgsource *
pgsource_new(struct ev_loop *loop, const char *url, source_fn fn,
	     void *arg)
{
	struct pgsource *s;

	if (!pgs_url_ok(url))
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
	ev_io_init(&s->io, on_io, -1, EV_READ);
	ev_timer_init(&s->deadline, on_deadline, PGS_CONNECT_TIMEOUT, 0);
	ev_timer_init(&s->retry, on_retry, PGS_BACKOFF_MIN, 0);
	ev_timer_init(&s->status, on_status, PGS_STATUS_EVERY,
		      PGS_STATUS_EVERY);
	s->io.data = s->deadline.data = s->retry.data = s->status.data = s;
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
		pgs_close(s);
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
	if (!pgs_url_ok(url)) {
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
		pgs_clean_message(err);
	PQclear(res);
	PQfinish(conn);
	return rc;
}
