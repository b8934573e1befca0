/* test_plan.c - the pure planner, one table row per situation: a spec, the
 * machines a list call returned, the holds in force; then every action
 * and every region's counts and phase it must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machinecfg.h"
#include "plan.h"

#define SET "web"
#define HA "aaaaaaaaaaaaaaaa"
#define HB "bbbbbbbbbbbbbbbb"
#define HC "cccccccccccccccc"
#define NOW 1700000000.0
#define TIMEOUT 300
#define DEADLINE 3000

/* One spec region; the first of a case is the primary. */
struct rdesc {
	const char *code;
	int count;
	const char *hash;       /* NULL: the case's hash */
};

/* One listed machine, relative to NOW. */
struct mdesc {
	const char *id;
	const char *region;
	const char *state;
	const char *set;        /* NULL: no rhone metadata at all */
	const char *hash;
	double age;             /* seconds since created; 0: unknown */
	const char *check;      /* status of its one check; NULL: none */
	const char *host;       /* host_status; NULL: "" */
	const char *owner;      /* managed_by; NULL: rhone-controller */
};

struct xact {
	enum plan_op op;
	enum plan_reason reason;
	const char *region;
	const char *machine;    /* NULL for a create */
	int park;               /* a create without booting */
};

struct xregion {
	const char *code;
	int desired, current, updated, ready, idle, outdated, failed;
	enum plan_phase phase;
	const char *reason;
};

struct pcase {
	const char *name;
	const char *hash;
	const struct rdesc *regions;     /* ends with code NULL */
	const struct mdesc *machines;    /* ends with id NULL */
	const struct plan_hold *holds;   /* ends with region "" */
	const struct xact *actions;      /* ends with region NULL */
	const struct xregion *expect;    /* ends with code NULL */
	int unmanaged;
	int foreign;
	enum plan_phase phase;
	int tuned;                       /* use the three fields below */
	struct rs_quantity surge;
	struct rs_quantity unavailable;
	int min_ready;
	int waves;                       /* primary first, and these: */
	int parallel;
	int soak;
	int brake;                       /* maxUnhealthy (a count) */
	const char *strategy;            /* NULL: bluegreen */
	const char *held;                /* codes the plan check holds,
					    e.g. "fra nrt" */
};

/* Machine shorthands: a started machine of the set passing its check,
 * one in any state, one with a failing check. */
#define READY(id, reg, hash, age) \
	{ id, reg, "started", SET, hash, age, "passing", NULL, NULL }
#define IN(id, reg, state, hash, age) \
	{ id, reg, state, SET, hash, age, NULL, NULL, NULL }
#define SICK(id, reg, hash, age) \
	{ id, reg, "started", SET, hash, age, "critical", NULL, NULL }
#define ON_HOST(id, reg, hash, host) \
	{ id, reg, "started", SET, hash, 5000, "passing", host, NULL }
#define BARE(id, reg, state) \
	{ id, reg, state, NULL, NULL, 0, NULL, NULL, NULL }
#define END { NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL }

#define CREATE(reason, reg) { PLAN_CREATE, PLAN_##reason, reg, NULL, 0 }
#define PARK(reason, reg) { PLAN_CREATE, PLAN_##reason, reg, NULL, 1 }
#define DESTROY(reason, reg, id) { PLAN_DESTROY, PLAN_##reason, reg, id, 0 }
#define NOACT { PLAN_CREATE, PLAN_MISSING, NULL, NULL, 0 }
#define UPDATE(reg, id) { PLAN_UPDATE, PLAN_OUTDATED, reg, id, 0 }
#define UPDATE_IDLE(reg, id) { PLAN_UPDATE, PLAN_OUTDATED, reg, id, 1 }

#define CONV PLAN_CONVERGED, "Converged"
#define SCALING PLAN_PROGRESSING, "Scaling"
#define ROLLING PLAN_PROGRESSING, "RollingOut"
#define REMOVED PLAN_PROGRESSING, "RegionRemoved"
#define TIMEDOUT PLAN_DEGRADED, "HealthCheckTimeout"
#define BACKOFF PLAN_DEGRADED, "RolloutBackoff"
#define NOCAP PLAN_DEGRADED, "InsufficientCapacity"
#define LEASED PLAN_PROGRESSING, "LeaseHeld"
#define WAITING PLAN_PROGRESSING, "WaitingForWave"
#define HALTED PLAN_DEGRADED, "WaveHalted"
#define HELD PLAN_HELD, "PlanRequired"
#define XEND { NULL, 0, 0, 0, 0, 0, 0, 0, PLAN_CONVERGED, NULL }

#define REGIONS(...) ((const struct rdesc[]){ __VA_ARGS__, { NULL, 0, NULL } })
#define MACHINES(...) ((const struct mdesc[]){ __VA_ARGS__, END })
#define ACTIONS(...) ((const struct xact[]){ __VA_ARGS__, NOACT })
#define EXPECT(...) ((const struct xregion[]){ __VA_ARGS__, XEND })
#define HOLDS(...) ((const struct plan_hold[]){ __VA_ARGS__, \
	{ "", "", PLAN_HOLD_ROLLBACK, "", 0 } })
#define RBHOLD(reg, hash) { reg, hash, PLAN_HOLD_ROLLBACK, "", 0 }
#define CAPHOLD(reg) { reg, "", PLAN_HOLD_CAPACITY, "", 0 }
#define CAPRETRY(reg) { reg, "", PLAN_HOLD_CAPACITY, "", 1 }
#define LEASEHOLD(reg, id) { reg, "", PLAN_HOLD_LEASE, id, 0 }
#define NONE_M ((const struct mdesc[]){ END })
#define NONE_A ((const struct xact[]){ NOACT })

