/*
 * A growing buffer for JSON documents written by hand where building
 * jansson objects would cost too much (list responses).  The owner frees
 * `data`; after an allocation failure the buffer stays `failed` and
 * ignores further writes, so callers check once at the end.
 */
#ifndef MARKETPLACE_JSON_OUT_H
#define MARKETPLACE_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct json_out {
	char *data;
	size_t len, cap;
	bool failed;
};

void json_out_put(struct json_out *o, const char *s, size_t n);
void json_out_puts(struct json_out *o, const char *s);

/* Appends s[0..n) as a JSON string literal; s must be valid UTF-8. */
void json_out_string(struct json_out *o, const char *s, size_t n);

#endif
