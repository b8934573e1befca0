/* simutil.h - clocks, time formats, parsing and JSON helpers. */
#ifndef FLYSIM_SIMUTIL_H
#define FLYSIM_SIMUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Seconds on the monotonic clock (timers). */
double now_mono(void);

/* Seconds since the epoch (timestamps shown to clients). */
double now_wall(void);

/* "2023-11-08T01:52:30Z" */
void fmt_rfc3339(double wall, char *out, size_t len);

/* Allocate or die: flysim is a test tool, out of memory is fatal. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Strict parsers: the whole string must be a number or a boolean. */
bool parse_long(const char *s, long *out);
bool parse_double(const char *s, double *out);
bool parse_bool(const char *s, bool *out);

/* A Go-style duration ("10s", "1.5s", "500ms") or plain seconds. */
bool parse_seconds(const char *s, double *out);

/* {"error": msg, "status": status} */
json_object *json_error(const char *msg, const char *status);

/* The string member key of o, or NULL when absent or not a string. */
const char *json_get_str(json_object *o, const char *key);

/* The first key of o whose value is not a string (or null when
 * nulls are allowed); NULL when every value is fine. */
const char *json_non_string_key(json_object *o, bool nulls_ok);

/* Add a member; the helpers keep builder code short. */
void json_put_str(json_object *o, const char *key, const char *val);
void json_put_int(json_object *o, const char *key, long long val);
void json_put_bool(json_object *o, const char *key, bool val);
void json_put_double(json_object *o, const char *key, double val);

#endif
