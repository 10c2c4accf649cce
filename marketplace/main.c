/* marketplace: the command line, signals and start-up. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <openssl/rand.h>

#include "accounts.h"
#include "config.h"
#include "embedded.h"
#include "http_server.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "query.h"
#include "reference.h"
#include "routes.h"
#include "seed_demo.h"

static const char *process_getenv(const char *name) { return getenv(name); }

static int run_migrations(const struct config *cfg)
{
	char err[1024];
	if (!migrate_run(cfg->migrate_database_url, embedded_migrations, embedded_migrations_count, err,
			 sizeof err)) {
		log_msg(LOG_ERROR, NULL, "%s", err);
		return 1;
	}
	return 0;
}

/* The first line of stdin, without its line ending; false when there is none. */
static bool read_password(char *out, size_t size)
{
	if (fgets(out, (int)size, stdin) == NULL)
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

static int create_admin(const struct config *cfg)
{
	char password[1100], err[600];
	if (!read_password(password, sizeof password)) {
		fprintf(stderr, "marketplace: create-admin reads the password from stdin; none was given\n");
		return 2;
	}
	bool ok = run_migrations(cfg) == 0 &&
		  accounts_create_admin(cfg->database_url, cfg->admin_email, password, false, err, sizeof err);
	memset(password, 0, sizeof password);
	if (!ok) {
		fprintf(stderr, "marketplace: %s\n", err);
		return 1;
	}
	return 0;
}

/* Demo listings and deals (--listings N --deals M), after the migrations, as the schema's owner like the migrations. */
static int seed_demo(const struct config *cfg)
{
	char err[1200];
	if (run_migrations(cfg) != 0)
		return 1;
	if (!seed_demo_run(cfg->migrate_database_url, cfg->seed_listings, cfg->seed_deals, err, sizeof err)) {
		fprintf(stderr, "marketplace: %s\n", err);
		return 1;
	}
	return 0;
}

/* MARKETPLACE_BOOTSTRAP_ADMIN=email:password: created at start when absent, never overwritten. */
static int bootstrap_admin(const struct config *cfg)
{
	if (cfg->bootstrap_admin == NULL)
		return 0;
	char email[300], err[600];
	const char *colon = strchr(cfg->bootstrap_admin, ':');
	snprintf(email, sizeof email, "%.*s", (int)(colon - cfg->bootstrap_admin), cfg->bootstrap_admin);
	if (!accounts_create_admin(cfg->database_url, email, colon + 1, true, err, sizeof err)) {
		log_msg(LOG_ERROR, NULL, "MARKETPLACE_BOOTSTRAP_ADMIN: %s", err);
		return 1;
	}
	return 0;
}

/*
 * Reference codes and the cursor key, read once before the workers start.
 * Without the database now, the server still starts (it answers 503 until
 * the database is back): codes are then checked by foreign keys only, and
 * cursors are signed with a key of this process's own.
 */
static void load_reference(const struct config *cfg)
{
	char err[600];
	if (reference_load(cfg->database_url, err, sizeof err))
		return;
	log_msg(LOG_WARN, NULL, "%s; cursors will be valid for this process only", err);
	unsigned char key[32];
	if (RAND_bytes(key, sizeof key) != 1)
		abort(); /* no randomness: nothing secret can be made */
	query_set_cursor_key(key, sizeof key);
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	if (!config_load(&cfg, argc, argv, process_getenv, err, sizeof err)) {
		fprintf(stderr, "marketplace: %s\n", err);
		return 2;
	}
	log_set_level(cfg.log_level);

	/* Signals are taken by sigwait in the main thread; workers inherit this mask. */
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	signal(SIGPIPE, SIG_IGN);

	switch (cfg.command) {
	case CMD_HELP:
		fputs(config_usage, stdout);
		return 0;
	case CMD_VERSION:
		printf("marketplace %s\n", MARKETPLACE_VERSION);
		return 0;
	case CMD_MIGRATE:
		return run_migrations(&cfg);
	case CMD_SERVE:
		if ((!cfg.no_migrate && run_migrations(&cfg) != 0) || bootstrap_admin(&cfg) != 0)
			return 1;
		load_reference(&cfg);
		/* One hash now rather than in the first unknown-email login's time. */
		(void)password_dummy_hash();
		return http_server_run(&cfg, routes_app());
	case CMD_CREATE_ADMIN:
		return create_admin(&cfg);
	case CMD_SEED_DEMO:
		return seed_demo(&cfg);
	case CMD_NONE:
		break;
	}
	return 2;
}
