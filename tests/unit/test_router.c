/*
 * router_match and route_param on a small table of our own: literal and
 * "{param}" patterns, 404 versus 405 (with the Allow list in table order),
 * percent-decoding of parameters (UTF-8 included), refusal of malformed
 * escapes, encoded NUL, trailing slashes and empty segments, and the
 * ROUTE_MAX_PARAMS / ROUTE_PARAM_STORAGE limits (not found, never overflow).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "check_run.h"

static void handler(struct request *r) { (void)r; }

static const struct route table[] = {
	{"GET", "/items", ROUTE_PUBLIC, handler, 0, 0},                        /* 0 */
	{"POST", "/items", ROUTE_PUBLIC, handler, 0, 0},                       /* 1 */
	{"GET", "/items/{id}", ROUTE_PUBLIC, handler, 0, 0},                   /* 2 */
	{"DELETE", "/items/{id}", ROUTE_PUBLIC, handler, 0, 0},                /* 3 */
	{"GET", "/x/{name}", ROUTE_PUBLIC, handler, 0, 0},                     /* 4 */
	{"GET", "/orgs/{org}/members/{member}", ROUTE_PUBLIC, handler, 0, 0},  /* 5 */
	{"GET", "/four/{a}/{b}/{c}/{d}", ROUTE_PUBLIC, handler, 0, 0},         /* 6 */
	{"GET", "/five/{a}/{b}/{c}/{d}/{e}", ROUTE_PUBLIC, handler, 0, 0},     /* 7: more than ROUTE_MAX_PARAMS */
};
#define TABLE_LEN (sizeof table / sizeof table[0])

/* route_params followed by a canary, to see writes past the struct. */
static struct {
	struct route_params p;
	unsigned char canary[64];
} guarded;
static const struct route *found;
static char allow[64];

static enum route_match match(const char *method, const char *path)
{
	memset(&guarded, 0, sizeof guarded);
	memset(guarded.canary, 0xA5, sizeof guarded.canary);
	found = NULL;
	memset(allow, 'Z', sizeof allow);
	enum route_match m = router_match(table, TABLE_LEN, method, path, &found, &guarded.p, allow,
					  sizeof allow);
	for (size_t i = 0; i < sizeof guarded.canary; i++)
		ck_assert_msg(guarded.canary[i] == 0xA5, "%s %.60s... wrote past route_params", method, path);
	return m;
}

#define ck_assert_not_found(method, path) \
	ck_assert_msg(match(method, path) == ROUTE_NOT_FOUND, "%s %s should be not found", method, path)

/* A path of `prefix` followed by `n` copies of `unit`; caller frees. */
static char *repeat_path(const char *prefix, const char *unit, size_t n)
{
	size_t plen = strlen(prefix), ulen = strlen(unit);
	char *s = malloc(plen + n * ulen + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, prefix, plen);
	for (size_t i = 0; i < n; i++)
		memcpy(s + plen + i * ulen, unit, ulen);
	s[plen + n * ulen] = '\0';
	return s;
}

START_TEST(literal_paths_found)
{
	ck_assert_int_eq(match("GET", "/items"), ROUTE_FOUND);
	ck_assert_ptr_eq(found, &table[0]);
	ck_assert_int_eq(guarded.p.count, 0);
	ck_assert_int_eq(match("POST", "/items"), ROUTE_FOUND);
	ck_assert_ptr_eq(found, &table[1]);
}
END_TEST

START_TEST(unknown_paths_not_found)
{
	ck_assert_not_found("GET", "/");
	ck_assert_not_found("GET", "");
	ck_assert_not_found("GET", "/nothing");
	ck_assert_not_found("GET", "/item");
	ck_assert_not_found("GET", "/itemsx");
	ck_assert_not_found("GET", "/items/1/extra");
	ck_assert_not_found("GET", "/orgs/a/members");
	ck_assert_not_found("GET", "/ITEMS");
}
END_TEST

