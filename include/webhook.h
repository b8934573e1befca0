/* webhook.h - phase changes POSTed as JSON to one URL, from the loop:
 * queued, sent one at a time through libcurl multi, retried. */
#ifndef RHONE_WEBHOOK_H
#define RHONE_WEBHOOK_H

#include <stddef.h>

struct ev_loop;
struct entry;
struct webhook;

/* Notifications waiting to be sent; beyond this the oldest is dropped. */
#define WEBHOOK_QUEUE_MAX 64

/* Tries per notification: the first and up to three retries. */
#define WEBHOOK_TRIES 4

/* Seconds before the first retry; it doubles after each. */
#define WEBHOOK_BACKOFF 1.0

/* A sender to url (http or https) driven by loop. NULL on failure. */
struct webhook *webhook_new(struct ev_loop *loop, const char *url);

/* Drop what is queued or in flight, and free. */
void webhook_free(struct webhook *w);

/* Queue a JSON body (copied). Never blocks and never fails loudly: a
 * full queue drops its oldest body, counted in the metrics. */
void webhook_send(struct webhook *w, const char *body);

/* Queue e's phase change from `from` to `to`; w may be NULL (no
 * webhook configured). `after` is how long the old phase lasted. */
void webhook_phase_changed(struct webhook *w, const struct entry *e,
			   const char *from, const char *to,
			   const char *reason, const char *message,
			   double after);

/* Bodies waiting, the one in flight included. */
size_t webhook_queue_depth(const struct webhook *w);

/* The URL as logs may show it: scheme, host and port, since the path
 * and query of a webhook URL often hold a secret. */
void webhook_url_shown(const char *url, char *buf, size_t size);

#endif
