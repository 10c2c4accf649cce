/* Shared checks and oracles of the fuzz targets. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem.h"

_Noreturn void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	abort();
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Bounds of the second byte after each lead byte; the rest are 80..BF. */
bool fuzz_utf8_well_formed(const char *s, size_t len, bool allow_nul)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char b = p[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF;
		if (b == 0x00) {
			if (!allow_nul)
				return false;
			n = 1;
		} else if (b <= 0x7F) {
			n = 1;
		} else if (b >= 0xC2 && b <= 0xDF) {
			n = 2;
		} else if (b == 0xE0) {
			n = 3, lo = 0xA0;
		} else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
			n = 3;
		} else if (b == 0xED) {
			n = 3, hi = 0x9F;
		} else if (b == 0xF0) {
			n = 4, lo = 0x90;
		} else if (b >= 0xF1 && b <= 0xF3) {
			n = 4;
		} else if (b == 0xF4) {
			n = 4, hi = 0x8F;
		} else {
			return false;
		}
		if (len - i < n)
			return false;
		if (n > 1 && (p[i + 1] < lo || p[i + 1] > hi))
			return false;
		for (size_t k = 2; k < n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return false;
		i += n;
	}
	return true;
}

size_t fuzz_utf8_code_points(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += *p < 0x80 || *p >= 0xC0;
	return n;
}

json_t *fuzz_json_parse_strict(const char *text, size_t len)
{
	FUZZ_CHECK(fuzz_utf8_well_formed(text, len, false));
	json_error_t error;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
	if (v == NULL)
		fprintf(stderr, "not JSON (%s): %.*s\n", error.text, (int)(len > 2000 ? 2000 : len), text);
	FUZZ_CHECK(v != NULL);
	return v;
}

/* The length of the one well-formed character at s (left bytes), or 0. */
static size_t one_character(const char *s, size_t left)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t n = 1; n <= 4 && n <= left; n++) {
		if (n > 1 && (p[0] < 0xC0 || p[n - 1] < 0x80 || p[n - 1] > 0xBF))
			return 0; /* a second character, or none */
		if (fuzz_utf8_well_formed(s, n, false))
			return n;
	}
	return 0;
}

char *fuzz_utf8_repaired(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = malloc(len + 1);
	FUZZ_CHECK(out != NULL);
	for (size_t i = 0; i < len;) {
		size_t n = one_character(s + i, len - i);
		if (n == 0) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

void fuzz_check_sanitized(const char *input, const char *out, size_t out_size)
{
	char *full = fuzz_utf8_repaired(input);
	size_t n = strnlen(out, out_size);
	FUZZ_CHECK(n < out_size);
	FUZZ_CHECK(strncmp(out, full, n) == 0);
	FUZZ_CHECK(fuzz_utf8_well_formed(out, n, false));
	if (full[n] != '\0') {
		size_t next = 1;
		while (((unsigned char)full[n + next] & 0xC0) == 0x80)
			next++;
		FUZZ_CHECK(n + next >= out_size); /* the next character would not have fitted */
	}
	free(full);
}

void fuzz_check_problem(int status, const char *detail, json_t *errors)
{
	json_t *p = problem_new(status, detail, "c0ffee00-fuzz");
	FUZZ_CHECK(p != NULL);
	if (errors != NULL)
		FUZZ_CHECK(json_object_set(p, "errors", errors) == 0);
	char *text = json_dumps(p, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	json_t *back = fuzz_json_parse_strict(text, strlen(text));
	FUZZ_CHECK(json_equal(back, p));
	FUZZ_CHECK(json_integer_value(json_object_get(back, "status")) == status);
	const char *title = json_string_value(json_object_get(back, "title"));
	FUZZ_CHECK(title != NULL && title[0] != '\0');
	const char *safe = json_string_value(json_object_get(back, "detail"));
	FUZZ_CHECK(safe != NULL);
	fuzz_check_sanitized(detail, safe, 1024); /* problem.c's buffer */
	json_decref(back);
	free(text);
	json_decref(p);
}
