/*
 * Organisations against the real binary and PostgreSQL (DESIGN.md
 * sections 3 and 4): who may read and change a profile, the public
 * directory and its pages, If-Match, verification again after an owner
 * changes what was verified, and concurrent registrations of one email or
 * tax code.
 *
 * One server for the suite (api_run); the run's tag keeps emails, names
 * and tax codes apart from other runs' (api.h).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define REGISTER "/api/v1/auth/register"

/* ------------------------------------------------------------ roles */

START_TEST(test_roles)
{
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
}
END_TEST

/* ------------------------------------------------------------ the directory */

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
}
END_TEST

/* ------------------------------------------------------------ If-Match */

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
}
END_TEST

/* The organisation's version and the number of its 'organization.updated' audit rows. */
static void assert_version_and_updates(const char *org_id, long version, long updates)
{
	PGconn *pg = it_pg_connect(it_db_url());
	long v = api_sql_long(pg, "SELECT version FROM organizations WHERE id = $1", org_id, NULL);
	long n = api_sql_long(pg, "SELECT count(*) FROM audit_log WHERE entity = 'organization'"
				  " AND entity_id = $1 AND action = 'organization.updated'",
			      org_id, NULL);
	PQfinish(pg);
	ck_assert_msg(v == version && n == updates, "version %ld and %ld audited updates, expected %ld and %ld", v, n,
		      version, updates);
}

/*
 * Two edits made from the same version, arriving together: exactly one
 * applies (200 with the next ETag), the other gets 412 and changes nothing.
 * Several rounds, since the two must overlap in the database to matter.
 */
START_TEST(test_if_match_concurrent)
{
	struct api_acct a;
	api_register(&a, "etag-race", "Công ty Cổ phần Nước sạch Quảng Trị", "enterprise", "quang-tri");
	api_login(&a);
	char path[160];
	api_org_path(path, sizeof path, a.org_id, "");
	enum { ROUNDS = 10 };
	for (int round = 0; round < ROUNDS; round++) {
		char header[64], want_etag[16], text[2][120];
		snprintf(header, sizeof header, "If-Match: \"%d\"", round + 1);
		snprintf(want_etag, sizeof want_etag, "\"%d\"", round + 2);
		int fds[2];
		for (int i = 0; i < 2; i++) {
			snprintf(text[i], sizeof text[i], "Bản sửa %d của vòng %d, từ phiên bản %d", i + 1, round, round + 1);
			char *body = api_dump(json_pack("{s:s}", "description", text[i]));
			fds[i] = api_send(NULL, "PATCH", path, a.token, body, header);
			free(body);
		}
		struct it_response r[2];
		for (int i = 0; i < 2; i++)
			api_recv(fds[i], &r[i], "PATCH", path);
		ck_assert_msg((r[0].status == 200 && r[1].status == 412) || (r[0].status == 412 && r[1].status == 200),
			      "round %d: statuses %d and %d, expected one 200 and one 412: %.300s | %.300s", round,
			      r[0].status, r[1].status, r[0].body, r[1].body);
		int won = r[0].status == 200 ? 0 : 1;
		api_check_status(&r[won], 200, "PATCH", path);
		api_check_status(&r[1 - won], 412, "PATCH", path);
		assert_etag(&r[won], want_etag);
		it_response_free(&r[0]);
		it_response_free(&r[1]);

		/* What is stored is the winner's edit, at the next version. */
		json_t *doc = api_expect_json(200, "GET", path, a.token, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), round + 2);
		ck_assert_str_eq(api_str(doc, "description"), text[won]);
		json_decref(doc);
	}
	assert_version_and_updates(a.org_id, ROUNDS + 1, ROUNDS);
}
END_TEST

/*
 * An If-Match that is not a strong ETag of a version ("3") or "*" is refused
 * with 412 (api-spec/openapi.yaml, IfMatch and PreconditionFailed) and
 * changes nothing, whatever the body: the header is checked before the body.
 */
START_TEST(test_if_match_malformed)
{
	struct api_acct a;
	api_register(&a, "etag-bad", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng", "government", "quang-tri");
	api_login(&a);
	char path[160];
	api_org_path(path, sizeof path, a.org_id, "");
	static const char *const bad[] = {"abc", "\"x\"", "W/\"1\"", "\"\"", "1", "\"1", "\"1\", \"2\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct it_response r;
		patch_with(&r, 412, path, a.token, "{\"description\":\"Đo lường thử nghiệm\"}", bad[i]);
		it_response_free(&r);
		patch_with(&r, 412, path, a.token, "{\"description\":", bad[i]);
		it_response_free(&r);
	}
	assert_version_and_updates(a.org_id, 1, 0);
	/* The version itself is accepted. */
	struct it_response r;
	patch_with(&r, 200, path, a.token, "{\"description\":\"Đo lường thử nghiệm\"}", "\"1\"");
	assert_etag(&r, "\"2\"");
	it_response_free(&r);
}
END_TEST

/* An owner's change to what was verified (name, kind, tax code, province) needs verifying again. */
START_TEST(test_identity_edit_needs_reverification)
{
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
}
END_TEST

/* ------------------------------------------------------------ registration race */

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
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_organizations");
	TCase *tc = tcase_create("organizations");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_if_match);
	tcase_add_test(tc, test_if_match_concurrent);
	tcase_add_test(tc, test_if_match_malformed);
	tcase_add_test(tc, test_identity_edit_needs_reverification);
	tcase_add_test(tc, test_registration_race);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
