/* evcurl.h - libcurl multi transfers driven by a libev loop. */
#ifndef RHONE_EVCURL_H
#define RHONE_EVCURL_H

#include <curl/curl.h>

struct ev_loop;
struct evcurl;

/* Connections open to one host at most. Beyond this curl queues
 * transfers itself; the cap keeps a burst of requests inside the
 * process's descriptor limit, which the database, the status server and
 * file watches share. */
#define EVCURL_MAX_HOST_CONNECTIONS 256

/* Called on the loop when a transfer ends; the handle has been removed
 * from the multi already and is the caller's again. */
typedef void (*evcurl_done_fn)(void *arg, CURL *easy, CURLcode result);

/* A multi handle whose sockets and timer are libev watchers on loop;
 * done is called for every finished transfer. NULL on failure. */
struct evcurl *evcurl_new(struct ev_loop *loop, evcurl_done_fn done,
			  void *arg);

/* Free the multi handle and its watchers; remove every transfer first. */
void evcurl_free(struct evcurl *ec);

/* Start a configured easy handle; 0 on success, -1 on failure. */
int evcurl_add(struct evcurl *ec, CURL *easy);

/* Abort a transfer without calling done. */
void evcurl_remove(struct evcurl *ec, CURL *easy);

#endif
