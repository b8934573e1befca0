/* plan.h - the pure planner: (desired RegionSet, listed machines, now) in,
 * per-region counts and a list of actions out. No I/O, no clock. */
#ifndef RHONE_PLAN_H
#define RHONE_PLAN_H

#include <stddef.h>

#include "flymachine.h"
#include "regionset.h"

/* Spec regions plus regions that only hold leftover machines. */
#define PLAN_REGIONS_MAX (RS_REGIONS_MAX + 8)

enum plan_op { PLAN_CREATE, PLAN_DESTROY };

enum plan_reason {
	PLAN_MISSING,          /* fewer current machines than desired */
	PLAN_REPLACE,          /* green for an outdated machine */
	PLAN_SCALE_DOWN,       /* more current machines than desired */
	PLAN_OUTDATED,         /* old machine, its replacements are ready */
	PLAN_REGION_REMOVED,   /* region no longer in the spec */
	PLAN_ROLLBACK,         /* new machine never became healthy */
};

enum plan_phase { PLAN_CONVERGED, PLAN_PROGRESSING, PLAN_DEGRADED };

struct plan_action {
	enum plan_op op;
	enum plan_reason reason;
	int region;            /* index into plan.regions */
	long machine;          /* index into the machine array; -1 for create */
};

struct plan_region {
	char code[8];
	int primary;
	const struct rs_region *spec;  /* NULL when not in the spec */
	int desired;
	int current;           /* alive machines of this set here */
	int updated;           /* current and carrying the desired hash */
	int ready;             /* updated, started and passing checks */
	int idle;              /* updated and stopped or suspended */
	int outdated;          /* current with another hash */
	int failed;            /* updated, not ready past the health timeout */
	enum plan_phase phase;
	char reason[32];       /* CamelCase reason for the phase */
};

/* Regions where a failed rollout is backing off: no creates there. */
struct plan_hold {
	char region[8];
	char config_hash[RS_HASH_LEN + 1];
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
	int unmanaged;         /* machines without rhone's metadata */
	int foreign;           /* rhone machines of another RegionSet */
	enum plan_phase phase; /* worst phase over the regions */
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
