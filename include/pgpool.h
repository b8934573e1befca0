/* pgpool.h - a few libpq connections driven by the libev loop, for one
 * statement at a time each: a query waits in a queue for a free
 * connection, runs non-blocking, and its outcome comes back through a
 * callback. Nothing here waits on the network. */
#ifndef RHONE_PGPOOL_H
#define RHONE_PGPOOL_H

#include <libpq-fe.h>

struct ev_loop;
struct pgpool;
struct pgpool_query;

/* The outcome of one statement: res is its last result (rows or a
 * command's), or NULL with err saying why (a server error, a timeout,
 * the database being unreachable). res belongs to the pool and is
 * cleared after the callback returns. */
typedef void (*pgpool_fn)(void *arg, const PGresult *res, const char *err);

/* Up to size connections to url, opened when first needed. `shown` is
 * the url without a password, for log lines. NULL on failure. */
struct pgpool *pgpool_new(struct ev_loop *loop, const char *url,
			  const char *shown, int size);

/* Queue sql with nparams text parameters (a NULL one is SQL NULL; all
 * are copied). fn is called exactly once, later, from the loop, unless
 * the query is cancelled first. NULL (and no callback) when the
 * database was found unreachable moments ago or memory ran out. */
struct pgpool_query *pgpool_query(struct pgpool *p, const char *sql,
				  int nparams, const char *const *params,
				  pgpool_fn fn, void *arg);

/* Forget q: its callback will not be called. */
void pgpool_cancel(struct pgpool_query *q);

/* Close every connection; queued queries are dropped without
 * callbacks. */
void pgpool_free(struct pgpool *p);

#endif
