/* pgpool.c - a small pool of non-blocking libpq connections on the loop.
 * Each connection runs one statement at a time: PQsendQueryParams, then
 * an ev_io on its socket until every result is in. Connections open on
 * demand (PQconnectStart and PQconnectPoll, each wait an ev_io) and stay
 * open while the server keeps them. When connecting fails and no other
 * connection is up, the queries waiting are failed at once and new ones
 * are refused for a while (growing up to PGP_BACKOFF_MAX), so a caller
 * answers quickly instead of piling up work for a database that is not
 * there. Every query has one deadline covering its wait and its run. */
#include "pgpool.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgconn.h"

#define PGP_CONNECT_TIMEOUT 5.0
#define PGP_QUERY_TIMEOUT 10.0
#define PGP_BACKOFF_MIN 0.25
#define PGP_BACKOFF_MAX 8.0
#define PGP_SIZE_MAX 16

struct pgp_conn {
	struct pgpool *pool;
	struct pgconn pc;
	struct pgpool_query *q;    /* the statement under way */
};

struct pgpool_query {
	struct pgpool *pool;
	struct pgpool_query *next; /* in the wait queue */
	struct pgp_conn *conn;     /* running on; NULL while waiting */
	char *sql;
	int nparams;
	char **params;
	pgpool_fn fn;
	void *arg;
	int cancelled;
	ev_timer deadline;
};

struct pgpool {
	struct ev_loop *loop;
	char *url;
	char *shown;
	int size;
	struct pgp_conn conns[PGP_SIZE_MAX];
	struct pgpool_query *head, *tail;
	ev_timer kick;             /* dispatch from the loop, not inline */
	double down_until;         /* refuse queries until then */
	double backoff;
	int down_logged;
};

static void pgp_dispatch(struct pgpool *p);

static void
pgp_query_free(struct pgpool_query *q)
{
	int i;

	ev_timer_stop(q->pool->loop, &q->deadline);
	for (i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

/* Hand the outcome over (unless cancelled) and free q. */
static void
pgp_finish(struct pgpool_query *q, const PGresult *res, const char *err)
{
	ev_timer_stop(q->pool->loop, &q->deadline);
	if (!q->cancelled)
		q->fn(q->arg, res, err);
	pgp_query_free(q);
}

static void
pgp_unqueue(struct pgpool *p, struct pgpool_query *q)
{
	struct pgpool_query **pp;

	for (pp = &p->head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp != q)
			continue;
		*pp = q->next;
		if (p->tail == q) {
			p->tail = NULL;
			for (q = p->head; q != NULL; q = q->next)
				p->tail = q;
		}
		return;
	}
}

static int
pgp_alive(const struct pgpool *p)
{
	int i;

	for (i = 0; i < p->size; i++)
		if (p->conns[i].pc.state != PGCONN_DOWN)
			return 1;
	return 0;
}

/* No connection can be had: every waiting query fails now. */
static void
pgp_fail_waiting(struct pgpool *p, const char *why)
{
	struct pgpool_query *q;

	while ((q = p->head) != NULL) {
		p->head = q->next;
		if (p->head == NULL)
			p->tail = NULL;
		pgp_finish(q, NULL, why);
	}
}

/* The connection broke or could not be made: the statement on it fails,
 * and a failed connect holds new queries back for a while. One that the
 * server closed while unused is opened again on demand, without holding
 * queries back. */
static void
pgp_failed(void *arg, const char *why, enum pgconn_state was)
{
	struct pgp_conn *c = arg;
	struct pgpool *p = c->pool;
	struct pgpool_query *q = c->q;
	char msg[512];

	if (was == PGCONN_IDLE) {
		log_debug("api_db_closed", "source=%s", p->shown);
		return;
	}
	snprintf(msg, sizeof(msg), "database unavailable: %s", why);
	c->q = NULL;
	if (was == PGCONN_CONNECTING) {
		p->down_until = ev_now(p->loop) + p->backoff;
		p->backoff = p->backoff * 2 > PGP_BACKOFF_MAX ?
			     PGP_BACKOFF_MAX : p->backoff * 2;
		if (!p->down_logged)
			log_warn("api_db_unavailable", "source=%s error=%s",
				 p->shown, log_q(msg));
		p->down_logged = 1;
	}
	if (q != NULL)
		pgp_finish(q, NULL, msg);
	if (!pgp_alive(p) && ev_now(p->loop) < p->down_until)
		pgp_fail_waiting(p, msg);
	pgp_dispatch(p);
}

static void
pgp_send(struct pgp_conn *c, struct pgpool_query *q)
{
	struct pgpool *p = c->pool;

	c->q = q;
	q->conn = c;
	if (pgconn_send(&c->pc, q->sql, q->nparams,
			(const char *const *)q->params) < 0) {
		/* The idle connection was gone: wait for the next one. */
		c->q = NULL;
		q->conn = NULL;
		q->next = p->head;
		p->head = q;
		if (p->tail == NULL)
			p->tail = q;
		pgconn_fail(&c->pc, "sending");
	}
}

static void
pgp_connected(void *arg)
{
	struct pgp_conn *c = arg;
	struct pgpool *p = c->pool;

	if (p->down_logged)
		log_info("api_db_available", "source=%s", p->shown);
	p->down_logged = 0;
	p->down_until = 0;
	p->backoff = PGP_BACKOFF_MIN;
	pgp_dispatch(p);
}

/* Every result is in: the connection is free before the callback runs,
 * so the callback may queue its next statement. */
static void
pgp_done(void *arg, const PGresult *res, const char *err)
{
	struct pgp_conn *c = arg;
	struct pgpool_query *q = c->q;

	c->q = NULL;
	if (q != NULL)
		pgp_finish(q, err ? NULL : res, err);
	pgp_dispatch(c->pool);
}

/* Server notices (say, at shutdown) are dropped: no ops->notice. */
static const struct pgconn_ops pgp_ops = {
	.connected = pgp_connected,
	.done = pgp_done,
	.failed = pgp_failed,
};

/* The query waited or ran too long. A running one takes its connection
 * with it: the server may still be busy with it. */
static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgpool_query *q = w->data;
	struct pgpool *p = q->pool;
	struct pgp_conn *c = q->conn;

	(void)loop;
	(void)revents;
	if (c == NULL) {
		pgp_unqueue(p, q);
		pgp_finish(q, NULL, "database query timed out");
		return;
	}
	c->q = NULL;
	pgconn_close(&c->pc);
	pgp_finish(q, NULL, "database query timed out");
	pgp_dispatch(p);
}

