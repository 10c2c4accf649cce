/*
 * Asynchronous PostgreSQL on a worker's event loop.
 *
 * A pool holds `size` connections of one worker thread.  Each connection
 * runs in libpq's pipeline mode, so several requests' queries travel on it
 * at once; results come back in order and are matched to a FIFO of pending
 * callbacks.  Nothing here blocks the loop: connecting, sending, flushing
 * and reading are all driven by socket readiness.
 *
 * One slow statement holds up everything behind it on its connection, so
 * pipelines are short (a bounded depth), new work goes to the connection
 * with the fewest commands in flight among those whose head is moving, and
 * otherwise waits in the pool's queue for the first connection that moves.
 * The query timeout is counted from when a statement reaches the head of
 * its pipeline, so time spent behind a slow one is not held against it; the
 * server's statement_timeout, set a little shorter, ends most late
 * statements itself.  A statement still unanswered at its deadline gets
 * DB_TIMEOUT and a cancel request (sent off the loop), and only it: the
 * connection is reset, failing what it carries, only when the cancel has no
 * effect (the backend or the network is hung) or when the statement belongs
 * to a transaction.
 *
 * Contract for every call that takes a callback: the callback runs exactly
 * once, with a result or an error status.  It may run before the call
 * returns (when the pool is down or closing), so treat the call as the last
 * use of `arg` in the calling code.  The PGresult is borrowed: it is valid
 * only during the callback.
 */
#ifndef MARKETPLACE_DB_H
#define MARKETPLACE_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Commands in flight on one connection; more wait in the pool's queue.  A
 * statement that turns out slow holds up to this many minus one behind it,
 * which is what the depth bounds.  Measured on the 2-core test machine
 * (queries/s of one loop, median of 12 runs): the depth makes no difference
 * until over 8 queries per connection are in flight (64 per worker with a
 * pool of 8); at 32 per connection, 8 and 16 gave 66k and 68k, 32 gave
 * 85k.  8 is used: overload is for the admission limits to refuse, and it
 * keeps a slow statement's collateral to 7 requests (31 at depth 32).
 */
#define DB_PIPELINE_DEPTH 8

/*
 * A head of pipeline this old (ms) marks its connection stalled: new work
 * goes to another connection, or waits in the pool's queue.  Far beyond
 * what this application's statements take, so that a lock wait is told
 * from a busy connection quickly.
 */
#define DB_HEAD_STALL_MS 100

/*
 * A named statement, prepared on every connection as it connects; or,
 * with plan_per_call, sent with its text and planned for the values of
 * each call: for statements whose filters are optional (`$1 IS NULL OR
 * ...`), where a plan made once for any values can use no index.  Static
 * storage.
 */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	bool plan_per_call;
};

enum db_status {
	DB_OK,          /* the statement ran */
	DB_QUERY_ERROR, /* the server refused it; `res` holds the error */
	DB_TIMEOUT,     /* not done within the query timeout of reaching the head of its pipeline */
	DB_UNAVAILABLE, /* no connection to the database */
};

struct db_result {
	enum db_status status;
	const PGresult *res; /* DB_OK and DB_QUERY_ERROR; NULL otherwise */
};

typedef void (*db_callback)(const struct db_result *result, void *arg);

/*
 * Notifications (LISTEN/NOTIFY).  With listen_sql set, the pool's first
 * connection runs it ("LISTEN channel") each time it connects, and
 * on_notify runs on the loop: with a payload for each notification; with
 * payload NULL and listening true when listening (re)starts, and with
 * listening false when the connection is lost — in both cases
 * notifications may have been missed, so whatever they keep fresh is stale.
 */
typedef void (*db_notify_callback)(bool listening, const char *payload, void *arg);

struct db_pool_config {
	const char *conninfo;       /* libpq keyword/value string or URI */
	int size;                   /* connections */
	int query_timeout_ms;       /* per statement, from the head of its pipeline (above) */
	const struct db_stmt *const *stmts;
	size_t nstmts;
	const char *listen_sql;     /* NULL: no notifications */
	db_notify_callback on_notify;
	void *notify_arg;
};

struct db_pool;

/* Starts connecting; NULL (with err filled) when the conninfo is unusable. */
struct db_pool *db_pool_new(struct event_base *base, const struct db_pool_config *cfg, char *err,
			    size_t errlen);

/* Fails every pending callback with DB_UNAVAILABLE, then closes and frees. */
void db_pool_free(struct db_pool *pool);

/* params: stmt->nparams text values (NULL is SQL NULL), copied before return. */
void db_query(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
	      db_callback cb, void *arg);

/* Counters readable from any thread (for /metrics). */
struct db_pool_stats {
	int ready;      /* connected connections */
	int busy;       /* of those, with queries in flight */
	int connecting;
	int queued;     /* requests waiting for a connection (every one busy, stalled or starting) */
	uint64_t query_errors, timeouts, unavailable, connection_failures;
};
void db_pool_get_stats(const struct db_pool *pool, struct db_pool_stats *out);

/*
 * Transactions: several statements pinned to one connection, which no other
 * request uses until db_tx_finish.  The transaction is owned by the caller
 * from the begin callback until db_tx_finish, which always frees it.
 */
struct db_tx;
typedef void (*db_tx_callback)(struct db_tx *tx, enum db_status status, void *arg);

/* cb gets the transaction with DB_OK, or NULL and the reason. */
void db_tx_begin(struct db_pool *pool, db_tx_callback cb, void *arg);
void db_tx_query(struct db_tx *tx, const struct db_stmt *stmt, const char *const *params,
		 db_callback cb, void *arg);
/* Commits (or rolls back when !commit or a statement failed); cb reports the outcome. */
void db_tx_finish(struct db_tx *tx, bool commit, db_callback cb, void *arg);

/* The SQLSTATE of a DB_QUERY_ERROR result ("23505"), or "" when there is none. */
const char *db_sqlstate(const struct db_result *result);

#endif
