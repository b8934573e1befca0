/* test_gitrev.c - which commit a checked-out folder is: from a path
 * component (git-sync's worktree names), from .git/HEAD detached or
 * through a loose or packed ref, from a worktree's .git file, and none
 * when nothing says. Each case builds its tree in a fresh temp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gitrev.h"

#define A40 "0123456789abcdef0123456789abcdef01234567"
#define B40 "89abcdef0123456789abcdef0123456789abcdef"
#define C64 A40 "0123456789abcdef01234567"

struct file {
	const char *path;            /* relative to the case's root */
	const char *text;            /* NULL: a folder */
};

struct gcase {
	const char *name;
	struct file files[6];
	const char *dir;             /* the folder asked about */
	const char *want;            /* NULL: no commit found */
};

static const struct gcase cases[] = {
	{ "git-sync worktree", { { ".worktrees/" A40 "/sets", NULL } },
	  ".worktrees/" A40 "/sets", A40 },
	{ "sha-256 worktree", { { "wt/" C64, NULL } }, "wt/" C64, C64 },
	{ "deepest hash wins", { { A40 "/" B40, NULL } }, A40 "/" B40, B40 },
	{ "not a hash: uppercase", { { "0123456789ABCDEF0123456789ABCDEF"
	  "01234567", NULL } }, "0123456789ABCDEF0123456789ABCDEF01234567",
	  NULL },
	{ "detached HEAD", { { "r/.git/HEAD", A40 "\n" },
			     { "r/sets", NULL } }, "r/sets", A40 },
	{ "loose ref", { { "r/.git/HEAD", "ref: refs/heads/main\n" },
			 { "r/.git/refs/heads/main", B40 "\n" },
			 { "r/sets", NULL } }, "r/sets", B40 },
	{ "packed ref", { { "r/.git/HEAD", "ref: refs/heads/main\n" },
			  { "r/.git/packed-refs", "# pack-refs with: peeled\n"
			    A40 " refs/heads/other\n" B40
			    " refs/heads/main\n" },
			  { "r", NULL } }, "r", B40 },
	{ "linked worktree", { { "r/.git/worktrees/w/HEAD",
				 "ref: refs/heads/w\n" },
			       { "r/.git/worktrees/w/commondir", "../..\n" },
			       { "r/.git/refs/heads/w", A40 "\n" },
			       { "w/.git", "gitdir: ../r/.git/worktrees/w\n" },
			       { "w/sets", NULL } }, "w/sets", A40 },
	{ "unborn branch", { { "r/.git/HEAD", "ref: refs/heads/main\n" },
			     { "r/sets", NULL } }, "r/sets", NULL },
	{ "plain folder", { { "plain/sets", NULL } }, "plain/sets", NULL },
};

static char root[64];

static void
mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void
build(const char *base, const struct file *f)
{
	char path[512], dir[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", base, f->path);
	if (f->text == NULL) {
		mkdirs(path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(f->text, fp);
	fclose(fp);
}

static void
test_cases(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];
		char base[128], dir[512], out[72] = "untouched";
		enum gitrev_kind rc;

		snprintf(base, sizeof(base), "%s/%zu", root, i);
		for (j = 0; j < 6 && c->files[j].path != NULL; j++)
			build(base, &c->files[j]);
		snprintf(dir, sizeof(dir), "%s/%s", base, c->dir);
		rc = gitrev_find(dir, out, sizeof(out));
		print_message("case: %s -> %s\n", c->name,
			      rc == GITREV_NONE ? "-" : out);
		if (c->want == NULL) {
			assert_int_equal(rc, GITREV_NONE);
			continue;
		}
		/* A hash in the path is a git-sync snapshot; one read from
		 * .git is the HEAD of a checkout that may be edited. */
		assert_int_equal(rc, strstr(c->dir, c->want) != NULL ?
				 GITREV_SNAPSHOT : GITREV_HEAD);
		assert_string_equal(out, c->want);
	}
}

static void
test_small_buffer(void **state)
{
	char out[40];

	(void)state;
	assert_int_equal(gitrev_find("/x/" A40, out, sizeof(out)),
			 GITREV_NONE);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_gitrev.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
