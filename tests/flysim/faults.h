/* faults.h - injected failures: rules matched against API requests. */
#ifndef FLYSIM_FAULTS_H
#define FLYSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "stats.h"

struct fault {
	enum op op;
	int status;		/* 0: close the connection instead */
	long count;		/* requests left to hit; -1: unlimited */
	long delay_ms;
	json_object *body;	/* NULL: a generic error; a string: raw */
	char *app;		/* NULL: any app */
	char *region;		/* NULL: any region */
	bool after_apply;	/* perform the action, then fail */
	struct fault *next;
};

struct faults {
	struct fault *head;
	struct fault **tail;
};

/* What a matched rule asks for; body is new text to send, or NULL. */
struct fault_hit {
	int status;
	long delay_ms;
	char *body;
	bool after_apply;
};

/* Start with no rules. */
void faults_init(struct faults *f);

/*
 * Append a rule from its JSON form. Returns false and a reason in err
 * when the rule is malformed; nothing is added then.
 */
bool faults_add(struct faults *f, json_object *spec, char *err,
    size_t errlen);

/* Use up one hit of the first rule matching; false when none does. */
bool faults_take(struct faults *f, enum op op, const char *app,
    const char *region, struct fault_hit *hit);

/* The rules still pending, as JSON. */
json_object *faults_json(const struct faults *f);

/* Drop every rule. */
void faults_clear(struct faults *f);

#endif
