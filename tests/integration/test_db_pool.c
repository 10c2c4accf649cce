/*
 * marketplace/db.h driven directly on the test's own event loop, against the
 * test database: pipelining, errors, timeouts (the server's statement_timeout,
 * and the pool's own deadline when a backend stops answering), transactions,
 * an unreachable server, freeing a pool with work pending, and what keeps one
 * slow statement from holding up others: the bounded pipeline, deadlines
 * counted from the head of the pipeline, cancelling only the late statement,
 * and new work kept off a stalled connection.
 */
#include <check.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "harness.h"
#include "log.h"
#include "check_run.h"

static const struct db_stmt st_add = {"it_add", "SELECT $1::int + 1, pg_backend_pid()", 1, false};
/* The same, sent with its text and planned at each call, between prepared ones in the pipelines. */
static const struct db_stmt st_add_planned = {"it_add_planned", "SELECT $1::int + 1, pg_backend_pid()", 1, true};
static const struct db_stmt st_sleep = {"it_sleep", "SELECT pg_sleep($1::float8)", 1, false};
static const struct db_stmt st_insert = {"it_insert", "INSERT INTO it_pool_probe (tag, n) VALUES ($1, $2::int)", 2, false};
static const struct db_stmt st_div = {"it_div", "SELECT 1 / $1::int", 1, false};
static const struct db_stmt st_count = {"it_count", "SELECT count(*) FROM it_pool_probe WHERE tag = $1", 1, false};
/* For the rest of its session, the connection's statements run without the server's timeout. */
static const struct db_stmt st_no_timeout = {"it_no_timeout", "SELECT set_config('statement_timeout', '0', false)", 0, false};
static const struct db_stmt *const stmts[] = {&st_add, &st_add_planned, &st_sleep, &st_insert, &st_div, &st_count, &st_no_timeout};

static struct event_base *base;
static char tag[64]; /* this test's rows in it_pool_probe */

static void setup(void)
{
	PGconn *pg = it_pg_connect(it_db_url());
	it_pg_exec(pg, "CREATE TABLE IF NOT EXISTS it_pool_probe (tag text NOT NULL, n int NOT NULL)");
	PQfinish(pg);
	snprintf(tag, sizeof tag, "it-%ld-%.0f", (long)getpid(), it_now() * 1000);
	base = event_base_new();
	ck_assert(base != NULL);
}

static void teardown(void)
{
	event_base_free(base);
	base = NULL;
}

/* Parent side, after all tests (also after a failed one): remove the probe table. */
static void drop_probe_table(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0')
		return;
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) == CONNECTION_OK)
		PQclear(PQexec(pg, "DROP TABLE IF EXISTS it_pool_probe"));
	PQfinish(pg);
}

static struct db_pool *new_pool(const char *conninfo, int size, int timeout_ms)
{
	struct db_pool_config cfg = {.conninfo = conninfo, .size = size, .query_timeout_ms = timeout_ms,
				     .stmts = stmts, .nstmts = sizeof stmts / sizeof stmts[0]};
	char err[256] = "";
	struct db_pool *pool = db_pool_new(base, &cfg, err, sizeof err);
	ck_assert_msg(pool != NULL, "db_pool_new: %s", err);
	return pool;
}

static void on_safety(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
	event_base_loopbreak(base);
}

