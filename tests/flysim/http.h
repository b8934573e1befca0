/* http.h - the HTTP server (libmicrohttpd, a thread per connection). */
#ifndef FLYSIM_HTTP_H
#define FLYSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "stats.h"

struct MHD_Connection;
struct MHD_Daemon;
struct sim;

#define BODY_MAX (1024 * 1024)

struct http_req {
	struct MHD_Connection *conn;
	const char *method;
	char *path;		/* decoded, without the query */
	char *body;		/* NUL-terminated */
	size_t len;
	size_t cap;
	bool too_big;
	char request_id[40];
	double started;		/* monotonic */
};

struct http_resp {
	int status;
	char *body;		/* JSON text to send, or NULL */
	char cursor[32];	/* fly-next-cursor, when not empty */
	bool drop;		/* close without answering */
	enum op op;		/* for the log line */
};

/* A query parameter, or NULL. */
const char *http_query(struct http_req *req, const char *key);

/* A request header (case-insensitive name), or NULL. */
const char *http_header(struct http_req *req, const char *name);

/* Call fn for every query parameter, repeated ones included. */
void http_query_each(struct http_req *req,
    void (*fn)(void *cls, const char *key, const char *val), void *cls);

/* Serve on listen (HOST:PORT); NULL after saying why on stderr. */
struct MHD_Daemon *http_start(struct sim *sim, const char *listen);

/* The port actually bound (useful with port 0). */
int http_port(struct MHD_Daemon *d);

/* Stop serving; waits for request threads to return. */
void http_stop(struct MHD_Daemon *d);

#endif
