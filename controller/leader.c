/* leader.c - leader election on a Postgres advisory lock.
 *
 * Every replica keeps one session of its own with the lock database,
 * driven by the loop like the Postgres source: connect (PQconnectPoll),
 * then one statement at a time, each socket wait an ev_io and each
 * deadline an ev_timer, so nothing here blocks. Once a second:
 *
 *   standby: SELECT pg_try_advisory_lock(key). Granted: this replica is
 *            the leader and reconciles every set from a fresh listing.
 *            Not granted: with the Postgres source it reads the leader's
 *            region_status rows, which /status then serves.
 *   leader:  checks in pg_locks that its session still holds the lock.
 *
 * The lock belongs to the session, so a leader that dies, however it
 * dies, loses it when the server ends its session, and a standby gets
 * it on its next try. Fencing is the other half: a leader whose session
 * fails, or whose check does not answer within LD_TIMEOUT, stops at once
 * (every queued and in-flight Fly call dropped, every round forgotten)
 * and stands by until it holds the lock again. The session asks the
 * server to give up on a silent client after LD_SERVER_DEAD_S, longer
 * than LD_TIMEOUT + LD_TICK, so a cut-off leader has stopped before
 * another replica can be granted the lock. */
#include "leader.h"

#include <ctype.h>
#include <ev.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller.h"
#include "flyclient.h"
#include "log.h"
#include "pgconn.h"
#include "pgsource.h"
#include "reconcile.h"
#include "source.h"
#include "status.h"

#define LD_TICK 1.0              /* lock try, heartbeat, status read */
#define LD_TIMEOUT 4.0           /* connect or statement deadline */
#define LD_SERVER_DEAD_S 11      /* keepalive idle 5 + 3 probes x 2 */
#define LD_APP_NAME_MAX 64       /* Postgres' NAMEDATALEN */

/* Server-side: notice a client that went silent (network cut, frozen
 * host) within about LD_SERVER_DEAD_S and end its session. */
static const char ld_setup_sql[] =
	"SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
	"SET tcp_keepalives_count = 3";
static const char ld_setup12_sql[] =
	"SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
	"SET tcp_keepalives_count = 3; SET tcp_user_timeout = 11000";

/* A bigint key shows in pg_locks as classid (high half), objid (low
 * half) and objsubid 1. The holder is named by its application_name. */
static const char ld_lock_sql[] =
	"SELECT pg_try_advisory_lock($1::bigint), "
	"(SELECT a.application_name FROM pg_locks k "
	"JOIN pg_stat_activity a ON a.pid = k.pid "
	"WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 1 "
	"AND k.database = (SELECT oid FROM pg_database "
	"WHERE datname = current_database()) "
	"AND k.classid = $2::oid AND k.objid = $3::oid LIMIT 1)";

static const char ld_check_sql[] =
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
	"AND granted AND pid = pg_backend_pid() AND objsubid = 1 "
	"AND classid = $1::oid AND objid = $2::oid";

/* One RegionSet-shaped item per app from what the leader wrote back;
 * the set's phase is its worst region's (a region the plan check holds
 * does not count, as on the leader). */
static const char ld_status_sql[] =
	"SELECT a.fly_app_id, json_build_object("
	"'apiVersion', 'rhone.dev/v1', 'kind', 'RegionSet', "
	"'metadata', json_build_object('name', a.fly_app_id), "
	"'spec', NULL, "
	"'status', json_build_object("
	"'phase', CASE WHEN bool_and(s.phase IN ('Converged', 'Held')) "
	"THEN 'Converged' "
	"WHEN bool_or(s.phase = 'Degraded') THEN 'Degraded' "
	"ELSE 'Progressing' END, "
	"'statusFrom', 'region_status', "
	"'updatedAt', max(s.updated_at), "
	"'regions', json_agg(json_build_object("
	"'region', s.region, 'primary', s.region = a.primary_region, "
	"'desired', s.desired, 'current', s.current, 'ready', s.ready, "
	"'updated', s.updated, 'phase', s.phase, 'message', s.message, "
	"'updatedAt', s.updated_at) "
	"ORDER BY s.region <> a.primary_region, s.region)))::text "
	"FROM region_status s JOIN apps a ON a.id = s.app_id "
	"WHERE a.fly_app_id IS NOT NULL AND a.fly_app_id <> '' "
	"GROUP BY a.id, a.fly_app_id, a.primary_region "
	"ORDER BY a.fly_app_id";

