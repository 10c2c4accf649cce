/* Asynchronous, pipelined PostgreSQL connections on a worker's event loop. */
#include "db.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "log.h"

#define MAX_WAITERS 4096        /* requests queued while every connection is busy or starting */
/* How long a cancelled statement may take to end before its backend is deemed hung. */
#define CANCEL_GRACE_MAX_MS 1000
#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 500      /* back within a second of the database returning */
#define MAX_KEYWORDS 48

enum conn_state { CONN_BROKEN, CONN_CONNECTING, CONN_PREPARING, CONN_READY };

enum pending_kind { P_PREPARE, P_QUERY, P_TX_BEGIN, P_TX_QUERY, P_TX_END };

/* One command followed by a Sync, in flight on a connection. */
struct pending {
	struct pending *next;
	enum pending_kind kind;
	db_callback cb;            /* P_QUERY, P_TX_QUERY, P_TX_END */
	void *arg;
	struct db_tx *tx;          /* P_TX_* */
	PGresult *result;          /* first result, kept until the Sync arrives */
	bool results_done;         /* the NULL after the command's results was seen */
	bool abandoned;            /* timed out: its caller was answered, a cancel was sent */
	struct timespec head_since; /* when it reached the head of the pipeline, or was abandoned */
};

struct conn {
	struct db_pool *pool;
	PGconn *pg;
	struct event *io;
	struct event *timer;       /* connect deadline, back-off, or query deadline */
	enum conn_state state;
	short io_flags;            /* what io is armed for */
	bool want_write;
	unsigned generation;       /* bumped when the connection breaks */
	int inflight;
	int backoff_ms;
	struct pending *head, *tail;
	struct db_tx *tx;          /* the transaction this connection is reserved for */
	bool last_stalled;         /* the last statement to end had stalled (see stalled()) */
};

struct db_tx {
	struct db_pool *pool;
	struct conn *conn;         /* NULL once the connection broke */
	db_tx_callback begin_cb;
	void *begin_arg;
	bool begin_sent;
	bool begun;
	bool failed;               /* a statement failed: finish rolls back */
};

/* A request waiting for a connection, with its own copy of the parameters. */
struct waiter {
	struct waiter *next;
	const struct db_stmt *stmt; /* NULL for a transaction waiting to begin */
	db_callback cb;
	db_tx_callback tx_cb;
	void *arg;
	char *params[];
};

struct db_pool {
	struct event_base *base;
	const char **keywords, **values; /* NULL-terminated, for PQconnectStartParams */
	char *storage;                   /* owns the strings of keywords/values */
	int query_timeout_ms;
	const struct db_stmt *const *stmts;
	size_t nstmts;
	const char *listen_sql;          /* run by conns[0] as it connects; NULL: none */
	db_notify_callback on_notify;
	void *notify_arg;
	int size;
	struct conn *conns;
	int ready;                       /* connections in CONN_READY */
	bool down;                       /* a connection failed and none is ready: fail fast */
	bool closing;
	struct waiter *waiters_head, *waiters_tail;
	atomic_int nwaiters;             /* also read by db_pool_get_stats */
	atomic_int stat_ready, stat_busy, stat_connecting;
	atomic_uint_fast64_t stat_query_errors, stat_timeouts, stat_unavailable, stat_conn_failures;
};

static void conn_start(struct conn *c);
static void conn_broken(struct conn *c, enum db_status status, const char *why);
static void drain_waiters(struct db_pool *pool);
static void tx_start_begin(struct conn *c);
static void refuse(struct db_pool *pool, db_callback cb, db_tx_callback tx_cb, void *arg);

static void bump(atomic_uint_fast64_t *counter) { atomic_fetch_add_explicit(counter, 1, memory_order_relaxed); }

static long ms_between(const struct timespec *from, const struct timespec *to)
{
	return (long)(to->tv_sec - from->tv_sec) * 1000 + (to->tv_nsec - from->tv_nsec) / 1000000;
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ms_between(t, &now);
}

static void timer_in_ms(struct event *ev, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_add(ev, &tv);
}

/* ---------------------------------------------------------------- conninfo */

