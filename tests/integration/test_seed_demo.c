/*
 * `marketplace seed-demo --listings N` against PostgreSQL: exactly N more
 * listings, of every kind and status, refs unique and below the counters
 * (so the API's next listing does not collide), the changes feed fed for
 * every published one, a second run adding as many again, and bad counts
 * refused with status 2 before anything is written.
 */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

#define TIMEOUT_MS 120000

/* The demo organisations' fixed ids all start so (marketplace/api/seed_demo.c). */
#define SEEDED "l.organization_id::text LIKE '5eed0000-0000-4000-8000-%'"
/* Listing l was added by the last run (seed_500 notes the ids there were before it). */
#define ADDED "NOT EXISTS (SELECT 1 FROM seen WHERE seen.id = l.id)"

/* marketplace seed-demo with the extra arguments (NULL-terminated) and env, as the database's owner. */
static void seed(const char *const *args, const char *env_extra, struct it_cmd *out)
{
	char url[4096];
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *env[] = {url, "MARKETPLACE_LOG=warn", env_extra, NULL};
	const char *argv[8] = {it_bin(), "seed-demo"};
	for (size_t i = 0; args != NULL && args[i] != NULL && i < 5; i++)
		argv[i + 2] = args[i];
	it_run(argv, env, TIMEOUT_MS, out);
}

static long count_of(PGconn *pg, const char *sql)
{
	return it_pg_long(pg, sql);
}

/* Runs seed-demo --listings 500 and checks what it must have added. */
static void seed_500(PGconn *pg)
{
	long before = count_of(pg, "SELECT count(*) FROM listings");
	long seeded_before = count_of(pg, "SELECT count(*) FROM listings l WHERE " SEEDED);
	long upserts_before = count_of(pg, "SELECT count(*) FROM listing_changes WHERE change = 'upsert'");
	long published_before = count_of(pg, "SELECT count(*) FROM listings WHERE status = 'published'");

	it_pg_exec(pg, "DROP TABLE IF EXISTS seen; CREATE TEMP TABLE seen AS SELECT id FROM listings");

	struct it_cmd c;
	seed((const char *const[]){"--listings", "500", NULL}, NULL, &c);
	ck_assert_msg(c.status == 0, "seed-demo exited %d%s: %s", c.status, it_status_note(c.status), c.err);
	ck_assert_msg(strstr(c.out, "added 500 listings") != NULL, "no summary on stdout: [%s]", c.out);
	it_cmd_free(&c);

	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings"), before + 500);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings l WHERE " SEEDED), seeded_before + 500);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings l WHERE " SEEDED " AND " ADDED), 500);
	/* Every published row reached the changes feed, as an upsert. */
	long published = count_of(pg, "SELECT count(*) FROM listings WHERE status = 'published'") - published_before;
	ck_assert_msg(published > 250, "only %ld of 500 published", published);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listing_changes WHERE change = 'upsert'"),
			 upserts_before + published);
	/* All four kinds and every status, among the listings this run added. */
	ck_assert_int_eq(count_of(pg, "SELECT count(DISTINCT kind) FROM listings l WHERE " ADDED), 4);
	ck_assert_int_eq(count_of(pg, "SELECT count(DISTINCT status) FROM listings l WHERE " ADDED), 7);
}

START_TEST(test_seed_demo)
{
	PGconn *pg = it_pg_connect(it_db_url());
	seed_500(pg);

	/* Across fields of science and provinces. */
	ck_assert_int_ge(count_of(pg, "SELECT count(DISTINCT sector_field) FROM listings l WHERE " ADDED), 4);
	ck_assert_int_ge(count_of(pg, "SELECT count(DISTINCT province) FROM listings l WHERE " ADDED), 5);

	/* Refs unique and well formed (the table's CHECK says so too). */
	ck_assert_int_eq(count_of(pg, "SELECT count(*) - count(DISTINCT ref) FROM listings"), 0);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings WHERE ref !~ '^QT-(TO|TD|EO|ED)-20[0-9]{2}-[0-9]{6,}$'"
				      " OR substr(ref, 4, 2) <> listing_kind_code(kind)"),
			 0);

	/* What the schema cannot check: the lifecycle is consistent. */
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED " AND ("
				      " (status = 'published' AND (published_at IS NULL OR expires_at <= now()))"
				      " OR (status = 'expired' AND expires_at > now())"
				      " OR (status IN ('draft', 'pending_review', 'rejected') AND published_at IS NOT NULL)"
				      " OR (status IN ('rejected', 'suspended')) <> (status_reason IS NOT NULL)"
				      " OR listed_at <> coalesce(published_at, created_at)"
				      " OR created_at > now() OR updated_at < created_at)"),
			 0);
	/* Only verified organisations' listings were ever published; the unverified one has drafts and pending only. */
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings l JOIN organizations o ON o.id = l.organization_id"
				      " WHERE " ADDED " AND o.verified_at IS NULL AND l.status NOT IN ('draft', 'pending_review')"),
			 0);
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l JOIN organizations o ON o.id = l.organization_id"
				      " WHERE " ADDED " AND o.verified_at IS NULL"),
			 0);
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED " AND anonymous"), 0);
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED " AND confidential IS NOT NULL"), 0);
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED " AND indicators <> '{}'"), 0);
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED
				      " AND price_min_vnd IS NULL AND price_max_vnd IS NULL"),
			 0);
	/* Searchable without diacritics, as GET /listings?q= searches. */
	ck_assert_int_gt(count_of(pg, "SELECT count(*) FROM listings l WHERE " ADDED " AND status = 'published'"
				      " AND search @@ websearch_to_tsquery('simple', search_text('cong nghe say'))"),
			 0);

	/* The counters are at or above every number used, so the API's next listing takes a new ref. */
	const char *behind = "SELECT count(*) FROM (SELECT substr(ref, 4, 2) AS k, substr(ref, 7, 4)::integer AS y,"
			     " max(substr(ref, 12)::integer) AS m FROM listings GROUP BY 1, 2) u"
			     " LEFT JOIN listing_ref_counters c ON c.kind_code = u.k AND c.year = u.y"
			     " WHERE c.last IS NULL OR c.last < u.m";
	ck_assert_int_eq(count_of(pg, behind), 0);
	it_pg_exec(pg, "SELECT listing_create('{\"kind\": \"technology_offer\", \"title\": \"Công nghệ sấy thử sau seed\","
		       " \"sector\": \"4.1\", \"trl\": 5, \"province\": \"quang-tri\"}'::jsonb, NULL,"
		       " '5eed0000-0000-4000-8000-000000000001', 'test_seed_demo')");

	/* Again: as many more, on the same organisations. */
	long orgs = count_of(pg, "SELECT count(*) FROM organizations WHERE id::text LIKE '5eed0000-%'");
	seed_500(pg);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM organizations WHERE id::text LIKE '5eed0000-%'"), orgs);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) - count(DISTINCT ref) FROM listings"), 0);
	ck_assert_int_eq(count_of(pg, behind), 0);
	PQfinish(pg);
}
END_TEST

