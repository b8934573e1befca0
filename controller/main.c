/* main.c - rhone-controller's entry point: pick the subcommand, parse
 * options, set up logging, run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "log.h"
#include "options.h"
#include "yamlsrc.h"

static int
cmd_validate(int argc, char **argv)
{
	struct yaml_load ld;
	char msg[1024];
	size_t i;
	int a;

	if (argc == 0) {
		fprintf(stderr, "usage: rhone-controller validate PATH...\n");
		return 2;
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

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(cmd, "validate") == 0)
		return cmd_validate(argc - 2, argv + 2);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("rhone-controller %s\n", RHONE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "options-markdown") == 0) {
		options_markdown(stdout);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		options_usage(stdout);
		return 0;
	}
	fprintf(stderr, "unknown command \"%s\"\n", cmd);
	options_usage(stderr);
	return 2;
}
