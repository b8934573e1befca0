/* simutil.c - clocks, time formats, parsing and JSON helpers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simutil.h"

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
fmt_rfc3339(double wall, char *out, size_t len)
{
	time_t t = (time_t)wall;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void *
xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL) {
		fputs("flysim: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fputs("flysim: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

bool
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool
parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* "true", "1", "yes" or "" (a bare ?flag); "false", "0", "no". */
bool
parse_bool(const char *s, bool *out)
{
	if (s == NULL)
		return false;
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "yes") == 0 || *s == '\0') {
		*out = true;
		return true;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 ||
	    strcmp(s, "no") == 0) {
		*out = false;
		return true;
	}
	return false;
}

bool
parse_seconds(const char *s, double *out)
{
	char buf[64];
	size_t n;
	double scale = 1.0;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	if (n > 2 && strcmp(buf + n - 2, "ms") == 0) {
		buf[n - 2] = '\0';
		scale = 0.001;
	} else if (buf[n - 1] == 's') {
		buf[n - 1] = '\0';
	} else if (buf[n - 1] == 'm') {
		buf[n - 1] = '\0';
		scale = 60.0;
	}
	if (!parse_double(buf, out))
		return false;
	*out *= scale;
	return true;
}

json_object *
json_error(const char *msg, const char *status)
{
	json_object *o = json_object_new_object();

	json_put_str(o, "error", msg);
	json_put_str(o, "status", status);
	return o;
}

const char *
json_get_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *
json_non_string_key(json_object *o, bool nulls_ok)
{
	json_object_object_foreach(o, key, val) {
		if (val == NULL ? !nulls_ok :
		    !json_object_is_type(val, json_type_string))
			return key;
	}
	return NULL;
}

void
json_put_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key,
	    val ? json_object_new_string(val) : NULL);
}

void
json_put_int(json_object *o, const char *key, long long val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

void
json_put_bool(json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

/* 15 significant digits: 38.9519 rather than 38.951900000000002. */
void
json_put_double(json_object *o, const char *key, double val)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.15g", val);
	if (strpbrk(buf, ".eEn") == NULL)
		strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
	json_object_object_add(o, key, json_object_new_double_s(val, buf));
}
