/* flyclient.c - Fly Machines API requests: a queue paced by token
 * buckets in front of libcurl multi (evcurl.c) on the libev loop. */
#include "flyclient.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <ev.h>

#include "evcurl.h"
#include "flymachine.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "util.h"

#ifndef RHONE_VERSION
#define RHONE_VERSION "0.1.0"
#endif

#define FC_USER_AGENT "rhone-controller/" RHONE_VERSION
#define FC_BODY_MAX ((size_t)16 << 20)
#define FC_TIMEOUT_MS 30000L
#define FC_CONNECT_TIMEOUT_MS 10000L
#define FC_REQUEST_ID_HDR "fly-request-id:"
/* Transfers handed to curl at once; the rest wait in the queue, in
 * order. As many as curl opens connections to the API, so none waits
 * inside curl, whose lists each removal walks: with thousands of
 * transfers queued there, curl_multi_remove_handle alone took a tenth
 * of the controller's time in a rollout of 100 apps. */
#define FC_MAX_FLYING EVCURL_MAX_HOST_CONNECTIONS

/* Buckets per (action, machine or app) at Fly's published rates, with
 * part of each burst held back: see RL_SLACK_S for why. */
#define FC_GET_RATE RL_FLY_GET_RATE
#define FC_GET_BURST RL_CLIENT_BURST(RL_FLY_GET_RATE, RL_FLY_GET_BURST)
#define FC_RATE RL_FLY_RATE
#define FC_BURST RL_CLIENT_BURST(RL_FLY_RATE, RL_FLY_BURST)

struct fly_call {
	struct fly_call *prev, *next;    /* in the queue or in flight */
	char *strings;                   /* one block behind the pointers */
	const char *op, *key, *method, *path, *body, *nonce, *url;
	long timeout_ms;
	fly_done_fn done;
	void *arg;
	double sent;                     /* when fly_client_send queued it */
	int throttled;                   /* counted once in stats */
	double ready_at;                 /* its bucket's next token, ev_now */
	int too_big;
	CURL *easy;
	struct curl_slist *headers;      /* holds the token: wiped on free */
	struct strbuf resp;
	char request_id[96];
	char errbuf[CURL_ERROR_SIZE];
};

struct fc_list {
	struct fly_call *head, *tail;
	size_t n;
};

struct fly_client {
	struct ev_loop *loop;
	char *base_url;
	char *auth;                      /* "Authorization: ..." or NULL */
	struct evcurl *ec;
	struct rl_table *limits;
	ev_timer pace;                   /* next look at the queue */
	struct fc_list queue;
	struct fc_list flying;
	struct fly_client_stats stats;
};

static void
fc_list_append(struct fc_list *l, struct fly_call *call)
{
	call->next = NULL;
	call->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = call;
	else
		l->head = call;
	l->tail = call;
	l->n++;
}

static void
fc_list_remove(struct fc_list *l, struct fly_call *call)
{
	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		l->head = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	else
		l->tail = call->prev;
	call->prev = call->next = NULL;
	l->n--;
}

static void
fc_wipe_headers(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static void
fc_call_free(struct fly_call *call)
{
	if (call->easy != NULL)
		curl_easy_cleanup(call->easy);
	fc_wipe_headers(call->headers);
	sb_free(&call->resp);
	free(call->strings);
	free(call);
}

/* Bytes that could end a header line or break a log line are refused. */
static int
fc_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	}
	return 1;
}

static int
fc_request_valid(const struct fly_request *req)
{
	if (req == NULL || req->op == NULL || req->method == NULL ||
	    req->path == NULL)
		return 0;
	if (req->op[0] == '\0' || req->method[0] == '\0' ||
	    req->path[0] != '/')
		return 0;
	return fc_clean(req->op) && fc_clean(req->key) &&
	       fc_clean(req->method) && fc_clean(req->path) &&
	       fc_clean(req->lease_nonce);
}

/* Copy what the request points at into one block the call owns; the
 * caller's strings need not outlive fly_client_send. */
static int
fc_call_strings(struct fly_call *call, const char *base,
		const struct fly_request *req)
{
	const char *src[] = { req->op, req->key ? req->key : "",
			      req->method, req->path, req->body,
			      req->lease_nonce };
	const char **dst[] = { &call->op, &call->key, &call->method,
			       &call->path, &call->body, &call->nonce };
	size_t i, total = strlen(base) + strlen(req->path) + 1;
	char *p;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		total += src[i] ? strlen(src[i]) + 1 : 0;
	p = call->strings = malloc(total);
	if (p == NULL)
		return -1;
	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		*dst[i] = NULL;
		if (src[i] != NULL) {
			size_t n = strlen(src[i]) + 1;
			*dst[i] = memcpy(p, src[i], n);
			p += n;
		}
	}
	call->url = p;
	memcpy(p, base, strlen(base));
	memcpy(p + strlen(base), req->path, strlen(req->path) + 1);
	return 0;
}

