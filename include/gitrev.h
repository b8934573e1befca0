/* gitrev.h - find the git commit a checked-out folder was made from. */
#ifndef RHONE_GITREV_H
#define RHONE_GITREV_H

#include <stddef.h>

/* The commit of the tree at `dir` (an absolute, resolved path): a path
 * component that is a full commit hash (git-sync's worktree names it
 * so), else the HEAD of the enclosing repository or worktree. Writes the
 * hash to out and returns 0; -1 when none is found. */
int gitrev_find(const char *dir, char *out, size_t size);

#endif
