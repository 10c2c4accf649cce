/* Route, authenticate, authorise and replay before a handler runs. */
#include "dispatch.h"

#include <event2/http.h>
#include <stdbool.h>
#include <string.h>

#include "auth.h"
#include "conn_guard.h"
#include "http_server.h"
#include "idempotency.h"
#include "identity_cache.h"
#include "problem.h"
#include "request.h"
#include "respond.h"
#include "static_files.h"
#include "worker.h"

/* Whether path is prefix itself or below it ("/api", "/api/...", not "/apiary"). */
static bool at_or_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* DESIGN.md section 3: what is not the API or the operational endpoints belongs to the web front end. */
static bool front_end_path(const char *path)
{
	static const char *const server_own[] = {"/api", "/healthz", "/readyz", "/metrics"};
	for (size_t i = 0; i < sizeof server_own / sizeof server_own[0]; i++)
		if (at_or_under(path, server_own[i]))
			return false;
	return true;
}

static void run_handler(struct request *r) { r->route->handler(r); }

static void on_idempotency_lookup(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (idempotency_not_stored(r, result))
		run_handler(r);
}

/* The caller may call this route: replay a create already done, or run it. */
static void admitted(struct request *r)
{
	if (!(r->route->options & ROUTE_IDEMPOTENT)) {
		run_handler(r);
		return;
	}
	if (!idempotency_prepare(r))
		return;
	if (!r->idempotency.active) {
		run_handler(r);
		return;
	}
	const char *params[4];
	idempotency_params(r, params);
	db_query(request_db(r), &idempotency_statements[IDEMPOTENCY_LOOKUP], params,
		 on_idempotency_lookup, r);
}

static void identified(struct request *r)
{
	if (r->route->auth == ROUTE_ADMIN && !r->who.admin)
		problem_reply(r, 403, "Only administrators may do this.");
	else
		admitted(r);
}

static void on_identity(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	long long valid_ms = 0;
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
	} else if (!auth_identity_from(result->res, &r->who, &valid_ms)) {
		problem_reply(r, 401, "The token is unknown, expired or revoked; log in again.");
	} else {
		identity_cache_put(r->worker->identities, &r->who, r->identity_generation, valid_ms);
		identified(r);
	}
}

static void identify(struct request *r)
{
	enum route_auth auth = r->route->auth;
	const char *header = auth == ROUTE_PUBLIC ? NULL : request_header(r, "Authorization");
	if (header == NULL) {
		if (auth == ROUTE_MEMBER || auth == ROUTE_ADMIN)
			problem_reply(r, 401, "This needs an Authorization: Bearer token.");
		else
			admitted(r);
		return;
	}
	if (!auth_header_token_hash(header, r->who.token_hash)) {
		problem_reply(r, 401, "The Authorization header must be 'Bearer <token>'.");
		return;
	}
	if (identity_cache_get(r->worker->identities, &r->who)) {
		identified(r);
		return;
	}
	r->identity_generation = identity_cache_generation();
	const char *params[1] = {r->who.token_hash};
	db_query(request_db(r), &auth_statements[AUTH_IDENTITY], params, on_identity, r);
}

void dispatch_request(struct evhttp_request *ev, void *arg)
{
	struct worker *w = arg;
	conn_guard_request_started(ev);
	struct request *r = request_new(w, ev);
	if (r == NULL)
		return;
	if (w->draining) {
		request_add_header(r, "Connection", "close");
		problem_reply(r, 503, "The server is shutting down; retry on another connection.");
		return;
	}
	const char *path = request_path(r);
	if (path == NULL || path[0] != '/') {
		problem_reply(r, 400, "The request target is not a valid path.");
		return;
	}
	char allow[128];
	const struct route *found = NULL;
	switch (router_match(w->app->routes, w->app->nroutes, request_method_name(r), path, &found,
			     &r->params, allow, sizeof allow)) {
	case ROUTE_FOUND:
		r->route = found;
		r->route_index = (int)(found - w->app->routes);
		identify(r);
		return;
	case ROUTE_METHOD_NOT_ALLOWED:
		request_add_header(r, "Allow", allow);
		problem_reply(r, 405, "This resource does not support the request's method.");
		return;
	case ROUTE_NOT_FOUND:
		if (front_end_path(path))
			static_files_serve(w->web, r);
		else
			problem_reply(r, 404, "No resource lives at this path.");
		return;
	}
}
