/* dashboard.h - the status server's web page and the region catalog it
 * draws its map from, both compiled into the binary. */
#ifndef RHONE_DASHBOARD_H
#define RHONE_DASHBOARD_H

#include <stddef.h>

struct strbuf;

/* The whole page (HTML with its CSS and JavaScript inline); *len is set
 * to its length in bytes. */
const char *dashboard_page(size_t *len);

/* Append the region catalog as JSON: {"regions":[{code, name, city,
 * country, continent, latitude, longitude}, ...]} in catalog order. */
void dashboard_catalog(struct strbuf *sb);

#endif
