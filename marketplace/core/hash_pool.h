/*
 * A few threads for CPU-heavy work (password hashing) that must not run on
 * an event loop.  A job's work runs on a pool thread; its completion runs
 * back on the event loop that submitted it.
 *
 * Shared fairly: jobs wait in lanes, one per kind of work (the callers'
 * choice: logins and registrations), and within a lane in one queue per
 * client (its address).  A free thread takes the lanes in turn and, within
 * a lane, the clients in turn, one job each.  So a job waits for at most one
 * job of each other lane and client ahead of it, however many jobs a flood
 * of one kind, or from one client, has queued.  A client may hold only a
 * few jobs in a lane at once, and none more once the lane is three
 * quarters full: the last quarter is kept for clients that hold none.
 */
#ifndef MARKETPLACE_HASH_POOL_H
#define MARKETPLACE_HASH_POOL_H

#include <stdbool.h>

struct event_base;

typedef void (*hash_pool_fn)(void *job);

#define HASH_POOL_LANES 2

/* Whom a job is for. */
struct hash_pool_client {
	int lane;         /* 0 to HASH_POOL_LANES - 1 */
	const char *key;  /* the client, e.g. its address (copied; 63 bytes are kept) */
	int max_jobs;     /* the client's jobs in this lane, queued or running, at most */
};

enum hash_pool_result {
	HASH_POOL_QUEUED,
	HASH_POOL_CLIENT_FULL, /* the client holds its share of the lane already: answer 429 */
	HASH_POOL_FULL,        /* the lane is full, memory is short, or the pool is stopping: answer 503 */
};

bool hash_pool_start(int threads);
/* Joins the threads once every queued job has run; call after every event loop that submitted work has ended. */
void hash_pool_stop(void);

/*
 * Queues work(job) on a pool thread for `who`, then done(job) on `base`'s
 * loop.  The job stays the caller's; done is where it usually frees it.
 * Anything but HASH_POOL_QUEUED means nothing was queued.
 */
enum hash_pool_result hash_pool_submit(struct event_base *base, const struct hash_pool_client *who,
				       hash_pool_fn work, hash_pool_fn done, void *job);

/* Jobs submitted from the calling thread whose done has not run yet. */
long hash_pool_outstanding(void);

#endif
