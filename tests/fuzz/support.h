/*
 * What the fuzz targets share: FUZZ_CHECK, which aborts so that libFuzzer
 * keeps the input as a finding when a property fails (a crash alone is not
 * the only bug), a NUL-terminated copy of the input, and oracles written
 * independently of the server's code so the targets can compare against
 * them: a UTF-8 validator straight from the Unicode standard's table of
 * well-formed byte sequences and a repair built on it, a check that a text
 * is one valid JSON document, and the check of a problem as problem_reply
 * would send it.
 */
#ifndef MARKETPLACE_FUZZ_SUPPORT_H
#define MARKETPLACE_FUZZ_SUPPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
_Noreturn void fuzz_fail(const char *what, const char *file, int line);

/* data[0..size) followed by a NUL, in a new buffer the caller frees. */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* Unicode 15, table 3-7; with allow_nul, U+0000 counts as well-formed. */
bool fuzz_utf8_well_formed(const char *s, size_t len, bool allow_nul);

/* The number of code points of a well-formed UTF-8 string. */
size_t fuzz_utf8_code_points(const char *s);

/*
 * text parses as exactly one JSON value (NUL bytes in strings allowed, as
 * \u0000 escapes) and is well-formed UTF-8; returns the value (caller owns).
 */
json_t *fuzz_json_parse_strict(const char *text, size_t len);

/* s with each byte that starts no well-formed character replaced by '?'; caller frees. */
char *fuzz_utf8_repaired(const char *s);

/*
 * out is what utf8_sanitize (core/text.h) must make of input in out_size
 * bytes: the longest prefix of fuzz_utf8_repaired(input) that ends between
 * two characters and leaves room for the NUL.
 */
void fuzz_check_sanitized(const char *input, const char *out, size_t out_size);

/*
 * The problem problem_reply(status, detail) (or problem_reply_errors, when
 * errors is not NULL; borrowed) sends: it exists, serialises to valid JSON
 * that reads back the same, with that status and detail made safe.
 */
void fuzz_check_problem(int status, const char *detail, json_t *errors);

#endif
