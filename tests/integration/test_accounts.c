/*
 * Accounts, organisations, authentication, roles and the audit log, against
 * the real binary and PostgreSQL (DESIGN.md sections 3 and 4).
 *
 * Passwords are scrypt N=2^17 (about 0.4 s per hash or check, on as many
 * hashing threads as event-loop threads), so each test registers and logs in
 * only the accounts it needs.  Emails, names and tax codes carry a tag made
 * in main() (the parent: every test runs in its own child) so that reruns on
 * the same database do not collide.
 *
 * Failed logins are counted per email AND per client address for 15 minutes.
 * Every login that is meant to fail is therefore sent from its own loopback
 * address (127.x.y.z, all of which reach the server on 127.0.0.1), so that
 * the limit never spills onto 127.0.0.1, later tests or reruns.
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "harness.h"
#include "password.h"
#include "check_run.h"

/* ------------------------------------------------------------ 1. the whole flow */

START_TEST(test_register_login_me_logout)
{
	api_start(NULL);
	char email[160], email_mixed[160], tax[16], org_name[300];
	api_make_email(email, sizeof email, "thu.huong");
	snprintf(email_mixed, sizeof email_mixed, "Thu.Huong.%s@Example.VN", api_tag());
	api_make_tax(tax, 1);
	static const char password[] = "Mật khẩu rất dài của Hương";
	static const char display[] = "Nguyễn Thị Thu Hương";
	snprintf(org_name, sizeof org_name, "Trường Đại học Khoa học Huế — Phân hiệu Quảng Trị %s", api_tag());
	static const char address[] = "133 Lý Thường Kiệt, phường Đông Hà, tỉnh Quảng Trị";
	/* Precomposed and decomposed (combining marks) forms must both come back byte for byte. */
	static const char description[] = "Chuyển giao công nghệ chế biến hồ tiêu, cà phê; thiết bị sấy "
					  "nông sản. Nghe\xcc\x82\xcc\xa3 thuật «ươm tạo» — 100%.";
	static const char website[] = "https://qtu.edu.vn/khoa-hoc";

	json_t *org = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", org_name, "kind", "university",
				"tax_code", tax, "province", "quang-tri", "address", address, "description",
				description, "website", website);
	char *body = api_dump(json_pack("{s:s, s:s, s:s, s:o}", "email", email_mixed, "password", password,
				    "display_name", display, "organization", org));
	json_t *reg = api_expect_json(201, "POST", "/api/v1/auth/register", NULL, body);
	free(body);
	json_t *user = api_obj(reg, "user"), *o = api_obj(reg, "organization");
	ck_assert_str_eq(api_str(user, "email"), email); /* stored lower-cased */
	ck_assert_str_eq(api_str(user, "display_name"), display);
	ck_assert_str_eq(api_str(user, "role"), "member");
	ck_assert(json_is_true(json_object_get(user, "is_owner")));
	ck_assert_msg(api_is_uuid(api_str(user, "id")) && api_is_uuid(api_str(o, "id")), "ids are not UUIDs: %s",
		      json_dumps(reg, 0));
	ck_assert_str_eq(api_str(user, "organization_id"), api_str(o, "id"));
	ck_assert_str_eq(api_str(o, "name"), org_name);
	ck_assert_str_eq(api_str(o, "kind"), "university");
	ck_assert_str_eq(api_str(o, "tax_code"), tax);
	ck_assert_str_eq(api_str(o, "province"), "quang-tri");
	ck_assert_str_eq(api_str(o, "address"), address);
	ck_assert_str_eq(api_str(o, "description"), description);
	ck_assert_str_eq(api_str(o, "website"), website);
	ck_assert(json_is_false(json_object_get(o, "verified")));
	ck_assert(json_is_null(json_object_get(o, "verified_at")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), 1);
	char *text = json_dumps(reg, 0);
	bool leaks = json_object_get(user, "password_hash") != NULL || strstr(text, "scrypt") != NULL ||
		     strstr(text, password) != NULL;
	free(text);
	ck_assert_msg(!leaks, "the password or its hash is in the registration's answer");
	char user_id[40], org_id[40];
	snprintf(user_id, sizeof user_id, "%s", api_str(user, "id"));
	snprintf(org_id, sizeof org_id, "%s", api_str(o, "id"));

	/* Stored exactly, and the password only as a scrypt hash. */
	PGconn *pg = it_pg_connect(it_db_url());
	char *v = api_sql_value(pg, "SELECT name || '|' || description || '|' || address FROM organizations WHERE id = $1",
			    org_id, NULL);
	char joined[1200];
	snprintf(joined, sizeof joined, "%s|%s|%s", org_name, description, address);
	ck_assert_msg(v != NULL && strcmp(v, joined) == 0, "stored as [%s]", v ? v : "(none)");
	free(v);
	v = api_sql_value(pg, "SELECT password_hash FROM users WHERE id = $1", user_id, NULL);
	ck_assert_msg(v != NULL && strncmp(v, "$scrypt$ln=17,r=8,p=1$", 22) == 0 && strstr(v, "Hương") == NULL,
		      "password_hash is %s", v ? v : "(none)");
	free(v);

	/* Login with the email in another case. */
	body = api_login_body(email_mixed, password);
	struct it_response r;
	api_expect(&r, 200, "POST", "/api/v1/auth/login", NULL, body, NULL);
	const char *cache = it_header(&r, "Cache-Control");
	ck_assert_msg(cache != NULL && strstr(cache, "no-store") != NULL, "login without Cache-Control: no-store");
	json_t *login = it_json(&r);
	it_response_free(&r);
	char token[64];
	snprintf(token, sizeof token, "%s", api_str(login, "token"));
	ck_assert_msg(strlen(token) == 43, "token of %zu characters: %s", strlen(token), token);
	ck_assert_msg(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
		      "token is not base64url: %s", token);
	long expires = api_parse_utc(api_str(login, "expires_at"));
	long want = (long)time(NULL) + 30L * 86400;
	ck_assert_msg(expires > 0 && labs(expires - want) <= 120, "expires_at %s is not now + 30 days",
		      api_str(login, "expires_at"));
	ck_assert_str_eq(api_str(api_obj(login, "user"), "id"), user_id);
	ck_assert_str_eq(api_str(api_obj(login, "user"), "display_name"), display);
	json_decref(login);

	/* A second session, to see that logout revokes only its own token. */
	json_t *second = api_expect_json(200, "POST", "/api/v1/auth/login", NULL, body);
	free(body);
	char token2[64];
	snprintf(token2, sizeof token2, "%s", api_str(second, "token"));
	json_decref(second);
	ck_assert_str_ne(token, token2);

	json_t *me = api_expect_json(200, "GET", "/api/v1/me", token, NULL);
	ck_assert_msg(json_equal(me, reg), "GET /me differs from the registration:\n%s\n%s", json_dumps(me, 0),
		      json_dumps(reg, 0));
	json_decref(me);

	/* Only the token's SHA-256 is stored. */
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM tokens WHERE hash = sha256(convert_to($1, 'UTF8'))"
				      " AND user_id = $2 AND revoked_at IS NULL",
				  token, user_id),
			 1);

	api_expect(&r, 204, "POST", "/api/v1/auth/logout", token, NULL, NULL);
	ck_assert_msg(r.body_len == 0, "204 with a body: %s", r.body);
	it_response_free(&r);
	api_expect_only(401, "GET", "/api/v1/me", token, NULL);
	api_expect_only(401, "POST", "/api/v1/auth/logout", token, NULL);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM tokens WHERE hash = sha256(convert_to($1, 'UTF8'))"
				      " AND revoked_at IS NOT NULL",
				  token, NULL),
			 1);
	me = api_expect_json(200, "GET", "/api/v1/me", token2, NULL);
	ck_assert_str_eq(api_str(api_obj(me, "user"), "id"), user_id);
	json_decref(me);

	/* No, malformed, or unknown credentials. */
	api_expect_only(401, "GET", "/api/v1/me", NULL, NULL);
	api_expect(&r, 401, "GET", "/api/v1/me", NULL, NULL, "Authorization: Basic dXNlcjpwYXNz");
	it_response_free(&r);
	api_expect_only(401, "GET", "/api/v1/me", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
	api_expect_only(401, "GET", "/api/v1/me", "short", NULL);
	api_expect_only(401, "POST", "/api/v1/auth/logout", NULL, NULL);

	json_decref(reg);
	PQfinish(pg);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 2. validation */

/* A valid registration of a new account `who` (without tax code). */
static json_t *valid_doc(const char *who)
{
	char email[160], org[200];
	api_make_email(email, sizeof email, who);
	snprintf(org, sizeof org, "Công ty TNHH %s %s", who, api_tag());
	return api_registration(email, "mat-khau-du-dai", "Trần Văn Bình", org, "enterprise", "quang-tri", NULL);
}

static json_t *org_of(json_t *doc) { return json_object_get(doc, "organization"); }

#define REGISTER "/api/v1/auth/register"

START_TEST(test_registration_validation)
{
	api_start(NULL);
	json_t *d;

	static const char *const bad_emails[] = {"khong-phai-email", "nguyen@localhost", "nguyen van@example.vn",
						 "nguyen@@example.vn", "nguyen@example.v", ".nguyen@example.vn",
						 "nguyễn@example.vn"};
	for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
		d = valid_doc("val-email");
		json_object_set_new(d, "email", json_string(bad_emails[i]));
		api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("email", ""), bad_emails[i]);
	}
	d = valid_doc("val-email-type");
	json_object_set_new(d, "email", json_integer(42));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("email", "string"), "a numeric email");

	/* Nine characters (twelve bytes) are too few: characters are counted, not bytes. */
	d = valid_doc("val-pw9");
	json_object_set_new(d, "password", json_string("mậtkhẩu12"));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("password", "10"), "a 9-character password");
	d = valid_doc("val-pw-null");
	json_object_set_new(d, "password", json_null());
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("password", "is required"), "a null password");

	d = valid_doc("val-bogus");
	json_object_set_new(d, "bogus", json_true());
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("bogus", "unknown field"), "an unknown top-level field");
	d = valid_doc("val-extra");
	json_object_set_new(org_of(d), "extra", json_string("x"));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("organization.extra", "unknown field"), "an unknown nested field");

	d = valid_doc("val-kind");
	json_object_set_new(org_of(d), "kind", json_string("cong-ty"));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("organization.kind", "research_institute"), "a bad kind");

	static const char *const bad_tax[] = {"320012345", "32001234AB", "3200123456-12", "3200123456 123",
					      "3200123456-1234", "3200123456/001"};
	for (size_t i = 0; i < sizeof bad_tax / sizeof bad_tax[0]; i++) {
		d = valid_doc("val-tax");
		json_object_set_new(org_of(d), "tax_code", json_string(bad_tax[i]));
		api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("organization.tax_code", ""), bad_tax[i]);
	}

	api_expect_invalid("POST", REGISTER, NULL, json_object(),
		       API_PAIRS("email", "is required", "password", "is required", "display_name", "is required",
			     "organization", "is required"),
		       "an empty object");
	d = valid_doc("val-org-empty");
	json_object_set_new(d, "organization", json_object());
	api_expect_invalid("POST", REGISTER, NULL, d,
		       API_PAIRS("organization.name", "is required", "organization.kind", "is required",
			     "organization.province", "is required"),
		       "an empty organization");
	d = valid_doc("val-org-string");
	json_object_set_new(d, "organization", json_string("Viện Khoa học"));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("organization", "object"), "organization as a string");
	d = valid_doc("val-display");
	json_object_set_new(d, "display_name", json_string(" Bình"));
	api_expect_invalid("POST", REGISTER, NULL, d, API_PAIRS("display_name", ""), "a display name with a leading space");

	/* Login: the same kinds of checks (and no attempt is counted). */
	api_expect_invalid("POST", "/api/v1/auth/login", NULL, json_object(), API_PAIRS("email", "is required", "password", "is required"),
		       "an empty login");
	api_expect_invalid("POST", "/api/v1/auth/login", NULL,
		       json_pack("{s:s, s:s, s:b}", "email", "a@example.vn", "password", "x", "remember", 1),
		       API_PAIRS("remember", "unknown field"), "a login with an unknown field");

	/* Malformed bodies and media types. */
	static const char *const malformed[] = {"{\"email\": ", "[1, 2]", "\"text\"", "", "{\"a\":1,\"a\":2}",
						"{\"email\":\"x\"} trailing"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		struct it_response r;
		api_call(&r, "POST", REGISTER, NULL, malformed[i], NULL);
		ck_assert_msg(r.status == 400, "body [%s]: status %d, expected 400: %s", malformed[i], r.status,
			      r.body);
		it_assert_problem(&r, 400);
		it_response_free(&r);
	}
	char *valid = api_dump(valid_doc("val-media"));
	static const char *const media[] = {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
					    "Content-Type: application/jsonx"};
	for (size_t i = 0; i < sizeof media / sizeof media[0]; i++) {
		struct it_response r;
		api_expect(&r, 415, "POST", REGISTER, NULL, valid, media[i]);
		it_response_free(&r);
	}
	struct it_response r;
	ck_assert(it_http(api_port(), "POST", REGISTER, NULL, valid, strlen(valid), &r));
	ck_assert_msg(r.status == 415, "no Content-Type: status %d: %s", r.status, r.body);
	it_assert_problem(&r, 415);
	it_response_free(&r);
	free(valid);

	/* Nothing above was stored. */
	PGconn *pg = it_pg_connect(it_db_url());
	char like[80];
	snprintf(like, sizeof like, "val-%%.%s@example.vn", api_tag());
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email LIKE $1", like, NULL), 0);

	/* Ten characters pass, with a 10-digit tax code; a branch code (10 + '-' + 3) passes too. */
	char tax[16], branch[16], email[160], other[160], org_name[200];
	api_make_tax(tax, 2);
	d = valid_doc("val-ok10");
	json_object_set_new(d, "password", json_string("mậtkhẩu123"));
	json_object_set_new(org_of(d), "tax_code", json_string(tax));
	char *body = api_dump(d);
	json_t *doc = api_expect_json(201, "POST", REGISTER, NULL, body);
	free(body);
	ck_assert_str_eq(api_str(api_obj(doc, "organization"), "tax_code"), tax);
	json_decref(doc);
	api_make_tax(branch, 3);
	strcat(branch, "-001");
	d = valid_doc("val-branch");
	json_object_set_new(org_of(d), "tax_code", json_string(branch));
	body = api_dump(d);
	doc = api_expect_json(201, "POST", REGISTER, NULL, body);
	free(body);
	ck_assert_str_eq(api_str(api_obj(doc, "organization"), "tax_code"), branch);
	json_decref(doc);

	/* The same email in another case: 409, and no organisation left behind. */
	snprintf(email, sizeof email, "VAL-OK10.%s@EXAMPLE.VN", api_tag());
	snprintf(org_name, sizeof org_name, "Công ty trùng email %s", api_tag());
	body = api_dump(api_registration(email, "mat-khau-khac-1", "Lê Văn Cường", org_name, "startup", "hue", NULL));
	struct it_response dup;
	api_expect(&dup, 409, "POST", REGISTER, NULL, body, NULL);
	ck_assert_msg(strstr(dup.body, "email") != NULL, "409 does not say why: %s", dup.body);
	it_response_free(&dup);
	free(body);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM organizations WHERE name = $1", org_name, NULL), 0);

	/* The same tax code: 409, and the new email is not registered. */
	api_make_email(other, sizeof other, "val-dup-tax");
	body = api_dump(api_registration(other, "mat-khau-khac-2", "Phạm Thị Dung", org_name, "startup", "hue", tax));
	api_expect(&dup, 409, "POST", REGISTER, NULL, body, NULL);
	ck_assert_msg(strstr(dup.body, "tax code") != NULL, "409 does not say why: %s", dup.body);
	it_response_free(&dup);
	free(body);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", other, NULL), 0);

	/* Quảng Bình was merged into Quảng Trị on 1 July 2025: not a province slug any more. */
	api_make_email(other, sizeof other, "val-province");
	body = api_dump(api_registration(other, "mat-khau-khac-3", "Hoàng Văn Em", org_name, "startup", "quang-binh", NULL));
	api_call(&r, "POST", REGISTER, NULL, body, NULL);
	api_assert_errors(&r, API_PAIRS("organization.province", ""), "an unknown province");
	it_response_free(&r);
	free(body);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", other, NULL), 0);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM organizations WHERE name = $1", org_name, NULL), 0);

	PQfinish(pg);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 3. roles */

