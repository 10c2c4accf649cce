/*
 * `marketplace create-admin EMAIL` against PostgreSQL, and the
 * administrator it makes acting through a server of the test's own, started
 * with a MARKETPLACE_BOOTSTRAP_ADMIN of that email that must leave it alone.
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "check_run.h"
#include "harness.h"

/* ------------------------------------------------------------ create-admin */

/* printf 'password_line' | marketplace create-admin email (password_line NULL: no stdin at all). */
static void create_admin(const char *email, const char *password_line, struct it_cmd *out)
{
	char url[4096], bin[4200], cmd[1024];
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	snprintf(bin, sizeof bin, "IT_MARKETPLACE_BIN=%s", it_bin());
	if (password_line != NULL)
		snprintf(cmd, sizeof cmd, "printf '%s' | \"$IT_MARKETPLACE_BIN\" create-admin '%s'", password_line, email);
	else
		snprintf(cmd, sizeof cmd, "\"$IT_MARKETPLACE_BIN\" create-admin '%s' </dev/null", email);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	const char *env[] = {url, bin, "MARKETPLACE_LOG=warn", NULL};
	it_run(argv, env, 60000, out);
}

START_TEST(test_create_admin)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char email[160], upper[160], short_email[160];
	snprintf(email, sizeof email, "admin2.%s@sokhcn.quangtri.gov.vn", api_tag());
	snprintf(upper, sizeof upper, "ADMIN2.%s@SOKHCN.QUANGTRI.GOV.VN", api_tag());
	snprintf(short_email, sizeof short_email, "admin3.%s@sokhcn.quangtri.gov.vn", api_tag());

	struct it_cmd c;
	create_admin(email, "mat-khau-quan-tri\\n", &c);
	ck_assert_msg(c.status == 0, "create-admin exited %d%s: %s", c.status, it_status_note(c.status), c.err);
	it_cmd_free(&c);
	char *hash = api_sql_value(pg, "SELECT password_hash FROM users WHERE email = $1 AND role = 'admin'", email, NULL);
	ck_assert_msg(hash != NULL, "no administrator %s", email);

	/* Again, in another case and with another password: exit 1, nothing changed. */
	create_admin(upper, "mot-mat-khau-khac\\n", &c);
	ck_assert_msg(c.status == 1, "create-admin of an existing email exited %d%s, expected 1: %s", c.status,
		      it_status_note(c.status), c.err);
	ck_assert_msg(strstr(c.err, "exists") != NULL, "stderr does not say why: %s", c.err);
	it_cmd_free(&c);
	char *again = api_sql_value(pg, "SELECT password_hash FROM users WHERE email = $1", email, NULL);
	ck_assert_msg(again != NULL && strcmp(hash, again) == 0, "the existing administrator was changed");
	free(again);
	free(hash);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE lower(email) = $1", email, NULL), 1);

	/* Short passwords (characters, not bytes) and no password at all. */
	static const char *const short_pw[] = {"ngan-qua\\n", "mậtkhẩu12\\n", "\\n"};
	for (size_t i = 0; i < sizeof short_pw / sizeof short_pw[0]; i++) {
		create_admin(short_email, short_pw[i], &c);
		ck_assert_msg(c.status == 1, "a short password (%s) exited %d%s, expected 1: %s", short_pw[i], c.status,
			      it_status_note(c.status), c.err);
		ck_assert_msg(strstr(c.err, "at least 10 characters") != NULL, "stderr does not say why: %s", c.err);
		it_cmd_free(&c);
	}
	create_admin(short_email, NULL, &c);
	ck_assert_msg(c.status == 2, "create-admin without stdin exited %d%s, expected 2: %s", c.status,
		      it_status_note(c.status), c.err);
	it_cmd_free(&c);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM users WHERE email = $1", short_email, NULL), 0);
	PQfinish(pg);

	/* The administrator logs in and acts as one; a bootstrap with another password leaves it alone. */
	char boot[300];
	snprintf(boot, sizeof boot, "MARKETPLACE_BOOTSTRAP_ADMIN=%s:khong-duoc-ghi-de", email);
	const char *env[] = {boot, NULL};
	api_start(env);
	struct api_acct admin = {0};
	snprintf(admin.email, sizeof admin.email, "%s", email);
	snprintf(admin.password, sizeof admin.password, "mat-khau-quan-tri");
	json_t *doc = api_login_doc(&admin);
	ck_assert_str_eq(api_str(api_obj(doc, "user"), "role"), "admin");
	ck_assert(json_is_null(json_object_get(api_obj(doc, "user"), "organization_id")));
	json_decref(doc);
	json_t *e = api_find_audit("entity=user", admin.token, "user.admin_created", admin.user_id);
	ck_assert(json_is_null(json_object_get(e, "actor_id")));
	json_decref(e);
	api_stop_ok();
}
END_TEST

int main(void)
{
	api_init();
	Suite *s = suite_create("integration_admin_cli");
	TCase *tc = tcase_create("admin_cli");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create_admin);
	suite_add_tcase(s, tc);
	return check_run(s);
}
