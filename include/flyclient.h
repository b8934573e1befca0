/* flyclient.h - asynchronous Fly Machines API client on libcurl multi and
 * libev, with client-side token buckets at Fly's published rates. */
#ifndef RHONE_FLYCLIENT_H
#define RHONE_FLYCLIENT_H

#include <stddef.h>

struct ev_loop;
struct fly_client;

struct fly_response {
	long status;             /* HTTP status; 0 when no complete
				    response came (error says why) */
	const char *body;        /* NUL-terminated, never NULL */
	size_t len;
	const char *request_id;  /* fly-request-id header or "" */
	const char *error;       /* transport error text or "" */
	double elapsed;          /* seconds from send to completion */
};

/* What went wrong with a call that did not succeed, for a message:
 * "503 the error Fly gave" or "no answer: the transport's error". */
void fly_failure_text(const struct fly_response *r, char *buf, size_t size);

/* Called once per request on the loop, after completion or failure. */
typedef void (*fly_done_fn)(void *arg, const struct fly_response *resp);

/* Request options. `op` names the API action (list, create, get,
 * update, start, stop, destroy, wait, lease, ...), and with `key` (the
 * app name for app-scoped actions, the machine id otherwise) selects a
 * token bucket: get 5/s burst 5, everything else 1/s burst 2 (Fly's
 * published rates, with a second's worth of burst held back: see
 * RL_SLACK_S). */
struct fly_request {
	const char *op;
	const char *key;
	const char *method;      /* GET, POST, DELETE, PATCH */
	const char *path;        /* "/v1/apps/x/machines", query included */
	const char *body;        /* JSON or NULL */
	const char *lease_nonce; /* fly-machine-lease-nonce header or NULL */
	long timeout_ms;         /* whole transfer; 0 = 30 s */
};

/* Counters for status and tests. */
struct fly_client_stats {
	unsigned long requests;      /* transfers started */
	unsigned long throttled;     /* waited for a local token */
	unsigned long status_429;
	unsigned long errors;        /* transport errors */
	size_t in_flight;
	size_t queued;
};

/* base_url has no trailing slash ("https://api.machines.dev"); token is
 * copied and sent as "Authorization: Bearer <token>" (FlyV1 for macaroon
 * tokens); it never appears in logs or errors. A scheme already in the
 * token and surrounding whitespace are dropped; an empty or NULL token
 * sends no Authorization header. NULL on failure (or a token holding
 * control bytes). */
struct fly_client *fly_client_new(struct ev_loop *loop, const char *base_url,
				  const char *token);

/* Cancel everything pending without calling callbacks, and free. Not
 * from inside a fly_done_fn. */
void fly_client_free(struct fly_client *c);

/* Queue a request; it is sent as soon as its token bucket allows. The
 * callback always runs later on the loop, never from inside this call.
 * The request's strings are copied. 0 on success, -1 on allocation
 * failure or a malformed request (op, method or path missing, path not
 * starting with '/', spaces or control bytes in a field that goes into
 * the request line or a header); no callback follows a -1. */
int fly_client_send(struct fly_client *c, const struct fly_request *req,
		    fly_done_fn done, void *arg);

void fly_client_stats(const struct fly_client *c, struct fly_client_stats *s);

/* Drop every queued and in-flight request without calling back (a
 * transfer under way is aborted); returns how many. For a controller
 * that must stop acting at once; not from inside a fly_done_fn. */
size_t fly_client_cancel_all(struct fly_client *c);

#endif
