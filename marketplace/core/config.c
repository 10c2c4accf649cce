/* Environment variables and command-line flags -> one struct config. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char config_usage[] =
	"usage: marketplace [--help] [--version] <command> [flags]\n"
	"\n"
	"commands:\n"
	"  serve               apply pending migrations (unless --no-migrate), then serve HTTP\n"
	"  migrate             apply pending migrations and exit\n"
	"  create-admin EMAIL  create an administrator; the password is read from stdin\n"
	"  seed-demo           apply pending migrations, then add generated demo listings (with\n"
	"                      their demo organisations) for a demonstration or a load test\n"
	"\n"
	"flags (each overrides the environment variable named beside it):\n"
	"  --database-url URL        MARKETPLACE_DATABASE_URL (default: dbname=marketplace)\n"
	"  --database-read-url URL   MARKETPLACE_DATABASE_READ_URL (default: the database url)\n"
	"  --migrate-database-url URL\n"
	"                            MARKETPLACE_MIGRATE_DATABASE_URL: connects as the role that owns\n"
	"                            the schema, to apply migrations (default: the database url)\n"
	"  --listen HOST:PORT        MARKETPLACE_LISTEN (default: 127.0.0.1:8080)\n"
	"  --threads N               MARKETPLACE_THREADS (default: number of cores)\n"
	"  --db-pool N               MARKETPLACE_DB_POOL (default: 4 connections per thread)\n"
	"  --bootstrap-admin E:P     MARKETPLACE_BOOTSTRAP_ADMIN\n"
	"  --tls-cert FILE           MARKETPLACE_TLS_CERT\n"
	"  --tls-key FILE            MARKETPLACE_TLS_KEY\n"
	"  --log LEVEL               MARKETPLACE_LOG: debug, info, warn, error (default: info)\n"
	"  --header-timeout MS       MARKETPLACE_HEADER_TIMEOUT_MS (default: 10000)\n"
	"  --query-timeout MS        MARKETPLACE_QUERY_TIMEOUT_MS (default: 5000)\n"
	"  --token-ttl DURATION      MARKETPLACE_TOKEN_TTL: seconds or 90m, 12h, 30d (default: 30d)\n"
	"  --shutdown-timeout MS     MARKETPLACE_SHUTDOWN_TIMEOUT_MS (default: 10000)\n"
	"  --maintenance-interval MS MARKETPLACE_MAINTENANCE_INTERVAL_MS: how often listings past their\n"
	"                            expiry are expired (default: 60000)\n"
	"  --trusted-proxies LIST    MARKETPLACE_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For\n"
	"                            names the client, as addresses and CIDRs separated by commas or\n"
	"                            spaces, e.g. 10.0.0.0/8,::1 (default: empty, none)\n"
	"  --max-connections N       MARKETPLACE_MAX_CONNECTIONS: connections open at once (default:\n"
	"                            4096, or fewer when the file limit is lower)\n"
	"  --max-connections-per-address N\n"
	"                            MARKETPLACE_MAX_CONNECTIONS_PER_ADDRESS: from one client address;\n"
	"                            a trusted proxy is capped by the total only (default: 128)\n"
	"  --body-budget-kb N        MARKETPLACE_BODY_BUDGET_KB: KiB of request bodies buffered at once;\n"
	"                            past it, bodies get 503 and Retry-After (default: 65536)\n"
	"  --metrics-listen HOST:PORT\n"
	"                            MARKETPLACE_METRICS_LISTEN: serve /metrics only there (default:\n"
	"                            unset, /metrics on the main address to loopback clients only)\n"
	"  --web-dir DIR             MARKETPLACE_WEB_DIR: the built web front end, served at the paths\n"
	"                            outside /api/; empty for none, even when set in the environment\n"
	"                            (default: " MARKETPLACE_WEB_DIR_DEFAULT ")\n"
	"  --listings N              MARKETPLACE_SEED_LISTINGS: how many listings seed-demo adds\n"
	"                            (default: 1000, at most 100000000; 0 with --deals)\n"
	"  --deals N                 MARKETPLACE_SEED_DEALS: how many deals seed-demo adds on the\n"
	"                            published listings (default: 0, at most 10000000)\n"
	"  --no-migrate              serve without applying migrations\n";

enum value_kind { V_STRING, V_STRING_OR_EMPTY, V_INT, V_LISTEN, V_METRICS_LISTEN, V_LOG, V_DURATION, V_PROXIES };

struct option_spec {
	const char *flag;
	const char *env;
	enum value_kind kind;
	size_t offset;
	int min, max; /* for V_INT */
};

