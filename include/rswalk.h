/* rswalk.h - decode a YAML tree against tables of known fields, with
 * errors that carry the node's position and a dotted field path. The
 * RegionSet reader is built on it; each helper reports its own error and
 * returns a failure, so callers only decide what to skip. */
#ifndef RHONE_RSWALK_H
#define RHONE_RSWALK_H

#include <stddef.h>

#include "regionset.h"
#include "ytree.h"

#define RSW_MAX_ERRORS 50          /* per walk; then one "too many" */
#define RSW_TEXT_MAX 32768         /* bytes of a free-form scalar */

/* One document's walk: where errors go, the set they name ("" when
 * unknown) and the path of the node being decoded. Zero it, then set
 * errs and file. */
struct rswalk {
	struct rs_errors *errs;
	const char *file;
	char set[RS_NAME_MAX];
	char path[160];
	size_t plen;
	int nerrs;
	int nomem;                 /* an error could not be recorded */
};

/* Decodes the value of one field into obj; the path already names it. */
typedef void (*rswalk_fn)(struct rswalk *w, const struct ynode *v,
			  void *obj);

struct rswalk_field {
	const char *key;
	rswalk_fn fn;
	int required;
};

#define RSW_NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Decodes one entry of a free-form mapping (env, checks, labels). */
typedef void (*rswalk_entry_fn)(struct rswalk *w, const struct ynode *k,
				const struct ynode *v, void *obj);

/* Extend the path by ".key" or "[i]"; return what rsw_pop restores. */
size_t rsw_push(struct rswalk *w, const char *key);
size_t rsw_push_index(struct rswalk *w, size_t i);
void rsw_pop(struct rswalk *w, size_t old);

/* User text fit for a message: clipped, control characters masked. */
const char *rsw_q(const char *s, char *buf, size_t size);

/* Record an error at node `at` (NULL: no position) under the path. */
void rsw_err(struct rswalk *w, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "a string", "a list", ... for messages. */
const char *rsw_type_name(const struct ynode *v);

/* The text of a string scalar; NULL after reporting. */
const char *rsw_string(struct rswalk *w, const struct ynode *v);

/* Any non-null scalar as written (numbers and booleans included). */
const char *rsw_text(struct rswalk *w, const struct ynode *v);

/* A non-empty string into dst of size bytes; -1 after reporting. */
int rsw_copy(struct rswalk *w, const struct ynode *v, char *dst,
	     size_t size);

/* A decimal integer within [min, max]; -1 after reporting. */
int rsw_int(struct rswalk *w, const struct ynode *v, long min, long max,
	    int *out);

/* true or false; -1 after reporting. */
int rsw_bool(struct rswalk *w, const struct ynode *v, int *out);

/* A duration ("10s", "1m30s") or number of seconds, whole seconds in
 * [min, max]; -1 after reporting. */
int rsw_duration(struct rswalk *w, const struct ynode *v, int min, int max,
		 int *out);

/* One of a NULL-terminated list of words, copied into dst; -1 after
 * reporting (the message lists the words). */
int rsw_enum(struct rswalk *w, const struct ynode *v,
	     const char *const *words, char *dst, size_t size);

/* Whether s is a DNS label: 1-63 of [a-z0-9-], not starting or ending
 * with '-'. */
int rsw_is_label(const char *s);

/* A DNS-label string into dst; -1 after reporting. */
int rsw_label(struct rswalk *w, const struct ynode *v, char *dst,
	      size_t size);

/* Whether v is a mapping (a list); reports when it is not. */
int rsw_is_map(struct rswalk *w, const struct ynode *v);
int rsw_is_list(struct rswalk *w, const struct ynode *v);

/* Walk a mapping of known fields (at most 32): each value goes to its
 * handler; unknown (with a spelling hint), duplicate and missing
 * required fields are reported. -1 when v is not a mapping. */
int rsw_map(struct rswalk *w, const struct ynode *v,
	    const struct rswalk_field *f, size_t nf, void *obj);

/* Walk a mapping of free-form string keys, at most max entries,
 * reporting non-string and duplicate keys. */
void rsw_entries(struct rswalk *w, const struct ynode *v, size_t max,
		 rswalk_entry_fn fn, void *obj);

#endif
