/* httpd.h - the status server: libmicrohttpd driven by the libev loop. */
#ifndef RHONE_HTTPD_H
#define RHONE_HTTPD_H

struct ctl;
struct httpd;

/* Listen on "HOST:PORT" and serve /status, /status/NAME and /healthz
 * from the controller's snapshots. NULL (with a log line) on failure. */
struct httpd *httpd_start(struct ctl *c, const char *listen);

/* Run the server from the loop soon: a suspended connection was
 * resumed and has an answer to send. */
void httpd_kick(struct httpd *h);

void httpd_stop(struct httpd *h);

#endif
