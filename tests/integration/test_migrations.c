/*
 * `marketplace migrate` on databases created for the test: a fresh apply,
 * a no-op re-run, two concurrent runs, and a tampered checksum beside a
 * pending migration.
 */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "embedded.h"
#include "harness.h"
#include "check_run.h"

#define MIGRATE_TIMEOUT_MS 60000

/* Databases are named <prefix>_<suffix>; the prefix is fixed in the parent, before the forks. */
static char db_prefix[64];

static PGconn *admin(void) { return it_pg_connect(it_db_url()); }

/* Creates database <prefix>_<suffix>; returns its conninfo (free it). */
static char *create_db(const char *suffix, char *name, size_t name_len)
{
	snprintf(name, name_len, "%s_%s", db_prefix, suffix);
	char sql[256];
	PGconn *pg = admin();
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	it_pg_exec(pg, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	it_pg_exec(pg, sql);
	PQfinish(pg);
	return it_conninfo_for(name);
}

static void drop_db(const char *name)
{
	char sql[256];
	PGconn *pg = admin();
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	it_pg_exec(pg, sql);
	PQfinish(pg);
}

static void start_migrate(struct it_proc *p, const char *conninfo)
{
	char url[4096];
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", conninfo);
	const char *argv[] = {it_bin(), "migrate", NULL};
	const char *env[] = {url, "MARKETPLACE_LOG=warn", NULL};
	it_proc_start(p, argv, env);
}

static void migrate(const char *conninfo, struct it_cmd *out)
{
	struct it_proc p;
	start_migrate(&p, conninfo);
	it_proc_finish(&p, MIGRATE_TIMEOUT_MS, out);
}

static void migrate_ok(const char *conninfo, const char *what)
{
	struct it_cmd c;
	migrate(conninfo, &c);
	ck_assert_msg(c.status == 0, "%s: migrate exited %d%s: %s", what, c.status, it_status_note(c.status), c.err);
	it_cmd_free(&c);
}

/* Each embedded migration is recorded exactly once, with a checksum and a time. */
static void assert_applied_once(PGconn *pg)
{
	long n = it_pg_long(pg, "SELECT count(*) FROM schema_migrations");
	ck_assert_msg(n == (long)embedded_migrations_count, "%ld rows in schema_migrations, %zu migrations",
		      n, embedded_migrations_count);
	for (size_t i = 0; i < embedded_migrations_count; i++) {
		const char *params[] = {embedded_migrations[i].name};
		PGresult *res = PQexecParams(pg,
					     "SELECT count(*) FROM schema_migrations WHERE version = $1"
					     " AND length(checksum) > 0 AND applied_at IS NOT NULL",
					     1, NULL, params, NULL, NULL, 0);
		bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
		PQclear(res);
		ck_assert_msg(ok, "migration %s is not recorded exactly once", embedded_migrations[i].name);
	}
}

START_TEST(test_fresh_and_idempotent)
{
	char name[128];
	char *conninfo = create_db("fresh", name, sizeof name);
	migrate_ok(conninfo, "first run");

	PGconn *pg = it_pg_connect(conninfo);
	assert_applied_once(pg);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM provinces"), 34);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM sectors"), 48);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM plan_indicators"), 8);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM plan_task_groups"), 5);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM pg_extension"
					" WHERE extname IN ('unaccent', 'pg_trgm')"),
			 2);
	char *plain = it_pg_value(pg, "SELECT f_unaccent('công nghệ sấy')");
	ck_assert_str_eq(plain, "cong nghe say");
	free(plain);
	/* f_unaccent is meant for index expressions: it must be IMMUTABLE. */
	char *vol = it_pg_value(pg, "SELECT provolatile FROM pg_proc WHERE proname = 'f_unaccent'");
	ck_assert_str_eq(vol, "i");
	free(vol);
	char *first = it_pg_value(pg, "SELECT string_agg(version || checksum || applied_at, ',' ORDER BY version)"
				      " FROM schema_migrations");

	/* A second run changes nothing. */
	migrate_ok(conninfo, "second run");
	assert_applied_once(pg);
	char *second = it_pg_value(pg, "SELECT string_agg(version || checksum || applied_at, ',' ORDER BY version)"
				       " FROM schema_migrations");
	ck_assert_str_eq(first, second);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM provinces"), 34);
	free(first);
	free(second);
	PQfinish(pg);
	free(conninfo);
	drop_db(name);
}
END_TEST

