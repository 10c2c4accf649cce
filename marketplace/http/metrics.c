/* Request counters, latency histograms and pool figures, one block per worker; process gauges. */
#include "metrics.h"

#include <dirent.h>
#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "db.h"
#include "quota.h"
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

/* The worker's pools as it last saw them. */
struct pool_figures {
	atomic_int ready, busy, connecting;
	atomic_uint_fast64_t query_errors, timeouts, unavailable, connection_failures;
};

struct metrics {
	size_t route_count;
	const struct db_pool *watched[2]; /* the owner's thread only */
	struct pool_figures pools;
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
	/* A client that got a 503 for the database finds it counted when it asks /metrics next. */
	metrics_refresh_pools(m);
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

void metrics_watch_pools(struct metrics *m, const struct db_pool *primary, const struct db_pool *replica)
{
	metrics_refresh_pools(m); /* the counters' last values, when these are going away */
	m->watched[0] = primary;
	m->watched[1] = replica;
	metrics_refresh_pools(m);
}

void metrics_refresh_pools(struct metrics *m)
{
	struct db_pool_stats sum = {0}, s;
	for (size_t i = 0; i < 2; i++) {
		if (m->watched[i] == NULL)
			continue;
		db_pool_get_stats(m->watched[i], &s);
		sum.ready += s.ready;
		sum.busy += s.busy;
		sum.connecting += s.connecting;
		sum.query_errors += s.query_errors;
		sum.timeouts += s.timeouts;
		sum.unavailable += s.unavailable;
		sum.connection_failures += s.connection_failures;
	}
	struct pool_figures *p = &m->pools;
	atomic_store_explicit(&p->ready, sum.ready, memory_order_relaxed);
	atomic_store_explicit(&p->busy, sum.busy, memory_order_relaxed);
	atomic_store_explicit(&p->connecting, sum.connecting, memory_order_relaxed);
	if (m->watched[0] == NULL && m->watched[1] == NULL)
		return; /* the counters keep their last values */
	atomic_store_explicit(&p->query_errors, sum.query_errors, memory_order_relaxed);
	atomic_store_explicit(&p->timeouts, sum.timeouts, memory_order_relaxed);
	atomic_store_explicit(&p->unavailable, sum.unavailable, memory_order_relaxed);
	atomic_store_explicit(&p->connection_failures, sum.connection_failures, memory_order_relaxed);
}

void metrics_render_pools(struct evbuffer *out, struct metrics *const *blocks, size_t nblocks)
{
	long ready = 0, busy = 0, connecting = 0;
	uint64_t query_errors = 0, timeouts = 0, unavailable = 0, connection_failures = 0;
	for (size_t b = 0; b < nblocks; b++) {
		struct pool_figures *p = &blocks[b]->pools;
		ready += atomic_load_explicit(&p->ready, memory_order_relaxed);
		busy += atomic_load_explicit(&p->busy, memory_order_relaxed);
		connecting += atomic_load_explicit(&p->connecting, memory_order_relaxed);
		query_errors += get(&p->query_errors);
		timeouts += get(&p->timeouts);
		unavailable += get(&p->unavailable);
		connection_failures += get(&p->connection_failures);
	}
	evbuffer_add_printf(out,
			    "# HELP marketplace_db_pool_connections Database connections by state.\n"
			    "# TYPE marketplace_db_pool_connections gauge\n"
			    "marketplace_db_pool_connections{state=\"in_use\"} %ld\n"
			    "marketplace_db_pool_connections{state=\"idle\"} %ld\n"
			    "marketplace_db_pool_connections{state=\"connecting\"} %ld\n"
			    "# HELP marketplace_db_errors_total Database calls that failed, by kind.\n"
			    "# TYPE marketplace_db_errors_total counter\n"
			    "marketplace_db_errors_total{kind=\"query\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"timeout\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"unavailable\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"connection\"} %llu\n",
			    busy, ready > busy ? ready - busy : 0, connecting, (unsigned long long)query_errors,
			    (unsigned long long)timeouts, (unsigned long long)unavailable,
			    (unsigned long long)connection_failures);
}

void metrics_render_admission(struct evbuffer *out, const struct quota_stats *s)
{
	evbuffer_add_printf(out,
			    "# HELP marketplace_connections_open Client connections open now.\n"
			    "# TYPE marketplace_connections_open gauge\n"
			    "marketplace_connections_open %ld\n"
			    "# HELP marketplace_connections_refused_total Connections closed at accept, by the cap they were over.\n"
			    "# TYPE marketplace_connections_refused_total counter\n"
			    "marketplace_connections_refused_total{cap=\"total\"} %llu\n"
			    "marketplace_connections_refused_total{cap=\"per_address\"} %llu\n"
			    "# HELP marketplace_accept_errors_total Failed accept() calls (e.g. out of file descriptors).\n"
			    "# TYPE marketplace_accept_errors_total counter\n"
			    "marketplace_accept_errors_total %llu\n"
			    "# HELP marketplace_request_body_bytes Bytes of the request body budget reserved now.\n"
			    "# TYPE marketplace_request_body_bytes gauge\n"
			    "marketplace_request_body_bytes %zu\n"
			    "# HELP marketplace_request_bodies_refused_total Bodies refused when their head came in, by reason.\n"
			    "# TYPE marketplace_request_bodies_refused_total counter\n"
			    "marketplace_request_bodies_refused_total{reason=\"too_large\"} %llu\n"
			    "marketplace_request_bodies_refused_total{reason=\"budget\"} %llu\n",
			    s->connections, (unsigned long long)s->refused_over_total,
			    (unsigned long long)s->refused_over_address, (unsigned long long)s->accept_errors,
			    s->body_bytes, (unsigned long long)s->bodies_too_large,
			    (unsigned long long)s->bodies_over_budget);
}

/* Entries of /proc/self/fd, less the directory's own descriptor; -1 when unreadable. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	long n = -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Resident pages from /proc/self/statm, in bytes; -1 when unreadable. */
static long long resident_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size, resident = -1;
	if (f == NULL)
		return -1;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

void metrics_render_process(struct evbuffer *out)
{
	struct rlimit rl;
	long fds = open_fds();
	long long rss = resident_bytes();
	if (fds >= 0)
		evbuffer_add_printf(out, "# HELP process_open_fds Open file descriptors.\n"
					 "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		evbuffer_add_printf(out, "# HELP process_max_fds The file descriptor limit.\n"
					 "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
				    (unsigned long long)rl.rlim_cur);
	if (rss >= 0)
		evbuffer_add_printf(out, "# HELP process_resident_memory_bytes Resident memory.\n"
					 "# TYPE process_resident_memory_bytes gauge\n"
					 "process_resident_memory_bytes %lld\n", rss);
}