#define OPT(flag, env, kind, field, lo, hi) {flag, env, kind, offsetof(struct config, field), lo, hi}

static const struct option_spec options[] = {
	OPT("--database-url", "MARKETPLACE_DATABASE_URL", V_STRING, database_url, 0, 0),
	OPT("--database-read-url", "MARKETPLACE_DATABASE_READ_URL", V_STRING, database_read_url, 0, 0),
	OPT("--migrate-database-url", "MARKETPLACE_MIGRATE_DATABASE_URL", V_STRING, migrate_database_url, 0, 0),
	OPT("--listen", "MARKETPLACE_LISTEN", V_LISTEN, listen_port, 0, 0),
	OPT("--threads", "MARKETPLACE_THREADS", V_INT, threads, 1, 256),
	OPT("--db-pool", "MARKETPLACE_DB_POOL", V_INT, db_pool, 1, 256),
	OPT("--bootstrap-admin", "MARKETPLACE_BOOTSTRAP_ADMIN", V_STRING, bootstrap_admin, 0, 0),
	OPT("--tls-cert", "MARKETPLACE_TLS_CERT", V_STRING, tls_cert, 0, 0),
	OPT("--tls-key", "MARKETPLACE_TLS_KEY", V_STRING, tls_key, 0, 0),
	OPT("--log", "MARKETPLACE_LOG", V_LOG, log_level, 0, 0),
	OPT("--header-timeout", "MARKETPLACE_HEADER_TIMEOUT_MS", V_INT, header_timeout_ms, 100, 600000),
	OPT("--query-timeout", "MARKETPLACE_QUERY_TIMEOUT_MS", V_INT, query_timeout_ms, 10, 600000),
	OPT("--token-ttl", "MARKETPLACE_TOKEN_TTL", V_DURATION, token_ttl_s, 60, 365 * 86400),
	OPT("--shutdown-timeout", "MARKETPLACE_SHUTDOWN_TIMEOUT_MS", V_INT, shutdown_timeout_ms, 0, 600000),
	OPT("--maintenance-interval", "MARKETPLACE_MAINTENANCE_INTERVAL_MS", V_INT, maintenance_interval_ms, 100,
	    86400000),
	OPT("--trusted-proxies", "MARKETPLACE_TRUSTED_PROXIES", V_PROXIES, trusted_proxies, 0, 0),
	OPT("--max-connections", "MARKETPLACE_MAX_CONNECTIONS", V_INT, max_connections, 1, 1000000),
	OPT("--max-connections-per-address", "MARKETPLACE_MAX_CONNECTIONS_PER_ADDRESS", V_INT,
	    max_connections_per_address, 1, 1000000),
	OPT("--body-budget-kb", "MARKETPLACE_BODY_BUDGET_KB", V_INT, body_budget_kb, 64, 16 * 1024 * 1024),
	OPT("--metrics-listen", "MARKETPLACE_METRICS_LISTEN", V_METRICS_LISTEN, metrics_port, 0, 0),
	OPT("--web-dir", "MARKETPLACE_WEB_DIR", V_STRING_OR_EMPTY, web_dir, 0, 0),
	OPT("--listings", "MARKETPLACE_SEED_LISTINGS", V_INT, seed_listings, 0, 100000000),
	OPT("--deals", "MARKETPLACE_SEED_DEALS", V_INT, seed_deals, 0, 10000000),
};

