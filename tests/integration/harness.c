/* Integration-test harness (see harness.h). */
#include "harness.h"

#include "evidence.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define START_LIMIT_MS 15000

/* How long a server may take to answer /healthz: START_LIMIT_MS, or
 * MARKETPLACE_TEST_START_LIMIT_MS for servers run under valgrind (tests/valgrind/run.sh). */
static int start_limit_ms(void)
{
	const char *v = getenv("MARKETPLACE_TEST_START_LIMIT_MS");
	long ms = v != NULL ? strtol(v, NULL, 10) : 0;
	return ms > 0 && ms < 3600000 ? (int)ms : START_LIMIT_MS;
}
#define STOP_LIMIT_MS 15000
#define HTTP_TIMEOUT_MS 10000

/* ------------------------------------------------------------ environment */

const char *it_env(const char *name)
{
	const char *v = getenv(name);
	ck_assert_msg(v != NULL && v[0] != '\0',
		      "%s is not set: run the integration tests with scripts/test.sh, which starts "
		      "PostgreSQL and sets it", name);
	return v;
}

const char *it_bin(void) { return it_env("MARKETPLACE_BIN"); }

const char *it_db_url(void) { return it_env("MARKETPLACE_TEST_DATABASE_URL"); }

/* A free port on 127.0.0.1, or -1 (errno set). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
		 getsockname(fd, (struct sockaddr *)&a, &len) == 0;
	int saved = errno;
	close(fd);
	errno = saved;
	return ok ? ntohs(a.sin_port) : -1;
}

int it_free_port(void)
{
	int port = free_port();
	ck_assert_msg(port > 0, "cannot find a free port: %s", strerror(errno));
	return port;
}

double it_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void it_sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ processes */

static size_t name_len(const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	return eq != NULL ? (size_t)(eq - assignment) : strlen(assignment);
}

static bool same_name(const char *a, const char *b)
{
	size_t n = name_len(a);
	return n == name_len(b) && strncmp(a, b, n) == 0;
}

/*
 * The child's environment: the test's own minus MARKETPLACE_* and minus any
 * name that an override sets, then the overrides (a later one of the same
 * name wins).  The array is malloc'd; the strings are borrowed.  NULL when
 * memory is short (no ck_* here: it_server_launch runs outside tests too).
 */
static char **build_env(const char *const *a, const char *const *b)
{
	size_t n = 0, na = 0, nb = 0;
	while (environ[n] != NULL)
		n++;
	while (a != NULL && a[na] != NULL)
		na++;
	while (b != NULL && b[nb] != NULL)
		nb++;
	const char **all = calloc(na + nb + 1, sizeof *all);
	char **env = calloc(n + na + nb + 1, sizeof *env);
	if (all == NULL || env == NULL) {
		free(all);
		free(env);
		return NULL;
	}
	for (size_t i = 0; i < na; i++)
		all[i] = a[i];
	for (size_t i = 0; i < nb; i++)
		all[na + i] = b[i];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "MARKETPLACE_", 12) == 0)
			continue;
		bool overridden = false;
		for (size_t j = 0; j < na + nb && !overridden; j++)
			overridden = same_name(environ[i], all[j]);
		if (!overridden)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < na + nb; j++) {
		bool later = false;
		for (size_t l = j + 1; l < na + nb && !later; l++)
			later = same_name(all[j], all[l]);
		if (!later)
			env[k++] = (char *)(uintptr_t)all[j];
	}
	env[k] = NULL;
	free(all);
	return env;
}

