/* source.h - the YAML folder source: watches the folder and hands each
 * complete load to the controller. */
#ifndef RHONE_SOURCE_H
#define RHONE_SOURCE_H

#include "yamlsrc.h"

struct ev_loop;
struct source;

/* Called on the loop with a fresh load; the callee owns it and must
 * yaml_load_free it. */
typedef void (*source_fn)(void *arg, struct yaml_load *load);

/* Start watching dir (inotify, debounced by 100 ms). dir may be, or go
 * through, a symlink swapped to publish a new tree, as git-sync does;
 * each load reads one resolved tree and carries its commit, if any, in
 * load->revision. NULL on failure. */
struct source *source_new(struct ev_loop *loop, const char *dir,
			  source_fn fn, void *arg);

/* Load now (initial load, SIGHUP, resync). */
void source_reload(struct source *s);

void source_free(struct source *s);

#endif
