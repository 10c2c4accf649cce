/*
 * Query strings (marketplace/http/query.h, core/text.h).  The input is the
 * part of a request target after '?': libevent parses the target as it
 * parses a request line's, and the query goes through query_parse's steps
 * (evhttp_parse_query_str, the UTF-8 check of every name and value, known
 * names, limit, cursor) for the allowed names of both list endpoints, each
 * refusal built into the problem it would send.  query_parse itself needs
 * a live evhttp request, so its steps are replayed here: keep them in step
 * with query.c.  The raw input also goes straight to parse_limit,
 * cursor_decode, cursor_encode, utf8_valid and utf8_sanitize.
 *
 * Beyond "no crash": every refusal is a problem that serialises to valid
 * JSON (never the 503 of a failed json_pack); utf8_valid agrees with the
 * Unicode standard's table; utf8_sanitize gives exactly the longest repaired
 * prefix that fits, for several buffer sizes, never writing past them
 * (each buffer is its own allocation, so ASan sees a byte too far);
 * parse_limit accepts exactly the digit strings worth 1..100; a cursor
 * decodes to floor(6n/8) NUL-free bytes that encode and decode back to
 * themselves; and any text encodes to a cursor that decodes back to it.
 */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "support.h"
#include "query.h"
#include "text.h"

static const char *const organizations_allowed[] = {"kind", "province", NULL};
static const char *const audit_allowed[] = {"entity", "actor", "from", "to", NULL};

/* Digits only, worth 1..100 once leading zeros are dropped. */
static bool reference_limit(const char *text, int *limit)
{
	if (text == NULL) {
		*limit = 20;
		return true;
	}
	if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
		return false;
	while (text[0] == '0')
		text++;
	if (strlen(text) > 3)
		return false;
	int v = atoi(text);
	if (v < 1 || v > 100)
		return false;
	*limit = v;
	return true;
}

static void check_limit(const char *text)
{
	int got = -1, want = -1;
	bool ok = parse_limit(text, &got);
	FUZZ_CHECK(ok == reference_limit(text, &want));
	FUZZ_CHECK(!ok || got == want);
}

/* A buffer of exactly size bytes, so ASan sees any write past it. */
static char *exact_buffer(size_t size)
{
	char *b = malloc(size);
	FUZZ_CHECK(b != NULL);
	return b;
}

/* encoded -> text -> encoded' -> text again, the first in out_size bytes. */
static void check_cursor_decode(const char *encoded, size_t out_size)
{
	char *out = exact_buffer(out_size);
	if (cursor_decode(encoded, out, out_size)) {
		size_t n = strnlen(out, out_size);
		FUZZ_CHECK(n > 0 && n < out_size);
		/* keys "." 32 hex digits of signature */
		const char *dot = strrchr(encoded, '.');
		FUZZ_CHECK(dot != NULL && strlen(dot + 1) == 32);
		FUZZ_CHECK(n == (size_t)(dot - encoded) * 6 / 8);
		char again[4096 * 2], back[4096];
		FUZZ_CHECK(cursor_encode(out, again, sizeof again));
		FUZZ_CHECK(cursor_decode(again, back, sizeof back) && strcmp(back, out) == 0);
	}
	free(out);
}

/* Any NUL-free text encodes, given room, to a signed cursor decoding back to it. */
static void check_cursor_encode(const char *text, size_t out_size)
{
	size_t len = strlen(text), needed = (len * 8 + 5) / 6 + 1 + 32 + 1;
	char *out = exact_buffer(out_size);
	bool ok = cursor_encode(text, out, out_size);
	FUZZ_CHECK(ok == (needed <= out_size));
	if (ok && len > 0) {
		FUZZ_CHECK(strlen(out) + 1 == needed);
		char *back = exact_buffer(len + 1);
		FUZZ_CHECK(cursor_decode(out, back, len + 1) && strcmp(back, text) == 0);
		free(back);
	}
	free(out);
}

static void check_sanitize(const char *text, size_t out_size)
{
	char *out = exact_buffer(out_size);
	FUZZ_CHECK(utf8_sanitize(text, out, out_size) == out);
	fuzz_check_sanitized(text, out, out_size);
	free(out);
}

/* query_parse's steps on one parsed query; the problem each refusal sends. */
static void check_query(const char *text, const char *const *allowed)
{
	struct evkeyvalq params;
	TAILQ_INIT(&params);
	if (text != NULL && evhttp_parse_query_str(text, &params) != 0) {
		fuzz_check_problem(400, "The query string is malformed.", NULL);
		evhttp_clear_headers(&params);
		return;
	}
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, &params, next) {
		size_t klen = strlen(kv->key), vlen = strlen(kv->value);
		bool key_ok = utf8_valid(kv->key, klen), value_ok = utf8_valid(kv->value, vlen);
		FUZZ_CHECK(key_ok == fuzz_utf8_well_formed(kv->key, klen, false));
		FUZZ_CHECK(value_ok == fuzz_utf8_well_formed(kv->value, vlen, false));
		if (!key_ok || !value_ok) {
			fuzz_check_problem(400, "The query string is not valid UTF-8.", NULL);
			evhttp_clear_headers(&params);
			return;
		}
		bool known = strcmp(kv->key, "limit") == 0 || strcmp(kv->key, "cursor") == 0;
		for (const char *const *a = allowed; *a != NULL && !known; a++)
			known = strcmp(*a, kv->key) == 0;
		if (!known) {
			char detail[200]; /* may cut the name inside a character */
			snprintf(detail, sizeof detail, "Unknown query parameter '%.100s'.", kv->key);
			fuzz_check_problem(400, detail, NULL);
			evhttp_clear_headers(&params);
			return;
		}
	}
	check_limit(evhttp_find_header(&params, "limit"));
	const char *cursor = evhttp_find_header(&params, "cursor");
	if (cursor != NULL && cursor[0] != '\0')
		check_cursor_decode(cursor, sizeof ((struct query *)NULL)->cursor);
	evhttp_clear_headers(&params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_cstring(data, size);
	size_t raw_len = strlen(raw);

	FUZZ_CHECK(utf8_valid((const char *)data, size) ==
		   fuzz_utf8_well_formed((const char *)data, size, false));
	static const size_t sizes[] = {1, 2, 5, 160, 1024, 2048};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		check_sanitize(raw, sizes[i]);
	check_limit(raw);
	check_cursor_decode(raw, 160);
	check_cursor_decode(raw, 4096);
	if (raw_len < 3000) {
		check_cursor_encode(raw, 1);
		check_cursor_encode(raw, 160);
		check_cursor_encode(raw, 4096);
	}

	static const char prefix[] = "/api/v1/organizations?";
	char *target = malloc(sizeof prefix + raw_len);
	FUZZ_CHECK(target != NULL);
	memcpy(target, prefix, sizeof prefix - 1);
	memcpy(target + sizeof prefix - 1, raw, raw_len + 1);
	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(target, EVHTTP_URI_NONCONFORMANT);
	if (uri != NULL) {
		check_query(evhttp_uri_get_query(uri), organizations_allowed);
		check_query(evhttp_uri_get_query(uri), audit_allowed);
		evhttp_uri_free(uri);
	}
	free(target);
	free(raw);
	return 0;
}
