/*
 * The front door of every request, in the order DESIGN.md section 3 gives:
 * route (404/405), authentication and role from the route's auth column
 * (401/403), Idempotency-Key (a stored response replayed, 422), then the
 * route's handler, which checks the body and runs the work.
 */
#ifndef MARKETPLACE_DISPATCH_H
#define MARKETPLACE_DISPATCH_H

struct evhttp_request;
struct worker;

/* evhttp's request callback of worker w. */
void dispatch_request(struct evhttp_request *ev, void *worker);

#endif