static bool parse_int(const char *text, int min, int max, int *out)
{
	char *end;
	if (!((text[0] >= '0' && text[0] <= '9') || text[0] == '-'))
		return false; /* strtol would also take spaces and '+' */
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* "3600", "90s", "15m", "12h" or "30d", in seconds. */
static bool parse_duration(const char *text, int min, int max, int *out)
{
	char number[16];
	size_t len = strlen(text);
	int unit = 1;
	if (len == 0 || len >= sizeof number)
		return false;
	memcpy(number, text, len + 1);
	switch (number[len - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: unit = 0; break;
	}
	if (unit != 0)
		number[len - 1] = '\0';
	else
		unit = 1;
	int v;
	if (!parse_int(number, 0, max, &v) || (long)v * unit > max || (long)v * unit < min)
		return false;
	*out = v * unit;
	return true;
}

/* "host:port", "[v6]:port" or ":port"; the host must be numeric (no lookup on start). */
static bool parse_listen(const char *text, char *out_host, size_t host_size, int *out_port)
{
	const char *colon = strrchr(text, ':');
	if (colon == NULL)
		return false;
	const char *host = text;
	size_t host_len = (size_t)(colon - text);
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len >= host_size)
		return false;
	if (!parse_int(colon + 1, 1, 65535, out_port))
		return false;
	memcpy(out_host, host, host_len);
	out_host[host_len] = '\0';
	if (host_len == 0)
		snprintf(out_host, host_size, "0.0.0.0");
	return true;
}

static bool apply(struct config *cfg, const struct option_spec *o, const char *value,
		  const char *source, char *err, size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	char reason[160] = "";
	bool ok = true;
	switch (o->kind) {
	case V_STRING:
		ok = value[0] != '\0';
		if (ok)
			*(const char **)(void *)field = value;
		break;
	case V_STRING_OR_EMPTY:
		*(const char **)(void *)field = value;
		break;
	case V_INT:
		ok = parse_int(value, o->min, o->max, (int *)(void *)field);
		break;
	case V_LISTEN:
		ok = parse_listen(value, cfg->listen_host, sizeof cfg->listen_host, &cfg->listen_port);
		break;
	case V_METRICS_LISTEN:
		ok = parse_listen(value, cfg->metrics_host, sizeof cfg->metrics_host, &cfg->metrics_port);
		break;
	case V_LOG:
		ok = log_parse_level(value, (enum log_level *)(void *)field);
		break;
	case V_DURATION:
		ok = parse_duration(value, o->min, o->max, (int *)(void *)field);
		break;
	case V_PROXIES: /* empty is allowed: nobody trusted (a flag can clear the variable) */
		ok = proxy_parse((struct trusted_proxies *)(void *)field, value, reason, sizeof reason);
		break;
	}
	if (!ok) {
		if (o->kind == V_DURATION)
			snprintf(err, errlen, "invalid value '%s' for %s: expected seconds, or a number with s, m, h or d, from %ds to %dd",
				 value, source, o->min, o->max / 86400);
		else if (o->kind == V_INT)
			snprintf(err, errlen, "invalid value '%s' for %s: expected an integer from %d to %d",
				 value, source, o->min, o->max);
		else if (reason[0] != '\0')
			snprintf(err, errlen, "invalid value '%s' for %s: %s", value, source, reason);
		else
			snprintf(err, errlen, "invalid value '%s' for %s", value, source);
	}
	return ok;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->database_url = "dbname=marketplace";
	strcpy(cfg->listen_host, "127.0.0.1");
	cfg->listen_port = 8080;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = cores > 0 && cores <= 256 ? (int)cores : 1;
	/* Fewer backends than requests in flight: on the 2-core bench machine 4
	 * pipelined connections per thread served GET /listings/{id} at 3,946
	 * req/s, p99 36 ms, where 8 gave 3,259 req/s, p99 56 ms (bench/run). */
	cfg->db_pool = 4;
	cfg->log_level = LOG_INFO;
	cfg->header_timeout_ms = 10000;
	cfg->query_timeout_ms = 5000;
	cfg->shutdown_timeout_ms = 10000;
	cfg->maintenance_interval_ms = 60000;
	cfg->token_ttl_s = 30 * 86400;
	cfg->max_connections_per_address = 128;
	cfg->body_budget_kb = 64 * 1024;
	cfg->seed_listings = 1000;
	cfg->web_dir = MARKETPLACE_WEB_DIR_DEFAULT;
}

static const struct option_spec *find_flag(const char *arg, const char **inline_value)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		size_t n = strlen(options[i].flag);
		if (strncmp(arg, options[i].flag, n) != 0)
			continue;
		if (arg[n] == '\0') {
			*inline_value = NULL;
			return &options[i];
		}
		if (arg[n] == '=') {
			*inline_value = arg + n + 1;
			return &options[i];
		}
	}
	return NULL;
}

