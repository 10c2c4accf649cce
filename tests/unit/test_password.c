/* password.c: the self-describing scrypt string, verification and re-hash decisions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "check_run.h"

START_TEST(current_parameters_are_owasp_scrypt)
{
	char hash[PASSWORD_HASH_MAX];
	ck_assert(password_hash("mật khẩu rất dài", hash));
	ck_assert_msg(strncmp(hash, "$scrypt$ln=17,r=8,p=1$", 22) == 0, "%s", hash);
	ck_assert(password_verify("mật khẩu rất dài", hash));
	ck_assert(!password_verify("mật khẩu rất dai", hash));
	ck_assert(!password_needs_rehash(hash));
}
END_TEST

START_TEST(salts_differ)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
	ck_assert(password_hash_with("same password", 10, 8, 1, a));
	ck_assert(password_hash_with("same password", 10, 8, 1, b));
	ck_assert_str_ne(a, b);
	ck_assert(password_verify("same password", a) && password_verify("same password", b));
}
END_TEST

START_TEST(weaker_hashes_need_rehash)
{
	char weak[PASSWORD_HASH_MAX];
	ck_assert(password_hash_with("old password", 14, 8, 1, weak));
	ck_assert(password_verify("old password", weak));
	ck_assert(password_needs_rehash(weak));
}
END_TEST

START_TEST(malformed_encodings_never_verify)
{
	const char *bad[] = {"", "plain", "$scrypt$ln=17,r=8,p=1$", "$scrypt$ln=17,r=8,p=1$abc$def",
			     "$scrypt$ln=40,r=8,p=1$BsqklBWUllE1rWFfin5Thg==$iQh5E5dPcTKbIX0oGv8o5WYCe8KbI/1GKUjlFnY9sP0=",
			     "$pbkdf2$i=1$BsqklBWUllE1rWFfin5Thg==$iQh5E5dPcTKbIX0oGv8o5WYCe8KbI/1GKUjlFnY9sP0=",
			     "$scrypt$ln=17,r=8,p=1$BsqklBWUllE1rWFfin5Thg==$iQh5E5dPcTKbIX0oGv8o5WYCe8KbI/1GKUjlFnY9sP0=x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!password_verify("anything", bad[i]), "'%s' verified", bad[i]);
		ck_assert(password_needs_rehash(bad[i]));
	}
}
END_TEST

/* What an unknown email is verified against must cost what a real hash costs: current parameters. */
START_TEST(dummy_hash_is_current_and_verifies)
{
	const char *h = password_dummy_hash();
	ck_assert_msg(!password_needs_rehash(h), "the dummy hash is not made with the current parameters: %s", h);
	ck_assert(password_verify(PASSWORD_DUMMY_PLAINTEXT, h));
	ck_assert(!password_verify("no-account-has-this-passwore", h));
	ck_assert_ptr_eq(password_dummy_hash(), h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, current_parameters_are_owasp_scrypt);
	tcase_add_test(tc, salts_differ);
	tcase_add_test(tc, weaker_hashes_need_rehash);
	tcase_add_test(tc, malformed_encodings_never_verify);
	tcase_add_test(tc, dummy_hash_is_current_and_verifies);
	suite_add_tcase(s, tc);
	return check_run(s);
}
