/* flymachine.c - read Fly Machine JSON into struct fly_machine. */
#include "flymachine.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "machinecfg.h"
#include "util.h"

/* The API adds fake checks with this prefix for old flyctl releases;
 * they say nothing about the machine (fly-go drops them as well). */
#define FM_COMPAT_CHECK "bg_deployments_compat"

static void fm_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fm_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Where to cut s so that its first k bytes end on a whole UTF-8
 * sequence: a cut inside a sequence moves back to the sequence's start. */
static size_t
fm_utf8_cut(const char *s, size_t k)
{
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

/* Copy len bytes of src into dst of size bytes, truncated on a UTF-8
 * boundary when it does not fit; always NUL-terminated. */
static void
fm_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t k;

	if (size == 0)
		return;
	k = len < size - 1 ? len : size - 1;
	if (k < len)
		k = fm_utf8_cut(src, k);
	memcpy(dst, src, k);
	dst[k] = '\0';
}

/* A JSON member of the given type, or NULL when absent, null or of
 * another type. */
static json_object *
fm_member(json_object *obj, const char *name, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) || v == NULL ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *
fm_str(json_object *obj, const char *name)
{
	json_object *v = fm_member(obj, name, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* Copy a display field; too long is truncated, absent is "". */
static void
fm_text(char *dst, size_t size, json_object *obj, const char *name)
{
	const char *s = fm_str(obj, name);

	fm_copy(dst, size, s ? s : "", s ? strlen(s) : 0);
}

/* Copy an identity field (ownership, hash, launch id). Truncating one
 * could make two different values compare equal, so a value that does
 * not fit is dropped instead: empty never matches what rhone wrote. */
static void
fm_ident(char *dst, size_t size, json_object *obj, const char *name)
{
	const char *s = fm_str(obj, name);

	dst[0] = '\0';
	if (s != NULL && strlen(s) < size)
		memcpy(dst, s, strlen(s) + 1);
}

/* Whether only whitespace follows the parsed value. */
static int
fm_rest_blank(const char *body, size_t len, size_t end)
{
	while (end < len && isspace((unsigned char)body[end]))
		end++;
	return end == len;
}

/* Parse body as exactly one JSON value; NULL with a reason otherwise.
 * A JSON null is refused too, since no caller expects one. */
static json_object *
fm_parse_json(const char *body, size_t len, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (body == NULL || len == 0 || len > INT_MAX) {
		fm_err(err, errlen, "empty or oversized body");
		return NULL;
	}
	if ((tok = json_tokener_new()) == NULL) {
		fm_err(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (obj != NULL && !fm_rest_blank(body, len, end)) {
		json_object_put(obj);
		obj = NULL;
		fm_err(err, errlen, "not JSON: data after the value");
	} else if (jerr == json_tokener_continue) {
		fm_err(err, errlen, "not JSON: body ends early");
	} else if (jerr != json_tokener_success) {
		fm_err(err, errlen, "not JSON: %s",
		       json_tokener_error_desc(jerr));
	} else if (obj == NULL) {
		fm_err(err, errlen, "body is JSON null");
	}
	return obj;
}

/* Machine ids go into request paths, so besides fitting they must be
 * plain tokens: letters, digits, '-' and '_'. */
static int
fm_id(json_object *obj, char id[FLY_ID_MAX], char *err, size_t errlen)
{
	json_object *v = fm_member(obj, "id", json_type_string);
	const char *s;
	size_t len, i;

	if (v == NULL) {
		fm_err(err, errlen, "id missing or not a string");
		return -1;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len >= FLY_ID_MAX || strlen(s) != len) {
		fm_err(err, errlen, "id empty, too long or holding a NUL");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_') {
			fm_err(err, errlen, "id has a bad character");
			return -1;
		}
	}
	memcpy(id, s, len + 1);
	return 0;
}

static double
fm_time(json_object *obj, const char *name)
{
	const char *s = fm_str(obj, name);
	double t;

	if (s == NULL || util_parse_rfc3339(s, &t) < 0)
		return 0;
	return t;
}

/* Image and metadata. When the host is not ok the API may leave out
 * `config` and send a partial `incomplete_config`; read that instead. */
static int
fm_config(json_object *obj, struct fly_machine *m, char *err, size_t errlen)
{
	json_object *cfg, *meta;
	const char *image;

	cfg = fm_member(obj, "config", json_type_object);
	if (cfg == NULL)
		cfg = fm_member(obj, "incomplete_config", json_type_object);
	if (cfg == NULL)
		return 0;
	image = fm_str(cfg, "image");
	if (image != NULL && (m->image = strdup(image)) == NULL) {
		fm_err(err, errlen, "out of memory");
		return -1;
	}
	meta = fm_member(cfg, "metadata", json_type_object);
	if (meta == NULL)
		return 0;
	fm_ident(m->managed_by, sizeof(m->managed_by), meta,
		 MCFG_MANAGED_BY_KEY);
	fm_ident(m->regionset, sizeof(m->regionset), meta, MCFG_SET_KEY);
	fm_ident(m->config_hash, sizeof(m->config_hash), meta, MCFG_HASH_KEY);
	fm_ident(m->launch_id, sizeof(m->launch_id), meta, MCFG_LAUNCH_KEY);
	return 0;
}

/* Keep one check status in checks[], which has room for cap. What
 * cannot be kept (no room, not an object) still counts against
 * readiness unless it is known to pass. */
static void
fm_check(json_object *c, struct fly_machine *m, size_t cap)
{
	struct fly_check *fc;
	const char *name, *status;

	if (!json_object_is_type(c, json_type_object)) {
		m->checks_dropped_failing++;
		return;
	}
	name = fm_str(c, "name");
	status = fm_str(c, "status");
	if (name != NULL &&
	    strncmp(name, FM_COMPAT_CHECK, strlen(FM_COMPAT_CHECK)) == 0)
		return;
	if ((size_t)m->nchecks == cap) {
		if (status == NULL || strcmp(status, "passing") != 0)
			m->checks_dropped_failing++;
		return;
	}
	fc = &m->checks[m->nchecks++];
	fm_text(fc->name, sizeof(fc->name), c, "name");
	fm_text(fc->status, sizeof(fc->status), c, "status");
}

static void
fm_checks(json_object *obj, struct fly_machine *m)
{
	json_object *arr;
	size_t i, n, cap;

	if (!json_object_object_get_ex(obj, "checks", &arr) || arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array)) {
		m->checks_dropped_failing = 1;    /* unreadable: not ready */
		return;
	}
	/* sized to fit: ten thousand machines are kept between lists */
	n = json_object_array_length(arr);
	cap = n < FLY_CHECKS_MAX ? n : FLY_CHECKS_MAX;
	if (cap > 0 && (m->checks = calloc(cap, sizeof(*m->checks))) == NULL)
		cap = 0;                   /* none kept: each counts as failing */
	for (i = 0; i < n; i++)
		fm_check(json_object_array_get_idx(arr, i), m, cap);
}

static int
fm_machine(json_object *obj, struct fly_machine *m, char *err,
	   size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(obj, json_type_object)) {
		fm_err(err, errlen, "machine is not an object");
		return -1;
	}
	if (fm_id(obj, m->id, err, errlen) < 0)
		return -1;
	fm_text(m->state, sizeof(m->state), obj, "state");
	fm_text(m->region, sizeof(m->region), obj, "region");
	fm_text(m->version, sizeof(m->version), obj, "version");
	if (m->version[0] == '\0')
		fm_text(m->version, sizeof(m->version), obj, "instance_id");
	fm_text(m->host_status, sizeof(m->host_status), obj, "host_status");
	m->created_at = fm_time(obj, "created_at");
	m->updated_at = fm_time(obj, "updated_at");
	fm_checks(obj, m);
	if (fm_config(obj, m, err, errlen) < 0) {
		fly_machine_clear(m);
		return -1;
	}
	return 0;
}

int
fly_parse_machine(const char *body, size_t len, struct fly_machine *m,
		  char *err, size_t errlen)
{
	json_object *obj = fm_parse_json(body, len, err, errlen);
	int rc;

	memset(m, 0, sizeof(*m));
	if (obj == NULL)
		return -1;
	rc = fm_machine(obj, m, err, errlen);
	json_object_put(obj);
	if (rc < 0)
		fly_machine_clear(m);
	return rc;
}

/* Parse every element of a list; on failure nothing is kept and the
 * reason names the element. */
static int
fm_machines(json_object *arr, struct fly_machine *ms, size_t n,
	    char *err, size_t errlen)
{
	char why[200];
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (fm_machine(e, &ms[i], why, sizeof(why)) < 0) {
			fm_err(err, errlen, "machine %zu: %s", i, why);
			while (i-- > 0)
				fly_machine_clear(&ms[i]);
			return -1;
		}
	}
	return 0;
}

