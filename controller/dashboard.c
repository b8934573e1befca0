/* dashboard.c - the page served at / and the catalog at /catalog.json.
 * The page is built from controller/dashboard by webembed.awk, so the
 * binary carries everything it shows: a pod without internet access
 * still gets the whole dashboard. */
#include "dashboard.h"

#include "region.h"
#include "util.h"

static const char dashboard_html[] =
#include "dashboard.inc"
	;

const char *
dashboard_page(size_t *len)
{
	*len = sizeof(dashboard_html) - 1;
	return dashboard_html;
}

void
dashboard_catalog(struct strbuf *sb)
{
	const struct region *r;
	size_t i;

	sb_puts(sb, "{\"regions\":[");
	for (i = 0; (r = region_at(i)) != NULL; i++) {
		sb_puts(sb, i ? ",{\"code\":" : "{\"code\":");
		sb_json_string(sb, r->code);
		sb_puts(sb, ",\"name\":");
		sb_json_string(sb, r->name);
		sb_puts(sb, ",\"city\":");
		sb_json_string(sb, r->city);
		sb_puts(sb, ",\"country\":");
		sb_json_string(sb, r->country);
		sb_puts(sb, ",\"continent\":");
		sb_json_string(sb, r->continent);
		sb_printf(sb, ",\"latitude\":%.4f,\"longitude\":%.4f}",
			  r->latitude, r->longitude);
	}
	sb_puts(sb, "]}\n");
}
