/*
 * The front door under attack (issue 7, items 1-3 and part of 7), each
 * attack run against the real binary:
 *  - idle connections past the caps, in total and from one address, are
 *    closed at once and counted, and the rest keep being served;
 *  - descriptor exhaustion (the server under `prlimit --nofile=256`, 400
 *    idle sockets): accept() failing does not spin a core or flood the log,
 *    and a normal request is still answered; the soft limit is raised to
 *    the hard one at start;
 *  - a body over its route's limit (announced, behind Expect:
 *    100-continue, or sent whole) gets 413 at once, not a silent close
 *    after the header timeout (a chunked one gets the framing check's 411);
 *  - bodies past the process-wide budget get 503 with Retry-After;
 *  - a TLS ClientHello dribbled byte by byte is cut at the header timeout;
 *  - /metrics is served only to local clients, or only on
 *    MARKETPLACE_METRICS_LISTEN, and never reads another worker's pools
 *    while they are freed at shutdown.
 * Client addresses are 127.0.7.x: nothing here is remembered by the server
 * past the test (no login is made), so any loopback address will do.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "harness.h"
#include "check_run.h"

static struct it_server server;

static void start(const char *const *env) { it_server_start(&server, env); }

static void stop_ok(void)
{
	int rc = it_server_stop(&server);
	ck_assert_msg(rc == 0, "the server exited with status %d%s, not 0", rc, it_status_note(rc));
}

/* ------------------------------------------------------------ helpers */

