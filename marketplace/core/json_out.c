/* A growing buffer for JSON documents written by hand on hot paths. */
#include "json_out.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void reserve(struct json_out *o, size_t more)
{
	if (o->failed || o->len + more <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + more)
		cap *= 2;
	char *data = realloc(o->data, cap);
	if (data == NULL) {
		o->failed = true;
		return;
	}
	o->data = data;
	o->cap = cap;
}

void json_out_put(struct json_out *o, const char *s, size_t n)
{
	reserve(o, n);
	if (o->failed)
		return;
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

void json_out_puts(struct json_out *o, const char *s) { json_out_put(o, s, strlen(s)); }

/*
 * Does any of the 8 bytes in w need escaping (below 0x20, '"' or '\\')?
 * Borrows between bytes can only add false alarms, which the byte loop
 * then clears; UTF-8 bytes (0x80 and up) never raise one.
 */
static bool word_needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	uint64_t control = (w - ones * 0x20) & ~w;
	uint64_t is_quote = (quote - ones) & ~quote;
	uint64_t is_backslash = (backslash - ones) & ~backslash;
	return ((control | is_quote | is_backslash) & highs) != 0;
}

/* Writes s as a JSON string; the database's text is valid UTF-8 already. */
void json_out_string(struct json_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	reserve(o, n + 2);
	json_out_put(o, "\"", 1);
	size_t start = 0, i = 0;
	while (i < n) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, s + i, 8), !word_needs_escape(w))) {
			i += 8; /* the common case: a whole word of plain text */
			continue;
		}
		unsigned char c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		json_out_put(o, s + start, i - 1 - start);
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			json_out_put(o, esc, 2);
		} else if (c == '\n') {
			json_out_put(o, "\\n", 2);
		} else {
			json_out_put(o, esc, 6);
		}
		start = i;
	}
	json_out_put(o, s + start, n - start);
	json_out_put(o, "\"", 1);
}
