/* ratelimit.c - token buckets and a table of them keyed by (op, key). */
#include "ratelimit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Timers may fire a hair before the refill arithmetic reaches a whole
 * token; without this slack a waiter would re-arm for a nanosecond. */
#define RL_EPSILON 1e-9
#define RL_MIN_SLOTS 64
#define RL_MIN_SWEEP 256

struct rl_entry {
	struct rl_entry *next;
	uint64_t hash;
	struct rl_bucket b;
	size_t oplen;
	char name[];             /* op, NUL, key, NUL */
};

struct rl_table {
	struct rl_entry **slots;
	size_t nslots;           /* a power of two */
	size_t n;
	size_t sweep_at;         /* sweep before growing past this */
};

void
rl_init(struct rl_bucket *b, double rate, double burst, double now)
{
	b->rate = rate;
	b->burst = burst;
	b->last = now;
	b->tokens = burst;
}

static double
rl_level(const struct rl_bucket *b, double now)
{
	double dt = now - b->last, tokens = b->tokens;

	if (dt > 0)
		tokens += dt * b->rate;
	return tokens < b->burst ? tokens : b->burst;
}

double
rl_take(struct rl_bucket *b, double now)
{
	b->tokens = rl_level(b, now);
	b->last = now;
	if (b->tokens + RL_EPSILON >= 1.0) {
		b->tokens -= 1.0;
		if (b->tokens < 0)
			b->tokens = 0;
		return 0;
	}
	return (1.0 - b->tokens) / b->rate;
}

int
rl_full(const struct rl_bucket *b, double now)
{
	return rl_level(b, now) + RL_EPSILON >= b->burst;
}

struct rl_table *
rl_table_new(void)
{
	struct rl_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->slots = calloc(RL_MIN_SLOTS, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	t->nslots = RL_MIN_SLOTS;
	t->sweep_at = RL_MIN_SWEEP;
	return t;
}

void
rl_table_free(struct rl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nslots; i++) {
		struct rl_entry *e = t->slots[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->slots);
	free(t);
}

size_t
rl_table_size(const struct rl_table *t)
{
	return t->n;
}

static uint64_t
rl_hash(const char *op, const char *key)
{
	uint64_t h = util_fnv1a(UTIL_FNV_SEED, op, strlen(op) + 1);

	return util_fnv1a(h, key, strlen(key));
}

static struct rl_entry *
rl_find(const struct rl_table *t, uint64_t h, const char *op,
	const char *key)
{
	struct rl_entry *e = t->slots[h & (t->nslots - 1)];

	for (; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->name, op) == 0 &&
		    strcmp(e->name + e->oplen + 1, key) == 0)
			return e;
	}
	return NULL;
}

void
rl_table_sweep(struct rl_table *t, double now)
{
	size_t i;

	for (i = 0; i < t->nslots; i++) {
		struct rl_entry **pp = &t->slots[i], *e;
		while ((e = *pp) != NULL) {
			if (rl_full(&e->b, now)) {
				*pp = e->next;
				free(e);
				t->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

/* Double the slot array; on allocation failure the table keeps working
 * with longer chains. */
static void
rl_grow(struct rl_table *t)
{
	size_t n = t->nslots * 2, i;
	struct rl_entry **slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return;
	for (i = 0; i < t->nslots; i++) {
		struct rl_entry *e = t->slots[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			e->next = slots[e->hash & (n - 1)];
			slots[e->hash & (n - 1)] = e;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

/* Make room for one more entry: forget full buckets first, and only
 * grow when what is left is still busy. Sweeping when the count doubles
 * keeps the cost per insert constant. */
static void
rl_make_room(struct rl_table *t, double now)
{
	if (t->n >= t->sweep_at) {
		rl_table_sweep(t, now);
		t->sweep_at = t->n * 2 > RL_MIN_SWEEP ? t->n * 2 : RL_MIN_SWEEP;
	}
	if (t->n >= t->nslots)
		rl_grow(t);
}

static struct rl_entry *
rl_insert(struct rl_table *t, uint64_t h, const char *op, const char *key)
{
	size_t oplen = strlen(op), keylen = strlen(key);
	struct rl_entry *e = malloc(sizeof(*e) + oplen + keylen + 2);

	if (e == NULL)
		return NULL;
	e->hash = h;
	e->oplen = oplen;
	memcpy(e->name, op, oplen + 1);
	memcpy(e->name + oplen + 1, key, keylen + 1);
	e->next = t->slots[h & (t->nslots - 1)];
	t->slots[h & (t->nslots - 1)] = e;
	t->n++;
	return e;
}

int
rl_table_take(struct rl_table *t, const char *op, const char *key,
	      double rate, double burst, double now, double *wait)
{
	uint64_t h = rl_hash(op, key);
	struct rl_entry *e = rl_find(t, h, op, key);

	if (e == NULL) {
		rl_make_room(t, now);
		e = rl_insert(t, h, op, key);
		if (e == NULL)
			return -1;
		rl_init(&e->b, rate, burst, now);
	}
	*wait = rl_take(&e->b, now);
	return 0;
}
