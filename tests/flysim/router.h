/* router.h - from a request to an answer: routes, auth, limits, faults. */
#ifndef FLYSIM_ROUTER_H
#define FLYSIM_ROUTER_H

#include "http.h"

struct sim;

/* Answer one complete request; takes the lock while it works. */
void router_handle(struct sim *sim, struct http_req *req,
    struct http_resp *resp);

#endif
