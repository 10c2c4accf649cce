/* Worker threads: one event loop, evhttp and database pool each, one listening socket. */
#include "http_server.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
#include "identity_cache.h"
#include "quota.h"
#include "static_files.h"
#include "worker.h"

#define MAX_HEADER_BYTES (16 * 1024)
#define DRAIN_POLL_MS 20
#define FLUSH_GRACE_MS 1000         /* after the drain: for the last answers to be written */
#define POOLS_REFRESH_MS 250        /* how stale an idle worker's pool figures in /metrics may be */
#define ACCEPT_PAUSE_MS 100         /* listening paused after accept() fails, e.g. out of descriptors */
#define ACCEPT_LOG_EVERY_S 10       /* at most one log line about it per this many seconds */
#define DEFAULT_MAX_CONNECTIONS 4096
#define TRIM_AFTER_BYTES (8 * 1024 * 1024) /* bodies held at once that make a load worth trimming after */

static struct worker *workers;
static size_t nworkers;
static struct conn_guard_config guard_cfg;
static struct static_files *web; /* the front end's snapshot, freed once the workers are gone */
static struct sockaddr_storage metrics_addr; /* where MARKETPLACE_METRICS_LISTEN listens */
static socklen_t metrics_addr_len;           /* 0 when it is unset */
static _Thread_local struct worker *this_worker;

size_t workers_count(void) { return nworkers; }
struct worker *workers_get(size_t i) { return &workers[i]; }

static int open_listener(const char *host, int port_number)
{
	char port[8];
	snprintf(port, sizeof port, "%d", port_number);
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		log_msg(LOG_ERROR, NULL, "invalid listen address %s:%s: %s", host, port, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		log_msg(LOG_ERROR, NULL, "cannot listen on %s:%s: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Same port, and the same address unless the listener's is the wildcard. */
static bool same_endpoint(const struct sockaddr_storage *local, const struct sockaddr_storage *listener)
{
	if (local->ss_family != listener->ss_family)
		return false;
	if (local->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)local, *b = (const void *)listener;
		return a->sin_port == b->sin_port &&
		       (b->sin_addr.s_addr == htonl(INADDR_ANY) || a->sin_addr.s_addr == b->sin_addr.s_addr);
	}
	if (local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)local, *b = (const void *)listener;
		return a->sin6_port == b->sin6_port &&
		       (IN6_IS_ADDR_UNSPECIFIED(&b->sin6_addr) ||
			memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0);
	}
	return false;
}

bool http_server_on_metrics_listener(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	int fd = evcon != NULL ? (int)bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)) : -1;
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	return metrics_addr_len > 0 && fd >= 0 && getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
	       same_endpoint(&local, &metrics_addr);
}

/* Every connection is a descriptor: the soft limit is raised to the hard one.  Returns the limit. */
static long raise_file_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			log_msg(LOG_INFO, NULL, "raised the file descriptor limit from %llu to %llu",
				(unsigned long long)was, (unsigned long long)rl.rlim_cur);
		} else {
			log_msg(LOG_WARN, NULL, "cannot raise the file descriptor limit from %llu: %s",
				(unsigned long long)was, strerror(errno));
			rl.rlim_cur = was;
		}
	}
	return rl.rlim_cur > (rlim_t)1 << 30 ? 1L << 30 : (long)rl.rlim_cur;
}

/*
 * Client connections open at once: the setting, or what the file limit
 * leaves beside the database connections (primary and replica), the
 * listeners, the log and a margin, up to DEFAULT_MAX_CONNECTIONS.
 */
static long connection_cap(const struct config *cfg, long files)
{
	long reserve = 2L * cfg->threads * cfg->db_pool + 64;
	long fit = files > reserve + 1 ? files - reserve : 1;
	if (cfg->max_connections == 0)
		return fit < DEFAULT_MAX_CONNECTIONS ? fit : DEFAULT_MAX_CONNECTIONS;
	if (cfg->max_connections > fit)
		log_msg(LOG_WARN, NULL, "MARKETPLACE_MAX_CONNECTIONS=%d is more than the file limit (%ld) "
			"leaves for clients (%ld): accept() may run out of descriptors",
			cfg->max_connections, files, fit);
	return cfg->max_connections;
}

