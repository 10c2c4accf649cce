/*
 * Deal transition bodies: POST /deals/{id}/transitions, whose handler
 * (deals_transition) validates with deal_transition_fields (api/deals.h)
 * and hands the rest (which moves need a reason, a contract reference or
 * a value) to deal_transition() in SQL.  The input is the body, read as
 * input.c reads it.
 *
 * Beyond "no crash": support.c's oracle of the field rules, the 422
 * serialises as a valid problem, and what is accepted is what the
 * statement is promised: "to" one of deal_states, reason and note of
 * 1..2000 characters, contract_ref of 1..100, value_vnd a whole number
 * from 0 to a million billion, and nothing else; a body without "to" is
 * always refused.
 */
#include <string.h>

#include "deals.h"
#include "support.h"

static bool text_within(json_t *value, size_t max)
{
	if (value == NULL)
		return true;
	const char *s = json_string_value(value);
	size_t chars = s != NULL ? fuzz_utf8_code_points(s) : 0;
	return s != NULL && chars >= 1 && chars <= max && strlen(s) == json_string_length(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body_json(data, size);
	json_t *values = body != NULL ? fuzz_validate_body(body, deal_transition_fields) : NULL;
	if (body != NULL && !json_is_string(json_object_get(body, "to")))
		FUZZ_CHECK(values == NULL);
	if (values != NULL) {
		const char *to = json_string_value(json_object_get(values, "to"));
		bool state = false;
		for (const char *const *s = deal_states; to != NULL && *s != NULL && !state; s++)
			state = strcmp(*s, to) == 0;
		FUZZ_CHECK(state);
		FUZZ_CHECK(text_within(json_object_get(values, "reason"), 2000));
		FUZZ_CHECK(text_within(json_object_get(values, "note"), 2000));
		FUZZ_CHECK(text_within(json_object_get(values, "contract_ref"), 100));
		json_t *value = json_object_get(values, "value_vnd");
		FUZZ_CHECK(value == NULL || (json_is_integer(value) && json_integer_value(value) >= 0 &&
					     json_integer_value(value) <= 1000000000000000LL));
		FUZZ_CHECK(json_object_size(values) <= 5);
	}
	json_decref(values);
	json_decref(body);
	return 0;
}
