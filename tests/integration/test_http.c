/* The HTTP surface of a running server: endpoints, errors, ids, metrics, connections. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "check_run.h"

static struct it_server server;

static void start(const char *const *env) { it_server_start(&server, env); }

static void stop_ok(void)
{
	int rc = it_server_stop(&server);
	ck_assert_msg(rc == 0, "the server exited with status %d, not 0 (a sanitizer report?)", rc);
}

/* GET path, expecting 200 and application/json; returns the parsed body. */
static json_t *get_json(const char *path)
{
	struct it_response r;
	ck_assert_msg(it_get(server.port, path, &r), "no response to GET %s", path);
	ck_assert_msg(r.status == 200, "GET %s: status %d: %.300s", path, r.status, r.body);
	const char *ct = it_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncmp(ct, "application/json", 16) == 0, "GET %s: Content-Type %s",
		      path, ct ? ct : "missing");
	json_t *doc = it_json(&r);
	it_response_free(&r);
	return doc;
}

/* A list document: {"items": [...], "next_cursor": null} with n items. */
static json_t *get_list(const char *path, size_t n)
{
	json_t *doc = get_json(path);
	json_t *items = json_object_get(doc, "items");
	ck_assert_msg(json_is_array(items), "%s: no items array", path);
	ck_assert_msg(json_array_size(items) == n, "%s: %zu items, expected %zu", path,
		      json_array_size(items), n);
	ck_assert_msg(json_is_null(json_object_get(doc, "next_cursor")), "%s: next_cursor is not null", path);
	return doc;
}

static const char *str_field(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	ck_assert_msg(v != NULL, "field %s is missing or not a string", key);
	return v;
}

static json_t *find_by(json_t *items, const char *key, const char *value)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *v = json_string_value(json_object_get(it, key));
		if (v != NULL && strcmp(v, value) == 0)
			return it;
	}
	ck_abort_msg("no item with %s = %s", key, value);
	return NULL;
}

START_TEST(test_healthz_readyz)
{
	start(NULL);
	json_t *doc = get_json("/healthz");
	ck_assert_str_eq(str_field(doc, "status"), "ok");
	json_decref(doc);
	doc = get_json("/readyz");
	ck_assert_str_eq(str_field(doc, "status"), "ready");
	json_decref(doc);
	stop_ok();
}
END_TEST

START_TEST(test_provinces)
{
	start(NULL);
	json_t *doc = get_list("/api/v1/provinces", 34);
	json_t *items = json_object_get(doc, "items");
	ck_assert_str_eq(str_field(json_array_get(items, 0), "slug"), "ha-noi");
	json_t *qt = find_by(items, "slug", "quang-tri");
	ck_assert_str_eq(str_field(qt, "name_vi"), "Tỉnh Quảng Trị");
	ck_assert_str_eq(str_field(qt, "name_en"), "Quang Tri");
	ck_assert_str_eq(str_field(qt, "type"), "province");
	json_t *from = json_object_get(qt, "formed_from");
	ck_assert_msg(json_is_array(from) && json_array_size(from) == 2, "quang-tri formed_from");
	ck_assert_str_eq(json_string_value(json_array_get(from, 0)), "Quảng Trị");
	ck_assert_str_eq(json_string_value(json_array_get(from, 1)), "Quảng Bình");
	json_t *hue = find_by(items, "slug", "hue");
	ck_assert_str_eq(str_field(hue, "name_vi"), "Thành phố Huế");
	ck_assert_str_eq(str_field(hue, "type"), "city");
	/* Every item is complete and the slugs are unique. */
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(items, i, a)
	{
		str_field(a, "name_vi");
		str_field(a, "name_en");
		ck_assert_msg(json_array_size(json_object_get(a, "formed_from")) >= 1, "item %zu", i);
		json_array_foreach(items, j, b)
		{
			ck_assert_msg(i == j || strcmp(str_field(a, "slug"), str_field(b, "slug")) != 0,
				      "duplicate slug %s", str_field(a, "slug"));
		}
	}
	json_decref(doc);
	stop_ok();
}
END_TEST

/* "2.10" -> 2 * 1000 + 10; a field ("2") sorts before its sectors. */
static long sector_key(const char *code)
{
	char *end;
	long major = strtol(code, &end, 10);
	long minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
	return major * 1000 + minor;
}

