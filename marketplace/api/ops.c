/* Operational endpoints: liveness, readiness, metrics and the API description. */
#include "ops.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "metrics.h"
#include "problem.h"
#include "request.h"
#include "respond.h"
#include "http_server.h"
#include "worker.h"

const struct db_stmt ops_statements[] = {
	[OPS_PING] = {"ops_ping", "SELECT 1", 0},
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

static void render_pool_gauges(struct evbuffer *out)
{
	struct db_pool_stats sum = {0};
	for (size_t i = 0; i < workers_count(); i++) {
		struct worker *w = workers_get(i);
		struct db_pool *pools[2] = {w->db, w->db_read != w->db ? w->db_read : NULL};
		for (size_t p = 0; p < 2; p++) {
			struct db_pool_stats s;
			if (pools[p] == NULL)
				continue;
			db_pool_get_stats(pools[p], &s);
			sum.ready += s.ready;
			sum.busy += s.busy;
			sum.connecting += s.connecting;
			sum.query_errors += s.query_errors;
			sum.timeouts += s.timeouts;
			sum.unavailable += s.unavailable;
			sum.connection_failures += s.connection_failures;
		}
	}
	evbuffer_add_printf(out,
			    "# HELP marketplace_db_pool_connections Database connections by state.\n"
			    "# TYPE marketplace_db_pool_connections gauge\n"
			    "marketplace_db_pool_connections{state=\"in_use\"} %d\n"
			    "marketplace_db_pool_connections{state=\"idle\"} %d\n"
			    "marketplace_db_pool_connections{state=\"connecting\"} %d\n"
			    "# HELP marketplace_db_errors_total Database calls that failed, by kind.\n"
			    "# TYPE marketplace_db_errors_total counter\n"
			    "marketplace_db_errors_total{kind=\"query\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"timeout\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"unavailable\"} %llu\n"
			    "marketplace_db_errors_total{kind=\"connection\"} %llu\n",
			    sum.busy, sum.ready - sum.busy, sum.connecting,
			    (unsigned long long)sum.query_errors, (unsigned long long)sum.timeouts,
			    (unsigned long long)sum.unavailable,
			    (unsigned long long)sum.connection_failures);
}

void ops_metrics(struct request *r)
{
	struct evbuffer *out = evbuffer_new();
	struct metrics *blocks[256];
	size_t n = workers_count() < 256 ? workers_count() : 256;
	if (out == NULL) {
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	for (size_t i = 0; i < n; i++)
		blocks[i] = workers_get(i)->metrics;
	const struct http_app *app = r->worker->app;
	metrics_render_requests(out, blocks, n, app->routes, app->nroutes);
	render_pool_gauges(out);
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
