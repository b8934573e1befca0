/* pgconn.c - one non-blocking libpq connection on the loop. Connecting
 * is PQconnectStart then PQconnectPoll, each wait an ev_io on the socket
 * it names; a statement is PQsendQuery(Params) then PQflush while libpq
 * holds unsent bytes, then PQconsumeInput and PQgetResult until the
 * final NULL. The owner decides what a result or a failure means. */
#include "pgconn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

void
pgconn_one_line(char *msg)
{
	char *r, *w = msg;

	for (r = msg; *r != '\0'; r++) {
		int space = isspace((unsigned char)*r);
		if (space && (w == msg || w[-1] == ' '))
			continue;
		*w++ = space ? ' ' : *r;
	}
	if (w > msg && w[-1] == ' ')
		w--;
	*w = '\0';
}

int
pgconn_url_ok(const char *url, const char *event)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(url, &err);

	PQfreemem(err);
	if (o == NULL) {
		log_error(event, "hint=%s", log_q("not a valid postgres:// "
			  "URL (see libpq's connection URIs)"));
		return 0;
	}
	PQconninfoFree(o);
	return 1;
}

void
pgconn_close(struct pgconn *pc)
{
	ev_io_stop(pc->loop, &pc->io);
	ev_timer_stop(pc->loop, &pc->deadline);
	PQclear(pc->res);
	pc->res = NULL;
	free(pc->err);
	pc->err = NULL;
	PQfinish(pc->conn);
	pc->conn = NULL;
	pc->state = PGCONN_DOWN;
}

void
pgconn_fail(struct pgconn *pc, const char *what)
{
	enum pgconn_state was = pc->state;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 pc->conn ? PQerrorMessage(pc->conn) : "out of memory");
	pgconn_one_line(msg);
	pgconn_close(pc);
	pc->ops->failed(pc->arg, msg, was);
}

/* Point the io watcher at the connection's socket. It is re-armed each
 * time: while connecting, libpq may close a socket and open another
 * that gets the same number. */
static void
pgconn_watch(struct pgconn *pc, int events)
{
	int fd = PQsocket(pc->conn);

	ev_io_stop(pc->loop, &pc->io);
	if (fd < 0)
		return;
	ev_io_set(&pc->io, fd, events);
	ev_io_start(pc->loop, &pc->io);
}

static void
pgconn_arm_deadline(struct pgconn *pc, double secs)
{
	ev_timer_stop(pc->loop, &pc->deadline);
	ev_timer_set(&pc->deadline, secs, 0);
	ev_timer_start(pc->loop, &pc->deadline);
}

/* Send what is buffered; wait for writability only while some is left. */
static int
pgconn_flush(struct pgconn *pc)
{
	int rc = PQflush(pc->conn);

	if (rc < 0) {
		pgconn_fail(pc, "sending");
		return -1;
	}
	pgconn_watch(pc, rc ? EV_READ | EV_WRITE : EV_READ);
	return 0;
}

int
pgconn_send(struct pgconn *pc, const char *sql, int n,
	    const char *const *params)
{
	int ok = params == NULL ? PQsendQuery(pc->conn, sql) :
		 PQsendQueryParams(pc->conn, sql, n, NULL, params, NULL,
				   NULL, 0);

	pc->state = PGCONN_BUSY;
	if (!ok)
		return -1;
	if (pc->statement_timeout > 0)
		pgconn_arm_deadline(pc, pc->statement_timeout);
	pgconn_flush(pc);
	return 0;
}

static void
pgconn_connected(struct pgconn *pc)
{
	ev_timer_stop(pc->loop, &pc->deadline);
	if (PQsetnonblocking(pc->conn, 1) != 0) {
		pgconn_fail(pc, "non-blocking mode");
		return;
	}
	pc->state = PGCONN_IDLE;
	pgconn_watch(pc, EV_READ);
	pc->ops->connected(pc->arg);
}

