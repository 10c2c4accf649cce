/*
 * The pure checks behind request bodies and list queries:
 * json_content_type_ok (application/json, any case, with parameters) and
 * parse_limit of query.h (absent -> 20; an integer 1..100; anything else rejected).
 */
#include <check.h>
#include <stdlib.h>

#include "input.h"
#include "query.h"
#include "check_run.h"

START_TEST(content_type_accepted)
{
	ck_assert(json_content_type_ok("application/json"));
	ck_assert(json_content_type_ok("application/json; charset=utf-8"));
	ck_assert(json_content_type_ok("application/json;charset=UTF-8"));
	ck_assert(json_content_type_ok("Application/JSON"));
}
END_TEST

START_TEST(content_type_rejected)
{
	ck_assert(!json_content_type_ok("text/plain"));
	ck_assert(!json_content_type_ok("application/jsonp"));
	ck_assert(!json_content_type_ok("application/json-patch+json"));
	ck_assert(!json_content_type_ok("application/x-www-form-urlencoded"));
	ck_assert(!json_content_type_ok("application/"));
	ck_assert(!json_content_type_ok(""));
	ck_assert(!json_content_type_ok(NULL));
}
END_TEST

START_TEST(limit_default_and_valid)
{
	int limit = -1;
	ck_assert(parse_limit(NULL, &limit));
	ck_assert_int_eq(limit, 20);
	ck_assert(parse_limit("1", &limit));
	ck_assert_int_eq(limit, 1);
	ck_assert(parse_limit("100", &limit));
	ck_assert_int_eq(limit, 100);
	ck_assert(parse_limit("37", &limit));
	ck_assert_int_eq(limit, 37);
}
END_TEST

static const char *const bad_limits[] = {
	"0", "101", "-1", "abc", "10x", "", "1.5", "99999999999999999999999",
};

START_TEST(limit_rejected)
{
	int limit = 42;
	ck_assert_msg(!parse_limit(bad_limits[_i], &limit), "limit '%s' accepted", bad_limits[_i]);
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("pure checks");
	tcase_add_test(tc, content_type_accepted);
	tcase_add_test(tc, content_type_rejected);
	tcase_add_test(tc, limit_default_and_valid);
	tcase_add_loop_test(tc, limit_rejected, 0, (int)(sizeof bad_limits / sizeof bad_limits[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(input_suite());
}
