/*
 * main.c - flysim: a Fly.io Machines API emulator for tests.
 *
 * It serves the /v1 Machines API from memory, with the shapes of the
 * real one, and a /_sim/ control API for tests (see admin.h). Where
 * the real API is not pinned down, flysim chooses as follows:
 *
 * - Start of a running machine: 412 "failed_precondition: unable to
 *   start machine from current state: 'started'"; with the setting
 *   start_started_ok, 200 and no change.
 * - Destroy of a running machine without force (or kill): 412 "unable
 *   to destroy machine, not currently stopped", unless the setting
 *   destroy_requires_stop is false. Running means anything but
 *   created, stopped, suspended or destroyed.
 * - Mutations and metadata writes on a destroyed machine: 404
 *   "machine not found"; GET still shows it with state destroyed.
 * - Wait: version or instance_id naming an older version answers 200
 *   with state "replaced"; a destroyed machine that cannot reach the
 *   asked state answers 412 at once; default state started, default
 *   timeout 60, 1-60 allowed.
 * - Leases: ttl in the body or ?ttl=, default 30 s; the owner is
 *   derived from the caller's token; GET lease omits the nonce; a
 *   missing lease is 404 {"status":"error","code":"not_found"}.
 * - Update: skip_launch ends in stopped (created stays created);
 *   region or name in the body may repeat but not change (400).
 * - Create: region is a code, a list ("fra,ams") or an alias (na, sa,
 *   eu, apac, us, any); the first with room is used, else 422.
 * - Rate limits apply to every /v1 operation except regions and app
 *   creation: 1/s burst 3 per (op, machine) or (op, app) for list,
 *   create and app_get; get machine 5/s burst 10.
 * - Metadata writes change updated_at but not the machine version.
 * - Timings: created -> starting after create_delay, -> started after
 *   boot_delay; stopping, suspending, replacing and restarting last
 *   stop_delay; destroying lasts destroy_delay; checks pass
 *   health_delay after started. All are read when they are used, so
 *   /_sim/config changes apply to machines already in flight.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "http.h"
#include "lifecycle.h"
#include "options.h"
#include "sim.h"

/* SIGTERM and SIGINT are taken by sigwait in main, not by handlers. */
static bool
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, set, NULL) == 0;
}

static void
stop_everything(struct sim *sim, struct MHD_Daemon *d, pthread_t ticker)
{
	pthread_mutex_lock(&sim->lock);
	sim->stopping = true;
	sim_changed(sim);
	pthread_mutex_unlock(&sim->lock);
	if (d != NULL)
		http_stop(d);
	pthread_join(ticker, NULL);
}

int
main(int argc, char **argv)
{
	struct sim_config cfg;
	struct sim *sim;
	struct MHD_Daemon *d;
	pthread_t ticker;
	sigset_t set;
	int rc, sig;

	options_defaults(&cfg);
	if ((rc = options_parse(&cfg, argc, argv)) != 0) {
		options_free(&cfg);
		return rc > 0 ? 0 : 2;
	}
	if (!block_signals(&set) || (sim = sim_new(&cfg)) == NULL)
		return 1;
	if (!life_ticker_start(sim, &ticker)) {
		sim_free(sim);
		return 1;
	}
	if ((d = http_start(sim, sim->cfg.listen)) == NULL) {
		stop_everything(sim, NULL, ticker);
		sim_free(sim);
		return 1;
	}
	fprintf(stderr, "flysim: listening on %s port=%d "
	    "libmicrohttpd=%s json-c=%s\n", sim->cfg.listen, http_port(d),
	    MHD_get_version(), json_c_version());
	sigwait(&set, &sig);
	fprintf(stderr, "flysim: stopping on signal %d\n", sig);
	stop_everything(sim, d, ticker);
	sim_free(sim);
	return 0;
}