START_TEST(test_sectors)
{
	start(NULL);
	json_t *doc = get_list("/api/v1/sectors", 48);
	json_t *items = json_object_get(doc, "items");
	size_t i, roots = 0, pos_29 = 0, pos_210 = 0;
	long previous = -1;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *code = str_field(it, "code");
		str_field(it, "name_en");
		str_field(it, "name_vi");
		json_t *parent = json_object_get(it, "parent");
		ck_assert_msg(parent != NULL, "sector %s has no parent field", code);
		if (json_is_null(parent)) {
			roots++;
			ck_assert_msg(strchr(code, '.') == NULL, "sector %s has no parent", code);
		} else {
			const char *p = json_string_value(parent);
			ck_assert_msg(p != NULL && strncmp(code, p, strlen(p)) == 0 && code[strlen(p)] == '.',
				      "sector %s has parent %s", code, p ? p : "?");
		}
		ck_assert_msg(sector_key(code) > previous, "sector %s is out of numeric order", code);
		previous = sector_key(code);
		if (strcmp(code, "2.9") == 0)
			pos_29 = i;
		if (strcmp(code, "2.10") == 0)
			pos_210 = i;
	}
	ck_assert_uint_eq(roots, 6);
	ck_assert_msg(pos_29 > 0 && pos_210 == pos_29 + 1, "2.9 at %zu, 2.10 at %zu", pos_29, pos_210);
	json_t *s = find_by(items, "code", "2.10");
	ck_assert_str_eq(str_field(s, "name_vi"), "Công nghệ nano");
	ck_assert_str_eq(str_field(s, "name_en"), "Nano-technology");
	ck_assert_str_eq(str_field(s, "parent"), "2");
	s = find_by(items, "code", "2.2");
	ck_assert_str_eq(str_field(s, "name_vi"), "Kỹ thuật điện, điện tử, thông tin");
	s = find_by(items, "code", "1");
	ck_assert_str_eq(str_field(s, "name_vi"), "Khoa học tự nhiên");
	json_decref(doc);
	stop_ok();
}
END_TEST

START_TEST(test_plan_tasks)
{
	start(NULL);
	json_t *doc = get_list("/api/v1/plan/tasks", 5);
	json_t *items = json_object_get(doc, "items");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		json_t *no = json_object_get(it, "no");
		ck_assert_msg(json_is_integer(no) && json_integer_value(no) == (json_int_t)i + 1,
			      "item %zu: no", i);
		str_field(it, "title_vi");
		str_field(it, "title_en");
		ck_assert_str_eq(str_field(it, "period"), "2023-2030");
		ck_assert_msg(json_array_size(json_object_get(it, "units")) >= 1, "item %zu: units", i);
	}
	json_t *first = json_array_get(items, 0);
	ck_assert_str_eq(str_field(first, "plan_section"), "II.1");
	ck_assert_str_eq(str_field(first, "title_vi"),
			 "Tổ chức tuyên truyền, quán triệt đến toàn thể công chức, viên chức, người lao "
			 "động thực hiện Chương trình hành động số 59-CTr/TU thực hiện Nghị quyết số "
			 "29-NQ/TU ngày 17/11/2022");
	json_t *units = json_object_get(first, "units");
	ck_assert_uint_eq(json_array_size(units), 2);
	ck_assert_str_eq(json_string_value(json_array_get(units, 0)), "Văn phòng");
	ck_assert_str_eq(json_string_value(json_array_get(units, 1)), "Trung tâm Nghiên cứu, CGCN&ĐMST");
	json_decref(doc);
	stop_ok();
}
END_TEST

START_TEST(test_openapi)
{
	start(NULL);
	json_t *doc = get_json("/api/v1/openapi.json");
	ck_assert_str_eq(str_field(doc, "openapi"), "3.1.0");
	json_t *paths = json_object_get(doc, "paths");
	static const char *const expected[] = {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json",
					       "/api/v1/provinces", "/api/v1/sectors", "/api/v1/plan/tasks"};
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		json_t *item = json_object_get(paths, expected[i]);
		ck_assert_msg(json_is_object(json_object_get(item, "get")), "the spec has no GET %s",
			      expected[i]);
	}
	json_decref(doc);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(test_not_found)
{
	start(NULL);
	struct it_response r;
	ck_assert(it_get(server.port, "/api/v1/nothing-here", &r));
	it_assert_problem(&r, 404);
	/* The problem names the request it answers. */
	json_t *p = it_json(&r);
	const char *id = it_header(&r, "X-Request-Id");
	ck_assert_msg(id != NULL, "404 without X-Request-Id");
	ck_assert_str_eq(str_field(p, "request_id"), id);
	json_decref(p);
	it_response_free(&r);
	stop_ok();
}
END_TEST

START_TEST(test_method_not_allowed)
{
	start(NULL);
	struct it_response r;
	ck_assert(it_http(server.port, "DELETE", "/api/v1/provinces", NULL, NULL, 0, &r));
	it_assert_problem(&r, 405);
	const char *allow = it_header(&r, "Allow");
	ck_assert_msg(allow != NULL && strcmp(allow, "GET") == 0, "Allow is %s", allow ? allow : "missing");
	it_response_free(&r);
	stop_ok();
}
END_TEST

