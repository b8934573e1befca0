/* pgconn.h - one non-blocking libpq connection driven by the libev loop:
 * connect, run one statement at a time, collect its results and say
 * when the connection breaks. Every socket wait is an ev_io on PQsocket
 * and every deadline an ev_timer, so nothing here blocks. The owner
 * embeds a struct pgconn and keeps its own logic in the callbacks. */
#ifndef RHONE_PGCONN_H
#define RHONE_PGCONN_H

#include <ev.h>
#include <libpq-fe.h>

enum pgconn_state {
	PGCONN_DOWN,         /* no connection */
	PGCONN_CONNECTING,   /* PQconnectPoll under way */
	PGCONN_IDLE,         /* connected, no statement under way */
	PGCONN_BUSY,         /* a statement under way */
};

/* What the owner is told; arg is the one given to pgconn_init. Any
 * callback may send the next statement or close the connection. */
struct pgconn_ops {
	/* Connected, in non-blocking mode, nothing under way. */
	void (*connected)(void *arg);
	/* Every result of the statement is in: res is the last one that
	 * succeeded (rows or a command's) or NULL, err the first error in
	 * one line or NULL. Both are cleared when the callback returns. */
	void (*done)(void *arg, const PGresult *res, const char *err);
	/* The connection broke, could not be made or missed its deadline,
	 * and is closed now: msg says why in one line, was is the state it
	 * was in. */
	void (*failed)(void *arg, const char *msg, enum pgconn_state was);
	/* Optional: one NOTIFY that arrived. */
	void (*notified)(void *arg, const PGnotify *n);
	/* Optional: a server notice in one line; without it notices are
	 * dropped (libpq would print them on stderr). */
	void (*notice)(void *arg, const char *msg);
	/* Optional: a socket event was handled and left the connection
	 * idle, a moment to start deferred work. */
	void (*ready)(void *arg);
};

struct pgconn {
	struct ev_loop *loop;
	PGconn *conn;
	enum pgconn_state state;
	ev_io io;
	ev_timer deadline;
	double connect_timeout;
	double statement_timeout;   /* 0: statements have no deadline */
	const char *timed_out;      /* what a statement deadline says */
	PGresult *res;              /* last good result of the statement */
	char *err;                  /* its first error */
	const struct pgconn_ops *ops;
	void *arg;
};

/* Set pc up, down and idle. timed_out names a statement that missed
 * statement_timeout ("query timed out"); it must outlive pc. */
void pgconn_init(struct pgconn *pc, struct ev_loop *loop,
		 const struct pgconn_ops *ops, void *arg,
		 double connect_timeout, double statement_timeout,
		 const char *timed_out);

/* Start connecting to url, with application_name set when app_name is
 * not NULL. A connection that cannot even start fails at once, through
 * ops->failed. */
void pgconn_connect(struct pgconn *pc, const char *url,
		    const char *app_name);

/* Send sql on an idle connection, which is busy from then on: with
 * params NULL by libpq's simple protocol (several statements may be
 * separated by ';'), otherwise with n text parameters. -1 when libpq
 * refuses it, for the caller to end the connection with pgconn_fail. */
int pgconn_send(struct pgconn *pc, const char *sql, int n,
		const char *const *params);

/* End the connection because of `what`: the message handed to
 * ops->failed is "what: libpq's error", in one line. */
void pgconn_fail(struct pgconn *pc, const char *what);

/* Close quietly: watchers stopped, results dropped, state down. */
void pgconn_close(struct pgconn *pc);

/* Make libpq's message one line: runs of white space, newlines
 * included, become one space, and none is left at either end. */
void pgconn_one_line(char *msg);

/* Whether libpq can parse url; when not, logs `event` with a hint but
 * not libpq's reason, which quotes the URL, password and all. */
int pgconn_url_ok(const char *url, const char *event);

#endif
