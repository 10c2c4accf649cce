/*
 * config_load with a fake environment (a small static table) and argv arrays:
 * defaults, environment values, flags overriding the environment (both
 * "--flag value" and "--flag=value"), every command, the listen forms, the
 * trusted proxies, and the errors, each of which must return false with a
 * non-empty one-line reason.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "check_run.h"

struct env_var {
	const char *name;
	const char *value;
};

/* The environment the fake getenv reads; NULL-name terminated, or NULL for empty. */
static const struct env_var *fake_env;

static const char *fake_getenv(const char *name)
{
	for (const struct env_var *v = fake_env; v != NULL && v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return NULL;
}

static struct config cfg;
static char err[256];

/* Loads argv (NULL-terminated, argv[0] included) under env. */
static bool load_argv(const struct env_var *env, char **argv)
{
	int argc = 0;
	while (argv[argc] != NULL)
		argc++;
	fake_env = env;
	memset(err, 0, sizeof err);
	return config_load(&cfg, argc, argv, fake_getenv, err, sizeof err);
}

#define LOAD(env, ...) load_argv(env, (char *[]){"marketplace", __VA_ARGS__, NULL})

static void assert_one_line_error(const char *what)
{
	ck_assert_msg(err[0] != '\0', "%s: empty error message", what);
	ck_assert_msg(strchr(err, '\n') == NULL, "%s: error is not one line: %s", what, err);
}

START_TEST(defaults)
{
	ck_assert_msg(LOAD(NULL, "serve"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_SERVE);
	ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
	ck_assert_int_eq(cfg.listen_port, 8080);
	ck_assert_int_eq(cfg.db_pool, 4);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ck_assert_int_ge(cfg.threads, 1);
	ck_assert_ptr_nonnull(cfg.database_url);
	ck_assert_str_ne(cfg.database_url, "");
	ck_assert_ptr_nonnull(cfg.database_read_url);
	ck_assert_str_eq(cfg.database_read_url, cfg.database_url);
	ck_assert_ptr_nonnull(cfg.migrate_database_url);
	ck_assert_str_eq(cfg.migrate_database_url, cfg.database_url);
	ck_assert_ptr_null(cfg.bootstrap_admin);
	ck_assert_ptr_null(cfg.tls_cert);
	ck_assert_ptr_null(cfg.tls_key);
	ck_assert_ptr_null(cfg.admin_email);
	ck_assert(!cfg.no_migrate);
	ck_assert_int_eq(cfg.header_timeout_ms, 10000);
	ck_assert_int_eq(cfg.token_ttl_s, 30 * 86400);
	ck_assert_int_eq(cfg.query_timeout_ms, 5000);
	ck_assert_int_eq(cfg.shutdown_timeout_ms, 10000);
	ck_assert_uint_eq(cfg.trusted_proxies.count, 0);
}
END_TEST

static const struct env_var full_env[] = {
	{"MARKETPLACE_DATABASE_URL", "postgresql://primary/mp"},
	{"MARKETPLACE_DATABASE_READ_URL", "postgresql://replica/mp"},
	{"MARKETPLACE_LISTEN", "0.0.0.0:9090"},
	{"MARKETPLACE_THREADS", "5"},
	{"MARKETPLACE_DB_POOL", "3"},
	{"MARKETPLACE_BOOTSTRAP_ADMIN", "root@example.vn:s3cret-pass"},
	{"MARKETPLACE_TLS_CERT", "/etc/mp/cert.pem"},
	{"MARKETPLACE_TLS_KEY", "/etc/mp/key.pem"},
	{"MARKETPLACE_LOG", "debug"},
	{NULL, NULL},
};

START_TEST(environment_values)
{
	ck_assert_msg(LOAD(full_env, "serve"), "%s", err);
	ck_assert_str_eq(cfg.database_url, "postgresql://primary/mp");
	ck_assert_str_eq(cfg.database_read_url, "postgresql://replica/mp");
	ck_assert_str_eq(cfg.listen_host, "0.0.0.0");
	ck_assert_int_eq(cfg.listen_port, 9090);
	ck_assert_int_eq(cfg.threads, 5);
	ck_assert_int_eq(cfg.db_pool, 3);
	ck_assert_str_eq(cfg.bootstrap_admin, "root@example.vn:s3cret-pass");
	ck_assert_str_eq(cfg.tls_cert, "/etc/mp/cert.pem");
	ck_assert_str_eq(cfg.tls_key, "/etc/mp/key.pem");
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
}
END_TEST

/* Compose files and shells leave variables set but empty: that means unset. */
START_TEST(empty_environment_values_are_unset)
{
	static const struct env_var env[] = {{"MARKETPLACE_BOOTSTRAP_ADMIN", ""},
					     {"MARKETPLACE_THREADS", ""},
					     {"MARKETPLACE_DATABASE_URL", ""},
					     {NULL, NULL}};
	ck_assert_msg(LOAD(env, "serve"), "%s", err);
	ck_assert_ptr_null(cfg.bootstrap_admin);
	ck_assert_str_eq(cfg.database_url, "dbname=marketplace");
	ck_assert_int_gt(cfg.threads, 0);
}
END_TEST

/* The built front end: the checkout's web/dist unless told; empty is a value here, "none". */
START_TEST(web_dir)
{
	ck_assert_msg(LOAD(NULL, "serve"), "%s", err);
	size_t n = strlen(cfg.web_dir);
	ck_assert_msg(cfg.web_dir[0] == '/' && n > 9 && strcmp(cfg.web_dir + n - 9, "/web/dist") == 0,
		      "default web dir %s", cfg.web_dir);
	static const struct env_var env[] = {{"MARKETPLACE_WEB_DIR", "/srv/web"}, {NULL, NULL}};
	ck_assert_msg(LOAD(env, "serve"), "%s", err);
	ck_assert_str_eq(cfg.web_dir, "/srv/web");
	ck_assert_msg(LOAD(env, "serve", "--web-dir", "other"), "%s", err);
	ck_assert_str_eq(cfg.web_dir, "other");
	ck_assert_msg(LOAD(env, "serve", "--web-dir="), "%s", err);
	ck_assert_str_eq(cfg.web_dir, "");
	static const struct env_var none[] = {{"MARKETPLACE_WEB_DIR", ""}, {NULL, NULL}};
	ck_assert_msg(LOAD(none, "serve"), "%s", err);
	ck_assert_str_eq(cfg.web_dir, "");
}
END_TEST

START_TEST(trusted_proxies)
{
	static const struct env_var env[] = {{"MARKETPLACE_TRUSTED_PROXIES", "10.0.0.0/8, ::1 fd00::/8"},
					     {NULL, NULL}};
	static const struct env_var empty[] = {{"MARKETPLACE_TRUSTED_PROXIES", ""}, {NULL, NULL}};
	ck_assert_msg(LOAD(env, "serve"), "%s", err);
	ck_assert_uint_eq(cfg.trusted_proxies.count, 3);
	ck_assert(proxy_is_trusted(&cfg.trusted_proxies, "10.20.30.40"));
	ck_assert(proxy_is_trusted(&cfg.trusted_proxies, "::1"));
	ck_assert(!proxy_is_trusted(&cfg.trusted_proxies, "172.18.0.1"));

	ck_assert_msg(LOAD(env, "serve", "--trusted-proxies", "172.18.0.1"), "%s", err);
	ck_assert_uint_eq(cfg.trusted_proxies.count, 1);
	ck_assert(proxy_is_trusted(&cfg.trusted_proxies, "172.18.0.1"));
	ck_assert(!proxy_is_trusted(&cfg.trusted_proxies, "10.20.30.40"));

	/* An empty flag clears the variable's list: nobody trusted. */
	ck_assert_msg(LOAD(env, "serve", "--trusted-proxies="), "%s", err);
	ck_assert_uint_eq(cfg.trusted_proxies.count, 0);
	ck_assert_msg(LOAD(empty, "serve"), "%s", err);
	ck_assert_uint_eq(cfg.trusted_proxies.count, 0);
}
END_TEST

START_TEST(trusted_proxies_error_names_the_setting)
{
	static const struct env_var env[] = {{"MARKETPLACE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local"},
					     {NULL, NULL}};
	ck_assert(!LOAD(env, "serve"));
	ck_assert_msg(strstr(err, "MARKETPLACE_TRUSTED_PROXIES") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "'proxy.local' is not an IP address") != NULL, "%s", err);
	ck_assert(!LOAD(NULL, "serve", "--trusted-proxies", "10.0.0.1/8"));
	ck_assert_msg(strstr(err, "--trusted-proxies") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "10.0.0.0/8") != NULL, "%s", err);
}
END_TEST

