/* plancheck.c - the plan check. The source says which plan an app's
 * team is on; this decides which regions that allows and words what is
 * held, for status, events and the plan command. Held regions are left
 * exactly as they are: a billing change never removes a machine. */
#include "plancheck.h"

#include <stdio.h>
#include <string.h>

#include "events.h"
#include "controller.h"

int
plancheck_allows(const char *plan)
{
	return plan != NULL && strcmp(plan, PLANCHECK_MULTI_REGION) == 0;
}

void
plancheck_apply(struct regionset *rs, const char *plan)
{
	int i, allowed = plancheck_allows(plan);
	size_t k;

	/* Only printable ASCII reaches messages: the column is free text. */
	for (k = 0; plan != NULL && plan[k] != '\0' &&
	     k < sizeof(rs->plan) - 1; k++)
		rs->plan[k] = plan[k] > ' ' && plan[k] < 0x7f ? plan[k] : '?';
	rs->plan[k] = '\0';
	for (i = 0; i < rs->nregions; i++)
		rs->regions[i].held = !rs->regions[i].primary && !allowed;
}

int
plancheck_held_list(const struct regionset *rs, char *buf, size_t size)
{
	size_t len = 0;
	int i, n = 0;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; rs != NULL && i < rs->nregions; i++) {
		if (!rs->regions[i].held)
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						n ? ", " : "",
						rs->regions[i].code);
		n++;
	}
	return n;
}

void
plancheck_why(const struct regionset *rs, char *buf, size_t size)
{
	snprintf(buf, size, "multi-region needs the %s plan (team plan: %s)",
		 PLANCHECK_MULTI_REGION, rs->plan[0] ? rs->plan : "none");
}

void
plancheck_region_message(const struct regionset *rs, int current,
			 char *buf, size_t size)
{
	char why[80];

	plancheck_why(rs, why, sizeof(why));
	if (current == 0)
		snprintf(buf, size, "%s: not deployed here", why);
	else
		snprintf(buf, size, "%s: %d machine%s left as %s", why,
			 current, current == 1 ? "" : "s",
			 current == 1 ? "it is" : "they are");
}

/* Regions of rs that are held (held 1) and were not under old, or
 * that are not held (held 0) and were under old; as "fra, nrt" in buf,
 * their number returned. A region new to the spec is never released. */
static int
flips(const struct regionset *rs, const struct regionset *old, int held,
      char *buf, size_t size)
{
	const struct rs_region *was;
	size_t len = 0;
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < rs->nregions; i++) {
		if (rs->regions[i].held != held)
			continue;
		was = old ? rs_region_find(old, rs->regions[i].code) : NULL;
		if (held ? was != NULL && was->held : was == NULL || !was->held)
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						n ? ", " : "",
						rs->regions[i].code);
		n++;
	}
	return n;
}

void
plancheck_note_change(struct entry *e, const struct regionset *old,
		      const struct regionset *rs)
{
	char list[RS_REGIONS_MAX * 5], why[80];

	if (flips(rs, old, 1, list, sizeof(list)) > 0) {
		plancheck_why(rs, why, sizeof(why));
		events_add(e, "", PLANCHECK_REASON, "held %s: %s", list, why);
	}
	if (flips(rs, old, 0, list, sizeof(list)) > 0)
		events_add(e, "", "RegionsReleased", "reconciling %s again "
			   "(team plan: %s)", list,
			   rs->plan[0] ? rs->plan : "none");
}
