/* httpd.c - the status server. libmicrohttpd runs in external-epoll mode:
 * its epoll fd is one ev_io and its timeout one ev_timer on our loop, so
 * a request is served between two API callbacks and never blocks them.
 * Handlers only copy precomputed snapshots; the region API (DB mode,
 * regionapi.c) answers from the database instead, its connection
 * suspended until the answer is there. */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <ev.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "controller.h"
#include "dashboard.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "regionapi.h"
#include "status.h"
#include "util.h"

#define HTTPD_MAX_CONNECTIONS 64
#define HTTPD_CONN_TIMEOUT 10           /* seconds per connection */
#define HTTPD_CONN_MEMORY (32 * 1024)   /* request headers and buffers */

struct httpd {
	struct ctl *ctl;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer timer;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int code, const char *type,
      char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_error(struct MHD_Connection *conn, unsigned int code, const char *msg)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "{\"error\":");
	sb_json_string(&sb, msg);
	sb_printf(&sb, ",\"code\":%u}\n", code);
	return reply(conn, code, "application/json", sb_steal(&sb));
}

/* Why the controller is not ready, or NULL when it is: a good desired
 * state must be in force and the Fly API must have answered its last
 * call (an HTTP status of any kind; a transport error or timeout is
 * "unreachable"). */
static const char *
not_ready(const struct ctl *c, char *msg, size_t size)
{
	struct metrics_api_state api;

	metrics_api_state(&api);
	if (!c->loaded) {
		snprintf(msg, size, "no good desired state loaded yet%s%s",
			 c->source_error ? ": " : "",
			 c->source_error ? c->source_error : "");
		return "NotLoaded";
	}
	if (c->source_failed) {
		snprintf(msg, size, "the latest source load failed: %s",
			 c->source_error ? c->source_error : "?");
		return "SourceFailed";
	}
	/* A standby makes no Fly calls: it is ready when it could take
	 * over, so that a rolling update or a drain is not held up by it. */
	if (!leader_acting(c->leader))
		return leader_standby_not_ready(c->leader, msg, size);
	if (!api.answered) {
		snprintf(msg, size, "no answer from the Fly API yet");
		return "ApiPending";
	}
	if (api.status == 0) {
		snprintf(msg, size, "the Fly API did not answer: %s",
			 api.error);
		return "ApiUnreachable";
	}
	return NULL;
}

static enum MHD_Result
reply_ready(struct httpd *h, struct MHD_Connection *conn)
{
	char msg[512];
	const char *reason = not_ready(h->ctl, msg, sizeof(msg));
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "{\"ready\":%s", reason ? "false" : "true");
	if (h->ctl->leader != NULL)
		sb_printf(&sb, ",\"role\":\"%s\"",
			  leader_role(h->ctl->leader));
	if (reason == NULL) {
		sb_puts(&sb, "}\n");
		return reply(conn, 200, "application/json", sb_steal(&sb));
	}
	sb_printf(&sb, ",\"reason\":\"%s\",\"message\":", reason);
	sb_json_string(&sb, msg);
	sb_puts(&sb, "}\n");
	return reply(conn, 503, "application/json", sb_steal(&sb));
}

/* The dashboard: one page with everything inline, allowed to talk to
 * this server only, never framed by another site. */
