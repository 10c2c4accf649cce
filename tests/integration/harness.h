/*
 * Integration-test harness: the real `marketplace` binary, a small blocking
 * HTTP/1.1 client, libpq helpers and child processes.
 *
 * Environment (scripts/test.sh sets it; a missing variable FAILS the test
 * that needs it, with a message naming it):
 *   MARKETPLACE_BIN                 the binary under test (ctest sets it)
 *   MARKETPLACE_TEST_DATABASE_URL   libpq URI of database "marketplace", as
 *                                   the role that owns it and migrates it
 *   MARKETPLACE_TEST_PG_STOP/START  shell commands stopping/starting that cluster
 *
 * Two roles, as in a deployment (README, "Database roles"): the tests' own
 * SQL connects as the owner of MARKETPLACE_TEST_DATABASE_URL; the servers
 * they start migrate as that owner and serve as IT_SERVE_ROLE, the login
 * role that scripts/common.sh's pg_start creates in the cluster, a member of
 * marketplace_serving, whose grants migrations/0006_serving_role.sql sets.
 *
 * Check mode and sanitizers.  The suites run in Check's default fork mode:
 * each test runs in a child process, which exit()s after a passing test, so
 * LeakSanitizer checks that child at exit and a leak in the test or the
 * harness turns the test into an error ("Early exit with return value 1",
 * with the leak report on stderr).  A failing assertion _exit()s the child
 * without a leak check (it failed already), and leaves no fixture cleanup
 * behind: servers started here die with the child (PR_SET_PDEATHSIG), and
 * whatever must be undone for later tests (restarting PostgreSQL, dropping
 * databases) is done in unchecked fixtures, which run in the parent.
 * CK_NOFORK would defeat all of that: a failed assertion longjmps past the
 * frees, so every failure would also report leaks, and timeouts would not
 * work.  Leaks in the SERVER are caught by it_server_stop(): an ASan build
 * of the server exits non-zero when LeakSanitizer finds one, and the tests
 * assert that it exited 0.
 *
 * Every function that returns memory documents who frees it.  Functions
 * named it_* that cannot sensibly continue call ck_abort_msg, so they may
 * only be used inside a test (the child), never in an unchecked fixture;
 * it_server_launch, it_server_stop and it_wait_exit are the exceptions.
 *
 * api.h builds the requests, accounts and assertions of the API's own
 * tests on top of this.
 */
#ifndef MARKETPLACE_IT_HARNESS_H
#define MARKETPLACE_IT_HARNESS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------ environment */

/* The login role the servers of the tests connect as (scripts/common.sh creates it). */
#define IT_SERVE_ROLE "marketplace_app"

/* The variable's value; fails the test when it is unset or empty. */
const char *it_env(const char *name);
const char *it_bin(void);    /* MARKETPLACE_BIN */
const char *it_db_url(void); /* MARKETPLACE_TEST_DATABASE_URL */

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);
double it_now(void); /* monotonic seconds */
void it_sleep_ms(int ms);

/* ------------------------------------------------------------ the server */

struct it_server {
	pid_t pid;
	int port;
};

/*
 * Starts `marketplace serve` with MARKETPLACE_DATABASE_URL (the test
 * database as IT_SERVE_ROLE), MARKETPLACE_MIGRATE_DATABASE_URL (the test
 * database as its owner), MARKETPLACE_LISTEN (127.0.0.1:<free port>),
 * MARKETPLACE_THREADS=2 and MARKETPLACE_LOG=warn, then `env` ("NAME=value"
 * strings, NULL-terminated, may be NULL), which override those: a server
 * of another database must name its migrating URL too.  Other
 * MARKETPLACE_* variables of the test's environment are not passed on.
 * Returns when /healthz answers 200; fails the test if that takes over 15 s
 * (MARKETPLACE_TEST_START_LIMIT_MS, when set, for servers under valgrind)
 * or the server exits.
 */
void it_server_start(struct it_server *s, const char *const *env);

/*
 * The same for main() or an unchecked fixture (outside any test), where no
 * ck_* may be called (even a passing ck_assert records a checkpoint, which
 * only works inside a test): false, with the reason in err (and
 * s->pid -1), when it cannot start.  A server started outside the tests
 * lives as long as the process that started it and outlives the forked
 * tests; see api_run() in api.h.
 */
bool it_server_launch(struct it_server *s, const char *const *env, char *err, size_t errlen);

/*
 * SIGTERM, then waits up to 15 s.  Returns the exit code, 128 + the signal
 * if it died of one, or -1 if it had to be killed.  Tests assert 0.
 */
int it_server_stop(struct it_server *s);

/* Waits up to timeout_ms for pid; same return values as it_server_stop. */
int it_wait_exit(pid_t pid, int timeout_ms);

/* ------------------------------------------------------------ HTTP client */

struct it_header {
	char *name, *value;
};

struct it_response {
	int status;
	struct it_header *headers;
	size_t nheaders;
	char *body; /* NUL-terminated for convenience; body_len excludes the NUL */
	size_t body_len;
};

