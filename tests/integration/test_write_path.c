/*
 * The write path (marketplace/http/write.c) against the real binary:
 * Idempotency-Key on POST /api/v1/auth/register (replay, a different body,
 * twins racing, failures not stored, expiry, scope by caller), and field
 * errors before conflicts (DESIGN.md section 3).
 *
 * Loopback source addresses used (api_source_addr): slot 0 (the key's
 * scope test).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "check_run.h"

static const char path[] = "/api/v1/auth/register";

/* A registration body for `who` (free it); tax may be NULL. */
static char *register_body(const char *who, const char *province, const char *tax)
{
	char email[160];
	api_make_email(email, sizeof email, who);
	return api_dump(api_registration(email, "Mật khẩu bền vững 2026", "Người thử", "Hợp tác xã Thử",
					 "enterprise", province, tax));
}

static long accounts_with(const char *who)
{
	char email[160];
	api_make_email(email, sizeof email, who);
	PGconn *pg = it_pg_connect(it_db_url());
	long n = api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", email, NULL);
	PQfinish(pg);
	return n;
}

static void assert_replay_of(const struct it_response *first, const struct it_response *again)
{
	ck_assert_int_eq(again->status, first->status);
	ck_assert_str_eq(again->body, first->body);
	const char *replayed = it_header(again, "Idempotency-Replayed");
	ck_assert_msg(replayed != NULL && strcmp(replayed, "true") == 0, "a replay without Idempotency-Replayed");
}

START_TEST(test_repeat_replays_the_first_response)
{
	char key[96];
	snprintf(key, sizeof key, "Idempotency-Key: replay-%s", api_tag());
	char *body = register_body("replay", "quang-tri", NULL);
	struct it_response first, again;
	api_expect(&first, 201, "POST", path, NULL, body, key);
	ck_assert_ptr_null(it_header(&first, "Idempotency-Replayed"));
	api_expect(&again, 201, "POST", path, NULL, body, key);
	assert_replay_of(&first, &again);
	ck_assert_int_eq(accounts_with("replay"), 1);

	/* The same key with another body is refused, and changes nothing. */
	char *other = register_body("replay-other", "quang-tri", NULL);
	struct it_response refused;
	api_expect(&refused, 422, "POST", path, NULL, other, key);
	ck_assert_msg(strstr(refused.body, "Idempotency-Key") != NULL, "%s", refused.body);
	ck_assert_int_eq(accounts_with("replay-other"), 0);

	/* Without a key, the repeat is a new request: the email is taken. */
	api_expect_only(409, "POST", path, NULL, body);
	it_response_free(&first);
	it_response_free(&again);
	it_response_free(&refused);
	free(body);
	free(other);
}
END_TEST

START_TEST(test_twins_racing_get_one_account)
{
	char key[96];
	snprintf(key, sizeof key, "Idempotency-Key: twins-%s", api_tag());
	char *body = register_body("twins", "hue", NULL);
	/* Both are sent before either is answered: both pass the lookup, and the
	 * claim inside the write's transaction settles it. */
	int a = api_send(NULL, "POST", path, NULL, body, key);
	int b = api_send(NULL, "POST", path, NULL, body, key);
	struct it_response ra, rb;
	api_recv(a, &ra, "POST", path);
	api_recv(b, &rb, "POST", path);
	api_check_status(&ra, 201, "POST", path);
	api_check_status(&rb, 201, "POST", path);
	ck_assert_str_eq(ra.body, rb.body);
	ck_assert_msg((it_header(&ra, "Idempotency-Replayed") != NULL) + (it_header(&rb, "Idempotency-Replayed") != NULL) == 1,
		      "exactly one of the twins is the replay");
	ck_assert_int_eq(accounts_with("twins"), 1);
	it_response_free(&ra);
	it_response_free(&rb);
	free(body);
}
END_TEST

START_TEST(test_failures_are_not_stored)
{
	char key[96];
	snprintf(key, sizeof key, "Idempotency-Key: retry-%s", api_tag());
	char *bad = register_body("retry", "atlantis", NULL);
	char *good = register_body("retry", "quang-tri", NULL);
	struct it_response r;
	api_expect(&r, 422, "POST", path, NULL, bad, key);
	it_response_free(&r);
	api_expect(&r, 201, "POST", path, NULL, good, key);
	ck_assert_ptr_null(it_header(&r, "Idempotency-Replayed"));
	it_response_free(&r);
	free(bad);
	free(good);
}
END_TEST

