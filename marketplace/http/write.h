/*
 * The one path every write takes.  A handler validates its input, then
 * states its write — a statement, how the SQLSTATEs it may raise become
 * replies, and what "no row" means — and hands it to write_run with the
 * parameters; write_run runs it (inside a transaction with the
 * Idempotency-Key claim when the request has one, idempotency.h), sets
 * ETag and replies.
 *
 * A write statement returns one row (document, version, previous version):
 *  - document not NULL: done; the reply carries it (none for 204) and
 *    ETag: "<version>" when the statement returns a version;
 *  - document NULL (or no row) and previous version NOT NULL: the entity
 *    exists but the write did not apply: conflict_status (409, 412);
 *  - both NULL: there is no such entity (visible to the caller): 404.
 */
#ifndef MARKETPLACE_WRITE_H
#define MARKETPLACE_WRITE_H

#include "db.h"

struct request;

/* How an error the statement raises becomes a reply. */
struct write_error {
	const char *sqlstate;   /* "23505" */
	const char *constraint; /* a part of the constraint's name, or NULL for any */
	int status;             /* 409, 422, ... */
	const char *field;      /* 422: the field named in errors[] */
	const char *detail;     /* the problem's detail, or for 422 the field's message;
				 * NULL: the database's message is the detail, and its
				 * DETAIL, a JSON object, adds members to the problem
				 * (a 422's "errors", a 409's pointer to what it met) */
};

struct write {
	const struct db_stmt *stmt;
	const struct write_error *errors; /* ends with an entry without a sqlstate; may be NULL */
	int status;                       /* on success: 200, 201 or 204 */
	int conflict_status;              /* the entity exists but was not changed */
	const char *conflict_detail;
	const char *not_found_detail;
};

/* Runs spec with its stmt->nparams params (copied before return). Frees r. */
void write_run(struct request *r, const struct write *spec, const char *const *params);

#endif
