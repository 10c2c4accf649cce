/*
 * Hostile and odd input that must get a clear 4xx, never a 5xx (the
 * front-door issue's smaller items): bytes that are not UTF-8 in a query
 * string, script addresses as a website, and an owner's organisation id
 * written in upper case.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "check_run.h"

START_TEST(test_query_strings_that_are_not_utf8)
{
	const char *const paths[] = {
		"/api/v1/organizations?kind=%FF",          /* a value */
		"/api/v1/organizations?province=%ED%A0%80", /* an encoded surrogate */
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct it_response r;
		api_expect(&r, 400, "GET", paths[i], NULL, NULL, NULL);
		ck_assert_msg(strstr(r.body, "UTF-8") != NULL, "%s: %s", paths[i], r.body);
		it_response_free(&r);
	}
	/* Names are not decoded: an encoded one is simply unknown. */
	api_expect_only(400, "GET", "/api/v1/organizations?%C3%28=1", NULL, NULL);
}
END_TEST

START_TEST(test_websites_are_web_addresses)
{
	struct api_acct owner;
	api_register(&owner, "website", "Trung tâm Ứng dụng", "intermediary", "quang-tri");
	api_login(&owner);
	char org[128];
	api_org_path(org, sizeof org, owner.org_id, "");
	const char *const bad[] = {"javascript:alert(document.cookie)", "data:text/html,<b>x</b>", "vien.vn"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *patch = json_pack("{s:s}", "website", bad[i]);
		api_expect_invalid("PATCH", org, owner.token, patch, API_PAIRS("website", "http"), bad[i]);
	}
	api_expect_only(200, "PATCH", org, owner.token, "{\"website\":\"https://ungdung.quangtri.vn\"}");

	char email[160];
	api_make_email(email, sizeof email, "website-new");
	json_t *doc = api_registration(email, "Mật khẩu bền vững 2026", "Người mới", "Công ty Mới", "startup",
				       "hue", NULL);
	json_object_set_new(json_object_get(doc, "organization"), "website", json_string("javascript:void(0)"));
	api_expect_invalid("POST", "/api/v1/auth/register", NULL, doc,
			   API_PAIRS("organization.website", "http"), "register with a script address");
}
END_TEST

START_TEST(test_owner_may_write_the_id_in_upper_case)
{
	struct api_acct owner;
	api_register(&owner, "upper", "Viện Chữ Hoa", "research_institute", "quang-tri");
	api_login(&owner);
	char upper[40], org[128];
	snprintf(upper, sizeof upper, "%s", owner.org_id);
	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	api_org_path(org, sizeof org, upper, "");
	api_expect_only(200, "PATCH", org, owner.token, "{\"address\":\"Phường Đông Hà\"}");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_hostile_input");
	TCase *tc = tcase_create("hostile_input");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_query_strings_that_are_not_utf8);
	tcase_add_test(tc, test_websites_are_web_addresses);
	tcase_add_test(tc, test_owner_may_write_the_id_in_upper_case);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
