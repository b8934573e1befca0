/* rsdecode.h - turn one parsed YAML document into a validated RegionSet. */
#ifndef RHONE_RSDECODE_H
#define RHONE_RSDECODE_H

#include "regionset.h"
#include "ytree.h"

enum rsdecode_result {
	RSDECODE_OK,            /* *out is a valid, finalized set */
	RSDECODE_INVALID,       /* the problems are in errs */
	RSDECODE_NOMEM          /* out of memory; errs may be incomplete */
};

/* Decode and validate the document `root` (not NULL) read from `file`
 * (NULL for non-file sources). Every problem is appended to errs with
 * its position and dotted field path. `name` receives the set name the
 * errors are tied to, or "" when the document has no usable name. */
enum rsdecode_result rsdecode(const struct ynode *root, const char *file,
			      struct rs_errors *errs, struct regionset **out,
			      char name[RS_NAME_MAX]);

#endif
