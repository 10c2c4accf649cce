/*
 * Deal message bodies: POST /deals/{id}/messages, whose handler
 * (deals_message_post) validates with deal_message_fields (api/deals.h)
 * and nothing else.  The input is the body, read as input.c reads it.
 *
 * Beyond "no crash": support.c's oracle of the field rules, the 422
 * serialises as a valid problem, and what is accepted is exactly
 * {"body": text} with a text of 1..5000 characters, well-formed, without
 * NUL or outer spaces, as sent.
 */
#include <string.h>

#include "deals.h"
#include "support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body_json(data, size);
	json_t *values = body != NULL ? fuzz_validate_body(body, deal_message_fields) : NULL;
	if (values != NULL) {
		json_t *text = json_object_get(values, "body");
		FUZZ_CHECK(json_object_size(values) == 1 && json_is_string(text));
		const char *s = json_string_value(text);
		size_t chars = fuzz_utf8_code_points(s);
		FUZZ_CHECK(chars >= 1 && chars <= 5000 && strlen(s) == json_string_length(text));
		FUZZ_CHECK(fuzz_utf8_well_formed(s, strlen(s), false));
		FUZZ_CHECK(s[0] != ' ' && s[strlen(s) - 1] != ' ');
		FUZZ_CHECK(json_equal(text, json_object_get(body, "body")) && json_object_size(body) == 1);
	}
	json_decref(values);
	json_decref(body);
	return 0;
}
