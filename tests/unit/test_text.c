/* text.c: UTF-8 validation and the repair that keeps client bytes out of invalid JSON. */
#include <check.h>
#include <string.h>

#include "text.h"
#include "check_run.h"

START_TEST(valid_and_invalid_sequences)
{
	const char *good[] = {"", "ascii", "Quảng Trị", "công nghệ sấy", "\xF0\x9F\x8C\xBE"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(utf8_valid(good[i], strlen(good[i])), "'%s' refused", good[i]);
	const char *bad[] = {"\xFF", "\xC3", "\xC0\xAF" /* overlong '/' */, "\xED\xA0\x80" /* surrogate */,
			     "\xF4\x90\x80\x80" /* past U+10FFFF */, "a\x80", "\xE1\xBA"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!utf8_valid(bad[i], strlen(bad[i])), "bad sequence %zu accepted", i);
	ck_assert(!utf8_valid("a\0b", 3)); /* NUL inside */
}
END_TEST

START_TEST(sanitize_replaces_bad_bytes_and_cuts_between_characters)
{
	char out[16];
	ck_assert_str_eq(utf8_sanitize("a\xFF" "b\xC3", out, sizeof out), "a?b?");
	ck_assert_str_eq(utf8_sanitize("Trị", out, sizeof out), "Trị");
	/* "ịịị" is 9 bytes; 8 bytes of room hold two whole characters, not a half. */
	char small[8];
	ck_assert_str_eq(utf8_sanitize("ịịị", small, sizeof small), "ịị");
	ck_assert(utf8_valid(small, strlen(small)));
	char one[1];
	ck_assert_str_eq(utf8_sanitize("abc", one, sizeof one), "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("utf8");
	tcase_add_test(tc, valid_and_invalid_sequences);
	tcase_add_test(tc, sanitize_replaces_bad_bytes_and_cuts_between_characters);
	suite_add_tcase(s, tc);
	return check_run(s);
}
