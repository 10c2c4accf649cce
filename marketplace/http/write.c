/* The declarative write path: run, map errors, reply; with Idempotency-Key, in one transaction. */
#include "write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idempotency.h"
#include "problem.h"
#include "request.h"
#include "respond.h"
#include "validate.h"

#define MAX_WRITE_PARAMS 32

struct write_call {
	struct request *r;
	const struct write *spec;
	struct db_tx *tx;            /* with Idempotency-Key */
	char *params[MAX_WRITE_PARAMS]; /* copies, until the statement is sent */
	/* A successful result, kept until the transaction commits. */
	int status;
	char *body;
	size_t body_len;
	char version[24];
};

static void write_call_free(struct write_call *c)
{
	for (int i = 0; i < c->spec->stmt->nparams; i++)
		free(c->params[i]);
	free(c->body);
	free(c);
}

static const struct write_error *matching_error(const struct write_error *errors,
						  const struct db_result *result)
{
	if (result->status != DB_QUERY_ERROR || errors == NULL)
		return NULL;
	const char *state = db_sqlstate(result);
	const char *constraint = PQresultErrorField(result->res, PG_DIAG_CONSTRAINT_NAME);
	for (const struct write_error *e = errors; e->sqlstate != NULL; e++)
		if (strcmp(e->sqlstate, state) == 0 &&
		    (e->constraint == NULL || (constraint != NULL && strstr(constraint, e->constraint) != NULL)))
			return e;
	return NULL;
}

/*
 * Replies to a write that did not take effect and returns false; returns
 * true, replying nothing, when it did.
 */
static bool took_effect(struct request *r, const struct write *spec, const struct db_result *result)
{
	const struct write_error *e = matching_error(spec->errors, result);
	if (e != NULL && e->detail == NULL) {
		const char *members = PQresultErrorField(result->res, PG_DIAG_MESSAGE_DETAIL);
		problem_reply_members(r, e->status, PQresultErrorField(result->res, PG_DIAG_MESSAGE_PRIMARY),
				      members != NULL ? json_loads(members, 0, NULL) : NULL);
		return false;
	}
	if (e != NULL) {
		if (e->status == 422)
			validate_reply_one(r, e->field, e->detail);
		else
			problem_reply(r, e->status, e->detail);
		return false;
	}
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
		return false;
	}
	const PGresult *res = result->res;
	if (PQntuples(res) == 1 && PQnfields(res) >= 1 && !PQgetisnull(res, 0, 0))
		return true;
	if (PQntuples(res) == 1 && PQnfields(res) >= 3 && !PQgetisnull(res, 0, 2))
		problem_reply(r, spec->conflict_status, spec->conflict_detail);
	else
		problem_reply(r, 404, spec->not_found_detail);
	return false;
}

/* The version of a result that took effect, or NULL. */
static const char *result_version(const PGresult *res)
{
	return PQnfields(res) >= 2 && !PQgetisnull(res, 0, 1) ? PQgetvalue(res, 0, 1) : NULL;
}

static void on_written(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (took_effect(c->r, c->spec, result)) {
		const PGresult *res = result->res;
		respond_document(c->r, c->spec->status, c->spec->status == 204 ? NULL : PQgetvalue(res, 0, 0),
				 (size_t)PQgetlength(res, 0, 0), result_version(res));
	}
	write_call_free(c);
}

/* ------------------------------------------------ with Idempotency-Key */

static void on_rolled_back(const struct db_result *result, void *arg)
{
	(void)result;
	write_call_free(arg);
}

static void on_committed(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (result->status != DB_OK)
		respond_db_failure(c->r, result);
	else
		respond_document(c->r, c->status, c->body, c->body_len, c->version[0] ? c->version : NULL);
	write_call_free(c);
}

static void on_stored(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (result->status != DB_OK) {
		respond_db_failure(c->r, result);
		db_tx_finish(c->tx, false, on_rolled_back, c);
		return;
	}
	db_tx_finish(c->tx, true, on_committed, c);
}

static void on_written_in_tx(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (!took_effect(c->r, c->spec, result)) {
		/* Only successes are stored: the claim goes with the rollback. */
		db_tx_finish(c->tx, false, on_rolled_back, c);
		return;
	}
	const PGresult *res = result->res;
	const char *version = result_version(res);
	c->status = c->spec->status;
	if (c->status != 204) {
		c->body_len = (size_t)PQgetlength(res, 0, 0);
		c->body = malloc(c->body_len + 1);
		if (c->body == NULL) {
			problem_reply(c->r, 503, "Out of memory.");
			db_tx_finish(c->tx, false, on_rolled_back, c);
			return;
		}
		memcpy(c->body, PQgetvalue(res, 0, 0), c->body_len + 1);
	}
	snprintf(c->version, sizeof c->version, "%s", version != NULL ? version : "");
	char status[8];
	snprintf(status, sizeof status, "%d", c->status);
	const char *claim[4];
	idempotency_params(c->r, claim);
	const char *params[6] = {claim[0], claim[1], claim[2], status, c->body, version};
	db_tx_query(c->tx, &idempotency_statements[IDEMPOTENCY_STORE], params, on_stored, c);
}

/* A twin request with the same key committed first: answer as it was answered. */
static void on_twin_looked_up(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (idempotency_not_stored(c->r, result))
		problem_reply(c->r, 409, "A request with this Idempotency-Key is being processed; retry shortly.");
	db_tx_finish(c->tx, false, on_rolled_back, c);
}

static void on_claimed(const struct db_result *result, void *arg)
{
	struct write_call *c = arg;
	if (result->status != DB_OK) {
		respond_db_failure(c->r, result);
		db_tx_finish(c->tx, false, on_rolled_back, c);
	} else if (PQntuples(result->res) == 0) {
		const char *params[4];
		idempotency_params(c->r, params);
		db_tx_query(c->tx, &idempotency_statements[IDEMPOTENCY_LOOKUP], params, on_twin_looked_up, c);
	} else {
		db_tx_query(c->tx, c->spec->stmt, (const char *const *)c->params, on_written_in_tx, c);
	}
}

static void on_begun(struct db_tx *tx, enum db_status status, void *arg)
{
	struct write_call *c = arg;
	if (tx == NULL) {
		struct db_result failed = {status, NULL};
		respond_db_failure(c->r, &failed);
		write_call_free(c);
		return;
	}
	c->tx = tx;
	const char *params[4];
	idempotency_params(c->r, params);
	db_tx_query(tx, &idempotency_statements[IDEMPOTENCY_CLAIM], params, on_claimed, c);
}

void write_run(struct request *r, const struct write *spec, const char *const *params)
{
	struct write_call *c = calloc(1, sizeof *c);
	if (c == NULL || spec->stmt->nparams > MAX_WRITE_PARAMS) {
		free(c);
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	c->r = r;
	c->spec = spec;
	if (!r->idempotency.active) {
		db_query(request_db(r), spec->stmt, params, on_written, c);
		return;
	}
	for (int i = 0; i < spec->stmt->nparams; i++) {
		if (params[i] != NULL && (c->params[i] = strdup(params[i])) == NULL) {
			write_call_free(c);
			problem_reply(r, 503, "Out of memory.");
			return;
		}
	}
	db_tx_begin(request_db(r), on_begun, c);
}
