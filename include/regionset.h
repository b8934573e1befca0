/* regionset.h - the RegionSet model, its defaults, validation and hashes. */
#ifndef RHONE_REGIONSET_H
#define RHONE_REGIONSET_H

#include <stddef.h>

#define RS_NAME_MAX 64      /* names and Fly app names: up to 63 chars */
#define RS_REGIONS_MAX 28   /* every catalog region at most once */
#define RS_HASH_LEN 16      /* hex digits of a config hash */
#define RS_PORTS_MAX 8
#define RS_HANDLERS_MAX 4
#define RS_COUNT_MAX 100    /* machines per region */

struct rs_kv {
	char *key;
	char *value;
};

struct rs_port {
	int port;
	int force_https;
	int nhandlers;
	char handlers[RS_HANDLERS_MAX][8];     /* http, tls, tcp, ... */
};

struct rs_service {
	char protocol[4];                      /* tcp or udp */
	int internal_port;
	int nports;
	struct rs_port ports[RS_PORTS_MAX];
	char concurrency_type[12];             /* connections or requests */
	int soft_limit;
	int hard_limit;
	char autostop[8];                      /* off, stop, suspend; ""
						  when not set (not sent) */
	int autostart;                         /* 0 or 1; -1 when not set
						  (not sent) */
	int min_machines_running;              /* 0: not sent */
};

struct rs_check {
	char name[32];
	char type[8];                          /* http or tcp */
	int port;
	char method[8];                        /* http only */
	char path[128];                        /* http only */
	int interval_s;
	int timeout_s;
	int grace_s;                           /* 0: not sent */
};

struct rs_guest {
	char cpu_kind[16];                     /* shared or performance */
	int cpus;
	int memory_mb;
};

/* A count of machines, or a percentage of a region's count. */
struct rs_quantity {
	int value;
	int percent;                           /* 1: value is a percentage */
};

/* One region of a set; regions[0] of a RegionSet is always the primary. */
struct rs_region {
	char code[4];
	int count;
	int primary;
	char config_hash[RS_HASH_LEN + 1];    /* filled by rs_finalize */
	char held;                             /* 1: the team's plan does not
						  allow this region: nothing
						  is made, replaced or
						  destroyed here */
};

struct rs_origin {
	char *file;                            /* NULL for non-file sources */
	int line;
	int column;
	int name_line, name_column;            /* metadata.name's value, */
	int app_line, app_column;              /* spec.app's (0: unknown) */
};

struct regionset {
	char name[RS_NAME_MAX];
	char app[RS_NAME_MAX];
	char *image;
	int nregions;
	struct rs_region regions[RS_REGIONS_MAX];
	struct rs_guest guest;                 /* replicas */
	struct rs_guest primary_guest;         /* primary region */
	int nservices;
	struct rs_service *services;
	int nchecks;
	struct rs_check *checks;
	int nenv;
	struct rs_kv *env;                     /* sorted by key */
	char strategy[16];                     /* bluegreen, rolling or
						  immediate */
	int health_timeout_s;                  /* how long a new machine may
						  take to pass its checks */
	struct rs_quantity max_surge;          /* machines over the count a
						  region may have during a
						  rollout (default 1) */
	struct rs_quantity max_unavailable;    /* ready machines under the
						  count it may drop to
						  (default 0) */
	int min_ready_s;                       /* a new machine counts as
						  available once up this
						  long with checks passing */
	int progress_deadline_s;               /* a region rolling out with
						  no new machine for this
						  long is rolled back */
	int primary_first;                     /* the primary is a wave of
						  its own (default 1) */
	int max_parallel_regions;              /* regions per wave after the
						  primary; 0: all the rest */
	int soak_s;                            /* a wave settled this long
						  before the next starts */
	struct rs_quantity max_unhealthy;      /* more unhealthy machines
						  than this (of the set's
						  count) stop replacing;
						  default 100% */
	char plan[24];                         /* the team's billing plan, as
						  the source says ("" when it
						  has none) */
	char spec_hash[RS_HASH_LEN + 1];      /* changes when spec changes */
	struct rs_origin origin;
};

/* A validation or parse error, located where the input has a location. */
struct rs_error {
	char *file;                            /* NULL if not from a file */
	int line;                              /* 1-based; 0 when unknown */
	int column;                            /* 1-based; 0 when unknown */
	char field[96];                        /* dotted path, e.g.
						  spec.regions[1].code */
	char set[RS_NAME_MAX];                 /* affected set, "" if unknown */
	char *message;
};

struct rs_errors {
	struct rs_error *items;
	size_t n;
	size_t cap;
};

/* Set every field to its default (DESIGN.md): shared x1, 256 MB, primary
 * 512 MB, one service 8080 -> 80/http + 443/http+tls, concurrency
 * connections 80/100, check "health" http :8080 /health every 10s
 * timeout 5s, strategy bluegreen, health timeout 5 minutes, max surge
 * 1, max unavailable 0, min ready 0, progress deadline 10 minutes, all
 * other regions in one wave after the primary, no soak, max unhealthy
 * 100%. Services and
 * checks are allocated; 0 on success, -1 on allocation failure. */
int rs_init_defaults(struct regionset *rs);

/* Fill one service with what a service entry starts from: tcp, no
 * ports, concurrency connections 80/100, autostop/autostart not set. */
void rs_service_init(struct rs_service *s);

/* Fill one check with what a check entry starts from: http, GET, every
 * 10s with a 5s timeout, no grace period; name, port and path empty. */
void rs_check_init(struct rs_check *c);

/* Compute spec_hash and every region's config_hash; call after the set
 * is complete and valid. 0 on success, -1 on allocation failure. */
int rs_finalize(struct regionset *rs);

/* Deep copy; NULL on allocation failure. */
struct regionset *rs_clone(const struct regionset *rs);

/* Free a set and everything it owns (NULL is fine). */
void rs_free(struct regionset *rs);

/* A quantity resolved against a region's count: percentages of surge
 * round up, of unavailable down (round_up says which). */
int rs_quantity_resolve(const struct rs_quantity *q, int count, int round_up);

/* Find a region of the set by code; NULL if the set does not have it. */
const struct rs_region *rs_region_find(const struct regionset *rs,
				       const char *code);

/* The guest for a region: primary_guest for the primary, else guest. */
const struct rs_guest *rs_region_guest(const struct regionset *rs,
				       const struct rs_region *r);

/* Append an error (the strings are copied); -1 on allocation failure. */
int rs_errors_add(struct rs_errors *errs, const char *file, int line,
		  int column, const char *field, const char *set,
		  const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Format an error as "file:line:column: field: message" (parts that are
 * unknown are left out). */
void rs_error_format(const struct rs_error *e, char *buf, size_t size);

void rs_errors_free(struct rs_errors *errs);

#endif
