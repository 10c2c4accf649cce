/*
 * framing_feed and framing_check_head: well-formed heads pass with their
 * body's length; every request-smuggling building block evhttp 2.1 accepts
 * is refused with its status (400, 411 for chunked bodies, 431 past the
 * size limit) and the offset of the refused line; a bad byte is found at any
 * place in a value (scanned a word at a time); pipelined requests are
 * followed across their bodies; and whatever pieces the bytes arrive in,
 * the verdict is the same as when they arrive at once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "check_run.h"

#define MAX_HEAD 16384

/* The verdict on bytes fed at once; for a refusal, status and the refused line's offset too. */
struct outcome {
	enum framing_verdict verdict;
	size_t used;
	int status;
	uint64_t line_start;
	uint64_t content_length;
};

static struct outcome at_once(const char *bytes, size_t len)
{
	struct framing f;
	struct outcome o = {0};
	o.verdict = framing_check_head(&f, bytes, len, MAX_HEAD, &o.used);
	o.status = o.verdict == FRAMING_REFUSED ? f.status : 0;
	o.line_start = f.line_start;
	o.content_length = f.content_length;
	if (o.verdict == FRAMING_REFUSED)
		ck_assert_msg(f.reason != NULL && strlen(f.reason) > 10, "a refusal without a reason");
	return o;
}

/* The same bytes one at a time must give the same outcome. */
static struct outcome byte_by_byte(const char *bytes, size_t len)
{
	struct framing f;
	struct outcome o = {.verdict = FRAMING_MORE};
	framing_init(&f, MAX_HEAD);
	for (size_t i = 0; i < len && o.verdict == FRAMING_MORE; i++) {
		size_t used;
		o.verdict = framing_feed(&f, bytes + i, 1, &used);
		ck_assert_uint_eq(used, 1);
		o.used++;
	}
	o.status = o.verdict == FRAMING_REFUSED ? f.status : 0;
	o.line_start = f.line_start;
	o.content_length = f.content_length;
	return o;
}

static void expect(const char *bytes, enum framing_verdict verdict, int status)
{
	size_t len = strlen(bytes);
	struct outcome a = at_once(bytes, len), b = byte_by_byte(bytes, len);
	ck_assert_msg(a.verdict == verdict && a.status == status, "%s: verdict %d status %d, expected %d %d",
		      bytes, a.verdict, a.status, verdict, status);
	ck_assert_msg(b.verdict == a.verdict && b.status == a.status && b.used == a.used &&
			      b.line_start == a.line_start && b.content_length == a.content_length,
		      "%s: fed byte by byte, verdict %d status %d used %zu; at once %d %d %zu", bytes, b.verdict,
		      b.status, b.used, a.verdict, a.status, a.used);
}

static void refused(const char *bytes, int status) { expect(bytes, FRAMING_REFUSED, status); }
static void accepted(const char *bytes) { expect(bytes, FRAMING_HEAD, 0); }

START_TEST(well_formed_heads)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct outcome o = at_once(get, strlen(get));
	ck_assert_int_eq(o.verdict, FRAMING_HEAD);
	ck_assert_uint_eq(o.used, strlen(get));
	ck_assert_uint_eq(o.content_length, 0);
	accepted("GET / HTTP/1.0\r\n\r\n");
	accepted("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\n\r\n");
	/* OWS around values, an empty value, obs-text in a value, any token as a name. */
	accepted("GET / HTTP/1.1\r\nHost:x\r\nX-A:\t a b \t\r\nX-Empty:\r\nX-Vi: caf\xc3\xa9\r\n"
		 "!#$%&'*+-.^_`|~09az: v\r\n\r\n");
	accepted("PATCH /api/v1/organizations/1?x=%20 HTTP/1.1\r\nContent-Length:\t007 \r\n\r\n");
	/* An unknown method is evhttp's to answer (501). */
	accepted("BREW / HTTP/1.1\r\nHost: x\r\n\r\n");
	accepted("HEAD / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	/* A head without its blank line yet is just incomplete. */
	expect("GET / HTTP/1.1\r\nHost: x\r\n", FRAMING_MORE, 0);
	expect("GET / HTTP/1.1\r\nHost: x\r\n\r", FRAMING_MORE, 0);
	expect("", FRAMING_MORE, 0);
}
END_TEST

START_TEST(content_length)
{
	static const char max[] = "POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n";
	struct outcome o = at_once(max, strlen(max));
	ck_assert_int_eq(o.verdict, FRAMING_HEAD);
	ck_assert_uint_eq(o.content_length, 9223372036854775807u);
	static const char *const bad[] = {
		"Content-Length: +5",    "Content-Length: -1",  "Content-Length: 0x5",
		"Content-Length: 5 5",   "Content-Length: 5,5", "Content-Length: 5, 5",
		"Content-Length:",       "Content-Length:  ",   "Content-Length: 5a",
		"Content-Length: 1e3",   "Content-Length: 9223372036854775808",
		"Content-Length: \xd9\xa5", /* an Arabic-Indic five */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char head[256];
		snprintf(head, sizeof head, "POST / HTTP/1.1\r\nHost: x\r\n%s\r\n\r\nhello", bad[i]);
		refused(head, 400);
	}
}
END_TEST

