/* RFC 9112 request framing, one byte at a time, so a head may arrive in any number of pieces. */
#include "framing.h"

#include <stdbool.h>
#include <string.h>

enum state {
	S_METHOD,
	S_TARGET,
	S_VERSION,
	S_LINE_LF, /* a request or header line's CR was seen */
	S_NAME_START,
	S_NAME,
	S_VALUE,
	S_END_LF, /* the blank line's CR was seen */
	S_BODY,
	S_REFUSED,
};

/* The headers whose values decide where a request ends. */
enum header { H_OTHER, H_CONTENT_LENGTH, H_TRANSFER_ENCODING };

enum flag {
	F_HEAD_METHOD = 1u << 0,
	F_CONTENT_LENGTH = 1u << 1,
	F_TRANSFER_ENCODING = 1u << 2,
	F_CODINGS = 1u << 3, /* more than one Transfer-Encoding line, or a list: not "chunked" alone */
	F_HOST = 1u << 4,
};

enum phase { BEFORE, WITHIN, AFTER };

static const char bad_request_line[] =
	"The request line must be a method, one space, a target, one space and the HTTP version.";
static const char bad_version[] = "The HTTP version must be HTTP/1.1 or HTTP/1.0.";
static const char bare_lf[] = "Every line of the request head must end with CR LF (a bare LF was sent).";
static const char bare_cr[] = "Every line of the request head must end with CR LF (a CR was sent alone).";
static const char folded[] = "A header line may not begin with a space or a tab (folded headers are refused).";
static const char space_before_colon[] = "No space is allowed between a header's name and its colon.";
static const char bad_name[] = "A header name must be a token, followed by a colon.";
static const char bad_value[] = "A header value contains a control character.";
static const char bad_length[] = "Content-Length must be a decimal number of bytes, and nothing else.";
static const char two_lengths[] = "Content-Length is sent more than once.";
static const char two_hosts[] = "Host is sent more than once.";
static const char length_and_coding[] = "A request may not send both Content-Length and Transfer-Encoding.";
static const char unknown_coding[] = "Transfer-Encoding is not supported; send the body with a Content-Length.";
static const char chunked[] = "Chunked request bodies are not accepted; send the body with a Content-Length.";
static const char head_body[] = "A HEAD request may not carry a body.";
static const char too_large[] = "The request line and headers are larger than the server accepts.";

/* Character classes of RFC 9110, one table lookup per byte. */
enum { TCHAR = 1, VALUE = 2 };
#define T (TCHAR | VALUE)
#define V VALUE
static const unsigned char classes[256] = {
	['\t'] = V, [' '] = V, ['!'] = T, ['"'] = V, ['#'] = T, ['$'] = T, ['%'] = T, ['&'] = T,
	['\''] = T, ['('] = V, [')'] = V, ['*'] = T, ['+'] = T, [','] = V, ['-'] = T, ['.'] = T,
	['/'] = V, ['0'] = T, ['1'] = T, ['2'] = T, ['3'] = T, ['4'] = T, ['5'] = T, ['6'] = T,
	['7'] = T, ['8'] = T, ['9'] = T, [':'] = V, [';'] = V, ['<'] = V, ['='] = V, ['>'] = V,
	['?'] = V, ['@'] = V, ['A'] = T, ['B'] = T, ['C'] = T, ['D'] = T, ['E'] = T, ['F'] = T,
	['G'] = T, ['H'] = T, ['I'] = T, ['J'] = T, ['K'] = T, ['L'] = T, ['M'] = T, ['N'] = T,
	['O'] = T, ['P'] = T, ['Q'] = T, ['R'] = T, ['S'] = T, ['T'] = T, ['U'] = T, ['V'] = T,
	['W'] = T, ['X'] = T, ['Y'] = T, ['Z'] = T, ['['] = V, ['\\'] = V, [']'] = V, ['^'] = T,
	['_'] = T, ['`'] = T, ['a'] = T, ['b'] = T, ['c'] = T, ['d'] = T, ['e'] = T, ['f'] = T,
	['g'] = T, ['h'] = T, ['i'] = T, ['j'] = T, ['k'] = T, ['l'] = T, ['m'] = T, ['n'] = T,
	['o'] = T, ['p'] = T, ['q'] = T, ['r'] = T, ['s'] = T, ['t'] = T, ['u'] = T, ['v'] = T,
	['w'] = T, ['x'] = T, ['y'] = T, ['z'] = T, ['{'] = V, ['|'] = T, ['}'] = V, ['~'] = T,
};
#undef T
#undef V

static bool is_tchar(unsigned char c) { return classes[c] & TCHAR; }

static bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* Visible ASCII and obs-text: evhttp's own URI parser judges the target further. */
static bool is_target_byte(unsigned char c) { return c > ' ' && c != 0x7f; }