static struct pcase cases[] = {
	{
		.name = "fresh set in three regions",
		.hash = HA,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 1, NULL },
				   { "nrt", 3, NULL }),
		.machines = NONE_M,
		.actions = ACTIONS(CREATE(MISSING, "iad"),
				   CREATE(MISSING, "iad"),
				   CREATE(MISSING, "fra"),
				   CREATE(MISSING, "nrt"),
				   CREATE(MISSING, "nrt"),
				   CREATE(MISSING, "nrt")),
		.expect = EXPECT({ "iad", 2, 0, 0, 0, 0, 0, 0, SCALING },
				 { "fra", 1, 0, 0, 0, 0, 0, 0, SCALING },
				 { "nrt", 3, 0, 0, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "a region is added",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000)),
		.actions = ACTIONS(CREATE(MISSING, "fra")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 1, 0, 0, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "regions are removed",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("f1", "fra", HA, 5000),
				     READY("i1", "iad", HA, 5000),
				     IN("f2", "fra", "stopped", HA, 5000),
				     READY("s1", "sjc", HB, 100)),
		.actions = ACTIONS(DESTROY(REGION_REMOVED, "fra", "f1"),
				   DESTROY(REGION_REMOVED, "fra", "f2"),
				   DESTROY(REGION_REMOVED, "sjc", "s1")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 0, 2, 0, 0, 0, 2, 0, REMOVED },
				 { "sjc", 0, 1, 0, 0, 0, 1, 0, REMOVED }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "scale up",
		.hash = HA,
		.regions = REGIONS({ "iad", 3, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000)),
		.actions = ACTIONS(CREATE(MISSING, "iad"),
				   CREATE(MISSING, "iad")),
		.expect = EXPECT({ "iad", 3, 1, 1, 1, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Not ready first (stopped counts as not ready), newest
		 * first within each group; the oldest ready one stays. */
		.name = "scale down picks unready, then newest",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("old", "iad", HA, 5000),
				     READY("new", "iad", HA, 1000),
				     SICK("sick", "iad", HA, 200),
				     READY("mid", "iad", HA, 3000),
				     IN("stop", "iad", "stopped", HA, 50)),
		.actions = ACTIONS(DESTROY(SCALE_DOWN, "iad", "stop"),
				   DESTROY(SCALE_DOWN, "iad", "sick"),
				   DESTROY(SCALE_DOWN, "iad", "new"),
				   DESTROY(SCALE_DOWN, "iad", "mid")),
		.expect = EXPECT({ "iad", 1, 5, 5, 3, 1, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Same readiness and age: the id decides, so a restarted
		 * controller picks the same victim. */
		.name = "scale down tie is broken by id",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("m-b", "iad", HA, 1000),
				     READY("m-a", "iad", HA, 1000)),
		.actions = ACTIONS(DESTROY(SCALE_DOWN, "iad", "m-a")),
		.expect = EXPECT({ "iad", 1, 2, 2, 2, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "scale down while outdated ones remain",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, 1000),
				     READY("n2", "iad", HB, 500)),
		.actions = ACTIONS(DESTROY(SCALE_DOWN, "iad", "n2"),
				   DESTROY(OUTDATED, "iad", "o1")),
		.expect = EXPECT({ "iad", 1, 3, 2, 2, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* maxSurge 1 (the default): one new machine at a time. */
		.name = "new image creates replacements, keeps the old",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000)),
		.actions = ACTIONS(CREATE(REPLACE, "iad"),
				   CREATE(REPLACE, "fra")),
		.expect = EXPECT({ "iad", 2, 2, 0, 0, 0, 2, 0, ROLLING },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "one replacement ready: one old one goes",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, 60),
				     READY("o2", "iad", HA, 9000)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o1")),
		.expect = EXPECT({ "iad", 2, 3, 1, 1, 0, 2, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "replacements ready: the old are destroyed",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, 60),
				     READY("o2", "iad", HA, 9000),
				     READY("n2", "iad", HB, 50)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o1"),
				   DESTROY(OUTDATED, "iad", "o2")),
		.expect = EXPECT({ "iad", 2, 4, 2, 2, 0, 2, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* A failing check, a machine still starting, one just
		 * created: not ready, so only as many old ones go as the
		 * ready new ones cover. */
		.name = "partial readiness retires what it covers",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 2, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 9000),
				     READY("n1", "iad", HB, 60),
				     SICK("n2", "iad", HB, 60),
				     READY("fo1", "fra", HA, 9000),
				     READY("fo2", "fra", HA, 9000),
				     READY("fn1", "fra", HB, 60),
				     IN("fn2", "fra", "starting", HB, 20),
				     READY("no1", "nrt", HA, 9000),
				     IN("nn1", "nrt", "created", HB, 5)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o1"),
				   DESTROY(OUTDATED, "fra", "fo1")),
		.expect = EXPECT({ "iad", 2, 4, 2, 1, 0, 2, 0, ROLLING },
				 { "fra", 2, 4, 2, 1, 0, 2, 0, ROLLING },
				 { "nrt", 1, 2, 1, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Exactly the overdue new machine goes; nothing is created
		 * for the missing one; a stopped new machine is not failed;
		 * the region that rolled out fine is left alone. */
		.name = "never-healthy new machine is rolled back",
		.hash = HB,
		.regions = REGIONS({ "iad", 3, NULL }, { "fra", 2, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 9000),
				     READY("n1", "iad", HB, 400),
				     SICK("n2", "iad", HB, 1000),
				     READY("o3", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000),
				     IN("fn1", "fra", "stopped", HB, 1000),
				     READY("fo2", "fra", HA, 9000),
				     IN("fn2", "fra", "starting", HB, 700),
				     READY("nn1", "nrt", HB, 700)),
		.actions = ACTIONS(DESTROY(ROLLBACK, "iad", "n2"),
				   DESTROY(ROLLBACK, "fra", "fn2")),
		.expect = EXPECT({ "iad", 3, 5, 2, 1, 0, 3, 1, TIMEDOUT },
				 { "fra", 2, 4, 2, 0, 1, 2, 1, TIMEDOUT },
				 { "nrt", 1, 1, 1, 1, 0, 0, 0, CONV }),
		.phase = PLAN_DEGRADED,
	},
	{
		/* The timeout is strict, and an unknown creation time never
		 * times out. */
		.name = "health timeout boundary",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     SICK("n1", "iad", HB, TIMEOUT),
				     READY("fo1", "fra", HA, 9000),
				     SICK("fn1", "fra", HB, TIMEOUT + 1),
				     READY("no1", "nrt", HA, 9000),
				     SICK("nn1", "nrt", HB, 0)),
		.actions = ACTIONS(DESTROY(ROLLBACK, "fra", "fn1")),
		.expect = EXPECT({ "iad", 1, 2, 1, 0, 0, 1, 0, ROLLING },
				 { "fra", 1, 2, 1, 0, 0, 1, 1, TIMEDOUT },
				 { "nrt", 1, 2, 1, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_DEGRADED,
	},
	{
		/* Nothing old to fall back on: keep the machine, say so,
		 * and still fill up a region that is short. */
		.name = "never-healthy new machine without old ones",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 2, NULL }),
		.machines = MACHINES(SICK("n1", "iad", HB, 1000),
				     IN("fn1", "fra", "starting", HB, 1000)),
		.actions = ACTIONS(CREATE(MISSING, "fra")),
		.expect = EXPECT({ "iad", 1, 1, 1, 0, 0, 0, 1, TIMEDOUT },
				 { "fra", 2, 1, 1, 0, 0, 0, 1, TIMEDOUT }),
		.phase = PLAN_DEGRADED,
	},
	{
		/* A hold blocks creates for its region and hash only; with
		 * nothing to create, it changes nothing. */
		.name = "hold blocks creates in its region",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000),
				     READY("no1", "nrt", HA, 9000),
				     READY("nn1", "nrt", HB, 100)),
		.holds = HOLDS(RBHOLD("iad", HB), RBHOLD("nrt", HB)),
		.actions = ACTIONS(CREATE(REPLACE, "fra"),
				   DESTROY(OUTDATED, "nrt", "no1")),
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0, BACKOFF },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "nrt", 1, 2, 1, 1, 0, 1, 0, ROLLING }),
		.phase = PLAN_DEGRADED,
	},
	{
		.name = "hold for another hash or region does not block",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000)),
		.holds = HOLDS(RBHOLD("iad", HA), RBHOLD("iad", HC),
			       RBHOLD("fra", HB)),
		.actions = ACTIONS(CREATE(REPLACE, "iad")),
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* No metadata, ours without a set name, another manager's
		 * label: all counted, none touched, no region made. */
		.name = "unmanaged machines are counted only",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(BARE("u1", "iad", "started"),
				     READY("i1", "iad", HA, 5000),
				     BARE("u2", "lhr", "stopped"),
				     { "u3", "iad", "started", "", HA, 10,
				       NULL, NULL, NULL },
				     { "u4", "ams", "started", SET, HA, 10,
				       NULL, NULL, "someone-else" }),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV }),
		.unmanaged = 4,
		.phase = PLAN_CONVERGED,
	},
	{
		.name = "other RegionSets' machines are counted only",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES({ "x1", "iad", "started", "web-2", HA,
				       10, NULL, NULL, NULL },
				     READY("i1", "iad", HA, 5000),
				     { "x2", "lhr", "started", "api", HB, 10,
				       NULL, NULL, NULL },
				     { "x3", "iad", "started", "we", HA, 10,
				       NULL, NULL, NULL }),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV }),
		.foreign = 3,
		.phase = PLAN_CONVERGED,
	},
	{
		.name = "destroyed and destroying machines are ignored",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(IN("d1", "iad", "destroyed", HA, 10),
				     IN("d2", "iad", "destroying", HA, 10),
				     IN("d3", "fra", "destroying", HA, 10),
				     BARE("d4", "iad", "destroyed"),
				     { "d5", "iad", "destroying", "api", HA,
				       10, NULL, NULL, NULL }),
		.actions = ACTIONS(CREATE(MISSING, "iad")),
		.expect = EXPECT({ "iad", 1, 0, 0, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Stopped and suspended machines are present (idle), even
		 * long past the health timeout. */
		.name = "stopped machines count as present",
		.hash = HA,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     IN("i2", "iad", "stopped", HA, 5000),
				     IN("f1", "fra", "suspended", HA, 5000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 2, 2, 2, 1, 1, 0, 0, CONV },
				 { "fra", 1, 1, 1, 0, 1, 0, 0, CONV }),
		.phase = PLAN_CONVERGED,
	},
	{
		.name = "converged set makes no action",
		.hash = HA,
		.regions = REGIONS({ "iad", 2, HA }, { "fra", 1, HB },
				   { "nrt", 1, HC }),
		.machines = MACHINES(READY("n1", "nrt", HC, 5000),
				     READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HB, 5000),
				     { "i2", "iad", "started", SET, HA, 5000,
				       NULL, "ok", NULL }),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 2, 2, 2, 2, 0, 0, 0, CONV },
				 { "fra", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "nrt", 1, 1, 1, 1, 0, 0, 0, CONV }),
		.phase = PLAN_CONVERGED,
	},
	{
		/* Hashes are per region: another region's hash is not
		 * current here. */
		.name = "hash of another region is outdated",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, HA }, { "fra", 1, HB }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HA, 5000)),
		.actions = ACTIONS(CREATE(REPLACE, "fra")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Only ready replacements retire old machines: a stopped
		 * one is present but has not shown it serves. */
		.name = "stopped replacement does not retire the old",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     IN("n1", "iad", "stopped", HB, 1000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 2, 1, 0, 1, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "started but not yet passing is not converged",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(SICK("i1", "iad", HA, 10)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* An unreachable host is not waited on: its machine is
		 * outdated, replaced, and retired once the new one serves;
		 * "unknown" is not ok either. */
		.name = "host not ok: replaced, then retired",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(ON_HOST("i1", "iad", HA, "unreachable"),
				     ON_HOST("f1", "fra", HA, "unknown"),
				     READY("f2", "fra", HA, 30),
				     ON_HOST("n1", "nrt", HA, "ok")),
		.actions = ACTIONS(CREATE(REPLACE, "iad"),
				   DESTROY(OUTDATED, "fra", "f1")),
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "fra", 1, 2, 1, 1, 0, 1, 0, ROLLING },
				 { "nrt", 1, 1, 1, 1, 0, 0, 0, CONV }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* A create standing in for an idle old machine is parked
		 * (not booted); the surge allows one at a time. */
		.name = "idle outdated machines get parked replacements",
		.hash = HB,
		.regions = REGIONS({ "iad", 3, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     IN("o2", "iad", "stopped", HA, 9000),
				     IN("o3", "iad", "suspended", HA, 9000),
				     IN("fo1", "fra", "stopped", HA, 9000)),
		.actions = ACTIONS(PARK(REPLACE, "iad"), PARK(REPLACE, "fra")),
		.expect = EXPECT({ "iad", 3, 3, 0, 0, 0, 3, 0, ROLLING },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* Parked stand-ins are never ready, yet they retire the
		 * old: idle ones when the new are ready or idle, running
		 * ones when ready + parked cover the count. */
		.name = "parked replacements retire the old",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     IN("o2", "iad", "stopped", HA, 9000),
				     IN("n1", "iad", "parked", HB, 20),
				     READY("n2", "iad", HB, 20),
				     IN("fo1", "fra", "suspended", HA, 9000),
				     IN("fn1", "fra", "parked", HB, 20)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o2"),
				   DESTROY(OUTDATED, "iad", "o1"),
				   DESTROY(OUTDATED, "fra", "fo1")),
		.expect = EXPECT({ "iad", 2, 4, 2, 1, 1, 2, 0, ROLLING },
				 { "fra", 1, 2, 1, 0, 1, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* A parked machine is idle: present, never overdue, and
		 * the region is converged without booting it. */
		.name = "parked machines count as present",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(IN("n1", "iad", "parked", HB, 5000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 0, 1, 0, 0, CONV }),
		.phase = PLAN_CONVERGED,
	},
	{
		/* A capacity hold blocks creates in its region only, for
		 * any config; the other regions go on. */
		.name = "capacity hold blocks one region",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 2, NULL }),
		.machines = MACHINES(READY("fn1", "fra", HB, 100)),
		.holds = HOLDS(CAPHOLD("fra")),
		.actions = ACTIONS(CREATE(MISSING, "iad")),
		.expect = EXPECT({ "iad", 1, 0, 0, 0, 0, 0, 0, SCALING },
				 { "fra", 2, 1, 1, 1, 0, 0, 0, NOCAP }),
		.phase = PLAN_DEGRADED,
	},
	{
		/* Its wait over, the region tries again but stays Degraded
		 * until a create works: the phase does not flap. */
		.name = "capacity retry creates and stays degraded",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 2, NULL }),
		.machines = MACHINES(READY("in1", "iad", HB, 100),
				     READY("fn1", "fra", HB, 100)),
		.holds = HOLDS(CAPRETRY("fra")),
		.actions = ACTIONS(CREATE(MISSING, "fra")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 2, 1, 1, 1, 0, 0, 0, NOCAP }),
		.phase = PLAN_DEGRADED,
	},
	{
		/* A leased machine is never destroyed: retiring skips it,
		 * and scale-down takes the next victim instead. */
		.name = "leased machines are skipped",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, 100),
				     READY("f1", "fra", HB, 5000),
				     READY("f2", "fra", HB, 100),
				     READY("s1", "sjc", HB, 100),
				     READY("nn1", "nrt", HB, 100)),
		.holds = HOLDS(LEASEHOLD("iad", "o1"), LEASEHOLD("fra", "f2"),
			       LEASEHOLD("sjc", "s1")),
		.actions = ACTIONS(DESTROY(SCALE_DOWN, "fra", "f1")),
		.expect = EXPECT({ "iad", 1, 2, 1, 1, 0, 1, 0, LEASED },
				 { "fra", 1, 2, 2, 2, 0, 0, 0, LEASED },
				 { "nrt", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "sjc", 0, 1, 0, 0, 0, 1, 0, LEASED }),
		.phase = PLAN_PROGRESSING,
	},
	{
		/* No surge, one may be unavailable: an old one goes first,
		 * and nothing is created until there is room. */
		.name = "maxUnavailable without surge retires first",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 9000)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o1")),
		.expect = EXPECT({ "iad", 2, 2, 0, 0, 0, 2, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.tuned = 1, .surge = { 0, 0 }, .unavailable = { 1, 0 },
	},
	{
		/* 50% of 3: surge rounds up to 2, unavailable down to 1. */
		.name = "percentages round surge up, unavailable down",
		.hash = HB,
		.regions = REGIONS({ "iad", 3, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 9000),
				     READY("o3", "iad", HA, 9000)),
		.actions = ACTIONS(CREATE(REPLACE, "iad"),
				   CREATE(REPLACE, "iad"),
				   DESTROY(OUTDATED, "iad", "o1")),
		.expect = EXPECT({ "iad", 3, 3, 0, 0, 0, 3, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.tuned = 1, .surge = { 50, 1 }, .unavailable = { 50, 1 },
	},
	{
		/* Ready is not yet available: up for minReadySeconds. */
		.name = "minReadySeconds holds the old back",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, 10),
				     READY("fo1", "fra", HA, 9000),
				     READY("fn1", "fra", HB, 40)),
		.actions = ACTIONS(DESTROY(OUTDATED, "fra", "fo1")),
		.expect = EXPECT({ "iad", 1, 2, 1, 1, 0, 1, 0, ROLLING },
				 { "fra", 1, 2, 1, 1, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.tuned = 1, .surge = { 1, 0 }, .min_ready = 30,
	},
	{
		/* No new machine for a whole deadline while an old one is
		 * still there (its lease is held): every new machine goes,
		 * the old stay. A region still within it is left alone. */
		.name = "progress deadline gives the rollout up",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }, { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("n1", "iad", HB, DEADLINE + 1),
				     READY("n2", "iad", HB, DEADLINE + 5),
				     READY("no1", "nrt", HA, 9000),
				     IN("nn1", "nrt", "starting", HB, 100)),
		.holds = HOLDS(LEASEHOLD("iad", "o1")),
		.actions = ACTIONS(DESTROY(DEADLINE, "iad", "n1"),
				   DESTROY(DEADLINE, "iad", "n2")),
		.expect = EXPECT({ "iad", 2, 3, 2, 2, 0, 1, 0,
				   PLAN_DEGRADED, "ProgressDeadlineExceeded" },
				 { "nrt", 1, 2, 1, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_DEGRADED,
	},
	{
		.name = "deadline hold blocks creates of its config",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000)),
		.holds = HOLDS({ "iad", HB, PLAN_HOLD_DEADLINE, "", 0 }),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0,
				   PLAN_DEGRADED, "ProgressDeadlineExceeded" }),
		.phase = PLAN_DEGRADED,
	},
	{
		.name = "the primary rolls out first",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000)),
		.actions = ACTIONS(CREATE(REPLACE, "iad")),
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, WAITING }),
		.phase = PLAN_PROGRESSING,
		.waves = 1,
	},
	{
		/* The primary settled and soaked: the next wave (one region
		 * at a time) goes; the one after waits. A region that is
		 * only short is not held by waves. */
		.name = "waves of maxParallelRegions after the soak",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }, { "syd", 1, NULL }),
		.machines = MACHINES(READY("n1", "iad", HB, 100),
				     READY("fo1", "fra", HA, 9000),
				     READY("no1", "nrt", HA, 9000)),
		.actions = ACTIONS(CREATE(REPLACE, "fra"),
				   CREATE(MISSING, "syd")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "nrt", 1, 1, 0, 0, 0, 1, 0, WAITING },
				 { "syd", 1, 0, 0, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_PROGRESSING,
		.waves = 1, .parallel = 1, .soak = 60,
	},
	{
		/* The primary's new machine is ready: its old one is
		 * retired and, in the same round, the next wave starts. */
		.name = "old machines being retired do not hold the next wave",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("n1", "iad", HB, 100),
				     READY("o1", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000)),
		.actions = ACTIONS(DESTROY(OUTDATED, "iad", "o1"),
				   CREATE(REPLACE, "fra")),
		.expect = EXPECT({ "iad", 1, 2, 1, 1, 0, 1, 0, ROLLING },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.waves = 1,
	},
	{
		.name = "a wave still soaking holds the next",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("n1", "iad", HB, 10),
				     READY("fo1", "fra", HA, 9000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, WAITING }),
		.phase = PLAN_PROGRESSING,
		.waves = 1, .soak = 60,
	},
	{
		.name = "a failed wave halts the later ones",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     SICK("n1", "iad", HB, TIMEOUT + 5),
				     READY("fo1", "fra", HA, 9000)),
		.actions = ACTIONS(DESTROY(ROLLBACK, "iad", "n1")),
		.expect = EXPECT({ "iad", 1, 2, 1, 0, 0, 1, 1, TIMEDOUT },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, HALTED }),
		.phase = PLAN_DEGRADED,
		.waves = 1,
	},
	{
		/* Two unhealthy machines, a brake at one: nothing is
		 * replaced anywhere; a short region still fills up. */
		.name = "storm brake stops replacing",
		.hash = HB,
		.regions = REGIONS({ "iad", 3, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(SICK("o1", "iad", HA, 9000),
				     SICK("o2", "iad", HA, 9000),
				     READY("o3", "iad", HA, 9000),
				     READY("fo1", "fra", HA, 9000)),
		.actions = ACTIONS(CREATE(MISSING, "nrt")),
		.expect = EXPECT({ "iad", 3, 3, 0, 0, 0, 3, 0,
				   PLAN_DEGRADED, "TooManyUnhealthy" },
				 { "fra", 1, 1, 0, 0, 0, 1, 0,
				   PLAN_DEGRADED, "TooManyUnhealthy" },
				 { "nrt", 1, 0, 0, 0, 0, 0, 0, SCALING }),
		.phase = PLAN_DEGRADED,
		.brake = 1,
	},
	{
		/* In place, one ready machine at a time (maxUnavailable 0
		 * still lets one go); idle ones at once and without
		 * booting; a lost host's machine is made again. */
		.name = "rolling updates in place, one at a time",
		.hash = HB,
		.regions = REGIONS({ "iad", 3, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 8000),
				     READY("o3", "iad", HA, 7000),
				     IN("fo1", "fra", "stopped", HA, 9000),
				     ON_HOST("no1", "nrt", HA, "unreachable")),
		.actions = ACTIONS(UPDATE("iad", "o3"),
				   UPDATE_IDLE("fra", "fo1"),
				   DESTROY(OUTDATED, "nrt", "no1"),
				   CREATE(REPLACE, "nrt")),
		.expect = EXPECT({ "iad", 3, 3, 0, 0, 0, 3, 0, ROLLING },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "nrt", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.strategy = "rolling",
	},
	{
		/* The updated one is not ready yet: wait; one that never
		 * gets healthy stops the region where it is. */
		.name = "rolling waits for health",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }, { "fra", 2, NULL }),
		.machines = MACHINES(IN("n1", "iad", "starting", HB, 20),
				     READY("o2", "iad", HA, 8000),
				     SICK("fn1", "fra", HB, TIMEOUT + 1),
				     READY("fo2", "fra", HA, 8000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 2, 2, 1, 0, 0, 1, 0, ROLLING },
				 { "fra", 2, 2, 1, 0, 0, 1, 1, TIMEDOUT }),
		.phase = PLAN_DEGRADED,
		.strategy = "rolling",
	},
	{
		.name = "immediate updates everything at once",
		.hash = HB,
		.regions = REGIONS({ "iad", 2, NULL }),
		.machines = MACHINES(READY("o1", "iad", HA, 9000),
				     READY("o2", "iad", HA, 8000)),
		.actions = ACTIONS(UPDATE("iad", "o2"), UPDATE("iad", "o1")),
		.expect = EXPECT({ "iad", 2, 2, 0, 0, 0, 2, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
		.strategy = "immediate",
	},

	/*
	 * Regions held by the plan check: no action of any kind there;
	 * what is there is counted and is what they "desire".
	 */
	{
		.name = "held regions of a fresh set get nothing",
		.held = "fra nrt",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 2, NULL }),
		.machines = NONE_M,
		.actions = ACTIONS(CREATE(MISSING, "iad")),
		.expect = EXPECT({ "iad", 1, 0, 0, 0, 0, 0, 0, SCALING },
				 { "fra", 0, 0, 0, 0, 0, 0, 0, HELD },
				 { "nrt", 0, 0, 0, 0, 0, 0, 0, HELD }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "held regions keep extra, outdated and sick machines",
		.held = "fra nrt",
		.hash = HB,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HA, 5000),
				     READY("f2", "fra", HA, 5000),
				     READY("f3", "fra", HB, 5000),
				     SICK("n1", "nrt", HB, 5000),
				     SICK("n2", "nrt", HB, 5000)),
		/* Two sick machines would trip a brake of one if held
		 * regions counted: iad still gets its replacement. */
		.brake = 1,
		.actions = ACTIONS(CREATE(REPLACE, "iad")),
		.expect = EXPECT({ "iad", 1, 1, 0, 0, 0, 1, 0, ROLLING },
				 { "fra", 3, 3, 1, 1, 0, 2, 0, HELD },
				 { "nrt", 2, 2, 2, 0, 0, 0, 2, HELD }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "held region is not destroyed when left over",
		.held = "fra",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HA, 5000),
				     READY("f2", "fra", HA, 4000),
				     IN("f3", "fra", "stopped", HA, 3000)),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 3, 3, 3, 2, 1, 0, 0, HELD }),
		.phase = PLAN_CONVERGED,
	},
	{
		.name = "held region neither blocks nor joins the waves",
		.held = "fra",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 1, NULL },
				   { "nrt", 1, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HB, 5000),
				     READY("n1", "nrt", HB, 5000)),
		.waves = 1,
		.parallel = 1,
		.actions = ACTIONS(CREATE(REPLACE, "nrt")),
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 1, 1, 0, 0, 0, 1, 0, HELD },
				 { "nrt", 1, 1, 0, 0, 0, 1, 0, ROLLING }),
		.phase = PLAN_PROGRESSING,
	},
	{
		.name = "held region is not updated in place",
		.held = "fra",
		.hash = HA,
		.regions = REGIONS({ "iad", 1, NULL }, { "fra", 2, NULL }),
		.machines = MACHINES(READY("i1", "iad", HA, 5000),
				     READY("f1", "fra", HB, 5000),
				     ON_HOST("f2", "fra", HB, "unreachable")),
		.actions = NONE_A,
		.expect = EXPECT({ "iad", 1, 1, 1, 1, 0, 0, 0, CONV },
				 { "fra", 2, 2, 0, 0, 0, 2, 0, HELD }),
		.phase = PLAN_CONVERGED,
		.strategy = "immediate",
	},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static size_t
