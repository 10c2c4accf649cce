/*
 * The request line and headers as this server checks them
 * (marketplace/http/framing.h): the input is the byte stream of one
 * connection — heads, bodies, pipelined requests — after a first byte that
 * picks the head size limit (the server's 16 KiB, or 32..540 bytes so the
 * 431 path is reached).  It is fed to framing_feed at once, one byte at a
 * time, and in pieces whose sizes come from the input.
 *
 * Beyond "no crash": every way of splitting the stream gives the same
 * events (each head's end and body length, the refusal's status, reason and
 * line), so the fast runs of plain bytes agree with the byte-by-byte path;
 * a feed takes everything unless a head ends or is refused, and nothing
 * after a refusal; a refusal names the line it happened on and has a reason
 * that makes a valid problem.  And each complete head is judged by an
 * oracle written here from RFC 9112's grammar line by line (split at CRLF,
 * then request line, header names and values, Content-Length, Host,
 * Transfer-Encoding, HEAD): the framing accepts exactly the heads it
 * accepts, with the same body length, and refuses the others with its
 * status (400, 411 for a chunked body alone, 431 past the limit only).
 */
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "support.h"

#define SERVER_MAX_HEAD (16 * 1024) /* http_server.c's */
#define MAX_EVENTS 64

struct event {
	enum framing_verdict verdict;
	uint64_t offset; /* after the byte that ended or refused the head */
	uint64_t content_length, line_start;
	int status;
	const char *reason;
};

struct events {
	size_t count;
	struct event e[MAX_EVENTS];
	bool truncated; /* more heads than MAX_EVENTS: compared up to there */
};

/* ------------------------------------------------------------ the driver */

/* The next piece's size: 0 means all that is left, else 1..16 from the plan. */
static size_t piece_size(const uint8_t *plan, size_t plan_len, size_t *k, size_t left, int mode)
{
	if (mode == 0)
		return left;
	if (mode == 1 || plan_len == 0)
		return 1;
	size_t n = 1 + plan[(*k)++ % plan_len] % 16;
	return n < left ? n : left;
}

/* Feeds data in pieces (mode 0: at once, 1: byte by byte, 2: sizes from plan). */
static void drive(const char *data, size_t size, size_t max_head, int mode, const uint8_t *plan,
		  size_t plan_len, struct events *out)
{
	struct framing f;
	framing_init(&f, max_head);
	out->count = 0;
	out->truncated = false;
	size_t pos = 0, k = 0;
	while (pos < size) {
		size_t end = pos + piece_size(plan, plan_len, &k, size - pos, mode);
		while (pos < end) {
			size_t used;
			enum framing_verdict v = framing_feed(&f, data + pos, end - pos, &used);
			FUZZ_CHECK(used <= end - pos);
			pos += used;
			FUZZ_CHECK(f.offset == pos);
			if (v == FRAMING_MORE) {
				FUZZ_CHECK(pos == end); /* it takes everything unless a head ends */
				continue;
			}
			FUZZ_CHECK(used > 0);
			if (out->count == MAX_EVENTS) {
				out->truncated = true;
				return;
			}
			struct event *e = &out->e[out->count++];
			*e = (struct event){v, f.offset, f.content_length, f.line_start, 0, NULL};
			if (v == FRAMING_HEAD)
				continue;
			e->status = f.status;
			e->reason = f.reason;
			FUZZ_CHECK(f.reason != NULL && f.reason[0] != '\0');
			FUZZ_CHECK(f.status == 400 || f.status == 411 || f.status == 431);
			FUZZ_CHECK(f.line_start < f.offset);
			size_t again;
			FUZZ_CHECK(framing_feed(&f, data + pos, size - pos, &again) == FRAMING_REFUSED && again == 0);
			return;
		}
	}
}

static void check_same(const struct events *a, const struct events *b)
{
	size_t n = a->count < b->count ? a->count : b->count;
	if (!a->truncated && !b->truncated)
		FUZZ_CHECK(a->count == b->count);
	for (size_t i = 0; i < n; i++) {
		const struct event *x = &a->e[i], *y = &b->e[i];
		FUZZ_CHECK(x->verdict == y->verdict && x->offset == y->offset);
		FUZZ_CHECK(x->verdict != FRAMING_HEAD || x->content_length == y->content_length);
		FUZZ_CHECK(x->verdict != FRAMING_REFUSED ||
			   (x->status == y->status && x->reason == y->reason && x->line_start == y->line_start));
	}
}

/* ------------------------------------------------------------ the oracle */

struct judgement {
	int status;           /* 0: accepted */
	bool line_defect;     /* refused for a line's syntax, not for what the whole head says */
	uint64_t length;      /* accepted: the body's */
};

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool vchar_or_obs(unsigned char c) { return (c >= 0x21 && c <= 0x7e) || c >= 0x80; }

static bool field_byte(unsigned char c) { return c == ' ' || c == '\t' || vchar_or_obs(c); }

static bool all(const unsigned char *s, size_t n, bool (*is)(unsigned char))
{
	for (size_t i = 0; i < n; i++)
		if (!is(s[i]))
			return false;
	return true;
}

static bool same_lower(const unsigned char *s, size_t n, const char *lower)
{
	if (n != strlen(lower))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != (unsigned char)lower[i])
			return false;
	return true;
}

