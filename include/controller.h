/* controller.h - the controller's context: one loop, one desired store,
 * one Fly client, one status server. */
#ifndef RHONE_CONTROLLER_H
#define RHONE_CONTROLLER_H

#include <ev.h>
#include <stddef.h>

#include "options.h"
#include "plan.h"
#include "regionset.h"

struct fly_client;
struct httpd;
struct source;
struct pgsource;
struct leader;
struct regionapi;
struct round;
struct metrics_set;
struct event_ring;
struct webhook;

/* A condition in Kubernetes style; time is when status last changed. */
struct condition {
	const char *type;
	int status;                  /* 1 True, 0 False */
	char reason[32];
	char *message;               /* NULL when empty (most are) */
	double last_transition;
};

enum { COND_READY, COND_PROGRESSING, COND_DEGRADED, COND_SPEC_VALID,
       COND_REGIONS_HELD, COND_COUNT };

#define REGION_ERROR_LEN (8 + 160)

/* A failed rollout in one region backs off before trying again. */
struct hold {
	struct plan_hold key;
	double until;
	double backoff;
};

/* One RegionSet known to the controller: the spec in force (the last
 * good one), its reconcile state and its precomputed status. */
struct entry {
	char name[RS_NAME_MAX];
	struct regionset *rs;        /* spec in force; NULL if never valid */
	long generation;
	long observed_generation;
	char *invalid;               /* why the latest input was rejected */
	int present;                 /* seen in the latest source load */

	int running;                 /* a reconcile is under way */
	int dirty;                   /* reconcile again when it ends */
	int pending;                 /* actions still in flight */
	struct round *round;         /* the reconcile under way */
	int failures;                /* consecutive failed reconciles */
	ev_timer requeue;
	struct hold *holds;          /* RS_REGIONS_MAX once one is noted */
	size_t nholds;
	char api_error[256];         /* last list or action error */
	/* "fra Reason: text" per region with trouble: RS_REGIONS_MAX of
	 * them once the first is noted (most sets never need them) */
	char (*region_errors)[REGION_ERROR_LEN];

	enum plan_phase phase;
	int phase_valid;             /* phase is from a real plan */
	double phase_since;          /* when the phase word last changed */
	char phase_told[16];         /* the phase last logged and sent */
	struct condition cond[COND_COUNT];
	char *regions_json;          /* regions as of the last plan */
	int unmanaged;               /* others' machines in the app */
	char *status_json;           /* the precomputed /status item, up
					to its events and regions */
	struct metrics_set *metrics;  /* gauges from the last plan */
	struct event_ring *events;   /* recent transitions */
	struct ctl *ctl;
};

struct ctl {
	struct ev_loop *loop;
	struct options opt;
	struct fly_client *fly;
	struct source *source;
	struct pgsource *pgsource;  /* instead of source for postgres:// */
	struct leader *leader;      /* NULL unless --leader-elect */
	struct httpd *httpd;
	struct webhook *webhook;     /* NULL without --webhook-url */
	struct regionapi *regionapi; /* the region API, in DB mode only */

	struct entry **entries;      /* sorted by name */
	size_t nentries;
	char revision[72];           /* source revision in force */
	char *source_error;          /* last load error, NULL if none */
	double last_load;            /* time of the last good load */
	int loaded;                  /* a good load has happened */
	int source_failed;           /* the latest load failed whole */

	ev_timer resync;
	size_t rounds;               /* reconcile rounds under way */
	double last_trim;            /* when the heap was last trimmed */
	ev_signal sigterm, sigint, sighup;
	int stopping;
};

/* Run the controller until SIGTERM/SIGINT; returns the exit code. */
int ctl_run(const struct options *opt);

/* A reconcile round started or ended (reconcile.c): when none is left
 * running, free heap pages go back to the system. */
void ctl_round_started(struct ctl *c);
void ctl_round_ended(struct ctl *c);

/* Find an entry by name; NULL if none. */
struct entry *ctl_find(struct ctl *c, const char *name);

/* Ask for a reconcile of e now (coalesced if one is running). */
void ctl_enqueue(struct entry *e);

/* Ask for a reconcile of e after `delay` seconds. */
void ctl_enqueue_after(struct entry *e, double delay);

#endif