static bool is_value_byte(unsigned char c) { return c >= 0x80 || (classes[c] & VALUE); }

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static void start_head(struct framing *f, uint64_t at)
{
	f->state = S_METHOD;
	f->line_start = at;
	f->head_bytes = 0;
	f->flags = 0;
	f->part_len = 0;
	f->coding_len = 0;
	f->length = 0;
}

void framing_init(struct framing *f, size_t max_head)
{
	memset(f, 0, sizeof *f);
	f->max_head = max_head;
	start_head(f, 0);
}

static enum framing_verdict refuse(struct framing *f, int status, const char *reason)
{
	f->state = S_REFUSED;
	f->status = status;
	f->reason = reason;
	return FRAMING_REFUSED;
}

/* Keeps the first bytes of the current part; its length counts them all. */
static void keep(struct framing *f, unsigned char c)
{
	if (f->part_len < sizeof f->part)
		f->part[f->part_len] = (char)c;
	f->part_len++;
}

static bool part_is(const struct framing *f, const char *s)
{
	return f->part_len == strlen(s) && memcmp(f->part, s, f->part_len) == 0;
}

/* The header name just ended with its colon: what it is, and whether it may appear here. */
static enum framing_verdict name_done(struct framing *f)
{
	f->header = H_OTHER;
	f->value_phase = BEFORE;
	if (part_is(f, "content-length")) {
		if (f->flags & F_CONTENT_LENGTH)
			return refuse(f, 400, two_lengths);
		f->flags |= F_CONTENT_LENGTH;
		f->header = H_CONTENT_LENGTH;
	} else if (part_is(f, "transfer-encoding")) {
		if (f->flags & F_TRANSFER_ENCODING)
			f->flags |= F_CODINGS;
		f->flags |= F_TRANSFER_ENCODING;
		f->header = H_TRANSFER_ENCODING;
	} else if (part_is(f, "host")) {
		if (f->flags & F_HOST)
			return refuse(f, 400, two_hosts);
		f->flags |= F_HOST;
	}
	return FRAMING_MORE;
}

/* Content-Length: OWS 1*DIGIT OWS; no sign, no list, and no more than evhttp's int64 holds. */
static enum framing_verdict length_byte(struct framing *f, unsigned char c)
{
	if (is_ows(c)) {
		if (f->value_phase == WITHIN)
			f->value_phase = AFTER;
		return FRAMING_MORE;
	}
	unsigned digit = (unsigned)(c - '0');
	if (c < '0' || c > '9' || f->value_phase == AFTER || f->length > ((uint64_t)INT64_MAX - digit) / 10)
		return refuse(f, 400, bad_length);
	f->length = f->length * 10 + digit;
	f->value_phase = WITHIN;
	return FRAMING_MORE;
}

/* Transfer-Encoding is refused either way; only "chunked" alone earns 411 rather than 400. */
static void coding_byte(struct framing *f, unsigned char c)
{
	if (is_ows(c)) {
		if (f->value_phase == WITHIN)
			f->value_phase = AFTER;
		return;
	}
	if (f->value_phase == AFTER || f->coding_len == sizeof f->coding)
		f->flags |= F_CODINGS;
	else
		f->coding[f->coding_len++] = (char)lower(c);
	f->value_phase = WITHIN;
}

static enum framing_verdict value_done(struct framing *f)
{
	if (f->header == H_CONTENT_LENGTH && f->value_phase == BEFORE)
		return refuse(f, 400, bad_length);
	return FRAMING_MORE;
}

/* The blank line ended the head: how long its body is, if it may have one. */
static enum framing_verdict head_done(struct framing *f, uint64_t next)
{
	if (f->flags & F_TRANSFER_ENCODING) {
		if (f->flags & F_CONTENT_LENGTH)
			return refuse(f, 400, length_and_coding);
		bool only_chunked = !(f->flags & F_CODINGS) && f->coding_len == 7 &&
				    memcmp(f->coding, "chunked", 7) == 0;
		return only_chunked ? refuse(f, 411, chunked) : refuse(f, 400, unknown_coding);
	}
	/* evhttp reads no body after HEAD: it would parse one as the next request. */
	if ((f->flags & F_HEAD_METHOD) && f->length > 0)
		return refuse(f, 400, head_body);
	f->content_length = f->length;
	f->body_left = f->length;
	if (f->body_left > 0)
		f->state = S_BODY;
	else
		start_head(f, next);
	return FRAMING_HEAD;
}

