/*
 * What the server keeps in memory, against the real binary and PostgreSQL:
 * the reference lists (ETag, If-None-Match -> 304, reloaded when the data
 * changes) and the identity cache, which must never let a revoked token
 * in: not after a logout on this instance (at once, on every worker), nor
 * after a logout on another instance or a revocation by hand (within one
 * second, through LISTEN/NOTIFY), nor after the listening connection was
 * lost and notifications with it.
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define ME "/api/v1/me"
/* Requests on fresh connections reach both workers of a server (MARKETPLACE_THREADS=2). */
#define SPREAD 24

/* GET path on a fresh connection to port with the token (may be NULL) and one more header (may be NULL). */
static int get_status(int port, const char *path, const char *token, const char *header, struct it_response *keep)
{
	char auth[128];
	const char *headers[3] = {NULL, NULL, NULL};
	int n = 0;
	if (token != NULL) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		headers[n++] = auth;
	}
	if (header != NULL)
		headers[n++] = header;
	struct it_response r = {0};
	ck_assert_msg(it_http(port, "GET", path, headers, NULL, 0, &r), "GET %s on port %d: no answer", path, port);
	int status = r.status;
	if (keep != NULL)
		*keep = r;
	else
		it_response_free(&r);
	return status;
}

/* Every one of SPREAD fresh connections answers GET /me with `status`. */
static void expect_me_everywhere(int port, const char *token, int status, const char *when)
{
	for (int i = 0; i < SPREAD; i++) {
		int got = get_status(port, ME, token, NULL, NULL);
		ck_assert_msg(got == status, "%s: GET /me on connection %d answered %d, not %d", when, i, got, status);
	}
}

/* Polls GET /me until 401; fails unless that happens within a second.  Returns the seconds taken. */
static double wait_refused(int port, const char *token, const char *when)
{
	double start = it_now();
	while (get_status(port, ME, token, NULL, NULL) != 401) {
		ck_assert_msg(it_now() - start < 1.0, "%s: the token is still accepted after 1 s", when);
		it_sleep_ms(10);
	}
	return it_now() - start;
}

/* Revokes every live token of the user behind the servers' backs, as an operator at psql would. */
static void revoke_in_sql(PGconn *pg, const char *user_id)
{
	api_sql_exec(pg, "UPDATE tokens SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
		     user_id, NULL);
}

static void signed_in(struct api_acct *a, const char *who)
{
	api_register(a, who, "Công ty Bộ nhớ đệm", "enterprise", "quang-tri");
	api_login(a);
}

/* ------------------------------------------------------------ reference lists */

static void check_conditional(const char *path)
{
	int port = api_port();
	struct it_response r = {0};
	ck_assert_int_eq(get_status(port, path, NULL, NULL, &r), 200);
	const char *etag = it_header(&r, "ETag");
	ck_assert_msg(etag != NULL && strlen(etag) == 18 && etag[0] == '"' && etag[17] == '"',
		      "%s: ETag %s is not a quoted 16-digit tag", path, etag ? etag : "(none)");
	ck_assert_str_eq(it_header(&r, "Cache-Control"), "public, max-age=300");
	char tag[32], inm[96];
	snprintf(tag, sizeof tag, "%s", etag);
	it_response_free(&r);

	/* The tag alone, weak, in a list, and *: 304 with no body and the same tag. */
	const char *prefixes[] = {"", "W/", "\"0000\", ", NULL};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (prefixes[i] != NULL)
			snprintf(inm, sizeof inm, "If-None-Match: %s%s", prefixes[i], tag);
		else
			snprintf(inm, sizeof inm, "If-None-Match: *");
		ck_assert_msg(get_status(port, path, NULL, inm, &r) == 304, "%s with %s: %d", path, inm, r.status);
		ck_assert_msg(r.body_len == 0, "%s: a 304 with a body of %zu bytes", path, r.body_len);
		ck_assert_str_eq(it_header(&r, "ETag"), tag);
		it_response_free(&r);
	}
	/* Another tag, a malformed list, or a tag without quotes: the full list. */
	const char *misses[] = {"If-None-Match: \"0123456789abcdef\"", "If-None-Match: ,,,", "If-None-Match: W/",
				"If-None-Match: \"unterminated"};
	for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
		ck_assert_msg(get_status(port, path, NULL, misses[i], &r) == 200, "%s with %s: %d", path, misses[i],
			      r.status);
		ck_assert_msg(r.body_len > 100, "%s: 200 without the list", path);
		it_response_free(&r);
	}
	snprintf(inm, sizeof inm, "If-None-Match: %.*s", 17, tag); /* the tag without its closing quote */
	ck_assert_int_eq(get_status(port, path, NULL, inm, NULL), 200);
}

START_TEST(test_reference_conditional_get)
{
	check_conditional("/api/v1/sectors");
	check_conditional("/api/v1/provinces");
}
END_TEST