/*
 * TLS 1.2 only with forward secrecy and an AEAD cipher (Mozilla's
 * "intermediate" list less DHE); TLS 1.3's suites are all of that kind.
 * Older protocols and CBC or RSA-key-exchange suites are refused in the
 * handshake, whatever the system's OpenSSL configuration allows.
 */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static SSL_CTX *new_tls_context(const struct config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx != NULL)
		SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
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

static void on_maintained(const struct db_result *result, void *arg)
{
	const struct db_stmt *stmt = arg;
	if (result->status != DB_OK && result->status != DB_UNAVAILABLE)
		log_msg(LOG_WARN, NULL, "maintenance statement %s failed", stmt->name);
}

static void run_timed(struct worker *w, const struct db_stmt *const *stmts)
{
	for (const struct db_stmt *const *s = stmts; s != NULL && *s != NULL; s++)
		db_query(w->db, *s, NULL, on_maintained, (void *)*s);
}

/* The application's timed statements (listing expiry, ...) and follow-ups
 * (what a publication means for others): idempotent SQL, so several
 * instances running them at once is harmless. */
static void on_maintenance_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	run_timed(w, w->app->maintenance);
}

static void on_follow_up_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	run_timed(w, w->app->follow_ups);
}

/*
 * What the database announces on marketplace_changes: "identity" (tokens
 * or users changed) for the identity caches, anything else for the
 * application; while not listening, every announcement may be missed.
 */
static void on_database_change(bool listening, const char *payload, void *arg)
{
	struct worker *w = arg;
	if (payload == NULL) {
		/* Losing the listener is expected, and not news, when this worker stops. */
		log_msg(listening || w->draining ? LOG_DEBUG : LOG_WARN, NULL,
			"%s the database's change notifications",
			listening ? "listening to" : "no longer listening to");
		identity_cache_set_listening(listening);
	} else if (strcmp(payload, "identity") == 0) {
		identity_cache_invalidate();
		return;
	}
	if (listening && w->app->on_change != NULL)
		w->app->on_change(w->db, payload);
}

/* For idle workers: connections come and go without requests. */
static void on_pools_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	metrics_refresh_pools(w->metrics);
}

/* ------------------------------------------------------------ accepting */

static void free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

/* Once per ACCEPT_LOG_EVERY_S for the whole process, with the count of those not logged. */
static void log_accept_error(int err)
{
	static atomic_long logged_at = -ACCEPT_LOG_EVERY_S; /* monotonic seconds */
	static atomic_long unlogged;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long last = atomic_load(&logged_at);
	if (now.tv_sec - last < ACCEPT_LOG_EVERY_S ||
	    !atomic_compare_exchange_strong(&logged_at, &last, (long)now.tv_sec)) {
		atomic_fetch_add(&unlogged, 1);
		return;
	}
	log_msg(LOG_WARN, NULL, "cannot accept connections: %s; pausing for %d ms each time "
		"(%ld more failures since the last report)",
		strerror(err), ACCEPT_PAUSE_MS, atomic_exchange(&unlogged, 0));
}

/*
 * accept() failed for a reason retrying at once cannot mend, such as no
 * descriptor left: the listening socket stays readable, so the loop would
 * spin on it.  Stop listening for a moment instead.
 */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
	(void)arg;
	struct worker *w = this_worker;
	int err = EVUTIL_SOCKET_ERROR();
	quota_count_accept_error(w->quota);
	evconnlistener_disable(listener);
	struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};
	event_add(w->accept_resume, &pause);
	log_accept_error(err);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	struct evhttp_bound_socket *bound[2] = {w->bound, w->metrics_bound};
	for (size_t i = 0; i < 2; i++)
		if (bound[i] != NULL)
			evconnlistener_enable(evhttp_bound_socket_get_listener(bound[i]));
}

/* w's own duplicate of listen_fd (freeing a listener closes its socket), accepted on by w. */
static struct evhttp_bound_socket *accept_on(struct worker *w, int listen_fd)
{
	int fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
	struct evhttp_bound_socket *bound = fd >= 0 ? evhttp_accept_socket_with_handle(w->http, fd) : NULL;
	if (bound == NULL) {
		log_msg(LOG_ERROR, NULL, "cannot accept on the listening socket");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound), on_accept_error);
	return bound;
}