/* request-line = method SP request-target SP HTTP-version */
static bool request_line_ok(const unsigned char *s, size_t n, bool *head)
{
	const unsigned char *sp1 = memchr(s, ' ', n);
	if (sp1 == NULL || sp1 == s || !all(s, (size_t)(sp1 - s), tchar))
		return false;
	*head = sp1 - s == 4 && memcmp(s, "HEAD", 4) == 0;
	const unsigned char *target = sp1 + 1, *end = s + n;
	const unsigned char *sp2 = memchr(target, ' ', (size_t)(end - target));
	if (sp2 == NULL || sp2 == target || !all(target, (size_t)(sp2 - target), vchar_or_obs))
		return false;
	size_t vlen = (size_t)(end - sp2 - 1);
	return vlen == 8 && (memcmp(sp2 + 1, "HTTP/1.1", 8) == 0 || memcmp(sp2 + 1, "HTTP/1.0", 8) == 0);
}

/* A field value without its surrounding spaces and tabs. */
static void trim(const unsigned char **s, size_t *n)
{
	while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* 1*DIGIT, at most INT64_MAX. */
static bool decimal(const unsigned char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (uint64_t)(INT64_MAX - (s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* A head of len bytes that ends with its first CRLF CRLF. */
static struct judgement judge(const unsigned char *h, size_t len)
{
	struct judgement j = {400, true, 0};
	size_t lengths = 0, hosts = 0, codings = 0;
	bool head = false, chunked = false;
	size_t start = 0, line = 0;
	for (;;) {
		const unsigned char *crlf = NULL;
		for (size_t i = start; i + 1 < len && crlf == NULL; i++)
			if (h[i] == '\r' && h[i + 1] == '\n')
				crlf = h + i;
		const unsigned char *s = h + start;
		size_t n = (size_t)(crlf - s);
		if (memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL)
			return j; /* a bare CR or LF */
		if (n == 0)
			break; /* the blank line */
		if (line++ == 0) {
			if (!request_line_ok(s, n, &head))
				return j;
		} else {
			const unsigned char *colon = memchr(s, ':', n);
			if (colon == NULL || colon == s || !all(s, (size_t)(colon - s), tchar))
				return j; /* folded lines and spaces before the colon included */
			size_t name = (size_t)(colon - s), vn = n - name - 1;
			const unsigned char *value = colon + 1;
			if (!all(value, vn, field_byte))
				return j;
			trim(&value, &vn);
			if (same_lower(s, name, "content-length") &&
			    (lengths++ > 0 || !decimal(value, vn, &j.length)))
				return j;
			if (same_lower(s, name, "host") && hosts++ > 0)
				return j;
			if (same_lower(s, name, "transfer-encoding"))
				chunked = codings++ == 0 && same_lower(value, vn, "chunked");
		}
		start += n + 2;
	}
	if (line == 0)
		return j; /* no request line: the head began with CRLF */
	j.line_defect = false;
	if (codings > 0)
		j.status = chunked && codings == 1 && lengths == 0 ? 411 : 400;
	else if (head && j.length > 0)
		j.status = 400;
	else
		j.status = 0;
	return j;
}

/* The events the oracle expects from the stream, checked against got. */
static void check_oracle(const char *data, size_t size, size_t max_head, const struct events *got)
{
	size_t pos = 0, i = 0;
	while (pos < size && i < got->count) {
		const char *end = NULL;
		for (size_t k = pos; k + 3 < size && end == NULL; k++)
			if (memcmp(data + k, "\r\n\r\n", 4) == 0)
				end = data + k + 4;
		const struct event *e = &got->e[i++];
		if (end == NULL || (size_t)(end - data) - pos > max_head) {
			/* Unfinished, or over the limit: refused by then, 431 only past the limit. */
			FUZZ_CHECK(e->verdict == FRAMING_REFUSED && e->offset <= pos + max_head + 1);
			FUZZ_CHECK((e->status == 431) == (e->offset == pos + max_head + 1));
			if (end != NULL && !judge((const unsigned char *)data + pos, (size_t)(end - data) - pos).line_defect)
				FUZZ_CHECK(e->status == 431);
			return;
		}
		size_t len = (size_t)(end - data) - pos;
		struct judgement j = judge((const unsigned char *)data + pos, len);
		if (j.status != 0) {
			FUZZ_CHECK(e->verdict == FRAMING_REFUSED && e->status == j.status);
			FUZZ_CHECK(e->offset <= pos + len && e->line_start >= pos);
			return;
		}
		FUZZ_CHECK(e->verdict == FRAMING_HEAD && e->offset == pos + len && e->content_length == j.length);
		pos += len;
		pos += j.length < size - pos ? (size_t)j.length : size - pos;
	}
	if (got->truncated)
		return;
	FUZZ_CHECK(i == got->count);
	if (pos < size) { /* an unfinished head the framing did not refuse: within the limit */
		FUZZ_CHECK(size - pos <= max_head);
	}
}

/* A refusal's line: no line ended between its start and the offending byte. */
static void check_refused_line(const char *data, const struct events *got)
{
	if (got->count == 0 || got->e[got->count - 1].verdict != FRAMING_REFUSED)
		return;
	const struct event *e = &got->e[got->count - 1];
	for (uint64_t k = e->line_start; k + 2 < e->offset; k++)
		FUZZ_CHECK(!(data[k] == '\r' && data[k + 1] == '\n'));
	fuzz_check_problem(e->status, e->reason, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max_head = data[0] < 128 ? SERVER_MAX_HEAD : 32 + (size_t)(data[0] & 127) * 4;
	const char *stream = (const char *)data + 1;
	size_t len = size - 1;
	static struct events at_once, byte_by_byte, pieces;
	drive(stream, len, max_head, 0, NULL, 0, &at_once);
	drive(stream, len, max_head, 1, NULL, 0, &byte_by_byte);
	drive(stream, len, max_head, 2, data, size, &pieces);
	check_same(&at_once, &byte_by_byte);
	check_same(&at_once, &pieces);
	check_oracle(stream, len, max_head, &at_once);
	check_refused_line(stream, &at_once);
	return 0;
}