/*
 * libpq resolves a host name inside PQconnectStart, which blocks; resolve it
 * once here, while the pool is created at start-up, and hand libpq the
 * numeric address.  Also bound each statement on the server side, a little
 * under our own deadline, so most timeouts end as a clean error.
 */
static bool build_conninfo(struct db_pool *pool, const char *conninfo, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (opts == NULL) {
		snprintf(err, errlen, "invalid database url: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return false;
	}
	const char *host = NULL, *hostaddr = NULL, *options = NULL, *appname = NULL;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "options") == 0)
			options = o->val;
		else if (strcmp(o->keyword, "application_name") == 0)
			appname = o->val;
	}
	char resolved[INET6_ADDRSTRLEN] = "";
	if (host != NULL && hostaddr == NULL && host[0] != '/' && host[0] != '@' &&
	    strchr(host, ',') == NULL) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL) {
			snprintf(err, errlen, "cannot resolve database host '%s'", host);
			PQconninfoFree(opts);
			return false;
		}
		const void *addr = ai->ai_family == AF_INET6
					   ? (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr
					   : (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, addr, resolved, sizeof resolved);
		freeaddrinfo(ai);
	}
	char extra_options[256];
	snprintf(extra_options, sizeof extra_options, "%s%s-c statement_timeout=%d",
		 options ? options : "", options ? " " : "",
		 pool->query_timeout_ms > 200 ? pool->query_timeout_ms - 100 : pool->query_timeout_ms);

	size_t bytes = strlen(extra_options) + strlen(resolved) + 64;
	int n = 0;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (o->val != NULL) {
			bytes += strlen(o->keyword) + strlen(o->val) + 2;
			n++;
		}
	pool->keywords = calloc((size_t)n + 4, sizeof *pool->keywords);
	pool->values = calloc((size_t)n + 4, sizeof *pool->values);
	pool->storage = malloc(bytes);
	if (pool->keywords == NULL || pool->values == NULL || pool->storage == NULL) {
		snprintf(err, errlen, "out of memory");
		PQconninfoFree(opts);
		return false;
	}
	char *p = pool->storage;
	int k = 0;
#define PUT(kw, val)                                                                                \
	do {                                                                                        \
		size_t lk = strlen(kw) + 1, lv = strlen(val) + 1;                                   \
		pool->keywords[k] = memcpy(p, kw, lk);                                              \
		p += lk;                                                                            \
		pool->values[k++] = memcpy(p, val, lv);                                             \
		p += lv;                                                                            \
	} while (0)
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && strcmp(o->keyword, "options") != 0)
			PUT(o->keyword, o->val);
	PUT("options", extra_options);
	if (resolved[0] != '\0')
		PUT("hostaddr", resolved);
	if (appname == NULL)
		PUT("application_name", "marketplace");
#undef PUT
	PQconninfoFree(opts);
	return true;
}

/* ---------------------------------------------------------------- io */

/* The connection that LISTENs for the pool (db_pool_config.listen_sql). */
static bool is_listener(const struct conn *c) { return c->pool->listen_sql != NULL && c == &c->pool->conns[0]; }

static void on_io(evutil_socket_t fd, short what, void *arg);

/* (Re)arms the io event for `flags` on the connection's current socket. */
static bool conn_arm(struct conn *c, short flags)
{
	int fd = PQsocket(c->pg);
	if (fd < 0)
		return false;
	if (c->io_flags == flags && event_get_fd(c->io) == fd && event_pending(c->io, flags, NULL))
		return true;
	event_del(c->io);
	if (event_assign(c->io, c->pool->base, fd, flags | EV_PERSIST, on_io, c) != 0 ||
	    event_add(c->io, NULL) != 0)
		return false;
	c->io_flags = flags;
	return true;
}

/* After a send: push what libpq holds; wait for writability if the socket is full. */
static bool conn_flush(struct conn *c)
{
	int r = PQflush(c->pg);
	if (r < 0)
		return false;
	c->want_write = r == 1;
	return conn_arm(c, (short)(EV_READ | (c->want_write ? EV_WRITE : 0)));
}

