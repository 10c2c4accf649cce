/* Environment variables and command-line flags -> one struct config. */
#ifndef MARKETPLACE_CONFIG_H
#define MARKETPLACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "proxy.h"

enum command { CMD_NONE, CMD_SERVE, CMD_MIGRATE, CMD_CREATE_ADMIN, CMD_SEED_DEMO, CMD_HELP, CMD_VERSION };

struct config {
	enum command command;
	const char *admin_email;        /* create-admin argument (points into argv) */
	const char *database_url;       /* libpq conninfo or URI */
	const char *database_read_url;  /* equals database_url when unset */
	const char *migrate_database_url; /* the owner's, for migrations; equals database_url when unset */
	char listen_host[64];
	int listen_port;
	int threads;
	int db_pool;                    /* connections per thread */
	const char *bootstrap_admin;    /* "email:password" or NULL */
	const char *tls_cert;
	const char *tls_key;
	enum log_level log_level;
	int header_timeout_ms;          /* a request must arrive whole within this */
	int query_timeout_ms;
	int shutdown_timeout_ms;        /* in-flight requests get this long on SIGTERM */
	int maintenance_interval_ms;    /* the application's timed statements (expiry) run this often */
	int token_ttl_s;                /* lifetime of a login token */
	struct trusted_proxies trusted_proxies; /* whose X-Forwarded-For is believed; empty: nobody's */
	int max_connections;            /* open at once; 0: derived from the file limit at start */
	int max_connections_per_address; /* open at once from one client (a trusted proxy is not capped) */
	int body_budget_kb;             /* request bodies buffered at once, process-wide */
	char metrics_host[64];          /* where /metrics is served, when metrics_port is set */
	int metrics_port;               /* 0: /metrics on the main address, to loopback clients only */
	const char *web_dir;            /* the built web front end (static_files.h); "": none */
	int seed_listings;              /* seed-demo: how many listings to add */
	int seed_deals;                 /* seed-demo: how many deals to add */
	bool no_migrate;
};

/* Reads a variable of the environment; tests pass their own. */
typedef const char *(*config_getenv_fn)(const char *name);

/*
 * Fills cfg from env, then from flags (flags win).  Returns true on success;
 * on failure writes a one-line reason into err.  Strings in cfg point into
 * argv or the environment and live as long as they do.
 */
bool config_load(struct config *cfg, int argc, char **argv, config_getenv_fn env,
		 char *err, size_t errlen);

extern const char config_usage[];

#endif
