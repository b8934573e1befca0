/* ids.h - identifiers: ULIDs, machine ids, names, nonces, addresses. */
#ifndef FLYSIM_IDS_H
#define FLYSIM_IDS_H

#include <stddef.h>
#include <stdint.h>

#define ULID_LEN 26
#define MACHINE_ID_LEN 14
#define NONCE_LEN 12
#define DIGEST_LEN (7 + 64)	/* "sha256:" and 64 hex digits */

/* A small deterministic generator (splitmix64); not for secrets. */
struct rng {
	uint64_t state;
};

/* Seed a generator; the same seed gives the same sequence. */
void rng_seed(struct rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t rng_next(struct rng *r);

/* A ULID for wall-clock time wall (epoch seconds): 26 chars + NUL. */
void ids_ulid(struct rng *r, double wall, char out[ULID_LEN + 1]);

/* A machine id: 14 lowercase hex chars + NUL. */
void ids_machine(struct rng *r, char out[MACHINE_ID_LEN + 1]);

/* A lease nonce: 12 lowercase hex chars + NUL. */
void ids_nonce(struct rng *r, char out[NONCE_LEN + 1]);

/* A generated machine name such as "aged-wind-2649". */
void ids_name(struct rng *r, char *out, size_t len);

/* A 6PN-style private address such as "fdaa:0:3ec2:a7b:5adc:6068:5b85:2". */
void ids_private_ip(struct rng *r, char *out, size_t len);

/* A stable fake image digest derived from a string. */
void ids_digest(const char *s, char out[DIGEST_LEN + 1]);

/* FNV-1a hash of a string. */
uint64_t ids_hash(const char *s);

#endif
