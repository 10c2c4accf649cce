/* Operational endpoints: liveness, readiness, metrics and the API description. */
#include "ops.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "embedded.h"
#include "metrics.h"
#include "problem.h"
#include "quota.h"
#include "request.h"
#include "respond.h"
#include "http_server.h"
#include "worker.h"

const struct db_stmt ops_statements[] = {
	[OPS_PING] = {"ops_ping", "SELECT 1", 0, false},
	{0},
};

static void reply_literal(struct request *r, const char *json)
{
	request_add_header(r, "Cache-Control", "no-store");
	request_reply_data(r, 200, "application/json", json, strlen(json));
}

void ops_healthz(struct request *r) { reply_literal(r, "{\"status\":\"ok\"}"); }

static void on_ping(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
		return;
	}
	reply_literal(r, "{\"status\":\"ready\"}");
}

void ops_readyz(struct request *r) { db_query(request_db(r), &ops_statements[OPS_PING], NULL, on_ping, r); }

/* 127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6. */
static bool loopback(const char *address)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, address, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, address, a) != 1)
		return false;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char one[16] = {[15] = 1};
	return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

/*
 * Who may read /metrics: with MARKETPLACE_METRICS_LISTEN, whoever reaches
 * that address and nobody on the main one; without it, a client on this
 * host talking to us directly: a loopback client that is not forwarding
 * for anyone (a reverse proxy on this host would be a loopback peer too).
 */
static bool metrics_allowed(struct request *r)
{
	if (r->worker->config->metrics_port != 0)
		return http_server_on_metrics_listener(r->ev);
	return loopback(r->client_address) && request_header(r, "X-Forwarded-For") == NULL &&
	       request_header(r, "Forwarded") == NULL;
}

void ops_metrics(struct request *r)
{
	if (!metrics_allowed(r)) {
		problem_reply(r, 404, "No resource lives at this path.");
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (out == NULL) {
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	struct metrics *blocks[256];
	size_t n = workers_count() < 256 ? workers_count() : 256;
	for (size_t i = 0; i < n; i++)
		blocks[i] = workers_get(i)->metrics;
	/* This worker's own pools are alive and current; the others' figures are their last copies. */
	metrics_refresh_pools(r->worker->metrics);
	struct quota_stats admission;
	quota_get_stats(r->worker->quota, &admission);
	const struct http_app *app = r->worker->app;
	metrics_render_requests(out, blocks, n, app->routes, app->nroutes);
	metrics_render_pools(out, blocks, n);
	metrics_render_admission(out, &admission);
	metrics_render_process(out);
	size_t len = evbuffer_get_length(out);
	const char *text = (const char *)evbuffer_pullup(out, -1);
	request_add_header(r, "Cache-Control", "no-store");
	request_reply_data(r, 200, "text/plain; version=0.0.4; charset=utf-8", text ? text : "",
			   text ? len : 0);
	evbuffer_free(out);
}

void ops_openapi(struct request *r)
{
	request_reply_data(r, 200, "application/json", embedded_openapi_json, embedded_openapi_json_len);
}
