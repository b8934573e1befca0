/* util.h - small helpers every module shares: strings, buffers, time. */
#ifndef RHONE_UTIL_H
#define RHONE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Growable string; after an allocation failure `failed` is set and
 * further appends are ignored, so callers check once at the end. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

/* Copy src into dst of size bytes, always NUL-terminated; returns
 * strlen(src). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* strdup that accepts NULL (returns NULL). */
char *util_strdup(const char *s);

/* Parse a Go-style duration ("500ms", "10s", "1m30s", "2h") or a bare
 * number of seconds; 0 on success, -1 on a malformed or negative value. */
int util_parse_duration(const char *s, double *secs);

/* Parse a base-10 integer within [min, max]; 0 on success, -1 otherwise. */
int util_parse_long(const char *s, long min, long max, long *out);

/* Wall-clock time in seconds since the epoch. */
double util_now(void);

/* Seconds on a clock that never jumps, for measuring intervals. */
double util_monotonic(void);

/* Format an epoch time as RFC 3339 UTC ("2026-12-03T16:05:53Z"). */
void util_rfc3339(double t, char *buf, size_t size);

/* Parse RFC 3339 UTC into epoch seconds; 0 on success, -1 otherwise. */
int util_parse_rfc3339(const char *s, double *t);

/* 64-bit FNV-1a over len bytes, continuing from h (start with
 * UTIL_FNV_SEED). */
#define UTIL_FNV_SEED 0xcbf29ce484222325ULL
uint64_t util_fnv1a(uint64_t h, const void *data, size_t len);

/* Levenshtein distance between two short strings (capped at 64 chars). */
int util_edit_distance(const char *a, const char *b);

/* Fill buf with size-1 random lowercase hex characters plus NUL. */
void util_random_hex(char *buf, size_t size);

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* Append a NUL-terminated string. */
void sb_puts(struct strbuf *sb, const char *s);
/* Append len bytes. */
void sb_append(struct strbuf *sb, const char *s, size_t len);
/* Append printf-formatted text. */
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
void sb_json_string(struct strbuf *sb, const char *s);
/* Give up ownership of the buffer (NUL-terminated), leaving sb empty. */
char *sb_steal(struct strbuf *sb);

#endif
