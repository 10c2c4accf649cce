/*
 * Request framing against the real binary (issue 7, items 6 and 7): each
 * request-smuggling building block that libevent 2.1's parser accepts is
 * sent as an attacker would, a second request hidden where a front proxy
 * would see body bytes.  The server must answer exactly one response, a
 * problem (400, or 411 for a chunked body) with "Connection: close", and
 * close the connection: never a second response for the hidden request.
 * Well-formed pipelined requests still get one response each, and a bad
 * head behind good ones is refused only after they are answered.  Malformed
 * versions are not echoed back.
 *
 * One server for the suite, whose header timeout is 2 s, so that a
 * connection the server wrongly keeps open ends soon and the test fails on
 * what it received rather than on a timeout.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "check_run.h"

#define READ_ALL_MS 8000
#define MAX_RESPONSES 8

/* The request a proxy would take for body bytes: 34 bytes (0x22), as the heads below announce. */
#define HIDDEN "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

struct answer {
	char *bytes;   /* everything the server sent, NUL-terminated */
	size_t len;
	bool closed;   /* the server closed the connection */
	int count;     /* responses in bytes */
	int status[MAX_RESPONSES];
	size_t start[MAX_RESPONSES]; /* offset of each response */
	size_t body[MAX_RESPONSES];  /* offset of its body */
	long body_len[MAX_RESPONSES];
};

/* The value of header `name` in the response head `head` (up to its blank line), copied into out. */
static bool header_in(const char *head, const char *name, char *out, size_t size)
{
	const char *end = strstr(head, "\r\n\r\n");
	size_t n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			h += strspn(h, " ");
			size_t len = strcspn(h, "\r");
			snprintf(out, size, "%.*s", (int)len, h);
			return true;
		}
	}
	return false;
}

/* Splits what the server sent into responses (status line, headers, Content-Length body). */
static void split(struct answer *a)
{
	size_t at = 0;
	while (at < a->len) {
		ck_assert_msg(a->count < MAX_RESPONSES, "more than %d responses: %.400s", MAX_RESPONSES, a->bytes);
		const char *head = a->bytes + at;
		const char *blank = strstr(head, "\r\n\r\n");
		int status;
		char cl[32];
		ck_assert_msg(blank != NULL &&
				      (strncmp(head, "HTTP/1.1 ", 9) == 0 || strncmp(head, "HTTP/1.0 ", 9) == 0) &&
				      sscanf(head + 9, "%3d", &status) == 1,
			      "response %d is not HTTP/1.1 or 1.0: %.400s", a->count + 1, head);
		int i = a->count++;
		a->status[i] = status;
		a->start[i] = at;
		a->body[i] = (size_t)(blank + 4 - a->bytes);
		/* Without a length, the body runs to the close. */
		a->body_len[i] = header_in(head, "Content-Length", cl, sizeof cl) ? strtol(cl, NULL, 10)
										   : (long)(a->len - a->body[i]);
		at = a->body[i] + (size_t)a->body_len[i];
		ck_assert_msg(at <= a->len, "response %d is cut short: %.400s", a->count, head);
	}
}

