/* util.c - small helpers every module shares. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

char *
util_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
duration_unit(const char **p, double *scale)
{
	static const struct { const char *name; double scale; } units[] = {
		{ "ms", 0.001 }, { "us", 1e-6 }, { "ns", 1e-9 },
		{ "h", 3600 }, { "m", 60 }, { "s", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (strncmp(*p, units[i].name, n) == 0) {
			*p += n;
			*scale = units[i].scale;
			return 0;
		}
	}
	return -1;
}

int
util_parse_duration(const char *s, double *secs)
{
	double total = 0;
	const char *p = s;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	total = strtod(s, &end);
	if (*end == '\0' && end != s && errno == 0 && total >= 0) {
		*secs = total;
		return 0;
	}

	/* Go style: a sequence of number+unit pairs. */
	total = 0;
	while (*p != '\0') {
		double v, scale;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		v = strtod(p, &end);
		if (end == p || errno != 0)
			return -1;
		p = end;
		if (duration_unit(&p, &scale) < 0)
			return -1;
		total += v * scale;
	}
	*secs = total;
	return 0;
}

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

double
util_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
util_rfc3339(double t, char *buf, size_t size)
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
util_parse_rfc3339(const char *s, double *t)
{
	struct tm tm;
	const char *p;
	double frac = 0;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		char *end;
		frac = strtod(p, &end);
		p = end;
	}
	if (*p != 'Z' && *p != '\0')
		return -1;    /* offsets other than UTC are not produced by Fly */
	*t = (double)timegm(&tm) + frac;
	return 0;
}

uint64_t
util_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
util_edit_distance(const char *a, const char *b)
{
	int prev[65], cur[65];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > 64)
		la = 64;
	if (lb > 64)
		lb = 64;
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			int m = sub < del ? sub : del;
			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

void
util_random_hex(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t i, n = size > 0 ? size - 1 : 0;
	FILE *f;

	if (n > sizeof(raw))
		n = sizeof(raw);
	f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(raw, 1, n, f) != n) {
		/* Uniqueness, not secrecy, is what ids need. */
		for (i = 0; i < n; i++)
			raw[i] = (unsigned char)rand();
	}
	if (f != NULL)
		fclose(f);
	for (i = 0; i < n; i++)
		buf[i] = hex[raw[i] & 15];
	if (size > 0)
		buf[n] = '\0';
}

void
sb_init(struct strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

static int
sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1, cap;
	char *p;

	if (sb->failed)
		return -1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (p == NULL) {
		sb->failed = 1;
		return -1;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

void
sb_append(struct strbuf *sb, const char *s, size_t len)
{
	if (sb_reserve(sb, len) < 0)
		return;
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void
sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
sb_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	sb_append(sb, "\"", 1);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			sb_append(sb, esc, 2);
		} else if (*p < 0x20) {
			sb_printf(sb, "\\u%04x", *p);
		} else {
			sb_append(sb, (const char *)p, 1);
		}
	}
	sb_append(sb, "\"", 1);
}

char *
sb_steal(struct strbuf *sb)
{
	char *p;

	if (sb->failed) {
		sb_free(sb);
		return NULL;
	}
	if (sb->buf == NULL) {
		p = strdup("");
	} else {
		/* Kept strings (the status snapshots) give back what the
		 * doubling reserved beyond their length. */
		p = realloc(sb->buf, sb->len + 1);
		if (p == NULL)
			p = sb->buf;
	}
	sb_init(sb);
	return p;
}
