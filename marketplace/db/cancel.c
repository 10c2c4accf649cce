/* Statement cancels sent from detached threads, so no event loop waits for them. */
#include "cancel.h"

#include <pthread.h>
#include <stdatomic.h>

#include "log.h"

static atomic_int running;

static void *cancel_main(void *arg)
{
	PGcancel *cancel = arg;
	char err[256];
	if (!PQcancel(cancel, err, sizeof err))
		log_msg(LOG_WARN, NULL, "cannot cancel a late statement: %s", err);
	PQfreeCancel(cancel);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

bool cancel_start(PGconn *pg)
{
	if (atomic_fetch_add(&running, 1) >= CANCEL_MAX_RUNNING) {
		atomic_fetch_sub(&running, 1);
		return false;
	}
	PGcancel *cancel = PQgetCancel(pg);
	pthread_attr_t attr;
	pthread_t thread;
	bool started = false;
	if (cancel != NULL && pthread_attr_init(&attr) == 0) {
		started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
			  pthread_create(&thread, &attr, cancel_main, cancel) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		PQfreeCancel(cancel);
		atomic_fetch_sub(&running, 1);
	}
	return started;
}
