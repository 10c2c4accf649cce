/*
 * The server cannot switch off the audit log's guard (issue 7, item 8).
 *
 * The role the server connects as is found where it shows, in
 * pg_stat_activity (the pools name their backends "marketplace"), and the
 * tests connect as that very role: each statement that could disable,
 * bypass or destroy the append-only audit log, or change the schema, must
 * be refused by PostgreSQL's privileges (SQLSTATE 42501 with PostgreSQL's
 * own message), not merely by the triggers, which an owner can switch off.
 * The server must still do all its work as that role, and a database
 * migrated from nothing by the owning role must end with the same grants
 * as the test database.  The suite's own SQL connects as the owner (see
 * harness.h on the two roles).  Loopback slot used: 0 (a wrong password).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "harness.h"
#include "check_run.h"

/* The group role of migrations/0006_serving_role.sql, which holds the grants. */
#define SERVING_GROUP "marketplace_serving"

/* Refusals must come at once, even if something held a lock on audit_log. */
#define LOCK_TIMEOUT "SET lock_timeout = '5s'"

/* The one role of the backends the server's pools opened in the test database (free it). */
static char *server_role(PGconn *owner)
{
	static const char sql[] = "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity"
				  " WHERE application_name = 'marketplace' AND backend_type = 'client backend'"
				  " AND datname = current_database()";
	char *role = NULL;
	/* The pools connect as the server starts; /readyz answers once one of them has. */
	for (double t0 = it_now(); role == NULL; it_sleep_ms(20)) {
		role = api_sql_value(owner, sql, NULL, NULL);
		ck_assert_msg(role != NULL || it_now() - t0 < 5, "no backend named marketplace 5 s after the server started");
	}
	ck_assert_msg(strchr(role, ',') == NULL, "the server connects as several roles: %s", role);
	return role;
}

/* A statement the server's role must not be allowed, and the start of PostgreSQL's refusal. */
struct forbidden {
	const char *sql, *refusal;
};

