/* marketplace: the command line, signals and start-up. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "embedded.h"
#include "http_server.h"
#include "log.h"
#include "migrate.h"

static const char *process_getenv(const char *name) { return getenv(name); }

static int run_migrations(const struct config *cfg)
{
	char err[1024];
	if (!migrate_run(cfg->database_url, embedded_migrations, embedded_migrations_count, err,
			 sizeof err)) {
		log_msg(LOG_ERROR, NULL, "%s", err);
		return 1;
	}
	return 0;
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
		if (!cfg.no_migrate && run_migrations(&cfg) != 0)
			return 1;
		return http_server_run(&cfg);
	case CMD_CREATE_ADMIN:
		fprintf(stderr, "marketplace: create-admin needs the accounts schema, which is not built yet\n");
		return 1;
	case CMD_NONE:
		break;
	}
	return 2;
}
