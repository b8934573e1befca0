/* yamlsrc.c - read RegionSets from YAML files and folders: walk the
 * folder in sorted order, split files into documents, decode each, then
 * run the checks that span sets (unique names, one set per app). */
#include "yamlsrc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rsdecode.h"
#include "util.h"
#include "ytree.h"

#define YAML_FILE_MAX (4u << 20)   /* bytes; larger is not a config */
#define YAML_DIR_DEPTH_MAX 16      /* also stops symlink loops */

static int __attribute__((format(printf, 3, 4)))
yaml_err(struct yaml_load *out, const char *file, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rs_errors_add(&out->errors, file, 0, 0, "", "", "%s", msg) < 0)
		out->source_failed = 1;
	return -1;
}

/* Index of a new file entry, or -1 (then the whole load is unusable:
 * a file we cannot even record could hide sets). */
static long
yaml_add_file(struct yaml_load *out, const char *path)
{
	struct yaml_file *files;
	char *copy = strdup(path);

	files = realloc(out->files, (out->nfiles + 1) * sizeof(*files));
	if (files == NULL || copy == NULL) {
		if (files != NULL)
			out->files = files;
		free(copy);
		out->source_failed = 1;
		return -1;
	}
	out->files = files;
	files[out->nfiles].path = copy;
	files[out->nfiles].failed = 0;
	return (long)out->nfiles++;
}

