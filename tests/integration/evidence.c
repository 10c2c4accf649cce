/* Evidence gathered while the suites run (see evidence.h). */
#define _GNU_SOURCE /* memmem, pipe2, program_invocation_short_name */
#include "evidence.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The shortest password recorded: the registration minimum.  Shorter ones
 * are hostile-input tests' values, which may well occur in ordinary text. */
#define MIN_PASSWORD 10
#define MIN_TOKEN 20

static const char *dir(void)
{
	const char *d = getenv("MARKETPLACE_TEST_EVIDENCE_DIR");
	return d != NULL && d[0] != '\0' ? d : NULL;
}

bool evidence_on(void) { return dir() != NULL; }

/* Appends one line (or bytes) to the evidence file `name` in one write(). */
static void append(const char *name, const char *text, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir(), name);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	ssize_t n;
	while ((n = write(fd, text, len)) < 0 && errno == EINTR)
		;
	close(fd);
}

/*
 * Records value[0, len) as a secret of `kind` unless it is shorter than
 * min or needs unescaping: as it is, and as the server's JSON log lines
 * would write it (jansson with JSON_ENSURE_ASCII, as core/log.c does), so
 * that "Mật khẩu" is also looked for as "M\u1EADt kh\u1EA9u".
 */
static void record_secret(const char *kind, const char *value, size_t len, size_t min)
{
	if (len < min || len > 2048 || memchr(value, '\\', len) != NULL || memchr(value, '\n', len) != NULL)
		return;
	char line[16400];
	int n = snprintf(line, sizeof line, "%s\t%.*s\n", kind, (int)len, value);
	json_t *text = json_stringn_nocheck(value, len);
	char *escaped = text != NULL ? json_dumps(text, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	size_t elen = escaped != NULL ? strlen(escaped) : 0;
	if (elen > 2 && (elen - 2 != len || memcmp(escaped + 1, value, len) != 0))
		n += snprintf(line + n, sizeof line - (size_t)n, "%s\t%.*s\n", kind, (int)(elen - 2), escaped + 1);
	free(escaped);
	json_decref(text);
	append("secrets", line, (size_t)n);
}

/*
 * Every JSON string value of a member whose name ends in `key_suffix`
 * ("password\"" finds "password" and "new_password"): `"...<suffix> : "value"`.
 */
static void scan_json_values(const char *text, size_t len, const char *key_suffix, const char *kind, size_t min)
{
	const char *end = text + len, *p = text;
	size_t klen = strlen(key_suffix);
	while ((p = memmem(p, (size_t)(end - p), key_suffix, klen)) != NULL) {
		p += klen;
		const char *q = p;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != ':')
			continue;
		q++;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '"')
			continue;
		const char *value = ++q;
		while (q < end && *q != '"')
			q++;
		if (q < end)
			record_secret(kind, value, (size_t)(q - value), min);
	}
}

void evidence_sent(const void *data, size_t len)
{
	if (!evidence_on() || len == 0)
		return;
	const char *text = data, *end = text + len, *p = text;
	scan_json_values(text, len, "password\"", "password", MIN_PASSWORD);
	static const char bearer[] = "Bearer ";
	while ((p = memmem(p, (size_t)(end - p), bearer, sizeof bearer - 1)) != NULL) {
		p += sizeof bearer - 1;
		size_t n = 0;
		while (p + n < end && p[n] != '\r' && p[n] != '\n')
			n++;
		record_secret("token", p, n, MIN_TOKEN);
	}
}

/*
 * What no body may show: PostgreSQL's and libpq's error text, sanitizer
 * and crash reports.  problem_only: SQL words, looked for in problem
 * documents only (other bodies echo the tests' own text).
 */
static const struct {
	const char *needle;
	bool problem_only;
} tells[] = {
	{"SQLSTATE", false},
	{"ERROR:  ", false},
	{"syntax error at", false},
	{"violates ", false},
	{"duplicate key value", false},
	{"null value in column", false},
	{"pg_catalog", false},
	{"PL/pgSQL", false},
	{"CONTEXT:", false},
	{"libpq", false},
	{"server closed the connection", false},
	{"could not connect", false},
	{"AddressSanitizer", false},
	{"LeakSanitizer", false},
	{"runtime error:", false},
	{"Segmentation fault", false},
	{"Aborted", false},
	{"stack trace", false},
	{"SELECT ", true},
	{"INSERT ", true},
	{"UPDATE ", true},
	{"DELETE FROM", true},
	{" FROM ", true},
	{" WHERE ", true},
	{"RETURNING", true},
	{"relation \"", true},
	{"column \"", true},
	{"function ", true},
	{"$1", true},
};