/* ------------------------------------------------------------ stopping */

/* The end of the drain: what still waits on the database is answered (503). */
static void close_pools(struct worker *w)
{
	if (w->inflight > 0)
		log_msg(LOG_WARN, NULL, "worker %d stopping with %ld requests unfinished", w->index,
			w->inflight);
	free_event(&w->sweep_timer); /* these use the pools */
	free_event(&w->maintenance_timer);
	free_event(&w->follow_up_timer);
	free_event(&w->pools_timer);
	metrics_watch_pools(w->metrics, NULL, NULL);
	if (w->db_read != w->db)
		db_pool_free(w->db_read);
	db_pool_free(w->db);
	w->db = w->db_read = NULL;
	w->pools_closed = true;
}

/* Runs on the worker's own thread: free what the loop owns, then leave the loop. */
static void worker_stop(struct worker *w)
{
	free_event(&w->drain_timer);
	free_event(&w->accept_resume);
	evhttp_free(w->http);
	w->http = NULL;
	conn_guard_uninstall(w->guard);
	w->guard = NULL;
	event_base_loopexit(w->base, NULL);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	static _Thread_local int waited_ms, flushed_ms;
	/* A hashing job completes on this loop: the loop must outlive it, whatever the timeout. */
	bool idle = w->inflight == 0 && conn_guard_busy() == 0;
	if (!w->pools_closed && hash_pool_outstanding() == 0 &&
	    (idle || waited_ms >= w->config->shutdown_timeout_ms))
		close_pools(w);
	/* Answers written by then leave as they are; closing sooner would reset their connections. */
	if (w->pools_closed && (conn_guard_busy() == 0 || flushed_ms >= FLUSH_GRACE_MS)) {
		worker_stop(w);
		return;
	}
	*(w->pools_closed ? &flushed_ms : &waited_ms) += DRAIN_POLL_MS;
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
	/* Frees the listeners and closes this worker's duplicates of the sockets. */
	event_del(w->accept_resume);
	evhttp_del_accept_socket(w->http, w->bound);
	w->bound = NULL;
	if (w->metrics_bound != NULL)
		evhttp_del_accept_socket(w->http, w->metrics_bound);
	w->metrics_bound = NULL;
	struct timeval now = {0, 0};
	event_add(w->drain_timer, &now);
}

