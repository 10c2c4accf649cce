/*
 * The audit log against the real binary and PostgreSQL (DESIGN.md section
 * 4): what is recorded and by whom, the administrators' filters and pages,
 * and append-only in the database itself.  One server for the suite
 * (api_run).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

/* ------------------------------------------------------------ audit */

/* Runs sql, which must fail as the audit log's trigger refuses it. */
static void refused(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char msg[300];
	snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
	bool ok = st == PGRES_FATAL_ERROR && state != NULL && strcmp(state, "42501") == 0;
	PQclear(res);
	ck_assert_msg(ok, "%s: not refused as append-only (status %s): %s", sql, PQresStatus(st), msg);
}

START_TEST(test_audit)
{
	struct api_acct x, admin;
	api_register(&x, "audit-x", "Viện Nghiên cứu Cát Quảng Trị", "research_institute", "quang-tri");
	api_login(&x);
	api_admin(&admin);

	/* The admin's login is audited, a member's is not. */
	char query[200];
	snprintf(query, sizeof query, "entity=user&actor=%s", admin.user_id);
	json_t *e = api_find_audit(query, admin.token, "admin.login", admin.user_id);
	ck_assert_str_eq(api_str(e, "actor_id"), admin.user_id);
	ck_assert_str_eq(api_str(e, "entity"), "user");
	json_decref(e);
	snprintf(query, sizeof query, "/api/v1/audit?actor=%s&limit=100", x.user_id);
	json_t *doc = api_expect_json(200, "GET", query, admin.token, NULL);
	size_t i;
	json_t *it;
	size_t n = json_array_size(json_object_get(doc, "items"));
	ck_assert_msg(n == 1, "%zu audit entries by a new member, expected 1 (registration)", n);
	json_array_foreach(json_object_get(doc, "items"), i, it) {
		ck_assert_str_eq(api_str(it, "action"), "organization.registered");
		ck_assert_str_eq(api_str(it, "entity_id"), x.org_id);
	}
	json_decref(doc);

	/* Verification: who, before and after, and the request it came from. */
	char path[160];
	api_org_path(path, sizeof path, x.org_id, "/verify");
	static const char note[] = "Đã kiểm tra Giấy chứng nhận đăng ký hoạt động KH&CN số 12/ĐK-KHCN";
	char *body = api_dump(json_pack("{s:s}", "note", note));
	struct it_response r;
	api_expect(&r, 200, "POST", path, admin.token, body, NULL);
	char request_id[80];
	snprintf(request_id, sizeof request_id, "%s", it_header(&r, "X-Request-Id") ? it_header(&r, "X-Request-Id") : "");
	it_response_free(&r);
	free(body);
	e = api_find_audit("entity=organization", admin.token, "organization.verified", x.org_id);
	ck_assert_str_eq(api_str(e, "actor_id"), admin.user_id);
	ck_assert_str_eq(api_str(e, "entity"), "organization");
	ck_assert_msg(json_is_false(json_object_get(api_obj(e, "before"), "verified")), "before.verified is not false");
	ck_assert_msg(json_is_true(json_object_get(api_obj(e, "after"), "verified")), "after.verified is not true");
	ck_assert_str_eq(api_str(api_obj(e, "after"), "note"), note);
	ck_assert_str_eq(api_str(e, "request_id"), request_id);
	const char *at = api_str(e, "at"); /* microseconds: 2026-11-27T10:00:00.123456Z */
	ck_assert_msg(strlen(at) == 27 && at[10] == 'T' && at[19] == '.' && at[26] == 'Z', "at is %s", at);
	json_decref(e);
	e = api_find_audit("entity=organization", admin.token, "organization.registered", x.org_id);
	ck_assert_str_eq(api_str(e, "actor_id"), x.user_id);
	json_decref(e);

	/* Filters and pages. */
	doc = api_expect_json(200, "GET", "/api/v1/audit?entity=organization&limit=1", admin.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 1);
	ck_assert_msg(json_is_string(json_object_get(doc, "next_cursor")), "no next_cursor after one of many");
	long first_id = (long)json_integer_value(json_object_get(json_array_get(json_object_get(doc, "items"), 0), "id"));
	char next[300];
	snprintf(next, sizeof next, "/api/v1/audit?entity=organization&limit=1&cursor=%s",
		 json_string_value(json_object_get(doc, "next_cursor")));
	json_decref(doc);
	doc = api_expect_json(200, "GET", next, admin.token, NULL);
	long second_id = (long)json_integer_value(json_object_get(json_array_get(json_object_get(doc, "items"), 0), "id"));
	ck_assert_msg(second_id > 0 && second_id < first_id, "the second page (%ld) is not older than the first (%ld)",
		      second_id, first_id);
	json_decref(doc);
	doc = api_expect_json(200, "GET", "/api/v1/audit?from=2999-01-01T00:00:00Z", admin.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 0);
	json_decref(doc);
	doc = api_expect_json(200, "GET", "/api/v1/audit?entity=organization&to=2000-01-01T00:00:00%2B07:00", admin.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 0);
	json_decref(doc);
	static const char *const bad[] = {"/api/v1/audit?actor=abc", "/api/v1/audit?from=hom-qua",
					  "/api/v1/audit?to=2026-13-45T99:00:00Z", "/api/v1/audit?who=me",
					  "/api/v1/audit?cursor=!!!", "/api/v1/audit?limit=0"};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
		api_expect_only(400, "GET", bad[k], admin.token, NULL);
	api_expect_only(403, "GET", "/api/v1/audit?entity=organization", x.token, NULL);

	/* Append-only in the database itself. */
	PGconn *pg = it_pg_connect(it_db_url());
	static const char fingerprint[] =
		"SELECT count(*) || ':' || md5(string_agg(a::text, ',' ORDER BY id)) FROM audit_log a";
	char *before = it_pg_value(pg, fingerprint);
	refused(pg, "UPDATE audit_log SET action = 'x'");
	refused(pg, "DELETE FROM audit_log");
	refused(pg, "TRUNCATE audit_log");
	char sql[200];
	snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE id = %ld", first_id);
	refused(pg, sql);
	char *after = it_pg_value(pg, fingerprint);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	PQfinish(pg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_audit");
	TCase *tc = tcase_create("audit");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_audit);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
