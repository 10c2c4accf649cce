/*
 * Request counters, latency histograms and database pool figures.  Each
 * worker owns one block and is its only writer; /metrics sums the blocks of
 * all workers.  The blocks live until every worker has stopped, unlike the
 * pools: a worker copies its pools' figures into its block (at every
 * request it answers, and when it refreshes them), so no other thread ever
 * reads a pool, which its worker may be freeing.
 */
#ifndef MARKETPLACE_METRICS_H
#define MARKETPLACE_METRICS_H

#include <stddef.h>

struct evbuffer;
struct route;
struct db_pool;
struct quota_stats;

struct metrics;

/* One block for route_count routes (plus "unmatched"); NULL when out of memory. */
struct metrics *metrics_new(size_t route_count);
void metrics_free(struct metrics *m);

/* route_index -1 is a request that matched no route. */
void metrics_record_request(struct metrics *m, int route_index, int status, double seconds);

/* Appends the request series summed over `blocks` in Prometheus text format. */
void metrics_render_requests(struct evbuffer *out, struct metrics *const *blocks, size_t nblocks,
			     const struct route *routes, size_t route_count);

/*
 * The owner's pools, whose figures its block carries (replica NULL when
 * there is none).  Watch NULL, NULL before freeing them: the gauges fall to
 * zero and the error counters keep their last values.
 */
void metrics_watch_pools(struct metrics *m, const struct db_pool *primary, const struct db_pool *replica);

/* Copies the watched pools' figures into the block now (the owner's thread only). */
void metrics_refresh_pools(struct metrics *m);

/* Appends the pool gauges and database error counters summed over `blocks`. */
void metrics_render_pools(struct evbuffer *out, struct metrics *const *blocks, size_t nblocks);

/* Appends the connection caps, the body budget and accept() failures. */
void metrics_render_admission(struct evbuffer *out, const struct quota_stats *s);

/* Appends process_open_fds, process_max_fds and process_resident_memory_bytes. */
void metrics_render_process(struct evbuffer *out);

#endif
