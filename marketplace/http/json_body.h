/*
 * Request input checks that answer the client themselves (redis style): on
 * failure they reply with the right problem and return false, so a handler
 * reads `if (!json_body_object(r, &body)) return;`.  Query strings: query.h.
 */
#ifndef MARKETPLACE_JSON_BODY_H
#define MARKETPLACE_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>

struct request;

/* The body as a JSON object (caller owns *out): 415 unless Content-Type is
 * application/json, 400 when it is not JSON or not an object. */
bool json_body_object(struct request *r, json_t **out);

/* The pure check behind it, for unit tests. */
bool json_content_type_ok(const char *content_type);

#endif
