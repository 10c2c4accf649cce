/*
 * Notifications against the real binary and PostgreSQL (DESIGN.md section
 * 4): a verification tells each member of the organisation and nobody
 * else, the unread filter, pages without duplicates or gaps, marking one
 * read (idempotently, only one's own) and marking all read.
 *
 * One server for the suite (api_run).  The many notifications paging
 * needs are written straight into the table, with times and read states
 * chosen to test ties and filters, rather than made by listing events.
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define LIST "/api/v1/notifications"
#define READ_ALL "/api/v1/notifications/read-all"

/* "/api/v1/notifications/<id>/read" into out. */
static void read_path(char *out, size_t size, const char *id)
{
	snprintf(out, size, "/api/v1/notifications/%s/read", id);
}

/* The items of GET path (json_decref the page; items are borrowed from it). */
static json_t *list_page(const char *path, const char *token, json_t **items)
{
	json_t *doc = api_expect_json(200, "GET", path, token, NULL);
	*items = json_object_get(doc, "items");
	ck_assert_msg(json_is_array(*items), "GET %s: no items array", path);
	return doc;
}

/* How many notifications GET path lists on its first page. */
static size_t count_listed(const char *path, const char *token)
{
	json_t *items, *doc = list_page(path, token, &items);
	size_t n = json_array_size(items);
	json_decref(doc);
	return n;
}

/*
 * Follows next_cursor from GET `first` with limit `limit` to the end and
 * returns the ids in order, comma-separated (free it); fails on a page
 * larger than limit, a repeated id, or more than 100 pages.
 */
static char *walk_pages(const char *first, int limit, const char *token, int *pages)
{
	size_t cap = 64 * 1024, len = 0;
	char *ids = calloc(1, cap), cursor[256] = "";
	ck_assert_ptr_nonnull(ids);
	*pages = 0;
	for (;;) {
		char path[512];
		snprintf(path, sizeof path, "%s%slimit=%d%s%s", first, strchr(first, '?') ? "&" : "?", limit,
			 cursor[0] ? "&cursor=" : "", cursor);
		json_t *items, *doc = list_page(path, token, &items);
		ck_assert_msg(json_array_size(items) <= (size_t)limit, "%s: %zu items", path, json_array_size(items));
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			const char *id = api_str(it, "id");
			ck_assert_msg(strstr(ids, id) == NULL, "%s: %s listed twice", path, id);
			ck_assert_msg(len + strlen(id) + 2 < cap, "too many ids");
			len += (size_t)snprintf(ids + len, cap - len, "%s%s", len ? "," : "", id);
		}
		json_t *next = json_object_get(doc, "next_cursor");
		ck_assert_msg(json_is_string(next) || json_is_null(next), "%s: next_cursor neither string nor null", path);
		bool more = json_is_string(next);
		if (more)
			snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		json_decref(doc);
		++*pages;
		ck_assert_msg(*pages <= 100, "more than 100 pages");
		if (!more)
			return ids;
	}
}

/* ------------------------------------------------------------ verification */