/* The statement under way on the session. */
enum ld_cmd {
	LD_NONE,
	LD_SETUP,          /* the session settings */
	LD_LOCKING,        /* pg_try_advisory_lock */
	LD_CHECKING,       /* the leader's heartbeat */
	LD_READING,        /* the standby's region_status read */
};

struct ld_item {
	char *name;
	char *json;
};

struct leader {
	struct ctl *c;
	struct ev_loop *loop;
	char *url;
	char *shown;               /* url without its password */
	char name[128];            /* the election's name */
	char key[24], hi[12], lo[12];  /* the lock key as parameters */
	char app_name[LD_APP_NAME_MAX];
	int read_status;

	struct pgconn pc;          /* down: the next tick connects */
	enum ld_cmd cmd;
	ev_timer tick;
	char last_error[256];      /* why the session is down */
	int down_reported;

	int leading;
	double since;              /* when the role last changed */
	unsigned long changes;     /* role changes */
	char holder[LD_APP_NAME_MAX];  /* who holds the lock, as last seen */

	struct ld_item *items;     /* region_status, for a standby */
	size_t nitems;
	double items_time;         /* when they were read */
	int items_failed;          /* the last read failed (logged once) */
};

static void ld_tick_now(struct leader *l);

int64_t
leader_lock_key(const char *name)
{
	uint64_t h = util_fnv1a(UTIL_FNV_SEED, name, strlen(name));

	return (int64_t)h;
}

/*
 * Roles.
 */

static void
ld_set_role(struct leader *l, int leading, const char *why)
{
	double now = util_now();

	log_info("leader_role_changed", "from=%s to=%s after=%.1fs "
		 "lock=%s name=%s reason=%s", l->leading ? "leader" :
		 "standby", leading ? "leader" : "standby",
		 l->since ? now - l->since : 0.0, l->shown, log_q(l->name),
		 log_q(why));
	l->leading = leading;
	l->since = now;
	l->changes++;
}

/* Granted the lock: reconcile everything from a fresh listing. The
 * source is read again too, so that nothing the standby missed counts. */
static void
ld_take_over(struct leader *l)
{
	struct ctl *c = l->c;
	size_t i;

	ld_set_role(l, 1, "lock acquired");
	util_strlcpy(l->holder, l->app_name, sizeof(l->holder));
	for (i = 0; i < c->nentries; i++)
		ctl_enqueue(c->entries[i]);
	if (c->pgsource != NULL)
		pgsource_reload(c->pgsource);
	else if (c->source != NULL)
		source_reload(c->source);
}

/* The lock may be gone: stop acting before anything else happens. Calls
 * already sent may still reach the API; everything after is decided
 * again from a listing by whoever leads next, and creates carry launch
 * ids, so nothing is repeated blindly. Leases this replica held expire
 * on their own (no release call: that would be a call too). */
static void
ld_fence(struct leader *l, const char *why)
{
	struct ctl *c = l->c;
	size_t i, dropped;

	dropped = fly_client_cancel_all(c->fly);
	for (i = 0; i < c->nentries; i++) {
		struct entry *e = c->entries[i];
		ev_timer_stop(c->loop, &e->requeue);
		reconcile_abandon(e);
		e->dirty = 0;
	}
	log_warn("leader_fenced", "lock=%s dropped_fly_calls=%zu reason=%s",
		 l->shown, dropped, log_q(why));
	ld_set_role(l, 0, why);
	status_refresh_all(c);
}