static const struct forbidden forbidden[] = {
	/* The audit log's rows, and its guard. */
	{"UPDATE audit_log SET action = action", "permission denied for table audit_log"},
	{"DELETE FROM audit_log", "permission denied for table audit_log"},
	{"TRUNCATE audit_log", "permission denied for table audit_log"},
	{"ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "must be owner of table audit_log"},
	{"ALTER TABLE audit_log DISABLE TRIGGER USER", "must be owner of table audit_log"},
	{"DROP TRIGGER audit_log_no_truncate ON audit_log", "must be owner of relation audit_log"},
	{"CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql"
	 " AS 'BEGIN RETURN NULL; END'",
	 "permission denied for schema public"},
	{"CREATE RULE it_roles_discard AS ON INSERT TO audit_log DO INSTEAD NOTHING",
	 "must be owner of table audit_log"},
	{"CREATE TRIGGER it_roles_discard BEFORE INSERT ON audit_log FOR EACH ROW"
	 " EXECUTE FUNCTION audit_log_refuse_change()",
	 "permission denied for table audit_log"},
	{"ALTER TABLE audit_log RENAME TO it_roles_gone", "must be owner of table audit_log"},
	{"DROP TABLE audit_log", "must be owner of table audit_log"},
	{"LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE", "permission denied for table audit_log"},
	{"SELECT setval('audit_log_id_seq', 1)", "permission denied for sequence audit_log_id_seq"},
	/* Triggers off for the whole session. */
	{"SET session_replication_role = replica", "permission denied to set parameter \"session_replication_role\""},
	/* A temporary table named audit_log would come first in the search path and swallow the rows. */
	{"CREATE TEMP TABLE audit_log (LIKE public.audit_log)", "permission denied to create temporary tables"},
	/* No DDL anywhere else either. */
	{"CREATE TABLE it_roles_probe (x int)", "permission denied for schema public"},
	{"CREATE FUNCTION it_roles_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'", "permission denied for schema public"},
	{"CREATE SCHEMA it_roles_probe", "permission denied for database"},
	{"ALTER TABLE users ADD COLUMN it_roles_probe int", "must be owner of table users"},
	{"CREATE INDEX it_roles_probe ON users (display_name)", "must be owner of table users"},
	{"DROP TABLE login_failures", "must be owner of table login_failures"},
	{"TRUNCATE tokens", "permission denied for table tokens"},
	/* What the server only reads, and what only the migrations write. */
	{"UPDATE provinces SET name_vi = name_vi", "permission denied for table provinces"},
	{"DELETE FROM sectors", "permission denied for table sectors"},
	{"INSERT INTO schema_migrations (version, checksum) VALUES ('9999_it_roles', 'x')",
	 "permission denied for table schema_migrations"},
	{"DELETE FROM schema_migrations", "permission denied for table schema_migrations"},
};

/* What the server does need, each in its own transaction too. */
static const char *const allowed[] = {
	"SELECT count(*) FROM audit_log",
	"INSERT INTO audit_log (action, entity, entity_id) VALUES ('it.roles', 'test', 'x')",
	"UPDATE users SET display_name = display_name WHERE false",
	"DELETE FROM login_failures WHERE false",
	"DELETE FROM idempotency_keys WHERE false",
	"SELECT count(*) FROM provinces",
	"SELECT pg_advisory_xact_lock(1, 2)",
};

/*
 * Runs sql in a transaction that is always rolled back, so that a statement
 * wrongly allowed changes nothing; returns its SQLSTATE and message
 * ("00000" and "" when it succeeded) into state and msg.
 */
static void try_rolled_back(PGconn *pg, const char *sql, char state[6], char *msg, size_t msg_size)
{
	it_pg_exec(pg, "BEGIN");
	it_pg_exec(pg, LOCK_TIMEOUT);
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(state, 6, "%s", ok ? "00000" : code != NULL ? code : "?????");
	snprintf(msg, msg_size, "%s", ok || text == NULL ? "" : text);
	PQclear(res);
	it_pg_exec(pg, "ROLLBACK");
}

/* Appends a line to report (a fixed buffer: what does not fit is cut). */
static void note(char *report, size_t size, const char *sql, const char *what)
{
	size_t n = strlen(report);
	snprintf(report + n, size - n, "\n  %s: %s", sql, what);
}

START_TEST(test_server_role_cannot_touch_the_guard)
{
	PGconn *owner = it_pg_connect(it_db_url());
	api_expect_only(200, "GET", "/api/v1/provinces", NULL, NULL);
	char *role = server_role(owner);
	char *owner_role = it_pg_value(owner, "SELECT tableowner FROM pg_tables"
					      " WHERE schemaname = 'public' AND tablename = 'audit_log'");
	char *conninfo = it_conninfo_as(role, NULL);
	PGconn *pg = it_pg_connect(conninfo);
	free(conninfo);
	char *current = it_pg_value(pg, "SELECT current_user");
	ck_assert_str_eq(current, role);
	free(current);

	/* Every failure is listed at once: the report says which statements the role may run. */
	char report[8192] = "";
	char state[6], msg[512], set_role[160];
	if (strcmp(role, owner_role) == 0)
		note(report, sizeof report, role, "the server connects as the owner of audit_log");
	snprintf(set_role, sizeof set_role, "SET ROLE \"%s\"", owner_role);
	struct forbidden become_owner = {set_role, "permission denied to set role"};
	for (size_t i = 0; i <= sizeof forbidden / sizeof forbidden[0]; i++) {
		const struct forbidden *f = i < sizeof forbidden / sizeof forbidden[0] ? &forbidden[i] : &become_owner;
		try_rolled_back(pg, f->sql, state, msg, sizeof msg);
		char what[700];
		if (strcmp(state, "00000") == 0)
			snprintf(what, sizeof what, "ALLOWED");
		else if (strcmp(state, "42501") != 0 || strncmp(msg, f->refusal, strlen(f->refusal)) != 0)
			snprintf(what, sizeof what, "refused with %s \"%s\", expected 42501 \"%s...\"", state, msg,
				 f->refusal);
		else
			continue;
		note(report, sizeof report, f->sql, what);
	}
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		try_rolled_back(pg, allowed[i], state, msg, sizeof msg);
		if (strcmp(state, "00000") != 0) {
			char what[600];
			snprintf(what, sizeof what, "refused (%s %s), but the server needs it", state, msg);
			note(report, sizeof report, allowed[i], what);
		}
	}
	ck_assert_msg(report[0] == '\0', "the server's role %s (audit_log's owner: %s):%s", role, owner_role, report);

	/* The triggers are still in place and enabled. */
	ck_assert_int_eq(it_pg_long(owner, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass"
					   " AND tgname IN ('audit_log_append_only', 'audit_log_no_truncate')"
					   " AND tgenabled = 'O'"),
			 2);
	free(role);
	free(owner_role);
	PQfinish(pg);
	PQfinish(owner);
}
END_TEST

