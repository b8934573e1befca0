/* flymachine.h - Fly Machine objects as the controller reads them. */
#ifndef RHONE_FLYMACHINE_H
#define RHONE_FLYMACHINE_H

#include <stddef.h>

#include "regionset.h"

#define FLY_ID_MAX 32
#define FLY_CHECKS_MAX 8

struct fly_check {
	char name[40];
	char status[12];                  /* passing, warning, critical */
};

/* What the controller keeps of a Machine; unknown JSON fields are
 * ignored, missing ones left empty. */
struct fly_machine {
	char id[FLY_ID_MAX];
	char state[16];
	char region[8];
	char version[FLY_ID_MAX];         /* instance_id when version is absent */
	char host_status[16];             /* ok, unknown, unreachable; "" = ok */
	char *image;                      /* config.image; owned */
	char managed_by[24];              /* metadata rhone_managed_by */
	char regionset[RS_NAME_MAX];      /* metadata rhone_regionset */
	char config_hash[RS_HASH_LEN + 1];/* metadata rhone_config_hash */
	char launch_id[FLY_ID_MAX];       /* metadata rhone_launch_id */
	double created_at;                /* epoch seconds, 0 if unknown */
	double updated_at;
	int nchecks;
	struct fly_check *checks;         /* nchecks of them, up to
					     FLY_CHECKS_MAX; owned */
	int checks_dropped_failing;       /* checks not kept in checks[]
					     (past FLY_CHECKS_MAX or
					     unreadable) that are not
					     passing; ready needs 0 */
};

/* Parse a list response (a JSON array of Machines). On success *out is
 * an array of *n machines (free with fly_machines_free) and 0 is
 * returned; on a malformed body -1 with a reason in err. */
int fly_parse_machine_list(const char *body, size_t len,
			   struct fly_machine **out, size_t *n,
			   char *err, size_t errlen);

/* Parse a single Machine object (a create or get response). */
int fly_parse_machine(const char *body, size_t len, struct fly_machine *m,
		      char *err, size_t errlen);

/* Free what a machine owns (not the struct itself). */
void fly_machine_clear(struct fly_machine *m);

void fly_machines_free(struct fly_machine *ms, size_t n);

/* Whether the machine carries rhone's ownership metadata. */
int fly_machine_managed(const struct fly_machine *m);

/* destroyed or destroying: does not count any more. */
int fly_machine_gone(const struct fly_machine *m);

/* started, host ok, and every check passing (no checks: started is
 * enough). */
int fly_machine_ready(const struct fly_machine *m);

/* Extract "error" (or "message") from an API error body into buf; falls
 * back to the raw body, truncated. */
void fly_error_message(const char *body, size_t len, char *buf, size_t size);

#endif
