/*
 * Request input checks that answer the client themselves (redis style): on
 * failure they reply with the right problem and return false, so a handler
 * reads `if (!input_json_object(r, &body)) return;`.  All return true to go
 * on and are MUST_CHECK.  Query strings: query.h; body fields: validate.h.
 */
#ifndef MARKETPLACE_INPUT_H
#define MARKETPLACE_INPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "compiler.h"

struct request;

/* The body as a JSON object (caller owns *out): 415 unless Content-Type is
 * application/json, 400 when it is not JSON or not an object. */
bool input_json_object(struct request *r, json_t **out) MUST_CHECK;

/* Path parameter `name` as a UUID (*out points into r): 404 with
 * not_found_detail otherwise, since such an id names nothing. */
bool input_uuid_param(struct request *r, const char *name, const char *not_found_detail,
		      const char **out) MUST_CHECK;

/*
 * If-Match: "<version>" -> *version points to the digits, copied into buf;
 * absent or "*" -> *version is NULL (no condition).  Anything else can never
 * match a version: 412 with stale_detail.
 */
bool input_if_match(struct request *r, const char *stale_detail, char buf[16],
		    const char **version) MUST_CHECK;

/* The pure check behind input_json_object, for unit tests. */
bool json_content_type_ok(const char *content_type);

#endif