/* Reads until the server closes fd (or READ_ALL_MS pass), closes it, and splits the responses. */
static void read_all(int fd, struct answer *a)
{
	memset(a, 0, sizeof *a);
	size_t cap = 65536;
	a->bytes = malloc(cap + 1);
	ck_assert(a->bytes != NULL);
	double until = it_now() + READ_ALL_MS / 1000.0;
	for (double left; !a->closed && (left = until - it_now()) > 0;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = recv(fd, a->bytes + a->len, cap - a->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			a->closed = n == 0 || errno == ECONNRESET;
		else
			a->len += (size_t)n;
		ck_assert_msg(a->len < cap, "the server sent more than %zu bytes", cap);
		if (n < 0 && !a->closed)
			break;
	}
	close(fd);
	a->bytes[a->len] = '\0';
	split(a);
}

static void answer_free(struct answer *a)
{
	free(a->bytes);
	a->bytes = NULL;
}

static int open_connection(void)
{
	int fd = it_connect(api_port(), READ_ALL_MS);
	ck_assert_msg(fd >= 0, "cannot connect to the server");
	int one = 1;
	ck_assert(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
	return fd;
}

/* Sends bytes on a new connection (in pieces of `piece` bytes, 0 for at once) and reads every answer. */
static void exchange(const char *bytes, size_t len, size_t piece, struct answer *a)
{
	int fd = open_connection();
	for (size_t at = 0; at < len;) {
		size_t n = piece == 0 || len - at < piece ? len - at : piece;
		if (!it_send_all(fd, bytes + at, n))
			break; /* the server may close before taking the rest */
		at += n;
	}
	read_all(fd, a);
}

/* Response i must be a problem with `status` whose detail contains `detail` (if not NULL). */
static void assert_problem(const struct answer *a, int i, int status, const char *detail)
{
	const char *head = a->bytes + a->start[i];
	char value[128];
	ck_assert_msg(a->status[i] == status, "response %d: status %d, expected %d: %.400s", i + 1, a->status[i],
		      status, head);
	ck_assert_msg(header_in(head, "Content-Type", value, sizeof value) &&
			      strcmp(value, "application/problem+json") == 0,
		      "response %d is not application/problem+json: %.400s", i + 1, head);
	json_error_t error;
	json_t *p = json_loadb(a->bytes + a->body[i], (size_t)a->body_len[i], 0, &error);
	ck_assert_msg(p != NULL, "response %d: the body is not JSON: %.400s", i + 1, head);
	const char *text = json_string_value(json_object_get(p, "detail"));
	bool ok = json_integer_value(json_object_get(p, "status")) == status && text != NULL &&
		  (detail == NULL || strstr(text, detail) != NULL);
	json_decref(p);
	ck_assert_msg(ok, "response %d: not the problem expected (status %d, detail with '%s'): %.400s", i + 1,
		      status, detail ? detail : "", head);
}

/* The answer is exactly `count` responses, the last a refusal with Connection: close, then the close. */
static void assert_refused_last(const struct answer *a, int count, int status, const char *detail,
				const char *what)
{
	ck_assert_msg(a->count == count, "%s: %d responses, expected %d: %.400s", what, a->count, count, a->bytes);
	assert_problem(a, count - 1, status, detail);
	char value[32];
	ck_assert_msg(header_in(a->bytes + a->start[count - 1], "Connection", value, sizeof value) &&
			      strcasecmp(value, "close") == 0,
		      "%s: the refusal has no Connection: close: %.400s", what, a->bytes);
	ck_assert_msg(a->closed, "%s: the server kept the connection open after refusing it", what);
}

static const struct vector {
	const char *name;
	const char *bytes;
	size_t len; /* one vector holds a NUL */
	int status;
	const char *detail; /* part of the problem's detail */
} vectors[] = {
#define V(name, bytes, status, detail) {name, bytes, sizeof(bytes) - 1, status, detail}
	V("duplicate Content-Length",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  "Content-Length: 0\r\nContent-Length: 34\r\n\r\n" HIDDEN,
	  400, "Content-Length is sent more than once"),
	V("space before the colon",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length : 34\r\n\r\n" HIDDEN, 400,
	  "between a header's name and its colon"),
	V("tab before the colon",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length\t: 34\r\n\r\n" HIDDEN, 400,
	  "between a header's name and its colon"),
	V("+N length", "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: +34\r\n\r\n" HIDDEN, 400,
	  "Content-Length must be a decimal number"),
	V("0x chunk size",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "0x22\r\n" HIDDEN "\r\n0\r\n\r\n",
	  411, "Chunked request bodies are not accepted"),
	V("chunked and Content-Length",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 39\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "0\r\n\r\n" HIDDEN,
	  400, "both Content-Length and Transfer-Encoding"),
	V("bare LF line ends", "GET /api/v1/sectors HTTP/1.1\nHost: x\n\n" HIDDEN, 400, "bare LF"),
	V("bare LF ending the head", "GET /api/v1/sectors HTTP/1.1\r\nHost: x\r\n\n" HIDDEN, 400, "bare LF"),
	V("folded header",
	  "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: 34\r\n\r\n" HIDDEN, 400,
	  "folded"),
	V("body on HEAD", "HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 34\r\n\r\n" HIDDEN, 400, "HEAD"),
	V("two Host headers", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" HIDDEN, 400,
	  "Host is sent more than once"),
	V("NUL in a length", "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\0 34\r\n\r\n" HIDDEN,
	  400, "control character"),
	V("HTTP/1.-5", "GET /healthz HTTP/1.-5\r\nHost: x\r\n\r\n" HIDDEN, 400, "HTTP/1.1 or HTTP/1.0"),
	V("HTTP/1.10", "GET /healthz HTTP/1.10\r\nHost: x\r\n\r\n" HIDDEN, 400, "HTTP/1.1 or HTTP/1.0"),
	V("HTTP/2.0", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n" HIDDEN, 400, "HTTP/1.1 or HTTP/1.0"),
#undef V
};

START_TEST(test_smuggling_vectors)
{
	const struct vector *v = &vectors[_i];
	struct answer a;
	exchange(v->bytes, v->len, 0, &a);
	assert_refused_last(&a, 1, v->status, v->detail, v->name);
	answer_free(&a);
}
END_TEST

START_TEST(test_vectors_in_pieces)
{
	/* However the bytes are cut, the verdict is the same. */
	const struct vector *v = &vectors[_i];
	struct answer a;
	exchange(v->bytes, v->len, 1 + (size_t)_i % 7, &a);
	assert_refused_last(&a, 1, v->status, v->detail, v->name);
	answer_free(&a);
}
END_TEST

START_TEST(test_pipelined_pair)
{
	/* Well-formed: a body, then a request right after it, in one write; both answered, in order. */
	static const char pair[] = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 34\r\n\r\n" HIDDEN
				   "GET /api/v1/sectors HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct answer a;
	exchange(pair, sizeof pair - 1, 0, &a);
	ck_assert_msg(a.count == 2 && a.status[0] == 405 && a.status[1] == 200,
		      "a pipelined pair got %d responses (%d, %d): %.400s", a.count, a.status[0], a.status[1], a.bytes);
	ck_assert(a.closed);
	answer_free(&a);
	exchange(pair, sizeof pair - 1, 5, &a);
	ck_assert_msg(a.count == 2 && a.status[1] == 200, "in pieces: %d responses: %.400s", a.count, a.bytes);
	answer_free(&a);
}
END_TEST

START_TEST(test_bad_head_behind_good_ones)
{
	/*
	 * The first request waits on the database while the refused head is
	 * already buffered: the good ones are answered first, then the refusal,
	 * and nothing of what followed it.
	 */
	static const char three[] = "GET /api/v1/provinces HTTP/1.1\r\nHost: x\r\n\r\n"
				    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
				    "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
				    "Content-Length: 34\r\n\r\n" HIDDEN;
	struct answer a;
	exchange(three, sizeof three - 1, 0, &a);
	assert_refused_last(&a, 3, 400, "more than once", "a refused head behind two good ones");
	ck_assert_int_eq(a.status[0], 200);
	ck_assert_int_eq(a.status[1], 200);
	ck_assert_msg(strstr(a.bytes + a.body[0], "quang-tri") != NULL, "the first answer is not the provinces");
	answer_free(&a);
}
END_TEST

START_TEST(test_version_not_echoed)
{
	static const char *const versions[] = {"HTTP/1.-5", "HTTP/1.10", "HTTP/1.2", "HTTP/0.9", "HTTP/9.9"};
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		char req[128];
		int n = snprintf(req, sizeof req, "GET /healthz %s\r\nHost: x\r\n\r\n", versions[i]);
		struct answer a;
		exchange(req, (size_t)n, 0, &a);
		ck_assert_msg(strncmp(a.bytes, "HTTP/1.1 400 ", 13) == 0, "%s: %.400s", versions[i], a.bytes);
		assert_refused_last(&a, 1, 400, "HTTP/1.1 or HTTP/1.0", versions[i]);
		ck_assert_msg(strstr(a.bytes, versions[i]) == NULL, "%s is echoed: %.400s", versions[i], a.bytes);
		answer_free(&a);
	}
	/* HTTP/1.0 is still served, and answered as such. */
	struct answer a;
	exchange("GET /healthz HTTP/1.0\r\n\r\n", 25, 0, &a);
	ck_assert_msg(a.count == 1 && a.status[0] == 200, "HTTP/1.0: %.400s", a.bytes);
	answer_free(&a);
}
END_TEST

int main(void)
{
	static const char *const env[] = {"MARKETPLACE_HEADER_TIMEOUT_MS=2000", NULL};
	Suite *s = suite_create("integration_request_framing");
	TCase *tc = tcase_create("framing");
	tcase_set_timeout(tc, 60);
	int n = (int)(sizeof vectors / sizeof vectors[0]);
	tcase_add_loop_test(tc, test_smuggling_vectors, 0, n);
	tcase_add_loop_test(tc, test_vectors_in_pieces, 0, n);
	tcase_add_test(tc, test_pipelined_pair);
	tcase_add_test(tc, test_bad_head_behind_good_ones);
	tcase_add_test(tc, test_version_not_echoed);
	suite_add_tcase(s, tc);
	return api_run(s, env);
}