static int
yaml_add_sets(struct yaml_load *out, struct regionset **sets, size_t n)
{
	struct regionset **grown;

	if (n == 0)
		return 0;
	grown = realloc(out->sets, (out->nsets + n) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	memcpy(grown + out->nsets, sets, n * sizeof(*sets));
	out->sets = grown;
	out->nsets += n;
	return 0;
}

/* The sets of one file, kept aside until the whole file has parsed. */
struct yaml_pending {
	struct regionset **sets;
	size_t n;
	int failed;
	int nomem;
};

static void
yaml_pending_add(struct yaml_pending *p, struct regionset *rs)
{
	struct regionset **grown;

	grown = realloc(p->sets, (p->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		rs_free(rs);
		p->nomem = 1;
		return;
	}
	p->sets = grown;
	p->sets[p->n++] = rs;
}

static void
yaml_pending_drop(struct yaml_pending *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		rs_free(p->sets[i]);
	free(p->sets);
	p->sets = NULL;
	p->n = 0;
}

static void
yaml_decode_doc(struct yaml_load *out, const char *name,
		const struct ynode *root, struct yaml_pending *p)
{
	char set[RS_NAME_MAX];
	struct regionset *rs;

	switch (rsdecode(root, name, &out->errors, &rs, set)) {
	case RSDECODE_OK:
		yaml_pending_add(p, rs);
		break;
	case RSDECODE_INVALID:
		/* Nobody can tell which set this was meant to be. */
		if (set[0] == '\0')
			p->failed = 1;
		break;
	case RSDECODE_NOMEM:
		p->nomem = 1;
		break;
	}
}

/* Decode every document; a YAML error anywhere fails the whole file,
 * since what follows it cannot be trusted. */
static void
yaml_parse_docs(struct yaml_load *out, const char *name, const char *buf,
		size_t len, struct yaml_pending *p)
{
	struct ytree t;
	struct ynode *root;
	int rc;

	ytree_open(&t, buf, len);
	while (!p->nomem && (rc = ytree_next(&t, &root)) != 0) {
		if (rc < 0) {
			if (rs_errors_add(&out->errors, name, t.line,
					  t.column, "", "", "%s",
					  t.error) < 0)
				p->nomem = 1;
			p->failed = 1;
			break;
		}
		if (root != NULL)
			yaml_decode_doc(out, name, root, p);
		ytree_free(root);
	}
	ytree_close(&t);
}

int
yaml_load_buffer(const char *name, const char *buf, size_t len,
		 struct yaml_load *out)
{
	struct yaml_pending p = { NULL, 0, 0, 0 };
	size_t before = out->errors.n;
	long f;

	if (name == NULL)
		name = "<buffer>";
	if ((f = yaml_add_file(out, name)) < 0)
		return -1;
	if (len > YAML_FILE_MAX) {
		out->files[f].failed = 1;
		return yaml_err(out, name, "file is larger than %u bytes",
				YAML_FILE_MAX);
	}
	yaml_parse_docs(out, name, buf, len, &p);
	if (p.nomem) {
		out->source_failed = 1;
		yaml_err(out, name, "out of memory while reading the file");
	}
	if (p.failed || p.nomem || yaml_add_sets(out, p.sets, p.n) < 0) {
		out->files[f].failed = 1;
		yaml_pending_drop(&p);
	}
	free(p.sets);
	return out->errors.n == before ? 0 : -1;
}

/* Make room past n bytes: double the buffer, up to one byte over the
 * size limit (reading that byte is how a too-big file shows). */
static int
yaml_grow(char **buf, size_t *cap, size_t n)
{
	size_t want = *buf == NULL ? 4096 : *cap * 2;
	char *grown;

	if (*buf != NULL && n < *cap)
		return 0;
	if (want > YAML_FILE_MAX + 1)
		want = YAML_FILE_MAX + 1;
	grown = realloc(*buf, want);
	if (grown == NULL)
		return -1;
	*buf = grown;
	*cap = want;
	return 0;
}

/* Read a whole file, refusing anything over the size limit. NULL with
 * errno set when it cannot be read, or with *too_big set. */
static char *
yaml_read(const char *path, size_t *len, int *too_big)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got = 1;
	char *buf = NULL;
	int failed = 0;

	*too_big = 0;
	if (f == NULL)
		return NULL;
	while (got > 0 && !failed && !*too_big) {
		if (yaml_grow(&buf, &cap, n) < 0) {
			failed = 1;
			break;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		*too_big = n > YAML_FILE_MAX;
	}
	failed |= ferror(f) != 0;
	fclose(f);
	if (failed || *too_big) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int
yaml_load_file(const char *path, struct yaml_load *out)
{
	size_t len = 0;
	int too_big, rc;
	char *buf;
	long f;

	errno = 0;
	buf = yaml_read(path, &len, &too_big);
	if (buf == NULL) {
		int e = errno;
		if ((f = yaml_add_file(out, path)) >= 0)
			out->files[f].failed = 1;
		if (too_big)
			return yaml_err(out, path, "file is larger than %u "
					"bytes", YAML_FILE_MAX);
		return yaml_err(out, path, "cannot read file: %s",
				e ? strerror(e) : "out of memory");
	}
	rc = yaml_load_buffer(path, buf, len, out);
	free(buf);
	return rc;
}

static int
yaml_is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
yaml_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
yaml_free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The visible entries of dir, sorted so every load sees the same order.
 * NULL with *n == 0 is an empty folder; NULL and errno set a failure. */
static char **
yaml_list_dir(const char *dir, size_t *n)
{
	DIR *dp = opendir(dir);
	char **names = NULL, **grown;
	struct dirent *de;

	*n = 0;
	if (dp == NULL)
		return NULL;
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		grown = realloc(names, (*n + 1) * sizeof(*names));
		if (grown == NULL ||
		    (grown[*n] = strdup(de->d_name)) == NULL) {
			names = grown ? grown : names;
			break;
		}
		names = grown;
		(*n)++;
	}
	if (de != NULL || errno != 0) {
		int e = errno ? errno : ENOMEM;
		closedir(dp);
		yaml_free_names(names, *n);
		*n = 0;
		errno = e;
		return NULL;
	}
	closedir(dp);
	if (names != NULL)
		qsort(names, *n, sizeof(*names), yaml_name_cmp);
	errno = 0;
	return names;
}

static char *
yaml_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dl > 0 && dir[dl - 1] == '/';
	char *p = malloc(dl + nl + 2);

	if (p != NULL)
		snprintf(p, dl + nl + 2, "%s%s%s", dir, slash ? "" : "/",
			 name);
	return p;
}

static int yaml_walk(const char *dir, int depth, struct yaml_load *out);

static int
yaml_walk_entry(const char *dir, const char *name, int depth,
		struct yaml_load *out)
{
	char *path = yaml_join(dir, name);
	struct stat st;
	int rc = 0;

	if (path == NULL) {
		out->source_failed = 1;
		return yaml_err(out, dir, "out of memory");
	}
	/* stat, not lstat: a symlinked folder or file is followed. */
	if (stat(path, &st) < 0) {
		if (yaml_is_yaml_name(name))
			rc = yaml_load_file(path, out);
	} else if (S_ISDIR(st.st_mode)) {
		rc = yaml_walk(path, depth + 1, out);
	} else if (S_ISREG(st.st_mode) && yaml_is_yaml_name(name)) {
		rc = yaml_load_file(path, out);
	}
	free(path);
	return rc;
}

/* A folder we cannot read may hold sets we would otherwise report as
 * gone, so any such failure fails the whole source. */
static int
yaml_walk(const char *dir, int depth, struct yaml_load *out)
{
	char **names;
	size_t n, i;
	int rc = 0;

	if (depth > YAML_DIR_DEPTH_MAX) {
		out->source_failed = 1;
		return yaml_err(out, dir, "folders nested deeper than %d "
				"levels (a symlink loop?)",
				YAML_DIR_DEPTH_MAX);
	}
	names = yaml_list_dir(dir, &n);
	if (names == NULL && errno != 0) {
		out->source_failed = 1;
		return yaml_err(out, dir, "cannot read folder: %s",
				strerror(errno));
	}
	for (i = 0; i < n; i++)
		if (yaml_walk_entry(dir, names[i], depth, out) < 0)
			rc = -1;
	yaml_free_names(names, n);
	return rc;
}

int
yaml_load_path(const char *path, struct yaml_load *out)
{
	size_t before = out->errors.n;
	struct stat st;

	if (stat(path, &st) < 0) {
		out->source_failed = 1;
		return yaml_err(out, path, "cannot read: %s", strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		yaml_walk(path, 0, out);
	else
		yaml_load_file(path, out);
	return out->errors.n == before ? 0 : -1;
}

int
yaml_load_dir(const char *dir, struct yaml_load *out)
{
	yaml_load_path(dir, out);
	yaml_load_finish(out);
	return out->errors.n == 0 ? 0 : -1;
}

/*
 * Cross-set checks.
 */
struct yaml_ref {
	const struct regionset *rs;
	size_t index;
};

typedef const char *(*yaml_key_fn)(const struct regionset *rs);

static const char *
yaml_key_name(const struct regionset *rs)
{
	return rs->name;
}

static const char *
yaml_key_app(const struct regionset *rs)
{
	return rs->app;
}

/* Ties keep load order, so errors come out the same on every run. */
static int
yaml_ref_order(const struct yaml_ref *x, const struct yaml_ref *y, int c)
{
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
yaml_ref_cmp_name(const void *a, const void *b)
{
	const struct yaml_ref *x = a, *y = b;

	return yaml_ref_order(x, y, strcmp(x->rs->name, y->rs->name));
}

static int
yaml_ref_cmp_app(const void *a, const void *b)
{
	const struct yaml_ref *x = a, *y = b;

	return yaml_ref_order(x, y, strcmp(x->rs->app, y->rs->app));
}

/* Where a set's name (or app) is written; the document when unknown. */
static void
yaml_key_at(const struct regionset *rs, int by_app, int *line, int *col)
{
	*line = by_app ? rs->origin.app_line : rs->origin.name_line;
	*col = by_app ? rs->origin.app_column : rs->origin.name_column;
	if (*line == 0) {
		*line = rs->origin.line;
		*col = rs->origin.column;
	}
}

static void
yaml_clash(struct yaml_load *out, const struct regionset *rs,
	   const struct regionset *other, int by_app)
{
	const char *of = other->origin.file ? other->origin.file : "?";
	int rc, line, col, oline, ocol;

	yaml_key_at(rs, by_app, &line, &col);
	yaml_key_at(other, by_app, &oline, &ocol);
	if (by_app)
		rc = rs_errors_add(&out->errors, rs->origin.file, line, col,
			"spec.app", rs->name, "app \"%s\" is also managed by "
			"RegionSet \"%s\" (%s:%d:%d); one app, one RegionSet",
			rs->app, other->name, of, oline, ocol);
	else
		rc = rs_errors_add(&out->errors, rs->origin.file, line, col,
			"metadata.name", rs->name, "duplicate RegionSet name "
			"\"%s\"; also defined at %s:%d:%d", rs->name, of,
			oline, ocol);
	if (rc < 0)
		out->source_failed = 1;
}

/* Flag every set whose name (or app) another set also has; each one
 * gets an error pointing at another holder of the same key. */
static void
yaml_find_clashes(struct yaml_load *out, struct yaml_ref *refs,
		  char *drop, int by_app)
{
	yaml_key_fn key = by_app ? yaml_key_app : yaml_key_name;
	size_t i, j, k, n = out->nsets;

	qsort(refs, n, sizeof(*refs),
	      by_app ? yaml_ref_cmp_app : yaml_ref_cmp_name);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n &&
		     strcmp(key(refs[i].rs), key(refs[j].rs)) == 0; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++) {
			size_t other = k == i ? i + 1 : i;
			yaml_clash(out, refs[k].rs, refs[other].rs, by_app);
			drop[refs[k].index] = 1;
		}
	}
}

static void
yaml_drop_flagged(struct yaml_load *out, const char *drop)
{
	size_t i, n = 0;

	for (i = 0; i < out->nsets; i++) {
		if (drop[i])
			rs_free(out->sets[i]);
		else
			out->sets[n++] = out->sets[i];
	}
	out->nsets = n;
}

static void
yaml_cross_checks(struct yaml_load *out)
{
	struct yaml_ref *refs;
	char *drop;
	size_t i;

	if (out->nsets < 2)
		return;
	refs = calloc(out->nsets, sizeof(*refs));
	drop = calloc(out->nsets, 1);
	if (refs == NULL || drop == NULL) {
		out->source_failed = 1;
	} else {
		for (i = 0; i < out->nsets; i++) {
			refs[i].rs = out->sets[i];
			refs[i].index = i;
		}
		yaml_find_clashes(out, refs, drop, 0);
		yaml_find_clashes(out, refs, drop, 1);
		yaml_drop_flagged(out, drop);
	}
	free(refs);
	free(drop);
}

/* Whether the load saw anything meant as a RegionSet: a valid set, a
 * file that failed, or an error that names a set. */
static int
yaml_saw_sets(const struct yaml_load *out)
{
	size_t i;

	if (out->nsets > 0)
		return 1;
	for (i = 0; i < out->nfiles; i++)
		if (out->files[i].failed)
			return 1;
	for (i = 0; i < out->errors.n; i++)
		if (out->errors.items[i].set[0] != '\0')
			return 1;
	return 0;
}

void
yaml_load_finish(struct yaml_load *out)
{
	yaml_cross_checks(out);
	/* An empty source is far more often a bad checkout or mount than
	 * a wish to delete every app: never read it as zero sets. */
	if (!out->source_failed && !yaml_saw_sets(out)) {
		out->source_failed = 1;
		yaml_err(out, NULL, "no RegionSet found in the source; an "
			 "empty source is refused, never read as zero apps");
	}
}

void
yaml_load_free(struct yaml_load *out)
{
	size_t i;

	for (i = 0; i < out->nsets; i++)
		rs_free(out->sets[i]);
	free(out->sets);
	for (i = 0; i < out->nfiles; i++)
		free(out->files[i].path);
	free(out->files);
	rs_errors_free(&out->errors);
	memset(out, 0, sizeof(*out));
}