static void set_busy(struct conn *c, int delta)
{
	int before = c->inflight;
	c->inflight += delta;
	if (c->state != CONN_READY)
		return;
	if (before == 0 && c->inflight > 0)
		atomic_fetch_add(&c->pool->stat_busy, 1);
	else if (before > 0 && c->inflight == 0)
		atomic_fetch_sub(&c->pool->stat_busy, 1);
}

static struct pending *pending_push(struct conn *c, enum pending_kind kind)
{
	struct pending *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->kind = kind;
	if (c->tail != NULL) {
		c->tail->next = p;
	} else {
		c->head = p;
		clock_gettime(CLOCK_MONOTONIC, &p->head_since);
	}
	c->tail = p;
	set_busy(c, 1);
	if (c->state == CONN_READY && !event_pending(c->timer, EV_TIMEOUT, NULL))
		timer_in_ms(c->timer, c->pool->query_timeout_ms);
	return p;
}

/*
 * Sends one command and its Sync, for the entry just pushed.  stmt NULL sends
 * `sql` unprepared (BEGIN, COMMIT, ROLLBACK); a plan_per_call statement is
 * sent with its text, so that it is planned for these parameters.  On failure the connection is
 * broken, which completes that entry (and every other) with DB_UNAVAILABLE.
 */
static void conn_send(struct conn *c, const struct db_stmt *stmt, const char *sql,
		      const char *const *params)
{
	int ok = stmt == NULL		 ? PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0)
		 : stmt->plan_per_call ? PQsendQueryParams(c->pg, stmt->sql, stmt->nparams, NULL, params, NULL, NULL, 0)
				       : PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0);
	if (!ok || !PQpipelineSync(c->pg) || !conn_flush(c))
		conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
}

/* ---------------------------------------------------------------- completion */

static enum db_status status_of(const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return DB_OK;
	default: {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		return state != NULL && strcmp(state, "57014") == 0 ? DB_TIMEOUT : DB_QUERY_ERROR;
	}
	}
}

static void count_outcome(struct db_pool *pool, enum db_status status)
{
	switch (status) {
	case DB_OK: break;
	case DB_QUERY_ERROR: bump(&pool->stat_query_errors); break;
	case DB_TIMEOUT: bump(&pool->stat_timeouts); break;
	case DB_UNAVAILABLE: bump(&pool->stat_unavailable); break;
	}
}

static void tx_release(struct db_tx *tx)
{
	if (tx->conn != NULL) {
		tx->conn->tx = NULL;
		tx->conn = NULL;
	}
}

/* Delivers a finished command to its owner and frees the entry. */
static void complete(struct db_pool *pool, struct pending *p, enum db_status status)
{
	if (p->abandoned) { /* its caller had its DB_TIMEOUT already */
		PQclear(p->result);
		free(p);
		return;
	}
	if (status == DB_OK && p->result != NULL)
		status = status_of(p->result);
	if (status == DB_OK && p->result == NULL)
		status = DB_UNAVAILABLE;
	if (p->kind != P_PREPARE)
		count_outcome(pool, status);
	struct db_result r = {status, status == DB_OK || status == DB_QUERY_ERROR ? p->result : NULL};
	struct db_tx *tx = p->tx;
	switch (p->kind) {
	case P_PREPARE:
		break;
	case P_QUERY:
		p->cb(&r, p->arg);
		break;
	case P_TX_QUERY:
		if (status != DB_OK)
			tx->failed = true;
		p->cb(&r, p->arg);
		break;
	case P_TX_BEGIN:
		if (status == DB_OK) {
			tx->begun = true;
			tx->begin_cb(tx, DB_OK, tx->begin_arg);
		} else {
			tx_release(tx);
			tx->begin_cb(NULL, status, tx->begin_arg);
			free(tx);
		}
		break;
	case P_TX_END:
		if (tx->failed && status == DB_OK) {
			r.status = DB_QUERY_ERROR; /* a statement failed: we rolled back */
			r.res = NULL;
		}
		tx_release(tx);
		p->cb(&r, p->arg);
		free(tx);
		break;
	}
	PQclear(p->result);
	free(p);
}

