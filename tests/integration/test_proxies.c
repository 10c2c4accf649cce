/*
 * MARKETPLACE_TRUSTED_PROXIES against the real binary: X-Forwarded-For is
 * believed from a trusted peer only, and the address it names is the
 * client's for the login limit and the Idempotency-Key scope.
 *
 * The suite's server trusts 127.0.0.1 only.  Requests from other loopback
 * addresses (api_source_addr slots 20-22) come from untrusted peers.
 * Forwarded addresses are from the documentation ranges (RFC 5737), made
 * unique to the run so that earlier runs' login failures do not count.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "check_run.h"

static const char register_path[] = "/api/v1/auth/register";

/* "X-Forwarded-For: 198.51.100.1, 203.0.113.<n>" with n unique to this run and `k`. */
static void forwarded(char *out, size_t size, int k)
{
	snprintf(out, size, "X-Forwarded-For: 198.51.100.1, 203.0.%ld.%d", api_run_num() % 250, k);
}

/*
 * api_send takes one extra header line; two are sent as one string with
 * CRLF between them, which is what they are on the wire.
 */
static void two_headers(char *out, size_t size, const char *a, const char *b)
{
	snprintf(out, size, "%s\r\n%s", a, b);
}

static void post(struct it_response *r, const char *src, const char *body, const char *headers)
{
	api_recv(api_send(src, "POST", register_path, NULL, body, headers), r, "POST", register_path);
}

START_TEST(test_forwarded_address_scopes_idempotency_keys)
{
	char email[160], key[96], xff1[96], xff2[96], h1[200], h2[200];
	api_make_email(email, sizeof email, "proxied");
	char *body = api_dump(api_registration(email, "Mật khẩu bền vững 2026", "Người sau proxy",
					       "Công ty Sau Proxy", "enterprise", "quang-tri", NULL));
	snprintf(key, sizeof key, "Idempotency-Key: proxy-%s", api_tag());
	forwarded(xff1, sizeof xff1, 1);
	forwarded(xff2, sizeof xff2, 2);
	two_headers(h1, sizeof h1, key, xff1);
	two_headers(h2, sizeof h2, key, xff2);

	struct it_response first, again, other;
	post(&first, NULL, body, h1);
	api_check_status(&first, 201, "POST", register_path);
	post(&again, NULL, body, h1);
	api_check_status(&again, 201, "POST", register_path);
	ck_assert_str_eq(again.body, first.body);
	/* Another client behind the same proxy: its own scope, so no replay. */
	post(&other, NULL, body, h2);
	api_check_status(&other, 409, "POST", register_path);
	it_response_free(&first);
	it_response_free(&again);
	it_response_free(&other);
	free(body);
}
END_TEST

START_TEST(test_untrusted_peers_cannot_forward)
{
	char email[160], key[96], xff1[96], xff2[96], h1[200], h2[200], src[32];
	api_make_email(email, sizeof email, "spoofer");
	char *body = api_dump(api_registration(email, "Mật khẩu bền vững 2026", "Người giả mạo",
					       "Công ty Giả", "enterprise", "quang-tri", NULL));
	snprintf(key, sizeof key, "Idempotency-Key: spoof-%s", api_tag());
	forwarded(xff1, sizeof xff1, 3);
	forwarded(xff2, sizeof xff2, 4);
	two_headers(h1, sizeof h1, key, xff1);
	two_headers(h2, sizeof h2, key, xff2);
	api_source_addr(src, 20);

	struct it_response first, again;
	post(&first, src, body, h1);
	api_check_status(&first, 201, "POST", register_path);
	/* From an untrusted peer the header is ignored: the same caller, a replay. */
	post(&again, src, body, h2);
	api_check_status(&again, 201, "POST", register_path);
	ck_assert_str_eq(again.body, first.body);
	ck_assert_ptr_nonnull(it_header(&again, "Idempotency-Replayed"));
	it_response_free(&first);
	it_response_free(&again);
	free(body);
}
END_TEST

/* A failed login for an unknown email from the client xff names; returns the status. */
static int failed_login(const char *src, const char *xff, int k)
{
	char email[160], who[32];
	snprintf(who, sizeof who, "nobody%d", k);
	api_make_email(email, sizeof email, who);
	char *body = api_login_body(email, "không phải mật khẩu");
	struct it_response r;
	api_recv(api_send(src, "POST", "/api/v1/auth/login", NULL, body, xff), &r, "POST", "/api/v1/auth/login");
	int status = r.status;
	it_response_free(&r);
	free(body);
	return status;
}

START_TEST(test_login_limit_counts_the_forwarded_client)
{
	char guesser[96], neighbour[96];
	forwarded(guesser, sizeof guesser, 5);
	forwarded(neighbour, sizeof neighbour, 6);
	/* Ten failures (on ten emails, so no email's own limit is reached). */
	for (int k = 0; k < 10; k++)
		ck_assert_int_eq(failed_login(NULL, guesser, k), 401);
	ck_assert_int_eq(failed_login(NULL, guesser, 10), 429);
	/* Another client behind the same proxy is not slowed down by it. */
	ck_assert_int_eq(failed_login(NULL, neighbour, 11), 401);
}
END_TEST

START_TEST(test_forwarded_for_from_untrusted_peer_does_not_dodge_the_limit)
{
	char src[32], xff[96];
	api_source_addr(src, 21);
	for (int k = 0; k < 10; k++) {
		forwarded(xff, sizeof xff, 100 + k); /* a new "client" every time */
		ck_assert_int_eq(failed_login(src, xff, 20 + k), 401);
	}
	forwarded(xff, sizeof xff, 120);
	ck_assert_int_eq(failed_login(src, xff, 40), 429);
}
END_TEST

int main(void)
{
	static const char *const env[] = {"MARKETPLACE_TRUSTED_PROXIES=127.0.0.1", NULL};
	Suite *s = suite_create("integration_proxies");
	TCase *tc = tcase_create("proxies");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_forwarded_address_scopes_idempotency_keys);
	tcase_add_test(tc, test_untrusted_peers_cannot_forward);
	tcase_add_test(tc, test_login_limit_counts_the_forwarded_client);
	tcase_add_test(tc, test_forwarded_for_from_untrusted_peer_does_not_dodge_the_limit);
	suite_add_tcase(s, tc);
	return api_run(s, env);
}
