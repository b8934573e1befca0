/* rswalk.c - decode YAML trees against field tables: typed scalars,
 * mappings of known fields, free-form mappings, all reporting errors with
 * position and dotted path. Decoding goes on after an error, so one run
 * shows every problem. */
#include "rswalk.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/*
 * Paths and errors.
 */
size_t
rsw_push(struct rswalk *w, const char *key)
{
	size_t old = w->plen;
	int n;

	n = snprintf(w->path + w->plen, sizeof(w->path) - w->plen, "%s%s",
		     w->plen ? "." : "", key);
	if (n > 0)
		w->plen += (size_t)n;
	if (w->plen >= sizeof(w->path))
		w->plen = sizeof(w->path) - 1;
	return old;
}

size_t
rsw_push_index(struct rswalk *w, size_t i)
{
	size_t old = w->plen;
	int n;

	n = snprintf(w->path + w->plen, sizeof(w->path) - w->plen, "[%zu]",
		     i);
	if (n > 0)
		w->plen += (size_t)n;
	if (w->plen >= sizeof(w->path))
		w->plen = sizeof(w->path) - 1;
	return old;
}

void
rsw_pop(struct rswalk *w, size_t old)
{
	w->plen = old;
	w->path[old] = '\0';
}

/* User text inside a message: clipped, control characters masked, so a
 * message always stays one readable line. */
const char *
rsw_q(const char *s, char *buf, size_t size)
{
	size_t i, max = size - 4;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
	if (s[i] != '\0')
		memcpy(buf + i, "...", 4);
	return buf;
}

void
rsw_err(struct rswalk *w, const struct ynode *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (w->nerrs > RSW_MAX_ERRORS)
		return;
	if (w->nerrs++ == RSW_MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "too many errors; only the first "
			 "%d are shown", RSW_MAX_ERRORS);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (rs_errors_add(w->errs, w->file, at ? at->line : 0,
			  at ? at->column : 0, w->path, w->set, "%s",
			  msg) < 0)
		w->nomem = 1;
}

/*
 * Scalars.
 */
const char *
rsw_type_name(const struct ynode *v)
{
	static const char *const scalar[] = { "a string", "null",
		"a boolean", "an integer", "a number" };

	if (v->kind == YNODE_MAP)
		return "a mapping";
	if (v->kind == YNODE_LIST)
		return "a list";
	return scalar[v->type];
}

/* The text of a string scalar, or NULL after saying what is wrong. */
const char *
rsw_string(struct rswalk *w, const struct ynode *v)
{
	char q[64];

	if (v->kind == YNODE_SCALAR && v->type == YS_NULL) {
		rsw_err(w, v, "must not be empty");
		return NULL;
	}
	if (v->kind != YNODE_SCALAR) {
		rsw_err(w, v, "must be a string, not %s", rsw_type_name(v));
		return NULL;
	}
	if (v->type != YS_STRING) {
		rsw_err(w, v, "must be a string, not %s (quote it: \"%s\")",
			rsw_type_name(v), rsw_q(v->value, q, sizeof(q)));
		return NULL;
	}
	if (strlen(v->value) != v->len) {
		rsw_err(w, v, "must not contain NUL characters");
		return NULL;
	}
	return v->value;
}

/* Any non-null scalar as text: env and label values may be written as
 * numbers or booleans and mean the text as written. */
const char *
rsw_text(struct rswalk *w, const struct ynode *v)
{
	if (v->kind != YNODE_SCALAR) {
		rsw_err(w, v, "must be a string, not %s", rsw_type_name(v));
		return NULL;
	}
	if (v->type == YS_NULL) {
		rsw_err(w, v, "must not be null; write \"\" for an empty "
			"value");
		return NULL;
	}
	if (strlen(v->value) != v->len) {
		rsw_err(w, v, "must not contain NUL characters");
		return NULL;
	}
	if (v->len > RSW_TEXT_MAX) {
		rsw_err(w, v, "is too long (at most %d bytes)", RSW_TEXT_MAX);
		return NULL;
	}
	return v->value;
}

