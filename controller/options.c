/* options.c - one table drives flags, environment, defaults and help. */
#include "options.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum opt_type { OPT_STRING, OPT_DURATION, OPT_BOOL };

/* The commands an option belongs to. */
enum { C_RUN = 1, C_PLAN = 2, C_STATUS = 4, C_MIGRATE = 8 };

struct opt_row {
	const char *flag;
	const char *env;
	enum opt_type type;
	const char *def;          /* NULL: no default */
	size_t offset;
	const char *help;
	unsigned cmds;            /* C_* of the commands that take it */
};

#define OFF(f) offsetof(struct options, f)

static const struct opt_row rows[] = {
	{ "source", "RHONE_SOURCE", OPT_STRING, NULL, OFF(source),
	  "folder of RegionSet YAML files (read recursively), or a "
	  "postgres:// URL",
	  C_RUN | C_PLAN | C_MIGRATE },
	{ "fly-api-url", "FLY_API_URL", OPT_STRING,
	  "https://api.machines.dev", OFF(fly_api_url),
	  "base URL of the Fly Machines API",
	  C_RUN | C_PLAN },
	{ "fly-api-token-file", "FLY_API_TOKEN_FILE", OPT_STRING, NULL,
	  OFF(fly_api_token_file),
	  "file holding the Fly API token (else FLY_API_TOKEN)",
	  C_RUN | C_PLAN },
	{ "listen", "RHONE_LISTEN", OPT_STRING, "127.0.0.1:9090",
	  OFF(listen), "HOST:PORT of the status server",
	  C_RUN },
	{ "resync", "RHONE_RESYNC", OPT_DURATION, "30s", OFF(resync),
	  "full resync interval",
	  C_RUN },
	{ "poll", "RHONE_POLL", OPT_DURATION, "1s", OFF(poll),
	  "how often a set that is converging is looked at again",
	  C_RUN },
	{ "log-format", "RHONE_LOG_FORMAT", OPT_STRING, "text",
	  OFF(log_format), "text (key=value) or json",
	  C_RUN },
	{ "log-level", "RHONE_LOG_LEVEL", OPT_STRING, "info",
	  OFF(log_level), "debug, info, warn or error",
	  C_RUN },
	{ "leader-elect", "RHONE_LEADER_ELECT", OPT_BOOL, "false",
	  OFF(leader_elect), "run several replicas: only the holder of a "
	  "Postgres advisory lock acts",
	  C_RUN },
	{ "leader-elect-url", "RHONE_LEADER_ELECT_URL", OPT_STRING, NULL,
	  OFF(leader_elect_url), "postgres:// URL of the lock (default: the "
	  "--source URL; required with a YAML source)",
	  C_RUN },
	{ "leader-elect-name", "RHONE_LEADER_ELECT_NAME", OPT_STRING,
	  "rhone-controller", OFF(leader_elect_name),
	  "lock name: replicas sharing it and the database elect one "
	  "leader",
	  C_RUN },
	{ "webhook-url", "RHONE_WEBHOOK_URL", OPT_STRING, NULL,
	  OFF(webhook_url), "POST a JSON body here on each phase change",
	  C_RUN },
	{ "server", "RHONE_SERVER", OPT_STRING, "http://127.0.0.1:9090",
	  OFF(server), "status: URL of the controller's status server",
	  C_STATUS },
	{ "watch", "RHONE_WATCH", OPT_BOOL, "false", OFF(watch),
	  "status: follow until converged or failed (no value)",
	  C_STATUS },
	{ "timeout", "RHONE_TIMEOUT", OPT_DURATION, NULL, OFF(timeout),
	  "status --watch: give up after this long",
	  C_STATUS },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct opt_cmd {
	const char *name;
	unsigned bit;
	const char *usage;
} cmds[] = {
	{ "run", C_RUN, "run [options]\n  reconcile the RegionSets of "
	  "--source with the Fly Machines API until stopped" },
	{ "plan", C_PLAN, "plan [--source] DIR|URL [options]\n  print what run "
	  "would do now and change nothing; exit 0 when nothing would\n  "
	  "change, 2 when something would, 1 on error" },
	{ "status", C_STATUS, "status [NAME] [options]\n  print a running "
	  "controller's RegionSets; with --watch, follow them and exit\n  "
	  "0 when converged, 1 when degraded or failed, 2 on a usage error, 3 "
	  "on\n  timeout, 4 when the controller does not answer" },
	{ "migrate", C_MIGRATE, "migrate --source postgres://...\n  apply "
	  "the schema migrations that are missing, in one transaction" },
};

static const struct opt_cmd *
opt_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return &cmds[0];
}

