/*
 * problem_new builds RFC 9457 problem details: type "about:blank", the
 * status's reason phrase as title, an integer status, the detail, and
 * request_id only when one is given.  http_status_title covers success
 * codes and falls back to a generic title for unknown 4xx/5xx.
 */
#include <check.h>
#include <stdlib.h>

#include "problem.h"
#include "request.h"
#include "check_run.h"

static const struct {
	int status;
	const char *title;
} titles[] = {
	{400, "Bad Request"},
	{401, "Unauthorized"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{409, "Conflict"},
	{411, "Length Required"},
	{412, "Precondition Failed"},
	{413, "Content Too Large"},
	{415, "Unsupported Media Type"},
	{422, "Unprocessable Content"},
	{429, "Too Many Requests"},
	{431, "Request Header Fields Too Large"},
	{500, "Internal Server Error"},
	{503, "Service Unavailable"},
};

START_TEST(fields_without_request_id)
{
	json_t *p = problem_new(404, "No listing has this id.", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert(json_is_object(p));
	ck_assert_uint_eq(json_object_size(p), 4);
	ck_assert_str_eq(json_string_value(json_object_get(p, "type")), "about:blank");
	ck_assert_str_eq(json_string_value(json_object_get(p, "title")), "Not Found");
	ck_assert(json_is_integer(json_object_get(p, "status")));
	ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), 404);
	ck_assert_str_eq(json_string_value(json_object_get(p, "detail")), "No listing has this id.");
	ck_assert_ptr_null(json_object_get(p, "request_id"));
	json_decref(p);
}
END_TEST

START_TEST(request_id_when_given)
{
	json_t *p = problem_new(422, "Some fields are invalid.", "0f3c9a7e2b1d4c5a");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(json_object_size(p), 5);
	ck_assert_str_eq(json_string_value(json_object_get(p, "request_id")), "0f3c9a7e2b1d4c5a");
	ck_assert_str_eq(json_string_value(json_object_get(p, "title")), "Unprocessable Content");
	json_decref(p);
}
END_TEST

START_TEST(detail_keeps_utf8)
{
	json_t *p = problem_new(400, "T\xE1\xBB\x89nh kh\xC3\xB4ng h\xE1\xBB\xA3p l\xE1\xBB\x87", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "detail")),
			 "T\xE1\xBB\x89nh kh\xC3\xB4ng h\xE1\xBB\xA3p l\xE1\xBB\x87");
	json_decref(p);
}
END_TEST

START_TEST(title_per_status)
{
	int status = titles[_i].status;
	json_t *p = problem_new(status, "detail", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "title")), titles[_i].title);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), status);
	json_decref(p);
	ck_assert_str_eq(http_status_title(status), titles[_i].title);
}
END_TEST

START_TEST(success_titles)
{
	ck_assert_str_eq(http_status_title(200), "OK");
	ck_assert_str_eq(http_status_title(201), "Created");
	ck_assert_str_eq(http_status_title(204), "No Content");
}
END_TEST

START_TEST(unknown_status_titles)
{
	ck_assert_str_eq(http_status_title(418), "Client Error");
	ck_assert_str_eq(http_status_title(499), "Client Error");
	ck_assert_str_eq(http_status_title(507), "Server Error");
	ck_assert_str_eq(http_status_title(599), "Server Error");
}
END_TEST

static Suite *problem_suite(void)
{
	Suite *s = suite_create("problem");
	TCase *tc = tcase_create("problem");
	tcase_add_test(tc, fields_without_request_id);
	tcase_add_test(tc, request_id_when_given);
	tcase_add_test(tc, detail_keeps_utf8);
	tcase_add_loop_test(tc, title_per_status, 0, (int)(sizeof titles / sizeof titles[0]));
	tcase_add_test(tc, success_titles);
	tcase_add_test(tc, unknown_status_titles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(problem_suite());
}
