/* Worker threads: one event loop, evhttp and database pool each, one listening socket. */
#include "http_server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn_guard.h"
#include "db.h"
#include "hash_pool.h"
#include "log.h"
#include "metrics.h"
#include "dispatch.h"
#include "auth.h"
#include "idempotency.h"
#include "worker.h"

#define MAX_BODY_BYTES (1024 * 1024)
#define MAX_HEADER_BYTES (16 * 1024)
#define DRAIN_POLL_MS 20

static struct worker *workers;
static size_t nworkers;
static struct conn_guard_config guard_cfg;

size_t workers_count(void) { return nworkers; }
struct worker *workers_get(size_t i) { return &workers[i]; }

static int open_listener(const struct config *cfg)
{
	char port[8];
	snprintf(port, sizeof port, "%d", cfg->listen_port);
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(cfg->listen_host, port, &hints, &ai);
	if (rc != 0) {
		log_msg(LOG_ERROR, NULL, "invalid listen address %s:%s: %s", cfg->listen_host, port,
			gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		log_msg(LOG_ERROR, NULL, "cannot listen on %s:%s: %s", cfg->listen_host, port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static SSL_CTX *new_tls_context(const struct config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char reason[256];
		ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
		log_msg(LOG_ERROR, NULL, "cannot load the TLS certificate or key: %s", reason);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

#define SWEEP_INTERVAL_S 600

/* Every statement: the HTTP layer's own, then the application's (one array, freed at exit). */
static const struct db_stmt **all_statements(const struct http_app *app, size_t *count)
{
	static const struct db_stmt *const own[] = {auth_statements, idempotency_statements};
	size_t n = 0;
	const struct db_stmt **out = NULL;
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
			for (const struct db_stmt *s = own[i]; s->name != NULL; s++, n++)
				if (out != NULL)
					out[n] = s;
		for (const struct db_stmt *const *set = app->statement_sets; *set != NULL; set++)
			for (const struct db_stmt *s = *set; s->name != NULL; s++, n++)
				if (out != NULL)
					out[n] = s;
		if (pass == 0 && (out = calloc(n, sizeof *out)) == NULL)
			return NULL;
	}
	*count = n;
	return out;
}

static void on_swept(const struct db_result *result, void *arg)
{
	(void)arg;
	if (result->status != DB_OK && result->status != DB_UNAVAILABLE)
		log_msg(LOG_WARN, NULL, "removing expired idempotency keys failed");
}

/* Idempotent SQL, so several instances sweeping at once is harmless. */
static void on_sweep_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	db_query(w->db, &idempotency_statements[IDEMPOTENCY_SWEEP], NULL, on_swept, NULL);
}

/* Runs on the worker's own thread: free what the loop owns, then leave the loop. */
static void worker_stop(struct worker *w)
{
	event_free(w->drain_timer);
	w->drain_timer = NULL;
	if (w->sweep_timer != NULL)
		event_free(w->sweep_timer);
	w->sweep_timer = NULL;
	if (w->db_read != w->db)
		db_pool_free(w->db_read);
	db_pool_free(w->db); /* answers requests still waiting on the database */
	w->db = w->db_read = NULL;
	evhttp_free(w->http);
	w->http = NULL;
	event_base_loopexit(w->base, NULL);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	static _Thread_local int waited_ms;
	/* A hashing job completes on this loop: the loop must outlive it, whatever the timeout. */
	bool idle = w->inflight == 0 && conn_guard_busy() == 0;
	if (hash_pool_outstanding() == 0 && (idle || waited_ms >= w->config->shutdown_timeout_ms)) {
		if (w->inflight > 0)
			log_msg(LOG_WARN, NULL, "worker %d stopping with %ld requests unfinished", w->index,
				w->inflight);
		worker_stop(w);
		return;
	}
	waited_ms += DRAIN_POLL_MS;
	struct timeval tv = {0, DRAIN_POLL_MS * 1000};
	event_add(w->drain_timer, &tv);
}

static void on_shutdown(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	if (w->draining)
		return;
	w->draining = true;
	/* Frees the listener and closes this worker's duplicate of the socket. */
	evhttp_del_accept_socket(w->http, w->bound);
	w->bound = NULL;
	struct timeval now = {0, 0};
	event_add(w->drain_timer, &now);
}

static bool worker_init(struct worker *w, int index, const struct config *cfg,
			const struct http_app *app, const struct db_stmt *const *stmts, size_t nstmts,
			int listen_fd)
{
	char err[256];
	w->index = index;
	w->config = cfg;
	w->app = app;
	w->base = event_base_new();
	w->http = w->base ? evhttp_new(w->base) : NULL;
	w->metrics = metrics_new(app->nroutes);
	w->shutdown_ev = w->base ? event_new(w->base, -1, 0, on_shutdown, w) : NULL;
	w->drain_timer = w->base ? evtimer_new(w->base, on_drain_tick, w) : NULL;
	if (w->http == NULL || w->metrics == NULL || w->shutdown_ev == NULL || w->drain_timer == NULL) {
		log_msg(LOG_ERROR, NULL, "out of memory starting worker %d", index);
		return false;
	}
	evhttp_set_max_body_size(w->http, MAX_BODY_BYTES);
	evhttp_set_max_headers_size(w->http, MAX_HEADER_BYTES);
	/* evhttp's own timeout restarts at every byte: it closes connections that
	 * send nothing (idle or silent); conn_guard bounds those that dribble. */
	struct timeval idle = {cfg->header_timeout_ms / 1000, (cfg->header_timeout_ms % 1000) * 1000};
	evhttp_set_timeout_tv(w->http, &idle);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE |
						    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	/* Read and discard an oversized body before answering 413, so the client sees it. */
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(w->http, dispatch_request, w);
	conn_guard_install(w->http, &guard_cfg);

	struct db_pool_config pc = {cfg->database_url, cfg->db_pool, cfg->query_timeout_ms, stmts, nstmts};
	w->db = db_pool_new(w->base, &pc, err, sizeof err);
	if (w->db == NULL) {
		log_msg(LOG_ERROR, NULL, "%s", err);
		return false;
	}
	w->db_read = w->db;
	if (cfg->database_read_url != cfg->database_url) {
		pc.conninfo = cfg->database_read_url;
		w->db_read = db_pool_new(w->base, &pc, err, sizeof err);
		if (w->db_read == NULL) {
			log_msg(LOG_ERROR, NULL, "read replica: %s", err);
			return false;
		}
	}
	if (index == 0) {
		static const struct timeval every = {SWEEP_INTERVAL_S, 0};
		w->sweep_timer = event_new(w->base, -1, EV_PERSIST, on_sweep_tick, w);
		if (w->sweep_timer == NULL || event_add(w->sweep_timer, &every) != 0) {
			log_msg(LOG_ERROR, NULL, "out of memory starting worker %d", index);
			return false;
		}
	}
	/* Each loop gets its own descriptor: freeing a listener closes its socket. */
	int fd = dup(listen_fd);
	w->bound = fd >= 0 ? evhttp_accept_socket_with_handle(w->http, fd) : NULL;
	if (w->bound == NULL) {
		log_msg(LOG_ERROR, NULL, "cannot accept on the listening socket");
		if (fd >= 0)
			close(fd);
		return false;
	}
	return true;
}

/* Frees what worker_stop left, or everything of a worker that never ran. */
static void worker_cleanup(struct worker *w)
{
	if (w->drain_timer != NULL)
		event_free(w->drain_timer);
	if (w->sweep_timer != NULL)
		event_free(w->sweep_timer);
	if (w->db_read != NULL && w->db_read != w->db)
		db_pool_free(w->db_read);
	db_pool_free(w->db);
	if (w->http != NULL)
		evhttp_free(w->http);
	if (w->shutdown_ev != NULL)
		event_free(w->shutdown_ev);
	metrics_free(w->metrics);
	if (w->base != NULL)
		event_base_free(w->base);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

int http_server_run(const struct config *cfg, const struct http_app *app)
{
	int rc = 1;
	int listen_fd = -1;
	size_t started = 0, nstmts = 0;
	const struct db_stmt **stmts = all_statements(app, &nstmts);
	if (stmts == NULL) {
		log_msg(LOG_ERROR, NULL, "out of memory starting");
		return 1;
	}
	if (evthread_use_pthreads() != 0 || !conn_guard_init()) {
		log_msg(LOG_ERROR, NULL, "cannot initialise threading");
		free(stmts);
		return 1;
	}
	/* As many hashing threads as event loops: scrypt is CPU-bound, more would only queue. */
	if (!hash_pool_start(cfg->threads)) {
		conn_guard_cleanup();
		free(stmts);
		return 1;
	}
	guard_cfg.header_timeout_ms = cfg->header_timeout_ms;
	guard_cfg.max_header_bytes = MAX_HEADER_BYTES;
	if (cfg->tls_cert != NULL && (guard_cfg.tls = new_tls_context(cfg)) == NULL)
		goto out;
	if ((listen_fd = open_listener(cfg)) < 0)
		goto out;
	workers = calloc((size_t)cfg->threads, sizeof *workers);
	if (workers == NULL)
		goto out;
	nworkers = (size_t)cfg->threads;
	for (size_t i = 0; i < nworkers; i++)
		if (!worker_init(&workers[i], (int)i, cfg, app, stmts, nstmts, listen_fd))
			goto out;
	for (; started < nworkers; started++)
		if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0) {
			log_msg(LOG_ERROR, NULL, "cannot start worker threads");
			break;
		}
	/* The workers hold their own duplicates now. */
	close(listen_fd);
	listen_fd = -1;
	if (started == nworkers) {
		log_msg(LOG_INFO, NULL, "serving on %s:%d with %d threads%s", cfg->listen_host,
			cfg->listen_port, cfg->threads, guard_cfg.tls ? " (TLS)" : "");
		sigset_t stop;
		int sig;
		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGINT);
		sigwait(&stop, &sig);
		log_msg(LOG_INFO, NULL, "received %s: finishing in-flight requests",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
		rc = 0;
	}
	for (size_t i = 0; i < started; i++)
		event_active(workers[i].shutdown_ev, EV_READ, 0);
	for (size_t i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	if (rc == 0)
		log_msg(LOG_INFO, NULL, "stopped");
out:
	if (listen_fd >= 0)
		close(listen_fd);
	for (size_t i = 0; i < nworkers; i++)
		worker_cleanup(&workers[i]);
	free(workers);
	workers = NULL;
	nworkers = 0;
	SSL_CTX_free(guard_cfg.tls);
	guard_cfg.tls = NULL;
	hash_pool_stop();
	conn_guard_cleanup();
	libevent_global_shutdown();
	free(stmts);
	return rc;
}