count_machines(const struct mdesc *md)
{
	size_t n = 0;

	while (md[n].id != NULL)
		n++;
	return n;
}

static void
fill_machine(struct fly_machine *m, const struct mdesc *d)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", d->id);
	snprintf(m->region, sizeof(m->region), "%s", d->region);
	snprintf(m->state, sizeof(m->state), "%s", d->state);
	if (strcmp(d->state, "parked") == 0) {
		snprintf(m->state, sizeof(m->state), "created");
		snprintf(m->launch_id, sizeof(m->launch_id), "%s%s",
			 PLAN_PARKED_PREFIX, "0123456789");
	}
	if (d->host != NULL)
		snprintf(m->host_status, sizeof(m->host_status), "%s",
			 d->host);
	if (d->set != NULL) {
		snprintf(m->managed_by, sizeof(m->managed_by), "%s",
			 d->owner ? d->owner : MCFG_MANAGED_BY_VALUE);
		snprintf(m->regionset, sizeof(m->regionset), "%s", d->set);
		snprintf(m->config_hash, sizeof(m->config_hash), "%s",
			 d->hash);
	}
	m->created_at = d->age > 0 ? NOW - d->age : 0;
	m->updated_at = m->created_at;
	if (d->check != NULL) {
		m->checks = calloc(1, sizeof(*m->checks));
		assert_non_null(m->checks);
		m->nchecks = 1;
		snprintf(m->checks[0].name, sizeof(m->checks[0].name),
			 "health");
		snprintf(m->checks[0].status, sizeof(m->checks[0].status),
			 "%s", d->check);
	}
}