/* Runs the loop until *pending is 0, failing the test after timeout_ms. */
static void run_until_done(const int *pending, int timeout_ms, const char *what)
{
	bool expired = false;
	struct event *safety = evtimer_new(base, on_safety, &expired);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(safety, &tv);
	while (*pending > 0 && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(safety);
	ck_assert_msg(*pending == 0, "%s: %d callbacks still missing after %d ms", what, *pending, timeout_ms);
}

/* Runs the loop for ms milliseconds. */
static void run_for(int ms)
{
	bool expired = false;
	struct event *safety = evtimer_new(base, on_safety, &expired);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(safety, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(safety);
}

/* Runs the loop until the pool has n connections ready. */
static void wait_ready(struct db_pool *pool, int n)
{
	struct db_pool_stats stats;
	double t0 = it_now();
	for (;;) {
		db_pool_get_stats(pool, &stats);
		if (stats.ready == n)
			return;
		ck_assert_msg(it_now() - t0 < 5.0, "%d of %d connections ready after 5 s", stats.ready, n);
		run_for(10);
	}
}

/* ------------------------------------------------------------ one query, one outcome */

struct outcome {
	int *pending;
	int calls;
	enum db_status status;
	char value[64];
	char sqlstate[6];
	int backend;
	int seq;   /* completion order */
	double at; /* it_now() at completion */
};

static int completions;

static void on_result(const struct db_result *r, void *arg)
{
	struct outcome *o = arg;
	o->calls++;
	o->status = r->status;
	o->seq = ++completions;
	o->at = it_now();
	snprintf(o->sqlstate, sizeof o->sqlstate, "%s", db_sqlstate(r));
	if (r->status == DB_OK && r->res != NULL && PQntuples(r->res) > 0) {
		snprintf(o->value, sizeof o->value, "%s", PQgetvalue(r->res, 0, 0));
		if (PQnfields(r->res) > 1)
			o->backend = atoi(PQgetvalue(r->res, 0, 1));
	}
	if (o->calls == 1)
		(*o->pending)--;
}

/* Runs one statement with one or two parameters and waits for it. */
static void query1(struct db_pool *pool, const struct db_stmt *st, const char *p1, const char *p2,
		   struct outcome *o, int timeout_ms)
{
	int pending = 1;
	memset(o, 0, sizeof *o);
	o->pending = &pending;
	const char *params[] = {p1, p2};
	db_query(pool, st, params, on_result, o);
	run_until_done(&pending, timeout_ms, st->name);
	o->pending = NULL;
}

static long count_rows(struct db_pool *pool)
{
	struct outcome o;
	query1(pool, &st_count, tag, NULL, &o, 5000);
	ck_assert_msg(o.status == DB_OK, "count query failed: %d", o.status);
	return atol(o.value);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_pipelined_queries)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	enum { N = 200 };
	struct outcome *o = calloc(N, sizeof *o);
	ck_assert(o != NULL);
	int pending = N;
	for (int i = 0; i < N; i++) {
		char n[16];
		snprintf(n, sizeof n, "%d", i);
		o[i].pending = &pending;
		const char *params[] = {n};
		db_query(pool, i % 3 == 0 ? &st_add_planned : &st_add, params, on_result, &o[i]);
	}
	run_until_done(&pending, 10000, "200 pipelined queries");
	for (int i = 0; i < N; i++) {
		ck_assert_msg(o[i].calls == 1, "query %d: %d callbacks", i, o[i].calls);
		ck_assert_msg(o[i].status == DB_OK, "query %d: status %d", i, o[i].status);
		ck_assert_msg(atoi(o[i].value) == i + 1, "query %d answered %s", i, o[i].value);
	}
	/* On each connection the answers came back in the order the queries were sent. */
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (o[i].backend == o[j].backend)
				ck_assert_msg(o[i].seq < o[j].seq, "queries %d and %d completed out of order", i, j);
	wait_ready(pool, 2);
	struct db_pool_stats stats;
	db_pool_get_stats(pool, &stats);
	ck_assert_int_eq(stats.busy, 0);
	ck_assert_int_eq(stats.connecting, 0);
	ck_assert_msg(stats.query_errors == 0 && stats.timeouts == 0 && stats.unavailable == 0,
		      "errors on a healthy database");
	free(o);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_query_error_keeps_connection)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	struct outcome o;
	wait_ready(pool, 2);
	struct db_pool_stats before, after;
	db_pool_get_stats(pool, &before);

	query1(pool, &st_div, "0", NULL, &o, 5000);
	ck_assert_msg(o.status == DB_QUERY_ERROR, "1/0 gave status %d", o.status);
	ck_assert_str_eq(o.sqlstate, "22012");

	/* An error and good queries pipelined behind it on the same pool. */
	enum { N = 20 };
	struct outcome many[N + 1];
	memset(many, 0, sizeof many);
	int pending = N + 1;
	many[0].pending = &pending;
	db_query(pool, &st_div, (const char *const[]){"0"}, on_result, &many[0]);
	for (int i = 1; i <= N; i++) {
		char n[16];
		snprintf(n, sizeof n, "%d", i);
		many[i].pending = &pending;
		db_query(pool, &st_add, (const char *const[]){n}, on_result, &many[i]);
	}
	run_until_done(&pending, 5000, "queries after an error");
	ck_assert_int_eq(many[0].status, DB_QUERY_ERROR);
	for (int i = 1; i <= N; i++) {
		ck_assert_msg(many[i].status == DB_OK && atoi(many[i].value) == i + 1,
			      "query %d after the error: status %d value %s", i, many[i].status, many[i].value);
	}
	db_pool_get_stats(pool, &after);
	ck_assert_msg(after.connection_failures == before.connection_failures,
		      "a query error dropped a connection");
	ck_assert_int_eq(after.ready, 2);
	ck_assert_msg(after.query_errors == before.query_errors + 2, "query_errors %llu -> %llu",
		      (unsigned long long)before.query_errors, (unsigned long long)after.query_errors);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_query_timeout)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 300);
	struct outcome o;
	query1(pool, &st_add, "1", NULL, &o, 5000);
	ck_assert_int_eq(o.status, DB_OK);
	double t0 = it_now();
	query1(pool, &st_sleep, "2", NULL, &o, 5000);
	double took = it_now() - t0;
	ck_assert_msg(o.status == DB_TIMEOUT, "pg_sleep(2) with a 300 ms timeout gave status %d", o.status);
	ck_assert_msg(took < 1.0, "the timeout took %.2f s", took);
	query1(pool, &st_add, "41", NULL, &o, 5000);
	ck_assert_msg(o.status == DB_OK && strcmp(o.value, "42") == 0, "after a timeout: status %d value %s",
		      o.status, o.value);
	struct db_pool_stats stats;
	db_pool_get_stats(pool, &stats);
	ck_assert_msg(stats.timeouts == 1, "timeouts = %llu", (unsigned long long)stats.timeouts);
	db_pool_free(pool);
}
END_TEST