START_TEST(test_roles)
{
	api_start(NULL);
	struct api_acct a, b, admin;
	api_register(&a, "roles-a", "Viện Công nghệ sinh học Quảng Trị", "research_institute", "quang-tri");
	api_register(&b, "roles-b", "Công ty Cổ phần Thiết bị Hà Nội", "enterprise", "ha-noi");
	api_login(&a);
	api_login(&b);
	api_admin(&admin);

	json_t *me = api_expect_json(200, "GET", "/api/v1/me", admin.token, NULL);
	ck_assert_str_eq(api_str(api_obj(me, "user"), "role"), "admin");
	ck_assert(json_is_null(json_object_get(me, "organization")));
	json_decref(me);

	char path[160], verify[160], unknown[160], unknown_verify[160];
	api_org_path(path, sizeof path, a.org_id, "");
	api_org_path(verify, sizeof verify, a.org_id, "/verify");
	api_org_path(unknown, sizeof unknown, "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", "");
	api_org_path(unknown_verify, sizeof unknown_verify, "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", "/verify");

	/* GET of an unverified organisation. */
	api_expect_only(404, "GET", path, NULL, NULL);
	api_expect_only(404, "GET", path, b.token, NULL);
	struct it_response r;
	api_expect(&r, 200, "GET", path, a.token, NULL, NULL);
	ck_assert_msg(it_header(&r, "ETag") && strcmp(it_header(&r, "ETag"), "\"1\"") == 0, "ETag %s",
		      it_header(&r, "ETag") ? it_header(&r, "ETag") : "missing");
	it_response_free(&r);
	api_expect_only(200, "GET", path, admin.token, NULL);
	api_expect_only(401, "GET", path, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL); /* a bad token is no anonymity */
	api_expect_only(404, "GET", unknown, admin.token, NULL);
	api_expect_only(404, "GET", "/api/v1/organizations/khong-phai-uuid", admin.token, NULL);

	/* PATCH of an unverified organisation. */
	char *patch = api_dump(json_pack("{s:s}", "description", "Nghiên cứu giống lúa chịu mặn"));
	api_expect_only(401, "PATCH", path, NULL, patch);
	api_expect_only(404, "PATCH", path, b.token, patch);
	json_t *doc = api_expect_json(200, "PATCH", path, a.token, patch);
	ck_assert_str_eq(api_str(doc, "description"), "Nghiên cứu giống lúa chịu mặn");
	json_decref(doc);
	char *admin_patch = api_dump(json_pack("{s:s}", "website", "https://vcnsh.quangtri.vn"));
	doc = api_expect_json(200, "PATCH", path, admin.token, admin_patch);
	ck_assert_str_eq(api_str(doc, "website"), "https://vcnsh.quangtri.vn");
	ck_assert_str_eq(api_str(doc, "description"), "Nghiên cứu giống lúa chịu mặn");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 3);
	json_decref(doc);
	api_expect_only(404, "PATCH", unknown, admin.token, patch);
	api_expect_only(404, "PATCH", "/api/v1/organizations/khong-phai-uuid", admin.token, patch);

	/* PATCH validation (owner). */
	struct {
		const char *body, *field;
	} bad_patches[] = {{"{\"name\":null}", "name"},
			   {"{\"kind\":\"cong-ty\"}", "kind"},
			   {"{\"tax_code\":\"12345\"}", "tax_code"},
			   {"{\"verified\":true}", "verified"},
			   {"{\"province\":\"quang-binh\"}", "province"}};
	for (size_t i = 0; i < sizeof bad_patches / sizeof bad_patches[0]; i++) {
		api_call(&r, "PATCH", path, a.token, bad_patches[i].body, NULL);
		api_assert_errors(&r, API_PAIRS(bad_patches[i].field, ""), bad_patches[i].body);
		it_response_free(&r);
	}

	/* Verification: admins only, once. */
	char *note = api_dump(json_pack("{s:s}", "note", "Đã đối chiếu giấy phép hoạt động KH&CN"));
	api_expect_only(401, "POST", verify, NULL, note);
	api_expect_only(403, "POST", verify, a.token, note);
	api_expect_only(403, "POST", verify, b.token, note);
	api_call(&r, "POST", verify, admin.token, "{\"note\":\"x\",\"bogus\":1}", NULL);
	api_assert_errors(&r, API_PAIRS("bogus", "unknown field"), "verify with an unknown field");
	it_response_free(&r);
	api_expect(&r, 200, "POST", verify, admin.token, note, NULL);
	ck_assert_msg(it_header(&r, "ETag") && strcmp(it_header(&r, "ETag"), "\"4\"") == 0, "verify ETag %s",
		      it_header(&r, "ETag") ? it_header(&r, "ETag") : "missing");
	doc = it_json(&r);
	it_response_free(&r);
	ck_assert(json_is_true(json_object_get(doc, "verified")));
	ck_assert_msg(api_parse_utc(api_str(doc, "verified_at")) > 0, "verified_at %s", api_str(doc, "verified_at"));
	json_decref(doc);
	api_expect_only(409, "POST", verify, admin.token, note);
	api_expect_only(404, "POST", unknown_verify, admin.token, note);
	api_expect_only(404, "POST", "/api/v1/organizations/khong-phai-uuid/verify", admin.token, note);

	/* Verified: public, but still only its owner or an admin may change it. */
	api_expect_only(200, "GET", path, NULL, NULL);
	api_expect_only(200, "GET", path, b.token, NULL);
	api_expect_only(403, "PATCH", path, b.token, patch);
	api_expect_only(401, "PATCH", path, NULL, patch);
	api_expect_only(200, "PATCH", path, a.token, patch);

	/* B's unverified organisation is invisible to A. */
	char path_b[160];
	api_org_path(path_b, sizeof path_b, b.org_id, "");
	api_expect_only(404, "GET", path_b, a.token, NULL);
	api_expect_only(200, "GET", path_b, b.token, NULL);

	/* Audit: administrators only. */
	api_expect_only(401, "GET", "/api/v1/audit", NULL, NULL);
	api_expect_only(403, "GET", "/api/v1/audit", a.token, NULL);
	api_expect_only(403, "GET", "/api/v1/audit", b.token, NULL);
	doc = api_expect_json(200, "GET", "/api/v1/audit", admin.token, NULL);
	ck_assert(json_is_array(json_object_get(doc, "items")));
	json_decref(doc);

	/* Own account, anyone's: /me needs a token. */
	api_expect_only(401, "GET", "/api/v1/me", NULL, NULL);
	me = api_expect_json(200, "GET", "/api/v1/me", b.token, NULL);
	ck_assert_str_eq(api_str(api_obj(me, "organization"), "id"), b.org_id);
	json_decref(me);

	free(patch);
	free(admin_patch);
	free(note);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 3b. the directory */

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert(b->s != NULL);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static bool has_id(json_t *items, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *v = json_string_value(json_object_get(it, "id"));
		if (v != NULL && strcmp(v, id) == 0)
			return true;
	}
	return false;
}

