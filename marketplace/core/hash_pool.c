/* Worker threads for password hashing, completing on the submitting loop. */
#include "hash_pool.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

#include "log.h"

#define MAX_QUEUED 128

struct item {
	struct item *next;
	struct event *done_ev; /* on the submitter's base; activated from a pool thread */
	hash_pool_fn work, done;
	void *job;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct item *head, *tail;
static int queued;
static bool stopping;
static pthread_t *threads;
static int nthreads;
static _Thread_local long outstanding;

static void *run(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (head == NULL && !stopping)
			pthread_cond_wait(&wake, &lock);
		struct item *it = head;
		if (it == NULL) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		head = it->next;
		if (head == NULL)
			tail = NULL;
		queued--;
		pthread_mutex_unlock(&lock);
		it->work(it->job);
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

bool hash_pool_submit(struct event_base *base, hash_pool_fn work, hash_pool_fn done, void *job)
{
	struct item *it = calloc(1, sizeof *it);
	if (it == NULL)
		return false;
	it->done_ev = event_new(base, -1, 0, on_done, it);
	it->work = work;
	it->done = done;
	it->job = job;
	pthread_mutex_lock(&lock);
	bool accepted = it->done_ev != NULL && queued < MAX_QUEUED && !stopping && nthreads > 0;
	if (accepted) {
		if (tail != NULL)
			tail->next = it;
		else
			head = it;
		tail = it;
		queued++;
		pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
	if (!accepted) {
		if (it->done_ev != NULL)
			event_free(it->done_ev);
		free(it);
		return false;
	}
	outstanding++;
	return true;
}

long hash_pool_outstanding(void) { return outstanding; }
