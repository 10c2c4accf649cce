/*
 * Saved searches against the real binary and PostgreSQL (DESIGN.md
 * section 4): a member keeps the filters of GET /api/v1/listings under a
 * name, sees and deletes only their own, and is notified of each newly
 * published listing that meets them, unless it is their own
 * organisation's.  The server computes those notifications shortly after
 * the approval commits (within about a second), not in its transaction:
 * the test polls for one that must come (every 100 ms, up to 5 s) and
 * waits 2 s after the approval before concluding that one does not.
 *
 * One server for the suite (api_run).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define SAVED "/api/v1/saved-searches"

static void verified_member(struct api_acct *a, const struct api_acct *admin, const char *who, const char *org)
{
	api_register(a, who, org, "enterprise", "quang-tri");
	api_login(a);
	char path[160];
	api_org_path(path, sizeof path, a->org_id, "/verify");
	api_expect_only(200, "POST", path, admin->token, "{\"note\":\"ok\"}");
}

/*
 * A published technology offer of owner's titled title; its id into id.
 * Returns it_now() just before the approval.
 */
static double publish(const struct api_acct *owner, const struct api_acct *admin, const char *title, char id[40])
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "technology_offer", "title", title, "sector",
				"2.2", "province", "quang-tri", "trl", 6);
	char *body = api_dump(doc);
	json_t *got = api_expect_json(201, "POST", "/api/v1/listings", owner->token, body);
	free(body);
	snprintf(id, 40, "%s", api_str(got, "id"));
	json_decref(got);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/listings/%s/submit", id);
	api_expect_only(200, "POST", path, owner->token, NULL);
	snprintf(path, sizeof path, "/api/v1/listings/%s/approve", id);
	double t0 = it_now();
	api_expect_only(200, "POST", path, admin->token, NULL);
	return t0;
}

static long match_notices(const struct api_acct *a, const char *listing)
{
	PGconn *pg = it_pg_connect(it_db_url());
	long n = api_sql_long(pg,
			      "SELECT count(*) FROM notifications WHERE user_id = $1 AND listing_id = $2"
			      " AND kind = 'saved_search_match'",
			      a->user_id, listing);
	PQfinish(pg);
	return n;
}

/* Polls every 100 ms, up to 5 s, until a has a match notice about listing; returns the count then. */
static long await_match_notice(const struct api_acct *a, const char *listing)
{
	double end = it_now() + 5;
	long n;
	while ((n = match_notices(a, listing)) == 0 && it_now() < end)
		it_sleep_ms(100);
	return n;
}

/* Sleeps until 2 s after `since` (it_now()): a notice that has not come by then will not. */
static void settle(double since)
{
	double left = since + 2 - it_now();
	if (left > 0)
		it_sleep_ms((int)(left * 1000) + 1);
}

START_TEST(test_create_list_delete)
{
	struct api_acct a, b;
	api_register(&a, "luu-a", "Công ty Lưu tìm A", "enterprise", "quang-tri");
	api_login(&a);
	api_register(&b, "luu-b", "Công ty Lưu tìm B", "startup", "hue");
	api_login(&b);

	json_t *got = api_expect_json(201, "POST", SAVED, a.token,
				      "{\"name\":\"Sấy ở Quảng Trị\",\"filters\":{\"q\":\"sấy\",\"trl_min\":3,"
				      "\"province\":\"quang-tri\"}}");
	ck_assert(api_is_uuid(api_str(got, "id")));
	ck_assert_str_eq(api_str(got, "name"), "Sấy ở Quảng Trị");
	json_t *filters = api_obj(got, "filters");
	ck_assert_str_eq(api_str(filters, "q"), "sấy");
	ck_assert_str_eq(api_str(filters, "trl_min"), "3"); /* stored as the query would carry it */
	ck_assert_str_eq(api_str(filters, "province"), "quang-tri");
	char id[40];
	snprintf(id, sizeof id, "%s", api_str(got, "id"));
	json_decref(got);

	/* Each member sees their own only. */
	json_t *mine = api_list_all(SAVED, "", a.token);
	ck_assert_int_eq(json_array_size(mine), 1);
	ck_assert(api_has_id(mine, id));
	json_decref(mine);
	json_t *theirs = api_list_all(SAVED, "", b.token);
	ck_assert_int_eq(json_array_size(theirs), 0);
	json_decref(theirs);

	/* Another member cannot delete it; its owner can, once. */
	char path[120];
	snprintf(path, sizeof path, SAVED "/%s", id);
	api_expect_only(404, "DELETE", path, b.token, NULL);
	api_expect_only(204, "DELETE", path, a.token, NULL);
	api_expect_only(404, "DELETE", path, a.token, NULL);
	api_expect_only(404, "DELETE", SAVED "/khong-phai-uuid", a.token, NULL);

	/* Anonymous callers have none. */
	api_expect_only(401, "GET", SAVED, NULL, NULL);
	api_expect_only(401, "POST", SAVED, NULL, "{\"name\":\"x\",\"filters\":{}}");
}
END_TEST

