/* json_out.c: strings escaped by hand parse back, through jansson, to what went in. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "check_run.h"

/* Escapes s, parses the literal with jansson and asserts the round trip. */
static void assert_round_trip(const char *s, size_t n)
{
	struct json_out o = {0};
	json_out_string(&o, s, n);
	ck_assert(!o.failed);
	json_error_t error;
	json_t *parsed = json_loadb(o.data, o.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
	ck_assert_msg(parsed != NULL, "not JSON (%s): %.*s", error.text, (int)o.len, o.data);
	ck_assert_uint_eq(json_string_length(parsed), n);
	ck_assert(memcmp(json_string_value(parsed), s, n) == 0);
	json_decref(parsed);
	free(o.data);
}

START_TEST(plain_and_vietnamese_text)
{
	const char *cases[] = {"", "a", "Kỹ thuật điện, điện tử, thông tin", "Tỉnh Quảng Trị",
			       "exactly8", "sixteen bytes!!!", "Công nghệ sấy nông sản quy mô hộ gia đình"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_round_trip(cases[i], strlen(cases[i]));
}
END_TEST

START_TEST(escapes_at_every_offset)
{
	const char specials[] = {'"', '\\', '\n', '\t', '\r', '\b', '\f', 0x01, 0x1f, 0x7f};
	char s[40];
	for (size_t k = 0; k < sizeof specials; k++)
		for (size_t at = 0; at < 24; at++) {
			memset(s, 'x', sizeof s);
			s[at] = specials[k];
			assert_round_trip(s, 30);
		}
}
END_TEST

START_TEST(random_utf8_strings)
{
	/* Random runs of ASCII (controls included) and 2- and 3-byte UTF-8 sequences. */
	unsigned seed = 20261128;
	char s[300];
	for (int round = 0; round < 2000; round++) {
		size_t n = 0, target = (size_t)(rand_r(&seed) % 250);
		while (n < target) {
			int pick = rand_r(&seed) % 10;
			if (pick < 6) {
				s[n++] = (char)(rand_r(&seed) % 0x80);
			} else if (pick < 8) {
				unsigned cp = 0x80 + (unsigned)rand_r(&seed) % (0x800 - 0x80);
				s[n++] = (char)(0xC0 | cp >> 6);
				s[n++] = (char)(0x80 | (cp & 0x3F));
			} else {
				unsigned cp = 0x800 + (unsigned)rand_r(&seed) % (0xD000 - 0x800);
				s[n++] = (char)(0xE0 | cp >> 12);
				s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				s[n++] = (char)(0x80 | (cp & 0x3F));
			}
		}
		assert_round_trip(s, n);
	}
}
END_TEST

START_TEST(buffer_grows_past_its_first_size)
{
	struct json_out o = {0};
	for (int i = 0; i < 2000; i++)
		json_out_puts(&o, "0123456789");
	ck_assert(!o.failed);
	ck_assert_uint_eq(o.len, 20000);
	ck_assert(o.cap >= o.len);
	free(o.data);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_out");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_and_vietnamese_text);
	tcase_add_test(tc, escapes_at_every_offset);
	tcase_add_test(tc, random_utf8_strings);
	tcase_add_test(tc, buffer_grows_past_its_first_size);
	suite_add_tcase(s, tc);
	return check_run(s);
}