/* A transaction walked step by step from its callbacks. */
struct tx_run {
	int pending;
	int step;
	bool fail_midway;
	struct db_tx *tx;
	enum db_status begin_status, finish_status;
	enum db_status statuses[4];
	char sqlstates[4][6];
	int nstatements;
};

static void tx_next(struct tx_run *t);

static void on_tx_statement(const struct db_result *r, void *arg)
{
	struct tx_run *t = arg;
	t->statuses[t->nstatements] = r->status;
	snprintf(t->sqlstates[t->nstatements], 6, "%s", db_sqlstate(r));
	t->nstatements++;
	tx_next(t);
}

static void on_tx_finished(const struct db_result *r, void *arg)
{
	struct tx_run *t = arg;
	t->finish_status = r->status;
	t->tx = NULL;
	t->pending--;
}

static void tx_next(struct tx_run *t)
{
	char n[16];
	snprintf(n, sizeof n, "%d", t->step + 1);
	switch (t->step++) {
	case 0:
		db_tx_query(t->tx, &st_insert, (const char *const[]){tag, n}, on_tx_statement, t);
		break;
	case 1:
		if (t->fail_midway)
			db_tx_query(t->tx, &st_div, (const char *const[]){"0"}, on_tx_statement, t);
		else
			db_tx_query(t->tx, &st_insert, (const char *const[]){tag, n}, on_tx_statement, t);
		break;
	default:
		db_tx_finish(t->tx, true, on_tx_finished, t);
		break;
	}
}

static void on_tx_begun(struct db_tx *tx, enum db_status status, void *arg)
{
	struct tx_run *t = arg;
	t->begin_status = status;
	t->tx = tx;
	if (tx == NULL) {
		t->pending--;
		return;
	}
	tx_next(t);
}

START_TEST(test_transaction_commit)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	struct tx_run t = {.pending = 1};
	db_tx_begin(pool, on_tx_begun, &t);
	run_until_done(&t.pending, 5000, "transaction");
	ck_assert_int_eq(t.begin_status, DB_OK);
	ck_assert_int_eq(t.nstatements, 2);
	ck_assert_msg(t.statuses[0] == DB_OK && t.statuses[1] == DB_OK, "inserts: %d %d", t.statuses[0],
		      t.statuses[1]);
	ck_assert_msg(t.finish_status == DB_OK, "commit: status %d", t.finish_status);
	ck_assert_int_eq(count_rows(pool), 2);
	/* Visible to other sessions too. */
	PGconn *pg = it_pg_connect(it_db_url());
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM it_pool_probe WHERE tag = '%s'", tag);
	ck_assert_int_eq(it_pg_long(pg, sql), 2);
	PQfinish(pg);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_transaction_failed_statement)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	struct tx_run t = {.pending = 1, .fail_midway = true};
	db_tx_begin(pool, on_tx_begun, &t);
	run_until_done(&t.pending, 5000, "failing transaction");
	ck_assert_int_eq(t.begin_status, DB_OK);
	ck_assert_int_eq(t.statuses[0], DB_OK);
	ck_assert_int_eq(t.statuses[1], DB_QUERY_ERROR);
	ck_assert_str_eq(t.sqlstates[1], "22012");
	ck_assert_msg(t.finish_status == DB_QUERY_ERROR,
		      "finish(commit) after a failed statement reported %d, not DB_QUERY_ERROR",
		      t.finish_status);
	ck_assert_int_eq(count_rows(pool), 0);
	db_pool_free(pool);
}
END_TEST

/* All statements pipelined at once inside the transaction, before any answer arrives. */
struct tx_burst {
	int pending;
	enum db_status begin_status, finish_status;
	struct outcome stmt[3];
};

static void on_burst_finished(const struct db_result *r, void *arg)
{
	struct tx_burst *b = arg;
	b->finish_status = r->status;
	b->pending--;
}

static void on_burst_result(const struct db_result *r, void *arg)
{
	struct outcome *o = arg;
	o->calls++;
	o->status = r->status;
}

static void on_burst_begun(struct db_tx *tx, enum db_status status, void *arg)
{
	struct tx_burst *b = arg;
	b->begin_status = status;
	if (tx == NULL) {
		b->pending--;
		return;
	}
	db_tx_query(tx, &st_insert, (const char *const[]){tag, "1"}, on_burst_result, &b->stmt[0]);
	db_tx_query(tx, &st_div, (const char *const[]){"0"}, on_burst_result, &b->stmt[1]);
	db_tx_query(tx, &st_insert, (const char *const[]){tag, "2"}, on_burst_result, &b->stmt[2]);
	db_tx_finish(tx, true, on_burst_finished, b);
}