static enum MHD_Result
reply_dashboard(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	const char *page = dashboard_page(&len);
	char *copy = malloc(len);

	if (copy == NULL)
		return MHD_NO;
	memcpy(copy, page, len);
	r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; "
		"style-src 'unsafe-inline'; connect-src 'self'; "
		"img-src data:; frame-ancestors 'none'; base-uri 'none'; "
		"form-action 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
route(struct httpd *h, struct MHD_Connection *conn, const char *url)
{
	struct strbuf sb;

	sb_init(&sb);
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return reply_dashboard(conn);
	if (strcmp(url, "/catalog.json") == 0) {
		dashboard_catalog(&sb);
		return reply(conn, 200, "application/json", sb_steal(&sb));
	}
	if (strcmp(url, "/healthz") == 0)
		return reply(conn, 200, "text/plain", strdup("ok\n"));
	if (strcmp(url, "/readyz") == 0)
		return reply_ready(h, conn);
	if (strcmp(url, "/metrics") == 0) {
		metrics_render(h->ctl, &sb);
		return reply(conn, 200, "text/plain; version=0.0.4; "
			     "charset=utf-8", sb_steal(&sb));
	}
	if (strcmp(url, "/status") == 0 || strcmp(url, "/status/") == 0) {
		status_render_list(h->ctl, &sb);
		return reply(conn, 200, "application/json", sb_steal(&sb));
	}
	if (strncmp(url, "/status/", 8) == 0) {
		char name[RS_NAME_MAX + 1];
		size_t n = strcspn(url + 8, "/");
		/* "/status/NAME/" names the same set, as in kubectl. */
		if (n < sizeof(name) && url[8 + n + (url[8 + n] == '/')] ==
		    '\0') {
			memcpy(name, url + 8, n);
			name[n] = '\0';
		} else {
			name[0] = '\0';
		}
		if (name[0] != '\0' &&
		    status_render_one(h->ctl, name, &sb) == 0)
			return reply(conn, 200, "application/json",
				     sb_steal(&sb));
		sb_free(&sb);
		return reply_error(conn, 404, "no such RegionSet");
	}
	return reply_error(conn, 404, "not found");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **state)
{
	struct httpd *h = cls;

	(void)version;
	/* The region API (DB mode) takes bodies and answers later. */
	if (h->ctl->regionapi != NULL && regionapi_owns(url))
		return regionapi_request(h->ctl->regionapi, conn, url, method,
					 upload, upload_size, state);
	if (*state == NULL) {
		/* First call: headers only; answer on the next one. */
		*state = conn;
		return MHD_YES;
	}
	if (*upload_size != 0)
		return reply_error(conn, 413, "request bodies are not "
				   "accepted");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_error(conn, 405, "method not allowed");
	return route(cls, conn, url);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **state,
	     enum MHD_RequestTerminationCode why)
{
	struct httpd *h = cls;

	(void)conn;
	(void)why;
	regionapi_completed(h->ctl->regionapi, state);
}

static void httpd_arm(struct httpd *h);

static void
httpd_run(struct httpd *h)
{
	MHD_run(h->d);
	httpd_arm(h);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	httpd_run(w->data);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	httpd_run(w->data);
}

static void
httpd_arm(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(h->ctl->loop, &h->timer);
	if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
		ev_timer_set(&h->timer, ms / 1000.0, 0);
		ev_timer_start(h->ctl->loop, &h->timer);
	}
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	long port;

	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
	    util_parse_long(colon + 1, 0, 65535, &port) < 0)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

/* libmicrohttpd's own messages ("Failed to bind to port 9090: Address
 * already in use") become log lines like every other, one per message. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("httpd_error", "error=%s", log_q(msg));
}

struct httpd *
httpd_start(struct ctl *c, const char *listen)
{
	struct sockaddr_in sa;
	struct httpd *h;
	const union MHD_DaemonInfo *info;

	if (parse_listen(listen, &sa) < 0) {
		log_error("listen_invalid", "listen=%s", listen);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->ctl = c;
	/* the port argument is used only in libmicrohttpd's messages when
	 * the address is given whole, so that they name the right one */
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME, ntohs(sa.sin_port), NULL, NULL,
		on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_CONN_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONN_MEMORY,
		MHD_OPTION_END);
	info = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) :
	       NULL;
	if (info == NULL) {
		log_error("listen_failed", "listen=%s error=%s", listen,
			  log_q(strerror(errno)));
		if (h->d != NULL)
			MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	ev_io_init(&h->io, on_io, info->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(c->loop, &h->io);
	ev_timer_init(&h->timer, on_timer, 0, 0);
	h->timer.data = h;
	httpd_arm(h);
	log_info("status_server_listening", "listen=%s", listen);
	return h;
}

void
httpd_kick(struct httpd *h)
{
	if (h == NULL)
		return;
	ev_timer_stop(h->ctl->loop, &h->timer);
	ev_timer_set(&h->timer, 0, 0);
	ev_timer_start(h->ctl->loop, &h->timer);
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	ev_io_stop(h->ctl->loop, &h->io);
	ev_timer_stop(h->ctl->loop, &h->timer);
	MHD_stop_daemon(h->d);
	free(h);
}