/* A connection to 127.0.0.1:port from address src (a loopback address), or -1. */
static int connect_from(const char *src, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = {.sin_family = AF_INET};
	ck_assert(inet_pton(AF_INET, src, &a.sin_addr) == 1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind %s: %s", src, strerror(errno));
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the server closes fd (end of stream or reset; bytes before are read) within ms. */
static bool closed_within(int fd, int ms)
{
	double until = it_now() + ms / 1000.0;
	for (double left; (left = until - it_now()) > 0;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

/*
 * The metrics text of the server on port (free it), from 127.0.0.1, or NULL
 * when the connection is closed unanswered (over a cap).  It returns once
 * the server has closed the connection, so that it no longer counts.
 */
static char *try_metrics(int port)
{
	int fd = it_connect(port, 5000);
	ck_assert(fd >= 0);
	struct it_response r;
	bool answered = it_send_request(fd, "GET", "/metrics", NULL, NULL, 0, true) && it_read_response(fd, &r);
	if (answered)
		ck_assert_msg(closed_within(fd, 5000), "GET /metrics: the connection stayed open");
	close(fd);
	if (!answered)
		return NULL;
	ck_assert_msg(r.status == 200, "GET /metrics: %d %s", r.status, r.body);
	char *text = r.body;
	r.body = NULL;
	it_response_free(&r);
	return text;
}

static char *metrics_text(int port)
{
	char *text = try_metrics(port);
	ck_assert_msg(text != NULL, "no answer to GET /metrics");
	return text;
}

static double metric(int port, const char *series)
{
	char *text = metrics_text(port);
	double v = it_metric(text, series);
	free(text);
	return v;
}

/* Waits until the series reaches value; fails after 10 s. */
static void wait_metric(int port, const char *series, double value)
{
	double t0 = it_now(), v;
	while ((v = metric(port, series)) != value) {
		ck_assert_msg(it_now() - t0 < 10, "%s is %g, not %g, after 10 s", series, v, value);
		it_sleep_ms(20);
	}
}

/* GET /healthz on an open keep-alive connection must answer 200. */
static void assert_serves(int fd, const char *what)
{
	struct it_response r;
	ck_assert_msg(it_send_request(fd, "GET", "/healthz", NULL, NULL, 0, false), "%s: cannot send", what);
	ck_assert_msg(it_read_response(fd, &r), "%s: no answer on a connection that was kept", what);
	ck_assert_msg(r.status == 200, "%s: status %d", what, r.status);
	it_response_free(&r);
}

/*
 * Opens n connections from src, and returns how many of them the server
 * closed at once: it waits for `expect_closed` closes (2 s at most), then
 * checks that every other one is served.  Their fds go to fds[] (-1 once closed).
 */
static int open_many(const char *src, int n, int expect_closed, int *fds)
{
	for (int i = 0; i < n; i++) {
		fds[i] = connect_from(src, server.port);
		ck_assert_msg(fds[i] >= 0, "connection %d from %s: %s", i, src, strerror(errno));
	}
	int closed = 0;
	double t0 = it_now();
	while (closed < expect_closed && it_now() - t0 < 2.0)
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0 && closed_within(fds[i], 10)) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			assert_serves(fds[i], src);
	return closed;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ------------------------------------------------------------ connection caps */

START_TEST(test_connection_caps)
{
	start((const char *const[]){"MARKETPLACE_MAX_CONNECTIONS=12", "MARKETPLACE_MAX_CONNECTIONS_PER_ADDRESS=5",
				    "MARKETPLACE_HEADER_TIMEOUT_MS=30000", NULL});
	int a[7], b[7], c[3];
	ck_assert_int_eq(open_many("127.0.7.1", 7, 2, a), 2);
	ck_assert_int_eq(open_many("127.0.7.2", 7, 2, b), 2);
	/* Counted, and one place left: this request's. */
	char *text = metrics_text(server.port);
	ck_assert_int_eq(it_metric(text, "marketplace_connections_open"), 11);
	ck_assert_int_eq(it_metric(text, "marketplace_connections_refused_total{cap=\"per_address\"}"), 4);
	ck_assert_int_eq(it_metric(text, "marketplace_connections_refused_total{cap=\"total\"}"), 0);
	free(text);
	/* The total: the third from another address is one too many. */
	ck_assert_int_eq(open_many("127.0.7.3", 3, 1, c), 1);
	/* Closing makes room again (until the server has seen it, /metrics may be refused too). */
	close_all(a, 7);
	double t0 = it_now();
	while ((text = try_metrics(server.port)) == NULL) {
		ck_assert_msg(it_now() - t0 < 10, "/metrics still refused 10 s after connections closed");
		it_sleep_ms(20);
	}
	ck_assert_msg(it_metric(text, "marketplace_connections_refused_total{cap=\"total\"}") >= 1, "%s", text);
	ck_assert_int_eq(it_metric(text, "marketplace_connections_refused_total{cap=\"per_address\"}"), 4);
	free(text);
	ck_assert_int_eq(open_many("127.0.7.1", 6, 1, a), 1);
	close_all(a, 6);
	close_all(b, 7);
	close_all(c, 3);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ descriptor exhaustion */

/* A server started under `prlimit --nofile=SOFT:HARD`, its stderr kept for counting lines. */
struct limited {
	struct it_proc proc;
	int port;
	long lines; /* stderr lines read so far */
};

/* Reads what the server logged so far (its pipe must not fill up); counts lines. */
static void read_log(struct limited *l)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(l->proc.err_fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			l->lines += buf[i] == '\n';
}

static void start_limited(struct limited *l, const char *nofile, const char *const *extra)
{
	char limit[64], listen[64], url[4096];
	l->port = it_free_port();
	l->lines = 0;
	snprintf(limit, sizeof limit, "--nofile=%s", nofile);
	snprintf(listen, sizeof listen, "MARKETPLACE_LISTEN=127.0.0.1:%d", l->port);
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *env[16] = {listen, url, "MARKETPLACE_THREADS=2", "MARKETPLACE_LOG=warn"};
	for (size_t i = 0; extra[i] != NULL; i++)
		env[4 + i] = extra[i];
	const char *const argv[] = {"/usr/bin/prlimit", limit, "--", it_bin(), "serve", NULL};
	it_proc_start(&l->proc, argv, env);
	ck_assert(fcntl(l->proc.err_fd, F_SETFL, O_NONBLOCK) == 0);
	struct it_response r;
	double t0 = it_now();
	while (!it_get(l->port, "/healthz", &r)) {
		read_log(l);
		ck_assert_msg(it_now() - t0 < 15, "the server under prlimit did not answer /healthz in 15 s");
		it_sleep_ms(50);
	}
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
}

static void stop_limited(struct limited *l)
{
	kill(l->proc.pid, SIGTERM);
	struct it_cmd done;
	it_proc_finish(&l->proc, 15000, &done);
	ck_assert_msg(done.status == 0, "the server exited %d%s: %.2000s", done.status,
		      it_status_note(done.status), done.err);
	it_cmd_free(&done);
}

/* CPU seconds (user + system) the process has used. */
static double cpu_seconds(pid_t pid)
{
	char path[64], stat[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *p = strrchr(stat, ')');
	unsigned long utime, stime;
	ck_assert(p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
				      &stime) == 2);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

#define IDLE_SOCKETS 400

/* Opens IDLE_SOCKETS connections without waiting for the server to accept them. */
static void open_idle(int port, int *fds, int per_address)
{
	for (int i = 0; i < IDLE_SOCKETS; i++) {
		char src[32];
		snprintf(src, sizeof src, "127.0.8.%d", 1 + i / per_address);
		fds[i] = connect_from(src, port);
		ck_assert_msg(fds[i] >= 0, "idle connection %d: %s", i, strerror(errno));
	}
}

START_TEST(test_descriptor_exhaustion)
{
	/*
	 * Caps far above what 256 descriptors allow, so that accept() itself
	 * runs out: the listener must pause instead of spinning and flooding
	 * the log.  The idle sockets time out after 2 s, which lets the normal
	 * request in eventually.
	 */
	struct limited l;
	start_limited(&l, "256:256", (const char *const[]){"MARKETPLACE_MAX_CONNECTIONS=100000",
							   "MARKETPLACE_MAX_CONNECTIONS_PER_ADDRESS=100000",
							   "MARKETPLACE_HEADER_TIMEOUT_MS=2000", NULL});
	int *fds = malloc(IDLE_SOCKETS * sizeof *fds);
	ck_assert(fds != NULL);
	read_log(&l);
	long lines_before = l.lines;
	double cpu0 = cpu_seconds(l.proc.pid), t0 = it_now();
	open_idle(l.port, fds, IDLE_SOCKETS);
	while (it_now() - t0 < 3.0) {
		read_log(&l);
		it_sleep_ms(50);
	}
	double cpu = cpu_seconds(l.proc.pid) - cpu0, window = it_now() - t0;
	read_log(&l);
	long lines = l.lines - lines_before;

	/* A normal request, queued behind the idle ones, is answered once they time out. */
	int fd = connect_from("127.0.7.9", l.port);
	ck_assert(fd >= 0);
	ck_assert(it_send_request(fd, "GET", "/healthz", NULL, NULL, 0, true));
	struct it_response r;
	double asked = it_now();
	bool answered = it_read_response(fd, &r);
	double waited = it_now() - asked;
	close(fd);
	close_all(fds, IDLE_SOCKETS);
	free(fds);
	read_log(&l);
	stop_limited(&l);
	ck_assert_msg(lines <= 5, "%ld log lines in %.1f s of descriptor exhaustion", lines, window);
	ck_assert_msg(cpu < 0.25 * window, "the server used %.2f s of CPU in %.1f s of descriptor exhaustion",
		      cpu, window);
	ck_assert_msg(answered, "a normal request got no answer during descriptor exhaustion (%.1f s)", waited);
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
}
END_TEST

START_TEST(test_soft_file_limit_raised)
{
	/* Soft 256, hard 4096: the server raises its own limit and holds 400 connections (100 per address). */
	struct limited l;
	start_limited(&l, "256:4096", (const char *const[]){NULL});
	char *text = metrics_text(l.port);
	ck_assert_msg(it_metric(text, "process_max_fds") == 4096, "process_max_fds is %g, not 4096",
		      it_metric(text, "process_max_fds"));
	free(text);
	int *fds = malloc(IDLE_SOCKETS * sizeof *fds);
	ck_assert(fds != NULL);
	open_idle(l.port, fds, 100);
	double t0 = it_now();
	double open_now;
	while ((open_now = metric(l.port, "marketplace_connections_open")) < IDLE_SOCKETS + 1) {
		read_log(&l);
		ck_assert_msg(it_now() - t0 < 10, "%g connections open, not %d", open_now, IDLE_SOCKETS + 1);
		it_sleep_ms(50);
	}
	ck_assert_int_eq(metric(l.port, "marketplace_accept_errors_total"), 0);
	close_all(fds, IDLE_SOCKETS);
	free(fds);
	stop_limited(&l);
}
END_TEST

/* ------------------------------------------------------------ bodies */

/* Sends bytes on a new connection and reads one response within 2 s; returns the seconds it took. */
static double answer_to(const char *bytes, size_t len, struct it_response *r)
{
	int fd = it_connect(server.port, 2000);
	ck_assert(fd >= 0);
	double t0 = it_now();
	ck_assert(it_send_all(fd, bytes, len));
	bool answered = it_read_response(fd, r);
	double took = it_now() - t0;
	ck_assert_msg(answered, "no answer within %.1f s to: %.120s", took, bytes);
	/* Refused with Connection: close, and closed. */
	const char *connection = it_header(r, "Connection");
	ck_assert_msg(connection != NULL && strcasecmp(connection, "close") == 0, "Connection: %s",
		      connection ? connection : "(none)");
	ck_assert_msg(closed_within(fd, 2000), "the connection stayed open after the refusal");
	close(fd);
	return took;
}

static void assert_refused_at_once(const char *head, int status, const char *detail_part)
{
	struct it_response r;
	double took = answer_to(head, strlen(head), &r);
	it_assert_problem(&r, status);
	ck_assert_msg(strstr(r.body, detail_part) != NULL, "%.60s...: %s", head, r.body);
	ck_assert_msg(took < 2.0, "%.60s...: answered after %.2f s", head, took);
	it_response_free(&r);
}

START_TEST(test_body_over_limit_refused_at_once)
{
	start(NULL);
	/* Announced, with no body sent (the server must not wait for it). */
	assert_refused_at_once("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			       "Content-Length: 100000000\r\n\r\n",
			       413, "65536 bytes");
	/* Behind Expect: 100-continue: the 413 comes instead of "100 Continue". */
	assert_refused_at_once("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			       "Expect: 100-continue\r\nContent-Length: 70000\r\n\r\n",
			       413, "65536 bytes");
	/* Logins take a few KiB; bodiless routes take none. */
	assert_refused_at_once("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			       "Content-Length: 9000\r\n\r\n",
			       413, "8192 bytes");
	assert_refused_at_once("GET /api/v1/provinces HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", 413,
			       "0 bytes");
	/* Chunked: refused at its head by the framing check (framing.h), before any body is sized. */
	assert_refused_at_once("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n2328\r\n",
			       411, "Chunked request bodies are not accepted");

	/* A client that sends all 4 MB before reading still reads the 413 (no reset). */
	size_t n = 4 * 1024 * 1024;
	char *req = malloc(n + 256);
	ck_assert(req != NULL);
	int head = snprintf(req, 256, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
				      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", n);
	memset(req + head, ' ', n);
	struct it_response r;
	answer_to(req, (size_t)head + n, &r);
	free(req);
	it_assert_problem(&r, 413);
	it_response_free(&r);

	/* Within their limits, bodies are served as before. */
	const char *json[] = {"Content-Type: application/json", NULL};
	ck_assert(it_http(server.port, "POST", "/api/v1/auth/login", json, "{}", 2, &r));
	it_assert_problem(&r, 422);
	it_response_free(&r);
	/* Counted when refused at their head for their size (not the chunked one: its framing is refused). */
	ck_assert_int_eq(metric(server.port, "marketplace_request_bodies_refused_total{reason=\"too_large\"}"), 5);
	ck_assert_int_eq(metric(server.port, "marketplace_request_body_bytes"), 0);
	stop_ok();
}
END_TEST

/* Sends a registration head announcing `length` bytes and `part` of them; returns the connection. */
static int start_body(size_t length, size_t part)
{
	int fd = it_connect(server.port, 5000);
	ck_assert(fd >= 0);
	char head[256];
	int n = snprintf(head, sizeof head, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
					   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", length);
	ck_assert(it_send_all(fd, head, (size_t)n));
	char *body = malloc(part);
	ck_assert(body != NULL);
	memset(body, ' ', part);
	ck_assert(it_send_all(fd, body, part));
	free(body);
	return fd;
}

/* Sends the rest of a body start_body began, as JSON that fails validation: 422. */
static void finish_body(int fd, size_t rest)
{
	char *body = malloc(rest);
	ck_assert(body != NULL);
	memset(body, ' ', rest);
	body[0] = '{';
	body[rest - 1] = '}';
	ck_assert(it_send_all(fd, body, rest));
	free(body);
	struct it_response r;
	ck_assert_msg(it_read_response(fd, &r), "no answer once the body was complete");
	it_assert_problem(&r, 422);
	it_response_free(&r);
	close(fd);
}

START_TEST(test_body_budget)
{
	/* 128 KiB for bodies: two registrations of 60,000 bytes fit, a third does not. */
	start((const char *const[]){"MARKETPLACE_BODY_BUDGET_KB=128", NULL});
	int first = start_body(60000, 1000);
	wait_metric(server.port, "marketplace_request_body_bytes", 60000);
	int second = start_body(60000, 1000);
	wait_metric(server.port, "marketplace_request_body_bytes", 120000);

	struct it_response r;
	static const char third[] = "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
				    "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n";
	double took = answer_to(third, sizeof third - 1, &r);
	it_assert_problem(&r, 503);
	ck_assert_msg(it_header(&r, "Retry-After") != NULL, "503 without Retry-After");
	ck_assert_msg(took < 2.0, "the refusal took %.2f s", took);
	it_response_free(&r);
	/* What still fits is served meanwhile. */
	const char *json[] = {"Content-Type: application/json", NULL};
	ck_assert(it_http(server.port, "POST", "/api/v1/auth/login", json, "{}", 2, &r));
	it_assert_problem(&r, 422);
	it_response_free(&r);

	/* Answered bodies give their bytes back. */
	finish_body(first, 59000);
	wait_metric(server.port, "marketplace_request_body_bytes", 60000);
	int third_again = start_body(60000, 0);
	finish_body(third_again, 60000);
	finish_body(second, 59000);
	wait_metric(server.port, "marketplace_request_body_bytes", 0);
	ck_assert_int_eq(metric(server.port, "marketplace_request_bodies_refused_total{reason=\"budget\"}"), 1);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ TLS */

static char tls_dir[64];

static void make_certificate(void)
{
	snprintf(tls_dir, sizeof tls_dir, "/tmp/marketplace-admission-tls-%d", (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s && cd %s && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
		 "-days 2 -keyout key.pem -out cert.pem 2>/dev/null",
		 tls_dir, tls_dir);
	ck_assert_msg(it_shell(cmd) == 0, "openssl could not make a test certificate");
}

START_TEST(test_tls_handshake_deadline)
{
	make_certificate();
	int port = it_free_port();
	char listen[64], cert[160], key[160], url[4096];
	snprintf(listen, sizeof listen, "MARKETPLACE_LISTEN=127.0.0.1:%d", port);
	snprintf(cert, sizeof cert, "MARKETPLACE_TLS_CERT=%s/cert.pem", tls_dir);
	snprintf(key, sizeof key, "MARKETPLACE_TLS_KEY=%s/key.pem", tls_dir);
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *const argv[] = {it_bin(), "serve", NULL};
	const char *const env[] = {listen, cert, key, url, "MARKETPLACE_LOG=warn",
				   "MARKETPLACE_HEADER_TIMEOUT_MS=1000", NULL};
	struct it_proc p;
	it_proc_start(&p, argv, env);
	int fd;
	for (double t0 = it_now(); (fd = it_connect(port, 2000)) < 0; it_sleep_ms(50))
		ck_assert_msg(it_now() - t0 < 15, "the TLS server does not listen after 15 s");

	/* A ClientHello's record header and more, one byte every 300 ms. */
	static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
					      0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
	double t0 = it_now(), closed = -1;
	for (size_t i = 0; i < sizeof hello && closed < 0; i++) {
		if (send(fd, &hello[i], 1, MSG_NOSIGNAL) != 1)
			closed = it_now();
		else if (closed_within(fd, 300))
			closed = it_now();
	}
	close(fd);
	kill(p.pid, SIGTERM);
	struct it_cmd done;
	it_proc_finish(&p, 15000, &done);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tls_dir);
	it_shell(cmd);
	ck_assert_msg(closed > 0, "a ClientHello dribbled for %.1f s kept its connection (header timeout 1 s)",
		      it_now() - t0);
	ck_assert_msg(closed - t0 >= 0.8 && closed - t0 <= 3.0, "closed after %.2f s, expected about 1 s",
		      closed - t0);
	ck_assert_msg(done.status == 0, "the TLS server exited %d%s: %s", done.status, it_status_note(done.status),
		      done.err);
	it_cmd_free(&done);
}
END_TEST

/* ------------------------------------------------------------ /metrics */

static int metrics_status(int port, const char *forwarded_for)
{
	char line[128];
	snprintf(line, sizeof line, "X-Forwarded-For: %s", forwarded_for ? forwarded_for : "");
	const char *headers[] = {line, NULL};
	struct it_response r;
	ck_assert(it_http(port, "GET", "/metrics", forwarded_for ? headers : NULL, NULL, 0, &r));
	int status = r.status;
	if (status != 200)
		it_assert_problem(&r, 404);
	it_response_free(&r);
	return status;
}

START_TEST(test_metrics_only_for_local_clients)
{
	start(NULL);
	ck_assert_int_eq(metrics_status(server.port, NULL), 200);
	/* A loopback peer forwarding for someone is a reverse proxy on this host. */
	ck_assert_int_eq(metrics_status(server.port, "203.0.113.7"), 404);
	stop_ok();
	/* Behind a trusted proxy, the client is who it names. */
	start((const char *const[]){"MARKETPLACE_TRUSTED_PROXIES=127.0.0.1", NULL});
	ck_assert_int_eq(metrics_status(server.port, "203.0.113.7"), 404);
	ck_assert_int_eq(metrics_status(server.port, NULL), 200);
	stop_ok();
}
END_TEST

START_TEST(test_metrics_on_their_own_address)
{
	int metrics_port = it_free_port();
	char setting[64];
	snprintf(setting, sizeof setting, "MARKETPLACE_METRICS_LISTEN=127.0.0.1:%d", metrics_port);
	start((const char *const[]){setting, NULL});
	ck_assert_int_eq(metrics_status(server.port, NULL), 404);
	char *text = metrics_text(metrics_port);
	ck_assert_msg(it_metric(text, "marketplace_connections_open") >= 1, "%s", text);
	free(text);
	struct it_response r;
	ck_assert(it_get(server.port, "/healthz", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	stop_ok();
}
END_TEST

#define SCRAPERS 24

/*
 * Scrapes /metrics on SCRAPERS kept-alive connections, as fast as they are
 * answered, while the server stops: one worker's /metrics must never read
 * a pool another worker is freeing (an ASan build reports it, and the
 * server must exit 0).  Repeated, since it is a race.
 */
START_TEST(test_metrics_while_stopping)
{
	static const char scrape[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int round = 0; round < 5; round++) {
		start((const char *const[]){"MARKETPLACE_DB_POOL=2", NULL});
		int fds[SCRAPERS];
		for (int i = 0; i < SCRAPERS; i++) {
			fds[i] = it_connect(server.port, 2000);
			ck_assert(fds[i] >= 0);
			ck_assert(fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0);
		}
		double until = it_now() + 0.6;
		bool stopping = false;
		while (it_now() < until) {
			if (!stopping && it_now() > until - 0.4) {
				ck_assert_int_eq(kill(server.pid, SIGTERM), 0);
				stopping = true;
			}
			for (int i = 0; i < SCRAPERS; i++) {
				char sink[65536];
				while (recv(fds[i], sink, sizeof sink, 0) > 0)
					;
				send(fds[i], scrape, sizeof scrape - 1, MSG_NOSIGNAL);
			}
		}
		close_all(fds, SCRAPERS);
		int rc = it_wait_exit(server.pid, 15000);
		server.pid = -1;
		ck_assert_msg(rc == 0, "round %d: the server exited %d%s while /metrics was scraped", round, rc,
			      it_status_note(rc));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_admission");
	TCase *tc = tcase_create("admission");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_connection_caps);
	tcase_add_test(tc, test_descriptor_exhaustion);
	tcase_add_test(tc, test_soft_file_limit_raised);
	tcase_add_test(tc, test_body_over_limit_refused_at_once);
	tcase_add_test(tc, test_body_budget);
	tcase_add_test(tc, test_tls_handshake_deadline);
	tcase_add_test(tc, test_metrics_only_for_local_clients);
	tcase_add_test(tc, test_metrics_on_their_own_address);
	tcase_add_test(tc, test_metrics_while_stopping);
	suite_add_tcase(s, tc);
	return check_run(s);
}