START_TEST(smuggling_building_blocks)
{
	/* Each one evhttp 2.1 accepts and a proxy may frame otherwise. */
	refused("POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 23\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\ncontent-length: 5\r\nCONTENT-LENGTH: 5\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nContent-Length : 23\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nContent-Length\t: 23\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nContent-Length: +23\r\n\r\n", 400);
	refused("GET / HTTP/1.1\nHost: x\n\n", 400);
	refused("GET / HTTP/1.1\r\nHost: x\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: x\r\n\n", 400);
	refused("POST / HTTP/1.1\r\nX-A: a\r\n Content-Length: 23\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nX-A: a\r\n\tContent-Length: 23\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\n Content-Length: 23\r\n\r\n", 400);
	refused("HEAD / HTTP/1.1\r\nContent-Length: 23\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
	/* Bare CR, NUL and other controls. */
	refused("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nX-A: a\r\n\rX", 400);
	refused("GET / HTTP/1.1\r\nContent-Length: 5\x01\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n", 400);
	refused("GET /a\x01 HTTP/1.1\r\n\r\n", 400);
	static const char nul_value[] = "GET / HTTP/1.1\r\nContent-Length: 5\0 9\r\n\r\n";
	struct outcome o = at_once(nul_value, sizeof nul_value - 1);
	ck_assert_int_eq(o.verdict, FRAMING_REFUSED);
	ck_assert_int_eq(o.status, 400);
	/* Header names: tokens, then a colon. */
	refused("GET / HTTP/1.1\r\nX(A): 1\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\n: 1\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nX-\xc3\xa9: 1\r\n\r\n", 400);
}
END_TEST

START_TEST(values_word_by_word)
{
	/* Values are scanned eight bytes at a time: a byte anywhere in a word must still be seen. */
	static const unsigned char refused_bytes[] = {0x00, 0x01, 0x0b, 0x1f, 0x7f, '\n'};
	static const unsigned char allowed_bytes[] = {'\t', ' ', 0x80, 0xff, '~', '!'};
	for (size_t len = 1; len <= 40; len++) {
		for (size_t at = 0; at < len; at++) {
			char head[128];
			int n = snprintf(head, sizeof head, "GET / HTTP/1.1\r\nX-Value: ");
			char *value = head + n;
			memset(value, 'v', len);
			memcpy(value + len, "\r\n\r\n", 5);
			for (size_t k = 0; k < sizeof refused_bytes; k++) {
				value[at] = (char)refused_bytes[k];
				struct outcome o = at_once(head, (size_t)n + len + 4);
				ck_assert_msg(o.verdict == FRAMING_REFUSED && o.status == 400,
					      "byte %#x at %zu of a %zu-byte value: verdict %d", refused_bytes[k], at,
					      len, o.verdict);
			}
			for (size_t k = 0; k < sizeof allowed_bytes; k++) {
				value[at] = (char)allowed_bytes[k];
				struct outcome o = at_once(head, (size_t)n + len + 4);
				ck_assert_msg(o.verdict == FRAMING_HEAD, "byte %#x at %zu of a %zu-byte value: verdict %d",
					      allowed_bytes[k], at, len, o.verdict);
			}
		}
	}
}
END_TEST

START_TEST(transfer_encoding)
{
	/* Chunked bodies are refused as a whole (411), "0x" sizes included; other codings are 400. */
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 411);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n\r\n", 411);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunkedchunked\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 400);
}
END_TEST

START_TEST(request_line_and_version)
{
	static const char *const bad_versions[] = {
		"HTTP/1.-5", "HTTP/1.10", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "http/1.1",
		"HTTP/1.1 ", "HTTP/1",    "HTTP/11",  "HTTP/1.1x", "HTTP/+1.1", "",
	};
	for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
		char head[128];
		snprintf(head, sizeof head, "GET / %s\r\nHost: x\r\n\r\n", bad_versions[i]);
		refused(head, 400);
	}
	refused("GET  / HTTP/1.1\r\n\r\n", 400);
	refused("GET /  HTTP/1.1\r\n\r\n", 400);
	refused("GET /a b HTTP/1.1\r\n\r\n", 400);
	refused(" GET / HTTP/1.1\r\n\r\n", 400);
	refused("\r\nGET / HTTP/1.1\r\n\r\n", 400);
	refused("GE\x01T / HTTP/1.1\r\n\r\n", 400);
	refused("GET\t/ HTTP/1.1\r\n\r\n", 400);
	refused("GARBAGE\r\n\r\n", 400);
}
END_TEST