/* Look at the queue on the next loop iteration, or after `after`
 * seconds when every queued request waits for a token. */
static void
fc_arm(struct fly_client *c, double after)
{
	ev_timer_stop(c->loop, &c->pace);
	ev_timer_set(&c->pace, after, 0.);
	ev_timer_start(c->loop, &c->pace);
}

int
fly_client_send(struct fly_client *c, const struct fly_request *req,
		fly_done_fn done, void *arg)
{
	struct fly_call *call;

	if (!fc_request_valid(req) || done == NULL)
		return -1;
	call = calloc(1, sizeof(*call));
	if (call == NULL)
		return -1;
	if (fc_call_strings(call, c->base_url, req) < 0) {
		free(call);
		return -1;
	}
	call->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms
					       : FC_TIMEOUT_MS;
	call->done = done;
	call->arg = arg;
	call->sent = ev_time();
	sb_init(&call->resp);
	fc_list_append(&c->queue, call);
	fc_arm(c, 0);
	return 0;
}

static size_t
fc_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fly_call *call = userdata;
	size_t n = size * nmemb;

	if (n > FC_BODY_MAX - call->resp.len) {
		call->too_big = 1;
		return 0;                /* aborts with CURLE_WRITE_ERROR */
	}
	sb_append(&call->resp, ptr, n);
	return call->resp.failed ? 0 : n;
}

/* Keep fly-request-id for logs and errors; it is printed unquoted, so
 * anything but visible ASCII becomes '_'. */
static size_t
fc_header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct fly_call *call = userdata;
	size_t n = size * nitems, k = strlen(FC_REQUEST_ID_HDR), i = 0;
	const char *v, *end;

	if (n < k || strncasecmp(buf, FC_REQUEST_ID_HDR, k) != 0)
		return n;
	v = buf + k;
	end = buf + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	for (; v < end && i < sizeof(call->request_id) - 1; v++, i++) {
		int ok = *v > ' ' && *v < 0x7f && *v != '"' && *v != '\\';
		call->request_id[i] = ok ? *v : '_';
	}
	call->request_id[i] = '\0';
	return n;
}

static int
fc_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (l == NULL)
		return -1;
	*list = l;
	return 0;
}

/* Content-Type only with a body; the empty forms stop curl from adding
 * its form default to a bodiless POST and from waiting on
 * "Expect: 100-continue" with a large one. */
static int
fc_headers(const struct fly_client *c, struct fly_call *call)
{
	struct curl_slist **h = &call->headers;
	char nonce[256];
	int bad = 0;

	if (c->auth != NULL)
		bad |= fc_header(h, c->auth);
	bad |= fc_header(h, "Accept: application/json");
	bad |= fc_header(h, call->body ? "Content-Type: application/json"
				       : "Content-Type:");
	bad |= fc_header(h, "Expect:");
	if (call->nonce != NULL) {
		if ((size_t)snprintf(nonce, sizeof(nonce),
				     "fly-machine-lease-nonce: %s",
				     call->nonce) >= sizeof(nonce))
			return -1;
		bad |= fc_header(h, nonce);
	}
	return bad ? -1 : 0;
}

static int
fc_method(CURL *e, const struct fly_call *call)
{
	int bad = 0;

	if (strcmp(call->method, "GET") == 0)
		bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	else if (strcmp(call->method, "POST") == 0)
		bad |= curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK;
	else
		bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
					call->method) != CURLE_OK;
	/* libcurl silently sends a request again when a reused connection
	 * closes before any answer. The server may have acted on the first
	 * copy, and a second create is a duplicate machine, a second lease
	 * request a 409 from ourselves, a second update one more restart.
	 * Those get a connection of their own, so a lost answer reaches the
	 * caller, who lists before retrying. Stops, starts and lease
	 * refreshes (with the nonce) are safe to repeat and keep reusing
	 * connections: a rollout of thousands of machines would otherwise
	 * open a connection per call. */
	if (strcmp(call->method, "POST") == 0 &&
	    (strcmp(call->op, "create") == 0 ||
	     strcmp(call->op, "update") == 0 ||
	     (strcmp(call->op, "lease") == 0 && call->nonce == NULL)))
		bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) !=
		       CURLE_OK;
	if (call->body != NULL || strcmp(call->method, "POST") == 0) {
		const char *body = call->body ? call->body : "";
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
					(long)strlen(body)) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) !=
		       CURLE_OK;
	}
	return bad ? -1 : 0;
}