START_TEST(test_transaction_pipelined_failure)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	struct tx_burst b = {.pending = 1};
	db_tx_begin(pool, on_burst_begun, &b);
	run_until_done(&b.pending, 5000, "pipelined failing transaction");
	ck_assert_int_eq(b.begin_status, DB_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(b.stmt[i].calls == 1, "statement %d: %d callbacks", i, b.stmt[i].calls);
	ck_assert_int_eq(b.stmt[0].status, DB_OK);
	ck_assert_int_eq(b.stmt[1].status, DB_QUERY_ERROR);
	ck_assert_msg(b.stmt[2].status != DB_OK, "a statement after the failure succeeded");
	ck_assert_msg(b.finish_status == DB_QUERY_ERROR, "finish(commit) reported %d", b.finish_status);
	ck_assert_int_eq(count_rows(pool), 0);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_unreachable_server)
{
	char conninfo[256];
	snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=nothing user=nobody connect_timeout=5",
		 it_free_port());
	struct db_pool *pool = new_pool(conninfo, 2, 5000);
	double t0 = it_now();
	struct outcome o;
	query1(pool, &st_add, "1", NULL, &o, 2000);
	ck_assert_msg(o.status == DB_UNAVAILABLE, "status %d", o.status);
	ck_assert_msg(it_now() - t0 < 2.0, "took %.2f s", it_now() - t0);
	/* Once known down, the pool refuses at once. */
	t0 = it_now();
	query1(pool, &st_add, "1", NULL, &o, 2000);
	ck_assert_msg(o.status == DB_UNAVAILABLE && it_now() - t0 < 0.5, "second query: status %d after %.2f s",
		      o.status, it_now() - t0);
	struct tx_run t = {.pending = 1};
	db_tx_begin(pool, on_tx_begun, &t);
	run_until_done(&t.pending, 2000, "transaction on a dead pool");
	ck_assert_int_eq(t.begin_status, DB_UNAVAILABLE);
	ck_assert(t.tx == NULL);
	db_pool_free(pool);
}
END_TEST

struct free_probe {
	int calls;
	enum db_status status;
	bool tx_was_null;
};

static void on_probe(const struct db_result *r, void *arg)
{
	struct free_probe *p = arg;
	p->calls++;
	p->status = r->status;
}

static void on_probe_tx(struct db_tx *tx, enum db_status status, void *arg)
{
	struct free_probe *p = arg;
	p->calls++;
	p->status = status;
	p->tx_was_null = tx == NULL;
	if (tx != NULL)
		db_tx_finish(tx, false, on_probe, p); /* not expected: counted as a second call */
}

static void assert_all_unavailable_once(struct free_probe *p, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		ck_assert_msg(p[i].calls == 1 && p[i].status == DB_UNAVAILABLE,
			      "%s: callback %d ran %d times, last status %d", what, i, p[i].calls, p[i].status);
}

START_TEST(test_free_while_connecting)
{
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	enum { N = 6 };
	struct free_probe p[N + 1];
	memset(p, 0, sizeof p);
	for (int i = 0; i < N; i++)
		db_query(pool, &st_add, (const char *const[]){"1"}, on_probe, &p[i]);
	db_tx_begin(pool, on_probe_tx, &p[N]);
	for (int i = 0; i <= N; i++)
		ck_assert_msg(p[i].calls == 0, "callback %d ran before the pool connected", i);
	db_pool_free(pool);
	assert_all_unavailable_once(p, N + 1, "free while connecting");
	ck_assert(p[N].tx_was_null);
	run_for(100);
	assert_all_unavailable_once(p, N + 1, "after the free");
}
END_TEST