static struct fly_machine *
make_machines(const struct mdesc *md, size_t n)
{
	struct fly_machine *ms = calloc(n ? n : 1, sizeof(*ms));
	size_t i;

	assert_non_null(ms);
	for (i = 0; i < n; i++)
		fill_machine(&ms[i], &md[i]);
	return ms;
}

static void
set_init(struct regionset *rs, const char *name)
{
	memset(rs, 0, sizeof(*rs));
	snprintf(rs->name, sizeof(rs->name), "%s", name);
	snprintf(rs->app, sizeof(rs->app), "%s-app", name);
	snprintf(rs->strategy, sizeof(rs->strategy), "bluegreen");
	rs->health_timeout_s = TIMEOUT;
	rs->max_surge.value = 1;
	rs->progress_deadline_s = DEADLINE;
	rs->max_unhealthy.value = 100;
	rs->max_unhealthy.percent = 1;
	rs->primary_first = 0;          /* per-region cases: one wave */
}

static void
set_add_region(struct regionset *rs, const char *code, int count,
	       const char *hash)
{
	struct rs_region *r;

	assert_true(rs->nregions < RS_REGIONS_MAX);
	r = &rs->regions[rs->nregions];
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->config_hash, sizeof(r->config_hash), "%s", hash);
	r->count = count;
	r->primary = rs->nregions == 0;
	rs->nregions++;
}

