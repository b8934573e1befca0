/* webhook.c - phase-change notifications POSTed to one URL. Bodies wait
 * in a bounded queue and go out one at a time, in order, through a
 * libcurl multi handle on the loop (evcurl.c), so a slow or hanging
 * receiver delays only the notifications behind it, never a reconcile.
 * A failed try is retried after a growing delay; a timer, not a sleep. */
#include "webhook.h"

#include <curl/curl.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "evcurl.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define WH_TIMEOUT_MS 10000L
#define WH_CONNECT_TIMEOUT_MS 5000L
#define WH_USER_AGENT "rhone-controller/" RHONE_VERSION

struct webhook {
	struct ev_loop *loop;
	struct evcurl *ec;
	char *url;
	char shown[128];             /* scheme://host:port, for logs */
	struct curl_slist *headers;
	char *queue[WEBHOOK_QUEUE_MAX];  /* a ring of bodies, oldest first */
	size_t head, n;
	char *current;               /* the body being delivered */
	int tries;                   /* tries of current so far */
	CURL *easy;                  /* its transfer, while one runs */
	ev_timer kick;               /* next try, or next body */
	char errbuf[CURL_ERROR_SIZE];
};

void
webhook_url_shown(const char *url, char *buf, size_t size)
{
	const char *sep = strstr(url, "://");
	const char *host = sep ? sep + 3 : url;
	size_t n = strcspn(host, "/?#");
	const char *at = memchr(host, '@', n);

	if (at != NULL) {        /* user:password@ is a secret too */
		n -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(buf, size, "%.*s%.*s", sep ? (int)(sep + 3 - url) : 0, url,
		 (int)n, host);
}

static void
wh_arm(struct webhook *w, double after)
{
	ev_timer_stop(w->loop, &w->kick);
	ev_timer_set(&w->kick, after, 0.);
	ev_timer_start(w->loop, &w->kick);
}

static size_t
wh_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static int
wh_options(struct webhook *w, CURL *e)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, w->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, w) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, WH_USER_AGENT) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, WH_TIMEOUT_MS) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				WH_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, w->errbuf) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, wh_discard) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
				(long)strlen(w->current)) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, w->current) !=
	       CURLE_OK;
	return bad ? -1 : 0;
}

/* Start a try of the current body; -1 when it cannot even start. */
static int
wh_start(struct webhook *w)
{
	w->errbuf[0] = '\0';
	w->tries++;
	w->easy = curl_easy_init();
	if (w->easy != NULL && wh_options(w, w->easy) == 0 &&
	    evcurl_add(w->ec, w->easy) == 0)
		return 0;
	if (w->easy != NULL)
		curl_easy_cleanup(w->easy);
	w->easy = NULL;
	util_strlcpy(w->errbuf, "cannot set up the transfer",
		     sizeof(w->errbuf));
	return -1;
}

/* The current body is done with, delivered or not: on to the next. */
static void
wh_finish(struct webhook *w, enum metrics_webhook_result result)
{
	metrics_webhook(result);
	free(w->current);
	w->current = NULL;
	w->tries = 0;
	if (w->n > 0)
		wh_arm(w, 0);
}

/* A failed try: retry later if it may pass, else give the body up. */
static void
wh_failed(struct webhook *w, long status)
{
	int retry = status == 0 || status == 408 || status == 429 ||
		    status >= 500;
	double delay;

	if (retry && w->tries < WEBHOOK_TRIES) {
		delay = WEBHOOK_BACKOFF * (double)(1 << (w->tries - 1));
		delay *= 0.8 + 0.4 * (rand() / (double)RAND_MAX);
		log_info("webhook_retry", "url=%s try=%d status=%ld error=%s "
			 "retry_in=%.1fs", w->shown, w->tries, status,
			 log_q(w->errbuf), delay);
		metrics_webhook_retry();
		wh_arm(w, delay);
		return;
	}
	log_warn("webhook_failed", "url=%s tries=%d status=%ld error=%s",
		 w->shown, w->tries, status, log_q(w->errbuf));
	wh_finish(w, METRICS_WEBHOOK_FAILURE);
}