/* The number of name's backends running pg_sleep right now. */
static long sleeping_backends(PGconn *watch, const char *name)
{
	const char *params[] = {name};
	PGresult *res = PQexecParams(watch,
				     "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
				     " AND state = 'active' AND query LIKE '%pg_sleep%'",
				     1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "pg_stat_activity: %s",
		      PQresultErrorMessage(res));
	long n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/* Ends name's backends (they would finish their pg_sleep first otherwise). */
static void terminate_backends(PGconn *watch, const char *name)
{
	const char *params[] = {name};
	PGresult *res = PQexecParams(watch,
				     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				     " WHERE application_name = $1",
				     1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "pg_terminate_backend: %s",
		      PQresultErrorMessage(res));
	PQclear(res);
}

START_TEST(test_free_with_queries_in_flight)
{
	char name[64];
	snprintf(name, sizeof name, "it-inflight-%ld", (long)getpid());
	char *conninfo = it_conninfo_app(name);
	struct db_pool *pool = new_pool(conninfo, 2, 5000);
	free(conninfo);
	wait_ready(pool, 2);
	PGconn *watch = it_pg_connect(it_db_url());
	enum { N = 10 };
	struct free_probe p[N];
	memset(p, 0, sizeof p);
	for (int i = 0; i < N; i++)
		db_query(pool, &st_sleep, (const char *const[]){"3"}, on_probe, &p[i]);
	/* Sent: the first query of each connection runs on the server, the rest wait behind it. */
	double t0 = it_now();
	long running;
	while ((running = sleeping_backends(watch, name)) < 2) {
		ck_assert_msg(it_now() - t0 < 2.5, "after %.1f s only %ld of the pool's 2 backends run pg_sleep",
			      it_now() - t0, running);
		run_for(10);
	}
	for (int i = 0; i < N; i++)
		ck_assert_msg(p[i].calls == 0, "query %d finished early", i);
	db_pool_free(pool);
	assert_all_unavailable_once(p, N, "free with queries in flight");
	run_for(100);
	assert_all_unavailable_once(p, N, "after the free");
	terminate_backends(watch, name);
	PQfinish(watch);
}
END_TEST

/* ------------------------------------------------------------ one slow statement, and the others */

START_TEST(test_pipeline_depth_bounded)
{
	struct db_pool *pool = new_pool(it_db_url(), 1, 5000);
	wait_ready(pool, 1);
	enum { N = 3 * DB_PIPELINE_DEPTH };
	struct outcome o[N];
	memset(o, 0, sizeof o);
	int pending = N;
	for (int i = 0; i < N; i++) {
		char n[16];
		snprintf(n, sizeof n, "%d", i);
		o[i].pending = &pending;
		db_query(pool, &st_add, (const char *const[]){n}, on_result, &o[i]);
	}
	struct db_pool_stats stats;
	db_pool_get_stats(pool, &stats);
	ck_assert_msg(stats.queued == N - DB_PIPELINE_DEPTH,
		      "%d queries on one connection: %d wait in the pool, expected all but %d", N, stats.queued,
		      DB_PIPELINE_DEPTH);
	run_until_done(&pending, 5000, "queries past the pipeline's depth");
	for (int i = 0; i < N; i++) {
		ck_assert_msg(o[i].status == DB_OK && atoi(o[i].value) == i + 1, "query %d: status %d value %s", i,
			      o[i].status, o[i].value);
		ck_assert_msg(i == 0 || o[i].seq > o[i - 1].seq, "query %d completed before query %d", i, i - 1);
	}
	db_pool_get_stats(pool, &stats);
	ck_assert_int_eq(stats.queued, 0);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_deadline_counts_from_head)
{
	/* One connection: three statements of 0.8 s, each well within the 2 s query timeout, the
	 * last one ending 2.4 s after it was sent. */
	struct db_pool *pool = new_pool(it_db_url(), 1, 2000);
	wait_ready(pool, 1);
	struct db_pool_stats before, after;
	db_pool_get_stats(pool, &before);
	enum { N = 3 };
	struct outcome o[N];
	memset(o, 0, sizeof o);
	int pending = N;
	double t0 = it_now();
	for (int i = 0; i < N; i++) {
		o[i].pending = &pending;
		db_query(pool, &st_sleep, (const char *const[]){"0.8"}, on_result, &o[i]);
	}
	run_until_done(&pending, 10000, "statements queued behind one another");
	for (int i = 0; i < N; i++)
		ck_assert_msg(o[i].status == DB_OK, "statement %d, %.2f s after it was sent: status %d", i,
			      o[i].at - t0, o[i].status);
	ck_assert_msg(o[N - 1].at - t0 >= 2.3, "the statements ran side by side (%.2f s)", o[N - 1].at - t0);
	db_pool_get_stats(pool, &after);
	ck_assert_msg(after.timeouts == before.timeouts && after.connection_failures == before.connection_failures,
		      "timeouts %llu -> %llu, connection failures %llu -> %llu",
		      (unsigned long long)before.timeouts, (unsigned long long)after.timeouts,
		      (unsigned long long)before.connection_failures, (unsigned long long)after.connection_failures);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_timeout_cancels_only_late_query)
{
	/* A statement the server's own timeout does not end (it is off on this connection): only the
	 * pool's deadline does.  The queries pipelined behind it are answered on the same connection. */
	enum { TIMEOUT_MS = 1000, N = 5 }; /* the cancel gets min(1 s, the timeout) to take effect */
	struct db_pool *pool = new_pool(it_db_url(), 1, TIMEOUT_MS);
	struct outcome o;
	query1(pool, &st_no_timeout, NULL, NULL, &o, 5000);
	ck_assert_int_eq(o.status, DB_OK);
	query1(pool, &st_add, "1", NULL, &o, 5000);
	ck_assert_int_eq(o.status, DB_OK);
	int backend = o.backend;
	struct db_pool_stats before, after;
	db_pool_get_stats(pool, &before);

	struct outcome late, behind[N];
	memset(&late, 0, sizeof late);
	memset(behind, 0, sizeof behind);
	int pending = N + 1;
	late.pending = &pending;
	double t0 = it_now();
	db_query(pool, &st_sleep, (const char *const[]){"3"}, on_result, &late);
	for (int i = 0; i < N; i++) {
		behind[i].pending = &pending;
		db_query(pool, &st_add, (const char *const[]){"41"}, on_result, &behind[i]);
	}
	run_until_done(&pending, 5000, "a late statement and the queries behind it");
	double late_ms = (late.at - t0) * 1000;
	ck_assert_msg(late.status == DB_TIMEOUT && late_ms >= TIMEOUT_MS * 0.9 && late_ms <= TIMEOUT_MS + 1000,
		      "pg_sleep(3): status %d after %.0f ms with a %d ms timeout", late.status, late_ms, TIMEOUT_MS);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(behind[i].status == DB_OK && strcmp(behind[i].value, "42") == 0,
			      "query %d behind the late one: status %d value %s", i, behind[i].status, behind[i].value);
		ck_assert_msg(behind[i].backend == backend, "query %d ran on backend %d, not on %d: the connection was reset",
			      i, behind[i].backend, backend);
		ck_assert_msg(behind[i].at - t0 < 2.5, "query %d answered after %.2f s: the cancel did not end the sleep",
			      i, behind[i].at - t0);
	}
	db_pool_get_stats(pool, &after);
	ck_assert_msg(after.connection_failures == before.connection_failures, "the connection was reset");
	ck_assert_msg(after.timeouts == before.timeouts + 1, "timeouts %llu -> %llu",
		      (unsigned long long)before.timeouts, (unsigned long long)after.timeouts);
	db_pool_free(pool);
}
END_TEST

