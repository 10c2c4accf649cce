/* Worker threads for password hashing, shared fairly by lane and client, completing on the submitting loop. */
#include "hash_pool.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * Queued jobs per lane.  A queued job costs a few dozen bytes (the hash's
 * 128 MiB is only taken while it runs), and with clients served in turn a
 * newcomer's wait depends on how many clients are queued, not on how many
 * jobs; the cap bounds how long the last of a flood waits.
 */
#define LANE_CAPACITY 128
/* Past this many queued, a lane takes jobs only from clients that hold none in it. */
#define LANE_CROWDED (LANE_CAPACITY * 3 / 4)

struct flow;

struct item {
	struct item *next;
	struct flow *flow;
	struct event *done_ev; /* on the submitter's base; activated from a pool thread */
	hash_pool_fn work, done;
	void *job;
};

/* One client's jobs in one lane; it exists while the client holds any. */
struct flow {
	struct flow *next;        /* in its lane, in order of arrival */
	struct lane *lane;
	struct item *head, *tail; /* queued */
	int held;                 /* queued or running */
	char key[64];
};

struct lane {
	struct flow *flows;
	struct flow *turn; /* where the search for the next job starts; NULL: at the first flow */
	int queued;
};

/* Everything below is guarded by lock, except outstanding (each loop's own). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct lane lanes[HASH_POOL_LANES];
static int next_lane; /* the lane whose turn it is */
static bool stopping;
static pthread_t *threads;
static int nthreads;
static _Thread_local long outstanding;

/* The next job in turn, taken off its queue, or NULL when none is queued. */
static struct item *take(void)
{
	for (int i = 0; i < HASH_POOL_LANES; i++) {
		struct lane *l = &lanes[(next_lane + i) % HASH_POOL_LANES];
		if (l->queued == 0)
			continue;
		next_lane = (next_lane + i + 1) % HASH_POOL_LANES;
		struct flow *f = l->turn != NULL ? l->turn : l->flows;
		while (f->head == NULL) /* ends: a lane with jobs queued has a flow with a queue */
			f = f->next != NULL ? f->next : l->flows;
		struct item *it = f->head;
		f->head = it->next;
		if (f->head == NULL)
			f->tail = NULL;
		l->queued--;
		l->turn = f->next;
		return it;
	}
	return NULL;
}

/* A job of f's has run: f lets go of it, and is freed with its last one. */
static void release(struct flow *f)
{
	if (--f->held > 0)
		return;
	struct lane *l = f->lane;
	struct flow **p = &l->flows;
	while (*p != f)
		p = &(*p)->next;
	*p = f->next;
	if (l->turn == f)
		l->turn = f->next;
	free(f);
}

static void *run(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		struct item *it;
		while ((it = take()) == NULL && !stopping)
			pthread_cond_wait(&wake, &lock);
		pthread_mutex_unlock(&lock);
		if (it == NULL)
			return NULL;
		it->work(it->job);
		pthread_mutex_lock(&lock);
		release(it->flow);
		pthread_mutex_unlock(&lock);
		event_active(it->done_ev, EV_READ, 0);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct item *it = arg;
	outstanding--;
	event_free(it->done_ev);
	it->done(it->job);
	free(it);
}

bool hash_pool_start(int count)
{
	threads = calloc((size_t)count, sizeof *threads);
	if (threads == NULL)
		return false;
	stopping = false;
	for (nthreads = 0; nthreads < count; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, run, NULL) != 0) {
			log_msg(LOG_ERROR, NULL, "cannot start the hashing threads");
			hash_pool_stop();
			return false;
		}
	return true;
}

void hash_pool_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	threads = NULL;
	nthreads = 0;
}

/* Queues it for who, under the lock. */
static enum hash_pool_result enqueue(const struct hash_pool_client *who, struct item *it)
{
	if (stopping || nthreads == 0 || who->lane < 0 || who->lane >= HASH_POOL_LANES)
		return HASH_POOL_FULL;
	struct lane *l = &lanes[who->lane];
	if (l->queued >= LANE_CAPACITY)
		return HASH_POOL_FULL;
	struct flow *f = l->flows, *last = NULL;
	while (f != NULL && strncmp(f->key, who->key, sizeof f->key - 1) != 0) {
		last = f;
		f = f->next;
	}
	if (f != NULL && (f->held >= who->max_jobs || l->queued >= LANE_CROWDED))
		return HASH_POOL_CLIENT_FULL;
	if (f == NULL) {
		if (who->max_jobs < 1 || (f = calloc(1, sizeof *f)) == NULL)
			return HASH_POOL_FULL;
		f->lane = l;
		snprintf(f->key, sizeof f->key, "%s", who->key);
		if (last != NULL)
			last->next = f;
		else
			l->flows = f;
	}
	it->flow = f;
	if (f->tail != NULL)
		f->tail->next = it;
	else
		f->head = it;
	f->tail = it;
	f->held++;
	l->queued++;
	pthread_cond_signal(&wake);
	return HASH_POOL_QUEUED;
}

enum hash_pool_result hash_pool_submit(struct event_base *base, const struct hash_pool_client *who,
				       hash_pool_fn work, hash_pool_fn done, void *job)
{
	struct item *it = calloc(1, sizeof *it);
	if (it == NULL)
		return HASH_POOL_FULL;
	it->done_ev = event_new(base, -1, 0, on_done, it);
	if (it->done_ev == NULL) {
		free(it);
		return HASH_POOL_FULL;
	}
	it->work = work;
	it->done = done;
	it->job = job;
	pthread_mutex_lock(&lock);
	enum hash_pool_result result = enqueue(who, it);
	pthread_mutex_unlock(&lock);
	if (result != HASH_POOL_QUEUED) {
		event_free(it->done_ev);
		free(it);
		return result;
	}
	outstanding++;
	return HASH_POOL_QUEUED;
}

long hash_pool_outstanding(void) { return outstanding; }