/* Deals on the published listings, for the indicators: every state, consistent, and the tasks registered. */
START_TEST(test_seed_deals)
{
	PGconn *pg = it_pg_connect(it_db_url());
	seed_500(pg);
	long before = count_of(pg, "SELECT count(*) FROM deals");
	struct it_cmd c;
	seed((const char *const[]){"--listings", "0", "--deals", "400", NULL}, NULL, &c);
	ck_assert_msg(c.status == 0, "seed-demo --deals exited %d: %s", c.status, c.err);
	it_cmd_free(&c);
	long added = count_of(pg, "SELECT count(*) FROM deals") - before;
	/* A pick that would open a second open deal is skipped: most are kept. */
	ck_assert_msg(added > 300 && added <= 400, "%ld deals added", added);
	const char *fresh = " FROM deals d WHERE d.created_at > now() - interval '3 years 1 day'"
			    " AND d.message LIKE '%(demo).'";
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT count(DISTINCT state)%s", fresh);
	ck_assert_int_eq(count_of(pg, sql), 10);
	snprintf(sql, sizeof sql, "SELECT count(*)%s AND state = 'completed' AND verified_at IS NOT NULL", fresh);
	ck_assert_int_gt(count_of(pg, sql), 0);
	/* Between a published listing's organisation and another, as the API makes them. */
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM deals d JOIN listings l ON l.id = d.listing_id"
				      " WHERE d.message LIKE '%(demo).' AND (d.listing_org <> l.organization_id"
				      " OR d.initiator_org = d.listing_org OR d.state_at < d.created_at OR d.created_at > now())"),
			 0);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM (SELECT DISTINCT st_task FROM listings"
				      " WHERE st_task ~ '^NV-QT-') t WHERE NOT EXISTS"
				      " (SELECT 1 FROM st_tasks s WHERE s.code = t.st_task)"),
			 0);
	PQfinish(pg);
}
END_TEST

/* A bad count: status 2, one line naming the flag or variable, nothing written. */
START_TEST(test_bad_counts)
{
	static const char *const bad[] = {"0", "-5", "abc", "100000001", "", "12x"};
	PGconn *pg = it_pg_connect(it_db_url());
	long before = count_of(pg, "SELECT count(*) FROM listings");
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		struct it_cmd c;
		seed((const char *const[]){"--listings", bad[k], NULL}, NULL, &c);
		ck_assert_msg(c.status == 2, "--listings '%s' exited %d%s, expected 2: %s", bad[k], c.status,
			      it_status_note(c.status), c.err);
		ck_assert_msg(strstr(c.err, "--listings") != NULL && strchr(c.err, '\n') == c.err + strlen(c.err) - 1,
			      "--listings '%s': stderr is not one line naming the flag: [%s]", bad[k], c.err);
		it_cmd_free(&c);
	}
	struct it_cmd c;
	seed(NULL, "MARKETPLACE_SEED_LISTINGS=0", &c);
	ck_assert_msg(c.status == 2, "MARKETPLACE_SEED_LISTINGS=0 exited %d%s, expected 2: %s", c.status,
		      it_status_note(c.status), c.err);
	ck_assert_msg(strstr(c.err, "MARKETPLACE_SEED_LISTINGS") != NULL, "stderr does not name the variable: %s", c.err);
	it_cmd_free(&c);
	seed((const char *const[]){"--listings", NULL}, NULL, &c);
	ck_assert_msg(c.status == 2, "--listings without a value exited %d%s: %s", c.status, it_status_note(c.status),
		      c.err);
	it_cmd_free(&c);
	ck_assert_int_eq(count_of(pg, "SELECT count(*) FROM listings"), before);
	PQfinish(pg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_seed_demo");
	TCase *tc = tcase_create("seed_demo");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_seed_demo);
	tcase_add_test(tc, test_bad_counts);
	tcase_add_test(tc, test_seed_deals);
	suite_add_tcase(s, tc);
	return check_run(s);
}
