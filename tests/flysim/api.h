/* api.h - one API call in flight, and the handlers that answer it. */
#ifndef FLYSIM_API_H
#define FLYSIM_API_H

#include <json-c/json.h>

#include "http.h"
#include "sim.h"

#define OWNER_MAX 64

struct call {
	struct sim *sim;
	struct http_req *req;
	enum op op;
	const char *app_name;	/* path parameters, or NULL */
	const char *machine_id;
	const char *key;
	struct app *app;	/* resolved from app_name */
	struct machine *m;	/* resolved from machine_id */
	json_object *body;	/* the parsed request body, or NULL */
	char owner[OWNER_MAX];	/* who is calling, for leases */
	const char *nonce;	/* fly-machine-lease-nonce, or NULL */

	int status;		/* the answer */
	json_object *out;	/* its body; NULL: empty */
	char *raw;		/* or this text, verbatim (faults) */
	char cursor[32];
};

typedef void (*handler_fn)(struct call *c);

/* Answer {"error": ..., "status": "unknown"}. */
void call_error(struct call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answer {"error": ..., "status": code}. */
void call_error_code(struct call *c, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answer with a body (owned by the call from now on). */
void call_reply(struct call *c, int status, json_object *out);

/* Parse the body: absent, or one JSON object; false after a 400/413. */
bool call_parse_body(struct call *c);

/* A query parameter, or NULL. */
const char *call_query(struct call *c, const char *key);

/* A boolean query parameter; absent means false. */
bool call_query_bool(struct call *c, const char *key);

/* machines.c: the collection and single machines */
void api_list(struct call *c);
void api_create(struct call *c);
void api_get(struct call *c);
void api_update(struct call *c);
void api_destroy(struct call *c);

/* actions.c: state changes, wait, events */
void api_start(struct call *c);
void api_stop(struct call *c);
void api_suspend(struct call *c);
void api_restart(struct call *c);
void api_cordon(struct call *c);
void api_uncordon(struct call *c);
void api_wait(struct call *c);
void api_events(struct call *c);

/* leases.c */
void api_lease_acquire(struct call *c);
void api_lease_get(struct call *c);
void api_lease_release(struct call *c);

/* metadata.c */
void api_metadata_get(struct call *c);
void api_metadata_patch(struct call *c);
void api_metadata_key_get(struct call *c);
void api_metadata_key_set(struct call *c);
void api_metadata_key_delete(struct call *c);

/* apps.c: apps and platform */
void api_regions(struct call *c);
void api_app_create(struct call *c);
void api_app_get(struct call *c);

#endif