START_TEST(test_verification_notifies_members)
{
	struct api_acct owner, second, other, admin;
	api_register(&owner, "notify-owner", "Trung tâm Ứng dụng tiến bộ KH&CN Quảng Trị", "government", "quang-tri");
	api_register(&other, "notify-other", "Công ty TNHH Nông sản Gio Linh", "enterprise", "quang-tri");
	api_login(&owner);
	api_login(&other);
	api_admin(&admin);

	/* A second member of the owner's organisation, with the owner's password. */
	PGconn *pg = it_pg_connect(it_db_url());
	second = owner;
	second.user_id[0] = second.token[0] = '\0';
	api_make_email(second.email, sizeof second.email, "notify-second");
	char *id = api_sql_value(pg,
				 "INSERT INTO users (email, password_hash, display_name, role, organization_id)"
				 " SELECT $1, password_hash, 'Thành viên thứ hai', 'member', organization_id"
				 " FROM users WHERE id = $2::uuid RETURNING id",
				 second.email, owner.user_id);
	ck_assert_ptr_nonnull(id);
	snprintf(second.user_id, sizeof second.user_id, "%s", id);
	free(id);
	api_login(&second);

	ck_assert_int_eq(count_listed(LIST, owner.token), 0);
	ck_assert_int_eq(count_listed(LIST, second.token), 0);

	char verify[160];
	api_org_path(verify, sizeof verify, owner.org_id, "/verify");
	api_expect_only(200, "POST", verify, admin.token, "{}");

	/* Exactly one unread organization_verified for each member... */
	const struct api_acct *members[] = {&owner, &second};
	char first_id[40] = "";
	for (size_t k = 0; k < 2; k++) {
		json_t *items, *doc = list_page(LIST, members[k]->token, &items);
		ck_assert_msg(json_array_size(items) == 1, "member %zu has %zu notifications, expected 1", k,
			      json_array_size(items));
		json_t *n = json_array_get(items, 0);
		ck_assert_str_eq(api_str(n, "kind"), "organization_verified");
		ck_assert_msg(api_is_uuid(api_str(n, "id")), "id %s", api_str(n, "id"));
		ck_assert_msg(strstr(api_str(n, "message"), "Trung tâm Ứng dụng tiến bộ KH&CN Quảng Trị") != NULL &&
				      strstr(api_str(n, "message"), "xác minh") != NULL,
			      "message: %s", api_str(n, "message"));
		ck_assert_str_eq(api_str(api_obj(n, "data"), "organization_id"), owner.org_id);
		ck_assert(json_is_null(json_object_get(n, "listing_id")));
		ck_assert(json_is_false(json_object_get(n, "read")));
		ck_assert(json_is_null(json_object_get(n, "read_at")));
		ck_assert_msg(api_parse_utc(api_str(n, "created_at")) > 0, "created_at %s", api_str(n, "created_at"));
		if (k == 0)
			snprintf(first_id, sizeof first_id, "%s", api_str(n, "id"));
		json_decref(doc);
	}
	/* ...nobody else one, and a refused second verification writes none. */
	api_expect_only(409, "POST", verify, admin.token, "{}");
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM notifications WHERE kind = 'organization_verified'"
					  " AND data->>'organization_id' = $1",
				      owner.org_id, NULL), 2);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(DISTINCT n.user_id) FROM notifications n"
					  " JOIN users u ON u.id = n.user_id AND u.organization_id = $1::uuid"
					  " WHERE n.kind = 'organization_verified' AND n.data->>'organization_id' = $1::text",
				      owner.org_id, NULL), 2);
	ck_assert_int_eq(count_listed(LIST, other.token), 0);

	/* The unread filter. */
	ck_assert_int_eq(count_listed(LIST "?unread=true", owner.token), 1);
	ck_assert_int_eq(count_listed(LIST "?unread=false", owner.token), 0);

	/* Marking one read: idempotent, the first read_at kept, only one's own. */
	char path[160];
	read_path(path, sizeof path, first_id);
	api_expect_only(401, "POST", path, NULL, NULL);
	api_expect_only(404, "POST", path, second.token, NULL);
	api_expect_only(404, "POST", path, other.token, NULL);
	api_expect_only(404, "POST", path, admin.token, NULL);
	api_expect_only(404, "POST", "/api/v1/notifications/khong-phai-uuid/read", owner.token, NULL);
	api_expect_only(404, "POST", "/api/v1/notifications/6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab/read", owner.token,
			NULL);
	json_t *n = api_expect_json(200, "POST", path, owner.token, NULL);
	ck_assert_str_eq(api_str(n, "id"), first_id);
	ck_assert(json_is_true(json_object_get(n, "read")));
	char read_at[40];
	snprintf(read_at, sizeof read_at, "%s", api_str(n, "read_at"));
	ck_assert_msg(api_parse_utc(read_at) > 0, "read_at %s", read_at);
	json_decref(n);
	char *stored = api_sql_value(pg, "SELECT read_at::text FROM notifications WHERE id = $1::uuid", first_id, NULL);
	ck_assert_ptr_nonnull(stored);
	n = api_expect_json(200, "POST", path, owner.token, NULL);
	ck_assert(json_is_true(json_object_get(n, "read")));
	ck_assert_str_eq(api_str(n, "read_at"), read_at);
	json_decref(n);
	char *again = api_sql_value(pg, "SELECT read_at::text FROM notifications WHERE id = $1::uuid", first_id, NULL);
	ck_assert_str_eq(again, stored); /* to the microsecond, not only as rendered */
	free(stored);
	free(again);
	ck_assert_int_eq(count_listed(LIST "?unread=true", owner.token), 0);
	ck_assert_int_eq(count_listed(LIST "?unread=false", owner.token), 1);
	ck_assert_int_eq(count_listed(LIST "?unread=true", second.token), 1); /* each member's own copy */

	/* Marking all read: the count, then nothing left to mark. */
	api_expect_only(401, "POST", READ_ALL, NULL, NULL);
	json_t *marked = api_expect_json(200, "POST", READ_ALL, second.token, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(marked, "marked_read")), 1);
	json_decref(marked);
	ck_assert_int_eq(count_listed(LIST "?unread=true", second.token), 0);
	marked = api_expect_json(200, "POST", READ_ALL, second.token, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(marked, "marked_read")), 0);
	json_decref(marked);
	ck_assert_int_eq(count_listed(LIST "?unread=true", owner.token), 0);

	api_expect_only(401, "GET", LIST, NULL, NULL);
	api_expect_only(405, "GET", READ_ALL, owner.token, NULL);
	PQfinish(pg);
}
END_TEST