/* A source location such as "db.c:412"? */
static bool source_location(const char *body, size_t len, const char **at)
{
	const char *end = body + len;
	for (const char *p = body; (p = memmem(p, (size_t)(end - p), ".c:", 3)) != NULL; p += 3) {
		if (p > body && isalnum((unsigned char)p[-1]) && p + 3 < end && isdigit((unsigned char)p[3])) {
			*at = p;
			return true;
		}
	}
	return false;
}

static void record_leak(int status, const char *what, const char *body, size_t len)
{
	char excerpt[161];
	size_t n = len < sizeof excerpt - 1 ? len : sizeof excerpt - 1;
	for (size_t i = 0; i < n; i++)
		excerpt[i] = body[i] == '\n' || body[i] == '\r' ? ' ' : body[i];
	excerpt[n] = '\0';
	char line[512];
	int k = snprintf(line, sizeof line, "%s %d %s: %s\n", program_invocation_short_name, status, what, excerpt);
	append("leaks", line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
	fprintf(stderr, "evidence: a %d response shows %s: %s\n", status, what, excerpt);
}

void evidence_received(int status, bool problem, const char *body, size_t len)
{
	if (!evidence_on())
		return;
	append("bodies", ".", 1);
	if (body == NULL || len == 0)
		return;
	scan_json_values(body, len, "\"token\"", "token", MIN_TOKEN);
	for (size_t i = 0; i < sizeof tells / sizeof tells[0]; i++) {
		if (tells[i].problem_only && !problem)
			continue;
		if (memmem(body, len, tells[i].needle, strlen(tells[i].needle)) != NULL) {
			char what[64];
			snprintf(what, sizeof what, "\"%s\"", tells[i].needle);
			record_leak(status, what, body, len);
			return;
		}
	}
	const char *at;
	if (source_location(body, len, &at))
		record_leak(status, "a source location", body, len);
}

/* ------------------------------------------------------------ the servers' logs */

void evidence_log(const char *text)
{
	if (evidence_on() && text != NULL && text[0] != '\0')
		append("server.log", text, strlen(text));
}

/* Debug and info lines are for the file only; the rest also reach the test's output. */
static bool quiet_line(const char *line, size_t len)
{
	return memmem(line, len, "\"level\":\"debug\"", 15) != NULL || memmem(line, len, "\"level\":\"info\"", 14) != NULL;
}

static void forward_lines(int from, int log_fd)
{
	char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(from, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			have += (size_t)n;
		/* Whole lines; a line longer than the buffer goes out in pieces. */
		size_t done = 0;
		for (;;) {
			char *nl = memchr(buf + done, '\n', have - done);
			size_t line_len = nl != NULL ? (size_t)(nl + 1 - (buf + done))
				   : (n <= 0 || have == sizeof buf) ? have - done : 0;
			if (line_len == 0)
				break;
			if (write(log_fd, buf + done, line_len) < 0) {
				/* the file is gone: keep forwarding to stderr */
			}
			if (!quiet_line(buf + done, line_len) && write(STDERR_FILENO, buf + done, line_len) < 0) {
				/* the test's output is gone: nothing to tell */
			}
			done += line_len;
		}
		memmove(buf, buf + done, have - done);
		have -= done;
		if (n <= 0)
			return;
	}
}

int evidence_server_stderr(void)
{
	if (!evidence_on())
		return -1;
	char path[4096];
	snprintf(path, sizeof path, "%s/server.log", dir());
	int log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int pipe_fds[2];
	if (log_fd < 0)
		return -1;
	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		close(log_fd);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(log_fd);
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only the read end and the file: EOF comes when the server's copies close. */
		close(pipe_fds[1]);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != pipe_fds[0] && fd != log_fd)
				close(fd);
		forward_lines(pipe_fds[0], log_fd);
		_exit(0);
	}
	close(pipe_fds[0]);
	close(log_fd);
	return pipe_fds[1];
}
