/*
 * Request counters and latency histograms.  Each worker owns one block and
 * is its only writer; /metrics sums the blocks of all workers.
 */
#ifndef MARKETPLACE_METRICS_H
#define MARKETPLACE_METRICS_H

#include <stddef.h>

struct evbuffer;
struct route;

struct metrics;

/* One block for route_count routes (plus "unmatched"); NULL when out of memory. */
struct metrics *metrics_new(size_t route_count);
void metrics_free(struct metrics *m);

/* route_index -1 is a request that matched no route. */
void metrics_record_request(struct metrics *m, int route_index, int status, double seconds);

/* Appends the request series summed over `blocks` in Prometheus text format. */
void metrics_render_requests(struct evbuffer *out, struct metrics *const *blocks, size_t nblocks,
			     const struct route *routes, size_t route_count);

#endif
