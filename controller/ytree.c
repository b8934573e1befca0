/* ytree.c - build one YAML document at a time as a tree of positioned
 * nodes. Limits keep hostile input cheap: nesting depth, node count, and
 * no anchors or aliases (a few aliases can stand for billions of nodes). */
#include "ytree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YTREE_CORE_TAG "tag:yaml.org,2002:"

/* The document being built, between DOCUMENT-START and DOCUMENT-END. */
struct ybuild {
	struct ynode *root;
	struct ynode *stack[YTREE_MAX_DEPTH];
	int depth;
	size_t nodes;
};

enum { YB_MORE, YB_DOC, YB_END, YB_ERR };

static void __attribute__((format(printf, 3, 4)))
ytree_fail(struct ytree *t, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	t->line = m ? (int)m->line + 1 : 0;
	t->column = m ? (int)m->column + 1 : 0;
	t->done = -1;
}

void
ytree_open(struct ytree *t, const char *buf, size_t len)
{
	memset(t, 0, sizeof(*t));
	if (buf == NULL)        /* libyaml asserts on a NULL input */
		len = 0;
	t->buf = (const unsigned char *)(buf ? buf : "");
	t->len = len;
	if (!yaml_parser_initialize(&t->parser)) {
		ytree_fail(t, NULL, "out of memory");
		return;
	}
	yaml_parser_set_input_string(&t->parser, t->buf, len);
}

void
ytree_close(struct ytree *t)
{
	yaml_parser_delete(&t->parser);
}

void
ytree_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ytree_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

/* Reader errors come with a byte offset only; turn it into a position. */
static void
ytree_offset_mark(const struct ytree *t, size_t off, yaml_mark_t *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < off && i < t->len; i++) {
		if (t->buf[i] == '\n') {
			m->line++;
			m->column = 0;
		} else {
			m->column++;
		}
	}
}

static void
ytree_syntax_error(struct ytree *t)
{
	const yaml_parser_t *p = &t->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		ytree_fail(t, NULL, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR)
		ytree_offset_mark(t, p->problem_offset, &m);
	if (p->context != NULL)
		ytree_fail(t, &m, "invalid YAML: %s (%s at line %d, "
			   "column %d)", problem, p->context,
			   (int)p->context_mark.line + 1,
			   (int)p->context_mark.column + 1);
	else
		ytree_fail(t, &m, "invalid YAML: %s", problem);
}

static int
ytree_is(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static int
ytree_digits(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (strchr(set, *s) == NULL)
			return 0;
	return 1;
}

/* [-+]? ( .digits | digits [ . digits? ] ) [ (e|E) [-+]? digits ] */
static int
ytree_is_float(const char *s)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF",
		".nan", ".NaN", ".NAN", NULL };
	int mant = 0;

	if (*s == '-' || *s == '+')
		s++;
	if (ytree_is(s, special))
		return 1;
	for (; *s >= '0' && *s <= '9'; s++)
		mant = 1;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			mant = 1;
	if (!mant)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		return ytree_digits(s, "0123456789");
	}
	return *s == '\0';
}

/* Plain scalars resolve by their text (YAML 1.2 core schema). */
static enum yscalar
ytree_resolve(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null",
		"NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE",
		"false", "False", "FALSE", NULL };

	if (ytree_is(s, nulls))
		return YS_NULL;
	if (ytree_is(s, bools))
		return YS_BOOL;
	if (ytree_digits(s + (*s == '-' || *s == '+'), "0123456789"))
		return YS_INT;
	if ((strncmp(s, "0o", 2) == 0 && ytree_digits(s + 2, "01234567")) ||
	    (strncmp(s, "0x", 2) == 0 &&
	     ytree_digits(s + 2, "0123456789abcdefABCDEF")))
		return YS_INT;
	return ytree_is_float(s) ? YS_FLOAT : YS_STRING;
}

/* Only the core schema's own tags are understood; "!!str" (or a bare
 * "!") makes a scalar a string whatever its text. */
static int
ytree_tag(struct ytree *t, const yaml_event_t *ev, const yaml_char_t *tag,
	  int *force_string)
{
	const char *s = (const char *)tag;

	*force_string = 0;
	if (s == NULL)
		return 0;
	if (strcmp(s, "!") == 0 || strcmp(s, YTREE_CORE_TAG "str") == 0) {
		*force_string = 1;
		return 0;
	}
	if (strncmp(s, YTREE_CORE_TAG, strlen(YTREE_CORE_TAG)) == 0)
		return 0;
	ytree_fail(t, &ev->start_mark, "unsupported tag \"%.64s\"", s);
	return -1;
}

static int
ytree_no_anchor(struct ytree *t, const yaml_event_t *ev,
		const yaml_char_t *anchor)
{
	if (anchor == NULL)
		return 0;
	ytree_fail(t, &ev->start_mark, "anchors and aliases are not "
		   "supported (&%.64s)", (const char *)anchor);
	return -1;
}

static struct ynode *
ytree_node(struct ytree *t, struct ybuild *b, const yaml_event_t *ev,
	   enum ynode_kind kind)
{
	struct ynode *n;

