/*
 * One HTTP exchange, from the dispatcher to its single reply.  The request
 * is allocated by request_new and freed by whichever reply function answers
 * it; a handler that starts database work passes the request as the
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

/* Who is calling, once the dispatcher has looked the bearer token up. */
struct identity {
	bool authenticated;
	bool admin;
	bool owner;                 /* owns organization_id */
	char user_id[37];
	char organization_id[37];   /* "" for administrators */
	char token_hash[67];        /* "\\x" + hex SHA-256, as PostgreSQL reads a bytea */
};

/* A create carrying Idempotency-Key (idempotency.h); active is false otherwise. */
struct idempotency_claim {
	bool active;
	char scope[80];        /* "user:<uuid>" or "address:<client address>" */
	char key[256];
	char body_hash[67];    /* "\\x" + hex SHA-256 of the request body */
};

struct request {
	struct evhttp_request *ev;
	struct worker *worker;
	const struct route *route; /* NULL when no route matched */
	int route_index;           /* into the route table; -1 when none matched */
	struct route_params params;
	struct timespec started;
	char id[65];
	char client_address[64];   /* the TCP peer, or the client a trusted proxy names */
	struct identity who;
	unsigned identity_generation; /* identity_cache_generation() as the token lookup was sent */
	struct idempotency_claim idempotency;
};

/* A new request for ev (503 and NULL when out of memory); counted in flight. */
struct request *request_new(struct worker *w, struct evhttp_request *ev);

const char *request_id(const struct request *r);
/* Who is asking, as statement parameters: the caller's organisation (NULL
 * for administrators and anonymous callers), and "true" or "false" for
 * whether the caller is an administrator. */
const char *request_org(const struct request *r);
const char *request_admin(const struct request *r);
const char *request_header(const struct request *r, const char *name);
void request_add_header(struct request *r, const char *name, const char *value);
struct db_pool *request_db(const struct request *r);
struct db_pool *request_db_read(const struct request *r);
const char *request_method_name(const struct request *r);
/* The target's path as the client sent it (owned by the request), or NULL. */
const char *request_path(const struct request *r);

/* The request body, contiguous (owned by the request); *len its length. */
const char *request_body(struct request *r, size_t *len);

/* The standard reason phrase of an HTTP status ("Not Found"). */
const char *http_status_title(int status);

/* Replies with `len` bytes of `data` (copied); content_type NULL for none (204). Frees r.
 * Every reply to HEAD gets the headers, the body's Content-Length among them, and no body. */
void request_reply_data(struct request *r, int status, const char *content_type,
			const char *data, size_t len);

/*
 * As request_reply_data, but the body is referenced, not copied: data must
 * stay unchanged until the workers have stopped (the web front end's
 * snapshot, static_files.h).  Frees r.
 */
void request_reply_static(struct request *r, int status, const char *content_type,
			  const void *data, size_t len);

/* Replies with doc serialised (reference stolen; NULL means out of memory: 503). Frees r. */
void request_reply_json(struct request *r, int status, const char *content_type, json_t *doc);

#endif
