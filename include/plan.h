/* plan.h - the pure planner: (desired RegionSet, listed machines, now) in,
 * per-region counts and a list of actions out. No I/O, no clock. */
#ifndef RHONE_PLAN_H
#define RHONE_PLAN_H

#include <stddef.h>

#include "flymachine.h"
#include "regionset.h"

/* Spec regions plus regions that only hold leftover machines. */
#define PLAN_REGIONS_MAX (RS_REGIONS_MAX + 8)

/* An update replaces a machine's config in place (rolling, immediate). */
enum plan_op { PLAN_CREATE, PLAN_DESTROY, PLAN_UPDATE };

enum plan_reason {
	PLAN_MISSING,          /* fewer current machines than desired */
	PLAN_REPLACE,          /* green for an outdated machine */
	PLAN_SCALE_DOWN,       /* more current machines than desired */
	PLAN_OUTDATED,         /* old machine, its replacements are ready */
	PLAN_REGION_REMOVED,   /* region no longer in the spec */
	PLAN_ROLLBACK,         /* new machine never became healthy */
	PLAN_DEADLINE,         /* new machine of a rollout that stalled */
};

/* Held: the spec holds the region (rs_region.held); its machines are
 * left as they are and it does not count toward the set's phase. */
enum plan_phase { PLAN_CONVERGED, PLAN_PROGRESSING, PLAN_DEGRADED,
		  PLAN_HELD };

struct plan_action {
	enum plan_op op;
	enum plan_reason reason;
	int region;            /* index into plan.regions */
	long machine;          /* index into the machine array; -1 for create */
	int park;              /* create or update without booting
				  (skip_launch): the machine is idle */
};

/* Launch ids of machines created without booting start with this: a
 * listing shows them as "created", and only the prefix tells them from
 * a machine that is about to boot. */
#define PLAN_PARKED_PREFIX "idle-"

struct plan_region {
	char code[8];
	int primary;
	const struct rs_region *spec;  /* NULL when not in the spec */
	int desired;
	int current;           /* alive machines of this set here */
	int updated;           /* current and carrying the desired hash */
	int ready;             /* updated, started and passing checks */
	int idle;              /* updated and stopped, suspended or parked */
	int outdated;          /* current with another hash, or on a host
				  that is not ok */
	int failed;            /* updated, not ready past the health timeout */
	int leased;            /* destroys skipped: someone holds a lease */
	int wave;              /* 0 for the primary, then 1, 2, ... */
	int waiting_for;       /* index of the region an outdated one waits
				  for (an earlier wave), -1 when free */
	enum plan_phase phase;
	char reason[32];       /* CamelCase reason for the phase */
};

/* Why the caller holds something back for a while. */
enum plan_hold_kind {
	PLAN_HOLD_ROLLBACK,    /* new machines of config_hash failed here */
	PLAN_HOLD_CAPACITY,    /* the region had no capacity for a create */
	PLAN_HOLD_LEASE,       /* someone else holds a lease on machine */
	PLAN_HOLD_DEADLINE,    /* a rollout of config_hash stalled here */
};

/* Something backing off: a rollback or capacity hold blocks creates in
 * its region (a rollback hold only for its config hash); a lease hold
 * keeps the planner from destroying its machine. */
struct plan_hold {
	char region[8];
	char config_hash[RS_HASH_LEN + 1];
	enum plan_hold_kind kind;
	char machine[FLY_ID_MAX];
	int retry;      /* capacity: the wait is over and creates are tried
			 * again; the region stays Degraded until one works */
};

struct plan_input {
	const struct regionset *rs;
	const struct fly_machine *machines;
	size_t nmachines;
	double now;                    /* epoch seconds */
	const struct plan_hold *holds;
	size_t nholds;
};

struct plan {
	struct plan_action *actions;
	size_t nactions;
	size_t cap;
	struct plan_region regions[PLAN_REGIONS_MAX];
	size_t nregions;
	int unhealthy;         /* this set's machines: not idle, not ready,
				  on a bad host or past the health timeout */
	int braked;            /* unhealthy > maxUnhealthy: no replacing */
	int unmanaged;         /* machines without rhone's metadata */
	int foreign;           /* rhone machines of another RegionSet */
	enum plan_phase phase; /* worst phase over the regions that are
				  not held */
};

/* Compute the plan. `out` may be reused between calls (its action array
 * is kept); 0 on success, -1 on allocation failure. */
int plan_compute(const struct plan_input *in, struct plan *out);

/* Release the action array. */
void plan_free(struct plan *p);

/* Words for logs and status. */
const char *plan_op_name(enum plan_op op);
const char *plan_reason_name(enum plan_reason r);
const char *plan_phase_name(enum plan_phase ph);

#endif
