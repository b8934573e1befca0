/* http.c - the HTTP server (libmicrohttpd, a thread per connection). */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"
#include "router.h"
#include "sim.h"
#include "simutil.h"

#define CONNECTION_LIMIT 1000
#define IDLE_TIMEOUT 300	/* seconds */

const char *
http_query(struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    key);
}

const char *
http_header(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct each_ctx {
	void (*fn)(void *cls, const char *key, const char *val);
	void *cls;
};

static enum MHD_Result
each_value(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *val)
{
	struct each_ctx *ctx = cls;

	(void)kind;
	ctx->fn(ctx->cls, key, val);
	return MHD_YES;
}

void
http_query_each(struct http_req *req,
    void (*fn)(void *cls, const char *key, const char *val), void *cls)
{
	struct each_ctx ctx = { fn, cls };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
	    each_value, &ctx);
}

static struct http_req *
new_req(struct sim *sim, struct MHD_Connection *conn, const char *url,
    const char *method)
{
	struct http_req *req = xmalloc(sizeof(*req));
	size_t n;

	req->conn = conn;
	req->method = method;
	req->path = xstrdup(url);
	n = strlen(req->path);
	while (n > 1 && req->path[n - 1] == '/')
		req->path[--n] = '\0';
	req->started = now_mono();
	sim_request_id(sim, req->request_id, sizeof(req->request_id));
	return req;
}

static void
append_body(struct http_req *req, const char *data, size_t n)
{
	if (req->too_big)
		return;
	if (req->len + n > BODY_MAX) {
		req->too_big = true;
		return;
	}
	if (req->len + n + 1 > req->cap) {
		req->cap = (req->len + n + 1) * 2;
		req->body = xrealloc(req->body, req->cap);
	}
	memcpy(req->body + req->len, data, n);
	req->len += n;
	req->body[req->len] = '\0';
}

/* One line per request; never a header, so never a token. */
static void
log_request(const struct http_req *req, const struct http_resp *resp)
{
	fprintf(stderr, "flysim: method=%s path=%s status=%d op=%s "
	    "request_id=%s ms=%.1f%s\n", req->method, req->path,
	    resp->status, op_name(resp->op), req->request_id,
	    (now_mono() - req->started) * 1000.0,
	    resp->drop ? " dropped=1" : "");
}

static enum MHD_Result
send_resp(struct http_req *req, struct http_resp *resp)
{
	struct MHD_Response *r;
	size_t len = resp->body ? strlen(resp->body) : 0;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, resp->body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(resp->body);
		return MHD_NO;
	}
	resp->body = NULL;
	if (len > 0)
		MHD_add_response_header(r, "Content-Type",
		    "application/json; charset=utf-8");
	MHD_add_response_header(r, "fly-request-id", req->request_id);
	if (resp->cursor[0] != '\0')
		MHD_add_response_header(r, "fly-next-cursor", resp->cursor);
	ret = MHD_queue_response(req->conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
answer(struct sim *sim, struct http_req *req)
{
	struct http_resp resp = { 0 };

	resp.op = OP_NONE;
	router_handle(sim, req, &resp);
	log_request(req, &resp);
	if (resp.drop) {
		free(resp.body);
		return MHD_NO;
	}
	return send_resp(req, &resp);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct sim *sim = cls;
	struct http_req *req = *con_cls;

	(void)version;
	if (req == NULL) {
		*con_cls = new_req(sim, conn, url, method);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		append_body(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(sim, req);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct http_req *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (req == NULL)
		return;
	free(req->path);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

/* "HOST:PORT" or "[V6]:PORT" into an address to bind. */
static struct addrinfo *
resolve_listen(const char *listen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = { 0 }, *res = NULL;
	size_t n;
	int err;

	if (colon == NULL || (n = (size_t)(colon - listen)) >= sizeof(host))
		return NULL;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	err = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (err != 0) {
		fprintf(stderr, "flysim: cannot resolve %s: %s\n", listen,
		    gai_strerror(err));
		return NULL;
	}
	return res;
}

/* libmicrohttpd's own messages, marked as such; they end in '\n'. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "flysim: libmicrohttpd: %s", msg);
}

struct MHD_Daemon *
http_start(struct sim *sim, const char *listen)
{
	struct addrinfo *ai = resolve_listen(listen);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;

	if (ai == NULL)
		return NULL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The logger goes first so that every message reaches it. No
	 * SO_REUSEPORT: a second flysim on a port in use must fail, not
	 * share the port and split the requests between two tables. */
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sim,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (d == NULL)
		fprintf(stderr, "flysim: cannot listen on %s\n", listen);
	return d;
}

int
http_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : -1;
}

void
http_stop(struct MHD_Daemon *d)
{
	MHD_stop_daemon(d);
}
