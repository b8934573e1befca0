/* ids.c - identifiers: ULIDs, machine ids, names, nonces, addresses. */
#include <stdio.h>
#include <string.h>

#include "ids.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char hexdig[] = "0123456789abcdef";

static const char *const adjectives[] = {
	"aged", "ancient", "autumn", "billowing", "bitter", "black", "blue",
	"bold", "broken", "cold", "cool", "crimson", "damp", "dark", "dawn",
	"delicate", "divine", "dry", "empty", "falling", "floral", "fragrant",
	"frosty", "green", "hidden", "holy", "icy", "late", "lingering",
	"little", "lively", "long", "misty", "morning", "muddy", "nameless",
	"old", "patient", "polished", "proud", "purple", "quiet", "red",
	"restless", "rough", "shy", "silent", "small", "snowy", "solitary",
	"sparkling", "spring", "still", "summer", "throbbing", "twilight",
	"wandering", "weathered", "white", "wild", "winter", "wispy",
	"withered", "young",
};

static const char *const nouns[] = {
	"bird", "breeze", "brook", "bush", "butterfly", "cherry", "cloud",
	"darkness", "dawn", "dew", "dream", "dust", "feather", "field",
	"fire", "firefly", "flower", "fog", "forest", "frog", "frost",
	"glade", "glitter", "grass", "haze", "hill", "lake", "leaf",
	"meadow", "moon", "morning", "mountain", "night", "paper", "pine",
	"pond", "rain", "resonance", "river", "sea", "shadow", "shape",
	"silence", "sky", "smoke", "snow", "snowflake", "sound", "star",
	"sun", "sunset", "surf", "thunder", "tree", "violet", "voice",
	"water", "waterfall", "wave", "wildflower", "wind", "wood",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
rng_seed(struct rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
ids_ulid(struct rng *r, double wall, char out[ULID_LEN + 1])
{
	uint64_t ms = (uint64_t)(wall * 1000.0);
	uint64_t hi = rng_next(r), lo = rng_next(r);

	/* 48 bits of time in 10 chars, then 80 random bits in 16 chars. */
	for (int i = 9; i >= 0; i--) {
		out[i] = crockford[ms & 31];
		ms >>= 5;
	}
	for (int i = 0; i < 16; i++) {
		uint64_t *src = i < 8 ? &hi : &lo;

		out[10 + i] = crockford[*src & 31];
		*src >>= 5;
	}
	out[ULID_LEN] = '\0';
}

static void
hex_fill(struct rng *r, char *out, size_t n)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			bits = rng_next(r);
		out[i] = hexdig[bits & 15];
		bits >>= 4;
	}
	out[n] = '\0';
}

void
ids_machine(struct rng *r, char out[MACHINE_ID_LEN + 1])
{
	hex_fill(r, out, MACHINE_ID_LEN);
}

void
ids_nonce(struct rng *r, char out[NONCE_LEN + 1])
{
	hex_fill(r, out, NONCE_LEN);
}

void
ids_name(struct rng *r, char *out, size_t len)
{
	const char *adj = adjectives[rng_next(r) % NELEM(adjectives)];
	const char *noun = nouns[rng_next(r) % NELEM(nouns)];
	unsigned num = (unsigned)(rng_next(r) % 10000);

	snprintf(out, len, "%s-%s-%u", adj, noun, num);
}

void
ids_private_ip(struct rng *r, char *out, size_t len)
{
	uint64_t bits = rng_next(r);

	snprintf(out, len, "fdaa:0:%x:a7b:%x:%x:%x:2",
	    (unsigned)(bits & 0xffff), (unsigned)((bits >> 16) & 0xffff),
	    (unsigned)((bits >> 32) & 0xffff),
	    (unsigned)((bits >> 48) & 0xffff));
}

uint64_t
ids_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
ids_digest(const char *s, char out[DIGEST_LEN + 1])
{
	struct rng r;

	rng_seed(&r, ids_hash(s));
	memcpy(out, "sha256:", 7);
	hex_fill(&r, out + 7, 64);
}
