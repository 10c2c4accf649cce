/*
 * A few threads for CPU-heavy work (password hashing) that must not run on
 * an event loop.  A job's work runs on a pool thread; its completion runs
 * back on the event loop that submitted it.
 */
#ifndef MARKETPLACE_HASH_POOL_H
#define MARKETPLACE_HASH_POOL_H

#include <stdbool.h>

struct event_base;

typedef void (*hash_pool_fn)(void *job);

bool hash_pool_start(int threads);
/* Joins the threads; call after every event loop that submitted work has ended. */
void hash_pool_stop(void);

/*
 * Queues work(job) on a pool thread, then done(job) on `base`'s loop.  The
 * job stays the caller's; done is where it usually frees it.  Returns false
 * (nothing queued) when the queue is full or memory is short: answer 503.
 */
bool hash_pool_submit(struct event_base *base, hash_pool_fn work, hash_pool_fn done, void *job);

/* Jobs submitted from the calling thread whose done has not run yet. */
long hash_pool_outstanding(void);

#endif
