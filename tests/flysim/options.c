/* options.c - flysim settings: one table drives flags, env and --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "simutil.h"
#include "store.h"

typedef bool (*setter_fn)(struct sim_config *cfg, const char *arg);

struct option_row {
	const char *name;	/* without the leading "--" */
	const char *metavar;	/* NULL: a flag without argument */
	const char *env;
	const char *deflt;
	const char *help;
	setter_fn set;
};

static const char *const delay_names[DELAY_COUNT] = {
	[DELAY_CREATE] = "create_delay",
	[DELAY_BOOT] = "boot_delay",
	[DELAY_STOP] = "stop_delay",
	[DELAY_DESTROY] = "destroy_delay",
	[DELAY_HEALTH] = "health_delay",
};

const char *
delay_name(enum delay d)
{
	return delay_names[d];
}

static bool
replace_str(char **slot, const char *arg)
{
	free(*slot);
	*slot = xstrdup(arg);
	return true;
}

static bool
set_listen(struct sim_config *cfg, const char *arg)
{
	return strchr(arg, ':') != NULL && replace_str(&cfg->listen, arg);
}

static bool
set_token(struct sim_config *cfg, const char *arg)
{
	return *arg != '\0' && replace_str(&cfg->token, arg);
}

static bool
set_unhealthy(struct sim_config *cfg, const char *arg)
{
	return *arg != '\0' && replace_str(&cfg->unhealthy_image, arg);
}

static bool
set_apps(struct sim_config *cfg, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	bool ok = true;

	for (char *t = strtok_r(copy, ",", &save); t != NULL && ok;
	    t = strtok_r(NULL, ",", &save)) {
		if (!(ok = store_app_name_ok(t)))
			break;
		cfg->apps = xrealloc(cfg->apps,
		    (size_t)(cfg->napps + 1) * sizeof(*cfg->apps));
		cfg->apps[cfg->napps++] = xstrdup(t);
	}
	free(copy);
	return ok;
}

static bool
set_flag(bool *slot, const char *arg)
{
	return arg == NULL ? (*slot = true) : parse_bool(arg, slot);
}

static bool
set_auto_apps(struct sim_config *cfg, const char *arg)
{
	return set_flag(&cfg->auto_apps, arg);
}

static bool
set_no_rate_limit(struct sim_config *cfg, const char *arg)
{
	bool off = false;

	if (!set_flag(&off, arg))
		return false;
	cfg->rate_limit = !off;
	return true;
}

static bool
set_delay(struct sim_config *cfg, enum delay d, const char *arg)
{
	double v;

	if (!parse_seconds(arg, &v) || v < 0 || v > 3600)
		return false;
	cfg->delay[d] = v;
	return true;
}

static bool
set_create(struct sim_config *cfg, const char *arg)
{
	return set_delay(cfg, DELAY_CREATE, arg);
}

static bool
set_boot(struct sim_config *cfg, const char *arg)
{
	return set_delay(cfg, DELAY_BOOT, arg);
}

static bool
set_stop(struct sim_config *cfg, const char *arg)
{
	return set_delay(cfg, DELAY_STOP, arg);
}

static bool
set_destroy(struct sim_config *cfg, const char *arg)
{
	return set_delay(cfg, DELAY_DESTROY, arg);
}

static bool
set_health(struct sim_config *cfg, const char *arg)
{
	return set_delay(cfg, DELAY_HEALTH, arg);
}

static bool
set_capacity(struct sim_config *cfg, const char *arg)
{
	long v;

	if (!parse_long(arg, &v) || v < 0 || v > 1000000)
		return false;
	cfg->capacity = (int)v;
	return true;
}

/* One "REGION=N" pair. */
static bool
set_one_region(struct sim_config *cfg, char *pair)
{
	char *eq = strchr(pair, '=');
	long v;
	int idx;

	if (eq == NULL)
		return false;
	*eq = '\0';
	idx = region_index(pair);
	if (idx < 0 || !parse_long(eq + 1, &v) || v < 0 || v > 1000000)
		return false;
	cfg->region_capacity[idx] = (int)v;
	return true;
}

static bool
set_region_capacity(struct sim_config *cfg, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	bool ok = true;

	for (char *t = strtok_r(copy, ",", &save); t != NULL && ok;
	    t = strtok_r(NULL, ",", &save))
		ok = set_one_region(cfg, t);
	free(copy);
	return ok;
}

static bool
set_seed(struct sim_config *cfg, const char *arg)
{
	long v;

	if (!parse_long(arg, &v))
		return false;
	cfg->seed = (uint64_t)v;
	cfg->seeded = true;
	return true;
}