static void
make_set(struct regionset *rs, const struct pcase *c)
{
	const struct rdesc *d;
	int i;

	set_init(rs, SET);
	if (c->tuned) {
		rs->max_surge = c->surge;
		rs->max_unavailable = c->unavailable;
		rs->min_ready_s = c->min_ready;
	}
	if (c->strategy != NULL)
		snprintf(rs->strategy, sizeof(rs->strategy), "%s",
			 c->strategy);
	if (c->waves) {
		rs->primary_first = 1;
		rs->max_parallel_regions = c->parallel;
		rs->soak_s = c->soak;
	}
	if (c->brake > 0) {
		rs->max_unhealthy.value = c->brake;
		rs->max_unhealthy.percent = 0;
	}
	for (d = c->regions; d->code != NULL; d++)
		set_add_region(rs, d->code, d->count,
			       d->hash ? d->hash : c->hash);
	for (i = 0; i < rs->nregions; i++)
		rs->regions[i].held = c->held != NULL &&
			strstr(c->held, rs->regions[i].code) != NULL;
}

static size_t
count_holds(const struct plan_hold *h)
{
	size_t n = 0;

	while (h != NULL && h[n].region[0] != '\0')
		n++;
	return n;
}

/* The plan as text, one line per action then per region, so that a
 * failing case prints what it wanted beside what the planner did. */
