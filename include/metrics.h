/* metrics.h - Prometheus metrics: counters bumped where things happen,
 * per-set gauges kept from the last plan, text exposition on a scrape. */
#ifndef RHONE_METRICS_H
#define RHONE_METRICS_H

#include <stddef.h>

#include "util.h"

struct ctl;
struct entry;
struct plan;
struct fly_machine;

/* The last answer of the Fly API, for readiness. */
struct metrics_api_state {
	int answered;            /* a call has completed at all */
	long status;             /* its HTTP status, 0 when none came */
	char error[128];         /* transport error text when status 0 */
	double time;             /* when it completed (epoch seconds) */
};

/* Count one completed Fly API call (status 0: no response). */
void metrics_fly_request(const char *op, long status, double seconds,
			 const char *error);

/* Count one reconcile round and how long it took. */
void metrics_reconcile(int failed, double seconds);

/* Count a reconcile requeued after a failed round. */
void metrics_retry(void);

/* How a webhook notification ended. */
enum metrics_webhook_result {
	METRICS_WEBHOOK_SUCCESS,     /* a 2xx answer */
	METRICS_WEBHOOK_FAILURE,     /* given up after its tries */
	METRICS_WEBHOOK_DROPPED,     /* pushed out of a full queue */
	METRICS_WEBHOOK_RESULTS
};

/* Count one webhook notification's end. */
void metrics_webhook(enum metrics_webhook_result result);

/* Count one webhook try that failed and will be retried. */
void metrics_webhook_retry(void);

/* Count a source load: whole failure or not, errors in it. */
void metrics_source_load(int failed, size_t nerrors);

/* Keep e's per-region gauges from the plan and machines just seen. */
void metrics_observe(struct entry *e, const struct plan *p,
		     const struct fly_machine *ms, size_t n);

/* Free e's gauges (the set is being forgotten). */
void metrics_entry_free(struct entry *e);

/* The Fly API's last answer. */
void metrics_api_state(struct metrics_api_state *out);

/* "libev=4.33 libcurl=..." : the linked library versions, each value in
 * double quotes when quoted (for the log, where JSON keeps them strings). */
void metrics_lib_versions(char *buf, size_t size, int quoted);

/* Append the whole exposition text. */
void metrics_render(const struct ctl *c, struct strbuf *sb);

#endif