static const struct option_row rows[] = {
	{ "listen", "HOST:PORT", "FLYSIM_LISTEN", "127.0.0.1:4280",
	    "address to serve on", set_listen },
	{ "token", "TOKEN", "FLYSIM_TOKEN", "any non-empty",
	    "the only token accepted", set_token },
	{ "apps", "A,B", "FLYSIM_APPS", "none",
	    "apps that exist from the start", set_apps },
	{ "auto-apps", NULL, "FLYSIM_AUTO_APPS", "off",
	    "every app name exists", set_auto_apps },
	{ "create-delay", "S", "FLYSIM_CREATE_DELAY", "0.1",
	    "created -> starting, seconds", set_create },
	{ "boot-delay", "S", "FLYSIM_BOOT_DELAY", "0.3",
	    "starting -> started", set_boot },
	{ "stop-delay", "S", "FLYSIM_STOP_DELAY", "0.2",
	    "stopping/suspending/replacing/restarting", set_stop },
	{ "destroy-delay", "S", "FLYSIM_DESTROY_DELAY", "0.2",
	    "destroying -> destroyed", set_destroy },
	{ "health-delay", "S", "FLYSIM_HEALTH_DELAY", "1.0",
	    "started -> checks passing", set_health },
	{ "unhealthy-image", "SUBSTRING", "FLYSIM_UNHEALTHY_IMAGE", "none",
	    "images containing it never pass checks", set_unhealthy },
	{ "capacity", "N", "FLYSIM_CAPACITY", "1000",
	    "machines per region (destroyed ones excluded)", set_capacity },
	{ "capacity-region", "REGION=N", "FLYSIM_CAPACITY_REGIONS", "-",
	    "capacity of one region (repeatable, or a,b list)",
	    set_region_capacity },
	{ "no-rate-limit", NULL, "FLYSIM_NO_RATE_LIMIT", "limits on",
	    "turn the API rate limits off", set_no_rate_limit },
	{ "seed", "N", "FLYSIM_SEED", "time and pid",
	    "seed for ids and names (deterministic runs)", set_seed },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

void
options_defaults(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = xstrdup("127.0.0.1:4280");
	cfg->delay[DELAY_CREATE] = 0.1;
	cfg->delay[DELAY_BOOT] = 0.3;
	cfg->delay[DELAY_STOP] = 0.2;
	cfg->delay[DELAY_DESTROY] = 0.2;
	cfg->delay[DELAY_HEALTH] = 1.0;
	cfg->capacity = 1000;
	for (int i = 0; i < REGION_COUNT; i++)
		cfg->region_capacity[i] = -1;
	cfg->rate_limit = true;
	cfg->destroy_requires_stop = true;
}

static void
usage(FILE *out)
{
	char lhs[48];

	fputs("usage: flysim [options]\n"
	    "A Fly.io Machines API emulator for tests.\n\n", out);
	for (size_t i = 0; i < NROWS; i++) {
		snprintf(lhs, sizeof(lhs), "--%s%s%s", rows[i].name,
		    rows[i].metavar ? " " : "",
		    rows[i].metavar ? rows[i].metavar : "");
		fprintf(out, "  %-28s %s\n", lhs, rows[i].help);
		fprintf(out, "  %-28s   default %s; env %s\n", "",
		    rows[i].deflt, rows[i].env);
	}
	fputs("  --help                       this text\n", out);
}

static const struct option_row *
find_row(const char *name, size_t len)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strlen(rows[i].name) == len &&
		    strncmp(rows[i].name, name, len) == 0)
			return &rows[i];
	return NULL;
}

static int
apply(struct sim_config *cfg, const struct option_row *row,
    const char *arg, const char *from)
{
	if (row->set(cfg, arg))
		return 0;
	fprintf(stderr, "flysim: bad value for %s\n", from);
	return -1;
}

static int
parse_env(struct sim_config *cfg)
{
	for (size_t i = 0; i < NROWS; i++) {
		const char *v = getenv(rows[i].env);

		if (v != NULL && apply(cfg, &rows[i], v, rows[i].env) < 0)
			return -1;
	}
	return 0;
}

/* One "--name[=value]" word, taking the value from argv when needed. */
static int
parse_word(struct sim_config *cfg, int argc, char **argv, int *i)
{
	const char *word, *eq, *arg = NULL;
	const struct option_row *row = NULL;
	char from[48];

	if (strncmp(argv[*i], "--", 2) == 0) {
		word = argv[*i] + 2;
		eq = strchr(word, '=');
		row = find_row(word, eq ? (size_t)(eq - word) : strlen(word));
		arg = eq ? eq + 1 : NULL;
	}
	if (row == NULL) {
		fprintf(stderr, "flysim: unknown option %s\n", argv[*i]);
		return -1;
	}
	if (row->metavar != NULL && arg == NULL) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "flysim: --%s needs %s\n",
			    row->name, row->metavar);
			return -1;
		}
		arg = argv[++*i];
	}
	/* Name the option, never echo its value: it may be a token. */
	snprintf(from, sizeof(from), "--%s", row->name);
	return apply(cfg, row, arg, from);
}

int
options_parse(struct sim_config *cfg, int argc, char **argv)
{
	if (parse_env(cfg) < 0)
		return -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (parse_word(cfg, argc, argv, &i) < 0) {
			fputs("flysim: try --help\n", stderr);
			return -1;
		}
	}
	return 0;
}

void
options_free(struct sim_config *cfg)
{
	for (int i = 0; i < cfg->napps; i++)
		free(cfg->apps[i]);
	free(cfg->apps);
	free(cfg->listen);
	free(cfg->token);
	free(cfg->unhealthy_image);
	memset(cfg, 0, sizeof(*cfg));
}