/* One byte of a head, at stream offset `at`. */
static enum framing_verdict head_byte(struct framing *f, unsigned char c, uint64_t at)
{
	if (++f->head_bytes > f->max_head)
		return refuse(f, 431, too_large);
	if (c == '\n' && f->state != S_LINE_LF && f->state != S_END_LF)
		return refuse(f, 400, bare_lf);
	switch (f->state) {
	case S_METHOD:
		if (is_tchar(c)) {
			keep(f, c);
			return FRAMING_MORE;
		}
		if (c != ' ' || f->part_len == 0)
			return refuse(f, 400, bad_request_line);
		if (part_is(f, "HEAD"))
			f->flags |= F_HEAD_METHOD;
		f->part_len = 0;
		f->state = S_TARGET;
		return FRAMING_MORE;
	case S_TARGET:
		if (is_target_byte(c)) {
			f->part_len++;
			return FRAMING_MORE;
		}
		if (c != ' ' || f->part_len == 0)
			return refuse(f, 400, bad_request_line);
		f->part_len = 0;
		f->state = S_VERSION;
		return FRAMING_MORE;
	case S_VERSION:
		if (c != '\r') {
			keep(f, c);
			return f->part_len > 8 ? refuse(f, 400, bad_version) : FRAMING_MORE;
		}
		if (!part_is(f, "HTTP/1.1") && !part_is(f, "HTTP/1.0"))
			return refuse(f, 400, bad_version);
		f->state = S_LINE_LF;
		return FRAMING_MORE;
	case S_LINE_LF:
		if (c != '\n')
			return refuse(f, 400, bare_cr);
		f->state = S_NAME_START;
		f->line_start = at + 1;
		return FRAMING_MORE;
	case S_NAME_START:
		if (c == '\r') {
			f->state = S_END_LF;
			return FRAMING_MORE;
		}
		if (is_ows(c))
			return refuse(f, 400, folded);
		if (!is_tchar(c))
			return refuse(f, 400, bad_name);
		f->part_len = 0;
		keep(f, lower(c));
		f->state = S_NAME;
		return FRAMING_MORE;
	case S_NAME:
		if (is_tchar(c)) {
			keep(f, lower(c));
			return FRAMING_MORE;
		}
		if (is_ows(c))
			return refuse(f, 400, space_before_colon);
		if (c != ':')
			return refuse(f, 400, bad_name);
		f->state = S_VALUE;
		return name_done(f);
	case S_VALUE:
		if (c == '\r') {
			f->state = S_LINE_LF;
			return value_done(f);
		}
		if (!is_value_byte(c))
			return refuse(f, 400, bad_value);
		if (f->header == H_CONTENT_LENGTH)
			return length_byte(f, c);
		if (f->header == H_TRANSFER_ENCODING)
			coding_byte(f, c);
		return FRAMING_MORE;
	case S_END_LF:
		if (c != '\n')
			return refuse(f, 400, bare_cr);
		return head_done(f, at + 1);
	default:
		return refuse(f, 400, bad_request_line); /* S_BODY and S_REFUSED never get here */
	}
}

/*
 * A value's allowed bytes, eight at a time while a word holds none below
 * SP (controls, CR, LF, and the rarer tab) and no DEL: most of a head's
 * bytes are in values, and every request pays for this.
 */
static size_t value_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t w, del;
		memcpy(&w, p + i, sizeof w);
		del = w ^ (0x7f * ones);
		if ((((w - 0x20 * ones) & ~w) | ((del - ones) & ~del)) & highs)
			break;
	}
	while (i < n && is_value_byte(p[i]))
		i++;
	return i;
}

/*
 * Most of a head is header names, targets and values that do not matter
 * here: runs of bytes that only need to be allowed are taken in a tight
 * loop, up to the size limit, leaving the byte that ends the run to
 * head_byte.
 */
static size_t plain_run(struct framing *f, const unsigned char *p, size_t n)
{
	size_t room = f->max_head - f->head_bytes, i = 0;
	if (n > room)
		n = room;
	if (f->state == S_VALUE && f->header == H_OTHER)
		i = value_run(p, n);
	else if (f->state == S_NAME)
		for (; i < n && is_tchar(p[i]); i++)
			keep(f, lower(p[i]));
	else if (f->state == S_TARGET)
		while (i < n && is_target_byte(p[i]))
			i++;
	if (f->state == S_TARGET)
		f->part_len += i;
	f->head_bytes += i;
	return i;
}

enum framing_verdict framing_feed(struct framing *f, const char *bytes, size_t len, size_t *used)
{
	enum framing_verdict v = f->state == S_REFUSED ? FRAMING_REFUSED : FRAMING_MORE;
	size_t i = 0;
	while (i < len && v == FRAMING_MORE) {
		if (f->state == S_BODY) {
			size_t n = len - i;
			if (f->body_left < n)
				n = (size_t)f->body_left;
			f->body_left -= n;
			i += n;
			if (f->body_left == 0)
				start_head(f, f->offset + i);
			continue;
		}
		i += plain_run(f, (const unsigned char *)bytes + i, len - i);
		if (i < len) {
			v = head_byte(f, (unsigned char)bytes[i], f->offset + i);
			i++;
		}
	}
	f->offset += i;
	*used = i;
	return v;
}

enum framing_verdict framing_check_head(struct framing *f, const char *bytes, size_t len, size_t max_head,
					size_t *used)
{
	framing_init(f, max_head);
	return framing_feed(f, bytes, len, used);
}
