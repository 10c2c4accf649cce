/* query.c: opaque keyset cursors round-trip and refuse what the server never wrote. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "check_run.h"

START_TEST(cursors_round_trip)
{
	const char *keys[] = {"1", "42", "2026-11-28T00:11:52.123456Z|5b9d9108-2a6f-424a-8662-35d3d81c5c44",
			      "ab", "abc", "abcd"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char encoded[200], decoded[200];
		ck_assert(cursor_encode(keys[i], encoded, sizeof encoded));
		ck_assert_msg(strspn(encoded, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
				      strlen(encoded),
			      "'%s' is not safe in a URL", encoded);
		ck_assert(cursor_decode(encoded, decoded, sizeof decoded));
		ck_assert_str_eq(decoded, keys[i]);
	}
}
END_TEST

/* A cursor is signed: one altered in any character, or signed with another key, is refused. */
START_TEST(altered_cursors_are_refused)
{
	char encoded[200], decoded[200];
	query_set_cursor_key("first key", 9);
	ck_assert(cursor_encode("2026-11-28T00:11:52.123456Z|5b9d9108-2a6f-424a-8662-35d3d81c5c44", encoded,
				sizeof encoded));
	for (size_t i = 0; encoded[i] != '\0'; i++) {
		char altered[200];
		strcpy(altered, encoded);
		altered[i] = altered[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(!cursor_decode(altered, decoded, sizeof decoded), "altered at %zu: %s", i, altered);
	}
	ck_assert(cursor_decode(encoded, decoded, sizeof decoded));
	query_set_cursor_key("second key", 10);
	ck_assert(!cursor_decode(encoded, decoded, sizeof decoded));
	ck_assert(!cursor_decode("MQ", decoded, sizeof decoded)); /* the keys without a signature */
}
END_TEST

START_TEST(cursor_buffers_are_bounded)
{
	char small[4], out[8];
	ck_assert(!cursor_encode("abcdef", small, sizeof small));
	char long_cursor[200];
	ck_assert(cursor_encode("abcdefghijklmnop", long_cursor, sizeof long_cursor));
	ck_assert(!cursor_decode(long_cursor, out, sizeof out));
}
END_TEST

START_TEST(foreign_cursors_are_refused)
{
	char out[64];
	ck_assert(!cursor_decode("", out, sizeof out));
	ck_assert(!cursor_decode("not a cursor!", out, sizeof out));
	ck_assert(!cursor_decode("AA", out, sizeof out)); /* decodes to a NUL byte */
	ck_assert(!cursor_decode("YWJj+/==", out, sizeof out));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, cursors_round_trip);
	tcase_add_test(tc, altered_cursors_are_refused);
	tcase_add_test(tc, cursor_buffers_are_bounded);
	tcase_add_test(tc, foreign_cursors_are_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
