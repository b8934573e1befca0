/* yamlsrc.h - read RegionSets from YAML files and folders with libyaml. */
#ifndef RHONE_YAMLSRC_H
#define RHONE_YAMLSRC_H

#include "regionset.h"

/* One file that was read: `failed` is set when the file could not be
 * read or parsed as YAML, or when a document in it had an error that
 * could not be tied to a set name; its sets then keep their last good
 * version. */
struct yaml_file {
	char *path;
	int failed;
};

/* The outcome of reading a folder or a buffer. `sets` holds only the
 * sets that are entirely valid, each with origin and hashes filled in
 * (rs_finalize done). Every problem is in `errors`; an error naming a
 * set means that set is affected, and cross-set errors (duplicate names,
 * two sets for one app) name every set involved and keep none of them
 * in `sets`. */
struct yaml_load {
	struct regionset **sets;
	size_t nsets;
	struct yaml_file *files;
	size_t nfiles;
	struct rs_errors errors;
	int source_failed;     /* the folder is missing, unreadable or holds
				  no RegionSet at all: freeze everything */
	char revision[72];     /* the commit read, set by the source; ""
				  when the tree does not tell */
};

/* Read every *.yaml and *.yml under dir (recursively, skipping names
 * that start with '.', following a symlinked dir). Returns 0 when there
 * is no error at all, -1 otherwise (details in out). */
int yaml_load_dir(const char *dir, struct yaml_load *out);

/* Read one file, or one folder as yaml_load_dir; several paths
 * accumulate into the same result (cross-set checks span all of them).
 * Returns 0 when this path added no error. */
int yaml_load_path(const char *path, struct yaml_load *out);

/* Run the cross-set checks (duplicate names, one app per set) over
 * everything loaded so far and drop the sets they involve. Call once
 * after the last yaml_load_path; yaml_load_dir calls it itself. */
void yaml_load_finish(struct yaml_load *out);

/* Parse an in-memory buffer as if it were file `name`; for tests and the
 * fuzzer. Same result rules as yaml_load_path. */
int yaml_load_buffer(const char *name, const char *buf, size_t len,
		     struct yaml_load *out);

void yaml_load_free(struct yaml_load *out);

#endif