START_TEST(admission_settings)
{
	ck_assert_msg(LOAD(NULL, "serve"), "%s", err);
	ck_assert_int_eq(cfg.max_connections, 0); /* derived from the file limit at start */
	ck_assert_int_eq(cfg.max_connections_per_address, 128);
	ck_assert_int_eq(cfg.body_budget_kb, 65536);
	ck_assert_int_eq(cfg.metrics_port, 0);

	static const struct env_var env[] = {{"MARKETPLACE_MAX_CONNECTIONS", "500"},
					     {"MARKETPLACE_MAX_CONNECTIONS_PER_ADDRESS", "20"},
					     {"MARKETPLACE_BODY_BUDGET_KB", "1024"},
					     {"MARKETPLACE_METRICS_LISTEN", "127.0.0.1:9100"},
					     {NULL, NULL}};
	ck_assert_msg(LOAD(env, "serve"), "%s", err);
	ck_assert_int_eq(cfg.max_connections, 500);
	ck_assert_int_eq(cfg.max_connections_per_address, 20);
	ck_assert_int_eq(cfg.body_budget_kb, 1024);
	ck_assert_str_eq(cfg.metrics_host, "127.0.0.1");
	ck_assert_int_eq(cfg.metrics_port, 9100);

	ck_assert_msg(LOAD(env, "serve", "--max-connections", "64", "--max-connections-per-address=4",
			   "--body-budget-kb", "64", "--metrics-listen", "[::1]:9200"),
		      "%s", err);
	ck_assert_int_eq(cfg.max_connections, 64);
	ck_assert_int_eq(cfg.max_connections_per_address, 4);
	ck_assert_int_eq(cfg.body_budget_kb, 64);
	ck_assert_str_eq(cfg.metrics_host, "::1");
	ck_assert_int_eq(cfg.metrics_port, 9200);
	/* The same port on another address is another socket. */
	ck_assert_msg(LOAD(NULL, "serve", "--listen", "10.0.0.1:8080", "--metrics-listen", "127.0.0.1:8080"),
		      "%s", err);
}
END_TEST

