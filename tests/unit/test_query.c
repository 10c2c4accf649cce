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
		ck_assert_msg(strspn(encoded, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
				      strlen(encoded),
			      "'%s' is not base64url", encoded);
		ck_assert(cursor_decode(encoded, decoded, sizeof decoded));
		ck_assert_str_eq(decoded, keys[i]);
	}
}
END_TEST

START_TEST(cursor_buffers_are_bounded)
{
	char small[4], out[8];
	ck_assert(!cursor_encode("abcdef", small, sizeof small));
	ck_assert(!cursor_decode("YWJjZGVmZ2hpamtsbW5vcA", out, sizeof out));
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
	tcase_add_test(tc, cursor_buffers_are_bounded);
	tcase_add_test(tc, foreign_cursors_are_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