int
fly_parse_machine_list(const char *body, size_t len,
		       struct fly_machine **out, size_t *n,
		       char *err, size_t errlen)
{
	json_object *arr = fm_parse_json(body, len, err, errlen);
	struct fly_machine *ms = NULL;
	size_t count;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return -1;
	if (!json_object_is_type(arr, json_type_array)) {
		fm_err(err, errlen, "list body is not a JSON array");
		goto out;
	}
	count = json_object_array_length(arr);
	ms = calloc(count ? count : 1, sizeof(*ms));
	if (ms == NULL) {
		fm_err(err, errlen, "out of memory");
		goto out;
	}
	if (fm_machines(arr, ms, count, err, errlen) < 0) {
		free(ms);
		goto out;
	}
	*out = ms;
	*n = count;
	rc = 0;
out:
	json_object_put(arr);
	return rc;
}

void
fly_machine_clear(struct fly_machine *m)
{
	free(m->image);
	m->image = NULL;
	free(m->checks);
	m->checks = NULL;
	m->nchecks = 0;
}

void
fly_machines_free(struct fly_machine *ms, size_t n)
{
	size_t i;

	if (ms == NULL)
		return;
	for (i = 0; i < n; i++)
		fly_machine_clear(&ms[i]);
	free(ms);
}

