/* stats.c - API operations and the call counters kept for each. */
#include <stdio.h>
#include <string.h>

#include "stats.h"
#include "simutil.h"

static const struct {
	const char *name;
	bool mutating;
} ops[OP_COUNT] = {
	[OP_LIST] = { "list", false },
	[OP_CREATE] = { "create", true },
	[OP_GET] = { "get", false },
	[OP_UPDATE] = { "update", true },
	[OP_START] = { "start", true },
	[OP_STOP] = { "stop", true },
	[OP_SUSPEND] = { "suspend", true },
	[OP_RESTART] = { "restart", true },
	[OP_DESTROY] = { "destroy", true },
	[OP_WAIT] = { "wait", false },
	[OP_LEASE_ACQUIRE] = { "lease_acquire", true },
	[OP_LEASE_GET] = { "lease_get", false },
	[OP_LEASE_RELEASE] = { "lease_release", true },
	[OP_CORDON] = { "cordon", true },
	[OP_UNCORDON] = { "uncordon", true },
	[OP_METADATA_GET] = { "metadata_get", false },
	[OP_METADATA_SET] = { "metadata_set", true },
	[OP_METADATA_DELETE] = { "metadata_delete", true },
	[OP_EVENTS] = { "events", false },
	[OP_REGIONS] = { "regions", false },
	[OP_APP_CREATE] = { "app_create", false },
	[OP_APP_GET] = { "app_get", false },
};

const char *
op_name(enum op op)
{
	if (op <= OP_NONE || op >= OP_COUNT)
		return "-";
	return ops[op].name;
}

enum op
op_lookup(const char *name)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(ops[i].name, name) == 0)
			return (enum op)i;
	return OP_NONE;
}

bool
op_mutating(enum op op)
{
	return op > OP_NONE && op < OP_COUNT && ops[op].mutating;
}

void
stats_count(struct stats *st, enum op op, int status)
{
	if (op <= OP_NONE || op >= OP_COUNT)
		return;
	st->total++;
	if (ops[op].mutating)
		st->mutating++;
	st->op_total[op]++;
	if (status >= 0 && status < STATUS_MAX)
		st->by_status[op][status]++;
}

void
stats_reset(struct stats *st)
{
	memset(st, 0, sizeof(*st));
}

static json_object *
op_json(const struct stats *st, int op)
{
	json_object *o = json_object_new_object();
	json_object *by = json_object_new_object();
	char code[8];

	json_put_int(o, "total", (long long)st->op_total[op]);
	for (int s = 0; s < STATUS_MAX; s++) {
		if (st->by_status[op][s] == 0)
			continue;
		snprintf(code, sizeof(code), "%d", s);
		json_put_int(by, code, (long long)st->by_status[op][s]);
	}
	json_object_object_add(o, "by_status", by);
	return o;
}

json_object *
stats_json(const struct stats *st)
{
	json_object *o = json_object_new_object();
	json_object *all = json_object_new_object();

	json_put_int(o, "total", (long long)st->total);
	json_put_int(o, "mutating", (long long)st->mutating);
	for (int i = 0; i < OP_COUNT; i++)
		json_object_object_add(all, ops[i].name, op_json(st, i));
	json_object_object_add(o, "ops", all);
	return o;
}
