/* The HTTP front: worker threads, each an event loop on one shared listening socket. */
#ifndef MARKETPLACE_HTTP_SERVER_H
#define MARKETPLACE_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "db.h"
#include "router.h"

/* What the application serves; static storage. */
struct http_app {
	const struct route *routes;
	size_t nroutes;
	/* The statements its handlers run, prepared on every connection: a
	 * NULL-terminated list of sets, each ending with an entry without a name. */
	const struct db_stmt *const *statement_sets;
	/* Statements without parameters that worker 0 runs every
	 * MARKETPLACE_MAINTENANCE_INTERVAL_MS (NULL-terminated; may be NULL). */
	const struct db_stmt *const *maintenance;
	/* Statements without parameters that worker 0 runs every second: the
	 * work a commit queued for soon after it (may be NULL). */
	const struct db_stmt *const *follow_ups;
	/* Run on worker 0, with its primary pool, for each change the database
	 * announces (NOTIFY marketplace_changes, the payload naming what
	 * changed), and with payload NULL when listening starts or restarts
	 * (anything may have changed meanwhile); may be NULL. */
	void (*on_change)(struct db_pool *pool, const char *payload);
};

/*
 * Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
 * requests finish (up to cfg->shutdown_timeout_ms) and returns 0; returns
 * 1 when the server cannot start.  The caller must have blocked SIGTERM,
 * SIGINT and SIGPIPE in every thread before calling.
 */
int http_server_run(const struct config *cfg, const struct http_app *app);

struct evhttp_request;

/* Whether req came in on MARKETPLACE_METRICS_LISTEN (false when that is unset). */
bool http_server_on_metrics_listener(struct evhttp_request *req);

#endif