START_TEST(read_url_follows_database_url)
{
	static const struct env_var env[] = {{"MARKETPLACE_DATABASE_URL", "dbname=envdb"}, {NULL, NULL}};
	ck_assert_msg(LOAD(env, "serve"), "%s", err);
	ck_assert_str_eq(cfg.database_read_url, "dbname=envdb");
	ck_assert_msg(LOAD(env, "serve", "--database-url", "dbname=flagdb"), "%s", err);
	ck_assert_str_eq(cfg.database_url, "dbname=flagdb");
	ck_assert_str_eq(cfg.database_read_url, "dbname=flagdb");
}
END_TEST

/* Migrations connect as the owner when a URL is given for it, else as the server does. */
START_TEST(migrate_url)
{
	static const struct env_var env[] = {{"MARKETPLACE_DATABASE_URL", "user=app dbname=mp"},
					     {"MARKETPLACE_MIGRATE_DATABASE_URL", "user=owner dbname=mp"},
					     {NULL, NULL}};
	static const struct env_var empty[] = {{"MARKETPLACE_DATABASE_URL", "user=app dbname=mp"},
					       {"MARKETPLACE_MIGRATE_DATABASE_URL", ""},
					       {NULL, NULL}};
	ck_assert_msg(LOAD(env, "migrate"), "%s", err);
	ck_assert_str_eq(cfg.migrate_database_url, "user=owner dbname=mp");
	ck_assert_str_eq(cfg.database_url, "user=app dbname=mp");
	ck_assert_str_eq(cfg.database_read_url, "user=app dbname=mp");
	ck_assert_msg(LOAD(env, "serve", "--migrate-database-url", "user=dba dbname=mp"), "%s", err);
	ck_assert_str_eq(cfg.migrate_database_url, "user=dba dbname=mp");
	ck_assert_msg(LOAD(env, "serve", "--migrate-database-url=user=dba"), "%s", err);
	ck_assert_str_eq(cfg.migrate_database_url, "user=dba");
	/* Unset or empty: the database URL, however that was given. */
	ck_assert_msg(LOAD(empty, "serve"), "%s", err);
	ck_assert_str_eq(cfg.migrate_database_url, "user=app dbname=mp");
	ck_assert_msg(LOAD(empty, "serve", "--database-url", "dbname=flagdb"), "%s", err);
	ck_assert_str_eq(cfg.migrate_database_url, "dbname=flagdb");
}
END_TEST