static void
render_action(char *buf, size_t size, enum plan_op op, enum plan_reason why,
	      const char *region, const char *machine, int park)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "  %s %s %s %s%s\n",
		 plan_op_name(op), plan_reason_name(why), region,
		 machine ? machine : "-", park ? " parked" : "");
}

static void
render_region(char *buf, size_t size, const struct xregion *r)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "  %s desired=%d current=%d "
		 "updated=%d ready=%d idle=%d outdated=%d failed=%d %s/%s\n",
		 r->code, r->desired, r->current, r->updated, r->ready,
		 r->idle, r->outdated, r->failed, plan_phase_name(r->phase),
		 r->reason);
}

static void
render_got(char *buf, size_t size, const struct plan *p,
	   const struct fly_machine *ms, size_t nms)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < p->nactions; i++) {
		const struct plan_action *a = &p->actions[i];
		int ok = a->region >= 0 && (size_t)a->region < p->nregions;
		render_action(buf, size, a->op, a->reason,
			      ok ? p->regions[a->region].code : "?",
			      a->machine >= 0 && (size_t)a->machine < nms ?
			      ms[a->machine].id : NULL, a->park);
	}
	for (i = 0; i < p->nregions; i++) {
		const struct plan_region *r = &p->regions[i];
		struct xregion x = { r->code, r->desired, r->current,
			r->updated, r->ready, r->idle, r->outdated, r->failed,
			r->phase, r->reason };
		render_region(buf, size, &x);
	}
}

