/*
 * Per-connection protections that libevent 2.1's evhttp lacks: an absolute
 * deadline for each request to arrive whole (evhttp's read timeout restarts
 * at every byte, so a client dribbling its headers would never be cut off),
 * strict framing (every byte is checked by framing.c before evhttp parses
 * it, so that no request can be smuggled past a proxy in front), and
 * problem+json in place of the HTML error pages evhttp writes itself
 * (malformed request, body over the limit, unknown method).
 */
#ifndef MARKETPLACE_CONN_GUARD_H
#define MARKETPLACE_CONN_GUARD_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct evhttp;
struct evhttp_request;

struct conn_guard_config {
	int header_timeout_ms;
	size_t max_header_bytes; /* a request line and headers over this get 431 (framing.h) */
	SSL_CTX *tls; /* serve HTTPS when set; shared by every worker */
};

/* Allocates the process-wide fd -> guard table. Call once before any worker. */
bool conn_guard_init(void);
void conn_guard_cleanup(void);

/* Makes every connection `http` accepts guarded; cfg must outlive http. */
void conn_guard_install(struct evhttp *http, const struct conn_guard_config *cfg);

/* The request reached the router: stop the deadline until its reply is sent. */
void conn_guard_request_started(struct evhttp_request *req);

/* Connections of the calling thread with a request not yet fully answered. */
long conn_guard_busy(void);

#endif
