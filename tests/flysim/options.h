/* options.h - flysim settings: command line, environment, --help. */
#ifndef FLYSIM_OPTIONS_H
#define FLYSIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "regions.h"

enum delay {
	DELAY_CREATE,
	DELAY_BOOT,
	DELAY_STOP,
	DELAY_DESTROY,
	DELAY_HEALTH,
	DELAY_COUNT
};

/* Settings; the runtime part can be changed by POST /_sim/config. */
struct sim_config {
	char *listen;			/* HOST:PORT */
	char **apps;			/* apps that exist from the start */
	int napps;
	bool auto_apps;
	uint64_t seed;
	bool seeded;

	double delay[DELAY_COUNT];	/* seconds */
	char *unhealthy_image;		/* NULL: every image is healthy */
	int capacity;			/* machines per region */
	int region_capacity[REGION_COUNT];	/* -1: use capacity */
	bool rate_limit;
	bool destroy_requires_stop;
	bool start_started_ok;		/* start of a running machine: 200 */
	char *token;			/* NULL: any non-empty token */
	double lease_ttl_max;		/* 0: none; else leases last at most
					   this long (a fast clock for
					   tests of crash recovery) */
};

/* Fill in the defaults. */
void options_defaults(struct sim_config *cfg);

/*
 * Read FLYSIM_* environment variables, then the command line.
 * Returns 0 to run, 1 when --help was printed, -1 on a bad option
 * (after saying why on stderr).
 */
int options_parse(struct sim_config *cfg, int argc, char **argv);

/* Release what the settings own. */
void options_free(struct sim_config *cfg);

/* The name of a delay as used in /_sim/config ("boot_delay"). */
const char *delay_name(enum delay d);

#endif