/*
 * Twenty quick queries must all be answered while the 2 s statement whose
 * pending count is *slow_pending still runs: none may wait behind it.
 */
static void assert_quick_beside(struct db_pool *pool, const int *slow_pending, const char *what)
{
	enum { N = 20 };
	struct outcome o[N];
	memset(o, 0, sizeof o);
	int pending = N;
	double t0 = it_now();
	for (int i = 0; i < N; i++) {
		o[i].pending = &pending;
		db_query(pool, &st_add, (const char *const[]){"1"}, on_result, &o[i]);
	}
	run_until_done(&pending, 5000, what);
	ck_assert_msg(*slow_pending == 1, "%s: the %d queries took %.2f s: some waited for the 2 s statement",
		      what, N, it_now() - t0);
	for (int i = 0; i < N; i++)
		ck_assert_msg(o[i].status == DB_OK, "%s: query %d: status %d", what, i, o[i].status);
}

START_TEST(test_new_work_avoids_stalled_connection)
{
	/* Two connections, one busy with a 2 s statement: once that has run past the stall threshold,
	 * a burst of queries all goes to the other one, although it is then the busier by count. */
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	wait_ready(pool, 2);
	struct outcome slow;
	memset(&slow, 0, sizeof slow);
	int slow_pending = 1;
	slow.pending = &slow_pending;
	db_query(pool, &st_sleep, (const char *const[]){"2"}, on_result, &slow);
	run_for(2 * DB_HEAD_STALL_MS); /* the threshold is a time: nothing to wait on */

	assert_quick_beside(pool, &slow_pending, "queries beside a slow statement");
	run_until_done(&slow_pending, 5000, "the slow statement");
	ck_assert_int_eq(slow.status, DB_OK);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_new_work_avoids_connection_after_stall)
{
	/* Two statements pipelined on one connection, 0.3 s then 2 s (a second lock wait behind a
	 * first): when the first ends, the second has just reached the head, yet new work must not go
	 * behind it.  The quick query in between makes the two connections equally busy, so that the
	 * 2 s statement goes behind the 0.3 s one. */
	struct db_pool *pool = new_pool(it_db_url(), 2, 5000);
	wait_ready(pool, 2);
	struct outcome first, between, second;
	memset(&first, 0, sizeof first);
	memset(&between, 0, sizeof between);
	memset(&second, 0, sizeof second);
	int first_pending = 2, second_pending = 1;
	first.pending = between.pending = &first_pending;
	second.pending = &second_pending;
	db_query(pool, &st_sleep, (const char *const[]){"0.3"}, on_result, &first);
	db_query(pool, &st_add, (const char *const[]){"1"}, on_result, &between);
	db_query(pool, &st_sleep, (const char *const[]){"2"}, on_result, &second);
	run_until_done(&first_pending, 5000, "the 0.3 s statement");
	ck_assert_msg(second_pending == 1, "the 2 s statement ended with the 0.3 s one");

	assert_quick_beside(pool, &second_pending, "queries after a stalled statement");
	run_until_done(&second_pending, 5000, "the 2 s statement");
	ck_assert_int_eq(second.status, DB_OK);
	db_pool_free(pool);
}
END_TEST

/* ------------------------------------------------------------ a backend that stops answering */

/*
 * SIGSTOP freezes a backend with its socket open: nothing is refused or
 * closed, nothing answers, and its statement_timeout cannot fire.  Only the
 * pool's own deadline can end the wait.  The backends of these tests carry an
 * application_name starting with SILENT_PREFIX, by which the unchecked
 * teardown finds and resumes them, whatever became of the test.
 */