/* No CURLOPT_VERBOSE, ever: it would print the Authorization header. */
static int
fc_options(CURL *e, struct fly_call *call)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, call->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, call) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, FC_USER_AGENT) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				FC_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fc_write_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, call) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fc_header_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, call) != CURLE_OK;
	return bad ? -1 : fc_method(e, call);
}

static int
fc_start(struct fly_client *c, struct fly_call *call)
{
	call->easy = curl_easy_init();
	if (call->easy == NULL || fc_headers(c, call) < 0 ||
	    fc_options(call->easy, call) < 0 ||
	    evcurl_add(c->ec, call->easy) < 0) {
		util_strlcpy(call->errbuf, "cannot set up the transfer",
			     sizeof(call->errbuf));
		return -1;
	}
	c->stats.requests++;
	return 0;
}

static const char *
fc_error_text(const struct fly_call *call, CURLcode result)
{
	if (call->too_big)
		return "response body over 16 MiB";
	if (call->resp.failed)
		return "out of memory for the response body";
	if (result == CURLE_OK)
		return "";
	return call->errbuf[0] ? call->errbuf : curl_easy_strerror(result);
}

static void
fc_log(const struct fly_call *call, const struct fly_response *r)
{
	if (r->error[0] != '\0')
		log_warn("fly_request_failed",
			 "op=%s key=%s method=%s path=%s error=%s "
			 "elapsed=%.3f", call->op, call->key, call->method,
			 log_q(call->path), log_q(r->error), r->elapsed);
	else
		log_debug("fly_request",
			  "op=%s key=%s method=%s path=%s status=%ld "
			  "request_id=%s elapsed=%.3f", call->op, call->key,
			  call->method, log_q(call->path), r->status,
			  r->request_id[0] ? r->request_id : "-",
			  r->elapsed);
}

/* Report a call that is in no list any more, then free it. A failed
 * transfer reports status 0 and no body even if some of it arrived. */
static void
fc_finish(struct fly_client *c, struct fly_call *call, CURLcode result)
{
	struct fly_response r;
	long status = 0;

	memset(&r, 0, sizeof(r));
	r.error = fc_error_text(call, result);
	if (r.error[0] == '\0')
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	r.status = status;
	r.body = r.error[0] == '\0' && call->resp.buf ? call->resp.buf : "";
	r.len = r.error[0] == '\0' ? call->resp.len : 0;
	r.request_id = call->request_id;
	r.elapsed = ev_time() - call->sent;
	if (r.error[0] != '\0')
		c->stats.errors++;
	if (status == 429)
		c->stats.status_429++;
	fc_log(call, &r);
	metrics_fly_request(call->op, status, r.elapsed, r.error);
	call->done(call->arg, &r);
	fc_call_free(call);
}

static void
fc_transfer_done(void *arg, CURL *easy, CURLcode result)
{
	struct fly_client *c = arg;
	void *priv = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if (priv == NULL)
		return;
	fc_list_remove(&c->flying, priv);
	/* a slot is free for a call that waited for one */
	if (c->flying.n == FC_MAX_FLYING - 1 && c->queue.n > 0)
		fc_arm(c, 0);
	fc_finish(c, priv, result);
}

/* Take a token for a queued call and start it; the seconds to wait
 * when its bucket is empty, else 0. Calls that cannot start go to
 * `failed` so their callbacks run after the queue walk. */
static double
fc_try_start(struct fly_client *c, struct fly_call *call, double now,
	     struct fc_list *failed)
{
	int get;
	double wait;

	/* a call still waiting for its token is skipped without a look at
	 * its bucket: the walk passes thousands of them in a large rollout */
	if (call->ready_at > now)
		return call->ready_at - now;
	get = strcmp(call->op, "get") == 0;
	if (rl_table_take(c->limits, call->op, call->key,
			  get ? FC_GET_RATE : FC_RATE,
			  get ? FC_GET_BURST : FC_BURST, now, &wait) < 0) {
		util_strlcpy(call->errbuf, "out of memory for rate limits",
			     sizeof(call->errbuf));
		wait = 0;
	} else if (wait > 0) {
		if (!call->throttled)
			c->stats.throttled++;
		call->throttled = 1;
		call->ready_at = now + wait;
		return wait;
	}
	fc_list_remove(&c->queue, call);
	if (call->errbuf[0] == '\0' && fc_start(c, call) == 0)
		fc_list_append(&c->flying, call);
	else
		fc_list_append(failed, call);
	return 0;
}

/* Start every queued call whose bucket has a token, in queue order, so
 * calls sharing a bucket keep their order; then sleep until the first
 * waiting bucket refills. */