START_TEST(test_body_too_large)
{
	/* A route that reads a JSON body, so the limit is met where it matters. */
	start(NULL);
	size_t n = 1100000;
	char *body = malloc(n);
	ck_assert(body != NULL);
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct it_response r;
	bool answered = it_http(server.port, "POST", "/api/v1/auth/login", headers, body, n, &r);
	free(body);
	ck_assert_msg(answered, "no response to a 1.1 MB body");
	it_assert_problem(&r, 413);
	it_response_free(&r);
	stop_ok();
}
END_TEST

/* Hand-written bytes that evhttp itself refuses must still get a problem+json answer. */
static void assert_raw_problem(const char *bytes, int status)
{
	start(NULL);
	struct it_response r;
	ck_assert_msg(it_raw(server.port, bytes, strlen(bytes), &r), "no response to %s", bytes);
	it_assert_problem(&r, status);
	it_response_free(&r);
	stop_ok();
}

START_TEST(test_malformed_request)
{
	assert_raw_problem("GARBAGE\r\n\r\n", 400);
}
END_TEST

START_TEST(test_unknown_method)
{
	assert_raw_problem("BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n", 501);
}
END_TEST

/*
 * The server reads at most 16 KiB of request line and headers
 * (MAX_HEADER_BYTES in http_server.c).  Past that, the framing check
 * (framing.c) refuses the request with 431 Request Header Fields Too Large,
 * before evhttp would fail it with a 400.
 */
#define HEADERS_TOO_LARGE_STATUS 431

/* "GET /healthz" with `count` X-Filler headers whose values are `size` bytes each (free it). */
static char *request_with_headers(int count, size_t size, size_t *len)
{
	size_t cap = 128 + (size_t)count * (size + 32);
	char *req = malloc(cap);
	ck_assert(req != NULL);
	size_t n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
	for (int i = 0; i < count; i++) {
		n += (size_t)snprintf(req + n, cap - n, "X-Filler-%d: ", i);
		memset(req + n, 'a', size);
		n += size;
		memcpy(req + n, "\r\n", 2);
		n += 2;
	}
	static const char end[] = "Connection: close\r\n\r\n";
	memcpy(req + n, end, sizeof end - 1);
	*len = n + sizeof end - 1;
	return req;
}

/* Sends such a request on a fresh connection; fails the test if nothing answers. */
static void send_headers(int count, size_t size, struct it_response *r)
{
	size_t len;
	char *req = request_with_headers(count, size, &len);
	bool answered = it_raw(server.port, req, len, r);
	free(req);
	ck_assert_msg(answered, "no response to %zu bytes of headers (%d of %zu bytes)", len, count, size);
}

