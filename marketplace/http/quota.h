/*
 * Admission bookkeeping shared by every worker thread: connections open in
 * total and per client address, and the bytes reserved for buffered request
 * bodies, with the counters /metrics reports.  It is touched only when a
 * connection opens or closes and when a request's head is complete, never
 * per byte, so one mutex over a small table serves.  It knows no sockets:
 * conn_guard.c decides what an address is and what to do with a verdict.
 */
#ifndef MARKETPLACE_QUOTA_H
#define MARKETPLACE_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct quota_limits {
	long connections;             /* open at once, in total (at least 1) */
	long connections_per_address; /* open at once from one client address (at least 1) */
	size_t body_bytes;            /* request bodies reserved at once, process-wide */
};

/* A client address as the per-address cap counts it. */
struct quota_address {
	unsigned char family;    /* 4 or 6; 0: not capped per address (a trusted proxy) */
	unsigned char bytes[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

enum quota_verdict { QUOTA_ADMITTED, QUOTA_OVER_TOTAL, QUOTA_OVER_ADDRESS };

struct quota;

/* Sized for limits->connections addresses; NULL when memory is short.  quota_free it. */
struct quota *quota_new(const struct quota_limits *limits);
void quota_free(struct quota *q);

/*
 * Counts a new connection from `from`, or refuses it (and counts the
 * refusal by reason).  Every admitted connection must be closed once with
 * the same address.
 */
enum quota_verdict quota_connection_open(struct quota *q, const struct quota_address *from);
void quota_connection_close(struct quota *q, const struct quota_address *from);

/*
 * Reserves `bytes` of the body budget, or refuses (counted) when they do
 * not fit beside what is reserved.  Release exactly what was reserved.
 */
bool quota_body_reserve(struct quota *q, size_t bytes);
void quota_body_release(struct quota *q, size_t bytes);

/* Counts a body refused for its route's limit, and a failed accept(). */
void quota_count_body_too_large(struct quota *q);
void quota_count_accept_error(struct quota *q);

struct quota_stats {
	long connections;        /* open now */
	size_t body_bytes;       /* reserved now */
	uint64_t refused_over_total, refused_over_address;
	uint64_t bodies_over_budget, bodies_too_large;
	uint64_t accept_errors;
};
void quota_get_stats(struct quota *q, struct quota_stats *out);

/*
 * The most body bytes reserved at once since the previous call (or since
 * quota_new); the mark restarts from what is reserved now.  What memory a
 * load left behind is judged from it (http_server.c trims after a load).
 */
size_t quota_body_peak_take(struct quota *q);

#endif