static int
opt_bool(const char *value, int *out)
{
	if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
	    strcmp(value, "yes") == 0)
		*out = 1;
	else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
		 strcmp(value, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
opt_set(struct options *o, const struct opt_row *r, const char *value,
	FILE *err)
{
	char *base = (char *)o;

	if (r->type == OPT_BOOL) {
		if (opt_bool(value, (int *)(void *)(base + r->offset)) < 0) {
			fprintf(err, "--%s: \"%s\" is not 1, 0, true or "
				"false\n", r->flag, value);
			return -1;
		}
		return 0;
	}
	if (r->type == OPT_DURATION) {
		double d;
		if (util_parse_duration(value, &d) < 0 || d <= 0) {
			fprintf(err, "--%s: bad duration \"%s\" (e.g. 30s, "
				"1m)\n", r->flag, value);
			return -1;
		}
		*(double *)(void *)(base + r->offset) = d;
		return 0;
	}
	char **slot = (char **)(void *)(base + r->offset);
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : -1;
}

static const struct opt_row *
opt_find(const char *flag, size_t len)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strlen(rows[i].flag) == len &&
		    strncmp(rows[i].flag, flag, len) == 0)
			return &rows[i];
	return NULL;
}

static int
opt_defaults_and_env(struct options *o, FILE *err)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < NROWS; i++) {
		const char *env = getenv(rows[i].env);
		const char *v = env && *env ? env : rows[i].def;
		if (v != NULL && opt_set(o, &rows[i], v, err) < 0)
			return -1;
	}
	return 0;
}

static int
opt_postgres_url(const char *s)
{
	return s != NULL && (strncmp(s, "postgres://", 11) == 0 ||
			     strncmp(s, "postgresql://", 13) == 0);
}

/* The lock lives in Postgres: the source's database, or one named for
 * the lock alone. A lock URL without election is refused rather than
 * ignored, so that two replicas never both act by mistake. */
static int
opt_check_leader(const struct options *o, FILE *err)
{
	if (o->leader_elect_url != NULL && !o->leader_elect) {
		fprintf(err, "--leader-elect-url needs --leader-elect\n");
		return -1;
	}
	if (o->leader_elect_url != NULL &&
	    !opt_postgres_url(o->leader_elect_url)) {
		fprintf(err, "--leader-elect-url must be a postgres:// "
			"URL\n");
		return -1;
	}
	if (o->leader_elect && o->leader_elect_url == NULL &&
	    o->source != NULL && !opt_postgres_url(o->source)) {
		fprintf(err, "--leader-elect with a YAML source needs "
			"--leader-elect-url postgres://... for the lock\n");
		return -1;
	}
	if (o->leader_elect && o->leader_elect_name[0] == '\0') {
		fprintf(err, "--leader-elect-name must not be empty\n");
		return -1;
	}
	return 0;
}

static int
opt_check(const struct options *o, FILE *err)
{
	if (strcmp(o->log_format, "text") != 0 &&
	    strcmp(o->log_format, "json") != 0) {
		fprintf(err, "--log-format must be text or json\n");
		return -1;
	}
	if (strcmp(o->log_level, "debug") != 0 &&
	    strcmp(o->log_level, "info") != 0 &&
	    strcmp(o->log_level, "warn") != 0 &&
	    strcmp(o->log_level, "error") != 0) {
		fprintf(err, "--log-level must be debug, info, warn or "
			"error\n");
		return -1;
	}
	if (strchr(o->listen, ':') == NULL) {
		fprintf(err, "--listen must be HOST:PORT\n");
		return -1;
	}
	if (opt_check_leader(o, err) < 0)
		return -1;
	if (o->webhook_url != NULL &&
	    strncmp(o->webhook_url, "http://", 7) != 0 &&
	    strncmp(o->webhook_url, "https://", 8) != 0) {
		fprintf(err, "--webhook-url must be an http:// or https:// "
			"URL\n");
		return -1;
	}
	return 0;
}

/* An argument that is not an option: kept when the command takes some. */
static int
opt_positional(char *a, char **pos, int *npos, const int *max, FILE *err)
{
	if (pos == NULL || *npos >= *max) {
		fprintf(err, "unexpected argument \"%s\"\n", a);
		return -1;
	}
	pos[(*npos)++] = a;
	return 0;
}