START_TEST(test_headers_too_large)
{
	start(NULL);
	struct it_response r;
	/* Under the limit: 12 KiB of headers are served. */
	send_headers(12, 1024, &r);
	ck_assert_msg(r.status == 200, "12 KiB of headers: status %d", r.status);
	it_response_free(&r);
	/* Over it, in one header line and in many. */
	send_headers(1, 20 * 1024, &r);
	it_assert_problem(&r, HEADERS_TOO_LARGE_STATUS);
	it_response_free(&r);
	send_headers(20, 1024, &r);
	it_assert_problem(&r, HEADERS_TOO_LARGE_STATUS);
	it_response_free(&r);
	/* The server is unharmed. */
	json_t *doc = get_json("/healthz");
	json_decref(doc);
	doc = get_list("/api/v1/sectors", 48);
	json_decref(doc);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ request ids */

static bool is_uuid_v4(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* GET path with the given X-Request-Id header line (or none); returns the id sent back (free it). */
static char *id_for(const char *path, const char *header_line)
{
	const char *headers[] = {header_line, NULL};
	struct it_response r;
	ck_assert(it_http(server.port, "GET", path, header_line ? headers : NULL, NULL, 0, &r));
	const char *id = it_header(&r, "X-Request-Id");
	char *copy = id ? strdup(id) : NULL;
	it_response_free(&r);
	ck_assert_msg(copy != NULL, "GET %s: no X-Request-Id", path);
	return copy;
}

START_TEST(test_request_id)
{
	start(NULL);
	char *id = id_for("/healthz", "X-Request-Id: abc-DEF_123.x");
	ck_assert_str_eq(id, "abc-DEF_123.x");
	free(id);
	id = id_for("/api/v1/sectors", "X-Request-Id: trace.42");
	ck_assert_str_eq(id, "trace.42");
	free(id);
	/* 64 characters are kept, 65 are not. */
	char line[128], sixty_four[65];
	memset(sixty_four, 'a', 64);
	sixty_four[64] = '\0';
	snprintf(line, sizeof line, "X-Request-Id: %s", sixty_four);
	id = id_for("/healthz", line);
	ck_assert_str_eq(id, sixty_four);
	free(id);
	snprintf(line, sizeof line, "X-Request-Id: %sa", sixty_four);
	id = id_for("/healthz", line);
	ck_assert_msg(is_uuid_v4(id), "65-character id replaced by %s, not a UUID v4", id);
	free(id);
	static const char *const rejected[] = {"X-Request-Id: has space", "X-Request-Id: semi;colon",
					       "X-Request-Id: <script>", "X-Request-Id: caf\xc3\xa9"};
	for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
		id = id_for("/healthz", rejected[i]);
		ck_assert_msg(is_uuid_v4(id), "'%s' gave %s, not a fresh UUID v4", rejected[i], id);
		free(id);
	}
	/* Generated when absent, on every routed response (404 and 405 too), and fresh each time. */
	char *a = id_for("/healthz", NULL), *b = id_for("/healthz", NULL);
	char *c = id_for("/nope", NULL);
	ck_assert_msg(is_uuid_v4(a) && is_uuid_v4(b) && is_uuid_v4(c), "%s %s %s", a, b, c);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	free(c);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ metrics */

START_TEST(test_metrics)
{
	start((const char *const[]){"MARKETPLACE_DB_POOL=3", NULL});
	struct it_response r;
	for (int i = 0; i < 3; i++) {
		ck_assert(it_get(server.port, "/api/v1/sectors", &r));
		ck_assert_int_eq(r.status, 200);
		it_response_free(&r);
	}
	for (int i = 0; i < 2; i++) {
		ck_assert(it_get(server.port, "/api/v1/no-such-thing", &r));
		ck_assert_int_eq(r.status, 404);
		it_response_free(&r);
	}
	ck_assert(it_http(server.port, "DELETE", "/api/v1/sectors", NULL, NULL, 0, &r));
	ck_assert_int_eq(r.status, 405);
	it_response_free(&r);
	/* Sectors come from memory: this answer is what proves a pool connection ready. */
	ck_assert(it_get(server.port, "/api/v1/st-tasks", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);

	ck_assert(it_get(server.port, "/metrics", &r));
	ck_assert_int_eq(r.status, 200);
	const char *ct = it_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncmp(ct, "text/plain", 10) == 0, "Content-Type %s", ct ? ct : "-");
	const char *m = r.body;
	double v;
	v = it_metric(m, "marketplace_http_requests_total{method=\"GET\",route=\"/api/v1/sectors\",status=\"200\"}");
	ck_assert_msg(v == 3, "sectors 200 count %g, expected 3\n%s", v, m);
	/* The start-up poll asked /healthz at least once. */
	v = it_metric(m, "marketplace_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}");
	ck_assert_msg(v >= 1, "healthz count %g", v);
	v = it_metric(m, "marketplace_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"}");
	ck_assert_msg(v == 2, "404 count %g, expected 2", v);
	v = it_metric(m, "marketplace_http_requests_total{method=\"GET\",route=\"/api/v1/sectors\",status=\"405\"}");
	double v2 = it_metric(m, "marketplace_http_requests_total{method=\"\",route=\"unmatched\",status=\"405\"}");
	ck_assert_msg(v == 1 || v2 == 1, "the 405 was not counted");
	/* Histogram: +Inf bucket and count agree with the counter. */
	v = it_metric(m, "marketplace_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/sectors\",le=\"+Inf\"}");
	ck_assert_msg(v == 3, "sectors +Inf bucket %g", v);
	v = it_metric(m, "marketplace_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/sectors\"}");
	ck_assert_msg(v == 3, "sectors histogram count %g", v);
	v = it_metric(m, "marketplace_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.001\"}");
	ck_assert_msg(v >= 0, "no le=0.001 bucket for /healthz");
	/* Pool gauges: 2 threads x 3 connections, all accounted for. */
	double idle = it_metric(m, "marketplace_db_pool_connections{state=\"idle\"}");
	double in_use = it_metric(m, "marketplace_db_pool_connections{state=\"in_use\"}");
	double connecting = it_metric(m, "marketplace_db_pool_connections{state=\"connecting\"}");
	ck_assert_msg(idle >= 1 && in_use >= 0 && connecting >= 0 && idle + in_use + connecting == 6,
		      "pool gauges idle %g in_use %g connecting %g (expected a sum of 6)", idle, in_use,
		      connecting);
	v = it_metric(m, "marketplace_db_errors_total{kind=\"unavailable\"}");
	ck_assert_msg(v == 0, "unavailable errors %g on a healthy database", v);
	it_response_free(&r);
	stop_ok();
}
END_TEST

/* ------------------------------------------------------------ connections */

/*
 * Waits until the server closes fd (recv gives 0 or ECONNRESET; bytes before
 * the close, such as an error page, are read and ignored), at most until
 * `until` (it_now() clock).  Returns the time of the close, or -1.
 */
static double wait_closed(int fd, double until)
{
	for (double left; (left = until - it_now()) > 0;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		char buf[512];
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return it_now();
	}
	return -1;
}

/*
 * Sends one header byte every 200 ms on fd (whose request line is sent) until
 * the server closes it or 4 s pass.  After the second byte, times a /healthz
 * on another connection into *other_ms.  Returns the time of the close or -1.
 */
static double trickle_headers(int fd, size_t *sent, double *other_ms)
{
	static const char header[] = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	double t0 = it_now();
	*sent = 0;
	*other_ms = -1;
	while (*sent < sizeof header - 1 && it_now() - t0 < 4.0) {
		if (send(fd, &header[*sent], 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
			ck_assert_msg(errno == EPIPE || errno == ECONNRESET, "send: %s", strerror(errno));
			return it_now();
		}
		(*sent)++;
		if (*sent == 2) {
			struct it_response r;
			double t = it_now();
			ck_assert(it_get(server.port, "/healthz", &r));
			*other_ms = (it_now() - t) * 1000;
			ck_assert_int_eq(r.status, 200);
			it_response_free(&r);
		}
		double closed = wait_closed(fd, t0 + 0.2 * (double)*sent);
		if (closed > 0)
			return closed;
	}
	return -1;
}

static const char *const header_timeout_1s[] = {"MARKETPLACE_HEADER_TIMEOUT_MS=1000", NULL};

START_TEST(test_slow_header_client)
{
	start(header_timeout_1s);
	int fd = it_connect(server.port, 5000);
	ck_assert(fd >= 0);
	static const char line[] = "GET /healthz HTTP/1.1\r\n";
	double t0 = it_now();
	ck_assert(it_send_all(fd, line, sizeof line - 1));
	size_t sent;
	double other_ms;
	double closed = trickle_headers(fd, &sent, &other_ms);
	close(fd);
	ck_assert_msg(other_ms >= 0 && other_ms < 500, "another client waited %.0f ms for /healthz", other_ms);
	ck_assert_msg(closed > 0, "the server kept a connection open for %.1f s while its headers "
				  "trickled in (header timeout 1000 ms)", it_now() - t0);
	ck_assert_msg(closed - t0 >= 0.8 && closed - t0 <= 3.0, "closed after %.2f s, expected about 1 s",
		      closed - t0);
	ck_assert_msg(sent >= 4, "only %zu header bytes were sent before the close", sent);
	stop_ok();
}
END_TEST

START_TEST(test_slow_second_request)
{
	/* The deadline restarts with each response: a slow second request is cut off too. */
	start(header_timeout_1s);
	int fd = it_connect(server.port, 5000);
	ck_assert(fd >= 0);
	struct it_response r;
	ck_assert(it_send_request(fd, "GET", "/healthz", NULL, NULL, 0, false));
	ck_assert(it_read_response(fd, &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	double t0 = it_now();
	it_sleep_ms(300);
	static const char line[] = "GET /healthz HTTP/1.1\r\n";
	ck_assert(it_send_all(fd, line, sizeof line - 1));
	size_t sent;
	double other_ms;
	double closed = trickle_headers(fd, &sent, &other_ms);
	close(fd);
	ck_assert_msg(closed > 0, "a slow second request kept its connection for %.1f s", it_now() - t0);
	ck_assert_msg(closed - t0 >= 0.8 && closed - t0 <= 3.0,
		      "closed %.2f s after the first response, expected about 1 s", closed - t0);
	stop_ok();
}
END_TEST

START_TEST(test_silent_client)
{
	/* "within this many ms of opening": a connection that never sends a byte is closed too. */
	start(header_timeout_1s);
	int fd = it_connect(server.port, 5000);
	ck_assert(fd >= 0);
	double t0 = it_now();
	double closed = wait_closed(fd, t0 + 4.0);
	close(fd);
	ck_assert_msg(closed > 0, "a connection that sent nothing was still open after 4 s "
				  "(MARKETPLACE_HEADER_TIMEOUT_MS=1000)");
	ck_assert_msg(closed - t0 >= 0.8 && closed - t0 <= 3.0, "closed after %.2f s, expected about 1 s",
		      closed - t0);
	stop_ok();
}
END_TEST

START_TEST(test_keep_alive)
{
	start(NULL);
	int fd = it_connect(server.port, 5000);
	ck_assert(fd >= 0);
	struct it_response a, b;
	ck_assert(it_send_request(fd, "GET", "/healthz", NULL, NULL, 0, false));
	ck_assert_msg(it_read_response(fd, &a), "no first response");
	ck_assert_int_eq(a.status, 200);
	const char *conn = it_header(&a, "Connection");
	ck_assert_msg(conn == NULL || strcasecmp(conn, "close") != 0, "the server closes after one request");
	ck_assert(it_send_request(fd, "GET", "/api/v1/plan/tasks", NULL, NULL, 0, false));
	ck_assert_msg(it_read_response(fd, &b), "no second response on the same connection");
	ck_assert_int_eq(b.status, 200);
	ck_assert_msg(strstr(b.body, "\"items\"") != NULL, "second body: %.200s", b.body);
	ck_assert_str_ne(it_header(&a, "X-Request-Id"), it_header(&b, "X-Request-Id"));
	it_response_free(&a);
	it_response_free(&b);
	close(fd);
	stop_ok();
}
END_TEST

/* it_server_start's 2 threads, each with the default pool of 4 connections. */
#define SERVER_CONNECTIONS (2 * 4)

/* Waits until the server has `connections` database connections ready; fails after 10 s. */
static void wait_pool_ready(int connections)
{
	double t0 = it_now();
	for (;;) {
		struct it_response r;
		ck_assert_msg(it_get(server.port, "/metrics", &r), "no response to GET /metrics");
		double ready = it_metric(r.body, "marketplace_db_pool_connections{state=\"idle\"}") +
			       it_metric(r.body, "marketplace_db_pool_connections{state=\"in_use\"}");
		it_response_free(&r);
		if (ready == connections)
			return;
		ck_assert_msg(it_now() - t0 < 10.0, "%g of the server's %d database connections ready after 10 s",
			      ready, connections);
		it_sleep_ms(20);
	}
}

/*
 * Holds an ACCESS EXCLUSIVE lock on st_tasks in an open transaction, once the
 * server's `connections` connections are ready.  One still preparing its
 * statements would block on the lock, be taken for the request's query by
 * st_tasks_blocked, or fail its preparation under a short query timeout.
 */
static PGconn *lock_st_tasks(int connections)
{
	wait_pool_ready(connections);
	PGconn *pg = it_pg_connect(it_db_url());
	it_pg_exec(pg, "BEGIN");
	it_pg_exec(pg, "LOCK TABLE st_tasks IN ACCESS EXCLUSIVE MODE");
	return pg;
}

/* Sends GET /api/v1/st-tasks on a new connection and waits until its query is queued behind the lock. */
static int st_tasks_blocked(PGconn *watcher)
{
	int fd = it_connect(server.port, 15000);
	ck_assert(fd >= 0);
	ck_assert(it_send_request(fd, "GET", "/api/v1/st-tasks", NULL, NULL, 0, true));
	double t0 = it_now();
	while (it_pg_long(watcher, "SELECT count(*) FROM pg_locks WHERE NOT granted"
				   " AND relation = 'st_tasks'::regclass") < 1) {
		ck_assert_msg(it_now() - t0 < 5, "the request never reached the database");
		it_sleep_ms(20);
	}
	return fd;
}

/*
 * After SIGTERM: waits until connecting is refused, that is until every
 * worker has closed its listener and is draining.  Fails after 2 s, well
 * before the default 5 s query timeout would end a request blocked by
 * lock_st_tasks and let the drain finish.
 */
static void wait_refused(void)
{
	double t0 = it_now();
	for (int fd; (fd = it_connect(server.port, 1000)) >= 0;) {
		close(fd);
		ck_assert_msg(it_now() - t0 < 2.0, "the server still accepts connections %.1f s after SIGTERM",
			      it_now() - t0);
		it_sleep_ms(10);
	}
}

/*
 * For ms milliseconds, the server must keep draining: neither exit nor
 * answer or close fd, whose request is blocked.  This checks that something
 * does NOT happen, hence a window; it spans many of the server's 20 ms drain
 * ticks, and any exit or byte ends it with a failure at once.
 */
static void assert_still_draining(int fd, int ms)
{
	double t0 = it_now(), until = t0 + ms / 1000.0;
	while (it_now() < until) {
		int status;
		ck_assert_msg(waitpid(server.pid, &status, WNOHANG) == 0,
			      "the server exited %.0f ms into its drain with a request in flight",
			      (it_now() - t0) * 1000);
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 10) == 0)
			continue;
		char got[64] = "";
		ssize_t n = recv(fd, got, sizeof got - 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0)
			got[strcspn(got, "\r\n")] = '\0';
		ck_abort_msg("the blocked request was %s %.0f ms into the drain%s%s",
			     n > 0 ? "answered" : "closed", (it_now() - t0) * 1000, n > 0 ? ": " : "",
			     n > 0 ? got : "");
	}
}

START_TEST(test_graceful_shutdown)
{
	start(NULL);
	PGconn *locker = lock_st_tasks(SERVER_CONNECTIONS);
	PGconn *watcher = it_pg_connect(it_db_url());
	int fd = st_tasks_blocked(watcher);
	ck_assert_int_eq(kill(server.pid, SIGTERM), 0);
	wait_refused();
	assert_still_draining(fd, 300);
	it_pg_exec(locker, "ROLLBACK");

	struct it_response r;
	bool answered = it_read_response(fd, &r);
	close(fd);
	PQfinish(locker);
	PQfinish(watcher);
	ck_assert_msg(answered, "the in-flight request got no response during shutdown");
	ck_assert_msg(r.status == 200, "in-flight request: status %d: %.200s", r.status, r.body);
	json_t *doc = it_json(&r);
	ck_assert(json_is_array(json_object_get(doc, "items")));
	json_decref(doc);
	it_response_free(&r);
	int rc = it_wait_exit(server.pid, 15000);
	server.pid = -1;
	ck_assert_msg(rc == 0, "the server exited with status %d after SIGTERM", rc);
}
END_TEST

START_TEST(test_keep_alive_after_sigterm)
{
	/*
	 * One worker, so the kept-alive connection and the request in flight
	 * share its drain.  With two, the other worker would have nothing in
	 * flight, stop at once and close the kept-alive connection, unanswered.
	 */
	start((const char *const[]){"MARKETPLACE_THREADS=1", "MARKETPLACE_DB_POOL=2", NULL});
	int kept = it_connect(server.port, 5000);
	ck_assert(kept >= 0);
	struct it_response r;
	ck_assert(it_send_request(kept, "GET", "/healthz", NULL, NULL, 0, false));
	ck_assert_msg(it_read_response(kept, &r), "no first response on the kept-alive connection");
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);

	PGconn *locker = lock_st_tasks(2);
	PGconn *watcher = it_pg_connect(it_db_url());
	int slow = st_tasks_blocked(watcher);
	ck_assert_int_eq(kill(server.pid, SIGTERM), 0);
	wait_refused();

	ck_assert(it_send_request(kept, "GET", "/healthz", NULL, NULL, 0, false));
	bool answered = it_read_response(kept, &r);
	double closed = answered ? wait_closed(kept, it_now() + 5.0) : -1;
	close(kept);
	ck_assert_msg(answered, "a request on a kept-alive connection got no answer during the drain");
	it_assert_problem(&r, 503);
	const char *conn = it_header(&r, "Connection");
	ck_assert_msg(conn != NULL && strcasecmp(conn, "close") == 0, "Connection: %s, not close",
		      conn ? conn : "(missing)");
	ck_assert_msg(it_header(&r, "Retry-After") != NULL, "503 without Retry-After");
	ck_assert_msg(closed > 0, "the connection stayed open after \"Connection: close\"");
	it_response_free(&r);

	/* The request in flight still completes, then the server exits. */
	it_pg_exec(locker, "ROLLBACK");
	answered = it_read_response(slow, &r);
	close(slow);
	PQfinish(locker);
	PQfinish(watcher);
	ck_assert_msg(answered, "the in-flight request got no response during shutdown");
	ck_assert_msg(r.status == 200, "in-flight request: status %d: %.200s", r.status, r.body);
	it_response_free(&r);
	int rc = it_wait_exit(server.pid, 15000);
	server.pid = -1;
	ck_assert_msg(rc == 0, "the server exited with status %d after SIGTERM", rc);
}
END_TEST

START_TEST(test_query_timeout_503)
{
	start((const char *const[]){"MARKETPLACE_QUERY_TIMEOUT_MS=300", NULL});
	PGconn *locker = lock_st_tasks(SERVER_CONNECTIONS);
	double t0 = it_now();
	struct it_response r;
	bool answered = it_get(server.port, "/api/v1/st-tasks", &r);
	double took = it_now() - t0;
	PQfinish(locker);
	ck_assert_msg(answered, "no response to a query that times out");
	it_assert_problem(&r, 503);
	ck_assert_msg(it_header(&r, "Retry-After") != NULL, "503 without Retry-After");
	ck_assert_msg(took < 2.0, "a 300 ms query timeout answered after %.2f s", took);
	it_response_free(&r);
	/* And the server is fine afterwards. */
	ck_assert(it_get(server.port, "/api/v1/st-tasks", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	stop_ok();
}
END_TEST

START_TEST(test_shutdown_timeout)
{
	/* A request stuck longer than MARKETPLACE_SHUTDOWN_TIMEOUT_MS does not hold the exit. */
	start((const char *const[]){"MARKETPLACE_SHUTDOWN_TIMEOUT_MS=500", NULL});
	PGconn *locker = lock_st_tasks(SERVER_CONNECTIONS);
	PGconn *watcher = it_pg_connect(it_db_url());
	int fd = st_tasks_blocked(watcher);
	double t0 = it_now();
	ck_assert_int_eq(kill(server.pid, SIGTERM), 0);
	int rc = it_wait_exit(server.pid, 5000);
	double took = it_now() - t0;
	server.pid = -1;
	it_pg_exec(locker, "ROLLBACK");
	PQfinish(locker);
	PQfinish(watcher);
	/* The stuck request gets its 503 at the deadline, written before the connection closes. */
	struct it_response r;
	bool answered = it_read_response(fd, &r);
	close(fd);
	ck_assert_msg(answered, "the request stuck at the shutdown deadline got no answer (reset or closed)");
	it_assert_problem(&r, 503);
	ck_assert_msg(it_header(&r, "Retry-After") != NULL, "503 without Retry-After");
	it_response_free(&r);
	ck_assert_msg(rc == 0, "exit status %d after SIGTERM with a stuck request", rc);
	ck_assert_msg(took < 3.0, "took %.2f s to exit with a 500 ms shutdown timeout", took);
}
END_TEST

/* ------------------------------------------------------------ a backend that stops answering */

/*
 * A SIGSTOPped backend keeps its socket open and answers nothing, so its
 * statement_timeout cannot fire: only the pool's own deadline ends the
 * request.  The server's connections are named SILENT_PREFIX..., by which
 * the unchecked teardown resumes them whatever became of the test.
 */
#define SILENT_PREFIX "it-silent-"

static void resume_silenced(void) { it_backends_resume(SILENT_PREFIX); }

START_TEST(test_silent_backend_503)
{
	/* One worker with one connection: the request below needs the backend we stop. */
	char name[64];
	snprintf(name, sizeof name, SILENT_PREFIX "http-%ld", (long)getpid());
	char *conninfo = it_conninfo_app(name);
	size_t len = strlen(conninfo) + 32;
	char *url = malloc(len);
	ck_assert(url != NULL);
	snprintf(url, len, "MARKETPLACE_DATABASE_URL=%s", conninfo);
	free(conninfo);
	start((const char *const[]){url, "MARKETPLACE_THREADS=1", "MARKETPLACE_DB_POOL=1",
				    "MARKETPLACE_QUERY_TIMEOUT_MS=1000", NULL});
	free(url);
	struct it_response r;
	ck_assert(it_get(server.port, "/api/v1/st-tasks", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);

	/* The migrations' connection had the same name: wait until the pool's is the only one. */
	PGconn *watch = it_pg_connect(it_db_url());
	int pids[4], n;
	double t0 = it_now();
	while ((n = it_pg_backend_pids(watch, name, pids, 4)) != 1) {
		ck_assert_msg(it_now() - t0 < 5.0, "%d backends named %s, expected the pool's one", n, name);
		it_sleep_ms(20);
	}
	int silent = pids[0];
	it_backend_stop(silent);

	/* The S&T tasks route reads the database on every request. */
	int fd = it_connect(server.port, 4000); /* the query timeout and 3 s more */
	ck_assert(fd >= 0);
	t0 = it_now();
	ck_assert(it_send_request(fd, "GET", "/api/v1/st-tasks", NULL, NULL, 0, true));
	bool answered = it_read_response(fd, &r);
	double took = it_now() - t0;
	close(fd);
	kill(silent, SIGCONT);
	ck_assert_msg(answered, "no answer within %.1f s to a request whose backend stopped answering "
				"(query timeout 1 s)", took);
	it_assert_problem(&r, 503);
	ck_assert_msg(it_header(&r, "Retry-After") != NULL, "503 without Retry-After");
	ck_assert_msg(took >= 0.9 && took <= 2.5, "answered after %.2f s with a 1 s query timeout", took);
	it_response_free(&r);

	/* Service resumes without a restart (503s while the connection is re-made). */
	t0 = it_now();
	for (;;) {
		ck_assert(it_get(server.port, "/api/v1/st-tasks", &r));
		if (r.status == 200)
			break;
		it_assert_problem(&r, 503);
		it_response_free(&r);
		ck_assert_msg(it_now() - t0 < 5.0, "the server still answers 503 5 s after the timeout");
		it_sleep_ms(20);
	}
	it_response_free(&r);
	PQfinish(watch);
	stop_ok();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_http");
	TCase *tc = tcase_create("http");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_healthz_readyz);
	tcase_add_test(tc, test_provinces);
	tcase_add_test(tc, test_sectors);
	tcase_add_test(tc, test_plan_tasks);
	tcase_add_test(tc, test_openapi);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_method_not_allowed);
	tcase_add_test(tc, test_body_too_large);
	tcase_add_test(tc, test_malformed_request);
	tcase_add_test(tc, test_unknown_method);
	tcase_add_test(tc, test_headers_too_large);
	tcase_add_test(tc, test_request_id);
	tcase_add_test(tc, test_metrics);
	tcase_add_test(tc, test_slow_header_client);
	tcase_add_test(tc, test_slow_second_request);
	tcase_add_test(tc, test_silent_client);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_graceful_shutdown);
	tcase_add_test(tc, test_keep_alive_after_sigterm);
	tcase_add_test(tc, test_query_timeout_503);
	tcase_add_test(tc, test_shutdown_timeout);
	suite_add_tcase(s, tc);
	/* Its own case, so its unchecked teardown resumes a stopped backend right after it. */
	TCase *silent = tcase_create("silent_backend");
	tcase_set_timeout(silent, 60);
	tcase_add_unchecked_fixture(silent, NULL, resume_silenced);
	tcase_add_test(silent, test_silent_backend_503);
	suite_add_tcase(s, silent);
	return check_run(s);
}