/* Reads every result that has arrived and completes the commands they end. */
static void conn_read_results(struct conn *c)
{
	unsigned generation = c->generation;
	while (c->head != NULL && c->generation == generation && !PQisBusy(c->pg)) {
		struct pending *p = c->head;
		PGresult *res = PQgetResult(c->pg);
		if (!p->results_done) {
			if (res == NULL) {
				p->results_done = true;
			} else if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
				PQclear(res); /* not expected before the NULL; tolerate it */
				p->results_done = true;
				goto synced;
			} else if (p->result == NULL) {
				p->result = res;
			} else {
				PQclear(res);
			}
			continue;
		}
		if (res == NULL)
			break;
		if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
			PQclear(res);
			conn_broken(c, DB_UNAVAILABLE, "unexpected result in pipeline");
			return;
		}
		PQclear(res);
synced:
		c->head = p->next;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		c->last_stalled = p->abandoned || ms_between(&p->head_since, &now) >= DB_HEAD_STALL_MS;
		if (c->head == NULL)
			c->tail = NULL;
		else
			c->head->head_since = now;
		set_busy(c, -1);
		if (p->kind == P_PREPARE && (p->result == NULL || status_of(p->result) != DB_OK)) {
			log_msg(LOG_ERROR, NULL, "cannot prepare a statement: %s",
				p->result ? PQresultErrorMessage(p->result) : "no result");
			complete(c->pool, p, DB_QUERY_ERROR);
			conn_broken(c, DB_UNAVAILABLE, "statement preparation failed");
			return;
		}
		complete(c->pool, p, DB_OK);
	}
	if (c->generation != generation)
		return;
	if (c->head == NULL) {
		event_del(c->timer);
		if (c->state == CONN_PREPARING) {
			c->state = CONN_READY;
			c->backoff_ms = 0;
			c->pool->ready++;
			c->pool->down = false;
			atomic_fetch_add(&c->pool->stat_ready, 1);
			atomic_fetch_sub(&c->pool->stat_connecting, 1);
			log_msg(LOG_DEBUG, NULL, "database connection ready");
			if (is_listener(c) && c->pool->on_notify != NULL)
				c->pool->on_notify(true, NULL, c->pool->notify_arg);
		}
		if (c->tx != NULL && !c->tx->begin_sent)
			tx_start_begin(c);
	}
	if (c->state == CONN_READY && c->tx == NULL && c->inflight < DB_PIPELINE_DEPTH)
		drain_waiters(c->pool);
}

/* ---------------------------------------------------------------- lifecycle */

static void deliver_notifications(struct conn *c)
{
	PGnotify *n;
	while ((n = PQnotifies(c->pg)) != NULL) {
		if (c->pool->on_notify != NULL)
			c->pool->on_notify(true, n->extra, c->pool->notify_arg);
		PQfreemem(n);
	}
}

static void prepare_all(struct conn *c)
{
	for (size_t i = 0; i < c->pool->nstmts; i++) {
		const struct db_stmt *s = c->pool->stmts[i];
		if (s->plan_per_call)
			continue;
		if (pending_push(c, P_PREPARE) == NULL ||
		    !PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL) || !PQpipelineSync(c->pg)) {
			conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
			return;
		}
	}
	/* Its result is checked like a preparation's: a refusal breaks the connection. */
	if (is_listener(c) &&
	    (pending_push(c, P_PREPARE) == NULL ||
	     !PQsendQueryParams(c->pg, c->pool->listen_sql, 0, NULL, NULL, NULL, NULL, 0) ||
	     !PQpipelineSync(c->pg))) {
		conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
		return;
	}
	if (!conn_flush(c)) {
		conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
		return;
	}
	if (c->head == NULL) /* nothing to prepare */
		conn_read_results(c);
}

static void connect_poll(struct conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		if (!conn_arm(c, EV_READ))
			conn_broken(c, DB_UNAVAILABLE, "cannot watch the database socket");
		return;
	case PGRES_POLLING_WRITING:
		if (!conn_arm(c, EV_WRITE))
			conn_broken(c, DB_UNAVAILABLE, "cannot watch the database socket");
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
			conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
			return;
		}
		c->state = CONN_PREPARING;
		prepare_all(c);
		return;
	case PGRES_POLLING_FAILED:
	default:
		conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
		return;
	}
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct conn *c = arg;
	if (c->state == CONN_CONNECTING) {
		connect_poll(c);
		return;
	}
	if ((what & EV_WRITE) || c->want_write) {
		if (!conn_flush(c)) {
			conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
			return;
		}
	}
	if (what & EV_READ) {
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
			conn_broken(c, DB_UNAVAILABLE, PQerrorMessage(c->pg));
			return;
		}
		conn_read_results(c);
		if (c->state != CONN_BROKEN)
			deliver_notifications(c);
	}
}

