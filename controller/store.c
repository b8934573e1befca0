/* store.c - the desired store. A load replaces a set's spec only when
 * the set is valid in it; a set with an error keeps its last good spec
 * and is frozen; a set whose file failed to parse keeps everything. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "metrics.h"
#include "plancheck.h"
#include "reconcile.h"
#include "status.h"
#include "util.h"

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;

	return strcmp(x->name, y->name);
}

static struct entry *
entry_add(struct ctl *c, const char *name)
{
	struct entry *e = ctl_find(c, name), **grown;

	if (e != NULL)
		return e;
	e = calloc(1, sizeof(*e));
	grown = realloc(c->entries, (c->nentries + 1) * sizeof(*grown));
	if (e == NULL || grown == NULL) {
		free(e);
		if (grown != NULL)
			c->entries = grown;
		return NULL;
	}
	util_strlcpy(e->name, name, sizeof(e->name));
	e->ctl = c;
	ev_timer_init(&e->requeue, NULL, 0, 0);
	status_init_entry(e);
	c->entries = grown;
	c->entries[c->nentries++] = e;
	qsort(c->entries, c->nentries, sizeof(*grown), entry_cmp);
	return e;
}

static void
entry_free(struct ctl *c, struct entry *e)
{
	ev_timer_stop(c->loop, &e->requeue);
	reconcile_abandon(e);
	metrics_entry_free(e);
	events_free(e);
	status_conditions_free(e);
	rs_free(e->rs);
	free(e->invalid);
	free(e->status_json);
	free(e->regions_json);
	free(e->holds);
	free(e->region_errors);
	free(e);
}

static void
entry_take_spec(struct entry *e, struct regionset *rs)
{
	int changed = e->rs == NULL ||
		      strcmp(e->rs->spec_hash, rs->spec_hash) != 0;

	if (changed) {
		log_info("regionset_updated", "regionset=%s app=%s "
			 "generation=%ld image=%s", rs->name, rs->app,
			 e->generation + 1, rs->image);
		plancheck_note_change(e, e->rs, rs);
		rs_free(e->rs);
		e->rs = rs;
		e->generation++;
		events_add(e, "", "SpecChanged", "generation %ld: image %s",
			   e->generation, rs->image);
	} else {
		rs_free(rs);
	}
	if (e->invalid != NULL)
		log_info("regionset_valid_again", "regionset=%s", e->name);
	free(e->invalid);
	e->invalid = NULL;
	e->present = 1;
}

static void
entry_mark_invalid(struct entry *e, const char *msg)
{
	if (e->invalid == NULL || strcmp(e->invalid, msg) != 0)
		log_warn("regionset_invalid", "regionset=%s keeping=%s "
			 "error=%s", e->name,
			 e->rs ? "last-good-spec" : "nothing",
			 log_q(msg));
	if (e->invalid == NULL || strcmp(e->invalid, msg) != 0)
		events_add(e, "", "InvalidSpec", "%s", msg);
	free(e->invalid);
	e->invalid = strdup(msg);
	e->present = 1;
}

static void
store_take_sets(struct ctl *c, struct yaml_load *ld)
{
	size_t i;

	for (i = 0; i < ld->nsets; i++) {
		struct entry *e = entry_add(c, ld->sets[i]->name);
		if (e == NULL)
			continue;
		entry_take_spec(e, ld->sets[i]);
		ld->sets[i] = NULL;
	}
}

static void
store_take_errors(struct ctl *c, struct yaml_load *ld)
{
	size_t i, j;
	char msg[512];

	for (i = 0; i < ld->errors.n; i++) {
		const struct rs_error *er = &ld->errors.items[i];
		rs_error_format(er, msg, sizeof(msg));
		if (er->set[0] != '\0') {
			struct entry *e = entry_add(c, er->set);
			if (e != NULL)
				entry_mark_invalid(e, msg);
			continue;
		}
		/* No set name: every set that last came from this file. */
		for (j = 0; er->file != NULL && j < c->nentries; j++) {
			struct entry *e = c->entries[j];
			if (e->rs != NULL && e->rs->origin.file != NULL &&
			    strcmp(e->rs->origin.file, er->file) == 0)
				entry_mark_invalid(e, msg);
		}
	}
}

