/* source.c - the YAML folder source. A change anywhere under the folder
 * (or a swap of the folder's symlink) schedules one reload 100 ms later,
 * so an editor's burst of writes becomes one load; every load reads the
 * whole tree and is handed over whole. */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SOURCE_DEBOUNCE 0.1
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | \
		    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
		    IN_MOVE_SELF | IN_ATTRIB)

struct source {
	struct ev_loop *loop;
	char *dir;
	source_fn fn;
	void *arg;
	int ifd;
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

/* Watches are rebuilt from scratch at each load: the tree may have
 * gained folders, and a swapped symlink points somewhere new. */
static void
source_rewatch(struct source *s)
{
	char parent[PATH_MAX], *slash;

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
	watch_tree(s, s->dir, 0);
	util_strlcpy(parent, s->dir, sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent)
		*slash = '\0';
	else
		util_strlcpy(parent, ".", sizeof(parent));
	inotify_add_watch(s->ifd, parent, IN_CREATE | IN_MOVED_TO |
			  IN_DELETE | IN_ATTRIB | IN_DONT_FOLLOW);
	ev_io_init(&s->io, on_inotify, s->ifd, EV_READ);
	s->io.data = s;
	ev_io_start(s->loop, &s->io);
}

void
source_reload(struct source *s)
{
	struct yaml_load *ld = calloc(1, sizeof(*ld));

	ev_timer_stop(s->loop, &s->debounce);
	source_rewatch(s);
	if (ld == NULL) {
		log_error("source_load_failed", "dir=%s error=out_of_memory",
			  s->dir);
		return;
	}
	yaml_load_dir(s->dir, ld);
	s->fn(s->arg, ld);
}

static void
on_debounce(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	source_reload(w->data);
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct source *s = w->data;
	char buf[4096];

	(void)revents;
	while (read(s->ifd, buf, sizeof(buf)) > 0)
		;
	if (!ev_is_active(&s->debounce)) {
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