static void
render_want(char *buf, size_t size, const struct pcase *c)
{
	const struct xact *a;
	const struct xregion *r;

	buf[0] = '\0';
	for (a = c->actions; a->region != NULL; a++)
		render_action(buf, size, a->op, a->reason, a->region,
			      a->machine, a->park);
	for (r = c->expect; r->code != NULL; r++)
		render_region(buf, size, r);
}

static void
explain(const struct plan *p, const struct fly_machine *ms, size_t nms,
	const struct pcase *c)
{
	char got[4096], want[4096];

	render_got(got, sizeof(got), p, ms, nms);
	render_want(want, sizeof(want), c);
	if (strcmp(got, want) != 0)
		print_message("case \"%s\"\nwant:\n%sgot:\n%s", c->name,
			      want, got);
}

static size_t
count_actions(const struct xact *x)
{
	size_t n = 0;

	while (x[n].region != NULL)
		n++;
	return n;
}

static void
check_actions(const struct plan *p, const struct fly_machine *ms,
	      size_t nms, const struct xact *x)
{
	size_t i, n = count_actions(x);

	assert_int_equal(p->nactions, n);
	for (i = 0; i < n; i++) {
		const struct plan_action *a = &p->actions[i];

		assert_int_equal(a->op, x[i].op);
		assert_int_equal(a->reason, x[i].reason);
		assert_true(a->region >= 0 &&
			    (size_t)a->region < p->nregions);
		assert_string_equal(p->regions[a->region].code, x[i].region);
		assert_int_equal(a->park, x[i].park);
		if (x[i].machine == NULL) {
			assert_int_equal(a->machine, -1);
			continue;
		}
		assert_true(a->machine >= 0 && (size_t)a->machine < nms);
		assert_string_equal(ms[a->machine].id, x[i].machine);
		assert_string_equal(ms[a->machine].region, x[i].region);
	}
}

static void
check_region(const struct regionset *rs, const struct plan_region *r,
	     const struct xregion *x)
{
	const struct rs_region *spec = rs_region_find(rs, x->code);

	assert_string_equal(r->code, x->code);
	assert_ptr_equal(r->spec, spec);
	assert_int_equal(r->primary, spec != NULL && spec->primary);
	assert_int_equal(r->desired, x->desired);
	assert_int_equal(r->current, x->current);
	assert_int_equal(r->updated, x->updated);
	assert_int_equal(r->ready, x->ready);
	assert_int_equal(r->idle, x->idle);
	assert_int_equal(r->outdated, x->outdated);
	assert_int_equal(r->failed, x->failed);
	assert_string_equal(plan_phase_name(r->phase),
			    plan_phase_name(x->phase));
	assert_string_equal(r->reason, x->reason);
}

static void
check_plan(const struct regionset *rs, const struct plan *p,
	   const struct fly_machine *ms, size_t nms, const struct pcase *c)
{
	size_t i, n = 0;

	while (c->expect[n].code != NULL)
		n++;
	explain(p, ms, nms, c);
	assert_int_equal(p->nregions, n);
	for (i = 0; i < n; i++)
		check_region(rs, &p->regions[i], &c->expect[i]);
	check_actions(p, ms, nms, c->actions);
	assert_int_equal(p->unmanaged, c->unmanaged);
	assert_int_equal(p->foreign, c->foreign);
	assert_string_equal(plan_phase_name(p->phase),
			    plan_phase_name(c->phase));
}

/* Plan one case into p (which may hold an earlier plan) and check it. */
static void
plan_case(const struct pcase *c, struct plan *p)
{
	struct regionset rs;
	size_t n = count_machines(c->machines);
	struct fly_machine *ms = make_machines(c->machines, n);
	struct plan_input in = {
		.rs = &rs, .machines = ms, .nmachines = n, .now = NOW,
		.holds = c->holds, .nholds = count_holds(c->holds),
	};

	make_set(&rs, c);
	assert_int_equal(plan_compute(&in, p), 0);
	check_plan(&rs, p, ms, n, c);
	fly_machines_free(ms, n);
}

static void
test_case(void **state)
{
	struct plan p;

	memset(&p, 0, sizeof(p));
	plan_case(*state, &p);
	plan_free(&p);
}

/* One struct plan through every case, forwards then backwards, so each
 * case follows two others: nothing of an earlier plan shows through,
 * and the action array is kept, not leaked. */
static void
test_plan_reuse(void **state)
{
	struct plan p;
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 2 * NCASES; i++) {
		const struct pcase *c = &cases[i < NCASES ? i :
					       2 * NCASES - 1 - i];
		plan_case(c, &p);
	}
	plan_free(&p);
	assert_null(p.actions);
	assert_int_equal(p.nactions, 0);
	plan_free(&p);
}

static const char *const catalog[] = {
	"iad", "ord", "dfw", "den", "lax", "sjc", "sea", "yyz", "yul", "gru",
	"gig", "eze", "scl", "lhr", "cdg", "ams", "fra", "waw", "mad", "arn",
	"nrt", "hkg", "sin", "syd", "bom", "maa", "jnb", "bah",
};

#define NCATALOG (sizeof(catalog) / sizeof(catalog[0]))

/* Per region hash, so each region has its own identity. */
static void
region_hash(char out[RS_HASH_LEN + 1], size_t r, int version)
{
	snprintf(out, RS_HASH_LEN + 1, "%08zx%08x", r + 1, version);
}

/* More machines than the planner's stack scratch holds: 28 regions of
 * 3 current machines and 1 outdated one each, listed interleaved, plus
 * machines that are not ours. In odd regions one new machine is still
 * failing its check. Returns how many machines it wrote. */
static size_t
many_machines(struct fly_machine *ms)
{
	char hash[RS_HASH_LEN + 1], id[FLY_ID_MAX];
	size_t n = 0, r, k;

	for (k = 0; k < 4; k++) {
		for (r = 0; r < NCATALOG; r++) {
			struct mdesc d = READY(id, catalog[r], hash, 100);

			snprintf(id, sizeof(id), "%s-%zu", catalog[r], k);
			region_hash(hash, r, k == 3 ? 1 : 2);
			if (k == 3)
				d.age = 9000;
			if (k == 2 && r % 2 == 1)
				d.check = "critical";
			fill_machine(&ms[n++], &d);
		}
		fill_machine(&ms[n++], &(struct mdesc)BARE("u", "iad",
							      "started"));
		fill_machine(&ms[n++], &(struct mdesc){ "x", "fra", "started",
			     "api", HA, 10, NULL, NULL, NULL });
	}
	return n;
}

