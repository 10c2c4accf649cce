/*
 * Hostile and odd input that must get a clear 4xx, never a 5xx (the
 * front-door issue's smaller items): bytes that are not UTF-8 in a query
 * string or a path (whose access-log line must not be lost), script
 * addresses as a website, and an owner's organisation id written in upper
 * case.
 */
#define _GNU_SOURCE /* strcasestr */
#include <check.h>
#include <ctype.h>
#include <signal.h>
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

/* A server of its own, logging at info on stderr, which the test reads after SIGTERM. */
START_TEST(test_access_log_keeps_paths_that_are_not_utf8)
{
	int port = it_free_port();
	char listen_on[64], db[4096];
	snprintf(listen_on, sizeof listen_on, "MARKETPLACE_LISTEN=127.0.0.1:%d", port);
	snprintf(db, sizeof db, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *const env[] = {listen_on, db, "MARKETPLACE_LOG=info", "MARKETPLACE_THREADS=1", NULL};
	const char *const argv[] = {it_bin(), "serve", "--no-migrate", NULL};
	struct it_proc p;
	it_proc_start(&p, argv, env);
	struct it_response r = {0};
	bool up = false;
	for (double t0 = it_now(); !up && it_now() - t0 < 15; it_sleep_ms(50)) {
		up = it_get(port, "/healthz", &r) && r.status == 200;
		it_response_free(&r);
	}
	static const char request[] = "GET /api/v1/caf\xC3\xA9\xFF\xC3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	bool answered = up && it_raw(port, request, sizeof request - 1, &r);
	int answer = r.status;
	it_response_free(&r);
	kill(p.pid, SIGTERM);
	struct it_cmd out;
	it_proc_finish(&p, 15000, &out);
	ck_assert_msg(up, "the server did not start: %s", out.err);
	ck_assert_msg(answered && answer >= 400 && answer < 500, "status %d for a path that is not UTF-8", answer);
	ck_assert_msg(out.status == 0, "the server exited %d: %s", out.status, out.err);
	/* Its access-log line is there, the bad bytes replaced. */
	ck_assert_msg(strcasestr(out.err, "\"path\":\"/api/v1/caf\\u00e9??\"") != NULL,
		      "no access-log line for the request: %s", out.err);
	it_cmd_free(&out);
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
	tcase_add_test(tc, test_access_log_keeps_paths_that_are_not_utf8);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
