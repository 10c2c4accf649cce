/* One event-loop thread: its loop, HTTP front, database pools and counters. */
#ifndef MARKETPLACE_WORKER_H
#define MARKETPLACE_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct event_base;
struct evhttp;
struct event;
struct evhttp_bound_socket;
struct db_pool;
struct metrics;
struct config;
struct http_app;
struct conn_guard_loop;
struct quota;
struct identity_cache;
struct static_files;

struct worker {
	int index;
	pthread_t thread;
	const struct config *config;
	const struct http_app *app;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct evhttp_bound_socket *metrics_bound; /* worker 0, with MARKETPLACE_METRICS_LISTEN */
	struct conn_guard_loop *guard;
	struct quota *quota;      /* shared by every worker */
	struct db_pool *db;       /* primary: writes and reads that must see them */
	struct db_pool *db_read;  /* replica when configured, else the same as db */
	struct metrics *metrics;  /* written by this thread only, read by /metrics */
	struct identity_cache *identities; /* this thread's; see identity_cache.h */
	const struct static_files *web; /* the web front end, shared by every worker (read only) */
	struct event *shutdown_ev;
	struct event *drain_timer;
	struct event *sweep_timer; /* worker 0 only: removes expired idempotency keys */
	struct event *maintenance_timer; /* worker 0 only: the application's timed statements */
	struct event *follow_up_timer; /* worker 0 only: the application's follow-ups, every second */
	struct event *pools_timer; /* refreshes the pools' figures in metrics */
	struct event *accept_resume; /* listening again after accept() ran out of descriptors */
	long inflight;            /* requests awaiting their reply; this thread only */
	bool draining;
	bool pools_closed;        /* the drain is over: what waited on the database was answered */
};

/* Every worker of the process, for handlers that report on all (/metrics). */
size_t workers_count(void);
struct worker *workers_get(size_t i);

#endif