/* Start waiting queries on idle connections; open more connections
 * while queries outnumber the ones opening. */
static void
pgp_dispatch(struct pgpool *p)
{
	int i, waiting = 0, opening = 0;
	struct pgpool_query *q;

	while (p->head != NULL) {
		for (i = 0; i < p->size; i++)
			if (p->conns[i].pc.state == PGCONN_IDLE)
				break;
		if (i == p->size)
			break;
		q = p->head;
		p->head = q->next;
		if (p->head == NULL)
			p->tail = NULL;
		q->next = NULL;
		pgp_send(&p->conns[i], q);
	}
	for (q = p->head; q != NULL; q = q->next)
		waiting++;
	for (i = 0; i < p->size; i++)
		opening += p->conns[i].pc.state == PGCONN_CONNECTING;
	if (ev_now(p->loop) < p->down_until && pgp_alive(p))
		return;          /* no new attempt while backing off */
	for (i = 0; i < p->size && waiting > opening; i++) {
		if (p->conns[i].pc.state != PGCONN_DOWN)
			continue;
		opening++;
		pgconn_connect(&p->conns[i].pc, p->url, NULL);
		if (p->conns[i].pc.state == PGCONN_DOWN)
			return;   /* failed at once and dispatched again */
	}
}

static void
on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	pgp_dispatch(w->data);
}

static char **
pgp_copy_params(int n, const char *const *params)
{
	char **copy = calloc((size_t)(n ? n : 1), sizeof(*copy));
	int i;

	if (copy == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (params[i] == NULL)
			continue;
		copy[i] = strdup(params[i]);
		if (copy[i] == NULL) {
			while (i-- > 0)
				free(copy[i]);
			free(copy);
			return NULL;
		}
	}
	return copy;
}

struct pgpool_query *
pgpool_query(struct pgpool *p, const char *sql, int nparams,
	     const char *const *params, pgpool_fn fn, void *arg)
{
	struct pgpool_query *q;

	if (!pgp_alive(p) && ev_now(p->loop) < p->down_until)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->pool = p;
	q->sql = strdup(sql);
	q->params = pgp_copy_params(nparams, params);
	q->nparams = nparams;
	q->fn = fn;
	q->arg = arg;
	ev_timer_init(&q->deadline, on_deadline, PGP_QUERY_TIMEOUT, 0);
	q->deadline.data = q;
	if (q->sql == NULL || q->params == NULL) {
		q->nparams = 0;
		pgp_query_free(q);
		return NULL;
	}
	ev_timer_start(p->loop, &q->deadline);
	if (p->tail != NULL)
		p->tail->next = q;
	else
		p->head = q;
	p->tail = q;
	/* Dispatching here could fail q at once, calling back into a
	 * caller that has not seen q yet: the loop does it instead. */
	if (!ev_is_active(&p->kick))
		ev_timer_start(p->loop, &p->kick);
	return q;
}

void
pgpool_cancel(struct pgpool_query *q)
{
	if (q == NULL)
		return;
	if (q->conn != NULL) {
		/* Let it finish on its connection; only the callback goes. */
		q->cancelled = 1;
		return;
	}
	pgp_unqueue(q->pool, q);
	pgp_query_free(q);
}

struct pgpool *
pgpool_new(struct ev_loop *loop, const char *url, const char *shown,
	   int size)
{
	struct pgpool *p = calloc(1, sizeof(*p));
	int i;

	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->url = strdup(url);
	p->shown = strdup(shown);
	p->size = size < 1 ? 1 : size > PGP_SIZE_MAX ? PGP_SIZE_MAX : size;
	p->backoff = PGP_BACKOFF_MIN;
	ev_timer_init(&p->kick, on_kick, 0, 0);
	p->kick.data = p;
	if (p->url == NULL || p->shown == NULL) {
		pgpool_free(p);
		return NULL;
	}
	for (i = 0; i < p->size; i++) {
		struct pgp_conn *c = &p->conns[i];
		c->pool = p;
		pgconn_init(&c->pc, loop, &pgp_ops, c, PGP_CONNECT_TIMEOUT, 0,
			    "query timed out");
	}
	return p;
}

void
pgpool_free(struct pgpool *p)
{
	struct pgpool_query *q;
	int i;

	if (p == NULL)
		return;
	ev_timer_stop(p->loop, &p->kick);
	for (i = 0; i < p->size; i++) {
		struct pgp_conn *c = &p->conns[i];
		if (c->q != NULL)
			pgp_query_free(c->q);
		c->q = NULL;
		if (c->pc.state != PGCONN_DOWN)
			pgconn_close(&c->pc);
	}
	while ((q = p->head) != NULL) {
		p->head = q->next;
		pgp_query_free(q);
	}
	free(p->url);
	free(p->shown);
	free(p);
}
