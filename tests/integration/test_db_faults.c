/*
 * The database misbehaving under a running server, seen through HTTP:
 * a statement waiting on a lock, a backend that stops answering, and
 * PostgreSQL crashing.  Each server here names its connections
 * (application_name FAULTS_PREFIX...), so the tests find their backends in
 * pg_stat_activity, and the unchecked teardown resumes any it stopped and
 * restarts the cluster if a test left it down, whatever became of the test.
 *
 * The lock is the one of the reproduction: an ACCESS EXCLUSIVE lock
 * on `tokens`, held by a session of the test, makes every authenticated
 * request wait in its token lookup, while public ones (/api/v1/provinces)
 * need nothing locked.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "check_run.h"
#include "db.h" /* DB_HEAD_STALL_MS */
#include "harness.h"

#define FAULTS_PREFIX "it-faults-"

/* ------------------------------------------------------------ the server and its backends */

static char app_name[64];

/* Starts this test's server with connections named FAULTS_PREFIX<what>-<pid>, plus env. */
static void start_named(const char *what, int threads, int pool, int query_timeout_ms)
{
	snprintf(app_name, sizeof app_name, FAULTS_PREFIX "%s-%ld", what, (long)getpid());
	char *conninfo = it_conninfo_app(app_name);
	size_t len = strlen(conninfo) + 32;
	char *url = malloc(len);
	ck_assert(url != NULL);
	snprintf(url, len, "MARKETPLACE_DATABASE_URL=%s", conninfo);
	free(conninfo);
	char t[48], p[48], q[64];
	snprintf(t, sizeof t, "MARKETPLACE_THREADS=%d", threads);
	snprintf(p, sizeof p, "MARKETPLACE_DB_POOL=%d", pool);
	snprintf(q, sizeof q, "MARKETPLACE_QUERY_TIMEOUT_MS=%d", query_timeout_ms);
	api_start((const char *const[]){url, t, p, q, NULL});
	free(url);
}

/* How many of the server's backends wait for a lock now. */
static long lock_waiters(PGconn *watch)
{
	return api_sql_long(watch,
			    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
			    " AND wait_event_type = 'Lock'",
			    app_name, NULL);
}

/* Waits (5 s at most) until n of the server's backends wait for a lock. */
static void wait_lock_waiters(PGconn *watch, long n)
{
	double t0 = it_now();
	long got;
	while ((got = lock_waiters(watch)) < n) {
		ck_assert_msg(it_now() - t0 < 5.0, "%ld of the server's backends wait for the lock after 5 s, not %ld",
			      got, n);
		it_sleep_ms(10);
	}
}

/* A session holding an ACCESS EXCLUSIVE lock on tokens until PQfinish or ROLLBACK. */
static PGconn *lock_tokens(void)
{
	PGconn *pg = it_pg_connect(it_db_url());
	it_pg_exec(pg, "SET lock_timeout = '10s'"); /* a backend left stopped fails the test, not hangs it */
	it_pg_exec(pg, "BEGIN");
	it_pg_exec(pg, "LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE");
	return pg;
}

/* A registered and logged-in account of this run. */
static void member(struct api_acct *a, const char *who)
{
	api_register(a, who, "Viện Công nghệ Thử lỗi", "research_institute", "quang-tri");
	api_login(a);
}

/* ------------------------------------------------------------ requests in flight */

struct flight {
	int fd;
	const char *path;
	double sent, answered; /* it_now() */
	struct it_response r;
};

static void send_flight(struct flight *f, const char *path, const char *token)
{
	memset(f, 0, sizeof *f);
	f->path = path;
	f->sent = it_now();
	f->fd = api_send(NULL, "GET", path, token, NULL, NULL);
}

/* Reads every answer as it comes (so each gets its own time), failing after timeout_ms. */
static void await_flights(struct flight *f, int n, int timeout_ms)
{
	struct pollfd *p = calloc((size_t)n, sizeof *p);
	ck_assert(p != NULL);
	int left = n;
	double deadline = it_now() + timeout_ms / 1000.0;
	while (left > 0) {
		int k = 0;
		for (int i = 0; i < n; i++)
			if (f[i].fd >= 0)
				p[k++] = (struct pollfd){.fd = f[i].fd, .events = POLLIN};
		int wait_ms = (int)((deadline - it_now()) * 1000);
		ck_assert_msg(wait_ms > 0, "%d of %d requests unanswered after %d ms", left, n, timeout_ms);
		int ready = poll(p, (nfds_t)k, wait_ms);
		ck_assert_msg(ready >= 0 || errno == EINTR, "poll: %s", strerror(errno));
		for (int j = 0; j < k; j++) {
			if (p[j].revents == 0)
				continue;
			for (int i = 0; i < n; i++)
				if (f[i].fd == p[j].fd) {
					f[i].answered = it_now();
					api_recv(f[i].fd, &f[i].r, "GET", f[i].path);
					f[i].fd = -1;
					left--;
				}
		}
	}
	free(p);
}