START_TEST(flags_override_environment)
{
	ck_assert_msg(LOAD(full_env, "serve", "--threads", "3"), "%s", err);
	ck_assert_int_eq(cfg.threads, 3);
	ck_assert_msg(LOAD(full_env, "serve", "--threads=3"), "%s", err);
	ck_assert_int_eq(cfg.threads, 3);
	ck_assert_msg(LOAD(full_env, "--threads", "3", "serve"), "%s", err); /* before the command */
	ck_assert_int_eq(cfg.threads, 3);

	ck_assert_msg(LOAD(full_env, "serve", "--listen", "10.0.0.1:81", "--db-pool=2", "--log",
			   "error", "--database-url", "dbname=a", "--database-read-url=dbname=b",
			   "--bootstrap-admin", "x@y.vn:pw", "--tls-cert", "c.pem", "--tls-key", "k.pem",
			   "--no-migrate"),
		      "%s", err);
	ck_assert_str_eq(cfg.listen_host, "10.0.0.1");
	ck_assert_int_eq(cfg.listen_port, 81);
	ck_assert_int_eq(cfg.db_pool, 2);
	ck_assert_int_eq(cfg.log_level, LOG_ERROR);
	ck_assert_str_eq(cfg.database_url, "dbname=a");
	ck_assert_str_eq(cfg.database_read_url, "dbname=b");
	ck_assert_str_eq(cfg.bootstrap_admin, "x@y.vn:pw");
	ck_assert_str_eq(cfg.tls_cert, "c.pem");
	ck_assert_str_eq(cfg.tls_key, "k.pem");
	ck_assert(cfg.no_migrate);
	ck_assert_int_eq(cfg.threads, 5); /* untouched by flags: still the environment's */
}
END_TEST

static const struct env_var env_seed_listings[] = {{"MARKETPLACE_SEED_LISTINGS", "300"}, {NULL, NULL}};