/* GET query; every item is verified and matches kind/province (when not NULL); returns items (decref the doc). */
static json_t *list(const char *query, const char *kind, const char *province, json_t **doc)
{
	char path[512];
	snprintf(path, sizeof path, "/api/v1/organizations?%s", query);
	*doc = api_expect_json(200, "GET", path, NULL, NULL);
	json_t *items = json_object_get(*doc, "items");
	ck_assert_msg(json_is_array(items), "%s: no items", path);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		ck_assert_msg(json_is_true(json_object_get(it, "verified")), "%s lists an unverified organisation", path);
		if (kind != NULL)
			ck_assert_str_eq(api_str(it, "kind"), kind);
		if (province != NULL)
			ck_assert_str_eq(api_str(it, "province"), province);
	}
	return items;
}

START_TEST(test_directory)
{
	api_start(NULL);
	struct api_acct c, d, e, admin;
	api_register(&c, "dir-c", "Công ty khởi nghiệp Nông nghiệp số Huế", "startup", "hue");
	api_register(&d, "dir-d", "Sở Khoa học và Công nghệ Đà Nẵng", "government", "da-nang");
	api_register(&e, "dir-e", "Trung tâm Môi giới Công nghệ Huế", "intermediary", "hue");
	api_admin(&admin);
	char path[160];
	api_org_path(path, sizeof path, c.org_id, "/verify");
	api_expect_only(200, "POST", path, admin.token, "{}");
	api_org_path(path, sizeof path, d.org_id, "/verify");
	api_expect_only(200, "POST", path, admin.token, "{\"note\":\"Hồ sơ đầy đủ\"}");

	/* Newest first; only verified ones. */
	json_t *doc, *items = list("limit=100", NULL, NULL, &doc);
	ck_assert_msg(has_id(items, c.org_id) && has_id(items, d.org_id), "verified organisations missing");
	ck_assert_msg(!has_id(items, e.org_id), "an unverified organisation is listed");
	json_decref(doc);

	items = list("kind=startup&limit=100", "startup", NULL, &doc);
	ck_assert(has_id(items, c.org_id) && !has_id(items, d.org_id));
	json_decref(doc);
	items = list("province=hue&limit=100", NULL, "hue", &doc);
	ck_assert(has_id(items, c.org_id) && !has_id(items, d.org_id) && !has_id(items, e.org_id));
	json_decref(doc);
	items = list("kind=government&province=da-nang", "government", "da-nang", &doc);
	ck_assert(has_id(items, d.org_id));
	json_decref(doc);
	items = list("kind=startup&province=da-nang&limit=100", "startup", "da-nang", &doc);
	ck_assert(!has_id(items, c.org_id) && !has_id(items, d.org_id));
	json_decref(doc);

	/* limit=1 walks every verified organisation once, in the database's keyset order. */
	PGconn *pg = it_pg_connect(it_db_url());
	char *expected = api_sql_value(pg, "SELECT coalesce(string_agg(id::text, ',' ORDER BY created_at DESC, id DESC), '')"
				       " FROM organizations WHERE verified_at IS NOT NULL",
				   NULL, NULL);
	ck_assert(expected != NULL);
	struct buf walked = {0};
	buf_add(&walked, "");
	char cursor[256] = "";
	int pages = 0;
	for (;;) {
		char query[320];
		snprintf(query, sizeof query, "limit=1%s%s", cursor[0] ? "&cursor=" : "", cursor);
		items = list(query, NULL, NULL, &doc);
		ck_assert_msg(json_array_size(items) == 1, "page %d has %zu items", pages, json_array_size(items));
		if (walked.len > 0)
			buf_add(&walked, ",");
		buf_add(&walked, api_str(json_array_get(items, 0), "id"));
		json_t *next = json_object_get(doc, "next_cursor");
		pages++;
		if (json_is_null(next)) {
			json_decref(doc);
			break;
		}
		ck_assert_msg(json_is_string(next) && strlen(json_string_value(next)) < sizeof cursor,
			      "next_cursor is neither a string nor null");
		snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		json_decref(doc);
		ck_assert_msg(pages < 5000, "the walk does not end");
	}
	ck_assert_msg(strcmp(walked.s, expected) == 0, "walked %d pages:\n%s\nexpected:\n%s", pages, walked.s,
		      expected);
	free(walked.s);
	free(expected);
	PQfinish(pg);

	/* Bad queries. */
	char garbage_uuid[256], garbage_time[256], raw[128];
	api_b64url("abc", raw, sizeof raw);
	snprintf(garbage_uuid, sizeof garbage_uuid, "/api/v1/organizations?cursor=%s", raw);
	api_b64url("hom-qua|6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", raw, sizeof raw);
	snprintf(garbage_time, sizeof garbage_time, "/api/v1/organizations?cursor=%s", raw);
	const char *bad[] = {"/api/v1/organizations?limit=0",      "/api/v1/organizations?limit=101",
			     "/api/v1/organizations?limit=abc",    "/api/v1/organizations?limit=-1",
			     "/api/v1/organizations?limit=",       "/api/v1/organizations?limit=1.5",
			     "/api/v1/organizations?sort=name",    "/api/v1/organizations?cursor=!!!",
			     "/api/v1/organizations?kind=cong-ty", garbage_uuid,
			     garbage_time};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		api_expect_only(400, "GET", bad[i], NULL, NULL);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 4. If-Match */

static void patch_with(struct it_response *r, int status, const char *path, const char *token, const char *body,
		       const char *if_match)
{
	char header[64] = "";
	if (if_match != NULL)
		snprintf(header, sizeof header, "If-Match: %s", if_match);
	api_expect(r, status, "PATCH", path, token, body, if_match != NULL ? header : NULL);
}

static void assert_etag(const struct it_response *r, const char *want)
{
	const char *etag = it_header(r, "ETag");
	ck_assert_msg(etag != NULL && strcmp(etag, want) == 0, "ETag %s, expected %s", etag ? etag : "missing", want);
}

START_TEST(test_if_match)
{
	api_start(NULL);
	struct api_acct a;
	api_register(&a, "etag", "Hợp tác xã Dược liệu Hướng Hóa", "enterprise", "quang-tri");
	api_login(&a);
	char path[160];
	api_org_path(path, sizeof path, a.org_id, "");
	struct it_response r;
	api_expect(&r, 200, "GET", path, a.token, NULL, NULL);
	assert_etag(&r, "\"1\"");
	it_response_free(&r);

	char *first = api_dump(json_pack("{s:s}", "description", "Trồng và chế biến sâm Bố Chính"));
	patch_with(&r, 200, path, a.token, first, "\"1\"");
	assert_etag(&r, "\"2\"");
	json_t *doc = it_json(&r);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 2);
	ck_assert_str_eq(api_str(doc, "description"), "Trồng và chế biến sâm Bố Chính");
	json_decref(doc);
	it_response_free(&r);

	char *stale = api_dump(json_pack("{s:s}", "description", "Bản sửa dựa trên dữ liệu cũ"));
	patch_with(&r, 412, path, a.token, stale, "\"1\"");
	it_response_free(&r);
	api_expect(&r, 200, "GET", path, a.token, NULL, NULL);
	assert_etag(&r, "\"2\"");
	doc = it_json(&r);
	ck_assert_str_eq(api_str(doc, "description"), "Trồng và chế biến sâm Bố Chính");
	json_decref(doc);
	it_response_free(&r);

	char *third = api_dump(json_pack("{s:s, s:n}", "address", "Khe Sanh, Hướng Hóa", "website"));
	patch_with(&r, 200, path, a.token, third, "\"2\"");
	assert_etag(&r, "\"3\"");
	it_response_free(&r);
	patch_with(&r, 200, path, a.token, first, "*");
	assert_etag(&r, "\"4\"");
	it_response_free(&r);
	patch_with(&r, 200, path, a.token, first, NULL);
	assert_etag(&r, "\"5\"");
	it_response_free(&r);
	patch_with(&r, 412, path, a.token, first, "\"99\"");
	it_response_free(&r);

	/* Four changes, four audit rows (none for the refused ones). */
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM audit_log WHERE entity = 'organization'"
				      " AND entity_id = $1 AND action = 'organization.updated'",
				  a.org_id, NULL),
			 4);
	PQfinish(pg);
	free(first);
	free(stale);
	free(third);
	api_stop_ok();
}
END_TEST