/* ------------------------------------------------------------ pages */

/* The ids of user's notifications (a filter condition or "true") in the list's order. */
static char *expected_ids(PGconn *pg, const char *user_id, const char *filter)
{
	char sql[300];
	snprintf(sql, sizeof sql,
		 "SELECT coalesce(string_agg(id::text, ',' ORDER BY created_at DESC, id DESC), '')"
		 " FROM notifications WHERE user_id = $1::uuid AND %s",
		 filter);
	char *ids = api_sql_value(pg, sql, user_id, NULL);
	ck_assert_ptr_nonnull(ids);
	return ids;
}

START_TEST(test_pages)
{
	struct api_acct p;
	api_register(&p, "notify-pages", "Hợp tác xã Dược liệu Hướng Hóa", "enterprise", "quang-tri");
	api_login(&p);
	PGconn *pg = it_pg_connect(it_db_url());

	/*
	 * 47 notifications, three at a time sharing created_at (as those of one
	 * event do), every fourth read at a fixed time.
	 */
	long made = api_sql_exec(pg,
				 "INSERT INTO notifications (user_id, kind, message, data, created_at, read_at)"
				 " SELECT $1::uuid, 'listing_expired', 'Tin số ' || i || ' đã hết hạn.',"
				 "  jsonb_build_object('n', i), timestamptz '2026-05-01T08:00:00Z' + (i / 3) * interval '1 minute',"
				 "  CASE WHEN i % 4 = 0 THEN timestamptz '2026-06-01T00:00:00Z' END"
				 " FROM generate_series(1, 47) i",
				 p.user_id, NULL);
	ck_assert_int_eq(made, 47);

	static const struct {
		const char *path, *filter;
		int limit;
	} walks[] = {
		{LIST, "true", 5},
		{LIST, "true", 100},
		{LIST "?unread=true", "read_at IS NULL", 7},
		{LIST "?unread=false", "read_at IS NOT NULL", 4},
	};
	for (size_t k = 0; k < sizeof walks / sizeof walks[0]; k++) {
		int pages;
		char *got = walk_pages(walks[k].path, walks[k].limit, p.token, &pages);
		char *want = expected_ids(pg, p.user_id, walks[k].filter);
		ck_assert_msg(strcmp(got, want) == 0, "%s by %d: listed\n%s\nexpected\n%s", walks[k].path,
			      walks[k].limit, got, want);
		int rows = 1;
		for (const char *c = want; *c; c++)
			rows += *c == ',';
		/* A full last page has no next_cursor: no empty page after it. */
		ck_assert_msg(pages == (rows + walks[k].limit - 1) / walks[k].limit, "%s by %d: %d pages for %d rows",
			      walks[k].path, walks[k].limit, pages, rows);
		free(got);
		free(want);
	}

	/* Newest first, in the items themselves: 45, 46 and 47 share the newest time. */
	char *order = expected_ids(pg, p.user_id, "true");
	json_t *items, *doc = list_page(LIST "?limit=2", p.token, &items);
	ck_assert_str_eq(api_str(json_array_get(items, 0), "created_at"), "2026-05-01T08:15:00Z");
	ck_assert_int_ge(json_integer_value(json_object_get(api_obj(json_array_get(items, 0), "data"), "n")), 45);
	ck_assert(json_is_false(json_object_get(json_array_get(items, 0), "read")));
	char cursor[256];
	snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(doc, "next_cursor")));
	json_decref(doc);

	/* Bad queries. */
	static const char *const bad[] = {LIST "?unread=maybe", LIST "?unread=1", LIST "?unread=TRUE",
					  LIST "?limit=0", LIST "?limit=101", LIST "?who=me", LIST "?cursor=!!!"};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
		api_expect_only(400, "GET", bad[k], p.token, NULL);

	/*
	 * Cursors the server did not hand out: not its shape, a time without
	 * the id that breaks ties (which would silently match nothing), an id
	 * that is not one, an impossible time.  Each is refused, never read as
	 * an empty page.
	 */
	static const char *const forged[] = {
		"not-a-cursor", "2026-05-01T08:15:00.000000Z", "2026-05-01T08:15:00.000000Z|khong-phai-uuid",
		"2026-13-45T99:00:00Z|6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab",
	};
	char path[512], encoded[256];
	struct it_response r;
	for (size_t k = 0; k < sizeof forged / sizeof forged[0]; k++) {
		api_b64url(forged[k], encoded, sizeof encoded);
		snprintf(path, sizeof path, LIST "?cursor=%s", encoded);
		api_expect(&r, 400, "GET", path, p.token, NULL, NULL);
		ck_assert_msg(strstr(r.body, "cursor") != NULL || strstr(r.body, "malformed") != NULL,
			      "cursor %s: %s", forged[k], r.body);
		it_response_free(&r);
	}
	/* A real cursor cut short, or with a character changed: refused or read, never a 500. */
	snprintf(path, sizeof path, LIST "?cursor=%.*s", (int)strlen(cursor) - 1, cursor);
	api_call(&r, "GET", path, p.token, NULL, NULL);
	ck_assert_msg(r.status == 200 || r.status == 400, "a cut cursor: %d", r.status);
	it_response_free(&r);
	snprintf(path, sizeof path, LIST "?cursor=%s", cursor);
	path[strlen(LIST "?cursor=") + 10] ^= 1;
	api_call(&r, "GET", path, p.token, NULL, NULL);
	ck_assert_msg(r.status == 200 || r.status == 400, "a changed cursor: %d", r.status);
	it_response_free(&r);

	/* The real cursor still works, and the next page starts where the first ended. */
	snprintf(path, sizeof path, LIST "?limit=2&cursor=%s", cursor);
	doc = list_page(path, p.token, &items);
	ck_assert_msg(strncmp(order + 2 * 37, api_str(json_array_get(items, 0), "id"), 36) == 0,
		      "the second page starts with %s, not the third of %s", api_str(json_array_get(items, 0), "id"),
		      order);
	json_decref(doc);
	free(order);

	/* Mark all read: the unread count, and the read ones keep their read_at. */
	long unread = api_sql_long(pg, "SELECT count(*) FROM notifications WHERE user_id = $1::uuid AND read_at IS NULL",
				   p.user_id, NULL);
	ck_assert_int_eq(unread, 47 - 11);
	json_t *marked = api_expect_json(200, "POST", READ_ALL, p.token, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(marked, "marked_read")), unread);
	json_decref(marked);
	ck_assert_int_eq(count_listed(LIST "?unread=true", p.token), 0);
	ck_assert_int_eq(count_listed(LIST "?unread=false&limit=100", p.token), 47);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM notifications WHERE user_id = $1::uuid"
					  " AND read_at = timestamptz '2026-06-01T00:00:00Z'",
				      p.user_id, NULL),
			 11);
	PQfinish(pg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_notifications");
	TCase *tc = tcase_create("notifications");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_verification_notifies_members);
	tcase_add_test(tc, test_pages);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