/* The first header named `name` (case-insensitive), or NULL. */
const char *it_header(const struct it_response *r, const char *name);
/* Frees what the response owns and zeroes it; safe on a zeroed response. */
void it_response_free(struct it_response *r);

/* A blocking socket connected to 127.0.0.1:port with send/receive timeouts; -1 on failure. */
int it_connect(int port, int timeout_ms);
/* send() everything (MSG_NOSIGNAL); false on error. */
bool it_send_all(int fd, const void *data, size_t len);
/*
 * Sends one request.  headers: "Name: value" strings, NULL-terminated (may be
 * NULL).  Adds Host, Content-Length when there is a body, and
 * "Connection: close" when close is set.
 */
bool it_send_request(int fd, const char *method, const char *path, const char *const *headers,
		     const char *body, size_t body_len, bool close);
/*
 * Reads one response: status line, headers, and a body of Content-Length
 * bytes, or up to the end of the stream when there is no Content-Length.
 * Bytes past the response are discarded (no pipelining).  False (with *out
 * freed) on timeout, early close or a malformed response.
 */
bool it_read_response(int fd, struct it_response *out);

/* One request on a fresh connection with "Connection: close"; 10 s timeout. */
bool it_http(int port, const char *method, const char *path, const char *const *headers,
	     const char *body, size_t body_len, struct it_response *out);
bool it_get(int port, const char *path, struct it_response *out);
/* Hand-written bytes on a fresh connection, then one response. */
bool it_raw(int port, const void *bytes, size_t len, struct it_response *out);

/* The body parsed as JSON (json_decref it); fails the test if it does not parse. */
json_t *it_json(const struct it_response *r);
/*
 * Fails the test unless r is an RFC 9457 problem: the status, Content-Type
 * application/problem+json, and a body with type "about:blank", a title, the
 * same status and a detail.
 */
void it_assert_problem(const struct it_response *r, int status);
/* The value of the Prometheus sample `series` (name{labels}) in text, or -1 if absent. */
double it_metric(const char *text, const char *series);

/* ------------------------------------------------------------ SQL (libpq) */

/* Connects or fails the test.  PQfinish it. */
PGconn *it_pg_connect(const char *conninfo);
/* Runs sql (no parameters) and fails the test unless it succeeded. */
void it_pg_exec(PGconn *pg, const char *sql);
/* First column of the first row as text (malloc'd; free it); fails the test on error or no row. */
char *it_pg_value(PGconn *pg, const char *sql);
long it_pg_long(PGconn *pg, const char *sql);
/*
 * The test database's cluster as role `user` (NULL: its own, the owner that
 * migrates) and database `dbname` (NULL: the test database), as a
 * keyword/value conninfo (free it).
 */
char *it_conninfo_as(const char *user, const char *dbname);
/* The owner's conninfo for database `dbname` of the test cluster (free it). */
char *it_conninfo_for(const char *dbname);
/*
 * The servers' conninfo (IT_SERVE_ROLE, the test database) with
 * application_name set, so its backends can be found (free it).
 */
char *it_conninfo_app(const char *application_name);

/* ------------------------------------------------------------ silent backends */

/*
 * The pids of the client backends whose application_name is `name`, ascending,
 * at most max; returns how many there are (fails the test on an SQL error).
 */
int it_pg_backend_pids(PGconn *pg, const char *name, int *pids, int max);
/* SIGSTOPs a backend and waits until it is stopped; fails the test after 5 s. */
void it_backend_stop(int pid);
/*
 * SIGCONTs every backend whose application_name starts with prefix; returns
 * how many, or -1 when the database cannot be asked.  Never fails the test:
 * meant for unchecked teardowns, so a failed test leaves no backend stopped.
 */
int it_backends_resume(const char *prefix);

/* ------------------------------------------------------------ processes */

struct it_proc {
	pid_t pid;
	int out_fd, err_fd;
};

struct it_cmd {
	int status; /* exit code, 128 + signal, or -1 on timeout (then killed) */
	char *out, *err; /* NUL-terminated captures; free with it_cmd_free */
};

/*
 * For messages about an exit status: a note naming the sanitizer for the
 * statuses tests/CMakeLists.txt gives their reports (86-88), else "".
 * Tests assert exact statuses, so that a sanitizer report is never taken
 * for the failure a command was expected to have.
 */
const char *it_status_note(int status);

/* Starts argv[0] (a path) with the test's environment minus MARKETPLACE_*, plus env. */
void it_proc_start(struct it_proc *p, const char *const *argv, const char *const *env);
/* Collects its output and exit status, killing it after timeout_ms. */
void it_proc_finish(struct it_proc *p, int timeout_ms, struct it_cmd *out);
/* Both in one. */
void it_run(const char *const *argv, const char *const *env, int timeout_ms, struct it_cmd *out);
void it_cmd_free(struct it_cmd *c);
/* /bin/sh -c command, captured and with the environment as for it_run. */
void it_run_shell(const char *command, int timeout_ms, struct it_cmd *out);
/* system(command); returns the exit code (or -1).  Output goes to the test's own. */
int it_shell(const char *command);

#endif