/* The suite's server, as that role, does every kind of write the API has; its audit rows are there. */
START_TEST(test_server_works_as_its_role)
{
	struct api_acct a, admin;
	char key[96], path[160], verify[160], src[32];
	json_t *doc;

	/* Register (twice with one Idempotency-Key: the replay reads what the first stored). */
	api_make_email(a.email, sizeof a.email, "roles");
	snprintf(a.password, sizeof a.password, "Mật khẩu vai trò 2026");
	char org[120];
	snprintf(org, sizeof org, "Viện Cơ điện tử vai trò %s", api_tag());
	char *body = api_dump(api_registration(a.email, a.password, "Người dùng vai trò", org, "research_institute",
					       "quang-tri", NULL));
	snprintf(key, sizeof key, "Idempotency-Key: roles-%s", api_tag());
	struct it_response first, again;
	api_expect(&first, 201, "POST", "/api/v1/auth/register", NULL, body, key);
	api_expect(&again, 201, "POST", "/api/v1/auth/register", NULL, body, key);
	ck_assert_str_eq(first.body, again.body);
	doc = it_json(&first);
	snprintf(a.user_id, sizeof a.user_id, "%s", api_str(api_obj(doc, "user"), "id"));
	snprintf(a.org_id, sizeof a.org_id, "%s", api_str(api_obj(doc, "organization"), "id"));
	json_decref(doc);
	it_response_free(&first);
	it_response_free(&again);
	free(body);

	/* A wrong password (a failed attempt is recorded), then the right one. */
	api_source_addr(src, 0);
	body = api_login_body(a.email, "khong-dung-mat-khau");
	struct it_response r;
	api_recv(api_send(src, "POST", "/api/v1/auth/login", NULL, body, NULL), &r, "POST", "/api/v1/auth/login");
	api_check_status(&r, 401, "POST", "/api/v1/auth/login");
	it_response_free(&r);
	free(body);
	a.token[0] = '\0';
	api_login(&a);
	api_expect_only(200, "GET", "/api/v1/me", a.token, NULL);

	/* The owner edits, the administrator verifies. */
	api_org_path(path, sizeof path, a.org_id, "");
	api_org_path(verify, sizeof verify, a.org_id, "/verify");
	api_expect_only(200, "PATCH", path, a.token, "{\"description\":\"Chuyển giao công nghệ tự động hoá\"}");
	api_admin(&admin);
	api_expect_only(200, "POST", verify, admin.token, "{\"note\":\"Đã đối chiếu\"}");
	static const char *const actions[] = {"organization.registered", "organization.updated",
					      "organization.verified"};
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		json_decref(api_find_audit("entity=organization", admin.token, actions[i], a.org_id));

	/* Logging out revokes the token. */
	api_expect_only(204, "POST", "/api/v1/auth/logout", a.token, NULL);
	api_expect_only(401, "GET", "/api/v1/me", a.token, NULL);

	/* And all of it was done as a role that is not the owner. */
	PGconn *owner = it_pg_connect(it_db_url());
	char *role = server_role(owner);
	ck_assert_msg(api_sql_long(owner, "SELECT count(*) FROM pg_tables WHERE tablename = 'audit_log'"
					  " AND tableowner = $1",
				   role, NULL) == 0,
		      "the server connects as %s, the owner of audit_log", role);
	free(role);
	PQfinish(owner);
}
END_TEST

/*
 * What SERVING_GROUP holds in schema public, as sorted "object:privilege"
 * lines: relations and functions named in `names` (a text[] literal, or
 * NULL for all), and the default privileges (free it).
 */
static char *grants(PGconn *pg, const char *names)
{
	static const char sql[] =
		"SELECT coalesce(string_agg(g, ',' ORDER BY g), '') FROM ("
		" SELECT c.relname || ':' || a.privilege_type AS g"
		"  FROM pg_class c, aclexplode(c.relacl) a"
		"  WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = '" SERVING_GROUP "'::regrole"
		"  AND ($1::text[] IS NULL OR c.relname = ANY ($1::text[]))"
		" UNION ALL"
		" SELECT p.proname || '():' || a.privilege_type FROM pg_proc p, aclexplode(p.proacl) a"
		"  WHERE p.pronamespace = 'public'::regnamespace AND a.grantee = '" SERVING_GROUP "'::regrole"
		"  AND ($1::text[] IS NULL OR p.proname = ANY ($1::text[]))"
		" UNION ALL"
		" SELECT 'default ' || d.defaclobjtype::text || ':' || a.privilege_type"
		"  FROM pg_default_acl d, aclexplode(d.defaclacl) a"
		"  WHERE d.defaclnamespace = 'public'::regnamespace AND a.grantee = '" SERVING_GROUP "'::regrole"
		") s";
	return api_sql_value(pg, sql, names, NULL);
}

/* The names of the relations and functions of schema public, as a text[] literal (free it). */
static char *public_names(PGconn *pg)
{
	return it_pg_value(pg, "SELECT array_agg(name)::text FROM ("
			       " SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace"
			       " UNION SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace) n");
}

static char scratch_db[64]; /* named in the parent, before the forks */

