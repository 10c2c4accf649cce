/*
 * hash_pool.c: the order in which one hashing thread serves lanes and
 * clients, and the caps per client and per lane.  A first job holds the
 * thread while the others are queued, so the order is exact.
 */
#include <check.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "hash_pool.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static bool gate_running, gate_open;
static char order[256]; /* the labels of the jobs, in the order their work ran */
static int done_count;

static void hold_the_thread(void *job)
{
	(void)job;
	pthread_mutex_lock(&mu);
	gate_running = true;
	pthread_cond_broadcast(&changed);
	while (!gate_open)
		pthread_cond_wait(&changed, &mu);
	pthread_mutex_unlock(&mu);
}

static void record(void *job)
{
	pthread_mutex_lock(&mu);
	strncat(order, job, sizeof order - strlen(order) - 1);
	strncat(order, " ", sizeof order - strlen(order) - 1);
	pthread_mutex_unlock(&mu);
}

static void count_done(void *job)
{
	(void)job;
	done_count++;
}

static enum hash_pool_result submit(struct event_base *base, int lane, const char *key, int max_jobs,
				    hash_pool_fn work, const char *label)
{
	const struct hash_pool_client who = {lane, key, max_jobs};
	return hash_pool_submit(base, &who, work, count_done, (void *)label);
}

/* Starts one thread and occupies it with a job of lane 0; returns with it running. */
static struct event_base *hold_one_thread(void)
{
	ck_assert_int_eq(evthread_use_pthreads(), 0);
	struct event_base *base = event_base_new();
	ck_assert(base != NULL);
	ck_assert(hash_pool_start(1));
	gate_running = gate_open = false;
	order[0] = '\0';
	done_count = 0;
	ck_assert_int_eq(submit(base, 0, "gate", 1, hold_the_thread, "gate"), HASH_POOL_QUEUED);
	pthread_mutex_lock(&mu);
	while (!gate_running)
		pthread_cond_wait(&changed, &mu);
	pthread_mutex_unlock(&mu);
	return base;
}

/* Lets the held thread go, runs every completion, stops the pool. */
static void release_and_finish(struct event_base *base, int jobs)
{
	pthread_mutex_lock(&mu);
	gate_open = true;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mu);
	while (done_count < jobs)
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(hash_pool_outstanding(), 0);
	hash_pool_stop();
	event_base_free(base);
}

START_TEST(lanes_and_clients_take_turns)
{
	struct event_base *base = hold_one_thread();
	static const struct {
		int lane;
		const char *key, *label;
	} jobs[] = {
		{1, "A", "a1"}, {1, "A", "a2"}, {1, "A", "a3"}, {1, "A", "a4"}, {1, "B", "b1"},
		{1, "B", "b2"}, {1, "C", "c1"}, {0, "L", "l1"}, {0, "L", "l2"},
	};
	size_t n = sizeof jobs / sizeof jobs[0];
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(submit(base, jobs[i].lane, jobs[i].key, 4, record, jobs[i].label), HASH_POOL_QUEUED);
	release_and_finish(base, (int)n + 1);
	/* Lane 0 ran the gate, so lane 1 goes first; A's four jobs came first but wait their turns. */
	ck_assert_str_eq(order, "a1 l1 b1 l2 c1 a2 b2 a3 a4 ");
}
END_TEST

START_TEST(a_client_holds_at_most_its_share)
{
	struct event_base *base = hold_one_thread();
	ck_assert_int_eq(submit(base, 1, "203.0.113.9", 2, record, "x"), HASH_POOL_QUEUED);
	ck_assert_int_eq(submit(base, 1, "203.0.113.9", 2, record, "x"), HASH_POOL_QUEUED);
	ck_assert_int_eq(submit(base, 1, "203.0.113.9", 2, record, "x"), HASH_POOL_CLIENT_FULL);
	/* Its share of another lane, and other clients, are not affected. */
	ck_assert_int_eq(submit(base, 0, "203.0.113.9", 2, record, "y"), HASH_POOL_QUEUED);
	ck_assert_int_eq(submit(base, 1, "203.0.113.10", 2, record, "z"), HASH_POOL_QUEUED);
	release_and_finish(base, 5);
	ck_assert_str_eq(order, "x y z x ");
}
END_TEST

/* Three quarters full, a lane takes only clients that hold none; full, nobody; the other lane still queues. */
START_TEST(a_crowded_lane_keeps_room_for_newcomers)
{
	struct event_base *base = hold_one_thread();
	char key[16];
	int queued = 0;
	for (; queued < 95; queued++) {
		snprintf(key, sizeof key, "c%d", queued);
		ck_assert_int_eq(submit(base, 1, key, 4, record, ""), HASH_POOL_QUEUED);
	}
	ck_assert_int_eq(submit(base, 1, "c0", 4, record, ""), HASH_POOL_QUEUED); /* 95 queued before it */
	queued++;
	ck_assert_int_eq(submit(base, 1, "c1", 4, record, ""), HASH_POOL_CLIENT_FULL);
	enum hash_pool_result res;
	do {
		snprintf(key, sizeof key, "new%d", queued);
		res = submit(base, 1, key, 4, record, "");
		queued += res == HASH_POOL_QUEUED;
	} while (res == HASH_POOL_QUEUED && queued <= 128);
	ck_assert_int_eq(res, HASH_POOL_FULL);
	ck_assert_int_eq(queued, 128);
	ck_assert_int_eq(submit(base, 0, "c1", 4, record, ""), HASH_POOL_QUEUED);
	release_and_finish(base, queued + 2);
}
END_TEST

START_TEST(a_stopped_pool_refuses)
{
	struct event_base *base = event_base_new();
	ck_assert(base != NULL);
	ck_assert(hash_pool_start(1));
	hash_pool_stop();
	ck_assert_int_eq(submit(base, 0, "late", 1, record, ""), HASH_POOL_FULL);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash_pool");
	TCase *tc = tcase_create("hash_pool");
	tcase_add_test(tc, lanes_and_clients_take_turns);
	tcase_add_test(tc, a_client_holds_at_most_its_share);
	tcase_add_test(tc, a_crowded_lane_keeps_room_for_newcomers);
	tcase_add_test(tc, a_stopped_pool_refuses);
	suite_add_tcase(s, tc);
	return check_run(s);
}
