/*
 * The resources' body and cursor checks that handlers and fuzz targets
 * share (api/listings.h, saved_searches.h, indicators.h; http/query.h's
 * cursor_time_id): one case of each rule they add to the field rules.  No
 * reference data is loaded here, so every code is known.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "indicators.h"
#include "listings.h"
#include "query.h"
#include "saved_searches.h"

static const char uuid[] = "5b9d9108-2a6f-424a-8662-35d3d81c5c44";

/* The fields of v's errors, comma-separated, into buf. */
static const char *error_fields(const struct validation *v, char *buf, size_t size)
{
	size_t i;
	json_t *e;
	buf[0] = '\0';
	json_array_foreach(v->errors, i, e) {
		if (i > 0)
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, json_string_value(json_object_get(e, "field")), size - strlen(buf) - 1);
	}
	return buf;
}

/* The fields check_body's validator refused in body (JSON text). */
#define REFUSED(call_with_v, text, buf)                                                \
	do {                                                                           \
		json_t *body = json_loads(text, 0, NULL);                              \
		ck_assert_msg(body != NULL, "%s", text);                               \
		struct validation v;                                                   \
		validate_init(&v);                                                     \
		json_t *out = call_with_v;                                             \
		error_fields(&v, buf, sizeof buf);                                     \
		json_decref(out);                                                      \
		validate_free(&v);                                                     \
		json_decref(body);                                                     \
	} while (0)

START_TEST(time_id_cursors_split)
{
	char cursor[100], *original = "2026-11-28T00:11:52.123456Z|5b9d9108-2a6f-424a-8662-35d3d81c5c44";
	const char *time = NULL, *id = NULL;
	strcpy(cursor, original);
	ck_assert(cursor_time_id(cursor, &time, &id));
	ck_assert_str_eq(time, "2026-11-28T00:11:52.123456Z");
	ck_assert_str_eq(id, uuid);
	strcpy(cursor, "2026-11-28|not-a-uuid");
	ck_assert(!cursor_time_id(cursor, &time, &id));
	ck_assert_str_eq(cursor, "2026-11-28|not-a-uuid");
	strcpy(cursor, "42");
	ck_assert(!cursor_time_id(cursor, &time, &id));
}
END_TEST

START_TEST(listing_cursors_split_by_sort)
{
	char cursor[100], *key = NULL, *last_id = NULL;
	bool fuzzy = true;
	snprintf(cursor, sizeof cursor, "p|100000000|%s", uuid);
	ck_assert(listing_cursor_keys(cursor, 'p', &key, &last_id, &fuzzy));
	ck_assert_str_eq(key, "100000000");
	ck_assert_str_eq(last_id, uuid);
	ck_assert(!fuzzy);
	snprintf(cursor, sizeof cursor, "R|1,2026-11-28T00:11:52Z|%s", uuid);
	ck_assert(listing_cursor_keys(cursor, 'r', &key, &last_id, &fuzzy));
	ck_assert_str_eq(key, "1,2026-11-28T00:11:52Z");
	ck_assert(fuzzy);
	/* another sort, a two-letter sort, an id that is not one, no id, no separator */
	const char *refused[] = {"n|2026|", "pp|1|", "p|1|x", "p|1", "p"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char copy[100];
		snprintf(cursor, sizeof cursor, "%s%s", refused[i], i < 3 ? uuid : "");
		strcpy(copy, cursor);
		ck_assert_msg(!listing_cursor_keys(cursor, 'p', &key, &last_id, &fuzzy), "%s", copy);
		ck_assert_str_eq(cursor, copy);
	}
}
END_TEST

START_TEST(changes_positions_are_digits_that_fit)
{
	char encoded[200], seq[24];
	query_set_cursor_key("unit", 4);
	ck_assert(cursor_encode("42", encoded, sizeof encoded));
	ck_assert(listing_changes_position(encoded, seq));
	ck_assert_str_eq(seq, "42");
	ck_assert(cursor_encode("4a", encoded, sizeof encoded));
	ck_assert(!listing_changes_position(encoded, seq));
	ck_assert(cursor_encode("123456789012345678901234", encoded, sizeof encoded));
	ck_assert(!listing_changes_position(encoded, seq));
}
END_TEST

