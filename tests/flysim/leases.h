/* leases.h - machine leases: who may change a machine for a while. */
#ifndef FLYSIM_LEASES_H
#define FLYSIM_LEASES_H

#include <stdbool.h>

#include "store.h"

struct sim;
struct call;

/* Whether m has a lease that has not expired at wall. */
bool lease_active(const struct machine *m, double wall);

/* Give m a new lease with a new nonce. Lock held. */
void lease_grant(struct sim *sim, struct machine *m, const char *owner,
    double ttl, const char *description);

/* Drop the lease of m, if any. */
void lease_clear(struct machine *m);

/*
 * For a lease-gated mutation: true when m is not leased or the call
 * carries the nonce; otherwise answers 409 and returns false.
 */
bool lease_gate(struct call *c);

/* The lease as data: nonce (when with_nonce), expires_at, owner... */
json_object *lease_data(const struct machine *m, bool with_nonce);

#endif
