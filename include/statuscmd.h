/* statuscmd.h - "rhone-controller status": a running controller's
 * /status as a table, and --watch to follow it until it converges. */
#ifndef RHONE_STATUSCMD_H
#define RHONE_STATUSCMD_H

/* Exit codes of the status command. */
enum {
	STATUSCMD_CONVERGED = 0,     /* printed; with --watch: converged */
	STATUSCMD_FAILED = 1,        /* Degraded, Invalid, source failed,
					or (without --watch) no such set */
	STATUSCMD_USAGE = 2,
	STATUSCMD_TIMEOUT = 3,       /* --timeout ran out first */
	STATUSCMD_UNREACHABLE = 4,   /* no good answer from the controller */
};

/* Run the command on its arguments (after "status"). */
int statuscmd_main(int argc, char **argv);

#endif