static bool worker_init(struct worker *w, int index, const struct config *cfg,
			const struct http_app *app, const struct db_stmt *const *stmts, size_t nstmts,
			int listen_fd, int metrics_fd)
{
	char err[256];
	w->index = index;
	w->config = cfg;
	w->app = app;
	w->quota = guard_cfg.quota;
	w->web = web;
	w->base = event_base_new();
	w->http = w->base ? evhttp_new(w->base) : NULL;
	w->guard = w->http ? conn_guard_install(w->base, w->http, &guard_cfg) : NULL;
	w->metrics = metrics_new(app->nroutes);
	w->identities = identity_cache_new();
	w->shutdown_ev = w->base ? event_new(w->base, -1, 0, on_shutdown, w) : NULL;
	w->drain_timer = w->base ? evtimer_new(w->base, on_drain_tick, w) : NULL;
	w->pools_timer = w->base ? event_new(w->base, -1, EV_PERSIST, on_pools_tick, w) : NULL;
	w->accept_resume = w->base ? evtimer_new(w->base, on_accept_resume, w) : NULL;
	struct timeval refresh = {0, POOLS_REFRESH_MS * 1000};
	if (w->guard == NULL || w->metrics == NULL || w->identities == NULL || w->shutdown_ev == NULL ||
	    w->drain_timer == NULL || w->pools_timer == NULL || w->accept_resume == NULL ||
	    event_add(w->pools_timer, &refresh) != 0) {
		log_msg(LOG_ERROR, NULL, "out of memory starting worker %d", index);
		return false;
	}
	evhttp_set_max_headers_size(w->http, MAX_HEADER_BYTES);
	/* evhttp's own timeout restarts at every byte: it closes connections that
	 * send nothing (idle or silent); conn_guard bounds those that dribble. */
	struct timeval idle = {cfg->header_timeout_ms / 1000, (cfg->header_timeout_ms % 1000) * 1000};
	evhttp_set_timeout_tv(w->http, &idle);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE |
						    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	/* No EVHTTP_SERVER_LINGERING_CLOSE: evhttp would read a whole oversized body
	 * before its 413; conn_guard answers at once and drains afterwards. */
	evhttp_set_gencb(w->http, dispatch_request, w);

	struct db_pool_config pc = {cfg->database_url, cfg->db_pool, cfg->query_timeout_ms, stmts, nstmts,
				    NULL, NULL, NULL};
	if (index == 0) { /* one listener per process: the caches it keeps fresh are process-wide */
		pc.listen_sql = "LISTEN marketplace_changes";
		pc.on_notify = on_database_change;
		pc.notify_arg = w;
	}
	w->db = db_pool_new(w->base, &pc, err, sizeof err);
	if (w->db == NULL) {
		log_msg(LOG_ERROR, NULL, "%s", err);
		return false;
	}
	w->db_read = w->db;
	if (cfg->database_read_url != cfg->database_url) {
		pc.conninfo = cfg->database_read_url;
		pc.listen_sql = NULL; /* notifications come from the primary */
		pc.on_notify = NULL;
		w->db_read = db_pool_new(w->base, &pc, err, sizeof err);
		if (w->db_read == NULL) {
			log_msg(LOG_ERROR, NULL, "read replica: %s", err);
			return false;
		}
	}
	metrics_watch_pools(w->metrics, w->db, w->db_read != w->db ? w->db_read : NULL);
	if (index == 0) {
		static const struct timeval every = {SWEEP_INTERVAL_S, 0};
		w->sweep_timer = event_new(w->base, -1, EV_PERSIST, on_sweep_tick, w);
		const struct timeval maintenance_every = {cfg->maintenance_interval_ms / 1000,
							  (cfg->maintenance_interval_ms % 1000) * 1000};
		static const struct timeval follow_up_every = {1, 0};
		w->maintenance_timer = event_new(w->base, -1, EV_PERSIST, on_maintenance_tick, w);
		w->follow_up_timer = event_new(w->base, -1, EV_PERSIST, on_follow_up_tick, w);
		if (w->sweep_timer == NULL || event_add(w->sweep_timer, &every) != 0 ||
		    w->maintenance_timer == NULL || event_add(w->maintenance_timer, &maintenance_every) != 0 ||
		    w->follow_up_timer == NULL || event_add(w->follow_up_timer, &follow_up_every) != 0) {
			log_msg(LOG_ERROR, NULL, "out of memory starting worker %d", index);
			return false;
		}
	}
	/* Scrapes are rare and cheap: one worker serves the metrics listener. */
	if (index == 0 && metrics_fd >= 0 && (w->metrics_bound = accept_on(w, metrics_fd)) == NULL)
		return false;
	return (w->bound = accept_on(w, listen_fd)) != NULL;
}

/* Frees what worker_stop left, or everything of a worker that never ran. */
static void worker_cleanup(struct worker *w)
{
	free_event(&w->drain_timer);
	free_event(&w->sweep_timer);
	free_event(&w->maintenance_timer);
	free_event(&w->follow_up_timer);
	free_event(&w->pools_timer);
	free_event(&w->accept_resume);
	if (w->metrics != NULL)
		metrics_watch_pools(w->metrics, NULL, NULL);
	if (w->db_read != NULL && w->db_read != w->db)
		db_pool_free(w->db_read);
	db_pool_free(w->db);
	if (w->http != NULL)
		evhttp_free(w->http);
	conn_guard_uninstall(w->guard);
	free_event(&w->shutdown_ev);
	metrics_free(w->metrics);
	identity_cache_free(w->identities);
	if (w->base != NULL)
		event_base_free(w->base);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	this_worker = w;
	event_base_dispatch(w->base);
	return NULL;
}

/*
 * glibc keeps what the worker threads free in their arenas: after a load of
 * request bodies that can be hundreds of MB the process no longer uses.
 * Once such a load is over (no body reserved), it goes back to the system.
 */
