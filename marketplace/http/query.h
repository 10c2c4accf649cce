/*
 * Query strings of list endpoints: known parameters only (400 otherwise),
 * ?limit= 1..100 (default 20) and an opaque keyset ?cursor=.  Like
 * input.h, the check replies itself and returns true to go on.
 */
#ifndef MARKETPLACE_QUERY_H
#define MARKETPLACE_QUERY_H

#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct request;

struct query {
	struct evkeyvalq params;
	int limit;
	char cursor[160]; /* decoded; "" when absent */
};

/* Parses r's query string, refusing names outside `allowed` (NULL-terminated;
 * "limit" and "cursor" are always allowed).  On success query_free must follow. */
bool query_parse(struct request *r, const char *const *allowed, struct query *q) MUST_CHECK;
void query_free(struct query *q);

/* How a page statement writes a time key of its cursor, to the microsecond
 * in UTC: to_char(t AT TIME ZONE 'UTC', UTC_MICROS). */
#define UTC_MICROS "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"

/*
 * The keys of a cursor written by a page statement ordered by (time, id):
 * splits q->cursor in place.  True with both NULL when there is none;
 * false after replying 400 when it does not have that shape.  Either way
 * query_free must follow.
 */
bool query_time_id_cursor(struct request *r, struct query *q, const char **time, const char **id) MUST_CHECK;

/*
 * query_time_id_cursor's split of a decoded cursor "<time>|<id>", in place
 * (the '|' becomes a NUL; *time and *id point into cursor): false, with
 * cursor untouched, when it is not a time and an id.  Pure, for the fuzz
 * target of cursors.
 */
bool cursor_time_id(char *cursor, const char **time, const char **id) MUST_CHECK;

/* A parameter's value, or NULL when absent or empty. */
const char *query_get(const struct query *q, const char *name);

/* Pure helpers, for unit tests and for writing next_cursor. */
bool parse_limit(const char *text, int *limit);
/*
 * A signed, opaque cursor for text into out (false when out is too small),
 * and back: false for anything cursor_encode did not write with this key.
 */
bool cursor_encode(const char *text, char *out, size_t out_size);
bool cursor_decode(const char *encoded, char *out, size_t out_size);

/* The key cursors are signed with, shared by every instance (the database
 * keeps it); set once at start, before the workers run. */
void query_set_cursor_key(const void *key, size_t len);

#endif