static void
pgconn_connect_step(struct pgconn *pc)
{
	switch (PQconnectPoll(pc->conn)) {
	case PGRES_POLLING_READING:
		pgconn_watch(pc, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		pgconn_watch(pc, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		pgconn_connected(pc);
		break;
	default:
		pgconn_fail(pc, "connecting");
		break;
	}
}

/* The server's notices (and its goodbye at shutdown) go to the owner,
 * not to libpq's default of stderr. */
static void
pgconn_notice(void *arg, const char *message)
{
	struct pgconn *pc = arg;
	char msg[512];

	if (pc->ops->notice == NULL)
		return;
	util_strlcpy(msg, message, sizeof(msg));
	pgconn_one_line(msg);
	pc->ops->notice(pc->arg, msg);
}

void
pgconn_connect(struct pgconn *pc, const char *url, const char *app_name)
{
	const char *const keys[] = { "dbname", "application_name", NULL };
	const char *const vals[] = { url, app_name, NULL };

	pc->state = PGCONN_CONNECTING;
	pc->conn = app_name == NULL ? PQconnectStart(url) :
		   PQconnectStartParams(keys, vals, 1);
	if (pc->conn == NULL || PQstatus(pc->conn) == CONNECTION_BAD) {
		pgconn_fail(pc, "connecting");
		return;
	}
	PQsetNoticeProcessor(pc->conn, pgconn_notice, pc);
	pgconn_arm_deadline(pc, pc->connect_timeout);
	/* libpq's contract: poll as if PQconnectPoll had asked to write. */
	pgconn_watch(pc, EV_WRITE);
}

/* Every result is in: the connection is idle before the owner hears of
 * it, so the owner may send its next statement. */
static void
pgconn_done(struct pgconn *pc)
{
	PGresult *res = pc->res;
	char *err = pc->err;

	pc->res = NULL;
	pc->err = NULL;
	ev_timer_stop(pc->loop, &pc->deadline);
	pc->state = PGCONN_IDLE;
	pc->ops->done(pc->arg, res, err);
	PQclear(res);
	free(err);
}

static void
pgconn_result(struct pgconn *pc, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		PQclear(pc->res);
		pc->res = res;
		return;
	}
	if (pc->err == NULL) {
		pc->err = strdup(PQresultErrorMessage(res));
		if (pc->err != NULL)
			pgconn_one_line(pc->err);
	}
	PQclear(res);
}

static void
pgconn_readable(struct pgconn *pc)
{
	PGnotify *n;

	if (!PQconsumeInput(pc->conn) || PQstatus(pc->conn) == CONNECTION_BAD) {
		pgconn_fail(pc, "reading");
		return;
	}
	while ((n = PQnotifies(pc->conn)) != NULL) {
		if (pc->ops->notified != NULL)
			pc->ops->notified(pc->arg, n);
		PQfreemem(n);
	}
	while (pc->state == PGCONN_BUSY && !PQisBusy(pc->conn)) {
		PGresult *res = PQgetResult(pc->conn);
		if (res == NULL)
			pgconn_done(pc);
		else
			pgconn_result(pc, res);
	}
	if (pc->conn != NULL && PQstatus(pc->conn) == CONNECTION_BAD)
		pgconn_fail(pc, "reading");
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pgconn *pc = w->data;

	(void)loop;
	if (pc->state == PGCONN_CONNECTING) {
		pgconn_connect_step(pc);
		return;
	}
	if ((revents & EV_WRITE) && pgconn_flush(pc) < 0)
		return;
	if (revents & EV_READ)
		pgconn_readable(pc);
	if (pc->state == PGCONN_IDLE && pc->ops->ready != NULL)
		pc->ops->ready(pc->arg);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgconn *pc = w->data;

	(void)loop;
	(void)revents;
	pgconn_fail(pc, pc->state == PGCONN_CONNECTING ?
		    "connect timed out" : pc->timed_out);
}

void
pgconn_init(struct pgconn *pc, struct ev_loop *loop,
	    const struct pgconn_ops *ops, void *arg,
	    double connect_timeout, double statement_timeout,
	    const char *timed_out)
{
	memset(pc, 0, sizeof(*pc));
	pc->loop = loop;
	pc->ops = ops;
	pc->arg = arg;
	pc->connect_timeout = connect_timeout;
	pc->statement_timeout = statement_timeout;
	pc->timed_out = timed_out;
	ev_io_init(&pc->io, on_io, -1, EV_READ);
	ev_timer_init(&pc->deadline, on_deadline, connect_timeout, 0);
	pc->io.data = pc->deadline.data = pc;
}