/* Even regions are all ready and shed their old machine; odd regions
 * wait for their failing one. */
static void
check_many_rollout(const struct plan *p, const struct fly_machine *ms)
{
	char id[FLY_ID_MAX];
	size_t r, nd = 0;

	assert_int_equal(p->nregions, NCATALOG);
	assert_int_equal(p->unmanaged, 4);
	assert_int_equal(p->foreign, 4);
	for (r = 0; r < NCATALOG; r++) {
		const struct plan_region *pr = &p->regions[r];
		assert_string_equal(pr->code, catalog[r]);
		assert_int_equal(pr->desired, 3);
		assert_int_equal(pr->current, 4);
		assert_int_equal(pr->updated, 3);
		assert_int_equal(pr->outdated, 1);
		assert_int_equal(pr->ready, r % 2 ? 2 : 3);
		assert_int_equal(pr->phase, PLAN_PROGRESSING);
		assert_string_equal(pr->reason, "RollingOut");
	}
	assert_int_equal(p->nactions, NCATALOG / 2);
	for (r = 0; r < NCATALOG; r += 2) {
		const struct plan_action *a = &p->actions[nd++];

		snprintf(id, sizeof(id), "%s-3", catalog[r]);
		assert_int_equal(a->op, PLAN_DESTROY);
		assert_int_equal(a->reason, PLAN_OUTDATED);
		assert_int_equal(a->region, (int)r);
		assert_string_equal(ms[a->machine].id, id);
	}
}

/* The same machines planned twice on the heap path: first against the
 * set they were made from, then against its next version, where every
 * region creates 3 replacements with a surge that allows them (84
 * creates grow the action array). */
static void
test_many_machines(void **state)
{
	struct regionset rs;
	struct fly_machine ms[NCATALOG * 4 + 8];
	struct plan p;
	struct plan_input in;
	char hash[RS_HASH_LEN + 1];
	size_t r, k, nc;

	(void)state;
	set_init(&rs, SET);
	for (r = 0; r < NCATALOG; r++) {
		region_hash(hash, r, 2);
		set_add_region(&rs, catalog[r], 3, hash);
	}
	memset(&p, 0, sizeof(p));
	memset(&in, 0, sizeof(in));
	in.rs = &rs;
	in.machines = ms;
	in.nmachines = many_machines(ms);
	in.now = NOW;
	assert_int_equal(in.nmachines, NCATALOG * 4 + 8);
	assert_int_equal(plan_compute(&in, &p), 0);
	check_many_rollout(&p, ms);

	for (r = 0; r < NCATALOG; r++)
		region_hash(rs.regions[r].config_hash, r, 3);
	rs.max_surge.value = RS_COUNT_MAX;
	assert_int_equal(plan_compute(&in, &p), 0);
	for (k = 0, nc = 0; k < p.nactions; k++) {
		if (p.actions[k].op != PLAN_CREATE)
			continue;
		assert_int_equal(p.actions[k].reason, PLAN_REPLACE);
		assert_int_equal(p.actions[k].region, (int)(nc / 3));
		assert_int_equal(p.actions[k].machine, -1);
		nc++;
	}
	assert_int_equal(nc, NCATALOG * 3);
	assert_int_equal(p.regions[0].outdated, 4);
	assert_int_equal(p.regions[0].updated, 0);
	plan_free(&p);
	for (k = 0; k < in.nmachines; k++)
		fly_machine_clear(&ms[k]);
}

/* Either side of the planner's stack scratch (64 machines): one region
 * asking for 100 with 64, then 65 of them ready. */
static void
test_stack_boundary(void **state)
{
	struct regionset rs;
	struct fly_machine *ms;
	struct plan p;
	struct plan_input in;
	size_t n, i;

	(void)state;
	set_init(&rs, SET);
	set_add_region(&rs, "iad", RS_COUNT_MAX, HA);
	ms = calloc(65, sizeof(*ms));
	assert_non_null(ms);
	for (i = 0; i < 65; i++) {
		struct mdesc d = READY(NULL, "iad", HA, 5000);
		char id[FLY_ID_MAX];

		snprintf(id, sizeof(id), "m%zu", i);
		d.id = id;
		fill_machine(&ms[i], &d);
	}
	memset(&p, 0, sizeof(p));
	memset(&in, 0, sizeof(in));
	in.rs = &rs;
	in.machines = ms;
	in.now = NOW;
	for (n = 64; n <= 65; n++) {
		in.nmachines = n;
		assert_int_equal(plan_compute(&in, &p), 0);
		assert_int_equal(p.nregions, 1);
		assert_int_equal(p.regions[0].current, (int)n);
		assert_int_equal(p.regions[0].ready, (int)n);
		assert_int_equal(p.nactions, RS_COUNT_MAX - n);
		for (i = 0; i < p.nactions; i++) {
			assert_int_equal(p.actions[i].op, PLAN_CREATE);
			assert_int_equal(p.actions[i].reason, PLAN_MISSING);
		}
	}
	plan_free(&p);
	fly_machines_free(ms, 65);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(plan_op_name(PLAN_CREATE), "create");
	assert_string_equal(plan_op_name(PLAN_DESTROY), "destroy");
	assert_string_equal(plan_op_name(PLAN_UPDATE), "update");
	assert_string_equal(plan_reason_name(PLAN_MISSING), "missing");
	assert_string_equal(plan_reason_name(PLAN_REPLACE), "replace");
	assert_string_equal(plan_reason_name(PLAN_SCALE_DOWN), "scale-down");
	assert_string_equal(plan_reason_name(PLAN_OUTDATED), "outdated");
	assert_string_equal(plan_reason_name(PLAN_REGION_REMOVED),
			    "region-removed");
	assert_string_equal(plan_reason_name(PLAN_ROLLBACK), "rollback");
	assert_string_equal(plan_reason_name(PLAN_DEADLINE), "deadline");
	assert_string_equal(plan_phase_name(PLAN_CONVERGED), "Converged");
	assert_string_equal(plan_phase_name(PLAN_PROGRESSING), "Progressing");
	assert_string_equal(plan_phase_name(PLAN_DEGRADED), "Degraded");
	assert_string_equal(plan_phase_name(PLAN_HELD), "Held");
}

int
main(void)
{
	struct CMUnitTest tests[NCASES + 4];
	size_t i;

	for (i = 0; i < NCASES; i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_case,
								&cases[i]);
		t.name = cases[i].name;
		tests[i] = t;
	}
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_plan_reuse);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_many_machines);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_stack_boundary);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_names);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