int
fly_machine_managed(const struct fly_machine *m)
{
	return strcmp(m->managed_by, MCFG_MANAGED_BY_VALUE) == 0 &&
	       m->regionset[0] != '\0';
}

int
fly_machine_gone(const struct fly_machine *m)
{
	return strcmp(m->state, "destroyed") == 0 ||
	       strcmp(m->state, "destroying") == 0;
}

int
fly_machine_ready(const struct fly_machine *m)
{
	int i;

	if (strcmp(m->state, "started") != 0)
		return 0;
	if (m->host_status[0] != '\0' && strcmp(m->host_status, "ok") != 0)
		return 0;
	for (i = 0; i < m->nchecks; i++) {
		if (strcmp(m->checks[i].status, "passing") != 0)
			return 0;
	}
	return m->checks_dropped_failing == 0;
}

/* Error text ends up in one-line logs and status; control characters
 * (newlines, NULs of a raw body) become spaces. */
static void
fm_flat_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t k = len < size - 1 ? len : size - 1, i;

	if (k < len)
		k = fm_utf8_cut(src, k);
	for (i = 0; i < k; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	dst[k] = '\0';
}

static const char *
fm_error_field(json_object *obj)
{
	const char *s = fm_str(obj, "error");

	if (s == NULL || *s == '\0')
		s = fm_str(obj, "message");
	return s != NULL && *s != '\0' ? s : NULL;
}

void
fly_error_message(const char *body, size_t len, char *buf, size_t size)
{
	json_object *obj;
	const char *msg = NULL;

	if (buf == NULL || size == 0)
		return;
	obj = fm_parse_json(body, len, NULL, 0);
	if (obj != NULL && json_object_is_type(obj, json_type_object))
		msg = fm_error_field(obj);
	if (msg != NULL)
		fm_flat_copy(buf, size, msg, strlen(msg));
	else
		fm_flat_copy(buf, size, body ? body : "", body ? len : 0);
	json_object_put(obj);
}
