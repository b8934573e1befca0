/* source.c - the YAML folder source. A change anywhere under the folder,
 * or a swap of any symlink on its path (git-sync publishes each commit
 * that way), schedules one reload 20 ms later, so a burst of writes
 * becomes one load. Every load resolves the path once and reads the
 * whole tree from there, so it is one tree, handed over whole. */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitrev.h"
#include "log.h"
#include "util.h"

/* Long enough to take an editor's write-and-rename or a git-sync swap
 * as one change, short enough that a change reaches the API within the
 * 100 ms the design allows. A file caught half-written is an error for
 * one load, and the next event loads it whole. */
#define SOURCE_DEBOUNCE 0.02
#define SOURCE_TRIES 3          /* reads of a tree that moves under us */
#define LINKS_MAX 64            /* symlinks on the path we follow */
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | \
		    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
		    IN_MOVE_SELF | IN_ATTRIB)
#define LINK_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		   IN_ATTRIB | IN_ONLYDIR)

struct source {
	struct ev_loop *loop;
	char *dir;                   /* as given: links are resolved per load */
	source_fn fn;
	void *arg;
	int ifd;
	int link_wd_max;             /* watches up to this one hold links */
	size_t nlinks;               /* which names those watches are for */
	struct link_watch {
		int wd;
		char name[NAME_MAX + 1];
	} links[LINKS_MAX];
	ev_io io;
	ev_timer debounce;
};

static void on_inotify(struct ev_loop *loop, ev_io *w, int revents);

static void
watch_tree(struct source *s, const char *path, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 16 || inotify_add_watch(s->ifd, path, WATCH_MASK) < 0)
		return;
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		watch_tree(s, sub, depth + 1);
	}
	closedir(d);
}

/* The folder holding path's last component. */
static void
parent_of(const char *path, char *out, size_t size)
{
	char *slash;

	util_strlcpy(out, path, size);
	slash = strrchr(out, '/');
	if (slash == out)
		out[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		util_strlcpy(out, ".", size);
}

/* A swap replaces a symlink inside its folder, and that folder is where
 * the event comes: watch the folder of every symlink on the path, and
 * the folder of the source itself (it may be created or removed). */
static int
watch_links(struct source *s)
{
	char prefix[PATH_MAX], parent[PATH_MAX];
	size_t i, n = strlen(s->dir);
	struct stat st;
	int wd, max = 0;

	for (i = 1; i <= n && n < sizeof(prefix); i++) {
		if (i < n && s->dir[i] != '/')
			continue;
		memcpy(prefix, s->dir, i);
		prefix[i] = '\0';
		if (i < n && (lstat(prefix, &st) < 0 || !S_ISLNK(st.st_mode)))
			continue;
		parent_of(prefix, parent, sizeof(parent));
		wd = inotify_add_watch(s->ifd, parent, LINK_MASK);
		if (wd < 0)
			continue;
		if (wd > max)
			max = wd;
		if (s->nlinks < LINKS_MAX) {
			const char *base = strrchr(prefix, '/');
			s->links[s->nlinks].wd = wd;
			util_strlcpy(s->links[s->nlinks].name,
				     base ? base + 1 : prefix,
				     sizeof(s->links[0].name));
			s->nlinks++;
		}
	}
	return max;     /* watches are numbered upwards: the tree's follow */
}

/* Watches are rebuilt from scratch at each load: the tree may have
 * gained folders, and a swapped symlink points somewhere new. */
static void
source_rewatch(struct source *s)
{
	if (s->ifd >= 0) {
		ev_io_stop(s->loop, &s->io);
		close(s->ifd);
	}
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd < 0) {
		log_warn("source_watch_failed", "dir=%s error=%s", s->dir,
			 log_q(strerror(errno)));
		return;
	}
	s->nlinks = 0;
	s->link_wd_max = watch_links(s);
	ev_io_init(&s->io, on_inotify, s->ifd, EV_READ);
	s->io.data = s;
	ev_io_start(s->loop, &s->io);
}

static void
source_fail(struct yaml_load *ld, const char *msg)
{
	rs_errors_add(&ld->errors, NULL, 0, 0, "", "", "%s", msg);
	ld->source_failed = 1;
}

static void
rename_one(char **path, const char *real, const char *given)
{
	size_t n = strlen(real);
	char *renamed;

	if (*path == NULL || strncmp(*path, real, n) != 0 ||
	    ((*path)[n] != '/' && (*path)[n] != '\0') ||
	    asprintf(&renamed, "%s%s", given, *path + n) < 0)
		return;
	free(*path);
	*path = renamed;
}

/* Files are named as the user named the source, not by the tree they
 * were read from: a swap must not make every file look like a new one
 * (a file's error freezes the sets that last came from it). */
static void
source_rename(struct yaml_load *ld, const char *real, const char *given)
{
	size_t i;

	for (i = 0; i < ld->nfiles; i++)
		rename_one(&ld->files[i].path, real, given);
	for (i = 0; i < ld->nsets; i++)
		rename_one(&ld->sets[i]->origin.file, real, given);
	for (i = 0; i < ld->errors.n; i++)
		rename_one(&ld->errors.items[i].file, real, given);
}