START_TEST(commands)
{
	ck_assert_msg(LOAD(NULL, "serve"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_SERVE);
	ck_assert_msg(LOAD(NULL, "migrate"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_MIGRATE);
	ck_assert_msg(LOAD(NULL, "--help"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_HELP);
	ck_assert_msg(LOAD(NULL, "--version"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_VERSION);

	ck_assert_msg(LOAD(NULL, "create-admin", "admin@quangtri.gov.vn"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_CREATE_ADMIN);
	ck_assert_str_eq(cfg.admin_email, "admin@quangtri.gov.vn");
	ck_assert_msg(LOAD(NULL, "create-admin", "--log", "warn", "a@b.vn"), "%s", err);
	ck_assert_str_eq(cfg.admin_email, "a@b.vn");
	ck_assert_int_eq(cfg.log_level, LOG_WARN);

	ck_assert_msg(LOAD(NULL, "seed-demo"), "%s", err);
	ck_assert_int_eq(cfg.command, CMD_SEED_DEMO);
	ck_assert_int_eq(cfg.seed_listings, 1000);
	ck_assert_msg(LOAD(NULL, "seed-demo", "--listings", "1000000"), "%s", err);
	ck_assert_int_eq(cfg.seed_listings, 1000000);
	ck_assert_msg(LOAD(env_seed_listings, "seed-demo"), "%s", err);
	ck_assert_int_eq(cfg.seed_listings, 300);
	ck_assert_msg(LOAD(env_seed_listings, "seed-demo", "--listings=100000000"), "%s", err);
	ck_assert_int_eq(cfg.seed_listings, 100000000);
}
END_TEST

START_TEST(listen_forms)
{
	ck_assert_msg(LOAD(NULL, "serve", "--listen", "[::1]:9000"), "%s", err);
	ck_assert_str_eq(cfg.listen_host, "::1");
	ck_assert_int_eq(cfg.listen_port, 9000);
	ck_assert_msg(LOAD(NULL, "serve", "--listen", ":9000"), "%s", err);
	ck_assert_str_eq(cfg.listen_host, "0.0.0.0");
	ck_assert_int_eq(cfg.listen_port, 9000);
	ck_assert_msg(LOAD(NULL, "serve", "--listen=192.168.1.2:65535"), "%s", err);
	ck_assert_str_eq(cfg.listen_host, "192.168.1.2");
	ck_assert_int_eq(cfg.listen_port, 65535);
}
END_TEST

/* Each case must fail with a one-line reason. */
struct bad_case {
	const char *what;
	const struct env_var *env;
	char *argv[8]; /* argv[0] included, NULL-terminated */
};

static const struct env_var env_bad_threads[] = {{"MARKETPLACE_THREADS", "abc"}, {NULL, NULL}};
static const struct env_var env_key_only[] = {{"MARKETPLACE_TLS_KEY", "k.pem"}, {NULL, NULL}};
static const struct env_var env_admin_nocolon[] = {
	{"MARKETPLACE_BOOTSTRAP_ADMIN", "root@example.vn"}, {NULL, NULL}};
static const struct env_var env_bad_listen[] = {{"MARKETPLACE_LISTEN", "localhost"}, {NULL, NULL}};
static const struct env_var env_bad_proxies[] = {{"MARKETPLACE_TRUSTED_PROXIES", "10.0.0.0/33"},
						 {NULL, NULL}};
static const struct env_var env_too_many_proxies[] = {
	{"MARKETPLACE_TRUSTED_PROXIES",
	 "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8 10.0.0.9 10.0.0.10 "
	 "10.0.0.11 10.0.0.12 10.0.0.13 10.0.0.14 10.0.0.15 10.0.0.16 10.0.0.17 10.0.0.18 10.0.0.19 "
	 "10.0.0.20 10.0.0.21 10.0.0.22 10.0.0.23 10.0.0.24 10.0.0.25 10.0.0.26 10.0.0.27 10.0.0.28 "
	 "10.0.0.29 10.0.0.30 10.0.0.31 10.0.0.32 10.0.0.33"},
	{NULL, NULL}};

static const struct env_var env_bad_budget[] = {{"MARKETPLACE_BODY_BUDGET_KB", "8"}, {NULL, NULL}};
static const struct env_var env_metrics_on_main[] = {{"MARKETPLACE_LISTEN", "127.0.0.1:8080"},
						     {"MARKETPLACE_METRICS_LISTEN", "127.0.0.1:8080"},
						     {NULL, NULL}};

static const struct bad_case bad_cases[] = {
	{"--max-connections 0", NULL, {"mp", "serve", "--max-connections", "0"}},
	{"--max-connections-per-address x", NULL, {"mp", "serve", "--max-connections-per-address", "x"}},
	{"--body-budget-kb 1e6", NULL, {"mp", "serve", "--body-budget-kb", "1e6"}},
	{"MARKETPLACE_BODY_BUDGET_KB below 64", env_bad_budget, {"mp", "serve"}},
	{"--metrics-listen without a port", NULL, {"mp", "serve", "--metrics-listen", "127.0.0.1"}},
	{"--metrics-listen a name", NULL, {"mp", "serve", "--metrics-listen", "metrics.local:9100x"}},
	{"metrics on the main address", env_metrics_on_main, {"mp", "serve"}},
	{"unknown flag", NULL, {"mp", "serve", "--bogus"}},
	{"unknown flag before command", NULL, {"mp", "--bogus", "serve"}},
	{"unknown command", NULL, {"mp", "frobnicate"}},
	{"missing command", NULL, {"mp"}},
	{"missing command, flags only", NULL, {"mp", "--threads", "3"}},
	{"--threads abc", NULL, {"mp", "serve", "--threads", "abc"}},
	{"--threads=abc", NULL, {"mp", "serve", "--threads=abc"}},
	{"--threads 0", NULL, {"mp", "serve", "--threads", "0"}},
	{"--threads 3x", NULL, {"mp", "serve", "--threads", "3x"}},
	{"--listen nocolon", NULL, {"mp", "serve", "--listen", "nocolon"}},
	{"--listen 1.2.3.4:70000", NULL, {"mp", "serve", "--listen", "1.2.3.4:70000"}},
	{"--listen 1.2.3.4:0", NULL, {"mp", "serve", "--listen", "1.2.3.4:0"}},
	{"--listen 1.2.3.4:", NULL, {"mp", "serve", "--listen", "1.2.3.4:"}},
	{"--log loud", NULL, {"mp", "serve", "--log", "loud"}},
	{"create-admin without EMAIL", NULL, {"mp", "create-admin"}},
	{"--listings 0", NULL, {"mp", "seed-demo", "--listings", "0"}},
	{"--listings -5", NULL, {"mp", "seed-demo", "--listings", "-5"}},
	{"--listings abc", NULL, {"mp", "seed-demo", "--listings", "abc"}},
	{"--listings 100000001", NULL, {"mp", "seed-demo", "--listings=100000001"}},
	{"seed-demo with an argument", NULL, {"mp", "seed-demo", "500"}},
	{"TLS cert without key", NULL, {"mp", "serve", "--tls-cert", "c.pem"}},
	{"TLS key without cert (env)", env_key_only, {"mp", "serve"}},
	{"bootstrap admin without colon", NULL, {"mp", "serve", "--bootstrap-admin", "root@example.vn"}},
	{"bootstrap admin without colon (env)", env_admin_nocolon, {"mp", "serve"}},
	{"bootstrap admin empty password", NULL, {"mp", "serve", "--bootstrap-admin", "a@b.vn:"}},
	{"bootstrap admin empty email", NULL, {"mp", "serve", "--bootstrap-admin", ":pw"}},
	{"flag missing its value", NULL, {"mp", "serve", "--threads"}},
	{"string flag missing its value", NULL, {"mp", "serve", "--database-url"}},
	{"--migrate-database-url missing its value", NULL, {"mp", "migrate", "--migrate-database-url"}},
	{"--migrate-database-url empty", NULL, {"mp", "migrate", "--migrate-database-url="}},
	{"bad MARKETPLACE_THREADS", env_bad_threads, {"mp", "serve"}},
	{"bad MARKETPLACE_LISTEN", env_bad_listen, {"mp", "serve"}},
	{"extra argument", NULL, {"mp", "migrate", "extra"}},
	{"--trusted-proxies garbage", NULL, {"mp", "serve", "--trusted-proxies", "proxy.local"}},
	{"--trusted-proxies host bits", NULL, {"mp", "serve", "--trusted-proxies=10.0.0.1/8"}},
	{"--trusted-proxies with a port", NULL, {"mp", "serve", "--trusted-proxies", "10.0.0.1:80"}},
	{"--trusted-proxies missing its value", NULL, {"mp", "serve", "--trusted-proxies"}},
	{"bad MARKETPLACE_TRUSTED_PROXIES", env_bad_proxies, {"mp", "serve"}},
	{"33 MARKETPLACE_TRUSTED_PROXIES", env_too_many_proxies, {"mp", "serve"}},
};

START_TEST(errors)
{
	const struct bad_case *c = &bad_cases[_i];
	ck_assert_msg(!load_argv(c->env, (char **)c->argv), "%s: accepted", c->what);
	assert_one_line_error(c->what);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, environment_values);
	tcase_add_test(tc, empty_environment_values_are_unset);
	tcase_add_test(tc, web_dir);
	tcase_add_test(tc, trusted_proxies);
	tcase_add_test(tc, trusted_proxies_error_names_the_setting);
	tcase_add_test(tc, admission_settings);
	tcase_add_test(tc, read_url_follows_database_url);
	tcase_add_test(tc, migrate_url);
	tcase_add_test(tc, flags_override_environment);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, listen_forms);
	tcase_add_loop_test(tc, errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(config_suite());
}