int
options_parse_cmd(struct options *o, const char *cmd, int argc,
		  char **argv, FILE *err, char **pos, int *npos)
{
	const struct opt_cmd *c = opt_cmd_find(cmd);
	int i, max = npos ? *npos : 0;

	if (npos != NULL)
		*npos = 0;
	if (opt_defaults_and_env(o, err) < 0)
		return -1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct opt_row *r;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			options_usage_cmd(stdout, cmd);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (opt_positional(argv[i], pos, npos, &max, err) < 0)
				return -1;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		r = opt_find(a, eq ? (size_t)(eq - a) : strlen(a));
		if (r == NULL || !(r->cmds & c->bit)) {
			/* the name only: a value may be a secret */
			fprintf(err, "unknown option --%.*s for %s (see "
				"--help)\n", (int)(eq ? eq - a : (long)strlen(a)),
				a, cmd);
			if (strncmp(a, "fly-api-token", 13) == 0 &&
			    (a[13] == '\0' || a[13] == '='))
				fprintf(err, "the token comes from "
					"$FLY_API_TOKEN or --fly-api-token-file, "
					"never from a flag (it would show in "
					"ps)\n");
			return -1;
		}
		if (r->type == OPT_BOOL && eq == NULL) {
			*(int *)(void *)((char *)o + r->offset) = 1;
			continue;
		}
		if (eq == NULL && i + 1 >= argc) {
			fprintf(err, "--%s needs a value\n", r->flag);
			return -1;
		}
		if (opt_set(o, r, eq ? eq + 1 : argv[++i], err) < 0)
			return -1;
	}
	return opt_check(o, err);
}

int
options_parse(struct options *o, int argc, char **argv, FILE *err)
{
	return options_parse_cmd(o, "run", argc, argv, err, NULL, NULL);
}

static void
opt_rows_usage(FILE *out, unsigned bit)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i].cmds & bit)
			fprintf(out, "  --%-20s %s\n  %22s $%s%s%s\n",
				rows[i].flag, rows[i].help, "", rows[i].env,
				rows[i].def ? ", default " : "",
				rows[i].def ? rows[i].def : "");
}

void
options_usage_cmd(FILE *out, const char *cmd)
{
	const struct opt_cmd *c = opt_cmd_find(cmd);

	fprintf(out, "usage: rhone-controller %s\n\noptions (flag, "
		"environment, default):\n", c->usage);
	opt_rows_usage(out, c->bit);
	if (c->bit & (C_RUN | C_PLAN))
		fprintf(out, "\nThe Fly API token comes from $FLY_API_TOKEN "
			"or --fly-api-token-file, never from a flag.\n");
}

void
options_usage(FILE *out)
{

	fprintf(out, "usage: rhone-controller run [options]\n"
		"       rhone-controller plan --source DIR|URL [options]\n"
		"       rhone-controller validate PATH...\n"
		"       rhone-controller status [NAME] [--watch] "
		"[--timeout DURATION]\n"
		"       rhone-controller migrate --source URL\n"
		"       rhone-controller token create|list|revoke --source "
		"URL ...\n"
		"       rhone-controller regions\n"
		"       rhone-controller version | --version\n\noptions (flag, "
		"environment, default; \"status:\" marks the status "
		"command's; `rhone-controller COMMAND --help` lists a "
		"command's own):\n");
	opt_rows_usage(out, ~0u);
	fprintf(out, "\nThe Fly API token comes from $FLY_API_TOKEN or "
		"--fly-api-token-file, never from a flag.\n");
}

void
options_markdown(FILE *out)
{
	size_t i;

	fprintf(out, "| flag | environment | default | meaning |\n"
		"|---|---|---|---|\n");
	for (i = 0; i < NROWS; i++)
		fprintf(out, "| `--%s` | `%s` | %s%s%s | %s |\n",
			rows[i].flag, rows[i].env, rows[i].def ? "`" : "",
			rows[i].def ? rows[i].def : "", rows[i].def ? "`" : "",
			rows[i].help);
}

/* roff reads "-" as a hyphen; option names want a minus sign. */
static void
man_escaped(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* "Commands: run, plan." for a row of the man page. */
static void
opt_man_cmds(FILE *out, unsigned bits)
{
	const char *sep = "";
	size_t i;

	fprintf(out, "Commands:");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!(bits & cmds[i].bit))
			continue;
		fprintf(out, "%s \\fB%s\\fR", sep, cmds[i].name);
		sep = ",";
	}
	fprintf(out, ".\n");
}

void
options_man(FILE *out)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		fprintf(out, ".TP\n.B \\-\\-");
		man_escaped(out, rows[i].flag);
		fprintf(out, "\n");
		man_escaped(out, rows[i].help);
		fprintf(out, ".\nEnvironment:\n.BR ");
		man_escaped(out, rows[i].env);
		fprintf(out, " .\n");
		if (rows[i].def != NULL) {
			fprintf(out, "Default:\n.BR ");
			man_escaped(out, rows[i].def);
			fprintf(out, " .\n");
		}
		opt_man_cmds(out, rows[i].cmds);
	}
}

void
options_free(struct options *o)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		if (rows[i].type == OPT_STRING) {
			char **slot = (char **)(void *)((char *)o +
							rows[i].offset);
			free(*slot);
			*slot = NULL;
		}
	}
}