static void
wh_done(void *arg, CURL *easy, CURLcode result)
{
	struct webhook *w = arg;
	long status = 0;

	if (result == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	else if (w->errbuf[0] == '\0')
		util_strlcpy(w->errbuf, curl_easy_strerror(result),
			     sizeof(w->errbuf));
	curl_easy_cleanup(easy);
	w->easy = NULL;
	if (status >= 200 && status < 300) {
		log_debug("webhook_delivered", "url=%s tries=%d status=%ld",
			  w->shown, w->tries, status);
		wh_finish(w, METRICS_WEBHOOK_SUCCESS);
		return;
	}
	if (status != 0)
		snprintf(w->errbuf, sizeof(w->errbuf), "HTTP %ld", status);
	wh_failed(w, status);
}

/* Try the current body again, or take the next one. Never from inside
 * this sender's own curl callbacks: a transfer may be added here. */
static void
wh_next(struct webhook *w)
{
	if (w->easy != NULL)
		return;
	if (w->current == NULL) {
		if (w->n == 0)
			return;
		w->current = w->queue[w->head];
		w->queue[w->head] = NULL;
		w->head = (w->head + 1) % WEBHOOK_QUEUE_MAX;
		w->n--;
	}
	if (wh_start(w) < 0)
		wh_failed(w, 0);
}

static void
wh_kick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	wh_next(t->data);
}

void
webhook_send(struct webhook *w, const char *body)
{
	char *copy;

	if (w == NULL || (copy = strdup(body)) == NULL)
		return;
	if (w->n == WEBHOOK_QUEUE_MAX) {
		free(w->queue[w->head]);
		w->queue[w->head] = NULL;
		w->head = (w->head + 1) % WEBHOOK_QUEUE_MAX;
		w->n--;
		metrics_webhook(METRICS_WEBHOOK_DROPPED);
		log_warn("webhook_dropped", "url=%s reason=queue-full "
			 "queued=%d", w->shown, WEBHOOK_QUEUE_MAX);
	}
	w->queue[(w->head + w->n) % WEBHOOK_QUEUE_MAX] = copy;
	w->n++;
	/* Idle: send it now, so the queue holds only what waits behind a
	 * delivery under way. */
	if (w->current == NULL && !ev_is_active(&w->kick))
		wh_next(w);
}

void
webhook_phase_changed(struct webhook *w, const struct entry *e,
		      const char *from, const char *to, const char *reason,
		      const char *message, double after)
{
	struct strbuf sb;
	char ts[32];

	if (w == NULL)
		return;
	util_rfc3339(util_now(), ts, sizeof(ts));
	sb_init(&sb);
	sb_puts(&sb, "{\"type\":\"PhaseChanged\",\"regionset\":");
	sb_json_string(&sb, e->name);
	sb_puts(&sb, ",\"app\":");
	sb_json_string(&sb, e->rs ? e->rs->app : "");
	sb_puts(&sb, ",\"oldPhase\":");
	sb_json_string(&sb, from);
	sb_puts(&sb, ",\"newPhase\":");
	sb_json_string(&sb, to);
	sb_puts(&sb, ",\"reason\":");
	sb_json_string(&sb, reason);
	sb_puts(&sb, ",\"message\":");
	sb_json_string(&sb, message);
	sb_printf(&sb, ",\"time\":\"%s\",\"durationSeconds\":%.1f,"
		  "\"revision\":", ts, after);
	sb_json_string(&sb, e->ctl ? e->ctl->revision : "");
	sb_printf(&sb, ",\"generation\":%ld,\"observedGeneration\":%ld}",
		  e->generation, e->observed_generation);
	if (!sb.failed)
		webhook_send(w, sb.buf);
	sb_free(&sb);
}

size_t
webhook_queue_depth(const struct webhook *w)
{
	return w == NULL ? 0 : w->n + (w->current != NULL);
}

struct webhook *
webhook_new(struct ev_loop *loop, const char *url)
{
	struct webhook *w = calloc(1, sizeof(*w));
	struct curl_slist *h;

	if (w == NULL)
		return NULL;
	w->loop = loop;
	ev_timer_init(&w->kick, wh_kick, 0., 0.);
	w->kick.data = w;
	webhook_url_shown(url, w->shown, sizeof(w->shown));
	w->url = strdup(url);
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h != NULL)
		w->headers = h;
	if (h != NULL && (h = curl_slist_append(w->headers, "Expect:")))
		w->headers = h;
	w->ec = evcurl_new(loop, wh_done, w);
	if (w->url == NULL || h == NULL || w->ec == NULL) {
		webhook_free(w);
		return NULL;
	}
	return w;
}

void
webhook_free(struct webhook *w)
{
	size_t i;

	if (w == NULL)
		return;
	ev_timer_stop(w->loop, &w->kick);
	if (w->easy != NULL) {
		evcurl_remove(w->ec, w->easy);
		curl_easy_cleanup(w->easy);
	}
	evcurl_free(w->ec);
	for (i = 0; i < WEBHOOK_QUEUE_MAX; i++)
		free(w->queue[i]);
	free(w->current);
	curl_slist_free_all(w->headers);
	free(w->url);
	free(w);
}
