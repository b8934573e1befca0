/* stats.h - API operations and the call counters kept for each. */
#ifndef FLYSIM_STATS_H
#define FLYSIM_STATS_H

#include <stdbool.h>

#include <json-c/json.h>

enum op {
	OP_NONE = -1,
	OP_LIST,
	OP_CREATE,
	OP_GET,
	OP_UPDATE,
	OP_START,
	OP_STOP,
	OP_SUSPEND,
	OP_RESTART,
	OP_DESTROY,
	OP_WAIT,
	OP_LEASE_ACQUIRE,
	OP_LEASE_GET,
	OP_LEASE_RELEASE,
	OP_CORDON,
	OP_UNCORDON,
	OP_METADATA_GET,
	OP_METADATA_SET,
	OP_METADATA_DELETE,
	OP_EVENTS,
	OP_REGIONS,
	OP_APP_CREATE,
	OP_APP_GET,
	OP_COUNT
};

#define STATUS_MAX 600

struct stats {
	unsigned long total;
	unsigned long mutating;
	unsigned long op_total[OP_COUNT];
	unsigned long by_status[OP_COUNT][STATUS_MAX];
};

/* The public name of an operation ("lease_acquire"). */
const char *op_name(enum op op);

/* The operation with that name, or OP_NONE. */
enum op op_lookup(const char *name);

/* Whether requests of op count as mutating, whatever their status. */
bool op_mutating(enum op op);

/* Count one answered request. */
void stats_count(struct stats *st, enum op op, int status);

/* Zero every counter. */
void stats_reset(struct stats *st);

/* The counters as served by GET /_sim/calls. */
json_object *stats_json(const struct stats *st);

#endif