/* The ETag and body of GET path, polled until the body contains `text` (or not, when present is false). */
static char *wait_list(const char *path, const char *text, bool present, char etag[32])
{
	double start = it_now();
	for (;;) {
		struct it_response r = {0};
		ck_assert_int_eq(get_status(api_port(), path, NULL, NULL, &r), 200);
		if ((strstr(r.body, text) != NULL) == present) {
			snprintf(etag, 32, "%s", it_header(&r, "ETag"));
			char *body = strdup(r.body);
			it_response_free(&r);
			return body;
		}
		it_response_free(&r);
		ck_assert_msg(it_now() - start < 2.0, "%s: %s still %s 2 s after the change", path, text,
			      present ? "missing" : "present");
		it_sleep_ms(20);
	}
}

START_TEST(test_reference_reloaded_on_change)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char marker[64], renamed[128], before[32], during[32], after[32];
	api_marker(marker, sizeof marker, "linhvuc");
	snprintf(renamed, sizeof renamed, "Toán học %s", marker);
	char *original = api_sql_value(pg, "SELECT name_vi FROM sectors WHERE code = $1", "1.1", NULL);
	free(wait_list("/api/v1/sectors", marker, false, before));

	/* An operator (or a migration) renames a subfield: the list follows, with a new tag. */
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE sectors SET name_vi = $2 WHERE code = $1", "1.1", renamed), 1);
	free(wait_list("/api/v1/sectors", marker, true, during));
	ck_assert_str_ne(before, during);
	char inm[64];
	snprintf(inm, sizeof inm, "If-None-Match: %s", before);
	ck_assert_int_eq(get_status(api_port(), "/api/v1/sectors", NULL, inm, NULL), 200);

	/* Back as it was: the same bytes, so the first tag again. */
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE sectors SET name_vi = $2 WHERE code = $1", "1.1", original), 1);
	free(wait_list("/api/v1/sectors", marker, false, after));
	ck_assert_str_eq(before, after);
	free(original);
	PQfinish(pg);
}
END_TEST

/* ------------------------------------------------------------ what caches and browsers may do */

static void expect_nosniff(const struct it_response *r, const char *what)
{
	const char *v = it_header(r, "X-Content-Type-Options");
	ck_assert_msg(v != NULL && strcmp(v, "nosniff") == 0, "%s (%d): X-Content-Type-Options is %s", what,
		      r->status, v ? v : "missing");
}

START_TEST(test_response_headers)
{
	int port = api_port();
	struct it_response r = {0};
	ck_assert_int_eq(get_status(port, "/healthz", NULL, NULL, &r), 200);
	expect_nosniff(&r, "/healthz");
	it_response_free(&r);
	ck_assert_int_eq(get_status(port, "/api/v1/no-such-thing", NULL, NULL, &r), 404);
	expect_nosniff(&r, "a 404 problem");
	it_response_free(&r);
	ck_assert_int_eq(get_status(port, "/api/v1/sectors", NULL, "If-None-Match: *", &r), 304);
	expect_nosniff(&r, "a 304");
	it_response_free(&r);
	static const char garbage[] = "NOT HTTP AT ALL\r\n\r\n";
	ck_assert(it_raw(port, garbage, sizeof garbage - 1, &r));
	ck_assert_int_eq(r.status, 400);
	expect_nosniff(&r, "the connection guard's own 400");
	it_response_free(&r);

	/* A signed-in caller's answers are kept by no cache; an anonymous list may be. */
	struct api_acct a;
	signed_in(&a, "cache-headers");
	const char *paths[] = {"/api/v1/listings?limit=1", ME,
			       "/api/v1/listings/00000000-0000-4000-8000-000000000000"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		get_status(port, paths[i], a.token, NULL, &r);
		const char *cc = it_header(&r, "Cache-Control");
		ck_assert_msg(cc != NULL && strcmp(cc, "no-store") == 0, "%s with a token (%d): Cache-Control %s",
			      paths[i], r.status, cc ? cc : "missing");
		expect_nosniff(&r, paths[i]);
		it_response_free(&r);
	}
	ck_assert_int_eq(get_status(port, "/api/v1/listings?limit=1", NULL, NULL, &r), 200);
	ck_assert_ptr_null(it_header(&r, "Cache-Control"));
	ck_assert_ptr_null(it_header(&r, "Strict-Transport-Security")); /* no TLS here */
	it_response_free(&r);
}
END_TEST

/* ------------------------------------------------------------ identity cache */

/*
 * Without the database's notification (its trigger disabled), so that only
 * the logout itself can have told the other worker.  The trigger is enabled
 * again by the teardown, also when the test fails.
 */