START_TEST(test_concurrent)
{
	/* A few rounds, each with two processes started together on a fresh database. */
	for (int round = 0; round < 3; round++) {
		char name[128], suffix[32];
		snprintf(suffix, sizeof suffix, "race%d", round);
		char *conninfo = create_db(suffix, name, sizeof name);
		struct it_proc a, b;
		start_migrate(&a, conninfo);
		start_migrate(&b, conninfo);
		struct it_cmd ca, cb;
		it_proc_finish(&a, MIGRATE_TIMEOUT_MS, &ca);
		it_proc_finish(&b, MIGRATE_TIMEOUT_MS, &cb);
		ck_assert_msg(ca.status == 0 && cb.status == 0,
			      "round %d: concurrent migrate exited %d and %d:\n%s\n%s", round, ca.status,
			      cb.status, ca.err, cb.err);
		it_cmd_free(&ca);
		it_cmd_free(&cb);
		PGconn *pg = it_pg_connect(conninfo);
		assert_applied_once(pg);
		ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM sectors"), 48);
		PQfinish(pg);
		free(conninfo);
		drop_db(name);
	}
}
END_TEST

/* What the catalog holds in schema public: relations, functions and types, as "r:f:t". */
static char *catalog_fingerprint(PGconn *pg)
{
	return it_pg_value(pg, "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
			       "  WHERE n.nspname = 'public') || ':' ||"
			       " (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
			       "  WHERE n.nspname = 'public') || ':' ||"
			       " (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
			       "  WHERE n.nspname = 'public')");
}

/* Applies migration m by hand and records it as migrate does (same table, checksum = SHA-256 of the text). */
static void apply_by_hand(PGconn *pg, const struct embedded_migration *m)
{
	it_pg_exec(pg, "BEGIN");
	it_pg_exec(pg, m->sql);
	api_sql_exec(pg, "INSERT INTO schema_migrations (version, checksum)"
			 " VALUES ($1, encode(sha256(convert_to($2, 'UTF8')), 'hex'))",
		     m->name, m->sql);
	it_pg_exec(pg, "COMMIT");
}

/*
 * An edited applied migration is refused before anything else is done.
 * The database has every migration but the last applied, and the one
 * before the last edited (its checksum changed): migrate must exit 1,
 * naming the edited one, and leave the last one pending, unapplied.
 */
START_TEST(test_tampered_checksum)
{
	size_t n = embedded_migrations_count;
	ck_assert_msg(n >= 2, "this test needs two migrations, there are %zu", n);
	const struct embedded_migration *tampered = &embedded_migrations[n - 2], *pending = &embedded_migrations[n - 1];
	char name[128];
	char *conninfo = create_db("tamper", name, sizeof name);
	PGconn *pg = it_pg_connect(conninfo);
	it_pg_exec(pg, "CREATE TABLE schema_migrations (version text PRIMARY KEY, checksum text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now())");
	for (size_t i = 0; i + 1 < n; i++)
		apply_by_hand(pg, &embedded_migrations[i]);
	api_sql_exec(pg, "UPDATE schema_migrations SET checksum = 'x' WHERE version = $1", tampered->name, NULL);
	char *before = catalog_fingerprint(pg);

	struct it_cmd c;
	migrate(conninfo, &c);
	ck_assert_msg(c.status == 1, "migrate after tampering exited %d%s, expected 1: %s", c.status,
		      it_status_note(c.status), c.err);
	ck_assert_msg(strstr(c.err, "changed after it was applied") != NULL && strstr(c.err, tampered->name) != NULL,
		      "stderr does not explain that %s changed: %s", tampered->name, c.err);
	it_cmd_free(&c);

	/* The pending migration was neither applied nor recorded. */
	ck_assert_msg(api_sql_long(pg, "SELECT count(*) FROM schema_migrations WHERE version = $1", pending->name,
				   NULL) == 0,
		      "the pending migration %s was recorded after a refused one", pending->name);
	ck_assert_int_eq(it_pg_long(pg, "SELECT count(*) FROM schema_migrations"), (long)n - 1);
	char *after = catalog_fingerprint(pg);
	ck_assert_msg(strcmp(before, after) == 0, "the catalog changed from %s to %s: %s was applied", before, after,
		      pending->name);
	free(before);
	free(after);
	PQfinish(pg);
	free(conninfo);
	drop_db(name);
}
END_TEST

/* Parent side, after the tests: drop what a failed test (which _exits) left behind. */
static void drop_leftovers(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	if (url == NULL || url[0] == '\0')
		return;
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) == CONNECTION_OK) {
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT datname FROM pg_database WHERE datname LIKE '%s\\_%%'",
			 db_prefix);
		PGresult *res = PQexec(pg, sql);
		for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
			snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", PQgetvalue(res, i, 0));
			PQclear(PQexec(pg, sql));
		}
		PQclear(res);
	}
	PQfinish(pg);
}

int main(void)
{
	snprintf(db_prefix, sizeof db_prefix, "it_migr_%ld", (long)getpid());
	Suite *s = suite_create("integration_migrations");
	TCase *tc = tcase_create("migrations");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, drop_leftovers);
	tcase_add_test(tc, test_fresh_and_idempotent);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_tampered_checksum);
	suite_add_tcase(s, tc);
	return check_run(s);
}