static void trim_after_load(struct quota *q, bool *loaded)
{
	struct quota_stats now;
	if (quota_body_peak_take(q) >= TRIM_AFTER_BYTES)
		*loaded = true;
	quota_get_stats(q, &now);
	if (*loaded && now.body_bytes == 0) {
		malloc_trim(0);
		*loaded = false;
	}
}

/* Waits for SIGTERM or SIGINT, trimming memory after loads meanwhile; returns the signal. */
static int wait_for_stop(struct quota *q)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	struct timespec every = {1, 0};
	bool loaded = false;
	int sig;
	while ((sig = sigtimedwait(&stop, NULL, &every)) < 0)
		trim_after_load(q, &loaded);
	return sig;
}

int http_server_run(const struct config *cfg, const struct http_app *app)
{
	int rc = 1;
	int listen_fd = -1, metrics_fd = -1;
	size_t started = 0, nstmts = 0;
	const struct db_stmt **stmts = all_statements(app, &nstmts);
	if (stmts == NULL) {
		log_msg(LOG_ERROR, NULL, "out of memory starting");
		return 1;
	}
	long files = raise_file_limit();
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
	struct quota_limits limits = {connection_cap(cfg, files), cfg->max_connections_per_address,
				      (size_t)cfg->body_budget_kb * 1024};
	guard_cfg = (struct conn_guard_config){
		.header_timeout_ms = cfg->header_timeout_ms,
		.max_header_bytes = MAX_HEADER_BYTES,
		.quota = quota_new(&limits),
		.trusted = &cfg->trusted_proxies,
		.routes = app->routes,
		.nroutes = app->nroutes,
	};
	if (guard_cfg.quota == NULL) {
		log_msg(LOG_ERROR, NULL, "out of memory starting");
		goto out;
	}
	if (cfg->tls_cert != NULL && (guard_cfg.tls = new_tls_context(cfg)) == NULL)
		goto out;
	/* Read now, so that no worker ever reads a file. */
	if ((web = static_files_load(cfg->web_dir)) == NULL)
		goto out;
	if ((listen_fd = open_listener(cfg->listen_host, cfg->listen_port)) < 0)
		goto out;
	if (cfg->metrics_port != 0) {
		metrics_addr_len = sizeof metrics_addr;
		if ((metrics_fd = open_listener(cfg->metrics_host, cfg->metrics_port)) < 0 ||
		    getsockname(metrics_fd, (struct sockaddr *)&metrics_addr, &metrics_addr_len) != 0)
			goto out;
	}
	workers = calloc((size_t)cfg->threads, sizeof *workers);
	if (workers == NULL)
		goto out;
	nworkers = (size_t)cfg->threads;
	for (size_t i = 0; i < nworkers; i++)
		if (!worker_init(&workers[i], (int)i, cfg, app, stmts, nstmts, listen_fd, metrics_fd))
			goto out;
	for (; started < nworkers; started++)
		if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0) {
			log_msg(LOG_ERROR, NULL, "cannot start worker threads");
			break;
		}
	/* The workers hold their own duplicates now. */
	close(listen_fd);
	listen_fd = -1;
	if (metrics_fd >= 0)
		close(metrics_fd);
	metrics_fd = -1;
	if (started == nworkers) {
		log_msg(LOG_INFO, NULL, "serving on %s:%d with %d threads%s; at most %ld connections, %d per "
			"address", cfg->listen_host, cfg->listen_port, cfg->threads,
			guard_cfg.tls ? " (TLS)" : "", limits.connections, cfg->max_connections_per_address);
		if (cfg->metrics_port != 0)
			log_msg(LOG_INFO, NULL, "serving /metrics on %s:%d", cfg->metrics_host, cfg->metrics_port);
		int sig = wait_for_stop(guard_cfg.quota);
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
	if (metrics_fd >= 0)
		close(metrics_fd);
	for (size_t i = 0; i < nworkers; i++)
		worker_cleanup(&workers[i]);
	free(workers);
	workers = NULL;
	nworkers = 0;
	SSL_CTX_free(guard_cfg.tls);
	static_files_free(web);
	web = NULL;
	quota_free(guard_cfg.quota);
	guard_cfg = (struct conn_guard_config){0};
	metrics_addr_len = 0;
	hash_pool_stop();
	conn_guard_cleanup();
	libevent_global_shutdown();
	free(stmts);
	return rc;
}
