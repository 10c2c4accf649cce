/*
 * One HTTP exchange from routing to its single reply.  The request is
 * allocated when evhttp hands it over and freed by whichever reply function
 * answers it; a handler that starts database work passes the request as the
 * callback argument and must not touch it after a reply.
 */
#ifndef MARKETPLACE_REQUEST_H
#define MARKETPLACE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "router.h"

struct evhttp_request;
struct worker;
struct db_pool;

/* Who is calling, once auth.c has looked the bearer token up. */
struct identity {
	bool authenticated;
	bool admin;
	bool owner;                 /* owns organization_id */
	char user_id[37];
	char organization_id[37];   /* "" for administrators */
	char token_hash[67];        /* "\\x" + hex SHA-256, as PostgreSQL reads a bytea */
};

struct request {
	struct evhttp_request *ev;
	struct worker *worker;
	const struct route *route; /* NULL when no route matched */
	int route_index;           /* into the route table; -1 when none matched */
	struct route_params params;
	struct timespec started;
	char id[65];
	struct identity who;
	route_handler next;         /* where auth.c continues once the caller is known */
	bool admin_only;            /* auth.c answers 403 to a caller who is not an admin */
};

/* Routes ev through table (count entries) and runs the handler or an error reply. */
void request_dispatch(struct worker *w, struct evhttp_request *ev, const struct route *table,
		      size_t count);

const char *request_id(const struct request *r);
const char *request_header(const struct request *r, const char *name);
void request_add_header(struct request *r, const char *name, const char *value);
struct db_pool *request_db(const struct request *r);
struct db_pool *request_db_read(const struct request *r);

/* Replies with `len` bytes of `data` (copied); content_type NULL for none (204). Frees r. */
void request_reply_data(struct request *r, int status, const char *content_type,
			const char *data, size_t len);

/* Replies with doc serialised (reference stolen; NULL means out of memory: 503). Frees r. */
void request_reply_json(struct request *r, int status, const char *content_type, json_t *doc);

#endif