#define SILENT_PREFIX "it-silent-"
#define SILENT_TIMEOUT_MS 500

static void resume_silenced(void) { it_backends_resume(SILENT_PREFIX); }

/* A pool of `size` connections whose backends are named name (SILENT_PREFIX + our pid). */
static struct db_pool *new_named_pool(char *name, size_t name_size, int size)
{
	snprintf(name, name_size, SILENT_PREFIX "%ld", (long)getpid());
	char *conninfo = it_conninfo_app(name);
	struct db_pool *pool = new_pool(conninfo, size, SILENT_TIMEOUT_MS);
	free(conninfo);
	return pool;
}

/* A timeout that came from the deadline: at about SILENT_TIMEOUT_MS after t0. */
static void assert_timed_out(const struct outcome *o, double t0, const char *what)
{
	double ms = (o->at - t0) * 1000;
	ck_assert_msg(o->calls == 1, "%s: %d callbacks", what, o->calls);
	ck_assert_msg(o->status == DB_TIMEOUT, "%s: status %d, not DB_TIMEOUT", what, o->status);
	ck_assert_msg(ms >= SILENT_TIMEOUT_MS * 0.9 && ms <= SILENT_TIMEOUT_MS + 1000,
		      "%s: timed out after %.0f ms with a %d ms query timeout", what, ms, SILENT_TIMEOUT_MS);
}

static void on_ignored(const struct db_result *r, void *arg)
{
	(void)r;
	(void)arg;
}

/* A transaction start recorded like a query; one that begins anyway is rolled back. */
static void on_begin_result(struct db_tx *tx, enum db_status status, void *arg)
{
	struct db_result r = {status, NULL};
	on_result(&r, arg);
	if (tx != NULL)
		db_tx_finish(tx, false, on_ignored, NULL);
}

/* Runs queries until one succeeds (the pool refuses at once while it reconnects). */
static void wait_served(struct db_pool *pool, int not_backend, const char *what)
{
	struct outcome o;
	double t0 = it_now();
	for (;;) {
		query1(pool, &st_add, "41", NULL, &o, 5000);
		if (o.status == DB_OK)
			break;
		ck_assert_msg(it_now() - t0 < 3.0, "%s: the pool still answers %d after 3 s", what, o.status);
		run_for(20);
	}
	ck_assert_str_eq(o.value, "42");
	ck_assert_msg(o.backend != not_backend, "%s: answered by the stopped backend %d", what, not_backend);
}

/* After SIGCONT the old backend reads that its client left, and exits. */
static void wait_backend_gone(PGconn *watch, int pid)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
	double t0 = it_now();
	while (it_pg_long(watch, sql) > 0) {
		ck_assert_msg(it_now() - t0 < 5.0,
			      "backend %d still runs 5 s after SIGCONT: the pool did not close its connection", pid);
		run_for(10);
	}
}

START_TEST(test_silent_backend_times_out)
{
	/* One connection: everything below travels on the backend that stops answering. */
	char name[64];
	struct db_pool *pool = new_named_pool(name, sizeof name, 1);
	struct outcome o;
	query1(pool, &st_add, "1", NULL, &o, 5000);
	ck_assert_int_eq(o.status, DB_OK);
	int silent = o.backend;
	PGconn *watch = it_pg_connect(it_db_url());
	int pids[4];
	int n = it_pg_backend_pids(watch, name, pids, 4);
	ck_assert_msg(n == 1 && pids[0] == silent, "%d backends named %s, the first %d; the pool's is %d", n,
		      name, n > 0 ? pids[0] : 0, silent);
	it_backend_stop(silent);

	/* Three queries pipelined on the silent connection, a transaction waiting for that
	 * pipeline to empty, and a query queued because the transaction reserved the connection. */
	enum { N = 3, TX = N, QUEUED = N + 1 };
	struct outcome q[N + 2];
	memset(q, 0, sizeof q);
	int pending = N + 2;
	for (int i = 0; i < N + 2; i++)
		q[i].pending = &pending;
	double t0 = it_now();
	for (int i = 0; i < N; i++)
		db_query(pool, &st_add, (const char *const[]){"1"}, on_result, &q[i]);
	db_tx_begin(pool, on_begin_result, &q[TX]);
	db_query(pool, &st_add, (const char *const[]){"2"}, on_result, &q[QUEUED]);
	for (int i = 0; i < N + 2; i++)
		ck_assert_msg(q[i].calls == 0, "callback %d ran before the backend could answer", i);
	run_until_done(&pending, SILENT_TIMEOUT_MS + 2000, "work on a stopped backend");
	for (int i = 0; i < N; i++) {
		char what[32];
		snprintf(what, sizeof what, "pipelined query %d", i);
		assert_timed_out(&q[i], t0, what);
	}
	/* db.h: every callback runs exactly once, with an error when the work could not run. */
	ck_assert_msg(q[TX].calls == 1 && q[TX].status != DB_OK,
		      "the waiting transaction: %d callbacks, status %d", q[TX].calls, q[TX].status);
	ck_assert_msg(q[QUEUED].calls == 1 && q[QUEUED].status != DB_OK,
		      "the queued query: %d callbacks, status %d", q[QUEUED].calls, q[QUEUED].status);

	/* The connection was reset: a new backend serves while the old one is still stopped. */
	wait_served(pool, silent, "after the timeout");
	kill(silent, SIGCONT);
	wait_backend_gone(watch, silent);
	wait_served(pool, silent, "after SIGCONT");
	struct db_pool_stats stats;
	db_pool_get_stats(pool, &stats);
	ck_assert_msg(stats.timeouts == N, "timeouts = %llu, expected %d", (unsigned long long)stats.timeouts, N);
	PQfinish(watch);
	db_pool_free(pool);
}
END_TEST

