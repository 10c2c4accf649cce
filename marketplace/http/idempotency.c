/* Idempotency-Key: lookup and replay; write.c stores. */
#include "idempotency.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "problem.h"
#include "respond.h"

#define KEY_FRESH "created_at > now() - interval '24 hours'"

const struct db_stmt idempotency_statements[] = {
	[IDEMPOTENCY_LOOKUP] = {"idempotency_lookup",
				"SELECT request_hash = $4::bytea, status, body, etag FROM idempotency_keys"
				" WHERE scope = $1 AND route = $2 AND key = $3 AND " KEY_FRESH,
				4, false},
	/* An expired key is taken over; a live one (committed by a twin request
	 * that this statement waited for) yields no row. */
	[IDEMPOTENCY_CLAIM] = {"idempotency_claim",
			       "INSERT INTO idempotency_keys AS k (scope, route, key, request_hash)"
			       " VALUES ($1, $2, $3, $4::bytea)"
			       " ON CONFLICT (scope, route, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
			       "  status = 0, body = NULL, etag = NULL, created_at = now()"
			       " WHERE NOT (k." KEY_FRESH ") RETURNING 1",
			       4, false},
	[IDEMPOTENCY_STORE] = {"idempotency_store",
			       "UPDATE idempotency_keys SET status = $4::int, body = $5, etag = $6"
			       " WHERE scope = $1 AND route = $2 AND key = $3",
			       6, false},
	[IDEMPOTENCY_SWEEP] = {"idempotency_sweep",
			       "DELETE FROM idempotency_keys WHERE NOT (" KEY_FRESH ")", 0, false},
	{0},
};

/* Printable ASCII without spaces, as clients send UUIDs or random tokens. */
static bool acceptable_key(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	return true;
}

bool idempotency_prepare(struct request *r)
{
	const char *key = request_header(r, "Idempotency-Key");
	if (key == NULL)
		return true;
	if (!acceptable_key(key)) {
		problem_reply(r, 400, "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.");
		return false;
	}
	struct idempotency_claim *c = &r->idempotency;
	if (r->who.authenticated)
		snprintf(c->scope, sizeof c->scope, "user:%s", r->who.user_id);
	else
		snprintf(c->scope, sizeof c->scope, "address:%s", r->client_address);
	snprintf(c->key, sizeof c->key, "%s", key);

	size_t len;
	const char *body = request_body(r, &len);
	if (!sha256_bytea(body, len, c->body_hash)) {
		problem_reply(r, 503, "The request could not be processed; retry shortly.");
		return false;
	}
	c->active = true;
	return true;
}

void idempotency_params(const struct request *r, const char *params[4])
{
	params[0] = r->idempotency.scope;
	/* The path, not the route's pattern: a key sent to the interests of
	 * another listing is another request, not a replay of the first. */
	const char *path = request_path(r);
	params[1] = path != NULL ? path : r->route->pattern;
	params[2] = r->idempotency.key;
	params[3] = r->idempotency.body_hash;
}

bool idempotency_not_stored(struct request *r, const struct db_result *result)
{
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
		return false;
	}
	const PGresult *res = result->res;
	if (PQntuples(res) == 0)
		return true;
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		problem_reply(r, 422, "This Idempotency-Key was already used with a different body; "
				      "use a new key for a new request.");
		return false;
	}
	request_add_header(r, "Idempotency-Replayed", "true");
	respond_document(r, atoi(PQgetvalue(res, 0, 1)), PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2),
			 (size_t)PQgetlength(res, 0, 2), PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3));
	return false;
}
