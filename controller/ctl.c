/* ctl.c - the controller's setup, its loop and its work queue. */
#include "controller.h"

#include <ev.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flyclient.h"
#include "httpd.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "pgsource.h"
#include "reconcile.h"
#include "regionapi.h"
#include "source.h"
#include "status.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

#define TOKEN_MAX 8192

struct entry *
ctl_find(struct ctl *c, const char *name)
{
	size_t lo = 0, hi = c->nentries;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->entries[mid]->name, name);
		if (cmp == 0)
			return c->entries[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

#define CTL_MMAP_THRESHOLD (128 * 1024)
#define CTL_TRIM_EVERY 5.0      /* seconds between heap trims, at most */

static void
on_requeue(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct entry *e = w->data;

	(void)loop;
	(void)revents;
	if (!leader_acting(e->ctl->leader))
		status_refresh(e);      /* a standby shows, never acts */
	else if (e->running)
		e->dirty = 1;
	else
		reconcile_start(e);
}

void
ctl_enqueue_after(struct entry *e, double delay)
{
	struct ctl *c = e->ctl;

	if (c->stopping)
		return;
	if (e->running) {
		if (delay == 0)
			e->dirty = 1;
		return;
	}
	if (ev_is_active(&e->requeue) &&
	    ev_timer_remaining(c->loop, &e->requeue) <= delay)
		return;
	ev_timer_stop(c->loop, &e->requeue);
	ev_set_cb(&e->requeue, on_requeue);
	e->requeue.data = e;
	ev_timer_set(&e->requeue, delay, 0);
	ev_timer_start(c->loop, &e->requeue);
}

void
ctl_enqueue(struct entry *e)
{
	ctl_enqueue_after(e, 0);
}

static void
on_load(void *arg, struct yaml_load *ld)
{
	store_apply(arg, ld);
	yaml_load_free(ld);
	free(ld);
}

/* Whichever source --source named: a folder or a Postgres URL. */
static void
ctl_reload(struct ctl *c)
{
	if (c->pgsource != NULL)
		pgsource_reload(c->pgsource);
	else
		source_reload(c->source);
}

static void
on_resync(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl *c = w->data;

	(void)loop;
	(void)revents;
	ctl_reload(c);
}

void
ctl_round_started(struct ctl *c)
{
	c->rounds++;
}

void
ctl_round_ended(struct ctl *c)
{
	double now = ev_now(c->loop);

	if (c->rounds > 0)
		c->rounds--;
	/* A resync lists every app at once: thousands of answers parsed
	 * and freed, between blocks that live on. When the last round of
	 * such a burst ends, hand the free pages back, so the resident
	 * size follows what is in use rather than the last burst. */
	if (c->rounds == 0 && now - c->last_trim >= CTL_TRIM_EVERY) {
		c->last_trim = now;
		malloc_trim(0);
	}
}

static void
on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ctl *c = w->data;

	(void)revents;
	log_info("shutting_down", "signal=%d", w->signum);
	c->stopping = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ctl *c = w->data;

	(void)loop;
	(void)revents;
	log_info("reload_requested", "signal=SIGHUP source=%s", c->opt.source);
	ctl_reload(c);
}

/* The token is read once, kept only inside the Fly client, and never
 * printed: error messages name the file, not its content. */
