/*
 * Per-connection protections that libevent 2.1's evhttp lacks:
 *  - admission at accept: the connection caps (in total and per client
 *    address, quota.h); a connection over a cap is closed at once;
 *  - an absolute deadline for each request to arrive whole, running from
 *    accept for the first one, so that a TLS handshake is bounded too
 *    (evhttp's read timeout restarts at every byte, so a client dribbling
 *    its bytes would never be cut off);
 *  - each request's body sized as soon as its head is in, before evhttp
 *    buffers it: over its route's limit it is refused with 413 at once,
 *    and a body that does not fit the process-wide budget gets 503 with
 *    Retry-After (evhttp 2.1 has no hook between head and body, so the head
 *    is followed as its bytes arrive, head_scan.h);
 *  - strict framing: every byte received is checked by framing.h before
 *    evhttp parses it, so that no request can be smuggled past a proxy in
 *    front; a refused head gets 400, 411 or 431 and the connection closes;
 *  - problem+json in place of the HTML error pages evhttp writes itself
 *    (malformed request, body over the limit, unknown method), after which
 *    the rest of what the client sends is read and dropped for a while, so
 *    that closing does not reset the connection before the answer is read.
 */
#ifndef MARKETPLACE_CONN_GUARD_H
#define MARKETPLACE_CONN_GUARD_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evhttp;
struct evhttp_request;
struct quota;
struct route;
struct trusted_proxies;

struct conn_guard_config {
	int header_timeout_ms;
	size_t max_header_bytes;                /* a request line and headers over this get 431 (framing.h) */
	SSL_CTX *tls;                           /* serve HTTPS when set; shared by every worker */
	struct quota *quota;                    /* the caps and the body budget, process-wide */
	const struct trusted_proxies *trusted;  /* peers capped by the total only: they carry many clients */
	const struct route *routes;             /* each route's body limit (body_max) */
	size_t nroutes;
};

/* One event loop's part: the connections it accepted and is still admitting or draining. */
struct conn_guard_loop;

/* Allocates the process-wide fd -> guard table. Call once before any worker. */
bool conn_guard_init(void);
void conn_guard_cleanup(void);

/*
 * Makes every connection `http` (running on `base`) accepts guarded; cfg
 * must outlive it.  NULL when memory is short.  Uninstall after
 * evhttp_free(http), before event_base_free(base).
 */
struct conn_guard_loop *conn_guard_install(struct event_base *base, struct evhttp *http,
					   const struct conn_guard_config *cfg);
void conn_guard_uninstall(struct conn_guard_loop *loop);

/* The request reached the router: stop the deadline until its reply is sent. */
void conn_guard_request_started(struct evhttp_request *req);

/* Connections of the calling thread with a request not yet fully answered. */
long conn_guard_busy(void);

#endif