/* A set gone from a good load is forgotten; its machines are left
 * running (never destroyed because a file disappeared). */
static void
store_drop_absent(struct ctl *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nentries; i++) {
		struct entry *e = c->entries[i];
		if (e->present || e->running) {
			c->entries[n++] = e;
			continue;
		}
		log_warn("regionset_removed", "regionset=%s app=%s "
			 "machines=left-running", e->name,
			 e->rs ? e->rs->app : "");
		entry_free(c, e);
	}
	c->nentries = n;
}

/* The commit read when the source knows it, else a hash of the
 * content in force. */
static void
store_revision(struct ctl *c, const struct yaml_load *ld)
{
	uint64_t h = UTIL_FNV_SEED;
	size_t i;

	if (ld->revision[0] != '\0') {
		util_strlcpy(c->revision, ld->revision, sizeof(c->revision));
		return;
	}
	for (i = 0; i < c->nentries; i++) {
		const struct entry *e = c->entries[i];
		h = util_fnv1a(h, e->name, strlen(e->name) + 1);
		if (e->rs != NULL)
			h = util_fnv1a(h, e->rs->spec_hash, RS_HASH_LEN);
	}
	snprintf(c->revision, sizeof(c->revision), "fnv:%016llx",
		 (unsigned long long)h);
}

static char *
store_error_text(const struct yaml_load *ld)
{
	struct strbuf sb;
	char msg[512];
	size_t i;

	if (ld->errors.n == 0)
		return NULL;
	sb_init(&sb);
	for (i = 0; i < ld->errors.n; i++) {
		rs_error_format(&ld->errors.items[i], msg, sizeof(msg));
		sb_printf(&sb, "%s%s", i ? "; " : "", msg);
	}
	return sb_steal(&sb);
}

/* Every error of a load is logged once, when the set of errors changes
 * (errors of a file that names no set have no entry to show them on),
 * and kept for /status. */
static void
store_set_error(struct ctl *c, const struct yaml_load *ld)
{
	char *text = store_error_text(ld), msg[512];
	size_t i;

	if (text != NULL && (c->source_error == NULL ||
			     strcmp(text, c->source_error) != 0)) {
		for (i = 0; i < ld->errors.n; i++) {
			rs_error_format(&ld->errors.items[i], msg,
					sizeof(msg));
			log_warn("source_error", "source=%s error=%s",
				 c->opt.source, log_q(msg));
		}
	}
	free(c->source_error);
	c->source_error = text;
}

void
store_apply(struct ctl *c, struct yaml_load *ld)
{
	char before[sizeof(c->revision)];
	size_t i;
	int same;

	store_set_error(c, ld);
	c->source_failed = ld->source_failed;
	metrics_source_load(ld->source_failed, ld->errors.n);
	if (ld->source_failed) {
		log_error("source_failed", "source=%s keeping=last-good "
			  "error=%s", c->opt.source,
			  log_q(c->source_error ? c->source_error : "?"));
		status_refresh_all(c);
		return;
	}
	for (i = 0; i < c->nentries; i++)
		c->entries[i]->present = 0;
	store_take_sets(c, ld);
	store_take_errors(c, ld);
	store_drop_absent(c);
	util_strlcpy(before, c->revision, sizeof(before));
	store_revision(c, ld);
	/* A resync that finds what was already in force is news only at
	 * debug level: a 30 s resync would otherwise fill the log. */
	same = c->loaded && ld->errors.n == 0 &&
	       strcmp(before, c->revision) == 0;
	c->loaded = 1;
	c->last_load = util_now();
	if (log_enabled(same ? LOG_DEBUG : LOG_INFO))
		log_emit(same ? LOG_DEBUG : LOG_INFO, "source_loaded",
			 "source=%s revision=%s sets=%zu errors=%zu",
			 c->opt.source, c->revision, c->nentries,
			 ld->errors.n);
	for (i = 0; i < c->nentries; i++)
		ctl_enqueue(c->entries[i]);
}

int
store_frozen(const struct ctl *c, const struct entry *e)
{
	return e->invalid != NULL || e->rs == NULL || !e->present ||
	       c->source_failed;
}

void
store_clear(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->nentries; i++)
		entry_free(c, c->entries[i]);
	free(c->entries);
	c->entries = NULL;
	c->nentries = 0;
}
