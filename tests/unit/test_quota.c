/*
 * quota: the total and per-address connection caps (a trusted proxy's
 * connections count only in the total), the refusal counters, the body
 * budget and its peak, the table kept right through many addresses coming
 * and going, and the counts staying exact under several threads at once.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "quota.h"
#include "check_run.h"

static struct quota_address v4(unsigned n)
{
	struct quota_address a = {.family = 4};
	memcpy(a.bytes, &n, sizeof n);
	return a;
}

static const struct quota_address proxy = {.family = 0};

START_TEST(caps)
{
	struct quota *q = quota_new(&(struct quota_limits){5, 2, 1000});
	ck_assert_ptr_nonnull(q);
	struct quota_address a = v4(1), b = v4(2), c = v4(3);
	ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_OVER_ADDRESS);
	ck_assert_int_eq(quota_connection_open(q, &b), QUOTA_ADMITTED);
	/* A proxy's connections are capped only by the total. */
	ck_assert_int_eq(quota_connection_open(q, &proxy), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &proxy), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &c), QUOTA_OVER_TOTAL);
	struct quota_stats st;
	quota_get_stats(q, &st);
	ck_assert_int_eq(st.connections, 5);
	ck_assert_uint_eq(st.refused_over_address, 1);
	ck_assert_uint_eq(st.refused_over_total, 1);
	/* A close makes room again, for that address and in total. */
	quota_connection_close(q, &a);
	ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
	quota_connection_close(q, &proxy);
	ck_assert_int_eq(quota_connection_open(q, &c), QUOTA_ADMITTED);
	quota_get_stats(q, &st);
	ck_assert_int_eq(st.connections, 5);
	quota_free(q);
}
END_TEST

START_TEST(ipv6_and_ipv4_differ)
{
	struct quota *q = quota_new(&(struct quota_limits){10, 1, 0});
	struct quota_address four = v4(7), six = v4(7);
	six.family = 6;
	ck_assert_int_eq(quota_connection_open(q, &four), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &six), QUOTA_ADMITTED);
	ck_assert_int_eq(quota_connection_open(q, &six), QUOTA_OVER_ADDRESS);
	quota_free(q);
}
END_TEST

START_TEST(budget)
{
	struct quota *q = quota_new(&(struct quota_limits){10, 10, 1000});
	ck_assert(quota_body_reserve(q, 600));
	ck_assert(!quota_body_reserve(q, 401));
	ck_assert(quota_body_reserve(q, 400));
	ck_assert(!quota_body_reserve(q, 1));
	ck_assert(quota_body_reserve(q, 0));
	ck_assert_uint_eq(quota_body_peak_take(q), 1000);
	quota_body_release(q, 600);
	ck_assert(quota_body_reserve(q, 100));
	quota_body_release(q, 100);
	/* The mark restarts from what is reserved now. */
	ck_assert_uint_eq(quota_body_peak_take(q), 1000);
	ck_assert_uint_eq(quota_body_peak_take(q), 400);
	quota_count_body_too_large(q);
	quota_count_accept_error(q);
	struct quota_stats st;
	quota_get_stats(q, &st);
	ck_assert_uint_eq(st.body_bytes, 400);
	ck_assert_uint_eq(st.bodies_over_budget, 2);
	ck_assert_uint_eq(st.bodies_too_large, 1);
	ck_assert_uint_eq(st.accept_errors, 1);
	quota_body_release(q, 400);
	quota_free(q);
}
END_TEST

/* Many addresses come and go; every count must stay its own (removal keeps probe runs whole). */
START_TEST(table_churn)
{
	enum { CAP = 64 };
	struct quota *q = quota_new(&(struct quota_limits){CAP, 3, 0});
	unsigned held[CAP];
	int open = 0;
	unsigned next = 1;
	for (int round = 0; round < 2000; round++) {
		if (open < CAP && (round % 3 != 2 || open == 0)) {
			struct quota_address a = v4(next * 2654435761u);
			ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
			held[open++] = next++;
		} else {
			int victim = (round * 7) % open;
			struct quota_address a = v4(held[victim] * 2654435761u);
			quota_connection_close(q, &a);
			held[victim] = held[--open];
		}
		/* Every address still open has exactly one connection: two more fit, a fourth does not. */
		if (round % 97 == 0 && open > 0 && open + 3 <= CAP) {
			struct quota_address a = v4(held[round % open] * 2654435761u);
			ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
			ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_ADMITTED);
			ck_assert_int_eq(quota_connection_open(q, &a), QUOTA_OVER_ADDRESS);
			quota_connection_close(q, &a);
			quota_connection_close(q, &a);
		}
	}
	struct quota_stats st;
	quota_get_stats(q, &st);
	ck_assert_int_eq(st.connections, open);
	quota_free(q);
}
END_TEST

struct worker_arg {
	struct quota *q;
	unsigned id;
};

static void *open_close_many(void *p)
{
	struct worker_arg *w = p;
	for (int i = 0; i < 20000; i++) {
		struct quota_address a = v4(w->id * 1000 + (unsigned)(i % 5));
		if (quota_connection_open(w->q, &a) == QUOTA_ADMITTED)
			quota_connection_close(w->q, &a);
		if (quota_body_reserve(w->q, 10))
			quota_body_release(w->q, 10);
	}
	return NULL;
}

START_TEST(threads)
{
	struct quota *q = quota_new(&(struct quota_limits){1000, 1000, 1000});
	pthread_t t[4];
	struct worker_arg args[4];
	for (unsigned i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){q, i};
		ck_assert_int_eq(pthread_create(&t[i], NULL, open_close_many, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	struct quota_stats st;
	quota_get_stats(q, &st);
	ck_assert_int_eq(st.connections, 0);
	ck_assert_uint_eq(st.body_bytes, 0);
	ck_assert_uint_eq(st.refused_over_total + st.refused_over_address + st.bodies_over_budget, 0);
	quota_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");
	tcase_add_test(tc, caps);
	tcase_add_test(tc, ipv6_and_ipv4_differ);
	tcase_add_test(tc, budget);
	tcase_add_test(tc, table_churn);
	tcase_add_test(tc, threads);
	suite_add_tcase(s, tc);
	return check_run(s);
}
