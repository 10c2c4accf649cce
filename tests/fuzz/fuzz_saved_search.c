/*
 * Saved search bodies: POST /saved-searches through saved_search_validate
 * (api/saved_searches.h), the handler's whole check: the name, the filters
 * as text (whole numbers as their digits), then listing_filters
 * (api/listings.h), the check GET /listings runs on its query, against the
 * fixed reference data of support.c.  The input is the body, read as
 * input.c reads it; its "filters" member (or the body itself, when it has
 * none) also goes straight to listing_filters, each string member a filter.
 *
 * Beyond "no crash": support.c's oracle of the name and filters rules;
 * listing_filters refuses exactly what an oracle written here from the
 * filters' meaning refuses (known codes, enums of listing_fields' tables,
 * whole numbers in range, an organisation's uuid, q of at most 200
 * characters), with a message that serialises as a valid 400 problem;
 * unknown filters and other JSON types are refused by name; every
 * refusal serialises as a valid 422 problem; and what is accepted is
 * stored exactly as sent: the same filters with the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "saved_searches.h"
#include "support.h"

/* saved_search_validate's rules, restated for the oracle. */
static const struct field_rule body_rules[] = {
	{.name = "name", .flags = FIELD_REQUIRED, .min = 1, .max = 100},
	{.name = "filters", .flags = FIELD_REQUIRED, .type = FIELD_OBJECT},
	{0},
};

static const char *const *choices_of(const char *field)
{
	for (const struct field_rule *rule = listing_fields; rule->name != NULL; rule++)
		if (strcmp(rule->name, field) == 0)
			return rule->choices;
	FUZZ_CHECK(!"a listing field with choices");
}

static bool one_of(const char *const *choices, const char *s)
{
	for (; *choices != NULL; choices++)
		if (strcmp(*choices, s) == 0)
			return true;
	return false;
}

/* Digits only (at most 19), worth lo..hi. */
static bool number_within(const char *s, unsigned long long lo, unsigned long long hi)
{
	size_t n = strlen(s);
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
		return false;
	unsigned long long v = strtoull(s, NULL, 10);
	return v >= lo && v <= hi;
}

static bool uuid_shaped(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

/* Whether the filter `name` with text s is one GET /listings takes. */
static bool filter_acceptable(const char *name, const char *s)
{
	if (strcmp(name, "kind") == 0)
		return one_of(choices_of("kind"), s);
	if (strcmp(name, "sector") == 0)
		return fuzz_sector_known(s);
	if (strcmp(name, "province") == 0)
		return fuzz_province_known(s);
	if (strcmp(name, "trl_min") == 0 || strcmp(name, "trl_max") == 0)
		return number_within(s, 1, 9);
	if (strcmp(name, "ip_status") == 0)
		return one_of(choices_of("ip_status"), s);
	if (strcmp(name, "transfer_mode") == 0)
		return one_of(choices_of("transfer_modes"), s);
	if (strcmp(name, "price_max_vnd") == 0)
		return number_within(s, 0, 1000000000000000ULL);
	if (strcmp(name, "organization") == 0)
		return uuid_shaped(s);
	if (strcmp(name, "indicator") == 0)
		return fuzz_indicator_known(s);
	if (strcmp(name, "q") == 0)
		return fuzz_utf8_well_formed(s, strlen(s), false) && fuzz_utf8_code_points(s) <= 200;
	return true; /* not a filter: listing_filters does not read it */
}

static const char *string_member(const void *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* listing_filters on obj's string members: refused exactly when one is not acceptable. */
static void check_listing_filters(json_t *obj)
{
	bool acceptable = true;
	for (const char *const *name = listing_filter_names; *name != NULL; name++) {
		const char *s = string_member(obj, *name);
		acceptable &= s == NULL || filter_acceptable(*name, s);
	}
	const char *error = "unset";
	json_t *filters = listing_filters(string_member, obj, &error);
	FUZZ_CHECK((filters != NULL) == acceptable);
	FUZZ_CHECK((error == NULL) == acceptable);
	if (filters == NULL) {
		fuzz_check_problem(400, error, NULL);
		return;
	}
	for (const char *const *name = listing_filter_names; *name != NULL; name++) {
		const char *s = string_member(obj, *name), *kept = json_string_value(json_object_get(filters, *name));
		FUZZ_CHECK(s == NULL ? kept == NULL : kept != NULL && strcmp(s, kept) == 0);
	}
	json_decref(filters);
}

/* A filter as the saved search sends it: a string, or a whole number as its digits; NULL otherwise. */
static json_t *as_text(json_t *value)
{
	if (json_is_string(value))
		return json_incref(value);
	if (!json_is_integer(value))
		return NULL;
	char digits[32];
	snprintf(digits, sizeof digits, "%lld", (long long)json_integer_value(value));
	return json_string(digits);
}

static void check_saved_search(json_t *body)
{
	struct validation v;
	json_t *filters = NULL;
	validate_init(&v);
	json_t *values = saved_search_validate(&v, body, &filters);
	FUZZ_CHECK(values != NULL);
	fuzz_check_unknown(&v, fuzz_check_fields(&v, body, values, body_rules, FIELDS_CREATE, ""));
	fuzz_check_refusal(&v);
	FUZZ_CHECK((filters != NULL) == validate_ok(&v));
	json_t *sent = json_object_get(body, "filters");
	const char *key;
	json_t *value;
	bool acceptable = json_is_object(sent);
	json_object_foreach(sent, key, value) {
		bool known = false;
		for (const char *const *name = listing_filter_names; *name != NULL && !known; name++)
			known = strcmp(*name, key) == 0;
		json_t *text = as_text(value);
		acceptable &= known && text != NULL && filter_acceptable(key, json_string_value(text));
		json_decref(text);
	}
	if (!acceptable)
		FUZZ_CHECK(!validate_ok(&v));
	if (filters != NULL) {
		/* stored as sent: the same filters, each with the same text */
		fuzz_check_serialises(filters);
		FUZZ_CHECK(json_object_size(filters) == json_object_size(sent));
		json_object_foreach(sent, key, value) {
			json_t *text = as_text(value);
			FUZZ_CHECK(json_equal(json_object_get(filters, key), text));
			json_decref(text);
		}
	}
	json_decref(filters);
	json_decref(values);
	validate_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_install_reference();
	json_t *body = fuzz_body_json(data, size);
	if (body == NULL)
		return 0;
	check_saved_search(body);
	json_t *filters = json_object_get(body, "filters");
	check_listing_filters(json_is_object(filters) ? filters : body);
	json_decref(body);
	return 0;
}
