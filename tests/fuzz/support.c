/* Shared checks and oracles of the fuzz targets. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem.h"
#include "reference.h"

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

/* ------------------------------------------------------------ reference data */

static const char *const fixture_provinces[] = {"ha-noi", "hue", "da-nang", "quang-tri", "quang-ngai", NULL};
static const char *const fixture_sectors[] = {"1", "1.1", "1.2", "2", "2.2", "2.3", "4", "4.1", NULL};
static const struct reference_indicator fixture_indicators[] = {
	{"KH43-T1", "percent", true, 2023, 2030},        {"KH43-T2", "percent", false, 2023, 2030},
	{"KH43-T3", "percent", true, 2023, 2030},        {"KH43-T4", "count_per_year", false, 2023, 2030},
	{"KH43-T5", "count_per_year", false, 2023, 2030}, {"KH43-T6", "count_cumulative", false, 2023, 2030},
	{"KH43-V2045", "text", false, 2023, 2045},       {"KH43-X1", "count_and_vnd", true, 2023, 2030},
};
#define FIXTURE_INDICATORS (sizeof fixture_indicators / sizeof fixture_indicators[0])

/* A result of ncolumns text columns, as PQexec would return it. */
static PGresult *fixture_result(int ncolumns)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc columns[8];
	FUZZ_CHECK(res != NULL && ncolumns <= 8);
	memset(columns, 0, sizeof columns);
	for (int i = 0; i < ncolumns; i++) {
		columns[i].name = (char *)"c";
		columns[i].typid = 25; /* text */
		columns[i].typlen = -1;
		columns[i].atttypmod = -1;
	}
	FUZZ_CHECK(PQsetResultAttrs(res, ncolumns, columns));
	return res;
}

static void fixture_set(PGresult *res, int row, int column, const char *text)
{
	FUZZ_CHECK(PQsetvalue(res, row, column, (char *)text, text != NULL ? (int)strlen(text) : -1));
}

void fuzz_install_reference(void)
{
	static bool installed;
	if (installed)
		return;
	PGresult *provinces = fixture_result(5), *sectors = fixture_result(4), *indicators = fixture_result(5);
	for (int i = 0; fixture_provinces[i] != NULL; i++) {
		const char *row[5] = {fixture_provinces[i], "Tỉnh", "Province", "province", "[]"};
		for (int c = 0; c < 5; c++)
			fixture_set(provinces, i, c, row[c]);
	}
	for (int i = 0; fixture_sectors[i] != NULL; i++) {
		const char *row[4] = {fixture_sectors[i], NULL, "Sector", "Ngành"};
		for (int c = 0; c < 4; c++)
			fixture_set(sectors, i, c, row[c]);
	}
	for (size_t i = 0; i < FIXTURE_INDICATORS; i++) {
		const struct reference_indicator *ind = &fixture_indicators[i];
		char from[12], to[12];
		snprintf(from, sizeof from, "%d", ind->year_from);
		snprintf(to, sizeof to, "%d", ind->year_to);
		const char *row[5] = {ind->code, ind->unit, ind->computed ? "t" : "f", from, to};
		for (int c = 0; c < 5; c++)
			fixture_set(indicators, (int)i, c, row[c]);
	}
	const PGresult *results[] = {[REFERENCE_PROVINCES] = provinces, [REFERENCE_SECTORS] = sectors,
				     [REFERENCE_INDICATOR_RULES] = indicators};
	FUZZ_CHECK(reference_install(results));
	PQclear(provinces);
	PQclear(sectors);
	PQclear(indicators);
	installed = true;
}