/* Copy a string field into a fixed buffer; -1 after an error. */
int
rsw_copy(struct rswalk *w, const struct ynode *v, char *dst, size_t size)
{
	const char *s = rsw_string(w, v);

	if (s == NULL)
		return -1;
	if (*s == '\0') {
		rsw_err(w, v, "must not be empty");
		return -1;
	}
	if (strlen(s) >= size) {
		rsw_err(w, v, "is too long (at most %zu characters)",
			size - 1);
		return -1;
	}
	util_strlcpy(dst, s, size);
	return 0;
}

int
rsw_int(struct rswalk *w, const struct ynode *v, long min, long max, int *out)
{
	long n;

	if (v->kind != YNODE_SCALAR || v->type != YS_INT) {
		rsw_err(w, v, "must be an integer, not %s", rsw_type_name(v));
		return -1;
	}
	if (strpbrk(v->value, "xo") != NULL) {
		rsw_err(w, v, "must be a decimal integer");
		return -1;
	}
	if (util_parse_long(v->value, min, max, &n) < 0) {
		rsw_err(w, v, "must be between %ld and %ld", min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
rsw_bool(struct rswalk *w, const struct ynode *v, int *out)
{
	if (v->kind != YNODE_SCALAR || v->type != YS_BOOL) {
		rsw_err(w, v, "must be true or false, not %s",
			rsw_type_name(v));
		return -1;
	}
	*out = v->value[0] == 't' || v->value[0] == 'T';
	return 0;
}

/* A Go-style duration ("10s", "1m30s") or a number of seconds, whole
 * seconds only: that is the precision the model keeps. */
int
rsw_duration(struct rswalk *w, const struct ynode *v, int min, int max,
	     int *out)
{
	double secs;

	if (v->kind != YNODE_SCALAR ||
	    (v->type != YS_STRING && v->type != YS_INT) ||
	    util_parse_duration(v->value, &secs) < 0) {
		rsw_err(w, v, "must be a duration such as \"10s\" or "
			"\"1m30s\"");
		return -1;
	}
	if (secs != floor(secs)) {
		rsw_err(w, v, "must be a whole number of seconds");
		return -1;
	}
	if (secs < min || secs > max) {
		rsw_err(w, v, "must be between %ds and %ds", min, max);
		return -1;
	}
	*out = (int)secs;
	return 0;
}

/* One of a fixed set of words; the message lists them all. */
int
rsw_enum(struct rswalk *w, const struct ynode *v, const char *const *words,
	 char *dst, size_t size)
{
	char list[160] = "", q[64];
	const char *s = rsw_string(w, v);
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(s, words[i]) == 0) {
			util_strlcpy(dst, s, size);
			return 0;
		}
	}
	for (i = 0; words[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s\"%s\"", i == 0 ? "" : words[i + 1] ? ", " :
			 " or ", words[i]);
	rsw_err(w, v, "must be %s, not \"%s\"", list,
		rsw_q(s, q, sizeof(q)));
	return -1;
}

/* DNS-label names: what Fly accepts for apps and what Kubernetes
 * accepts for object names. */
int
rsw_is_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
rsw_label(struct rswalk *w, const struct ynode *v, char *dst, size_t size)
{
	const char *s = rsw_string(w, v);
	char q[64];

	if (s == NULL)
		return -1;
	if (!rsw_is_label(s)) {
		rsw_err(w, v, "invalid name \"%s\": use at most 63 lowercase "
			"letters, digits and '-', starting and ending with a "
			"letter or digit", rsw_q(s, q, sizeof(q)));
		return -1;
	}
	util_strlcpy(dst, s, size);
	return 0;
}

/*
 * Mappings and lists.
 */
int
rsw_is_map(struct rswalk *w, const struct ynode *v)
{
	if (v->kind == YNODE_MAP)
		return 1;
	rsw_err(w, v, "must be a mapping, not %s", rsw_type_name(v));
	return 0;
}

int
rsw_is_list(struct rswalk *w, const struct ynode *v)
{
	if (v->kind == YNODE_LIST)
		return 1;
	rsw_err(w, v, "must be a list, not %s", rsw_type_name(v));
	return 0;
}

/* "min_machines_running" and "minMachinesRunning" are the same words. */
static int
rsw_same_words(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_' || *a == '-')
			a++;
		while (*b == '_' || *b == '-')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

static const char *
rsw_hint(const char *key, const struct rswalk_field *f, size_t nf)
{
	const char *best = NULL;
	int best_d = 3;
	size_t i;

	for (i = 0; i < nf; i++) {
		int dist = util_edit_distance(key, f[i].key);
		if (rsw_same_words(key, f[i].key))
			return f[i].key;
		if (dist < best_d) {
			best_d = dist;
			best = f[i].key;
		}
	}
	return best;
}

static void
rsw_unknown(struct rswalk *w, const struct ynode *k,
	    const struct rswalk_field *f, size_t nf)
{
	const char *hint = rsw_hint(k->value, f, nf);
	char list[256] = "", q[64];
	size_t i;

	rsw_q(k->value, q, sizeof(q));
	if (hint != NULL) {
		rsw_err(w, k, "unknown field \"%s\"; did you mean \"%s\"?", q,
			hint);
		return;
	}
	for (i = 0; i < nf; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", f[i].key);
	rsw_err(w, k, "unknown field \"%s\"; known fields: %s", q, list);
}

static int
rsw_key_ok(struct rswalk *w, const struct ynode *k)
{
	if (k->kind == YNODE_SCALAR && k->type != YS_NULL &&
	    strlen(k->value) == k->len)
		return 1;
	rsw_err(w, k, "keys must be strings");
	return 0;
}

static void
rsw_missing(struct rswalk *w, const struct ynode *map, unsigned seen,
	    const struct rswalk_field *f, size_t nf)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (f[i].required && !(seen & (1u << i)))
			rsw_err(w, map, "missing required field \"%s\"",
				f[i].key);
}

/* Walk a mapping of known fields: each value goes to its handler with
 * the path extended by the key. -1 when v is not a mapping. */
int
rsw_map(struct rswalk *w, const struct ynode *v, const struct rswalk_field *f,
	size_t nf, void *obj)
{
	unsigned seen = 0;
	size_t i, j, old;

	if (!rsw_is_map(w, v))
		return -1;
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->items[i];
		if (!rsw_key_ok(w, k))
			continue;
		for (j = 0; j < nf && strcmp(k->value, f[j].key) != 0; j++)
			;
		if (j == nf) {
			rsw_unknown(w, k, f, nf);
			continue;
		}
		if (seen & (1u << j)) {
			rsw_err(w, k, "duplicate field \"%s\"", f[j].key);
			continue;
		}
		seen |= 1u << j;
		old = rsw_push(w, f[j].key);
		f[j].fn(w, v->items[i + 1], obj);
		rsw_pop(w, old);
	}
	rsw_missing(w, v, seen, f, nf);
	return 0;
}

static int
rsw_dup_key(const struct ynode *map, size_t upto, const struct ynode *k)
{
	size_t i;

	for (i = 0; i < upto; i += 2)
		if (map->items[i]->kind == YNODE_SCALAR &&
		    strcmp(map->items[i]->value, k->value) == 0)
			return 1;
	return 0;
}

/* Walk a mapping of free-form keys (env, checks, labels). */
void
rsw_entries(struct rswalk *w, const struct ynode *v, size_t max,
	    rswalk_entry_fn fn, void *obj)
{
	char q[64];
	size_t i, old;

	if (!rsw_is_map(w, v))
		return;
	if (v->n / 2 > max) {
		rsw_err(w, v, "has %zu entries; at most %zu are allowed",
			v->n / 2, max);
		return;
	}
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->items[i];
		if (!rsw_key_ok(w, k))
			continue;
		if (rsw_dup_key(v, i, k)) {
			rsw_err(w, k, "duplicate key \"%s\"",
				rsw_q(k->value, q, sizeof(q)));
			continue;
		}
		old = rsw_push(w, k->value);
		fn(w, k, v->items[i + 1], obj);
		rsw_pop(w, old);
	}
}

