/*
 * admin.h - the /_sim/ control API used by tests: no auth, no limits,
 * not counted in the call statistics.
 *
 * GET    /_sim/calls          {"total","mutating","ops":{op:{"total",
 *                             "by_status":{"200":n}}}}, every op listed
 * POST   /_sim/calls/reset    zero the counters
 * GET    /_sim/machines       every machine ever made (?app= to filter)
 * GET    /_sim/config         the runtime settings (token shown as
 *                             "(set)" or null, never its value)
 * POST   /_sim/config         change settings: create_delay, boot_delay,
 *                             stop_delay, destroy_delay, health_delay,
 *                             unhealthy_image, token, capacity,
 *                             capacity_regions {"fra":0, "iad":null},
 *                             rate_limit, destroy_requires_stop,
 *                             start_started_ok, auto_apps,
 *                             lease_ttl_max (seconds, 0 = no cap: every
 *                             lease lasts at most that long); an unknown
 *                             key or bad value is a 400, nothing applied
 * GET    /_sim/faults         pending fault rules
 * POST   /_sim/faults         add {"op","status","count","delay_ms",
 *                             "body","app","region","after_apply"};
 *                             status 0 closes the connection, count -1
 *                             never runs out, a string body is sent as
 *                             is (it need not be JSON)
 * DELETE /_sim/faults         drop every rule
 * POST   /_sim/leases         {"app","machine","owner","ttl"}: a lease
 *                             held by someone else; answers its nonce
 * POST   /_sim/host           {"app","machine","host_status"}: what the
 *                             API reports of the machine's host (ok,
 *                             unknown, unreachable); nothing else changes
 * GET    /_sim/timeline       [{"t","app","region","ready","alive"}]
 * GET    /_sim/apps           app names
 * POST   /_sim/apps           {"name"}: same as POST /v1/apps
 */
#ifndef FLYSIM_ADMIN_H
#define FLYSIM_ADMIN_H

struct call;

/* Answer a request whose path starts with /_sim/. Lock held. */
void admin_dispatch(struct call *c);

/* GET /_sim/config: the runtime settings. */
void admin_get_config(struct call *c);

/* POST /_sim/config: change settings; all keys valid or none applied. */
void admin_set_config(struct call *c);

#endif