/*
 * The session.
 */

/* The session failed or hangs and is dropped (the server ends it and
 * with it any lock it held): fence if leading, retry on the next tick. */
static void
ld_failed(void *arg, const char *msg, enum pgconn_state was)
{
	struct leader *l = arg;

	(void)was;
	l->cmd = LD_NONE;
	util_strlcpy(l->last_error, msg, sizeof(l->last_error));
	if (l->leading)
		ld_fence(l, msg);
	if (!l->down_reported)
		log_warn("leader_lock_unavailable", "lock=%s error=%s",
			 l->shown, log_q(msg));
	else
		log_debug("leader_lock_retry_failed", "lock=%s error=%s",
			  l->shown, log_q(msg));
	l->down_reported = 1;
}

/* With p NULL by the simple protocol, which takes several
 * statements at once. */
static void
ld_send(struct leader *l, const char *sql, int n, const char *const *p,
	enum ld_cmd cmd)
{
	l->cmd = cmd;
	if (pgconn_send(&l->pc, sql, n, p) < 0)
		pgconn_fail(&l->pc, "sending");
}

static void
ld_connected(void *arg)
{
	struct leader *l = arg;
	int version = PQserverVersion(l->pc.conn);

	if (l->down_reported)
		log_info("leader_lock_available", "lock=%s", l->shown);
	else
		log_info("leader_lock_connected", "lock=%s name=%s key=%s "
			 "server_version=%d", l->shown, log_q(l->name), l->key,
			 version);
	l->down_reported = 0;
	l->last_error[0] = '\0';
	ld_send(l, version >= 120000 ? ld_setup12_sql : ld_setup_sql, 0,
		NULL, LD_SETUP);
}

/* Server notices go to the log. */
static void
ld_notice(void *arg, const char *msg)
{
	struct leader *l = arg;

	log_info("leader_lock_notice", "lock=%s message=%s", l->shown,
		 log_q(msg));
}

/* The URL is expanded by libpq; application_name, given after it,
 * names this replica in pg_stat_activity for the standbys. */
static void
ld_connect(struct leader *l)
{
	pgconn_connect(&l->pc, l->url, l->app_name);
}

/*
 * Results.
 */

static void
ld_items_free(struct leader *l)
{
	size_t i;

	for (i = 0; i < l->nitems; i++) {
		free(l->items[i].name);
		free(l->items[i].json);
	}
	free(l->items);
	l->items = NULL;
	l->nitems = 0;
}

/* Keep the rows read; on allocation failure keep the previous ones. */
static void
ld_items_take(struct leader *l, const PGresult *res)
{
	int i, n = PQntuples(res);
	struct ld_item *items = calloc(n ? (size_t)n : 1, sizeof(*items));

	if (items == NULL)
		return;
	for (i = 0; i < n; i++) {
		items[i].name = strdup(PQgetvalue(res, i, 0));
		items[i].json = strdup(PQgetvalue(res, i, 1));
		if (items[i].name == NULL || items[i].json == NULL)
			break;
	}
	if (i < n) {
		for (; i >= 0; i--) {
			free(items[i].name);
			free(items[i].json);
		}
		free(items);
		return;
	}
	ld_items_free(l);
	l->items = items;
	l->nitems = (size_t)n;
	l->items_time = util_now();
}

static void
ld_lock_done(struct leader *l, const PGresult *res)
{
	const char *got, *holder;

	if (res == NULL || PQntuples(res) != 1) {
		pgconn_fail(&l->pc, "pg_try_advisory_lock");
		return;
	}
	got = PQgetvalue(res, 0, 0);
	holder = PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1);
	if (strcmp(got, "t") == 0) {
		ld_take_over(l);
		return;
	}
	if (strcmp(holder, l->holder) != 0)
		log_info("leader_seen", "lock=%s leader=%s", l->shown,
			 log_q(holder[0] ? holder : "unknown"));
	util_strlcpy(l->holder, holder, sizeof(l->holder));
	if (l->read_status)
		ld_send(l, ld_status_sql, 0, NULL, LD_READING);
}