static long cancel_grace_ms(const struct db_pool *pool)
{
	return pool->query_timeout_ms < CANCEL_GRACE_MAX_MS ? pool->query_timeout_ms : CANCEL_GRACE_MAX_MS;
}

/*
 * The head of the pipeline is past its deadline, counted from when it got
 * there, although the server's statement_timeout (a little shorter) should
 * have ended it: the backend or the network is not answering.  Its caller
 * gets DB_TIMEOUT now, the server is asked to cancel that one statement, and
 * the queries behind it stay on the connection, each with a deadline of its
 * own once it reaches the head.  If the cancelled statement has not ended
 * after the grace, the backend is hung and the connection is reset.
 * A transaction's statement resets the connection at once instead: that
 * connection carries only the transaction, whose state would be unknown.
 */
static void head_timed_out(struct conn *c)
{
	struct pending *p = c->head;
	if (p->kind != P_QUERY || !cancel_start(c->pg)) {
		conn_broken(c, DB_TIMEOUT, "query timed out");
		return;
	}
	log_msg(LOG_WARN, NULL, "a query took over %d ms: cancelling it", c->pool->query_timeout_ms);
	p->abandoned = true;
	clock_gettime(CLOCK_MONOTONIC, &p->head_since);
	timer_in_ms(c->timer, cancel_grace_ms(c->pool));
	count_outcome(c->pool, DB_TIMEOUT);
	struct db_result r = {DB_TIMEOUT, NULL};
	p->cb(&r, p->arg); /* last: it may submit work, which now avoids this connection */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	switch (c->state) {
	case CONN_BROKEN:
		conn_start(c);
		return;
	case CONN_CONNECTING:
	case CONN_PREPARING:
		conn_broken(c, DB_UNAVAILABLE, "timed out connecting to the database");
		return;
	case CONN_READY: {
		struct pending *p = c->head;
		if (p == NULL)
			return;
		long limit = p->abandoned ? cancel_grace_ms(c->pool) : c->pool->query_timeout_ms;
		long waited = ms_since(&p->head_since);
		if (waited < limit)
			timer_in_ms(c->timer, limit - waited);
		else if (p->abandoned)
			conn_broken(c, DB_TIMEOUT, "a cancelled query did not end: the backend is not answering");
		else
			head_timed_out(c);
		return;
	}
	}
}

/* Notices (a word too long to index, ...) go to the log as JSON lines,
 * not to stderr as libpq's default writes them. */
static void log_notice(void *arg, const char *message)
{
	(void)arg;
	log_msg(LOG_DEBUG, NULL, "database notice: %.*s", (int)strcspn(message, "\n"), message);
}