/* An owner's change to what was verified (name, kind, tax code, province) needs verifying again. */
START_TEST(test_identity_edit_needs_reverification)
{
	api_start(NULL);
	struct api_acct a, admin;
	api_register(&a, "reverify", "Công ty TNHH Cơ khí Đông Hà", "enterprise", "quang-tri");
	api_login(&a);
	api_admin(&admin);
	char path[160], verify[160];
	api_org_path(path, sizeof path, a.org_id, "");
	api_org_path(verify, sizeof verify, a.org_id, "/verify");
	struct it_response r;
	api_expect(&r, 200, "POST", verify, admin.token, "{\"note\":\"Đã đối chiếu giấy phép kinh doanh\"}", NULL);
	it_response_free(&r);

	/* Contact details keep the verification. */
	patch_with(&r, 200, path, a.token, "{\"website\":\"https://cokhidongha.vn\"}", NULL);
	json_t *doc = it_json(&r);
	ck_assert(json_is_true(json_object_get(doc, "verified")));
	json_decref(doc);
	it_response_free(&r);

	/* The legal name does not: the organisation leaves the public directory. */
	patch_with(&r, 200, path, a.token, "{\"name\":\"Công ty Cổ phần Cơ khí Đông Hà\"}", NULL);
	doc = it_json(&r);
	ck_assert(json_is_false(json_object_get(doc, "verified")));
	ck_assert(json_is_null(json_object_get(doc, "verified_at")));
	json_decref(doc);
	it_response_free(&r);
	api_expect_only(404, "GET", path, NULL, NULL);

	/* An administrator verifies again, and an administrator's own edit keeps it. */
	api_expect(&r, 200, "POST", verify, admin.token, "{}", NULL);
	it_response_free(&r);
	patch_with(&r, 200, path, admin.token, "{\"name\":\"Công ty CP Cơ khí Đông Hà\"}", NULL);
	doc = it_json(&r);
	ck_assert(json_is_true(json_object_get(doc, "verified")));
	json_decref(doc);
	it_response_free(&r);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 5. login rate limit */

/* Sends a login for (email, password) from loopback slot `slot` (-1: 127.0.0.1); returns the connection. */
static int send_login(int slot, const char *email, const char *password)
{
	char src[32];
	if (slot >= 0)
		api_source_addr(src, slot);
	char *body = api_login_body(email, password);
	int fd = api_send(slot >= 0 ? src : NULL, "POST", "/api/v1/auth/login", NULL, body, NULL);
	free(body);
	return fd;
}

static void login_from(struct it_response *r, int slot, const char *email, const char *password)
{
	api_recv(send_login(slot, email, password), r, "POST", "/api/v1/auth/login");
}

/* Sends n logins at once, from slots first..first+n-1; fails unless every answer is `status`. */
static void logins_at_once(int n, int first, const char *const *emails, const char *password, int status)
{
	int fds[32];
	ck_assert(n <= 32);
	for (int i = 0; i < n; i++)
		fds[i] = send_login(first + i, emails[i], password);
	for (int i = 0; i < n; i++) {
		struct it_response r;
		api_recv(fds[i], &r, "POST", "/api/v1/auth/login");
		api_check_status(&r, status, "POST", "/api/v1/auth/login");
		it_response_free(&r);
	}
}

static void assert_retry_after(const struct it_response *r)
{
	api_check_status(r, 429, "POST", "/api/v1/auth/login");
	const char *retry = it_header(r, "Retry-After");
	ck_assert_msg(retry != NULL && retry[0] != '\0' && strspn(retry, "0123456789") == strlen(retry),
		      "Retry-After is %s", retry ? retry : "missing");
	long s = strtol(retry, NULL, 10);
	ck_assert_msg(s >= 1 && s <= 900, "Retry-After %ld is not within the 15-minute window", s);
}

START_TEST(test_login_rate_limit)
{
	api_start(NULL);
	struct api_acct u, v;
	api_register(&u, "limit-u", "Công ty Thủy sản Cửa Việt", "enterprise", "quang-tri");
	api_register(&v, "limit-v", "Công ty Cơ khí Lao Bảo", "enterprise", "quang-tri");
	char unknown[160];
	api_make_email(unknown, sizeof unknown, "limit-nobody");

	/* Unknown email and wrong password: the same status, detail and challenge. */
	struct it_response wrong, nobody;
	login_from(&wrong, 0, u.email, "sai-mat-khau-0");
	login_from(&nobody, 1, unknown, "sai-mat-khau-0");
	api_check_status(&wrong, 401, "POST", "/api/v1/auth/login (wrong password)");
	api_check_status(&nobody, 401, "POST", "/api/v1/auth/login (unknown email)");
	json_t *pw = it_json(&wrong), *pn = it_json(&nobody);
	ck_assert_str_eq(api_str(pw, "detail"), api_str(pn, "detail"));
	ck_assert_str_eq(api_str(pw, "title"), api_str(pn, "title"));
	ck_assert_int_eq(json_object_size(pw), json_object_size(pn));
	ck_assert_str_eq(it_header(&wrong, "WWW-Authenticate"), it_header(&nobody, "WWW-Authenticate"));
	json_decref(pw);
	json_decref(pn);
	it_response_free(&wrong);
	it_response_free(&nobody);

	/* Nine more for u (ten in all), each from its own address: all 401. */
	const char *emails[32];
	for (int i = 0; i < 9; i++)
		emails[i] = u.email;
	logins_at_once(9, 2, emails, "sai-mat-khau-1", 401);

	/* The eleventh is refused without checking, and so is the right password, from anywhere. */
	struct it_response r;
	login_from(&r, 11, u.email, "sai-mat-khau-2");
	assert_retry_after(&r);
	it_response_free(&r);
	login_from(&r, 12, u.email, u.password);
	assert_retry_after(&r);
	it_response_free(&r);
	login_from(&r, -1, u.email, u.password);
	assert_retry_after(&r);
	it_response_free(&r);

	/* Per address: ten failures (ten unknown emails) from one address block it, for v too. */
	char names[10][160];
	for (int i = 0; i < 10; i++) {
		char who[32];
		snprintf(who, sizeof who, "limit-guess%d", i);
		api_make_email(names[i], sizeof names[i], who);
		emails[i] = names[i];
	}
	int fds[10];
	for (int i = 0; i < 10; i++)
		fds[i] = send_login(20, emails[i], "doan-mat-khau");
	for (int i = 0; i < 10; i++) {
		api_recv(fds[i], &r, "POST", "/api/v1/auth/login");
		api_check_status(&r, 401, "POST", "/api/v1/auth/login (guess)");
		it_response_free(&r);
	}
	login_from(&r, 20, v.email, v.password);
	assert_retry_after(&r);
	it_response_free(&r);
	/* ... but not v's account elsewhere. */
	api_login(&v);
	api_stop_ok();
}
END_TEST

/*
 * The limit must hold when the attempts arrive together: twenty wrong
 * passwords for one email at once may get at most ten 401s, the rest 429.
 */
START_TEST(test_login_rate_limit_concurrent)
{
	api_start(NULL);
	struct api_acct u;
	api_register(&u, "limit-burst", "Công ty Điện gió Hướng Linh", "enterprise", "quang-tri");
	enum { N = 20 };
	int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = send_login(40 + i, u.email, "doan-mo-song-song");
	int refused = 0, limited = 0;
	for (int i = 0; i < N; i++) {
		struct it_response r;
		api_recv(fds[i], &r, "POST", "/api/v1/auth/login");
		ck_assert_msg(r.status == 401 || r.status == 429, "status %d: %s", r.status, r.body);
		it_assert_problem(&r, r.status);
		refused += r.status == 401;
		limited += r.status == 429;
		it_response_free(&r);
	}
	ck_assert_msg(refused <= 10,
		      "%d of %d simultaneous wrong passwords for one email were checked (401) and only %d "
		      "refused (429): the limit of 10 failures is checked before, and counted after, the "
		      "password check, so concurrent attempts bypass it",
		      refused, N, limited);
	api_stop_ok();
}
END_TEST

/* An unknown email costs a password verification too, so timing does not tell accounts apart. */
START_TEST(test_login_failures_take_as_long)
{
	api_start(NULL);
	struct api_acct a;
	api_register(&a, "timing", "Trung tâm Ứng dụng tiến bộ KH&CN", "government", "quang-tri");
	char unknown[128];
	api_make_email(unknown, sizeof unknown, "khong-ton-tai");
	struct it_response r;
	double t = it_now();
	login_from(&r, 140, a.email, "sai-mat-khau-123");
	double wrong = it_now() - t;
	it_response_free(&r);
	t = it_now();
	login_from(&r, 141, unknown, "sai-mat-khau-123");
	double missing = it_now() - t;
	it_response_free(&r);
	ck_assert_msg(wrong > 0.1 && missing > 0.1, "wrong password %.3f s, unknown email %.3f s: one skipped the hash",
		      wrong, missing);
	ck_assert_msg(missing < 3 * wrong && wrong < 3 * missing,
		      "wrong password %.3f s, unknown email %.3f s: not comparable", wrong, missing);
	api_stop_ok();
}
END_TEST

/* A hash made with weaker parameters is replaced at the next login. */
START_TEST(test_weak_hash_upgraded_at_login)
{
	api_start(NULL);
	struct api_acct a;
	api_register(&a, "rehash", "Trung tâm Thông tin KH&CN", "government", "quang-tri");
	char weak[PASSWORD_HASH_MAX];
	ck_assert(password_hash_with(a.password, 14, 8, 1, weak));
	PGconn *pg = it_pg_connect(it_db_url());
	const char *params[2] = {weak, a.email};
	PGresult *res = PQexecParams(pg, "UPDATE users SET password_hash = $1 WHERE email = $2", 2, NULL, params,
				     NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	api_login(&a);
	char *stored = api_sql_value(pg, "SELECT password_hash FROM users WHERE email = $1", a.email, NULL);
	ck_assert_msg(stored != NULL && strncmp(stored, "$scrypt$ln=17,r=8,p=1$", 22) == 0, "stored: %s", stored);
	ck_assert(password_verify(a.password, stored));
	free(stored);
	PQfinish(pg);
	api_login(&a);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 6. audit */

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
	api_start(NULL);
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
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 7. registration race */

static void race(const char *email1, const char *email2, const char *org1, const char *org2, const char *tax)
{
	char *b1 = api_dump(api_registration(email1, "mat-khau-dua-1", "Võ Thị Giang", org1, "startup", "quang-tri", tax));
	char *b2 = api_dump(api_registration(email2, "mat-khau-dua-2", "Đặng Văn Hải", org2, "startup", "quang-tri", tax));
	int f1 = api_send(NULL, "POST", REGISTER, NULL, b1, NULL);
	int f2 = api_send(NULL, "POST", REGISTER, NULL, b2, NULL);
	struct it_response r1, r2;
	api_recv(f1, &r1, "POST", REGISTER);
	api_recv(f2, &r2, "POST", REGISTER);
	ck_assert_msg((r1.status == 201 && r2.status == 409) || (r1.status == 409 && r2.status == 201),
		      "statuses %d and %d, expected one 201 and one 409: %s | %s", r1.status, r2.status, r1.body,
		      r2.body);
	it_assert_problem(r1.status == 409 ? &r1 : &r2, 409);
	it_response_free(&r1);
	it_response_free(&r2);
	free(b1);
	free(b2);
}

START_TEST(test_registration_race)
{
	api_start(NULL);
	PGconn *pg = it_pg_connect(it_db_url());
	char email[160], other[160], org1[200], org2[200], tax[16];
	api_make_email(email, sizeof email, "race");
	snprintf(org1, sizeof org1, "Công ty Đua Một %s", api_tag());
	snprintf(org2, sizeof org2, "Công ty Đua Hai %s", api_tag());
	race(email, email, org1, org2, NULL);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", email, NULL), 1);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM organizations WHERE name IN ($1, $2)", org1, org2), 1);

	/* The same tax code from two new accounts. */
	api_make_email(email, sizeof email, "race-tax-1");
	api_make_email(other, sizeof other, "race-tax-2");
	snprintf(org1, sizeof org1, "Công ty Đua Ba %s", api_tag());
	snprintf(org2, sizeof org2, "Công ty Đua Bốn %s", api_tag());
	api_make_tax(tax, 9);
	race(email, other, org1, org2, tax);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email IN ($1, $2)", email, other), 1);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM organizations WHERE name IN ($1, $2)", org1, org2), 1);
	PQfinish(pg);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 8. hashing off the loop */