	if (++b->nodes > YTREE_MAX_NODES) {
		ytree_fail(t, &ev->start_mark, "document has more than %d "
			   "nodes", YTREE_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		ytree_fail(t, &ev->start_mark, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	n->column = (int)ev->start_mark.column + 1;
	return n;
}

/* Hang n under the open collection, or make it the root. On failure n
 * is freed here. */
static int
ytree_attach(struct ytree *t, struct ybuild *b, struct ynode *n)
{
	struct ynode *parent, **items;
	size_t cap;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->n == parent->cap) {
		cap = parent->cap ? parent->cap * 2 : 4;
		items = realloc(parent->items, cap * sizeof(*items));
		if (items == NULL) {
			ytree_free(n);
			ytree_fail(t, NULL, "out of memory");
			return -1;
		}
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->n++] = n;
	return 0;
}

static int
ytree_scalar(struct ytree *t, struct ybuild *b, const yaml_event_t *ev)
{
	const size_t len = ev->data.scalar.length;
	struct ynode *n;
	int force;

	if (ytree_no_anchor(t, ev, ev->data.scalar.anchor) < 0 ||
	    ytree_tag(t, ev, ev->data.scalar.tag, &force) < 0 ||
	    (n = ytree_node(t, b, ev, YNODE_SCALAR)) == NULL)
		return YB_ERR;
	n->value = malloc(len + 1);
	if (n->value == NULL) {
		free(n);
		ytree_fail(t, &ev->start_mark, "out of memory");
		return YB_ERR;
	}
	memcpy(n->value, ev->data.scalar.value, len);
	n->value[len] = '\0';
	n->len = len;
	n->type = YS_STRING;
	if (!force && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		n->type = ytree_resolve(n->value);
	return ytree_attach(t, b, n) < 0 ? YB_ERR : YB_MORE;
}

static int
ytree_open_collection(struct ytree *t, struct ybuild *b,
		      const yaml_event_t *ev, enum ynode_kind kind,
		      const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct ynode *n;
	int force;

	if (ytree_no_anchor(t, ev, anchor) < 0 ||
	    ytree_tag(t, ev, tag, &force) < 0)
		return YB_ERR;
	if (b->depth == YTREE_MAX_DEPTH) {
		ytree_fail(t, &ev->start_mark, "nesting deeper than %d "
			   "levels", YTREE_MAX_DEPTH);
		return YB_ERR;
	}
	if ((n = ytree_node(t, b, ev, kind)) == NULL ||
	    ytree_attach(t, b, n) < 0)
		return YB_ERR;
	b->stack[b->depth++] = n;
	return YB_MORE;
}

static int
ytree_event(struct ytree *t, struct ybuild *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		t->done = 1;
		return YB_END;
	case YAML_DOCUMENT_START_EVENT:
		memset(b, 0, sizeof(*b));
		return YB_MORE;
	case YAML_DOCUMENT_END_EVENT:
		return YB_DOC;
	case YAML_ALIAS_EVENT:
		ytree_fail(t, &ev->start_mark, "anchors and aliases are not "
			   "supported (*%.64s)",
			   (const char *)ev->data.alias.anchor);
		return YB_ERR;
	case YAML_SCALAR_EVENT:
		return ytree_scalar(t, b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return ytree_open_collection(t, b, ev, YNODE_LIST,
			ev->data.sequence_start.anchor,
			ev->data.sequence_start.tag);
	case YAML_MAPPING_START_EVENT:
		return ytree_open_collection(t, b, ev, YNODE_MAP,
			ev->data.mapping_start.anchor,
			ev->data.mapping_start.tag);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return YB_MORE;
	default:
		return YB_MORE;
	}
}

int
ytree_next(struct ytree *t, struct ynode **root)
{
	struct ybuild b;
	yaml_event_t ev;
	int rc = YB_MORE;

	*root = NULL;
	memset(&b, 0, sizeof(b));
	if (t->done != 0)
		return t->done > 0 ? 0 : -1;
	while (rc == YB_MORE) {
		if (!yaml_parser_parse(&t->parser, &ev)) {
			ytree_syntax_error(t);
			rc = YB_ERR;
			break;
		}
		rc = ytree_event(t, &b, &ev);
		yaml_event_delete(&ev);
	}
	if (rc == YB_DOC) {
		/* "---" alone, or "~": a document that says nothing. */
		if (b.root != NULL && b.root->kind == YNODE_SCALAR &&
		    b.root->type == YS_NULL) {
			ytree_free(b.root);
			b.root = NULL;
		}
		*root = b.root;
		return 1;
	}
	ytree_free(b.root);
	return rc == YB_END ? 0 : -1;
}

const struct ynode *
ytree_get(const struct ynode *map, const char *key, const struct ynode **kp)
{
	size_t i;

	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->items[i];
		if (k->kind == YNODE_SCALAR && strcmp(k->value, key) == 0) {
			if (kp != NULL)
				*kp = k;
			return map->items[i + 1];
		}
	}
	return NULL;
}