static const struct {
	const char *name;
	enum command command;
} commands[] = {
	{"serve", CMD_SERVE}, {"migrate", CMD_MIGRATE}, {"create-admin", CMD_CREATE_ADMIN},
	{"seed-demo", CMD_SEED_DEMO},
	{"--help", CMD_HELP}, {"-h", CMD_HELP}, {"help", CMD_HELP}, {"--version", CMD_VERSION},
};

bool config_load(struct config *cfg, int argc, char **argv, config_getenv_fn env,
		 char *err, size_t errlen)
{
	set_defaults(cfg);
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		const char *value = env(options[i].env);
		/* Set but empty counts as unset, as compose files and shells leave
		 * them, except where empty is a value of its own (no web front end). */
		if (value != NULL && (value[0] != '\0' || options[i].kind == V_STRING_OR_EMPTY) &&
		    !apply(cfg, &options[i], value, options[i].env, err, errlen))
			return false;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;
		const struct option_spec *o;
		if (strcmp(arg, "--no-migrate") == 0) {
			cfg->no_migrate = true;
		} else if ((o = find_flag(arg, &value)) != NULL) {
			if (value == NULL) {
				if (i + 1 >= argc) {
					snprintf(err, errlen, "flag %s needs a value", o->flag);
					return false;
				}
				value = argv[++i];
			}
			if (!apply(cfg, o, value, o->flag, err, errlen))
				return false;
		} else if (arg[0] == '-' && cfg->command != CMD_NONE) {
			snprintf(err, errlen, "unknown flag '%s' (see marketplace --help)", arg);
			return false;
		} else if (cfg->command == CMD_CREATE_ADMIN && cfg->admin_email == NULL) {
			cfg->admin_email = arg;
		} else if (cfg->command == CMD_NONE) {
			for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
				if (strcmp(arg, commands[c].name) == 0)
					cfg->command = commands[c].command;
			if (cfg->command == CMD_NONE) {
				snprintf(err, errlen, "unknown %s '%s' (see marketplace --help)",
					 arg[0] == '-' ? "flag" : "command", arg);
				return false;
			}
		} else {
			snprintf(err, errlen, "unexpected argument '%s' (see marketplace --help)", arg);
			return false;
		}
	}

	if (cfg->command == CMD_NONE) {
		snprintf(err, errlen, "no command given (see marketplace --help)");
		return false;
	}
	if (cfg->command == CMD_CREATE_ADMIN && cfg->admin_email == NULL) {
		snprintf(err, errlen, "create-admin needs an EMAIL argument");
		return false;
	}
	if (cfg->command == CMD_SEED_DEMO && cfg->seed_listings == 0 && cfg->seed_deals == 0) {
		snprintf(err, errlen, "--listings (MARKETPLACE_SEED_LISTINGS) must be at least 1 unless --deals "
				      "(MARKETPLACE_SEED_DEALS) adds deals");
		return false;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(err, errlen, "MARKETPLACE_TLS_CERT and MARKETPLACE_TLS_KEY must be set together");
		return false;
	}
	if (cfg->bootstrap_admin != NULL) {
		const char *colon = strchr(cfg->bootstrap_admin, ':');
		if (colon == NULL || colon == cfg->bootstrap_admin || colon[1] == '\0') {
			snprintf(err, errlen, "MARKETPLACE_BOOTSTRAP_ADMIN must be EMAIL:PASSWORD");
			return false;
		}
	}
	if (cfg->metrics_port == cfg->listen_port && strcmp(cfg->metrics_host, cfg->listen_host) == 0) {
		snprintf(err, errlen, "MARKETPLACE_METRICS_LISTEN must differ from MARKETPLACE_LISTEN");
		return false;
	}
	if (cfg->database_read_url == NULL)
		cfg->database_read_url = cfg->database_url;
	if (cfg->migrate_database_url == NULL)
		cfg->migrate_database_url = cfg->database_url;
	return true;
}