START_TEST(test_logout_refused_at_once_on_every_worker)
{
	struct api_acct a;
	signed_in(&a, "cache-logout");
	PGconn *pg = it_pg_connect(it_db_url());
	it_pg_exec(pg, "ALTER TABLE tokens DISABLE TRIGGER tokens_announce");
	expect_me_everywhere(api_port(), a.token, 200, "before the logout");
	api_expect_only(204, "POST", "/api/v1/auth/logout", a.token, NULL);
	expect_me_everywhere(api_port(), a.token, 401, "right after the logout");
	it_pg_exec(pg, "ALTER TABLE tokens ENABLE TRIGGER tokens_announce");
	PQfinish(pg);
}
END_TEST

static void enable_token_trigger(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0')
		return;
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) == CONNECTION_OK)
		PQclear(PQexec(pg, "ALTER TABLE tokens ENABLE TRIGGER tokens_announce"));
	PQfinish(pg);
}

START_TEST(test_revocation_by_hand_within_a_second)
{
	struct api_acct a;
	signed_in(&a, "cache-revoke");
	PGconn *pg = it_pg_connect(it_db_url());
	expect_me_everywhere(api_port(), a.token, 200, "before the revocation");
	revoke_in_sql(pg, a.user_id);
	wait_refused(api_port(), a.token, "revoked in SQL");
	expect_me_everywhere(api_port(), a.token, 401, "after the revocation");

	/* A token cut short by hand (expires_at in the past) is refused too. */
	api_login(&a);
	expect_me_everywhere(api_port(), a.token, 200, "the new token");
	api_sql_exec(pg, "UPDATE tokens SET expires_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
		     a.user_id, NULL);
	wait_refused(api_port(), a.token, "expired in SQL");
	PQfinish(pg);
}
END_TEST

START_TEST(test_logout_on_another_instance)
{
	struct api_acct a;
	signed_in(&a, "cache-instances");
	struct it_server other;
	it_server_start(&other, NULL);
	expect_me_everywhere(other.port, a.token, 200, "the other instance, before the logout");
	expect_me_everywhere(api_port(), a.token, 200, "this instance, before the logout");
	api_expect_only(204, "POST", "/api/v1/auth/logout", a.token, NULL);
	double took = wait_refused(other.port, a.token, "logged out on another instance");
	expect_me_everywhere(other.port, a.token, 401, "the other instance, after the logout");
	fprintf(stderr, "the other instance refused the token %.0f ms after the logout\n", took * 1000);
	ck_assert_int_eq(it_server_stop(&other), 0);
}
END_TEST

/* Kills (SIGTERM) every backend of the suite's server; returns how many. */
static int kill_server_backends(PGconn *pg)
{
	int pids[256];
	int n = it_pg_backend_pids(pg, "marketplace", pids, 256);
	for (int i = 0; i < n && i < 256; i++)
		ck_assert_int_eq(kill(pids[i], SIGTERM), 0);
	return n;
}

START_TEST(test_lost_listener_stops_the_cache)
{
	struct api_acct a;
	signed_in(&a, "cache-listener");
	PGconn *pg = it_pg_connect(it_db_url());
	expect_me_everywhere(api_port(), a.token, 200, "before the connections are lost");

	/* Every connection of the server dies, its listener with them: notifications
	 * sent until it listens again are lost, so nothing cached before may be used. */
	ck_assert_int_gt(kill_server_backends(pg), 0);
	revoke_in_sql(pg, a.user_id);
	/* Each worker notices the loss on its own: 503 until then, never 200. */
	double start = it_now();
	for (int refused = 0; refused < SPREAD;) {
		int status = get_status(api_port(), ME, a.token, NULL, NULL);
		ck_assert_msg(status == 401 || status == 503,
			      "revoked while the server was reconnecting, the token got %d", status);
		refused = status == 401 ? refused + 1 : 0;
		ck_assert_msg(it_now() - start < 5.0, "the server is not back 5 s after losing its connections");
		if (status == 503)
			it_sleep_ms(20);
	}

	/* Listening again: a new token is cached, and its revocation still arrives. */
	api_login(&a);
	expect_me_everywhere(api_port(), a.token, 200, "a new token after reconnecting");
	revoke_in_sql(pg, a.user_id);
	wait_refused(api_port(), a.token, "revoked after reconnecting");
	PQfinish(pg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_caches");
	TCase *tc = tcase_create("caches");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, enable_token_trigger);
	tcase_add_test(tc, test_reference_conditional_get);
	tcase_add_test(tc, test_reference_reloaded_on_change);
	tcase_add_test(tc, test_response_headers);
	tcase_add_test(tc, test_revocation_by_hand_within_a_second);
	tcase_add_test(tc, test_logout_on_another_instance);
	tcase_add_test(tc, test_lost_listener_stops_the_cache);
	tcase_add_test(tc, test_logout_refused_at_once_on_every_worker); /* last: it disables a trigger */
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
