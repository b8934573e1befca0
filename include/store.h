/* store.h - the desired store: applies a source load to the entries,
 * keeping the last good spec of every set the load could not vouch for. */
#ifndef RHONE_STORE_H
#define RHONE_STORE_H

#include "controller.h"
#include "yamlsrc.h"

/* Apply a load (consumed: sets are moved out, the rest is freed by the
 * caller). Enqueues every set whose desired state or validity changed. */
void store_apply(struct ctl *c, struct yaml_load *ld);

/* Whether mutating calls are allowed for e right now. */
int store_frozen(const struct ctl *c, const struct entry *e);

/* Free every entry. */
void store_clear(struct ctl *c);

#endif