/* How many of the connections have no answer yet. */
static int unanswered(const int *fds, int n)
{
	struct pollfd p[32];
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){fds[i], POLLIN, 0};
	ck_assert(poll(p, (nfds_t)n, 0) >= 0);
	int left = 0;
	for (int i = 0; i < n; i++)
		left += p[i].revents == 0;
	return left;
}

START_TEST(test_hashing_off_the_loop)
{
	api_start(NULL);
	/* At most 10 attempts on one email may be in flight (the rest get 429): spread them. */
	enum { N = 20, ACCOUNTS = 4 };
	struct api_acct a[ACCOUNTS];
	for (int i = 0; i < ACCOUNTS; i++) {
		char who[16];
		snprintf(who, sizeof who, "busy%d", i);
		api_register(&a[i], who, "Công ty Phần mềm Đông Hà", "enterprise", "quang-tri");
	}
	int fds[N];
	double t0 = it_now();
	for (int i = 0; i < N; i++)
		fds[i] = send_login(-1, a[i % ACCOUNTS].email, a[i % ACCOUNTS].password);
	it_sleep_ms(150);
	double worst_ms = 0;
	int first_left = -1, last_left = -1;
	for (int k = 0; k < 5; k++) {
		struct it_response r;
		double s = it_now();
		ck_assert_msg(it_get(api_port(), "/healthz", &r), "no answer to /healthz");
		double ms = (it_now() - s) * 1000;
		ck_assert_int_eq(r.status, 200);
		it_response_free(&r);
		last_left = unanswered(fds, N);
		if (k == 0)
			first_left = last_left;
		if (ms > worst_ms)
			worst_ms = ms;
		it_sleep_ms(40);
	}
	ck_assert_msg(first_left >= N / 2, "only %d of %d logins were still being checked: no contention measured",
		      first_left, N);
	ck_assert_msg(last_left > 0, "every login had answered before the last /healthz");
	ck_assert_msg(worst_ms < 100, "/healthz took %.1f ms while %d logins were being checked", worst_ms, first_left);
	char tokens[N][48];
	for (int i = 0; i < N; i++) {
		struct it_response r;
		api_recv(fds[i], &r, "POST", "/api/v1/auth/login");
		api_check_status(&r, 200, "POST", "/api/v1/auth/login");
		json_t *doc = it_json(&r);
		snprintf(tokens[i], sizeof tokens[i], "%s", api_str(doc, "token"));
		json_decref(doc);
		it_response_free(&r);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(tokens[i], tokens[j]);
	}
	double total = it_now() - t0;
	ck_assert_msg(total < 45, "20 logins took %.1f s", total);
	api_stop_ok();
}
END_TEST

