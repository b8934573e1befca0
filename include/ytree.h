/* ytree.h - YAML documents as small trees with positions, built from
 * libyaml events under fixed limits (depth, size, no aliases). */
#ifndef RHONE_YTREE_H
#define RHONE_YTREE_H

#include <stddef.h>

#include <yaml.h>

#define YTREE_MAX_DEPTH 32        /* nested mappings and lists */
#define YTREE_MAX_NODES 20000     /* per document */

enum ynode_kind { YNODE_SCALAR, YNODE_LIST, YNODE_MAP };

/* What a scalar resolves to under the YAML 1.2 core schema. */
enum yscalar { YS_STRING, YS_NULL, YS_BOOL, YS_INT, YS_FLOAT };

struct ynode {
	enum ynode_kind kind;
	enum yscalar type;         /* scalars only */
	int line;                  /* 1-based */
	int column;                /* 1-based */
	char *value;               /* scalars: text, NUL-terminated */
	size_t len;                /* scalars: bytes, may hold a NUL */
	struct ynode **items;      /* lists: items; maps: key, value, ... */
	size_t n;                  /* entries in items */
	size_t cap;
};

/* A parse in progress over one buffer. After ytree_next returns -1,
 * `error` says why and line/column where (0 when unknown). */
struct ytree {
	yaml_parser_t parser;
	const unsigned char *buf;
	size_t len;
	char error[256];
	int line;
	int column;
	int done;
};

/* Start parsing buf (not copied; it must outlive the parse). */
void ytree_open(struct ytree *t, const char *buf, size_t len);

/* Build the next document: 1 and *root set (NULL for an empty
 * document), 0 at the end of the stream, -1 on an error. */
int ytree_next(struct ytree *t, struct ynode **root);

void ytree_close(struct ytree *t);

/* Free a node and everything under it (NULL is fine). */
void ytree_free(struct ynode *n);

/* A map's value for key, or NULL; the key node too when kp is given. */
const struct ynode *ytree_get(const struct ynode *map, const char *key,
			      const struct ynode **kp);

#endif