static char *
read_token(const struct options *o)
{
	char buf[TOKEN_MAX];
	const char *env = getenv("FLY_API_TOKEN");
	size_t n;
	FILE *f;

	if (o->fly_api_token_file == NULL)
		return env && *env ? strdup(env) : NULL;
	f = fopen(o->fly_api_token_file, "r");
	if (f == NULL) {
		log_error("token_file_unreadable", "file=%s",
			  o->fly_api_token_file);
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n ? strdup(buf) : NULL;
}

static void
log_versions(void)
{
	/* Quoted, so that JSON logs keep versions as strings ("0.10" is not
	 * the number 0.1). */
	char libs[256];

	metrics_lib_versions(libs, sizeof(libs), 1);
	log_info("starting", "version=\"%s\" %s", RHONE_VERSION, libs);
}

static void
ctl_signals(struct ctl *c)
{
	ev_signal_init(&c->sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&c->sigint, on_stop_signal, SIGINT);
	ev_signal_init(&c->sighup, on_sighup, SIGHUP);
	c->sigterm.data = c->sigint.data = c->sighup.data = c;
	ev_signal_start(c->loop, &c->sigterm);
	ev_signal_start(c->loop, &c->sigint);
	ev_signal_start(c->loop, &c->sighup);
}

static void
ctl_render_status(void *arg, struct strbuf *sb)
{
	const struct ctl *c = arg;

	if (!leader_acting(c->leader))
		return;                 /* the leader writes status back */
	status_render_list(arg, sb);
}

/* A Postgres URL may hold a password, and c->opt.source is shown in
 * logs and /status: once the source has its own copy, it is replaced by
 * one without the password (freed at teardown). */
static int
ctl_source_start(struct ctl *c)
{
	char *shown;

	if (!pgsource_is_url(c->opt.source)) {
		c->source = source_new(c->loop, c->opt.source, on_load, c);
		return c->source != NULL ? 0 : -1;
	}
	shown = pgsource_redact(c->opt.source);
	if (shown != NULL)
		c->pgsource = pgsource_new(c->loop, c->opt.source, on_load,
					   c);
	if (c->pgsource != NULL)
		c->regionapi = regionapi_new(c, c->opt.source, shown);
	if (c->regionapi == NULL) {
		pgsource_free(c->pgsource);
		c->pgsource = NULL;
		free(shown);
		return -1;
	}
	c->opt.source = shown;
	pgsource_set_status(c->pgsource, ctl_render_status, c);
	return 0;
}

/* The URL's path may hold a secret: only its host is logged. */
static int
ctl_webhook_start(struct ctl *c)
{
	char shown[128];

	if (c->opt.webhook_url == NULL)
		return 0;
	webhook_url_shown(c->opt.webhook_url, shown, sizeof(shown));
	c->webhook = webhook_new(c->loop, c->opt.webhook_url);
	if (c->webhook == NULL) {
		log_error("webhook_setup_failed", "url=%s", shown);
		return -1;
	}
	log_info("webhook_enabled", "url=%s", shown);
	return 0;
}

static int
ctl_setup(struct ctl *c)
{
	char *token = read_token(&c->opt);

	if (token == NULL) {
		log_error("no_token", "hint=%s", log_q("set FLY_API_TOKEN or "
			  "--fly-api-token-file"));
		return -1;
	}
	c->fly = fly_client_new(c->loop, c->opt.fly_api_url, token);
	memset(token, 0, strlen(token));
	free(token);
	if (c->fly == NULL)
		return -1;
	c->httpd = httpd_start(c, c->opt.listen);
	if (c->httpd == NULL)
		return -1;
	if (ctl_webhook_start(c) < 0)
		return -1;
	if (c->opt.leader_elect) {
		c->leader = leader_new(c, c->opt.leader_elect_url ?
				       c->opt.leader_elect_url : c->opt.source,
				       c->opt.leader_elect_name,
				       pgsource_is_url(c->opt.source));
		if (c->leader == NULL)
			return -1;
	}
	if (ctl_source_start(c) < 0)
		return -1;
	ctl_signals(c);
	ev_timer_init(&c->resync, on_resync, c->opt.resync, c->opt.resync);
	c->resync.data = c;
	ev_timer_start(c->loop, &c->resync);
	return 0;
}

static void
ctl_teardown(struct ctl *c)
{
	ev_timer_stop(c->loop, &c->resync);
	ev_signal_stop(c->loop, &c->sigterm);
	ev_signal_stop(c->loop, &c->sigint);
	ev_signal_stop(c->loop, &c->sighup);
	leader_free(c->leader);     /* the server releases the lock */
	source_free(c->source);
	if (c->pgsource != NULL)
		free(c->opt.source);      /* the copy without a password */
	pgsource_free(c->pgsource);
	regionapi_shutdown(c->regionapi);   /* no request left suspended */
	httpd_stop(c->httpd);
	regionapi_free(c->regionapi);
	/* Pending requests are dropped without callbacks; rounds that
	 * were waiting on them are freed with their entries. */
	fly_client_free(c->fly);
	webhook_free(c->webhook);    /* what was not delivered is dropped */
	store_clear(c);
	free(c->source_error);
}

int
ctl_run(const struct options *opt)
{
	struct ctl c;
	int rc = 1;

	memset(&c, 0, sizeof(c));
	c.opt = *opt;
	c.loop = EV_DEFAULT;
	/* One malloc arena (the loop is one thread; resolver threads are
	 * short-lived), and a fixed mmap threshold: glibc would otherwise
	 * raise it, and the trim threshold with it, after the first large
	 * free, and keep tens of MiB it no longer uses. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, CTL_MMAP_THRESHOLD);
	log_versions();
	if (c.opt.source == NULL) {
		log_error("no_source", "hint=%s", log_q("give --source DIR "
			  "or --source postgres://..."));
		return 2;
	}
	if (ctl_setup(&c) == 0) {
		ctl_reload(&c);
		ev_run(c.loop, 0);
		rc = 0;
	}
	ctl_teardown(&c);
	log_info("stopped", "exit=%d", rc);
	return rc;
}