/* ------------------------------------------------------------ 9. create-admin */

/* printf 'password_line' | marketplace create-admin email (password_line NULL: no stdin at all). */
static void create_admin(const char *email, const char *password_line, struct it_cmd *out)
{
	char url[4096], bin[4200], cmd[1024];
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	snprintf(bin, sizeof bin, "IT_MARKETPLACE_BIN=%s", it_bin());
	if (password_line != NULL)
		snprintf(cmd, sizeof cmd, "printf '%s' | \"$IT_MARKETPLACE_BIN\" create-admin '%s'", password_line, email);
	else
		snprintf(cmd, sizeof cmd, "\"$IT_MARKETPLACE_BIN\" create-admin '%s' </dev/null", email);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	const char *env[] = {url, bin, "MARKETPLACE_LOG=warn", NULL};
	it_run(argv, env, 60000, out);
}

START_TEST(test_create_admin)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char email[160], upper[160], short_email[160];
	snprintf(email, sizeof email, "admin2.%s@sokhcn.quangtri.gov.vn", api_tag());
	snprintf(upper, sizeof upper, "ADMIN2.%s@SOKHCN.QUANGTRI.GOV.VN", api_tag());
	snprintf(short_email, sizeof short_email, "admin3.%s@sokhcn.quangtri.gov.vn", api_tag());

	struct it_cmd c;
	create_admin(email, "mat-khau-quan-tri\\n", &c);
	ck_assert_msg(c.status == 0, "create-admin exited %d: %s", c.status, c.err);
	it_cmd_free(&c);
	char *hash = api_sql_value(pg, "SELECT password_hash FROM users WHERE email = $1 AND role = 'admin'", email, NULL);
	ck_assert_msg(hash != NULL, "no administrator %s", email);

	/* Again, in another case and with another password: exit 1, nothing changed. */
	create_admin(upper, "mot-mat-khau-khac\\n", &c);
	ck_assert_msg(c.status == 1, "create-admin of an existing email exited %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "exists") != NULL, "stderr does not say why: %s", c.err);
	it_cmd_free(&c);
	char *again = api_sql_value(pg, "SELECT password_hash FROM users WHERE email = $1", email, NULL);
	ck_assert_msg(again != NULL && strcmp(hash, again) == 0, "the existing administrator was changed");
	free(again);
	free(hash);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE lower(email) = $1", email, NULL), 1);

	/* Short passwords (characters, not bytes) and no password at all. */
	static const char *const short_pw[] = {"ngan-qua\\n", "mậtkhẩu12\\n", "\\n"};
	for (size_t i = 0; i < sizeof short_pw / sizeof short_pw[0]; i++) {
		create_admin(short_email, short_pw[i], &c);
		ck_assert_msg(c.status != 0 && c.status != -1, "a short password (%s) exited %d", short_pw[i], c.status);
		it_cmd_free(&c);
	}
	create_admin(short_email, NULL, &c);
	ck_assert_msg(c.status != 0 && c.status != -1, "create-admin without stdin exited %d", c.status);
	it_cmd_free(&c);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", short_email, NULL), 0);
	PQfinish(pg);

	/* The administrator logs in and acts as one; a bootstrap with another password leaves it alone. */
	char boot[300];
	snprintf(boot, sizeof boot, "MARKETPLACE_BOOTSTRAP_ADMIN=%s:khong-duoc-ghi-de", email);
	const char *env[] = {boot, NULL};
	api_start(env);
	struct api_acct admin = {0};
	snprintf(admin.email, sizeof admin.email, "%s", email);
	snprintf(admin.password, sizeof admin.password, "mat-khau-quan-tri");
	json_t *doc = api_login_doc(&admin);
	ck_assert_str_eq(api_str(api_obj(doc, "user"), "role"), "admin");
	ck_assert(json_is_null(json_object_get(api_obj(doc, "user"), "organization_id")));
	json_decref(doc);
	json_t *e = api_find_audit("entity=user", admin.token, "user.admin_created", admin.user_id);
	ck_assert(json_is_null(json_object_get(e, "actor_id")));
	json_decref(e);
	api_stop_ok();
}
END_TEST

int main(void)
{
	api_init();
	Suite *s = suite_create("integration_accounts");
	TCase *tc = tcase_create("accounts");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_register_login_me_logout);
	tcase_add_test(tc, test_registration_validation);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_if_match);
	tcase_add_test(tc, test_login_failures_take_as_long);
	tcase_add_test(tc, test_weak_hash_upgraded_at_login);
	tcase_add_test(tc, test_identity_edit_needs_reverification);
	tcase_add_test(tc, test_login_rate_limit);
	tcase_add_test(tc, test_login_rate_limit_concurrent);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_registration_race);
	tcase_add_test(tc, test_hashing_off_the_loop);
	tcase_add_test(tc, test_create_admin);
	suite_add_tcase(s, tc);
	return check_run(s);
}