START_TEST(test_keys_expire_after_a_day)
{
	char key[96];
	snprintf(key, sizeof key, "Idempotency-Key: expire-%s", api_tag());
	char *later = register_body("expire-later", "da-nang", NULL);
	struct it_response r;
	api_expect(&r, 201, "POST", path, NULL, later, key);
	it_response_free(&r);
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
					  " WHERE key = $1", key + strlen("Idempotency-Key: "), NULL),
			 1);
	PQfinish(pg);
	/* A day later the key is free again: a new body is a new request. */
	char *third = register_body("expire-third", "da-nang", NULL);
	api_expect(&r, 201, "POST", path, NULL, third, key);
	ck_assert_ptr_null(it_header(&r, "Idempotency-Replayed"));
	ck_assert_int_eq(accounts_with("expire-third"), 1);
	it_response_free(&r);
	free(later);
	free(third);
}
END_TEST

START_TEST(test_keys_are_scoped_to_the_caller)
{
	char key[96], src[32];
	snprintf(key, sizeof key, "Idempotency-Key: scope-%s", api_tag());
	char *body = register_body("scope", "ha-noi", NULL);
	struct it_response r;
	api_expect(&r, 201, "POST", path, NULL, body, key);
	it_response_free(&r);
	/* Another client with the same key and body does not get the first's answer. */
	api_source_addr(src, 0);
	api_recv(api_send(src, "POST", path, NULL, body, key), &r, "POST", path);
	api_check_status(&r, 409, "POST", path);
	it_response_free(&r);
	free(body);
}
END_TEST

START_TEST(test_malformed_keys)
{
	char *body = register_body("badkey", "quang-tri", NULL);
	char long_key[300] = "Idempotency-Key: ";
	memset(long_key + strlen(long_key), 'k', 256);
	const char *const keys[] = {"Idempotency-Key: two words", "Idempotency-Key: tiếng-việt", long_key};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct it_response r;
		api_expect(&r, 400, "POST", path, NULL, body, keys[i]);
		it_response_free(&r);
	}
	ck_assert_int_eq(accounts_with("badkey"), 0);
	free(body);
}
END_TEST

/* ------------------------------------------------------------ field errors before conflicts */

START_TEST(test_field_errors_come_before_conflicts)
{
	char tax[16];
	api_make_tax(tax, 40);
	char *taken = register_body("first-holder", "quang-tri", tax);
	api_expect_only(201, "POST", path, NULL, taken);

	/* A taken tax code and an unknown province: the province is reported. */
	api_expect_invalid("POST", path, NULL,
			   api_registration("other@example.vn", "Mật khẩu bền vững 2026", "Người khác",
					    "Công ty Khác", "enterprise", "atlantis", tax),
			   API_PAIRS("organization.province", "province"), "taken tax code, unknown province");
	/* The same with a taken email. */
	char email[160];
	api_make_email(email, sizeof email, "first-holder");
	api_expect_invalid("POST", path, NULL,
			   api_registration(email, "Mật khẩu bền vững 2026", "Người khác", "Công ty Khác",
					    "enterprise", "atlantis", NULL),
			   API_PAIRS("organization.province", "province"), "taken email, unknown province");

	/* PATCH: an unknown province wins over a stale If-Match and a taken tax code. */
	struct api_acct owner;
	api_register(&owner, "patcher", "Viện Thử", "research_institute", "quang-tri");
	api_login(&owner);
	char org[128], patch[128];
	api_org_path(org, sizeof org, owner.org_id, "");
	struct it_response r;
	api_expect(&r, 422, "PATCH", org, owner.token, "{\"province\":\"atlantis\"}", "If-Match: \"99\"");
	api_assert_errors(&r, API_PAIRS("province", "province"), "stale If-Match, unknown province");
	it_response_free(&r);
	snprintf(patch, sizeof patch, "{\"province\":\"atlantis\",\"tax_code\":\"%s\"}", tax);
	api_expect_invalid("PATCH", org, owner.token, json_loads(patch, 0, NULL),
			   API_PAIRS("province", "province"), "taken tax code, unknown province");
	/* Each alone still gets its own answer. */
	api_expect(&r, 412, "PATCH", org, owner.token, "{\"address\":\"Đông Hà\"}", "If-Match: \"99\"");
	it_response_free(&r);
	snprintf(patch, sizeof patch, "{\"tax_code\":\"%s\"}", tax);
	api_expect_only(409, "PATCH", org, owner.token, patch);
	free(taken);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_write_path");
	TCase *tc = tcase_create("write_path");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_repeat_replays_the_first_response);
	tcase_add_test(tc, test_twins_racing_get_one_account);
	tcase_add_test(tc, test_failures_are_not_stored);
	tcase_add_test(tc, test_keys_expire_after_a_day);
	tcase_add_test(tc, test_keys_are_scoped_to_the_caller);
	tcase_add_test(tc, test_malformed_keys);
	tcase_add_test(tc, test_field_errors_come_before_conflicts);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
