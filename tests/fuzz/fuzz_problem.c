/*
 * The problem and JSON output path: problem_new (http/problem.h) with any
 * status and any detail bytes, as problem_reply and problem_reply_errors
 * serialise them; validate_error (http/validate.h) with any field name,
 * plain and prefixed, as a 422's errors; and json_out_string
 * (core/json_out.h), the hand-written JSON of list responses.  The input's
 * first two bytes pick the status, the rest is the detail and field name
 * (up to a NUL) and, whole, the bytes json_out_string writes.
 *
 * Beyond "no crash": every problem serialises to valid UTF-8 JSON that
 * reads back the same, with its status, a title, and the detail repaired
 * and cut between characters below 1 KiB (exactly the oracle's); a field
 * name of any bytes is never lost from the errors (one error each, its
 * name the repaired, cut one, under 160 bytes); json_out_string's output,
 * for every input it accepts (well-formed UTF-8, NULs allowed), parses as
 * a JSON string holding exactly those bytes, with no raw control bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "json_out.h"
#include "problem.h"
#include "validate.h"

static void check_field_error(const char *field, const char *prefix)
{
	struct validation v;
	validate_init(&v);
	v.prefix = prefix;
	validate_error(&v, field, "unknown field");
	FUZZ_CHECK(json_array_size(v.errors) == 1);
	const char *got = json_string_value(json_object_get(json_array_get(v.errors, 0), "field"));
	FUZZ_CHECK(got != NULL);
	char *joined = malloc(strlen(prefix) + strlen(field) + 1);
	FUZZ_CHECK(joined != NULL);
	strcpy(joined, prefix);
	strcat(joined, field);
	fuzz_check_sanitized(joined, got, 160); /* validate.c's bound on a field name */
	fuzz_check_problem(422, "Some fields are invalid; see errors.", v.errors);
	free(joined);
	validate_free(&v);
}

/* Writes s[0..n) between two other values and reads it back. */
static void check_json_out(const char *s, size_t n)
{
	struct json_out o = {0};
	json_out_puts(&o, "[1,");
	json_out_string(&o, s, n);
	json_out_puts(&o, ",\"end\"]");
	FUZZ_CHECK(!o.failed);
	for (size_t i = 0; i < o.len; i++)
		FUZZ_CHECK((unsigned char)o.data[i] >= 0x20);
	json_t *doc = fuzz_json_parse_strict(o.data, o.len);
	FUZZ_CHECK(json_array_size(doc) == 3);
	json_t *str = json_array_get(doc, 1);
	FUZZ_CHECK(json_is_string(str) && json_string_length(str) == n);
	FUZZ_CHECK(n == 0 || memcmp(json_string_value(str), s, n) == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_array_get(doc, 2)), "end") == 0);
	json_decref(doc);
	free(o.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int status = 100 + (data[0] << 8 | data[1]) % 500;
	char *detail = fuzz_cstring(data + 2, size - 2);
	fuzz_check_problem(status, detail, NULL);
	check_field_error(detail, "");
	check_field_error(detail, "organization.");

	const char *bytes = (const char *)data + 2;
	if (fuzz_utf8_well_formed(bytes, size - 2, true)) {
		check_json_out(bytes, size - 2);
	} else {
		char *repaired = fuzz_utf8_repaired(detail);
		check_json_out(repaired, strlen(repaired));
		free(repaired);
	}
	free(detail);
	return 0;
}