static void drop_scratch(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0')
		return;
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) == CONNECTION_OK) {
		PQclear(PQexec(pg, "SET client_min_messages = warning"));
		char sql[128];
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", scratch_db);
		PQclear(PQexec(pg, sql));
	}
	PQfinish(pg);
}

/*
 * A new database, served from the start as the two roles: the server
 * migrates it as the owner (MARKETPLACE_MIGRATE_DATABASE_URL) and serves it
 * as its role; the grants end as in the test database, which was migrated
 * before (and, on a developer's cluster, in several steps); and a table a
 * later migration creates is granted to the serving role without a word.
 */
START_TEST(test_new_database_two_roles)
{
	PGconn *owner = it_pg_connect(it_db_url());
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", scratch_db);
	it_pg_exec(owner, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", scratch_db);
	it_pg_exec(owner, sql);

	char *own_url = it_conninfo_for(scratch_db), *serve_url = it_conninfo_as(IT_SERVE_ROLE, scratch_db);
	size_t len = strlen(own_url) + strlen(serve_url) + 64;
	char *env_migrate = malloc(len), *env_serve = malloc(len);
	ck_assert(env_migrate != NULL && env_serve != NULL);
	snprintf(env_migrate, len, "MARKETPLACE_MIGRATE_DATABASE_URL=%s", own_url);
	snprintf(env_serve, len, "MARKETPLACE_DATABASE_URL=%s", serve_url);
	struct it_server s;
	it_server_start(&s, (const char *const[]){env_migrate, env_serve, NULL});
	free(env_migrate);
	free(env_serve);
	struct it_response r;
	ck_assert(it_get(s.port, "/readyz", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	char email[160];
	api_make_email(email, sizeof email, "roles-scratch");
	char *body = api_dump(api_registration(email, "Mật khẩu mới 2026", "Người dùng mới", "Công ty Mới",
					       "startup", "quang-tri", NULL));
	ck_assert(it_http(s.port, "POST", "/api/v1/auth/register",
			  (const char *const[]){"Content-Type: application/json", NULL}, body, strlen(body), &r));
	ck_assert_msg(r.status == 201, "register on the new database: %d %s", r.status, r.body);
	it_response_free(&r);
	free(body);
	ck_assert_int_eq(it_server_stop(&s), 0);

	PGconn *fresh = it_pg_connect(own_url);
	char *owner_role = it_pg_value(owner, "SELECT current_user");
	ck_assert_int_eq(api_sql_long(fresh, "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id"
					     " WHERE u.email = $1",
				      email, NULL),
			 1);
	ck_assert_int_eq(api_sql_long(fresh, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
					     " AND relkind IN ('r', 'S', 'v', 'm', 'p', 'i')"
					     " AND pg_get_userbyid(relowner) <> $1",
				      owner_role, NULL),
			 0);

	/* The same grants as the test database, on the same objects. */
	char *names = public_names(fresh);
	char *here = grants(fresh, NULL), *there = grants(owner, names);
	ck_assert_msg(here[0] != '\0', "no grants to " SERVING_GROUP " in the new database");
	ck_assert_msg(strcmp(here, there) == 0, "grants to " SERVING_GROUP ":\n new database:  %s\n test database: %s",
		      here, there);
	free(names);
	free(here);
	free(there);

	/* A table of a later migration. */
	it_pg_exec(fresh, "CREATE TABLE it_roles_later (id bigserial PRIMARY KEY, x int)");
	PGconn *serving = it_pg_connect(serve_url);
	it_pg_exec(serving, "INSERT INTO it_roles_later (x) VALUES (1)");
	it_pg_exec(serving, "UPDATE it_roles_later SET x = 2");
	it_pg_exec(serving, "DELETE FROM it_roles_later");
	char state[6], msg[256];
	try_rolled_back(serving, "TRUNCATE it_roles_later", state, msg, sizeof msg);
	ck_assert_msg(strcmp(state, "42501") == 0, "TRUNCATE of a later table: %s %s", state, msg);
	PQfinish(serving);
	PQfinish(fresh);
	free(owner_role);
	free(own_url);
	free(serve_url);
	snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", scratch_db);
	it_pg_exec(owner, sql);
	PQfinish(owner);
}
END_TEST

int main(void)
{
	snprintf(scratch_db, sizeof scratch_db, "it_roles_%ld", (long)getpid());
	Suite *s = suite_create("integration_roles");
	TCase *tc = tcase_create("roles");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, drop_scratch);
	tcase_add_test(tc, test_server_role_cannot_touch_the_guard);
	tcase_add_test(tc, test_server_works_as_its_role);
	tcase_add_test(tc, test_new_database_two_roles);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
