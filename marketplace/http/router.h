/* (method, path pattern) -> handler; patterns use OpenAPI's "{name}" segments. */
#ifndef MARKETPLACE_ROUTER_H
#define MARKETPLACE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct request;
typedef void (*route_handler)(struct request *r);

/*
 * Who may call a route; the dispatcher settles it before the handler runs
 * (api-spec/openapi.yaml says the same with each operation's `security`,
 * and `x-required-role: admin` for ROUTE_ADMIN).
 */
enum route_auth {
	ROUTE_PUBLIC,   /* no token looked at */
	ROUTE_OPTIONAL, /* anonymous without Authorization; a token sent must be valid (401) */
	ROUTE_MEMBER,   /* a valid token (401) */
	ROUTE_ADMIN,    /* a valid token (401) of an administrator (403) */
};

/* Route options. */
#define ROUTE_IDEMPOTENT 1u /* a create that honours Idempotency-Key (write.h) */

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/listings/{id}" */
	enum route_auth auth;
	route_handler handler;
	unsigned options;    /* ROUTE_* flags */
	/*
	 * The largest request body it takes, in bytes: a larger one is refused
	 * with 413 as soon as its head is in, before it is buffered (0: none).
	 * The spec says the same with each operation's x-max-body-bytes.
	 */
	size_t body_max;
};

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_STORAGE 512

/* Decoded values of a match's "{name}" segments; owned by whoever holds the struct. */
struct route_params {
	int count;
	const char *names[ROUTE_MAX_PARAMS];  /* point into the pattern, not terminated */
	size_t name_lens[ROUTE_MAX_PARAMS];
	const char *values[ROUTE_MAX_PARAMS]; /* point into storage, NUL-terminated */
	char storage[ROUTE_PARAM_STORAGE];
};

enum route_match { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/*
 * Matches a raw (percent-encoded) path without its query string.  On
 * ROUTE_FOUND sets *found and params; on ROUTE_METHOD_NOT_ALLOWED writes the
 * methods the path does accept into allow ("GET, POST").
 */
enum route_match router_match(const struct route *table, size_t count, const char *method,
			      const char *path, const struct route **found,
			      struct route_params *params, char *allow, size_t allow_len);

/* The decoded value of parameter `name`, or NULL. */
const char *route_param(const struct route_params *params, const char *name);

#endif
