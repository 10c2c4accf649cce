/*
 * PostgreSQL goes away under a running server and comes back: the server
 * answers 503 meanwhile, recovers on its own within 2 s, and never restarts.
 * It stops the shared cluster, so an unchecked teardown (in the parent
 * process, which runs even when the test's child fails) starts it again.
 */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "check_run.h"

/* Runs a cluster control command, failing the test with its output if it fails. */
static void control(const char *what, const char *command)
{
	struct it_cmd c;
	it_run_shell(command, 60000, &c);
	ck_assert_msg(c.status == 0, "%s (%s) exited %d: %s%s", what, command, c.status, c.out, c.err);
	it_cmd_free(&c);
}

static void assert_still_running(const struct it_server *s, const char *when)
{
	int status;
	ck_assert_msg(waitpid(s->pid, &status, WNOHANG) == 0, "the server (pid %ld) exited %s",
		      (long)s->pid, when);
}

static void assert_status(int port, const char *path, int status)
{
	struct it_response r;
	ck_assert_msg(it_get(port, path, &r), "no response to GET %s", path);
	ck_assert_msg(r.status == status, "GET %s: %d, expected %d: %.200s", path, r.status, status, r.body);
	it_response_free(&r);
}

/* A 503 problem with a positive Retry-After. */
static void assert_unavailable(const struct it_response *r, const char *path)
{
	it_assert_problem(r, 503);
	const char *retry = it_header(r, "Retry-After");
	ck_assert_msg(retry != NULL && atoi(retry) > 0, "GET %s: 503 without a Retry-After (%s)", path,
		      retry ? retry : "missing");
}

START_TEST(test_database_restart)
{
	const char *stop_cmd = it_env("MARKETPLACE_TEST_PG_STOP");
	const char *start_cmd = it_env("MARKETPLACE_TEST_PG_START");
	struct it_server s;
	it_server_start(&s, (const char *const[]){"MARKETPLACE_DB_POOL=2", NULL});
	assert_status(s.port, "/api/v1/st-tasks", 200);
	assert_status(s.port, "/readyz", 200);

	control("MARKETPLACE_TEST_PG_STOP", stop_cmd);

	/* Give the server up to 2 s to notice, then it answers 503 at once. */
	struct it_response r;
	double t0 = it_now();
	for (;;) {
		ck_assert_msg(it_get(s.port, "/readyz", &r), "no response to /readyz with the database down");
		if (r.status == 503 || it_now() - t0 > 2.0)
			break;
		it_response_free(&r);
		it_sleep_ms(50);
	}
	assert_unavailable(&r, "/readyz");
	it_response_free(&r);
	double t = it_now();
	ck_assert(it_get(s.port, "/api/v1/st-tasks", &r));
	assert_unavailable(&r, "/api/v1/st-tasks");
	ck_assert_msg(it_now() - t < 1.0, "the 503 took %.2f s", it_now() - t);
	it_response_free(&r);
	assert_status(s.port, "/healthz", 200);

	/* Each worker notices on its own connections, and /metrics shows a
	 * worker's pool figures up to POOLS_REFRESH_MS (250 ms) late. */
	double unavailable, idle;
	t0 = it_now();
	do {
		ck_assert(it_get(s.port, "/metrics", &r));
		unavailable = it_metric(r.body, "marketplace_db_errors_total{kind=\"unavailable\"}");
		idle = it_metric(r.body, "marketplace_db_pool_connections{state=\"idle\"}");
		it_response_free(&r);
		if (idle != 0)
			it_sleep_ms(50);
	} while (idle != 0 && it_now() - t0 < 2.0);
	ck_assert_msg(unavailable >= 2, "db_errors_total{kind=\"unavailable\"} is %g", unavailable);
	ck_assert_msg(idle == 0, "%g idle connections while the database is down", idle);
	assert_still_running(&s, "while the database was down");

	control("MARKETPLACE_TEST_PG_START", start_cmd);
	t0 = it_now();
	int status = 0;
	while (it_now() - t0 < 5.0) {
		ck_assert(it_get(s.port, "/readyz", &r));
		status = r.status;
		it_response_free(&r);
		if (status == 200)
			break;
		it_sleep_ms(50);
	}
	double recovered = it_now() - t0;
	ck_assert_msg(status == 200, "/readyz still %d 5 s after the database came back", status);
	ck_assert_msg(recovered <= 2.0, "/readyz took %.2f s to recover (limit 2 s)", recovered);

	/* Each worker's pool reconnects on its own back-off: /readyz answered by one
	 * does not mean the other has reconnected yet, so wait for this route too. */
	for (;;) {
		ck_assert(it_get(s.port, "/api/v1/st-tasks", &r));
		if (r.status == 200 || it_now() - t0 > 5.0)
			break;
		it_response_free(&r);
		it_sleep_ms(50);
	}
	ck_assert_msg(r.status == 200, "S&T tasks still %d 5 s after the database came back", r.status);
	ck_assert_msg(it_now() - t0 <= 2.5, "S&T tasks took %.2f s to recover (limit 2 s)", it_now() - t0);
	json_t *doc = it_json(&r);
	ck_assert(json_is_array(json_object_get(doc, "items")));
	json_decref(doc);
	it_response_free(&r);

	assert_still_running(&s, "during the outage");
	int rc = it_server_stop(&s);
	ck_assert_msg(rc == 0, "the server exited with status %d, not 0", rc);
}
END_TEST

/* Parent side: whatever happened in the test, leave the shared cluster running. */
static void ensure_database_up(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	const char *start_cmd = getenv("MARKETPLACE_TEST_PG_START");
	if (url == NULL || start_cmd == NULL || PQping(url) == PQPING_OK)
		return;
	fprintf(stderr, "db_restart: PostgreSQL is down after the test; starting it again\n");
	if (it_shell(start_cmd) != 0)
		fprintf(stderr, "db_restart: MARKETPLACE_TEST_PG_START failed\n");
}

int main(void)
{
	Suite *s = suite_create("integration_db_restart");
	TCase *tc = tcase_create("db_restart");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, ensure_database_up);
	tcase_add_test(tc, test_database_restart);
	suite_add_tcase(s, tc);
	return check_run(s);
}
