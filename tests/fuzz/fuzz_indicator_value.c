/*
 * Indicator value bodies: PUT /indicators/{code}/values/{year} through
 * indicator_value_validate (api/indicators.h), the handler's check, for
 * each indicator the handler lets through (the manual ones and KH43-T3,
 * whose enterprise base is set by hand) as reference_indicator finds it in
 * the fixed reference data of support.c.  The input's first byte picks the
 * indicator, its second the route's year (from a list around the periods'
 * bounds, or none), and the rest is the body, read as input.c reads it.
 *
 * Beyond "no crash": support.c's oracle of the value, base and note rules;
 * the rules of what each indicator measures, restated here from DESIGN.md
 * section 6 (the year within the indicator's period; KH43-T3 a base and
 * no value; the others a value and no base: a percentage 0..100, a whole
 * count 0..1000000, or a text); every refusal serialises as a valid 422
 * problem; and what is accepted is a value of the indicator's kind, whose
 * JSON text (the statement's parameter) reads back the same.
 */
#include <stdlib.h>
#include <string.h>

#include "indicators.h"
#include "support.h"

static const struct field_rule value_rules[] = {
	{.name = "value", .flags = FIELD_NULLABLE, .min = 1, .max = 2000, .type = FIELD_SCALAR},
	{.name = "base", .flags = FIELD_NULLABLE, .min = 1, .max = 100000000, .type = FIELD_INTEGER},
	{.name = "note", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
	{0},
};

static const char *const settable[] = {"KH43-T2", "KH43-T3", "KH43-T4", "KH43-T5", "KH43-T6", "KH43-V2045"};
static const char *const years[] = {NULL, "2022", "2023", "2027", "2030", "2031", "2045", "2046", "203", "02030",
				    "2O30", "+203", "9999", "0000", ""};

static bool year_in_period(const char *year, const struct reference_indicator *ind)
{
	if (year == NULL || strlen(year) != 4 || strspn(year, "0123456789") != 4)
		return false;
	int y = atoi(year);
	return y >= ind->year_from && y <= ind->year_to;
}

/* Whether a value (present, not null) measures what ind measures. */
static bool value_of_kind(json_t *value, const struct reference_indicator *ind)
{
	if (strcmp(ind->unit, "percent") == 0)
		return json_is_number(value) && json_number_value(value) >= 0 && json_number_value(value) <= 100;
	if (strncmp(ind->unit, "count_", 6) == 0)
		return json_is_integer(value) && json_integer_value(value) >= 0 && json_integer_value(value) <= 1000000;
	if (strcmp(ind->unit, "text") == 0) {
		const char *s = json_string_value(value);
		size_t chars = s != NULL ? fuzz_utf8_code_points(s) : 0;
		return s != NULL && chars >= 1 && chars <= 2000 && s[0] != ' ' && s[strlen(s) - 1] != ' ';
	}
	return false;
}

static json_t *present(json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);
	return json_is_null(v) ? NULL : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	fuzz_install_reference();
	const char *code = settable[data[0] % (sizeof settable / sizeof settable[0])];
	const char *year = years[data[1] % (sizeof years / sizeof years[0])];
	struct reference_indicator ind;
	FUZZ_CHECK(reference_indicator(code, &ind) && strcmp(ind.code, code) == 0);
	json_t *body = fuzz_body_json(data + 2, size - 2);
	if (body == NULL)
		return 0;

	struct validation v;
	validate_init(&v);
	json_t *values = indicator_value_validate(&v, &ind, year, body);
	FUZZ_CHECK(values != NULL);
	fuzz_check_unknown(&v, fuzz_check_fields(&v, body, values, value_rules, FIELDS_CREATE, ""));
	fuzz_check_refusal(&v);

	json_t *value = present(body, "value"), *base = present(body, "base");
	bool takes_base = strcmp(code, "KH43-T3") == 0;
	if (!year_in_period(year, &ind))
		FUZZ_CHECK(fuzz_has_error(&v, "year"));
	if (takes_base) {
		if (value != NULL || base == NULL)
			FUZZ_CHECK(fuzz_has_error(&v, value != NULL ? "value" : "base"));
	} else {
		if (base != NULL)
			FUZZ_CHECK(fuzz_has_error(&v, "base"));
		if (value == NULL || !value_of_kind(value, &ind))
			FUZZ_CHECK(fuzz_has_error(&v, "value"));
	}
	if (validate_ok(&v)) {
		FUZZ_CHECK(year_in_period(year, &ind));
		json_t *kept = json_object_get(values, "value"), *kept_base = json_object_get(values, "base");
		if (takes_base) {
			FUZZ_CHECK(kept == NULL && json_is_integer(kept_base));
			FUZZ_CHECK(json_integer_value(kept_base) >= 1 && json_integer_value(kept_base) <= 100000000);
		} else {
			FUZZ_CHECK(kept_base == NULL && kept != NULL && value_of_kind(kept, &ind));
			fuzz_check_serialises(kept); /* json_dumps(value, JSON_ENCODE_ANY), the statement's $3 */
		}
	}
	json_decref(values);
	validate_free(&v);
	json_decref(body);
	return 0;
}
