/* Replies built from database outcomes, shared by every resource's handlers. */
#ifndef MARKETPLACE_RESPOND_H
#define MARKETPLACE_RESPOND_H

#include "db.h"

struct request;

/* Answers a failed database call: 503 + Retry-After when the database is
 * unreachable or slow; a logged 500 for a query the server refused. Frees r. */
void respond_db_failure(struct request *r, const struct db_result *result);

/* A db_callback (arg: the request) for statements that build their JSON
 * document in SQL: replies 200 with the first column of the first row. */
void respond_json_row(const struct db_result *result, void *arg);

#endif
