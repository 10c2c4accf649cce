/*
 * Interest bodies: POST /listings/{id}/interests, whose handler
 * (deals_interest) validates with deal_interest_fields (api/deals.h) and
 * nothing else.  The input is the body, read as input.c reads it.
 *
 * Beyond "no crash": support.c's oracle of the field rules (a refused
 * value has its error and is not kept, an accepted one is kept as sent,
 * one "unknown field" per unknown member), the 422 serialises as a valid
 * problem, and what is accepted is what deal_create is promised: a
 * message of 1..5000 characters without NUL or outer spaces, and a
 * proposed value that, when given, is a whole number of VND from 0 to a
 * million billion.
 */
#include <string.h>

#include "deals.h"
#include "support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body_json(data, size);
	json_t *values = body != NULL ? fuzz_validate_body(body, deal_interest_fields) : NULL;
	if (values != NULL) {
		json_t *message = json_object_get(values, "message"), *value = json_object_get(values, "proposed_value_vnd");
		FUZZ_CHECK(json_is_string(message));
		const char *m = json_string_value(message);
		size_t chars = fuzz_utf8_code_points(m);
		FUZZ_CHECK(chars >= 1 && chars <= 5000 && strlen(m) == json_string_length(message));
		FUZZ_CHECK(m[0] != ' ' && m[strlen(m) - 1] != ' ');
		FUZZ_CHECK(value == NULL || (json_is_integer(value) && json_integer_value(value) >= 0 &&
					     json_integer_value(value) <= 1000000000000000LL));
		FUZZ_CHECK(json_object_size(values) <= 2);
	}
	json_decref(values);
	json_decref(body);
	return 0;
}