START_TEST(refused_line_offset)
{
	/* The refused line starts where the caller must cut the stream. */
	static const char dup[] = "POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 23\r\n\r\n";
	struct outcome o = at_once(dup, strlen(dup));
	ck_assert_uint_eq(o.line_start, strstr(dup, "Content-Length: 23") - dup);
	ck_assert_uint_eq(o.used, strstr(dup, "Content-Length: 23") - dup + strlen("Content-Length:"));
	static const char chunked[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	o = at_once(chunked, strlen(chunked));
	ck_assert_uint_eq(o.line_start, strlen(chunked) - 2); /* the blank line */
	o = at_once("GET / HTTP/1.-5\r\n", 17);
	ck_assert_uint_eq(o.line_start, 0);

	/* Once refused, nothing more is taken. */
	struct framing f;
	size_t used;
	ck_assert_int_eq(framing_check_head(&f, "GET / HTTP/1.1\n", 15, MAX_HEAD, &used), FRAMING_REFUSED);
	ck_assert_int_eq(framing_feed(&f, "\r\n", 2, &used), FRAMING_REFUSED);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(f.offset, 15);
}
END_TEST

/* A head of exactly n bytes: "GET / HTTP/1.1\r\nX: aaa...\r\n\r\n". */
static char *head_of(size_t n)
{
	static const char start[] = "GET / HTTP/1.1\r\nX: ", end[] = "\r\n\r\n";
	size_t fixed = sizeof start - 1 + sizeof end - 1;
	ck_assert(n > fixed);
	char *h = malloc(n + 1);
	ck_assert(h != NULL);
	memcpy(h, start, sizeof start - 1);
	memset(h + sizeof start - 1, 'a', n - fixed);
	memcpy(h + n - (sizeof end - 1), end, sizeof end);
	return h;
}

START_TEST(size_limit)
{
	char *h = head_of(MAX_HEAD);
	accepted(h);
	free(h);
	h = head_of(MAX_HEAD + 1);
	refused(h, 431);
	struct outcome o = at_once(h, MAX_HEAD + 1);
	ck_assert_uint_eq(o.used, MAX_HEAD + 1);
	ck_assert_uint_eq(o.line_start, MAX_HEAD - 1); /* the blank line, whose LF is one byte too many */
	free(h);
	/* No end of line in sight: refused as soon as the limit is passed. */
	h = malloc(MAX_HEAD + 100);
	ck_assert(h != NULL);
	memcpy(h, "GET /", 5);
	memset(h + 5, 'a', MAX_HEAD + 95);
	o = at_once(h, MAX_HEAD + 100);
	ck_assert_int_eq(o.verdict, FRAMING_REFUSED);
	ck_assert_int_eq(o.status, 431);
	ck_assert_uint_eq(o.used, MAX_HEAD + 1);
	free(h);
	/* The limit is per head, not per connection. */
	struct framing f;
	size_t used;
	h = head_of(MAX_HEAD);
	framing_init(&f, MAX_HEAD);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(framing_feed(&f, h, MAX_HEAD, &used), FRAMING_HEAD);
		ck_assert_uint_eq(used, MAX_HEAD);
	}
	free(h);
}
END_TEST

START_TEST(pipelined_requests)
{
	static const char two[] = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
				  "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
				  "POST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nGET"
				  "GET /d HTTP/1.1\r\nContent-Length : 1\r\n\r\n";
	size_t len = strlen(two);
	/* At once: a verdict per head, bodies passed over (even one that looks like a request line). */
	struct framing f;
	size_t used, at = 0;
	framing_init(&f, MAX_HEAD);
	static const uint64_t lengths[] = {5, 0, 3};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(framing_feed(&f, two + at, len - at, &used), FRAMING_HEAD);
		ck_assert_uint_eq(f.content_length, lengths[i]);
		at += used;
	}
	ck_assert_int_eq(framing_feed(&f, two + at, len - at, &used), FRAMING_REFUSED);
	ck_assert_uint_eq(f.line_start, strstr(two, "Content-Length : 1") - two);
	ck_assert_uint_eq(f.offset, at + used);

	/* In pieces of every size, the same heads and the same refusal. */
	for (size_t piece = 1; piece < len; piece++) {
		framing_init(&f, MAX_HEAD);
		int heads = 0;
		enum framing_verdict v = FRAMING_MORE;
		for (at = 0; at < len && v != FRAMING_REFUSED;) {
			size_t n = len - at < piece ? len - at : piece;
			v = framing_feed(&f, two + at, n, &used);
			heads += v == FRAMING_HEAD;
			at += used;
		}
		ck_assert_msg(heads == 3 && v == FRAMING_REFUSED, "pieces of %zu: %d heads, verdict %d", piece,
			      heads, v);
		ck_assert_uint_eq(f.line_start, strstr(two, "Content-Length : 1") - two);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("framing");
	TCase *tc = tcase_create("framing");
	tcase_add_test(tc, well_formed_heads);
	tcase_add_test(tc, content_length);
	tcase_add_test(tc, smuggling_building_blocks);
	tcase_add_test(tc, values_word_by_word);
	tcase_add_test(tc, transfer_encoding);
	tcase_add_test(tc, request_line_and_version);
	tcase_add_test(tc, refused_line_offset);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, pipelined_requests);
	suite_add_tcase(s, tc);
	return check_run(s);
}