START_TEST(wrong_method_405_with_allow_in_table_order)
{
	ck_assert_int_eq(match("PUT", "/items"), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(allow, "GET, POST");
	ck_assert_int_eq(match("PATCH", "/items/7"), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(allow, "GET, DELETE");
	ck_assert_int_eq(match("POST", "/x/abc"), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(allow, "GET");
	/* Methods are case-sensitive (RFC 9110). */
	ck_assert_int_eq(match("get", "/items"), ROUTE_METHOD_NOT_ALLOWED);
}
END_TEST

START_TEST(allow_buffer_never_overflows)
{
	char buf[16];
	memset(buf, 'Z', sizeof buf);
	const struct route *f = NULL;
	struct route_params p;
	/* Room for "GET" but not "GET, POST": stays terminated inside 8 bytes. */
	ck_assert_int_eq(router_match(table, TABLE_LEN, "PUT", "/items", &f, &p, buf, 8),
			 ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_ptr_nonnull(memchr(buf, '\0', 8));
	for (size_t i = 8; i < sizeof buf; i++)
		ck_assert_int_eq(buf[i], 'Z');
	ck_assert_int_eq(router_match(table, TABLE_LEN, "PUT", "/items", &f, &p, buf, 1),
			 ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(params_extracted_and_named)
{
	ck_assert_int_eq(match("GET", "/items/42"), ROUTE_FOUND);
	ck_assert_ptr_eq(found, &table[2]);
	ck_assert_int_eq(guarded.p.count, 1);
	ck_assert_str_eq(route_param(&guarded.p, "id"), "42");

	ck_assert_int_eq(match("DELETE", "/items/42"), ROUTE_FOUND);
	ck_assert_ptr_eq(found, &table[3]);

	ck_assert_int_eq(match("GET", "/orgs/acme/members/bob"), ROUTE_FOUND);
	ck_assert_ptr_eq(found, &table[5]);
	ck_assert_int_eq(guarded.p.count, 2);
	ck_assert_str_eq(route_param(&guarded.p, "org"), "acme");
	ck_assert_str_eq(route_param(&guarded.p, "member"), "bob");
}
END_TEST

START_TEST(route_param_missing_names_are_null)
{
	ck_assert_int_eq(match("GET", "/orgs/acme/members/bob"), ROUTE_FOUND);
	ck_assert_ptr_null(route_param(&guarded.p, "id"));
	ck_assert_ptr_null(route_param(&guarded.p, "or"));     /* prefix of a name */
	ck_assert_ptr_null(route_param(&guarded.p, "orgs"));   /* name plus more */
	ck_assert_ptr_null(route_param(&guarded.p, "org}"));
	ck_assert_ptr_null(route_param(&guarded.p, ""));
	ck_assert_int_eq(match("GET", "/items"), ROUTE_FOUND);
	ck_assert_ptr_null(route_param(&guarded.p, "id"));
}
END_TEST

START_TEST(params_percent_decoded)
{
	ck_assert_int_eq(match("GET", "/x/hello%20world"), ROUTE_FOUND);
	ck_assert_str_eq(route_param(&guarded.p, "name"), "hello world");
	ck_assert_int_eq(match("GET", "/x/ph%C3%BA"), ROUTE_FOUND);
	ck_assert_str_eq(route_param(&guarded.p, "name"), "ph\xC3\xBA"); /* "phú" */
	ck_assert_int_eq(match("GET", "/x/ph%c3%ba"), ROUTE_FOUND);      /* lower-case hex */
	ck_assert_str_eq(route_param(&guarded.p, "name"), "ph\xC3\xBA");
	ck_assert_int_eq(match("GET", "/x/Qu%E1%BA%A3ng%20Tr%E1%BB%8B"), ROUTE_FOUND);
	ck_assert_str_eq(route_param(&guarded.p, "name"), "Qu\xE1\xBA\xA3ng Tr\xE1\xBB\x8B");
	ck_assert_int_eq(match("GET", "/x/%41"), ROUTE_FOUND); /* escape at the very end */
	ck_assert_str_eq(route_param(&guarded.p, "name"), "A");
	ck_assert_int_eq(match("GET", "/x/a+b"), ROUTE_FOUND); /* '+' is literal in a path */
	ck_assert_str_eq(route_param(&guarded.p, "name"), "a+b");
}
END_TEST

START_TEST(malformed_escapes_not_found)
{
	ck_assert_not_found("GET", "/x/%G1");
	ck_assert_not_found("GET", "/x/%1G");
	ck_assert_not_found("GET", "/x/%4");
	ck_assert_not_found("GET", "/x/abc%4");
	ck_assert_not_found("GET", "/x/abc%");
	ck_assert_not_found("GET", "/x/%");
	ck_assert_not_found("GET", "/x/%%41");
	ck_assert_not_found("GET", "/orgs/ok/members/%zz");
}
END_TEST

START_TEST(encoded_nul_not_found)
{
	ck_assert_not_found("GET", "/x/%00");
	ck_assert_not_found("GET", "/x/a%00b");
	ck_assert_not_found("GET", "/items/1%00");
}
END_TEST

START_TEST(trailing_slash_and_empty_segments_not_found)
{
	ck_assert_not_found("GET", "/items/");
	ck_assert_not_found("GET", "/items/42/");
	ck_assert_not_found("GET", "//items");
	ck_assert_not_found("GET", "/items//42");
	ck_assert_not_found("GET", "/x/");
	ck_assert_not_found("GET", "/orgs//members/bob");
	ck_assert_not_found("GET", "/orgs/acme/members/");
	ck_assert_not_found("GET", "/four/a/b//d");
}
END_TEST

START_TEST(too_many_params_not_found)
{
	ck_assert_int_eq(match("GET", "/four/a/b/c/d"), ROUTE_FOUND);
	ck_assert_int_eq(guarded.p.count, ROUTE_MAX_PARAMS);
	ck_assert_str_eq(route_param(&guarded.p, "d"), "d");
	ck_assert_not_found("GET", "/five/a/b/c/d/e");
}
END_TEST

START_TEST(long_single_value_limits)
{
	/* The longest value that fits: ROUTE_PARAM_STORAGE - 1 bytes plus its NUL. */
	char *path = repeat_path("/x/", "a", ROUTE_PARAM_STORAGE - 1);
	ck_assert_int_eq(match("GET", path), ROUTE_FOUND);
	ck_assert_uint_eq(strlen(route_param(&guarded.p, "name")), ROUTE_PARAM_STORAGE - 1);
	free(path);

	path = repeat_path("/x/", "a", ROUTE_PARAM_STORAGE);
	ck_assert_int_eq(match("GET", path), ROUTE_NOT_FOUND);
	free(path);

	/* Storage bounds the decoded length, not the raw one. */
	path = repeat_path("/x/", "%41", ROUTE_PARAM_STORAGE - 1);
	ck_assert_int_eq(match("GET", path), ROUTE_FOUND);
	ck_assert_uint_eq(strlen(route_param(&guarded.p, "name")), ROUTE_PARAM_STORAGE - 1);
	free(path);

	path = repeat_path("/x/", "%41", ROUTE_PARAM_STORAGE);
	ck_assert_int_eq(match("GET", path), ROUTE_NOT_FOUND);
	free(path);

	path = repeat_path("/x/", "a", 100000);
	ck_assert_int_eq(match("GET", path), ROUTE_NOT_FOUND);
	free(path);
}
END_TEST

START_TEST(long_values_share_storage)
{
	/* Four values (each with its NUL) filling the storage exactly fit... */
	size_t each = ROUTE_PARAM_STORAGE / 4 - 1;
	char *seg = repeat_path("", "v", each);
	size_t cap = 16 + 4 * (each + 1);
	char *path = malloc(cap + 1);
	ck_assert_ptr_nonnull(path);
	snprintf(path, cap, "/four/%s/%s/%s/%s", seg, seg, seg, seg);
	ck_assert_int_eq(match("GET", path), ROUTE_FOUND);
	ck_assert_str_eq(route_param(&guarded.p, "a"), seg);
	ck_assert_str_eq(route_param(&guarded.p, "d"), seg);

	/* ...one more byte in the last does not. */
	snprintf(path, cap, "/four/%s/%s/%s/%sv", seg, seg, seg, seg);
	ck_assert_int_eq(match("GET", path), ROUTE_NOT_FOUND);
	free(path);
	free(seg);
}
END_TEST

static Suite *router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("match");
	tcase_add_test(tc, literal_paths_found);
	tcase_add_test(tc, unknown_paths_not_found);
	tcase_add_test(tc, wrong_method_405_with_allow_in_table_order);
	tcase_add_test(tc, allow_buffer_never_overflows);
	tcase_add_test(tc, params_extracted_and_named);
	tcase_add_test(tc, route_param_missing_names_are_null);
	tcase_add_test(tc, params_percent_decoded);
	tcase_add_test(tc, malformed_escapes_not_found);
	tcase_add_test(tc, encoded_nul_not_found);
	tcase_add_test(tc, trailing_slash_and_empty_segments_not_found);
	tcase_add_test(tc, too_many_params_not_found);
	tcase_add_test(tc, long_single_value_limits);
	tcase_add_test(tc, long_values_share_storage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(router_suite());
}