static bool listed(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool fuzz_sector_known(const char *code) { return listed(fixture_sectors, code); }
bool fuzz_province_known(const char *slug) { return listed(fixture_provinces, slug); }

bool fuzz_indicator_known(const char *code)
{
	for (size_t i = 0; i < FIXTURE_INDICATORS; i++)
		if (strcmp(fixture_indicators[i].code, code) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ field rules */

bool fuzz_has_error(const struct validation *v, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(v->errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return true;
	return false;
}

void fuzz_check_refusal(const struct validation *v)
{
	FUZZ_CHECK(json_is_array(v->errors));
	size_t i;
	json_t *e;
	json_array_foreach(v->errors, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));
		FUZZ_CHECK(f != NULL && m != NULL && m[0] != '\0');
		FUZZ_CHECK(strlen(f) < 160 && json_object_size(e) == 2);
		FUZZ_CHECK(fuzz_utf8_well_formed(f, strlen(f), false));
	}
	if (json_array_size(v->errors) > 0)
		fuzz_check_problem(422, "Some fields are invalid; see errors.", v->errors);
}

/* A text a FIELD_TEXT rule takes: no NUL, no outer space, min..max characters or one of the choices, check. */
static bool text_acceptable(const struct field_rule *rule, json_t *value)
{
	if (!json_is_string(value))
		return false;
	const char *s = json_string_value(value);
	size_t bytes = json_string_length(value);
	if (strlen(s) != bytes || (bytes > 0 && (s[0] == ' ' || s[bytes - 1] == ' ')))
		return false;
	size_t chars = fuzz_utf8_code_points(s);
	if (rule->choices != NULL)
		return chars >= 1 && chars <= 64 && listed(rule->choices, s) && (rule->check == NULL || rule->check(s));
	return chars >= rule->min && chars <= rule->max && (rule->check == NULL || rule->check(s));
}

bool fuzz_value_acceptable(const struct field_rule *rule, json_t *value)
{
	size_t i;
	json_t *item;
	switch (rule->type) {
	case FIELD_TEXT:
		return text_acceptable(rule, value);
	case FIELD_INTEGER:
		return json_is_integer(value) && json_integer_value(value) >= (json_int_t)rule->min &&
		       json_integer_value(value) <= (json_int_t)rule->max;
	case FIELD_BOOLEAN:
		return json_is_boolean(value);
	case FIELD_TEXT_LIST:
		if (!json_is_array(value) || json_array_size(value) > rule->items_max)
			return false;
		json_array_foreach(value, i, item) {
			if (!text_acceptable(rule, item))
				return false;
			for (size_t j = 0; j < i; j++)
				if (json_equal(json_array_get(value, j), item))
					return false;
		}
		return true;
	case FIELD_OBJECT:
		return json_is_object(value);
	case FIELD_SCALAR:
		return json_is_number(value) || text_acceptable(rule, value);
	}
	return false;
}

size_t fuzz_check_fields(const struct validation *v, json_t *body, json_t *values,
			 const struct field_rule *rules, enum field_mode mode, const char *prefix)
{
	size_t unknown = 0;
	const char *key;
	json_t *value;
	FUZZ_CHECK(json_is_object(values));
	json_object_foreach(body, key, value) {
		const struct field_rule *rule = rules;
		while (rule->name != NULL && strcmp(rule->name, key) != 0)
			rule++;
		unknown += rule->name == NULL;
	}
	json_object_foreach(values, key, value) {
		const struct field_rule *rule = rules;
		while (rule->name != NULL && strcmp(rule->name, key) != 0)
			rule++;
		FUZZ_CHECK(rule->name != NULL);
	}
	char field[256];
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++) {
		snprintf(field, sizeof field, "%s%s", prefix, rule->name);
		json_t *in = json_object_get(body, rule->name), *kept = json_object_get(values, rule->name);
		if (in == NULL || json_is_null(in)) {
			bool removal = mode == FIELDS_UPDATE && in != NULL;
			if (removal && (rule->flags & FIELD_NULLABLE))
				FUZZ_CHECK(json_is_null(kept));
			else
				FUZZ_CHECK(kept == NULL);
			if ((removal && !(rule->flags & FIELD_NULLABLE)) ||
			    (mode == FIELDS_CREATE && (rule->flags & FIELD_REQUIRED)))
				FUZZ_CHECK(fuzz_has_error(v, field));
			continue;
		}
		if (!fuzz_value_acceptable(rule, in)) {
			FUZZ_CHECK(fuzz_has_error(v, field));
			/* a list that failed part-way keeps the items before (the request is refused anyway) */
			FUZZ_CHECK(kept == NULL || rule->type == FIELD_TEXT_LIST);
		} else if (rule->type == FIELD_OBJECT && rule->members != NULL) {
			char nested[300];
			snprintf(nested, sizeof nested, "%s.", field);
			FUZZ_CHECK(kept != NULL);
			unknown += fuzz_check_fields(v, in, kept, rule->members, FIELDS_CREATE, nested);
		} else {
			FUZZ_CHECK(kept != NULL && json_equal(kept, in));
			FUZZ_CHECK(rule->type != FIELD_TEXT || strcmp(json_string_value(kept), json_string_value(in)) == 0);
		}
	}
	return unknown;
}

void fuzz_check_unknown(const struct validation *v, size_t unknown)
{
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(v->errors, i, e)
		n += strcmp(json_string_value(json_object_get(e, "message")), "unknown field") == 0;
	FUZZ_CHECK(n == unknown);
}

json_t *fuzz_validate_body(json_t *body, const struct field_rule *rules)
{
	struct validation v;
	validate_init(&v);
	json_t *values = validate_fields(&v, body, rules, FIELDS_CREATE);
	fuzz_check_unknown(&v, fuzz_check_fields(&v, body, values, rules, FIELDS_CREATE, ""));
	fuzz_check_refusal(&v);
	bool ok = validate_ok(&v);
	validate_free(&v);
	if (!ok) {
		json_decref(values);
		return NULL;
	}
	fuzz_check_serialises(values);
	return values;
}

json_t *fuzz_body_json(const uint8_t *data, size_t size)
{
	json_error_t error;
	json_t *body = size > 0 ? json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error) : NULL;
	if (body == NULL) {
		char detail[300]; /* input.c's */
		snprintf(detail, sizeof detail, "The body is not valid JSON: %s (line %d, column %d).",
			 size > 0 ? error.text : "empty body", size > 0 ? error.line : 0, size > 0 ? error.column : 0);
		fuzz_check_problem(400, detail, NULL);
	} else if (!json_is_object(body)) {
		fuzz_check_problem(400, "The body must be a JSON object.", NULL);
		json_decref(body);
		body = NULL;
	}
	return body;
}

void fuzz_check_serialises(json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_CHECK(text != NULL);
	json_t *back = fuzz_json_parse_strict(text, strlen(text));
	FUZZ_CHECK(json_equal(back, value));
	json_decref(back);
	free(text);
}
