/* gitrev.h - find the git commit a checked-out folder was made from. */
#ifndef RHONE_GITREV_H
#define RHONE_GITREV_H

#include <stddef.h>

/* How gitrev_find knew the commit. */
enum gitrev_kind {
	GITREV_NONE,
	GITREV_SNAPSHOT,   /* a path component is the hash: git-sync's
			    * worktree, one commit's tree that never changes */
	GITREV_HEAD        /* the HEAD of a checkout whose files may hold
			    * edits not committed yet */
};

/* The commit of the tree at `dir` (an absolute, resolved path): a path
 * component that is a full commit hash (git-sync's worktree names it
 * so), else the HEAD of the enclosing repository or worktree. Writes the
 * hash to out and says which; GITREV_NONE when none is found. */
enum gitrev_kind gitrev_find(const char *dir, char *out, size_t size);

#endif