/* In the child: die with the test process, so a failed test leaves no server behind. */
static void child_setup(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int it_wait_exit(pid_t pid, int timeout_ms)
{
	double deadline = it_now() + timeout_ms / 1000.0;
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return decode_status(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (it_now() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		it_sleep_ms(10);
	}
}

void it_proc_start(struct it_proc *p, const char *const *argv, const char *const *env)
{
	int out[2], err[2];
	ck_assert_msg(pipe(out) == 0 && pipe(err) == 0, "pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(out[i], F_SETFD, FD_CLOEXEC);
		fcntl(err[i], F_SETFD, FD_CLOEXEC);
	}
	char **envp = build_env(env, NULL);
	ck_assert_msg(envp != NULL, "out of memory");
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_setup(parent);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execve(argv[0], (char *const *)(uintptr_t)argv, envp);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(envp);
	close(out[1]);
	close(err[1]);
	p->pid = pid;
	p->out_fd = out[0];
	p->err_fd = err[0];
}

struct capture {
	char *data;
	size_t len, cap;
};

static bool capture_read(int fd, struct capture *c)
{
	if (c->cap - c->len < 4097) {
		c->cap = c->cap * 2 + 8192;
		c->data = realloc(c->data, c->cap);
		ck_assert_msg(c->data != NULL, "out of memory");
	}
	ssize_t n = read(fd, c->data + c->len, 4096);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	c->len += (size_t)n;
	c->data[c->len] = '\0';
	return true;
}

static char *capture_take(struct capture *c)
{
	if (c->data == NULL)
		return strdup("");
	c->data[c->len] = '\0';
	return c->data;
}

void it_proc_finish(struct it_proc *p, int timeout_ms, struct it_cmd *out)
{
	struct capture cap[2] = {{0}};
	struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
	double deadline = it_now() + timeout_ms / 1000.0;
	bool timed_out = false;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int left = (int)((deadline - it_now()) * 1000);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(fds, 2, left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd >= 0 && fds[i].revents != 0 && !capture_read(fds[i].fd, &cap[i])) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (timed_out)
		kill(p->pid, SIGKILL);
	int left = (int)((deadline - it_now()) * 1000);
	out->status = it_wait_exit(p->pid, left > 0 ? left : 1);
	if (timed_out)
		out->status = -1;
	out->out = capture_take(&cap[0]);
	out->err = capture_take(&cap[1]);
	/* The commands tests run are the binary (the CLI, servers of their own) or shells around it. */
	evidence_log(out->out);
	evidence_log(out->err);
	p->pid = -1;
}

const char *it_status_note(int status)
{
	switch (status) {
	case 86:
	case 87:
		return " (an AddressSanitizer or LeakSanitizer report)";
	case 88:
		return " (an UndefinedBehaviorSanitizer report)";
	default:
		return "";
	}
}

void it_run(const char *const *argv, const char *const *env, int timeout_ms, struct it_cmd *out)
{
	struct it_proc p;
	it_proc_start(&p, argv, env);
	it_proc_finish(&p, timeout_ms, out);
}

void it_cmd_free(struct it_cmd *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
}

void it_run_shell(const char *command, int timeout_ms, struct it_cmd *out)
{
	const char *argv[] = {"/bin/sh", "-c", command, NULL};
	it_run(argv, NULL, timeout_ms, out);
}

int it_shell(const char *command)
{
	fflush(NULL);
	int status = system(command);
	return status == -1 ? -1 : decode_status(status);
}

/* ------------------------------------------------------------ the server */

/*
 * Does GET /healthz answer 200?  Without it_send_request/it_read_response:
 * their ck_assert_msg (even a passing one records a checkpoint) must not run
 * outside a test.
 */
static bool healthz_ok(int port)
{
	int fd = it_connect(port, 1000);
	if (fd < 0)
		return false;
	char buf[512];
	int n = snprintf(buf, sizeof buf, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
			 port);
	size_t got = 0;
	if (it_send_all(fd, buf, (size_t)n)) {
		ssize_t k;
		while (got < sizeof buf - 1 && (k = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0)
			got += (size_t)k;
	}
	close(fd);
	buf[got] = '\0';
	int status = 0;
	return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 && status == 200;
}

static char *conninfo_set(const char *const *kv, char *err, size_t errlen);

bool it_server_launch(struct it_server *s, const char *const *env, char *err, size_t errlen)
{
	s->pid = -1;
	const char *bin = getenv("MARKETPLACE_BIN"), *db = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (bin == NULL || bin[0] == '\0' || db == NULL || db[0] == '\0') {
		snprintf(err, errlen, "%s is not set: run the integration tests with scripts/test.sh, which "
			 "starts PostgreSQL and sets it",
			 bin == NULL || bin[0] == '\0' ? "MARKETPLACE_BIN" : "MARKETPLACE_TEST_DATABASE_URL");
		return false;
	}
	s->port = free_port();
	if (s->port < 0) {
		snprintf(err, errlen, "cannot find a free port: %s", strerror(errno));
		return false;
	}
	char *serve = conninfo_set((const char *const[]){"user", IT_SERVE_ROLE, NULL}, err, errlen);
	if (serve == NULL)
		return false;
	char url[4200], migrate_url[4200], listen_on[64];
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", serve);
	free(serve);
	snprintf(migrate_url, sizeof migrate_url, "MARKETPLACE_MIGRATE_DATABASE_URL=%s", db);
	snprintf(listen_on, sizeof listen_on, "MARKETPLACE_LISTEN=127.0.0.1:%d", s->port);
	/* With evidence gathered, every line a server can write goes to its log (evidence.h). */
	const char *defaults[] = {url, migrate_url, listen_on, "MARKETPLACE_THREADS=2",
				  evidence_on() ? "MARKETPLACE_LOG=debug" : "MARKETPLACE_LOG=warn", NULL};
	char **envp = build_env(defaults, env);
	if (envp == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	pid_t parent = getpid();
	int log_fd = evidence_server_stderr();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		free(envp);
		if (log_fd >= 0)
			close(log_fd);
		return false;
	}
	if (pid == 0) {
		child_setup(parent);
		if (log_fd >= 0)
			dup2(log_fd, STDERR_FILENO);
		char *const argv[] = {(char *)(uintptr_t)bin, "serve", NULL};
		execve(bin, argv, envp);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	free(envp);
	if (log_fd >= 0)
		close(log_fd);
	s->pid = pid;

	double deadline = it_now() + start_limit_ms() / 1000.0;
	for (;;) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s->pid = -1;
			snprintf(err, errlen, "the server exited (status %d) before /healthz answered",
				 decode_status(status));
			return false;
		}
		if (healthz_ok(s->port))
			return true;
		if (it_now() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			s->pid = -1;
			snprintf(err, errlen, "the server did not answer /healthz on port %d within %d ms",
				 s->port, start_limit_ms());
			return false;
		}
		it_sleep_ms(50);
	}
}

void it_server_start(struct it_server *s, const char *const *env)
{
	char err[512];
	if (!it_server_launch(s, env, err, sizeof err))
		ck_abort_msg("%s", err);
}

int it_server_stop(struct it_server *s)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	int rc = it_wait_exit(s->pid, STOP_LIMIT_MS);
	s->pid = -1;
	return rc;
}

/* ------------------------------------------------------------ HTTP client */

/*
 * connect() interrupted (EINTR) goes on in the background.  On Linux that
 * also happens without any handler when the process is stopped and
 * continued (signal(7)), as tests do to their helper processes: wait for
 * it to finish instead of failing.
 */
static bool connect_finished(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	int err = 0;
	socklen_t len = sizeof err;
	return n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

int it_connect(int port, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 &&
	    !(errno == EINTR && connect_finished(fd, timeout_ms))) {
		close(fd);
		return -1;
	}
	return fd;
}

bool it_send_all(int fd, const void *data, size_t len)
{
	evidence_sent(data, len);
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool it_send_request(int fd, const char *method, const char *path, const char *const *headers,
		     const char *body, size_t body_len, bool close_after)
{
	size_t cap = strlen(method) + strlen(path) + 256;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		cap += strlen(headers[i]) + 2;
	char *head = malloc(cap);
	ck_assert_msg(head != NULL, "out of memory");
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	int port = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 ? ntohs(peer.sin_port) : 0;
	size_t n = (size_t)snprintf(head, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", method, path, port);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		n += (size_t)snprintf(head + n, cap - n, "%s\r\n", headers[i]);
	if (body != NULL)
		n += (size_t)snprintf(head + n, cap - n, "Content-Length: %zu\r\n", body_len);
	if (close_after)
		n += (size_t)snprintf(head + n, cap - n, "Connection: close\r\n");
	n += (size_t)snprintf(head + n, cap - n, "\r\n");
	bool ok = it_send_all(fd, head, n) && (body == NULL || it_send_all(fd, body, body_len));
	free(head);
	return ok;
}

void it_response_free(struct it_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof *r);
}

const char *it_header(const struct it_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static char *trimmed_copy(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

/* Parses the status line and headers in head[0, len) (the blank line excluded). */
static bool parse_head(const char *head, size_t len, struct it_response *out)
{
	int minor, status;
	if (sscanf(head, "HTTP/1.%d %3d", &minor, &status) != 2)
		return false;
	out->status = status;
	const char *line = memchr(head, '\n', len);
	while (line != NULL && (size_t)(line + 1 - head) < len) {
		line++;
		const char *end = memchr(line, '\n', len - (size_t)(line - head));
		size_t n = end != NULL ? (size_t)(end - line) : len - (size_t)(line - head);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		const char *colon = memchr(line, ':', n);
		if (colon == NULL)
			return false;
		struct it_header *h = realloc(out->headers, (out->nheaders + 1) * sizeof *h);
		ck_assert_msg(h != NULL, "out of memory");
		out->headers = h;
		h[out->nheaders].name = trimmed_copy(line, (size_t)(colon - line));
		h[out->nheaders].value = trimmed_copy(colon + 1, n - (size_t)(colon + 1 - line));
		out->nheaders++;
		line = end;
	}
	return true;
}

bool it_read_response(int fd, struct it_response *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 16384, len = 0, head_len = 0;
	char *buf = malloc(cap + 1);
	ck_assert_msg(buf != NULL, "out of memory");
	bool eof = false, ok = false;
	long content_length = -1;
	for (;;) {
		if (head_len == 0) {
			buf[len] = '\0';
			char *blank = strstr(buf, "\r\n\r\n");
			if (blank != NULL) {
				head_len = (size_t)(blank - buf) + 4;
				if (!parse_head(buf, (size_t)(blank - buf), out))
					break;
				const char *cl = it_header(out, "Content-Length");
				const char *te = it_header(out, "Transfer-Encoding");
				if (te != NULL && strcasecmp(te, "identity") != 0)
					break; /* chunked replies are not expected from this server */
				if (cl != NULL)
					content_length = strtol(cl, NULL, 10);
			}
		}
		if (head_len > 0) {
			size_t have = len - head_len;
			if ((content_length >= 0 && have >= (size_t)content_length) ||
			    (content_length < 0 && eof)) {
				size_t body_len = content_length >= 0 ? (size_t)content_length : have;
				out->body = malloc(body_len + 1);
				ck_assert_msg(out->body != NULL, "out of memory");
				memcpy(out->body, buf + head_len, body_len);
				out->body[body_len] = '\0';
				out->body_len = body_len;
				const char *type = it_header(out, "Content-Type");
				evidence_received(out->status,
						  type != NULL && strncmp(type, "application/problem+json", 24) == 0,
						  out->body, body_len);
				ok = true;
				break;
			}
		}
		if (eof)
			break;
		if (cap - len < 4096) {
			cap *= 2;
			char *bigger = realloc(buf, cap + 1);
			ck_assert_msg(bigger != NULL, "out of memory");
			buf = bigger;
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET && head_len > 0 && content_length < 0)
			n = 0; /* a reset after the head ends a body delimited by the close */
		if (n < 0)
			break; /* timeout or reset */
		if (n == 0)
			eof = true;
		len += (size_t)n;
	}
	free(buf);
	if (!ok)
		it_response_free(out);
	return ok;
}

bool it_http(int port, const char *method, const char *path, const char *const *headers,
	     const char *body, size_t body_len, struct it_response *out)
{
	memset(out, 0, sizeof *out);
	int fd = it_connect(port, HTTP_TIMEOUT_MS);
	if (fd < 0)
		return false;
	/* A server may answer and close before taking the whole body: still read its answer. */
	(void)it_send_request(fd, method, path, headers, body, body_len, true);
	bool ok = it_read_response(fd, out);
	close(fd);
	return ok;
}

bool it_get(int port, const char *path, struct it_response *out)
{
	return it_http(port, "GET", path, NULL, NULL, 0, out);
}

bool it_raw(int port, const void *bytes, size_t len, struct it_response *out)
{
	memset(out, 0, sizeof *out);
	int fd = it_connect(port, HTTP_TIMEOUT_MS);
	if (fd < 0)
		return false;
	(void)it_send_all(fd, bytes, len);
	bool ok = it_read_response(fd, out);
	close(fd);
	return ok;
}

json_t *it_json(const struct it_response *r)
{
	json_error_t error;
	json_t *doc = json_loadb(r->body, r->body_len, 0, &error);
	ck_assert_msg(doc != NULL, "the body is not JSON (%s at %d): %.200s", error.text, error.position,
		      r->body ? r->body : "");
	return doc;
}

void it_assert_problem(const struct it_response *r, int status)
{
	ck_assert_msg(r->status == status, "expected status %d, got %d: %.300s", status, r->status,
		      r->body ? r->body : "");
	const char *ct = it_header(r, "Content-Type");
	ck_assert_msg(ct != NULL && strncmp(ct, "application/problem+json", 24) == 0,
		      "status %d: Content-Type is %s, not application/problem+json", status,
		      ct ? ct : "missing");
	json_t *p = it_json(r);
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *title = json_string_value(json_object_get(p, "title"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	json_t *st = json_object_get(p, "status");
	bool ok = type != NULL && strcmp(type, "about:blank") == 0 && title != NULL && title[0] != '\0' &&
		  detail != NULL && detail[0] != '\0' && json_is_integer(st) &&
		  json_integer_value(st) == status;
	json_decref(p);
	ck_assert_msg(ok, "status %d: not a complete problem document: %.300s", status, r->body);
}

double it_metric(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

/* ------------------------------------------------------------ SQL */

PGconn *it_pg_connect(const char *conninfo)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg));
		PQfinish(pg);
		ck_abort_msg("cannot connect to the test database: %s", msg);
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	return pg;
}

static PGresult *exec_checked(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		PQclear(res);
		ck_abort_msg("SQL failed: %s: %s", sql, msg);
	}
	return res;
}

void it_pg_exec(PGconn *pg, const char *sql) { PQclear(exec_checked(pg, sql)); }

char *it_pg_value(PGconn *pg, const char *sql)
{
	PGresult *res = exec_checked(pg, sql);
	if (PQntuples(res) < 1 || PQnfields(res) < 1) {
		PQclear(res);
		ck_abort_msg("SQL returned no row: %s", sql);
	}
	char *v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	ck_assert_msg(v != NULL, "out of memory");
	return v;
}

long it_pg_long(PGconn *pg, const char *sql)
{
	char *v = it_pg_value(pg, sql);
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* Appends keyword='value' (quoted for conninfo) to buf. */
static void append_kv(char *buf, size_t cap, size_t *n, const char *kw, const char *val)
{
	*n += (size_t)snprintf(buf + *n, cap - *n, "%s%s='", *n ? " " : "", kw);
	for (const char *p = val; *p != '\0' && *n + 3 < cap; p++) {
		if (*p == '\'' || *p == '\\')
			buf[(*n)++] = '\\';
		buf[(*n)++] = *p;
	}
	*n += (size_t)snprintf(buf + *n, cap - *n, "'");
}

/*
 * The test database's conninfo with the keywords of `kv` (keyword, value
 * pairs, NULL-terminated; a NULL value leaves that keyword as it is) set:
 * malloc'd (free it), or NULL with the reason in err.  No ck_* here:
 * it_server_launch runs outside tests too.
 */
static char *conninfo_set(const char *const *kv, char *err, size_t errlen)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "MARKETPLACE_TEST_DATABASE_URL is not set: run the integration tests with "
			 "scripts/test.sh, which starts PostgreSQL and sets it");
		return NULL;
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &perr);
	if (opts == NULL) {
		snprintf(err, errlen, "MARKETPLACE_TEST_DATABASE_URL does not parse: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = calloc(1, cap);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		PQconninfoFree(opts);
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		const char *val = o->val;
		for (size_t i = 0; kv[i] != NULL; i += 2)
			if (strcmp(o->keyword, kv[i]) == 0 && kv[i + 1] != NULL)
				val = kv[i + 1];
		if (val != NULL && val[0] != '\0')
			append_kv(buf, cap, &n, o->keyword, val);
	}
	PQconninfoFree(opts);
	return buf;
}

/* conninfo_set for a test: fails it instead of returning NULL. */
static char *conninfo_or_fail(const char *const *kv)
{
	char err[512];
	char *c = conninfo_set(kv, err, sizeof err);
	if (c == NULL)
		ck_abort_msg("%s", err);
	return c;
}

char *it_conninfo_as(const char *user, const char *dbname)
{
	return conninfo_or_fail((const char *const[]){"user", user, "dbname", dbname, NULL});
}

char *it_conninfo_for(const char *dbname) { return it_conninfo_as(NULL, dbname); }

char *it_conninfo_app(const char *application_name)
{
	return conninfo_or_fail(
		(const char *const[]){"user", IT_SERVE_ROLE, "application_name", application_name, NULL});
}

/* ------------------------------------------------------------ silent backends */

int it_pg_backend_pids(PGconn *pg, const char *name, int *pids, int max)
{
	const char *params[] = {name};
	PGresult *res = PQexecParams(pg,
				     "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
				     " AND backend_type = 'client backend' ORDER BY pid",
				     1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		PQclear(res);
		ck_abort_msg("cannot list the backends of %s: %s", name, msg);
	}
	int n = PQntuples(res);
	for (int i = 0; i < n && i < max; i++)
		pids[i] = atoi(PQgetvalue(res, i, 0));
	PQclear(res);
	return n;
}

/* The state letter of /proc/pid/stat ('T' when stopped), or 0 when it cannot be read. */
static char proc_state(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

void it_backend_stop(int pid)
{
	ck_assert_msg(kill(pid, SIGSTOP) == 0, "cannot stop backend %d: %s", pid, strerror(errno));
	double deadline = it_now() + 5.0;
	char state;
	while ((state = proc_state(pid)) != 'T') {
		if (it_now() >= deadline) {
			kill(pid, SIGCONT);
			ck_abort_msg("backend %d is not stopped 5 s after SIGSTOP (state %c)", pid,
				     state ? state : '?');
		}
		it_sleep_ms(5);
	}
}

int it_backends_resume(const char *prefix)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0')
		return -1;
	PGconn *pg = PQconnectdb(url);
	int resumed = -1;
	if (PQstatus(pg) == CONNECTION_OK) {
		const char *params[] = {prefix};
		PGresult *res = PQexecParams(pg,
					     "SELECT pid FROM pg_stat_activity"
					     " WHERE starts_with(application_name, $1)",
					     1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			resumed = 0;
			for (int i = 0; i < PQntuples(res); i++)
				if (kill(atoi(PQgetvalue(res, i, 0)), SIGCONT) == 0)
					resumed++;
		}
		PQclear(res);
	}
	PQfinish(pg);
	return resumed;
}
