/* log.c - leveled key=value or JSON log lines on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "util.h"

static enum log_format log_fmt = LOG_FORMAT_TEXT;
static enum log_level log_min = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_setup(enum log_format format, enum log_level min)
{
	log_fmt = format;
	log_min = min;
}

int
log_enabled(enum log_level level)
{
	return level >= log_min;
}

static void
log_timestamp(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

const char *
log_q(const char *s)
{
	static char bufs[4][512];
	static unsigned next;
	char *out = bufs[next++ % 4];
	size_t n = 0, cap = sizeof(bufs[0]);

	out[n++] = '"';
	for (; s != NULL && *s != '\0' && n < cap - 3; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		else if (*s == '\n')
			continue;
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

/* Whether an unquoted value reads as a plain JSON number (ids made of
 * digits only, such as 14-digit machine ids, stay strings). */
static int
json_number(const char *v)
{
	char *end;

	if (v == NULL || *v == '\0' || strlen(v) > 12)
		return 0;
	if (v[0] == '0' && v[1] != '\0' && v[1] != '.')
		return 0;
	strtod(v, &end);
	return *end == '\0' && strspn(v, "-0123456789.") == strlen(v);
}

/* Read one key=value pair of a formatted line into JSON; returns the
 * position after it. Quoted values keep their escapes' meaning. */
static const char *
json_pair(struct strbuf *sb, const char *p)
{
	const char *key = p, *eq = strchr(p, '=');
	struct strbuf val;
	int quoted;

	if (eq == NULL) {
		sb_printf(sb, ",\"msg\":");
		sb_json_string(sb, p);
		return p + strlen(p);
	}
	sb_init(&val);
	p = eq + 1;
	quoted = *p == '"';
	if (quoted) {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			sb_append(&val, p, 1);
		}
		if (*p == '"')
			p++;
	} else {
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		sb_append(&val, p, n);
		p += n;
	}
	sb_puts(sb, ",");
	sb_append(sb, "\"", 1);
	sb_append(sb, key, (size_t)(eq - key));
	sb_append(sb, "\":", 2);
	if (!quoted && json_number(val.buf))
		sb_puts(sb, val.buf);
	else
		sb_json_string(sb, val.buf ? val.buf : "");
	sb_free(&val);
	return p;
}

static void
log_json(enum log_level level, const char *ts, const char *event,
	 const char *pairs)
{
	struct strbuf sb;
	const char *p = pairs;

	sb_init(&sb);
	sb_printf(&sb, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts,
		  level_names[level]);
	sb_json_string(&sb, event);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p != '\0')
			p = json_pair(&sb, p);
	}
	sb_puts(&sb, "}\n");
	if (!sb.failed)
		fputs(sb.buf, stderr);
	sb_free(&sb);
}

void
log_emit(enum log_level level, const char *event, const char *fmt, ...)
{
	char ts[40], pairs[2048];
	va_list ap;

	if (!log_enabled(level))
		return;
	log_timestamp(ts, sizeof(ts));
	va_start(ap, fmt);
	vsnprintf(pairs, sizeof(pairs), fmt, ap);
	va_end(ap);

	if (log_fmt == LOG_FORMAT_JSON)
		log_json(level, ts, event, pairs);
	else
		fprintf(stderr, "ts=%s level=%s event=%s%s%s\n", ts,
			level_names[level], event, pairs[0] ? " " : "", pairs);
	fflush(stderr);
}