START_TEST(listing_rules_across_fields)
{
	char fields[200];
	REFUSED(listing_validate(&v, body, FIELDS_CREATE),
		"{\"kind\":\"technology_offer\",\"title\":\"Giống lúa\",\"sector\":\"4.1\",\"province\":\"quang-tri\","
		"\"trl\":5}", fields);
	ck_assert_str_eq(fields, "");
	REFUSED(listing_validate(&v, body, FIELDS_CREATE),
		"{\"kind\":\"technology_offer\",\"title\":\"Giống lúa\",\"sector\":\"4.1\",\"province\":\"quang-tri\","
		"\"price_min_vnd\":2,\"price_max_vnd\":1,\"transfer_modes\":[\"sale\"],\"equipment\":{\"condition\":\"new\"}}",
		fields);
	ck_assert_str_eq(fields, "price_min_vnd,trl,equipment,transfer_modes");
	REFUSED(listing_validate(&v, body, FIELDS_UPDATE), "{\"kind\":\"technology_offer\",\"title\":null}", fields);
	ck_assert_str_eq(fields, "title,kind");
	REFUSED(listing_validate(&v, body, FIELDS_UPDATE), "{\"summary\":null,\"trl\":6}", fields);
	ck_assert_str_eq(fields, "");
}
END_TEST

static json_t *saved_search(struct validation *v, json_t *body, char *filters_text, size_t size)
{
	json_t *filters;
	json_t *values = saved_search_validate(v, body, &filters);
	char *text = filters != NULL ? json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(filters_text, size, "%s", text != NULL ? text : "");
	free(text);
	json_decref(filters);
	return values;
}

START_TEST(saved_search_filters_as_text)
{
	char fields[200], filters[200];
	REFUSED(saved_search(&v, body, filters, sizeof filters),
		"{\"name\":\"Sấy\",\"filters\":{\"q\":\"sấy\",\"trl_min\":3}}", fields);
	ck_assert_str_eq(fields, "");
	ck_assert_str_eq(filters, "{\"q\":\"sấy\",\"trl_min\":\"3\"}");
	REFUSED(saved_search(&v, body, filters, sizeof filters),
		"{\"name\":\"x\",\"filters\":{\"bogus\":1,\"q\":true}}", fields);
	ck_assert_str_eq(fields, "filters.bogus,filters.q");
	ck_assert_str_eq(filters, "");
	REFUSED(saved_search(&v, body, filters, sizeof filters), "{\"name\":\"x\",\"filters\":{\"trl_min\":30}}", fields);
	ck_assert_str_eq(fields, "filters");
}
END_TEST

START_TEST(indicator_values_by_what_they_measure)
{
	static const struct reference_indicator t2 = {"KH43-T2", "percent", false, 2023, 2030};
	static const struct reference_indicator t3 = {"KH43-T3", "percent", true, 2023, 2030};
	static const struct reference_indicator t4 = {"KH43-T4", "count_per_year", false, 2023, 2030};
	char fields[200];
	REFUSED(indicator_value_validate(&v, &t2, "2027", body), "{\"value\":55.5}", fields);
	ck_assert_str_eq(fields, "");
	REFUSED(indicator_value_validate(&v, &t2, "2031", body), "{\"value\":150}", fields);
	ck_assert_str_eq(fields, "year,value");
	REFUSED(indicator_value_validate(&v, &t3, "2027", body), "{\"base\":100}", fields);
	ck_assert_str_eq(fields, "");
	REFUSED(indicator_value_validate(&v, &t3, "2027", body), "{\"value\":3}", fields);
	ck_assert_str_eq(fields, "value,base");
	REFUSED(indicator_value_validate(&v, &t4, NULL, body), "{\"value\":2.5,\"base\":1}", fields);
	ck_assert_str_eq(fields, "year,base,value");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("validators");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, time_id_cursors_split);
	tcase_add_test(tc, listing_cursors_split_by_sort);
	tcase_add_test(tc, changes_positions_are_digits_that_fit);
	tcase_add_test(tc, listing_rules_across_fields);
	tcase_add_test(tc, saved_search_filters_as_text);
	tcase_add_test(tc, indicator_values_by_what_they_measure);
	suite_add_tcase(s, tc);
	return check_run(s);
}
