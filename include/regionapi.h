/* regionapi.h - the platform's region API (DB mode): the region catalog,
 * an app's regions (read and change) and its per-region status, behind
 * bearer API tokens kept hashed in Postgres. Served by the status server;
 * every database call runs on a pool of its own, and a request waits
 * suspended, never blocking the loop. */
#ifndef RHONE_REGIONAPI_H
#define RHONE_REGIONAPI_H

#include <microhttpd.h>
#include <stddef.h>

struct ctl;
struct regionapi;

/* The largest request body accepted (POST /apps/{id}/regions). */
#define REGIONAPI_BODY_MAX 16384

/* An API on its own connections to url (shown: url without password,
 * for log lines). NULL on failure. */
struct regionapi *regionapi_new(struct ctl *c, const char *url,
				const char *shown);

/* Whether url is one of the API's paths (/regions, /apps/...). */
int regionapi_owns(const char *url);

/* The access handler for the API's paths, called by the status server
 * with MHD's arguments; *state holds the request between calls. */
enum MHD_Result regionapi_request(struct regionapi *api,
				  struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *upload, size_t *upload_size,
				  void **state);

/* MHD is done with a connection: free the request *state names, if it
 * is one of the API's (any other value is left alone). */
void regionapi_completed(struct regionapi *api, void **state);

/* Answer every request still waiting (503) so the server can stop;
 * call before the status server stops. */
void regionapi_shutdown(struct regionapi *api);

/* Free the API; after the status server has stopped. */
void regionapi_free(struct regionapi *api);

#endif
