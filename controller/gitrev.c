/* gitrev.c - the commit a folder was checked out from. git-sync names
 * each worktree after its commit, which is the cheap and certain answer;
 * a plain clone or worktree is asked through its .git HEAD instead. Only
 * the files git itself writes are read: no git binary, no object store. */
#include "gitrev.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define GITREV_DEPTH_MAX 64     /* path components walked upwards */

/* A full SHA-1 or SHA-256 hash in lowercase hex. */
static int
gitrev_is_hash(const char *s, size_t n)
{
	size_t i;

	if (n != 40 && n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return 1;
}

static int
gitrev_take(const char *s, size_t n, char *out, size_t size)
{
	if (!gitrev_is_hash(s, n) || n + 1 > size)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The first line of a small file, without its newline; -1 if none. */
static int
gitrev_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Deepest component first: .worktrees/<hash>/sub names the commit. */
static int
gitrev_from_path(const char *dir, char *out, size_t size)
{
	const char *end = dir + strlen(dir), *p;

	while (end > dir) {
		p = end;
		while (p > dir && p[-1] != '/')
			p--;
		if (gitrev_take(p, (size_t)(end - p), out, size) == 0)
			return 0;
		end = p > dir ? p - 1 : dir;
	}
	return -1;
}

/* path = base/rel, or rel itself when it is absolute. */
static int
gitrev_join(char *path, size_t size, const char *base, const char *rel)
{
	int n = rel[0] == '/' ? snprintf(path, size, "%s", rel) :
		snprintf(path, size, "%s/%s", base, rel);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The git dir of the checkout holding dir: a .git folder, or the folder
 * a .git file points to (a worktree or a submodule). */
static int
gitrev_gitdir(const char *dir, char *gitdir, size_t size)
{
	char at[PATH_MAX], path[PATH_MAX], line[PATH_MAX], *slash;
	struct stat st;
	int depth;

	util_strlcpy(at, dir, sizeof(at));
	for (depth = 0; depth < GITREV_DEPTH_MAX; depth++) {
		if (gitrev_join(path, sizeof(path), at, ".git") == 0 &&
		    stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return gitrev_join(gitdir, size, at, ".git");
			if (gitrev_line(path, line, sizeof(line)) < 0 ||
			    strncmp(line, "gitdir: ", 8) != 0)
				return -1;
			return gitrev_join(gitdir, size, at, line + 8);
		}
		slash = strrchr(at, '/');
		if (slash == NULL || slash == at)
			return -1;
		*slash = '\0';
	}
	return -1;
}

/* A ref as a loose file in either git dir, else in packed-refs. */
static int
gitrev_ref(const char *gitdir, const char *common, const char *ref,
	   char *out, size_t size)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int rc = -1;

	if ((gitrev_join(path, sizeof(path), gitdir, ref) == 0 &&
	     gitrev_line(path, line, sizeof(line)) == 0) ||
	    (gitrev_join(path, sizeof(path), common, ref) == 0 &&
	     gitrev_line(path, line, sizeof(line)) == 0))
		return gitrev_take(line, strlen(line), out, size);
	if (gitrev_join(path, sizeof(path), common, "packed-refs") < 0 ||
	    (f = fopen(path, "r")) == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' ');
		line[strcspn(line, "\r\n")] = '\0';
		if (sp != NULL && strcmp(sp + 1, ref) == 0)
			rc = gitrev_take(line, (size_t)(sp - line), out, size);
	}
	fclose(f);
	return rc;
}

static int
gitrev_from_head(const char *dir, char *out, size_t size)
{
	char gitdir[PATH_MAX], common[PATH_MAX], path[PATH_MAX];
	char line[PATH_MAX], rel[PATH_MAX];

	if (gitrev_gitdir(dir, gitdir, sizeof(gitdir)) < 0 ||
	    gitrev_join(path, sizeof(path), gitdir, "HEAD") < 0 ||
	    gitrev_line(path, line, sizeof(line)) < 0)
		return -1;
	if (strncmp(line, "ref: ", 5) != 0)
		return gitrev_take(line, strlen(line), out, size);

	/* A worktree keeps its refs in the repository's common dir. */
	util_strlcpy(common, gitdir, sizeof(common));
	if (gitrev_join(path, sizeof(path), gitdir, "commondir") == 0 &&
	    gitrev_line(path, rel, sizeof(rel)) == 0 &&
	    gitrev_join(common, sizeof(common), gitdir, rel) < 0)
		return -1;
	return gitrev_ref(gitdir, common, line + 5, out, size);
}

enum gitrev_kind
gitrev_find(const char *dir, char *out, size_t size)
{
	if (gitrev_from_path(dir, out, size) == 0)
		return GITREV_SNAPSHOT;
	if (gitrev_from_head(dir, out, size) == 0)
		return GITREV_HEAD;
	return GITREV_NONE;
}