static void
ld_check_done(struct leader *l, const PGresult *res)
{
	if (res == NULL || PQntuples(res) != 1) {
		pgconn_fail(&l->pc, "checking the lock");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		/* Not ours any more: end the session so nothing is left. */
		pgconn_close(&l->pc);
		util_strlcpy(l->last_error, "the lock is no longer held",
			     sizeof(l->last_error));
		ld_fence(l, "the session no longer holds the lock");
	}
}

/* A failed read keeps the last good items and is logged once: the usual
 * cause (no region_status table yet) would fail the same way each tick. */
static void
ld_read_done(struct leader *l, const PGresult *res, const char *error)
{
	if (error != NULL) {
		if (!l->items_failed)
			log_warn("leader_status_read_failed", "lock=%s "
				 "error=%s", l->shown, log_q(error));
		l->items_failed = 1;
		return;
	}
	if (l->items_failed)
		log_info("leader_status_read_again", "lock=%s", l->shown);
	l->items_failed = 0;
	if (res != NULL)
		ld_items_take(l, res);
}

/* Every result of the statement under way has arrived. */
static void
ld_done(void *arg, const PGresult *res, const char *error)
{
	struct leader *l = arg;
	enum ld_cmd was = l->cmd;

	l->cmd = LD_NONE;
	if (was == LD_READING) {
		ld_read_done(l, res, error);
	} else if (was == LD_SETUP) {
		if (error != NULL)
			log_warn("leader_session_settings", "lock=%s error=%s",
				 l->shown, log_q(error));
		ld_tick_now(l);          /* first try without waiting */
	} else if (error != NULL) {
		pgconn_fail(&l->pc, was == LD_LOCKING ?
			    "pg_try_advisory_lock" : "checking the lock");
	} else if (was == LD_LOCKING) {
		ld_lock_done(l, res);
	} else if (was == LD_CHECKING) {
		ld_check_done(l, res);
	}
}

static const struct pgconn_ops ld_ops = {
	.connected = ld_connected,
	.done = ld_done,
	.failed = ld_failed,
	.notice = ld_notice,
};

static void
ld_tick_now(struct leader *l)
{
	const char *lock[] = { l->key, l->hi, l->lo };
	const char *check[] = { l->hi, l->lo };

	if (l->c->stopping)
		return;
	if (l->pc.state == PGCONN_DOWN)
		ld_connect(l);
	else if (l->pc.state == PGCONN_IDLE && l->leading)
		ld_send(l, ld_check_sql, 2, check, LD_CHECKING);
	else if (l->pc.state == PGCONN_IDLE)
		ld_send(l, ld_lock_sql, 3, lock, LD_LOCKING);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	ld_tick_now(w->data);
}

/*
 * Set-up and what the rest of the controller asks.
 */

/* "rhone-controller/HOST/PID": HOST is the pod name under Kubernetes;
 * the pid tells apart replicas that share a host. */
static void
ld_app_name(struct leader *l)
{
	char host[LD_APP_NAME_MAX] = "";
	size_t i;

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '-' &&
		    host[i] != '.')
			host[i] = '_';
	snprintf(l->app_name, sizeof(l->app_name), "rhone-controller/%.32s/%ld",
		 host[0] ? host : "unknown", (long)getpid());
}