static void
fc_pace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fly_client *c = w->data;
	struct fc_list failed = { NULL, NULL, 0 };
	struct fly_call *call, *next;
	double now = ev_now(loop), soonest = 0, wait;

	(void)revents;
	for (call = c->queue.head; call != NULL; call = next) {
		next = call->next;
		if (c->flying.n >= FC_MAX_FLYING)
			break;           /* fc_transfer_done calls again */
		wait = fc_try_start(c, call, now, &failed);
		if (wait > 0 && (soonest == 0 || wait < soonest))
			soonest = wait;
	}
	if (soonest > 0)
		fc_arm(c, soonest);
	while ((call = failed.head) != NULL) {
		fc_list_remove(&failed, call);
		fc_finish(c, call, CURLE_FAILED_INIT);
	}
}

/* fly-go's rule: tokens whose prefix before '_' is fm1r, fm1a or fm2
 * are macaroons and use Fly's own scheme. */
static int
fc_macaroon(const char *t)
{
	static const char *const prefixes[] = { "fm1r_", "fm1a_", "fm2_" };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(t, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	}
	return 0;
}

/* Build the Authorization line once. A token read from a file may end
 * in a newline or already carry its scheme; both are dropped. One exact
 * allocation, so no stray copy of the secret is left behind. */
static int
fc_auth(struct fly_client *c, const char *token)
{
	const char *t = token, *end, *scheme;
	size_t n;

	while (t != NULL && isspace((unsigned char)*t))
		t++;
	if (t != NULL && strncasecmp(t, "Bearer ", 7) == 0)
		t += 7;
	else if (t != NULL && strncasecmp(t, "FlyV1 ", 6) == 0)
		t += 6;
	if (t == NULL || *t == '\0')
		return 0;                /* no token: no header */
	end = t + strlen(t);
	while (end > t && isspace((unsigned char)end[-1]))
		end--;
	for (n = 0; t + n < end; n++)
		if ((unsigned char)t[n] < ' ' || t[n] == 0x7f)
			return -1;
	scheme = fc_macaroon(t) ? "FlyV1" : "Bearer";
	n = strlen("Authorization: ") + strlen(scheme) + 1 +
	    (size_t)(end - t) + 1;
	if ((c->auth = malloc(n)) == NULL)
		return -1;
	snprintf(c->auth, n, "Authorization: %s %.*s", scheme,
		 (int)(end - t), t);
	return 0;
}

/* A trailing slash would double the one every path starts with. */
static char *
fc_base_url(const char *url)
{
	size_t n;
	char *s;

	if (url == NULL || *url == '\0')
		return NULL;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, url, n);
	s[n] = '\0';
	return s;
}

struct fly_client *
fly_client_new(struct ev_loop *loop, const char *base_url, const char *token)
{
	struct fly_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->loop = loop;
	ev_timer_init(&c->pace, fc_pace_cb, 0., 0.);
	c->pace.data = c;
	c->base_url = fc_base_url(base_url);
	c->limits = rl_table_new();
	c->ec = evcurl_new(loop, fc_transfer_done, c);
	if (c->base_url == NULL || c->limits == NULL || c->ec == NULL ||
	    fc_auth(c, token) < 0) {
		fly_client_free(c);
		return NULL;
	}
	return c;
}

static void
fc_drop_all(struct fly_client *c, struct fc_list *l)
{
	struct fly_call *call;

	while ((call = l->head) != NULL) {
		fc_list_remove(l, call);
		if (call->easy != NULL && c->ec != NULL)
			evcurl_remove(c->ec, call->easy);
		fc_call_free(call);
	}
}

/* Not from inside a fly_done_fn: the caller's loop frees the client at
 * shutdown, after its last callback has returned. */
void
fly_client_free(struct fly_client *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->loop, &c->pace);
	fc_drop_all(c, &c->flying);
	fc_drop_all(c, &c->queue);
	evcurl_free(c->ec);
	rl_table_free(c->limits);
	free(c->base_url);
	if (c->auth != NULL) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c);
}

size_t
fly_client_cancel_all(struct fly_client *c)
{
	size_t n;

	if (c == NULL)
		return 0;
	n = c->flying.n + c->queue.n;
	ev_timer_stop(c->loop, &c->pace);
	fc_drop_all(c, &c->flying);
	fc_drop_all(c, &c->queue);
	return n;
}

void
fly_client_stats(const struct fly_client *c, struct fly_client_stats *s)
{
	*s = c->stats;
	s->in_flight = c->flying.n;
	s->queued = c->queue.n;
}

void
fly_failure_text(const struct fly_response *r, char *buf, size_t size)
{
	char err[192];

	if (r->status == 0) {
		snprintf(buf, size, "no answer: %s", r->error);
		return;
	}
	fly_error_message(r->body, r->len, err, sizeof(err));
	snprintf(buf, size, "%ld %s", r->status, err);
}
