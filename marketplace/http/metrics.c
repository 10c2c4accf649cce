/* Request counters and latency histograms, one block per worker. */
#include "metrics.h"

#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "router.h"

#define STATUS_MIN 100
#define STATUS_SLOTS 500 /* 100..599 */

static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				       0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct route_series {
	atomic_uint_fast64_t by_status[STATUS_SLOTS];
	atomic_uint_fast64_t buckets[BUCKETS]; /* non-cumulative; summed when rendered */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_us;
};

struct metrics {
	size_t route_count;
	struct route_series series[]; /* [0] is "unmatched", [i + 1] is route i */
};

struct metrics *metrics_new(size_t route_count)
{
	struct metrics *m = calloc(1, sizeof *m + (route_count + 1) * sizeof m->series[0]);
	if (m != NULL)
		m->route_count = route_count;
	return m;
}

void metrics_free(struct metrics *m) { free(m); }

static void add(atomic_uint_fast64_t *counter, uint64_t n)
{
	/* Single writer: a relaxed load and store is enough and avoids a locked add. */
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static uint64_t get(const atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

void metrics_record_request(struct metrics *m, int route_index, int status, double seconds)
{
	if (m == NULL || route_index < -1 || route_index >= (int)m->route_count)
		return;
	struct route_series *s = &m->series[route_index + 1];
	if (status >= STATUS_MIN && status < STATUS_MIN + STATUS_SLOTS)
		add(&s->by_status[status - STATUS_MIN], 1);
	size_t b = 0;
	while (b < BUCKETS && seconds > bucket_bounds[b])
		b++;
	if (b < BUCKETS)
		add(&s->buckets[b], 1);
	add(&s->count, 1);
	add(&s->sum_us, seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
}

static const char *series_label(size_t slot, const struct route *routes)
{
	return slot == 0 ? "unmatched" : routes[slot - 1].pattern;
}

static const char *series_method(size_t slot, const struct route *routes)
{
	return slot == 0 ? "" : routes[slot - 1].method;
}

void metrics_render_requests(struct evbuffer *out, struct metrics *const *blocks, size_t nblocks,
			     const struct route *routes, size_t route_count)
{
	evbuffer_add_printf(out, "# HELP marketplace_http_requests_total HTTP requests answered, by route and status.\n"
				 "# TYPE marketplace_http_requests_total counter\n");
	for (size_t slot = 0; slot <= route_count; slot++) {
		for (int st = 0; st < STATUS_SLOTS; st++) {
			uint64_t n = 0;
			for (size_t b = 0; b < nblocks; b++)
				n += get(&blocks[b]->series[slot].by_status[st]);
			if (n > 0)
				evbuffer_add_printf(out,
						    "marketplace_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
						    series_method(slot, routes), series_label(slot, routes),
						    st + STATUS_MIN, (unsigned long long)n);
		}
	}
	evbuffer_add_printf(out, "# HELP marketplace_http_request_duration_seconds Time from routing to reply.\n"
				 "# TYPE marketplace_http_request_duration_seconds histogram\n");
	for (size_t slot = 0; slot <= route_count; slot++) {
		uint64_t count = 0, sum_us = 0, cumulative = 0;
		for (size_t b = 0; b < nblocks; b++) {
			count += get(&blocks[b]->series[slot].count);
			sum_us += get(&blocks[b]->series[slot].sum_us);
		}
		if (count == 0)
			continue;
		const char *method = series_method(slot, routes), *label = series_label(slot, routes);
		for (size_t k = 0; k < BUCKETS; k++) {
			for (size_t b = 0; b < nblocks; b++)
				cumulative += get(&blocks[b]->series[slot].buckets[k]);
			evbuffer_add_printf(out,
					    "marketplace_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
					    method, label, bucket_bounds[k], (unsigned long long)cumulative);
		}
		evbuffer_add_printf(out,
				    "marketplace_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n"
				    "marketplace_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
				    "marketplace_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
				    method, label, (unsigned long long)count, method, label, (double)sum_us / 1e6,
				    method, label, (unsigned long long)count);
	}
}