struct leader *
leader_new(struct ctl *c, const char *url, const char *name,
	   int read_status)
{
	struct leader *l;
	uint64_t key;

	if (!pgconn_url_ok(url, "leader_bad_url") ||
	    (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->url = strdup(url);
	l->shown = pgsource_redact(url);
	if (l->url == NULL || l->shown == NULL) {
		leader_free(l);
		return NULL;
	}
	l->c = c;
	l->loop = c->loop;
	l->read_status = read_status;
	util_strlcpy(l->name, name, sizeof(l->name));
	key = (uint64_t)leader_lock_key(name);
	snprintf(l->key, sizeof(l->key), "%" PRId64, (int64_t)key);
	snprintf(l->hi, sizeof(l->hi), "%" PRIu32, (uint32_t)(key >> 32));
	snprintf(l->lo, sizeof(l->lo), "%" PRIu32, (uint32_t)key);
	ld_app_name(l);
	l->since = util_now();
	pgconn_init(&l->pc, l->loop, &ld_ops, l, LD_TIMEOUT, LD_TIMEOUT,
		    "statement timed out");
	ev_timer_init(&l->tick, on_tick, LD_TICK, LD_TICK);
	l->tick.data = l;
	ev_timer_start(l->loop, &l->tick);
	log_info("leader_election", "lock=%s name=%s role=standby "
		 "identity=%s", l->shown, log_q(name), log_q(l->app_name));
	ld_connect(l);
	return l;
}

void
leader_free(struct leader *l)
{
	if (l == NULL)
		return;
	if (l->loop != NULL) {
		pgconn_close(&l->pc);
		ev_timer_stop(l->loop, &l->tick);
	}
	ld_items_free(l);
	free(l->url);
	free(l->shown);
	free(l);
}

int
leader_acting(const struct leader *l)
{
	return l == NULL || l->leading;
}

const char *
leader_role(const struct leader *l)
{
	return leader_acting(l) ? "leader" : "standby";
}

const char *
leader_standby_not_ready(const struct leader *l, char *msg, size_t size)
{
	if (l == NULL || l->pc.state >= PGCONN_IDLE)
		return NULL;
	snprintf(msg, size, "no session with the lock database%s%s",
		 l->last_error[0] ? ": " : "", l->last_error);
	return "LockUnavailable";
}

void
leader_render_meta(const struct leader *l, struct strbuf *sb)
{
	char ts[32];

	sb_printf(sb, ",\"role\":\"%s\"", leader_role(l));
	if (l == NULL)
		return;
	util_rfc3339(l->since, ts, sizeof(ts));
	sb_printf(sb, ",\"roleSince\":\"%s\",\"leader\":", ts);
	sb_json_string(sb, l->leading ? l->app_name : l->holder);
	if (!leader_serves_status(l))
		return;
	ts[0] = '\0';
	if (l->items_time)
		util_rfc3339(l->items_time, ts, sizeof(ts));
	sb_printf(sb, ",\"statusFrom\":\"region_status\","
		  "\"statusTime\":\"%s\"", ts);
}

int
leader_serves_status(const struct leader *l)
{
	return l != NULL && !l->leading && l->read_status;
}

void
leader_render_items(const struct leader *l, struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < l->nitems; i++) {
		if (i)
			sb_puts(sb, ",");
		sb_puts(sb, l->items[i].json);
	}
}

int
leader_render_one(const struct leader *l, const char *name,
		  struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < l->nitems; i++) {
		if (strcmp(l->items[i].name, name) == 0) {
			sb_puts(sb, l->items[i].json);
			sb_puts(sb, "\n");
			return 0;
		}
	}
	return -1;
}

void
leader_metrics(const struct leader *l, struct strbuf *sb)
{
	sb_printf(sb, "# HELP rhone_leader Whether this replica reconciles "
		  "(1: it leads, or runs without election) or stands by "
		  "(0).\n# TYPE rhone_leader gauge\nrhone_leader %d\n",
		  leader_acting(l));
	sb_printf(sb, "# HELP rhone_leader_changes_total Times this replica "
		  "became leader or stopped leading.\n"
		  "# TYPE rhone_leader_changes_total counter\n"
		  "rhone_leader_changes_total %lu\n", l ? l->changes : 0UL);
}
