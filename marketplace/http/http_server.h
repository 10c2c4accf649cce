/* The HTTP front: worker threads, each an event loop on one shared listening socket. */
#ifndef MARKETPLACE_HTTP_SERVER_H
#define MARKETPLACE_HTTP_SERVER_H

#include "config.h"

/*
 * Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
 * requests finish (up to cfg->shutdown_timeout_ms) and returns 0; returns
 * 1 when the server cannot start.  The caller must have blocked SIGTERM,
 * SIGINT and SIGPIPE in every thread before calling.
 */
int http_server_run(const struct config *cfg);

#endif
