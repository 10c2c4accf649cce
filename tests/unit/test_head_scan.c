/*
 * head_scan: the method, path and body length of a head fed whole, byte by
 * byte and in pieces; the end of the head found exactly (the body and the
 * next request left unread); and heads it cannot read, which must leave the
 * results unknown rather than wrong.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "head_scan.h"
#include "check_run.h"

static struct head_scan s;

/* Feeds text in pieces of `step` bytes (0: whole); returns the bytes used. */
static size_t feed(const char *text, size_t step)
{
	head_scan_start(&s);
	size_t len = strlen(text), used = 0;
	if (step == 0)
		step = len;
	for (size_t at = 0; at < len && !s.done; at += step) {
		size_t n = len - at < step ? len - at : step;
		used += head_scan_feed(&s, text + at, n);
	}
	return used;
}

static const char post[] = "POST /api/v1/auth/login?x=1 HTTP/1.1\r\n"
			   "Host: localhost\r\n"
			   "content-length:  42 \r\n"
			   "Content-Type: application/json\r\n"
			   "\r\n";

START_TEST(whole_and_in_pieces)
{
	static const size_t steps[] = {0, 1, 2, 7, 64};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "%s{\"email\"", post);
		size_t used = feed(text, steps[i]);
		ck_assert_msg(s.done, "step %zu: the head did not end", steps[i]);
		ck_assert_uint_eq(used, strlen(post));
		ck_assert_str_eq(s.method, "POST");
		ck_assert_str_eq(s.path, "/api/v1/auth/login");
		ck_assert_int_eq(s.content_length, 42);
		ck_assert(!s.transfer_encoding);
	}
}
END_TEST

START_TEST(bare_lf_and_no_body)
{
	ck_assert_uint_eq(feed("GET /healthz HTTP/1.1\nHost: x\n\nGET /next", 0), 31);
	ck_assert(s.done);
	ck_assert_str_eq(s.method, "GET");
	ck_assert_str_eq(s.path, "/healthz");
	ck_assert_int_eq(s.content_length, HEAD_SCAN_NO_LENGTH);
}
END_TEST

START_TEST(unfinished_head)
{
	ck_assert_uint_eq(feed("PATCH /api/v1/organizations/1 HTTP/1.1\r\nContent-Length: 5\r\n", 3), 59);
	ck_assert(!s.done);
	ck_assert_str_eq(s.path, "/api/v1/organizations/1");
	ck_assert_int_eq(s.content_length, 5);
}
END_TEST

START_TEST(transfer_encoding)
{
	feed("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0);
	ck_assert(s.done && s.transfer_encoding);
	feed("POST /x HTTP/1.1\r\nTRANSFER-ENCODING: gzip, chunked\r\nContent-Length: 3\r\n\r\n", 5);
	ck_assert(s.done && s.transfer_encoding);
	ck_assert_int_eq(s.content_length, 3);
}
END_TEST

/* evhttp reads the first Content-Length; anything but digits is unknown, never a smaller number. */
START_TEST(lengths)
{
	static const struct {
		const char *header;
		long long length;
	} cases[] = {
		{"Content-Length: 0", 0},
		{"Content-Length: 1048577", 1048577},
		{"Content-Length: 7\r\nContent-Length: 9000", 7},
		{"Content-Length: +5", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length: -1", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length: 0x10", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length: 5 5", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length:", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length: 99999999999999999999", HEAD_SCAN_BAD_LENGTH},
		{"Content-Length: 5\r\n 000", HEAD_SCAN_BAD_LENGTH}, /* folded */
		{"Content-Length : 5", HEAD_SCAN_NO_LENGTH},         /* another name to evhttp */
		{"X-Content-Length: 5", HEAD_SCAN_NO_LENGTH},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "POST /x HTTP/1.1\r\n%s\r\n\r\n", cases[i].header);
		feed(text, 0);
		ck_assert_msg(s.done, "%s: not done", cases[i].header);
		ck_assert_msg(s.content_length == cases[i].length, "%s: %lld, expected %lld",
			      cases[i].header, s.content_length, cases[i].length);
	}
}
END_TEST

START_TEST(long_lines)
{
	char text[4096];
	/* A long header line is skipped, and what follows is still read. */
	int n = snprintf(text, sizeof text, "POST /a HTTP/1.1\r\nCookie: ");
	memset(text + n, 'c', 2000);
	snprintf(text + n + 2000, sizeof text - (size_t)n - 2000, "\r\nContent-Length: 12\r\n\r\n");
	feed(text, 100);
	ck_assert(s.done);
	ck_assert_str_eq(s.path, "/a");
	ck_assert_int_eq(s.content_length, 12);
	/* A request line too long to keep leaves the path unknown, not cut. */
	n = snprintf(text, sizeof text, "GET /");
	memset(text + n, 'p', HEAD_SCAN_LINE);
	snprintf(text + n + HEAD_SCAN_LINE, sizeof text - (size_t)n - HEAD_SCAN_LINE, " HTTP/1.1\r\n\r\n");
	feed(text, 0);
	ck_assert(s.done);
	ck_assert_str_eq(s.method, "GET");
	ck_assert_str_eq(s.path, "");
}
END_TEST

START_TEST(targets_without_a_path)
{
	feed("GET http://example.vn/healthz HTTP/1.1\r\n\r\n", 0);
	ck_assert_str_eq(s.path, "");
	feed("OPTIONS * HTTP/1.1\r\n\r\n", 0);
	ck_assert_str_eq(s.path, "");
	feed("GET /nothing-after\r\n\r\n", 0); /* no version */
	ck_assert_str_eq(s.path, "");
	feed("VERYLONGMETHODNAME /x HTTP/1.1\r\n\r\n", 0);
	ck_assert_str_eq(s.method, "");
	ck_assert_str_eq(s.path, "");
	feed("GET /p#frag HTTP/1.1\r\n\r\n", 0);
	ck_assert_str_eq(s.path, "/p");
}
END_TEST

START_TEST(finished_scan_uses_nothing)
{
	feed("GET / HTTP/1.1\r\n\r\n", 0);
	ck_assert(s.done);
	ck_assert_uint_eq(head_scan_feed(&s, "GET", 3), 0);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("head_scan");
	TCase *tc = tcase_create("scan");
	tcase_add_test(tc, whole_and_in_pieces);
	tcase_add_test(tc, bare_lf_and_no_body);
	tcase_add_test(tc, unfinished_head);
	tcase_add_test(tc, transfer_encoding);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, targets_without_a_path);
	tcase_add_test(tc, finished_scan_uses_nothing);
	suite_add_tcase(suite, tc);
	return check_run(suite);
}
