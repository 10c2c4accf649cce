/*
 * UTF-8 checks for text that reaches JSON (problems, logs): jansson refuses
 * invalid UTF-8, so client bytes are checked or made safe first.
 */
#ifndef MARKETPLACE_TEXT_H
#define MARKETPLACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or NULs). */
bool utf8_valid(const char *s, size_t len);

/*
 * Copies the NUL-terminated s into out (out_size > 0), replacing each byte
 * that does not start a well-formed sequence with '?', and cutting only at
 * a character boundary when out is too small.  Returns out.
 */
char *utf8_sanitize(const char *s, char *out, size_t out_size);

#endif
