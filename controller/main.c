/* main.c - rhone-controller's entry point: pick the subcommand, parse
 * options, set up logging, run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "pgmigrate.h"
#include "plancmd.h"
#include "region.h"
#include "statuscmd.h"
#include "tokencmd.h"
#include "yamlsrc.h"

static int
cmd_validate(int argc, char **argv)
{
	struct yaml_load ld;
	char msg[1024];
	size_t i;
	int a;

	if (argc == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		fprintf(argc ? stdout : stderr, "usage: rhone-controller "
			"validate PATH...\n  checks RegionSet files and folders;"
			" exit 0 when all are valid, 1 on any error\n");
		return argc ? 0 : 2;
	}
	memset(&ld, 0, sizeof(ld));
	for (a = 0; a < argc; a++)
		yaml_load_path(argv[a], &ld);
	yaml_load_finish(&ld);
	for (i = 0; i < ld.errors.n; i++) {
		rs_error_format(&ld.errors.items[i], msg, sizeof(msg));
		printf("%s\n", msg);
	}
	if (ld.errors.n == 0)
		printf("%zu RegionSet%s valid\n", ld.nsets,
		       ld.nsets == 1 ? "" : "s");
	else
		printf("%zu error%s\n", ld.errors.n,
		       ld.errors.n == 1 ? "" : "s");
	i = ld.errors.n;
	yaml_load_free(&ld);
	return i ? 1 : 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct options o;
	int rc = options_parse(&o, argc, argv, stderr);

	if (rc != 0) {
		options_free(&o);
		return rc < 0 ? 2 : 0;
	}
	log_setup(strcmp(o.log_format, "json") == 0 ? LOG_FORMAT_JSON :
		  LOG_FORMAT_TEXT,
		  strcmp(o.log_level, "debug") == 0 ? LOG_DEBUG :
		  strcmp(o.log_level, "warn") == 0 ? LOG_WARN :
		  strcmp(o.log_level, "error") == 0 ? LOG_ERROR : LOG_INFO);
	rc = ctl_run(&o);
	options_free(&o);
	return rc;
}

/* For a command that takes no argument: -1 to go on when none came;
 * else the exit code after its usage (on stdout for --help, else on
 * stderr as an error). */
static int
no_arguments(int argc, char **argv, const char *usage)
{
	int help;

	if (argc == 0)
		return -1;
	help = strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0;
	fprintf(help ? stdout : stderr, "%s", usage);
	return help ? 0 : 2;
}

static int
cmd_version(int argc, char **argv)
{
	char libs[256];
	int rc = no_arguments(argc, argv, "usage: rhone-controller version "
			      "| --version\nPrint the version and the linked "
			      "library versions.\n");

	if (rc >= 0)
		return rc;
	metrics_lib_versions(libs, sizeof(libs), 0);
	printf("rhone-controller %s\n%s\n", RHONE_VERSION, libs);
	return 0;
}

/* The region catalog, one region a line, in catalog order. */
static int
cmd_regions(int argc, char **argv)
{
	size_t i;
	int rc = no_arguments(argc, argv, "usage: rhone-controller regions\n"
			      "Print the Fly region catalog.\n");

	if (rc >= 0)
		return rc;
	printf("%-4s %-20s %-16s %-14s %-13s %9s %10s\n", "CODE", "NAME",
	       "CITY", "COUNTRY", "CONTINENT", "LATITUDE", "LONGITUDE");
	for (i = 0; i < region_count(); i++) {
		const struct region *r = region_at(i);
		printf("%-4s %-20s %-16s %-14s %-13s %9.4f %10.4f\n", r->code,
		       r->name, r->city, r->country, r->continent,
		       r->latitude, r->longitude);
	}
	return 0;
}

static int
cmd_options_markdown(int argc, char **argv)
{
	int rc = no_arguments(argc, argv, "usage: rhone-controller "
			      "options-markdown\nPrint the option table as the "
			      "README's Markdown table.\n");

	if (rc >= 0)
		return rc;
	options_markdown(stdout);
	return 0;
}

static int
cmd_options_man(int argc, char **argv)
{
	int rc = no_arguments(argc, argv, "usage: rhone-controller "
			      "options-man\nPrint the option table as the man "
			      "page's OPTIONS paragraphs.\n");

	if (rc >= 0)
		return rc;
	options_man(stdout);
	return 0;
}

static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	options_usage(stdout);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "validate", cmd_validate },
	{ "migrate", pgmigrate_main },
	{ "plan", plancmd_main },
	{ "status", statuscmd_main },
	{ "token", tokencmd_main },
	{ "regions", cmd_regions },
	{ "version", cmd_version },
	{ "--version", cmd_version },
	{ "options-markdown", cmd_options_markdown },
	{ "options-man", cmd_options_man },
	{ "help", cmd_help },
	{ "--help", cmd_help },
	{ "-h", cmd_help },
};

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	size_t i;

	/* No command is a usage error, as with git and kubectl: the usage
	 * goes to stderr and a script that forgot the command fails. */
	if (cmd == NULL) {
		options_usage(stderr);
		return 2;
	}

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "unknown command \"%s\"\n", cmd);
	options_usage(stderr);
	return 2;
}
