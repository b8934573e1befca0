/* evcurl.c - libcurl's multi_socket interface on libev watchers. curl
 * says which sockets to watch (socket callback) and when to call it
 * back regardless (timer callback); libev reports readiness and expiry,
 * and each report becomes one curl_multi_socket_action call. */
#include "evcurl.h"

#include <stdlib.h>

#include <ev.h>

#define EVCURL_MAX_IDLE_CONNECTIONS 32L

/* One watched socket; curl hands it back to us through socketp. */
struct evcurl_sock {
	ev_io io;
	struct evcurl_sock *prev, *next;
};

struct evcurl {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	struct evcurl_sock *socks;   /* every live watcher, for cleanup */
	evcurl_done_fn done;
	void *arg;
	int running;
};

/* Hand every finished transfer to its owner. The message is copied out
 * first because removing the handle invalidates it. */
static void
evcurl_check_done(struct evcurl *ec)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ec->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_multi_remove_handle(ec->multi, easy);
		ec->done(ec->arg, easy, result);
	}
}

/* The watcher may be freed inside curl_multi_socket_action (a socket
 * curl closes is removed through the socket callback), so everything
 * needed is read from it before the call. */
static void
evcurl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct evcurl *ec = w->data;
	curl_socket_t fd = w->fd;
	int mask = 0;

	(void)loop;
	if (revents & EV_READ)
		mask |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		mask |= CURL_CSELECT_OUT;
	if (revents & EV_ERROR)
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(ec->multi, fd, mask, &ec->running);
	evcurl_check_done(ec);
}

static void
evcurl_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct evcurl *ec = w->data;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(ec->multi, CURL_SOCKET_TIMEOUT, 0,
				 &ec->running);
	evcurl_check_done(ec);
}

/* curl asks for one single-shot timer; -1 means none. The callback must
 * not call back into curl, so expiry is left to the loop, even for 0. */
static int
evcurl_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct evcurl *ec = userp;

	(void)multi;
	ev_timer_stop(ec->loop, &ec->timer);
	if (timeout_ms >= 0) {
		/* libev counts seconds as a double: an integer division
		 * would turn every sub-second timeout into 0 and spin. */
		ev_timer_set(&ec->timer, timeout_ms / 1000.0, 0.);
		ev_timer_start(ec->loop, &ec->timer);
	}
	return 0;
}

static struct evcurl_sock *
evcurl_sock_new(struct evcurl *ec, curl_socket_t fd)
{
	struct evcurl_sock *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	ev_io_init(&s->io, evcurl_io_cb, fd, EV_READ);
	s->io.data = ec;
	s->next = ec->socks;
	if (ec->socks != NULL)
		ec->socks->prev = s;
	ec->socks = s;
	return s;
}

static void
evcurl_sock_free(struct evcurl *ec, struct evcurl_sock *s)
{
	ev_io_stop(ec->loop, &s->io);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ec->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

/* Watch for what curl asks; libev needs the watcher stopped to change
 * its events. */
static void
evcurl_sock_watch(struct evcurl *ec, struct evcurl_sock *s, int what)
{
	int events = 0;

	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(ec->loop, &s->io);
	ev_io_set(&s->io, s->io.fd, events);
	if (events != 0)
		ev_io_start(ec->loop, &s->io);
}

static int
evcurl_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
		 void *socketp)
{
	struct evcurl *ec = userp;
	struct evcurl_sock *s = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			evcurl_sock_free(ec, s);
		return 0;
	}
	if (s == NULL) {
		s = evcurl_sock_new(ec, fd);
		if (s == NULL)
			return -1;
		curl_multi_assign(ec->multi, fd, s);
	}
	evcurl_sock_watch(ec, s, what);
	return 0;
}

static int
evcurl_setup(struct evcurl *ec)
{
	int bad = 0;

	bad |= curl_multi_setopt(ec->multi, CURLMOPT_SOCKETFUNCTION,
				 evcurl_socket_fn) != CURLM_OK;
	bad |= curl_multi_setopt(ec->multi, CURLMOPT_SOCKETDATA, ec) !=
	       CURLM_OK;
	bad |= curl_multi_setopt(ec->multi, CURLMOPT_TIMERFUNCTION,
				 evcurl_timer_fn) != CURLM_OK;
	bad |= curl_multi_setopt(ec->multi, CURLMOPT_TIMERDATA, ec) !=
	       CURLM_OK;
	bad |= curl_multi_setopt(ec->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
				 (long)EVCURL_MAX_HOST_CONNECTIONS) != CURLM_OK;
	/* Idle connections kept for reuse, each with its buffers: enough
	 * for a steady stream of calls, not every one a burst opened. */
	bad |= curl_multi_setopt(ec->multi, CURLMOPT_MAXCONNECTS,
				 EVCURL_MAX_IDLE_CONNECTIONS) != CURLM_OK;
	return bad ? -1 : 0;
}

struct evcurl *
evcurl_new(struct ev_loop *loop, evcurl_done_fn done, void *arg)
{
	struct evcurl *ec;

	/* Reference counted by curl; evcurl_free drops ours. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	ec = calloc(1, sizeof(*ec));
	if (ec == NULL) {
		curl_global_cleanup();
		return NULL;
	}
	ec->loop = loop;
	ec->done = done;
	ec->arg = arg;
	ev_timer_init(&ec->timer, evcurl_timer_cb, 0., 0.);
	ec->timer.data = ec;
	ec->multi = curl_multi_init();
	if (ec->multi == NULL || evcurl_setup(ec) < 0) {
		evcurl_free(ec);
		return NULL;
	}
	return ec;
}

/* Cleanup may still report sockets through the socket callback, so
 * the watchers left afterwards are the ones curl did not mention. */
void
evcurl_free(struct evcurl *ec)
{
	if (ec == NULL)
		return;
	if (ec->multi != NULL)
		curl_multi_cleanup(ec->multi);
	ev_timer_stop(ec->loop, &ec->timer);
	while (ec->socks != NULL)
		evcurl_sock_free(ec, ec->socks);
	free(ec);
	curl_global_cleanup();
}

int
evcurl_add(struct evcurl *ec, CURL *easy)
{
	return curl_multi_add_handle(ec->multi, easy) == CURLM_OK ? 0 : -1;
}

void
evcurl_remove(struct evcurl *ec, CURL *easy)
{
	curl_multi_remove_handle(ec->multi, easy);
}
