/* pgmigrate.h - the Postgres schema: versioned migrations compiled in
 * from specs/postgres/, applied in order and recorded. */
#ifndef RHONE_PGMIGRATE_H
#define RHONE_PGMIGRATE_H

#include <stdio.h>

/* Apply every migration the database at url lacks, each in its own
 * transaction, printing one line per migration to out. Blocking: for the
 * CLI, never for the loop. 0 on success, -1 after printing why to err. */
int pgmigrate_apply(const char *url, FILE *out, FILE *err);

/* The schema version the compiled-in migrations lead to. */
int pgmigrate_latest(void);

/* The `migrate` subcommand; argv starts after it. Returns the exit
 * code. */
int pgmigrate_main(int argc, char **argv);

#endif