START_TEST(test_silent_backend_spares_others)
{
	/* Two connections, one backend stopped: only the work on that connection waits and fails. */
	char name[64];
	struct db_pool *pool = new_named_pool(name, sizeof name, 2);
	wait_ready(pool, 2);
	PGconn *watch = it_pg_connect(it_db_url());
	int pids[4];
	int n = it_pg_backend_pids(watch, name, pids, 4);
	ck_assert_msg(n == 2, "%d backends named %s for a pool of 2", n, name);
	int silent = pids[0];
	it_backend_stop(silent);

	enum { N = 6 };
	struct outcome q[N];
	memset(q, 0, sizeof q);
	int pending = N;
	double t0 = it_now();
	for (int i = 0; i < N; i++) {
		q[i].pending = &pending;
		db_query(pool, &st_add, (const char *const[]){"1"}, on_result, &q[i]);
	}
	run_until_done(&pending, SILENT_TIMEOUT_MS + 2000, "queries with one backend stopped");
	int answered = 0, timed_out = 0;
	double last_answer = 0, first_timeout = 1e30;
	for (int i = 0; i < N; i++) {
		char what[32];
		snprintf(what, sizeof what, "query %d", i);
		if (q[i].status == DB_OK) {
			ck_assert_msg(q[i].backend != silent, "%s was answered by the stopped backend", what);
			answered++;
			if (q[i].at > last_answer)
				last_answer = q[i].at;
		} else {
			assert_timed_out(&q[i], t0, what);
			timed_out++;
			if (q[i].at < first_timeout)
				first_timeout = q[i].at;
		}
	}
	ck_assert_msg(answered > 0 && timed_out > 0,
		      "%d answered, %d timed out: the queries did not use both connections", answered, timed_out);
	ck_assert_msg(last_answer < first_timeout,
		      "an answer from the healthy backend waited for the stopped one's timeout");

	/* Both connections serve again while the old backend is still stopped. */
	wait_ready(pool, 2);
	for (int i = 0; i < N; i++) {
		query1(pool, &st_add, "41", NULL, &q[i], 5000);
		ck_assert_msg(q[i].status == DB_OK && q[i].backend != silent,
			      "query %d after the timeout: status %d, backend %d (stopped: %d)", i, q[i].status,
			      q[i].backend, silent);
	}
	kill(silent, SIGCONT);
	wait_backend_gone(watch, silent);
	PQfinish(watch);
	db_pool_free(pool);
}
END_TEST

int main(void)
{
	log_set_level(LOG_ERROR);
	Suite *s = suite_create("integration_db_pool");
	TCase *tc = tcase_create("db_pool");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_unchecked_fixture(tc, NULL, drop_probe_table);
	tcase_add_test(tc, test_pipelined_queries);
	tcase_add_test(tc, test_query_error_keeps_connection);
	tcase_add_test(tc, test_query_timeout);
	tcase_add_test(tc, test_transaction_commit);
	tcase_add_test(tc, test_transaction_failed_statement);
	tcase_add_test(tc, test_transaction_pipelined_failure);
	tcase_add_test(tc, test_unreachable_server);
	tcase_add_test(tc, test_free_while_connecting);
	tcase_add_test(tc, test_free_with_queries_in_flight);
	tcase_add_test(tc, test_pipeline_depth_bounded);
	tcase_add_test(tc, test_deadline_counts_from_head);
	tcase_add_test(tc, test_timeout_cancels_only_late_query);
	tcase_add_test(tc, test_new_work_avoids_stalled_connection);
	tcase_add_test(tc, test_new_work_avoids_connection_after_stall);
	suite_add_tcase(s, tc);
	/* Its own case, so its unchecked teardown resumes stopped backends right after it. */
	TCase *silent = tcase_create("silent_backend");
	tcase_set_timeout(silent, 60);
	tcase_add_checked_fixture(silent, setup, teardown);
	tcase_add_unchecked_fixture(silent, NULL, resume_silenced);
	tcase_add_unchecked_fixture(silent, NULL, drop_probe_table);
	tcase_add_test(silent, test_silent_backend_times_out);
	tcase_add_test(silent, test_silent_backend_spares_others);
	suite_add_tcase(s, silent);
	return check_run(s);
}
