/* validate.c: email, tax code and UUID syntax, UTF-8 lengths, and the collected errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "check_run.h"

START_TEST(emails)
{
	ck_assert(valid_email("lan.nguyen@vien-nong-nghiep.vn"));
	ck_assert(valid_email("a+tag@sokhcn.quangtri.gov.vn"));
	const char *bad[] = {"", "plain", "@x.vn", "a@", "a@b", "a@b.c", "a@@b.vn", "a b@c.vn",
			     "a@b..vn", ".a@b.vn", "a.@b.vn", "a@.vn", "ngọc@b.vn", "a@b.vn\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!valid_email(bad[i]), "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(tax_codes)
{
	ck_assert(valid_tax_code("3200123456"));
	ck_assert(valid_tax_code("3200123456-001"));
	const char *bad[] = {"", "320012345", "32001234567", "320012345a", "3200123456-01",
			     "3200123456-0011", "3200123456_001", "3200123456-00a"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!valid_tax_code(bad[i]), "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(uuids)
{
	ck_assert(valid_uuid("5b9d9108-2a6f-424a-8662-35d3d81c5c44"));
	ck_assert(valid_uuid("5B9D9108-2A6F-424A-8662-35D3D81C5C44"));
	ck_assert(!valid_uuid("5b9d9108-2a6f-424a-8662-35d3d81c5c4"));
	ck_assert(!valid_uuid("5b9d9108x2a6f-424a-8662-35d3d81c5c44"));
	ck_assert(!valid_uuid("5b9d9108-2a6f-424a-8662-35d3d81c5c4g"));
	ck_assert(!valid_uuid("QT-TO-2026-000123"));
}
END_TEST

START_TEST(utf8_lengths_count_code_points)
{
	ck_assert_uint_eq(utf8_length(""), 0);
	ck_assert_uint_eq(utf8_length("Lan"), 3);
	ck_assert_uint_eq(utf8_length("Nguyễn"), 6);
	ck_assert_uint_eq(utf8_length("Quảng Trị"), 9);
}
END_TEST

START_TEST(errors_are_collected_with_prefix)
{
	json_t *body = json_loads("{\"name\":\"Đông Hà\",\"kind\":\"bank\",\"extra\":1,\"short\":\"ab\","
				  "\"padded\":\" x\",\"number\":5}",
				  0, NULL);
	static const char *const allowed[] = {"name", "kind", "short", "padded", "number", "missing", NULL};
	static const char *const kinds[] = {"enterprise", "startup", NULL};
	struct validation v;
	validate_init(&v);
	v.prefix = "organization.";
	validate_known_fields(&v, body, allowed);
	ck_assert_str_eq(validate_string(&v, body, "name", true, 2, 300), "Đông Hà");
	ck_assert_ptr_null(validate_enum(&v, body, "kind", true, kinds));
	ck_assert_ptr_null(validate_string(&v, body, "short", true, 3, 10));
	ck_assert_ptr_null(validate_string(&v, body, "padded", true, 1, 10));
	ck_assert_ptr_null(validate_string(&v, body, "number", true, 1, 10));
	ck_assert_ptr_null(validate_string(&v, body, "missing", true, 1, 10));
	ck_assert_ptr_null(validate_string(&v, body, "optional", false, 1, 10));
	ck_assert(!validate_ok(&v));
	const char *expected[][2] = {{"organization.extra", "unknown field"},
				     {"organization.kind", "must be one of: enterprise startup"},
				     {"organization.short", "must be 3 to 10 characters long"},
				     {"organization.padded", "must not begin or end with a space"},
				     {"organization.number", "must be a string"},
				     {"organization.missing", "is required"}};
	ck_assert_uint_eq(json_array_size(v.errors), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t *e = json_array_get(v.errors, i);
		ck_assert_str_eq(json_string_value(json_object_get(e, "field")), expected[i][0]);
		ck_assert_str_eq(json_string_value(json_object_get(e, "message")), expected[i][1]);
	}
	validate_free(&v);
	json_decref(body);
}
END_TEST

START_TEST(web_addresses)
{
	ck_assert(valid_web_address("https://vien-nong-nghiep.vn"));
	ck_assert(valid_web_address("HTTP://sokhcn.quangtri.gov.vn/gioi-thieu?x=1"));
	const char *bad[] = {"javascript:alert(1)", "JavaScript://x", "data:text/html,x", "ftp://x.vn",
			     "vien.vn", "https://", "https:///path", "https://a b.vn", "http://x.vn\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!valid_web_address(bad[i]), "'%s' accepted", bad[i]);
}
END_TEST

/* A field name past the limit is cut between characters, so its error still reaches the client. */
START_TEST(long_field_names_keep_their_error)
{
	char key[400] = "";
	while (strlen(key) + 3 < sizeof key - 1)
		strcat(key, "đ"); /* two bytes: a cut at an odd byte would split one */
	strcat(key, "x");
	json_t *body = json_object();
	json_object_set_new(body, key, json_true());
	struct validation v;
	validate_init(&v);
	v.prefix = "o.";
	validate_known_fields(&v, body, (const char *const[]){"name", NULL});
	ck_assert_uint_eq(json_array_size(v.errors), 1);
	const char *field = json_string_value(json_object_get(json_array_get(v.errors, 0), "field"));
	ck_assert_ptr_nonnull(field);
	ck_assert(strncmp(field, "o.đđ", strlen("o.đđ")) == 0);
	ck_assert_uint_lt(strlen(field), 160);
	validate_free(&v);
	json_decref(body);
}
END_TEST

START_TEST(scalars_are_numbers_or_texts)
{
	static const struct field_rule rules[] = {
		{.name = "value", .flags = FIELD_NULLABLE, .min = 1, .max = 5, .type = FIELD_SCALAR}, {0}};
	const char *good[] = {"{\"value\":72.5}", "{\"value\":3}", "{\"value\":\"Khá\"}", "{\"value\":null}", "{}"};
	const char *bad[] = {"{\"value\":true}", "{\"value\":[1]}", "{\"value\":{}}", "{\"value\":\"\"}",
			     "{\"value\":\"quá dài\"}"};
	for (size_t i = 0; i < sizeof good / sizeof good[0] + sizeof bad / sizeof bad[0]; i++) {
		bool ok = i < sizeof good / sizeof good[0];
		const char *text = ok ? good[i] : bad[i - sizeof good / sizeof good[0]];
		json_t *body = json_loads(text, 0, NULL);
		struct validation v;
		validate_init(&v);
		json_t *values = validate_fields(&v, body, rules, FIELDS_CREATE);
		ck_assert_msg(validate_ok(&v) == ok, "%s: %s", text, ok ? "refused" : "accepted");
		json_decref(values);
		validate_free(&v);
		json_decref(body);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, emails);
	tcase_add_test(tc, tax_codes);
	tcase_add_test(tc, uuids);
	tcase_add_test(tc, utf8_lengths_count_code_points);
	tcase_add_test(tc, errors_are_collected_with_prefix);
	tcase_add_test(tc, web_addresses);
	tcase_add_test(tc, long_field_names_keep_their_error);
	tcase_add_test(tc, scalars_are_numbers_or_texts);
	suite_add_tcase(s, tc);
	return check_run(s);
}