static void free_flights(struct flight *f, int n)
{
	for (int i = 0; i < n; i++)
		it_response_free(&f[i].r);
}

/* A 503 problem with a positive Retry-After. */
static void assert_unavailable(const struct flight *f, const char *what)
{
	ck_assert_msg(f->r.status == 503, "%s: %s got %d, not 503: %.200s", what, f->path, f->r.status,
		      f->r.body ? f->r.body : "");
	it_assert_problem(&f->r, 503);
	const char *retry = it_header(&f->r, "Retry-After");
	ck_assert_msg(retry != NULL && atoi(retry) > 0, "%s: 503 without a Retry-After (%s)", what,
		      retry ? retry : "missing");
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ------------------------------------------------------------ a lock holds up some requests */

/*
 * The reproduction, scaled down: /me requests wait on the lock on
 * every connection of the pool, two deep, and /provinces requests come
 * after them.  Each /me ends with its statement_timeout (503); the
 * /provinces queries wait for connections to come free and are then
 * answered.  Before, their client-side deadlines ran from when they were
 * sent, expired while they queued, and the connection reset failed them
 * all with 503.
 */
START_TEST(test_lock_spares_unrelated_requests)
{
	enum { POOL = 4, QUERY_TIMEOUT_MS = 1000, ME = 2 * POOL, PROVINCES = 8 };
	start_named("lock", 1, POOL, QUERY_TIMEOUT_MS);
	struct api_acct a;
	member(&a, "faults-lock");
	PGconn *watch = it_pg_connect(it_db_url());
	PGconn *locker = lock_tokens();

	struct flight me[ME], prov[PROVINCES];
	for (int i = 0; i < ME; i++)
		send_flight(&me[i], "/api/v1/me", a.token);
	wait_lock_waiters(watch, POOL);
	for (int i = 0; i < PROVINCES; i++)
		send_flight(&prov[i], "/api/v1/provinces", NULL);

	/* At worst behind two lock waits on one connection, each ended by the server's
	 * statement_timeout; the 2 s more are for a loaded machine. */
	int bound_ms = 3 * QUERY_TIMEOUT_MS + 2000;
	await_flights(prov, PROVINCES, bound_ms + 3000);
	double took[PROVINCES];
	for (int i = 0; i < PROVINCES; i++) {
		took[i] = prov[i].answered - prov[i].sent;
		ck_assert_msg(prov[i].r.status == 200, "/provinces %d behind the lock waits: %d after %.2f s: %.200s",
			      i, prov[i].r.status, took[i], prov[i].r.body ? prov[i].r.body : "");
		ck_assert_msg(took[i] * 1000 <= bound_ms, "/provinces %d took %.2f s (bound %d ms)", i, took[i],
			      bound_ms);
	}
	qsort(took, PROVINCES, sizeof took[0], by_double);
	fprintf(stderr, "lock_spares_unrelated: /provinces behind %d lock-waiting /me on %d connections"
			" (query timeout %d ms): min %.2f s, median %.2f s, max %.2f s\n",
		ME, POOL, QUERY_TIMEOUT_MS, took[0], took[PROVINCES / 2], took[PROVINCES - 1]);

	await_flights(me, ME, 3 * QUERY_TIMEOUT_MS + 5000);
	for (int i = 0; i < ME; i++)
		assert_unavailable(&me[i], "/me waiting on the locked tokens table");
	PQfinish(locker);
	api_expect_only(200, "GET", "/api/v1/me", a.token, NULL);
	free_flights(me, ME);
	free_flights(prov, PROVINCES);
	PQfinish(watch);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ a backend stops answering */

static void resume_stopped(void) { it_backends_resume(FAULTS_PREFIX); }

/*
 * A /me waits on the lock; its backend is then SIGSTOPped, so neither the
 * lock's release nor statement_timeout nor a cancel can end the wait.  The
 * request gets 503 + Retry-After at its query timeout.  Meanwhile requests
 * keep being answered by the other connection at once: none is queued
 * behind the stopped backend.  After the deadline the stopped connection is
 * replaced and service goes on while the old backend is still stopped.
 */
START_TEST(test_hung_backend)
{
	enum { POOL = 2, QUERY_TIMEOUT_MS = 3000, BURST = 24 };
	start_named("hung", 1, POOL, QUERY_TIMEOUT_MS);
	struct api_acct a;
	member(&a, "faults-hung");
	PGconn *watch = it_pg_connect(it_db_url());
	PGconn *locker = lock_tokens();
	struct flight me;
	send_flight(&me, "/api/v1/me", a.token);
	wait_lock_waiters(watch, 1);
	int hung = (int)api_sql_long(watch,
				     "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
				     " AND wait_event_type = 'Lock'",
				     app_name, NULL);
	it_backend_stop(hung);
	PQfinish(locker); /* the stopped backend is granted the lock, and cannot use it */
	/* The pool avoids a connection only once its head has stalled (a time, not an event). */
	it_sleep_ms(2 * DB_HEAD_STALL_MS);

	struct flight burst[BURST];
	for (int i = 0; i < BURST; i++)
		send_flight(&burst[i], "/api/v1/provinces", NULL);
	await_flights(burst, BURST, QUERY_TIMEOUT_MS + 5000);
	await_flights(&me, 1, QUERY_TIMEOUT_MS + 5000);
	double me_took = me.answered - me.sent;
	for (int i = 0; i < BURST; i++)
		ck_assert_msg(burst[i].r.status == 200 && burst[i].answered < me.answered,
			      "/provinces %d, sent while another connection's backend was stopped: %d after %.2f s"
			      " (the stopped one's request was answered after %.2f s)",
			      i, burst[i].r.status, burst[i].answered - burst[i].sent, me_took);
	assert_unavailable(&me, "/me on a stopped backend");
	ck_assert_msg(me_took >= QUERY_TIMEOUT_MS * 0.9 / 1000 && me_took <= QUERY_TIMEOUT_MS / 1000.0 + 1.0,
		      "/me on a stopped backend answered after %.2f s with a %d ms query timeout", me_took,
		      QUERY_TIMEOUT_MS);

	/* Service goes on (the cancel's grace past, the stopped connection is replaced) while the old
	 * backend is still stopped. */
	double t0 = it_now();
	for (int served = 0; served < 20;) {
		struct it_response r;
		api_call(&r, "GET", "/api/v1/me", a.token, NULL, NULL);
		ck_assert_msg(r.status == 200 || r.status == 503, "/me after the timeout: %d", r.status);
		served = r.status == 200 ? served + 1 : 0;
		it_response_free(&r);
		ck_assert_msg(it_now() - t0 < 10.0, "the server does not serve /me steadily 10 s after the timeout");
	}
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", hung);
	ck_assert_msg(it_pg_long(watch, sql) == 1, "the stopped backend %d is gone already", hung);
	kill(hung, SIGCONT);
	free_flights(burst, BURST);
	free_flights(&me, 1);
	PQfinish(watch);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ PostgreSQL crashes */

/* The parent process id of pid, from /proc/pid/stat; fails the test when unreadable. */
static int parent_of(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
	char buf[512];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it. */
	const char *close_paren = strrchr(buf, ')');
	char state;
	int ppid = 0;
	ck_assert_msg(close_paren != NULL && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid > 1,
		      "unexpected %s: %s", path, buf);
	return ppid;
}

/*
 * pg_ctl -m immediate: SIGQUIT to the postmaster, which kills every backend
 * at once without a checkpoint (a crash, as far as clients can tell).
 * Returns the postmaster's pid.
 */
static int crash_postgres(PGconn *any_session)
{
	int backend = (int)it_pg_long(any_session, "SELECT pg_backend_pid()");
	int postmaster = parent_of(backend);
	ck_assert_msg(kill(postmaster, SIGQUIT) == 0, "cannot signal the postmaster %d: %s", postmaster,
		      strerror(errno));
	return postmaster;
}

/* Waits until the postmaster has exited (it waits for its children), so that it can be started again. */
static void wait_postmaster_gone(int postmaster)
{
	double t0 = it_now();
	while (kill(postmaster, 0) == 0) {
		ck_assert_msg(it_now() - t0 < 10.0, "the postmaster %d still runs 10 s after SIGQUIT", postmaster);
		it_sleep_ms(10);
	}
}

/* Parent side: whatever happened in the test, leave the shared cluster running. */
static void ensure_database_up(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	const char *start_cmd = getenv("MARKETPLACE_TEST_PG_START");
	if (url == NULL || start_cmd == NULL || PQping(url) == PQPING_OK)
		return;
	fprintf(stderr, "db_faults: PostgreSQL is down after the test; starting it again\n");
	if (it_shell(start_cmd) != 0)
		fprintf(stderr, "db_faults: MARKETPLACE_TEST_PG_START failed\n");
}

/*
 * Requests wait on the lock (two on each connection, two more in the pool's
 * queue behind them) when PostgreSQL crashes: each gets a 503 with
 * Retry-After at once, new requests too while it is down, and once it is
 * started again the server serves without a restart.
 */
START_TEST(test_crash_while_waiting_on_lock)
{
	const char *start_cmd = it_env("MARKETPLACE_TEST_PG_START");
	enum { POOL = 2, WAITING = 2 * POOL, QUEUED = 2 };
	start_named("crash", 1, POOL, 30000); /* no timeout may end the waits first */
	struct api_acct a;
	member(&a, "faults-crash");
	PGconn *locker = lock_tokens();
	PGconn *watch = it_pg_connect(it_db_url());

	struct flight f[WAITING + QUEUED];
	for (int i = 0; i < WAITING; i++)
		send_flight(&f[i], "/api/v1/me", a.token);
	wait_lock_waiters(watch, POOL);
	it_sleep_ms(2 * DB_HEAD_STALL_MS); /* so that the next ones wait in the pool's queue */
	for (int i = WAITING; i < WAITING + QUEUED; i++)
		send_flight(&f[i], "/api/v1/me", a.token);

	double crashed = it_now();
	int postmaster = crash_postgres(watch);
	await_flights(f, WAITING + QUEUED, 10000);
	double slowest = 0;
	for (int i = 0; i < WAITING + QUEUED; i++) {
		assert_unavailable(&f[i], "/me waiting on a lock when PostgreSQL crashed");
		ck_assert_msg(f[i].answered - crashed < 2.0, "/me %d got its 503 %.2f s after the crash", i,
			      f[i].answered - crashed);
		if (f[i].answered - crashed > slowest)
			slowest = f[i].answered - crashed;
	}
	struct it_response r;
	api_call(&r, "GET", "/api/v1/me", a.token, NULL, NULL);
	ck_assert_msg(r.status == 503, "/me with PostgreSQL down: %d", r.status);
	it_response_free(&r);
	PQfinish(locker);
	PQfinish(watch);
	wait_postmaster_gone(postmaster);

	struct it_cmd c;
	it_run_shell(start_cmd, 60000, &c);
	ck_assert_msg(c.status == 0, "MARKETPLACE_TEST_PG_START exited %d: %s%s", c.status, c.out, c.err);
	it_cmd_free(&c);
	double t0 = it_now();
	for (;;) {
		api_call(&r, "GET", "/api/v1/me", a.token, NULL, NULL);
		int status = r.status;
		it_response_free(&r);
		if (status == 200)
			break;
		ck_assert_msg(status == 503, "/me while PostgreSQL recovers: %d", status);
		ck_assert_msg(it_now() - t0 < 5.0, "/me still 503 5 s after PostgreSQL is back");
		it_sleep_ms(50);
	}
	fprintf(stderr, "crash_while_waiting_on_lock: %d waiting requests answered 503 within %.3f s of the crash;"
			" /me served again %.2f s after PostgreSQL was started again\n",
		WAITING + QUEUED, slowest, it_now() - t0);
	free_flights(f, WAITING + QUEUED);
	api_stop_ok();
}
END_TEST

/* Each test in a case of its own, so that the unchecked teardown runs right after it. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, resume_stopped);
	tcase_add_unchecked_fixture(tc, NULL, ensure_database_up);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

int main(void)
{
	api_init();
	Suite *s = suite_create("integration_db_faults");
	add_case(s, "lock", test_lock_spares_unrelated_requests);
	add_case(s, "hung_backend", test_hung_backend);
	add_case(s, "crash", test_crash_while_waiting_on_lock);
	return check_run(s);
}
