/* The command line: version, help, and exit status 2 with one line of stderr for bad input. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "check_run.h"

#define TIMEOUT_MS 15000

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Runs the binary with args (NULL-terminated) and env added to a safe environment. */
static void run(const char *const *args, const char *const *env, struct it_cmd *out)
{
	char listen_on[64], url[4096];
	/* Should a bad command be accepted, it must not serve on a shared port or database. */
	snprintf(listen_on, sizeof listen_on, "MARKETPLACE_LISTEN=127.0.0.1:%d", it_free_port());
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *base[] = {listen_on, url, "MARKETPLACE_LOG=warn", NULL};
	const char *merged[16];
	size_t k = 0;
	for (size_t i = 0; base[i] != NULL; i++)
		merged[k++] = base[i];
	for (size_t i = 0; env != NULL && env[i] != NULL && k < 15; i++)
		merged[k++] = env[i];
	merged[k] = NULL;
	const char *argv[8] = {it_bin()};
	for (size_t i = 0; args[i] != NULL && i < 6; i++)
		argv[i + 1] = args[i];
	it_run(argv, merged, TIMEOUT_MS, out);
}

/* Exit status 2 and exactly one non-empty line on stderr. */
static void assert_usage_error(const char *what, struct it_cmd *c)
{
	ck_assert_msg(c->status == 2, "%s: exit status %d, expected 2 (stderr: %s)", what, c->status, c->err);
	size_t len = strlen(c->err);
	ck_assert_msg(count_lines(c->err) == 1 && len > 1 && c->err[len - 1] == '\n',
		      "%s: stderr is not exactly one line: [%s]", what, c->err);
	ck_assert_msg(c->out[0] == '\0', "%s: unexpected stdout: %s", what, c->out);
}

START_TEST(test_version)
{
	struct it_cmd c;
	run(ARGS("--version"), NULL, &c);
	ck_assert_msg(c.status == 0, "--version exited %d", c.status);
	ck_assert_str_eq(c.out, "marketplace 0.1.0\n");
	ck_assert_str_eq(c.err, "");
	it_cmd_free(&c);
}
END_TEST

START_TEST(test_help)
{
	struct it_cmd c;
	run(ARGS("--help"), NULL, &c);
	ck_assert_msg(c.status == 0, "--help exited %d", c.status);
	static const char *const words[] = {"serve", "migrate", "create-admin", "seed-demo", "--listings", NULL};
	for (const char *const *w = words; *w; w++)
		ck_assert_msg(strstr(c.out, *w) != NULL, "--help does not mention %s:\n%s", *w, c.out);
	it_cmd_free(&c);
}
END_TEST

START_TEST(test_bad_flag_value)
{
	struct it_cmd c;
	run(ARGS("--threads", "abc", "serve"), NULL, &c);
	assert_usage_error("--threads abc serve", &c);
	ck_assert_msg(strstr(c.err, "abc") != NULL, "the message does not name the value: %s", c.err);
	it_cmd_free(&c);
}
END_TEST

START_TEST(test_unknown_flag)
{
	struct it_cmd c;
	run(ARGS("serve", "--bogus"), NULL, &c);
	assert_usage_error("serve --bogus", &c);
	ck_assert_msg(strstr(c.err, "--bogus") != NULL, "the message does not name the flag: %s", c.err);
	it_cmd_free(&c);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct it_cmd c;
	run(ARGS("frobnicate"), NULL, &c);
	assert_usage_error("frobnicate", &c);
	ck_assert_msg(strstr(c.err, "frobnicate") != NULL, "the message does not name it: %s", c.err);
	it_cmd_free(&c);
}
END_TEST

START_TEST(test_bad_listen)
{
	struct it_cmd c;
	run(ARGS("serve"), ARGS("MARKETPLACE_LISTEN=nonsense"), &c);
	assert_usage_error("MARKETPLACE_LISTEN=nonsense serve", &c);
	it_cmd_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_cli");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_bad_flag_value);
	tcase_add_test(tc, test_unknown_flag);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_bad_listen);
	suite_add_tcase(s, tc);
	return check_run(s);
}