static void conn_start(struct conn *c)
{
	c->pg = PQconnectStartParams(c->pool->keywords, c->pool->values, 0);
	c->state = CONN_CONNECTING;
	atomic_fetch_add(&c->pool->stat_connecting, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_broken(c, DB_UNAVAILABLE, c->pg ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	PQsetNoticeProcessor(c->pg, log_notice, NULL);
	timer_in_ms(c->timer, CONNECT_TIMEOUT_MS);
	/* libpq's first step after PQconnectStart is to wait for writability. */
	if (!conn_arm(c, EV_WRITE))
		conn_broken(c, DB_UNAVAILABLE, "cannot watch the database socket");
}

/* Answers a query (cb) or a transaction start (tx_cb) with DB_UNAVAILABLE. */
static void refuse(struct db_pool *pool, db_callback cb, db_tx_callback tx_cb, void *arg)
{
	count_outcome(pool, DB_UNAVAILABLE);
	if (cb != NULL) {
		struct db_result r = {DB_UNAVAILABLE, NULL};
		cb(&r, arg);
	} else {
		tx_cb(NULL, DB_UNAVAILABLE, arg);
	}
}

static void fail_waiters(struct db_pool *pool)
{
	while (pool->waiters_head != NULL) {
		struct waiter *w = pool->waiters_head;
		pool->waiters_head = w->next;
		pool->nwaiters--;
		refuse(pool, w->cb, w->tx_cb, w->arg);
		free(w);
	}
	pool->waiters_tail = NULL;
}

/*
 * The connection is lost (or timed out): close it, fail what it carried and
 * schedule a reconnect.  The connection is fully reset before any callback
 * runs, since callbacks may start new queries on the pool.
 */
static void conn_broken(struct conn *c, enum db_status status, const char *why)
{
	struct db_pool *pool = c->pool;
	bool was_ready = c->state == CONN_READY;
	if (was_ready) {
		if (c->inflight > 0)
			atomic_fetch_sub(&pool->stat_busy, 1);
		atomic_fetch_sub(&pool->stat_ready, 1);
		pool->ready--;
		log_msg(pool->closing ? LOG_DEBUG : LOG_WARN, NULL, "database connection lost: %s",
			why ? why : "");
	} else if (c->state != CONN_BROKEN) {
		atomic_fetch_sub(&pool->stat_connecting, 1);
		log_msg(LOG_DEBUG, NULL, "database connection failed: %s", why ? why : "");
	}
	bump(&pool->stat_conn_failures);
	c->generation++;
	c->state = CONN_BROKEN;
	event_del(c->io);
	c->io_flags = 0;
	event_del(c->timer);
	if (c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	struct pending *list = c->head;
	c->head = c->tail = NULL;
	c->inflight = 0;
	c->last_stalled = false;
	struct db_tx *tx = c->tx;
	bool tx_awaits_begin = tx != NULL && !tx->begin_sent; /* no pending entry speaks for it */
	if (tx != NULL) {
		c->tx = NULL;
		tx->conn = NULL;
	}

	c->backoff_ms = c->backoff_ms == 0 ? BACKOFF_MIN_MS : c->backoff_ms * 2;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	if (!pool->closing)
		timer_in_ms(c->timer, c->backoff_ms);
	if (pool->ready == 0)
		pool->down = true;
	if (was_ready && is_listener(c) && pool->on_notify != NULL)
		pool->on_notify(false, NULL, pool->notify_arg);

	while (list != NULL) {
		struct pending *p = list;
		list = p->next;
		complete(pool, p, status);
	}
	if (tx_awaits_begin) {
		refuse(pool, NULL, tx->begin_cb, tx->begin_arg);
		free(tx);
	}
	if (pool->down)
		fail_waiters(pool);
}

/* ---------------------------------------------------------------- dispatch */

/*
 * Whether work sent to c now would likely wait behind a statement that is
 * not moving: its head was cancelled or has run for DB_HEAD_STALL_MS, or
 * took over the head right after a statement that had (the statements
 * pipelined behind a lock wait mostly wait for the same lock), until one
 * ends quickly.  Counting commands alone would still queue requests behind
 * a lock wait whenever the other connections are busier.
 */
static bool stalled(const struct conn *c, const struct timespec *now)
{
	return c->head != NULL && (c->last_stalled || c->head->abandoned ||
				   ms_between(&c->head->head_since, now) >= DB_HEAD_STALL_MS);
}

/*
 * The connection for new work: ready, not reserved by a transaction, with
 * room in its pipeline and not stalled; of those, the one with the fewest
 * commands in flight (the first on ties).  NULL: the work waits in the
 * pool's queue for the first connection that moves.
 */
static struct conn *pick(struct db_pool *pool)
{
	struct conn *best = NULL;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int i = 0; i < pool->size; i++) {
		struct conn *c = &pool->conns[i];
		if (c->state != CONN_READY || c->tx != NULL || c->inflight >= DB_PIPELINE_DEPTH ||
		    stalled(c, &now))
			continue;
		if (best == NULL || c->inflight < best->inflight)
			best = c;
		if (best->inflight == 0)
			break;
	}
	return best;
}

static void send_query(struct conn *c, const struct db_stmt *stmt, const char *const *params,
		       db_callback cb, void *arg)
{
	struct pending *p = pending_push(c, P_QUERY);
	if (p == NULL) {
		refuse(c->pool, cb, NULL, arg);
		return;
	}
	p->cb = cb;
	p->arg = arg;
	conn_send(c, stmt, NULL, params);
}

static void tx_start_begin(struct conn *c)
{
	struct db_tx *tx = c->tx;
	struct pending *p = pending_push(c, P_TX_BEGIN);
	if (p == NULL) {
		conn_broken(c, DB_UNAVAILABLE, "out of memory");
		return;
	}
	p->tx = tx;
	tx->begin_sent = true;
	conn_send(c, NULL, "BEGIN", NULL);
}

/* Reserves c for a new transaction; BEGIN goes out once its pipeline is empty. */
static void start_tx_on(struct conn *c, db_tx_callback cb, void *arg)
{
	struct db_tx *tx = calloc(1, sizeof *tx);
	if (tx == NULL) {
		refuse(c->pool, NULL, cb, arg);
		return;
	}
	tx->pool = c->pool;
	tx->begin_cb = cb;
	tx->begin_arg = arg;
	tx->conn = c;
	c->tx = tx;
	if (c->inflight == 0)
		tx_start_begin(c);
}

static bool enqueue(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
		    db_callback cb, db_tx_callback tx_cb, void *arg)
{
	if (pool->nwaiters >= MAX_WAITERS)
		return false;
	int n = stmt != NULL ? stmt->nparams : 0;
	size_t bytes = sizeof(struct waiter) + (size_t)n * sizeof(char *);
	for (int i = 0; i < n; i++)
		bytes += params[i] != NULL ? strlen(params[i]) + 1 : 0;
	struct waiter *w = calloc(1, bytes);
	if (w == NULL)
		return false;
	char *copy = (char *)&w->params[n];
	for (int i = 0; i < n; i++) {
		if (params[i] == NULL)
			continue;
		size_t len = strlen(params[i]) + 1;
		w->params[i] = memcpy(copy, params[i], len);
		copy += len;
	}
	w->stmt = stmt;
	w->cb = cb;
	w->tx_cb = tx_cb;
	w->arg = arg;
	if (pool->waiters_tail != NULL)
		pool->waiters_tail->next = w;
	else
		pool->waiters_head = w;
	pool->waiters_tail = w;
	pool->nwaiters++;
	return true;
}

static void drain_waiters(struct db_pool *pool)
{
	while (pool->waiters_head != NULL && !pool->closing) {
		struct waiter *w = pool->waiters_head;
		struct conn *c = pick(pool);
		if (c == NULL)
			return;
		pool->waiters_head = w->next;
		if (pool->waiters_head == NULL)
			pool->waiters_tail = NULL;
		pool->nwaiters--;
		if (w->stmt != NULL)
			send_query(c, w->stmt, (const char *const *)w->params, w->cb, w->arg);
		else
			start_tx_on(c, w->tx_cb, w->arg);
		free(w);
	}
}

/* A query (stmt set) or a transaction start (tx_cb set) enters the pool. */
static void submit(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
		   db_callback cb, db_tx_callback tx_cb, void *arg)
{
	struct conn *c = pool->closing ? NULL : pick(pool);
	if (c != NULL && pool->waiters_head == NULL) {
		if (stmt != NULL)
			send_query(c, stmt, params, cb, arg);
		else
			start_tx_on(c, tx_cb, arg);
		return;
	}
	if (!pool->closing && !pool->down && enqueue(pool, stmt, params, cb, tx_cb, arg)) {
		drain_waiters(pool);
		return;
	}
	refuse(pool, cb, tx_cb, arg);
}

void db_query(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
	      db_callback cb, void *arg)
{
	submit(pool, stmt, params, cb, NULL, arg);
}

/* ---------------------------------------------------------------- transactions */

void db_tx_begin(struct db_pool *pool, db_tx_callback cb, void *arg)
{
	submit(pool, NULL, NULL, NULL, cb, arg);
}

void db_tx_query(struct db_tx *tx, const struct db_stmt *stmt, const char *const *params,
		 db_callback cb, void *arg)
{
	struct pending *p = tx->conn != NULL ? pending_push(tx->conn, P_TX_QUERY) : NULL;
	if (p == NULL) {
		tx->failed = true;
		refuse(tx->pool, cb, NULL, arg);
		return;
	}
	p->cb = cb;
	p->arg = arg;
	p->tx = tx;
	conn_send(tx->conn, stmt, NULL, params);
}

void db_tx_finish(struct db_tx *tx, bool commit, db_callback cb, void *arg)
{
	struct pending *p = tx->conn != NULL ? pending_push(tx->conn, P_TX_END) : NULL;
	if (p == NULL) {
		struct db_pool *pool = tx->pool;
		tx_release(tx);
		free(tx);
		refuse(pool, cb, NULL, arg);
		return;
	}
	p->cb = cb;
	p->arg = arg;
	p->tx = tx;
	conn_send(tx->conn, NULL, commit && !tx->failed ? "COMMIT" : "ROLLBACK", NULL);
}

/* ---------------------------------------------------------------- pool */

struct db_pool *db_pool_new(struct event_base *base, const struct db_pool_config *cfg, char *err,
			    size_t errlen)
{
	struct db_pool *pool = calloc(1, sizeof *pool);
	if (pool == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pool->base = base;
	pool->query_timeout_ms = cfg->query_timeout_ms;
	pool->stmts = cfg->stmts;
	pool->nstmts = cfg->nstmts;
	pool->listen_sql = cfg->listen_sql;
	pool->on_notify = cfg->on_notify;
	pool->notify_arg = cfg->notify_arg;
	pool->size = cfg->size;
	if (!build_conninfo(pool, cfg->conninfo, err, errlen)) {
		db_pool_free(pool);
		return NULL;
	}
	pool->conns = calloc((size_t)cfg->size, sizeof *pool->conns);
	if (pool->conns == NULL) {
		snprintf(err, errlen, "out of memory");
		db_pool_free(pool);
		return NULL;
	}
	for (int i = 0; i < pool->size; i++) {
		struct conn *c = &pool->conns[i];
		c->pool = pool;
		c->state = CONN_BROKEN;
		c->io = event_new(base, -1, 0, on_io, c);
		c->timer = evtimer_new(base, on_timer, c);
		if (c->io == NULL || c->timer == NULL) {
			snprintf(err, errlen, "out of memory");
			db_pool_free(pool);
			return NULL;
		}
	}
	for (int i = 0; i < pool->size; i++)
		conn_start(&pool->conns[i]);
	/* Nothing failed yet: requests arriving while we connect wait for a connection. */
	pool->down = false;
	return pool;
}

void db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	pool->closing = true;
	for (int i = 0; pool->conns != NULL && i < pool->size; i++) {
		struct conn *c = &pool->conns[i];
		if (c->io == NULL || c->timer == NULL)
			continue;
		if (c->state != CONN_BROKEN || c->head != NULL)
			conn_broken(c, DB_UNAVAILABLE, "server shutting down");
	}
	fail_waiters(pool);
	for (int i = 0; pool->conns != NULL && i < pool->size; i++) {
		if (pool->conns[i].io != NULL)
			event_free(pool->conns[i].io);
		if (pool->conns[i].timer != NULL)
			event_free(pool->conns[i].timer);
	}
	free(pool->conns);
	free(pool->keywords);
	free(pool->values);
	free(pool->storage);
	free(pool);
}

void db_pool_get_stats(const struct db_pool *pool, struct db_pool_stats *out)
{
	out->ready = atomic_load(&pool->stat_ready);
	out->busy = atomic_load(&pool->stat_busy);
	out->connecting = atomic_load(&pool->stat_connecting);
	out->queued = atomic_load(&pool->nwaiters);
	out->query_errors = atomic_load(&pool->stat_query_errors);
	out->timeouts = atomic_load(&pool->stat_timeouts);
	out->unavailable = atomic_load(&pool->stat_unavailable);
	out->connection_failures = atomic_load(&pool->stat_conn_failures);
}

const char *db_sqlstate(const struct db_result *result)
{
	const char *state = result->res != NULL ? PQresultErrorField(result->res, PG_DIAG_SQLSTATE) : NULL;
	return state != NULL ? state : "";
}