/* The revision is the commit when the tree tells which. A commit that
 * git-sync published is one unit: with any error in it, it is rejected
 * whole and the last good commit stays in force, frozen like any failed
 * source. A plain checkout is a folder someone edits: its HEAD names the
 * revision, and a broken file freezes only its own sets, as anywhere. */
static void
source_stamp(struct source *s, struct yaml_load *ld, const char *real)
{
	char msg[192];
	enum gitrev_kind kind;

	source_rename(ld, real, s->dir);
	kind = gitrev_find(real, ld->revision, sizeof(ld->revision));
	if (kind == GITREV_NONE)
		ld->revision[0] = '\0';
	if (kind != GITREV_SNAPSHOT || ld->errors.n == 0 ||
	    ld->source_failed)
		return;
	snprintf(msg, sizeof(msg), "commit %s rejected whole (%zu error%s); "
		 "keeping the last good commit", ld->revision, ld->errors.n,
		 ld->errors.n == 1 ? "" : "s");
	source_fail(ld, msg);
}

/* Resolve once and read everything from the resolved tree, so a swap
 * half-way cannot mix two commits. 0 when the path still resolves to
 * that tree afterwards; -1 when it moved (the read may have seen the
 * old tree being deleted) and must be done again. */
static int
source_read(struct source *s, struct yaml_load *ld)
{
	char real[PATH_MAX], again[PATH_MAX], msg[PATH_MAX + 64];

	if (realpath(s->dir, real) == NULL) {
		snprintf(msg, sizeof(msg), "%s does not resolve to a folder: "
			 "%s", s->dir, strerror(errno));
		source_fail(ld, msg);
		return 0;
	}
	watch_tree(s, real, 0);
	yaml_load_dir(real, ld);
	if (realpath(s->dir, again) == NULL || strcmp(real, again) != 0)
		return -1;
	source_stamp(s, ld, real);
	return 0;
}

void
source_reload(struct source *s)
{
	struct yaml_load *ld = NULL;
	int tries;

	ev_timer_stop(s->loop, &s->debounce);
	source_rewatch(s);
	for (tries = 0; tries < SOURCE_TRIES; tries++) {
		if (ld != NULL)
			yaml_load_free(ld);
		else
			ld = calloc(1, sizeof(*ld));
		if (ld == NULL || source_read(s, ld) == 0)
			break;
	}
	if (ld == NULL) {
		log_error("source_load_failed", "dir=%s error=out_of_memory",
			  s->dir);
		return;
	}
	if (tries == SOURCE_TRIES) {
		yaml_load_free(ld);
		source_fail(ld, "the source kept moving while it was read");
	}
	s->fn(s->arg, ld);
}

static void
on_debounce(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	source_reload(w->data);
}

static int
yaml_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;       /* editors' swap files; the reader skips them */
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Whether an event in a folder that holds a link on our path names that
 * link (or the watch itself went away). Other entries of that folder,
 * such as the other tests' files beside a source in /tmp, are not ours. */
static int
link_event(const struct source *s, const struct inotify_event *ev)
{
	size_t i;

	if (ev->len == 0 || (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED)))
		return 1;
	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].wd == ev->wd &&
		    strcmp(s->links[i].name, ev->name) == 0)
			return 1;
	return 0;
}

/* Whether a batch of events can change what a load reads: the links on
 * the path being swapped, folders coming and going inside the tree, YAML
 * files. A log file written into the source folder, or anything else
 * beside a link, must not cause reloads. */
static int
events_relevant(const struct source *s, const char *buf, size_t len)
{
	const struct inotify_event *ev;
	size_t off;

	for (off = 0; off + sizeof(*ev) <= len;
	     off += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)(const void *)(buf + off);
		if (ev->wd <= s->link_wd_max) {
			if (link_event(s, ev))
				return 1;
			continue;
		}
		if (ev->len == 0 ||
		    (ev->mask & (IN_ISDIR | IN_Q_OVERFLOW | IN_IGNORED)) ||
		    yaml_name(ev->name))
			return 1;
	}
	return 0;
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct source *s = w->data;
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;
	int relevant = 0;

	(void)revents;
	while ((n = read(s->ifd, buf, sizeof(buf))) > 0)
		relevant |= events_relevant(s, buf, (size_t)n);
	if (relevant && !ev_is_active(&s->debounce)) {
		ev_timer_set(&s->debounce, SOURCE_DEBOUNCE, 0);
		ev_timer_start(loop, &s->debounce);
	}
}

struct source *
source_new(struct ev_loop *loop, const char *dir, source_fn fn, void *arg)
{
	struct source *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->dir = strdup(dir);
	if (s->dir == NULL) {
		free(s);
		return NULL;
	}
	while (strlen(s->dir) > 1 && s->dir[strlen(s->dir) - 1] == '/')
		s->dir[strlen(s->dir) - 1] = '\0';
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	s->ifd = -1;
	ev_timer_init(&s->debounce, on_debounce, SOURCE_DEBOUNCE, 0);
	s->debounce.data = s;
	return s;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	ev_timer_stop(s->loop, &s->debounce);
	if (s->ifd >= 0) {
		ev_io_stop(s->loop, &s->io);
		close(s->ifd);
	}
	free(s->dir);
	free(s);
}
