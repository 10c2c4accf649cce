/*
 * Idempotency-Key (DESIGN.md section 3) for the creates whose route has
 * ROUTE_IDEMPOTENT.  A key is scoped to the caller (their user id, or for
 * anonymous callers their client address) and the request's path (kept in
 * the column named route), so the same key sent to the interests of two
 * listings names two requests.  Before the
 * handler runs, the dispatcher looks the key up: a stored response is
 * replayed when the body is the same and refused with 422 when it differs.
 * Otherwise the handler runs, and write.c claims the key, runs the write and
 * stores its response in one transaction, so a key is never stored without
 * its write nor a write committed without its key.  Only successful (2xx)
 * responses are stored; keys expire after 24 hours.
 */
#ifndef MARKETPLACE_IDEMPOTENCY_H
#define MARKETPLACE_IDEMPOTENCY_H

#include <stdbool.h>

#include "compiler.h"
#include "db.h"
#include "request.h"

/* Reads r's Idempotency-Key into r->idempotency.  True to go on (no key, or
 * a usable one); replies 400 to a malformed key and returns false. */
bool idempotency_prepare(struct request *r) MUST_CHECK;

/* The claim's (scope, path, key, body hash): parameters of IDEMPOTENCY_LOOKUP
 * and IDEMPOTENCY_CLAIM; they point into r. */
void idempotency_params(const struct request *r, const char *params[4]);

/* Answers from an IDEMPOTENCY_LOOKUP result: true to go on (nothing stored);
 * else it has replied (the stored response, 422 or the failure). */
bool idempotency_not_stored(struct request *r, const struct db_result *result) MUST_CHECK;

enum {
	IDEMPOTENCY_LOOKUP, /* (scope, route, key, hash) -> (same body?, status, body, etag) */
	IDEMPOTENCY_CLAIM,  /* (scope, route, key, hash) -> a row when the key is ours */
	IDEMPOTENCY_STORE,  /* (scope, route, key, status, body, etag) */
	IDEMPOTENCY_SWEEP,  /* removes expired keys */
};
extern const struct db_stmt idempotency_statements[];

#endif
