/* pgsource.h - the Postgres source: reads desired state from the
 * database without blocking the loop, LISTENs for changes and hands each
 * complete load to the controller like the YAML source does. */
#ifndef RHONE_PGSOURCE_H
#define RHONE_PGSOURCE_H

#include <stddef.h>

#include "source.h"

struct ev_loop;
struct pgsource;
struct strbuf;

/* Appends the whole /status RegionSetList body to sb. */
typedef void (*pgsource_status_fn)(void *arg, struct strbuf *sb);

/* Whether a --source value names a Postgres database
 * (postgres:// or postgresql://). */
int pgsource_is_url(const char *source);

/* A copy of url fit for logs and /status: any password replaced by
 * "***". NULL on allocation failure. */
char *pgsource_redact(const char *url);

/* Start connecting to url; loads arrive through fn. NULL on failure. */
struct pgsource *pgsource_new(struct ev_loop *loop, const char *url,
			      source_fn fn, void *arg);

/* Read desired state again now (resync, SIGHUP); while the database is
 * unreachable, reconnecting keeps to its backoff. */
void pgsource_reload(struct pgsource *s);

/* Write status back: every second the list is rendered, and when it
 * changed it is handed to rhone_write_status() (region_status, the newest
 * deployment's outcome and regions_deployed). */
void pgsource_set_status(struct pgsource *s, pgsource_status_fn fn,
			 void *arg);

void pgsource_free(struct pgsource *s);

/* Read desired state once, blocking (for one-shot commands such as
 * plan, never inside the loop): the sets into out, which the caller
 * frees with yaml_load_free. 0 on success; -1 with why in err (no
 * password in it). */
int pgsource_read_once(const char *url, struct yaml_load *out, char *err,
		       size_t size);

#endif
