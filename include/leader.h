/* leader.h - leader election on a Postgres advisory lock: one replica
 * reconciles, the others stand by and take over when its session ends. */
#ifndef RHONE_LEADER_H
#define RHONE_LEADER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct ctl;
struct leader;

/* The advisory lock key of an election name: 64-bit FNV-1a of the name,
 * as the signed bigint pg_try_advisory_lock takes. */
int64_t leader_lock_key(const char *name);

/* Start standing for election on the database at url (a copy is kept)
 * under the lock of `name`. With read_status set (the Postgres source),
 * a standby reads the leader's region_status rows for /status. Starts
 * as standby. NULL on failure (a URL libpq cannot parse). */
struct leader *leader_new(struct ctl *c, const char *url, const char *name,
			  int read_status);

/* Close the lock session (the server releases the lock) and free. */
void leader_free(struct leader *l);

/* Whether this replica may reconcile and call the Fly API: 1 without
 * election (l NULL) or while it holds the lock. */
int leader_acting(const struct leader *l);

/* "leader" or "standby". */
const char *leader_role(const struct leader *l);

/* Why a standby cannot take over right now (no lock session), or NULL
 * when it can; msg gets the details. */
const char *leader_standby_not_ready(const struct leader *l, char *msg,
				     size_t size);

/* Append the election's fields to the /status list metadata, each with
 * a leading comma: role, roleSince, leader, and where a standby's items
 * come from. */
void leader_render_meta(const struct leader *l, struct strbuf *sb);

/* Whether /status items come from region_status (a standby of the
 * Postgres source) instead of this replica's own reconciles. */
int leader_serves_status(const struct leader *l);

/* Append the region_status items, comma-separated. */
void leader_render_items(const struct leader *l, struct strbuf *sb);

/* Append one region_status item; -1 when no app has that name. */
int leader_render_one(const struct leader *l, const char *name,
		      struct strbuf *sb);

/* Append the election metrics (rhone_leader and friends). */
void leader_metrics(const struct leader *l, struct strbuf *sb);

#endif