START_TEST(test_validation)
{
	struct api_acct a;
	api_register(&a, "luu-sai", "Công ty Lưu sai", "enterprise", "quang-tri");
	api_login(&a);
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:{s:s}}", "filters", "q", "sấy"), API_PAIRS("name", "is required"), "no name");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s}", "name", "Không lọc"), API_PAIRS("filters", ""), "no filters");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s, s:s}", "name", "x", "filters", "q=sấy"),
			   API_PAIRS("filters", ""), "filters not an object");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s, s:{s:i}}", "name", "x", "filters", "bogus", 1),
			   API_PAIRS("filters.bogus", "not a filter"), "unknown filter");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s, s:{s:b}}", "name", "x", "filters", "q", 1),
			   API_PAIRS("filters.q", "string or a whole number"), "filter of a wrong type");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s, s:{s:i}}", "name", "x", "filters", "trl_min", 30),
			   API_PAIRS("filters", ""), "trl_min out of range");
	api_expect_invalid("POST", SAVED, a.token,
			   json_pack("{s:s, s:{s:s}}", "name", "x", "filters", "province", "khong-co"),
			   API_PAIRS("filters", ""), "unknown province");
	api_expect_invalid("POST", SAVED, a.token, json_pack("{s:s, s:{}, s:i}", "name", "", "filters", "extra", 1),
			   API_PAIRS("extra", "unknown field", "name", "characters"), "empty name and an unknown member");
	json_t *none = api_list_all(SAVED, "", a.token);
	ck_assert_int_eq(json_array_size(none), 0);
	json_decref(none);
}
END_TEST

/* At most 50 each; the 51st is 409 and nothing is stored. */
START_TEST(test_limit)
{
	struct api_acct a;
	api_register(&a, "luu-nhieu", "Công ty Lưu nhiều", "enterprise", "quang-tri");
	api_login(&a);
	for (int i = 0; i < 50; i++) {
		char body[120];
		snprintf(body, sizeof body, "{\"name\":\"Tìm %d\",\"filters\":{\"trl_min\":%d}}", i, i % 9 + 1);
		json_decref(api_expect_json(201, "POST", SAVED, a.token, body));
	}
	api_expect_only(409, "POST", SAVED, a.token, "{\"name\":\"Thừa\",\"filters\":{}}");
	json_t *all = api_list_all(SAVED, "limit=7", a.token);
	ck_assert_int_eq(json_array_size(all), 50);
	json_decref(all);
}
END_TEST

/* A newly published listing that meets a saved search notifies its owner, once; others do not. */
START_TEST(test_notified_on_publication)
{
	struct api_acct admin, seller, seeker, other;
	api_admin(&admin);
	verified_member(&seller, &admin, "luu-ban", "Viện Lưu bán");
	api_register(&seeker, "luu-tim", "Công ty Lưu tìm", "enterprise", "quang-tri");
	api_login(&seeker);
	api_register(&other, "luu-khac", "Công ty Lưu khác", "enterprise", "hue");
	api_login(&other);

	char word[40], title[120], body[200];
	api_marker(word, sizeof word, "luutim");
	snprintf(body, sizeof body, "{\"name\":\"Theo dõi\",\"filters\":{\"q\":\"%s\",\"trl_min\":5}}", word);
	json_decref(api_expect_json(201, "POST", SAVED, seeker.token, body));
	snprintf(body, sizeof body, "{\"name\":\"Khác\",\"filters\":{\"q\":\"%s\",\"trl_min\":8}}", word);
	json_decref(api_expect_json(201, "POST", SAVED, other.token, body));
	/* The seller's own saved search never tells it of its own listing. */
	snprintf(body, sizeof body, "{\"name\":\"Của mình\",\"filters\":{\"q\":\"%s\"}}", word);
	json_decref(api_expect_json(201, "POST", SAVED, seller.token, body));

	char id[40];
	snprintf(title, sizeof title, "Máy sấy %s", word);
	double approved = publish(&seller, &admin, title, id);
	ck_assert_msg(await_match_notice(&seeker, id) >= 1, /* TRL 6 >= 5 */
		      "the seeker has no saved_search_match 5 s after the approval");
	settle(approved);
	ck_assert_int_eq(match_notices(&seeker, id), 1); /* once */
	ck_assert_int_eq(match_notices(&other, id), 0);  /* TRL 6 < 8 */
	ck_assert_int_eq(match_notices(&seller, id), 0);
	json_t *page = api_expect_json(200, "GET", "/api/v1/notifications?unread=true&limit=100", seeker.token, NULL);
	bool seen = false;
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(page, "items"), i, it)
		seen |= strcmp(api_str(it, "kind"), "saved_search_match") == 0 &&
			strcmp(api_str(it, "listing_id"), id) == 0;
	json_decref(page);
	ck_assert_msg(seen, "the seeker's notifications do not show the match");

	/* A listing that does not meet the filters tells nobody. */
	char other_id[40];
	snprintf(title, sizeof title, "Dây chuyền ép dầu %s", "khongkhop");
	approved = publish(&seller, &admin, title, other_id);
	settle(approved);
	ck_assert_int_eq(match_notices(&seeker, other_id), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_saved_searches");
	TCase *tc = tcase_create("saved_searches");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create_list_delete);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_notified_on_publication);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
