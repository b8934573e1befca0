/* options.h - the option table: flags, environment, defaults, help. */
#ifndef RHONE_OPTIONS_H
#define RHONE_OPTIONS_H

#include <stdio.h>

struct options {
	char *source;            /* folder of RegionSet YAML */
	char *fly_api_url;
	char *fly_api_token_file;
	char *listen;            /* HOST:PORT */
	double resync;           /* seconds between full resyncs */
	double poll;             /* seconds between looks at a busy set */
	char *log_format;        /* text or json */
	char *log_level;         /* debug, info, warn, error */
	char *webhook_url;       /* POST phase changes here; NULL: none */
	char *server;            /* status: the controller to ask */
	int watch;               /* status: follow until converged */
	double timeout;          /* status --watch: give up after; 0 none */
	int leader_elect;        /* stand for election; act only as leader */
	char *leader_elect_url;  /* Postgres for the lock; NULL: --source */
	char *leader_elect_name; /* replicas sharing it elect one leader */
};

/* Fill defaults, then environment variables, then argv (flags win).
 * argv starts after the subcommand. Prints the problem and returns -1
 * on a bad flag or value; 1 when --help was printed; 0 otherwise. */
int options_parse(struct options *o, int argc, char **argv, FILE *err);

/* options_parse for the command `cmd` (run, plan, status, migrate),
 * which takes only the options the table gives it. Arguments that are
 * not options go to pos (up to *npos; *npos is set to how many came);
 * with pos NULL they are refused. */
int options_parse_cmd(struct options *o, const char *cmd, int argc,
		      char **argv, FILE *err, char **pos, int *npos);

/* Print the option table as --help text. */
void options_usage(FILE *out);

/* Print `cmd`'s usage and only the options it takes (run, plan, status
 * or migrate). */
void options_usage_cmd(FILE *out, const char *cmd);

/* Print the option table as a Markdown table (for the README). */
void options_markdown(FILE *out);

/* Print the option table as man(7) paragraphs (for rhone-controller.1). */
void options_man(FILE *out);

void options_free(struct options *o);

#endif
