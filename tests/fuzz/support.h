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

#include "validate.h"

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

/*
 * The reference data the targets validate against, installed (once, by
 * fuzz_install_reference) with reference_install as reference_load would
 * from the database: a few provinces and sectors of migration 0002 and the
 * plan's eight indicators as migration 0009 leaves them.  quang-binh is
 * not a province (merged into quang-tri), as in the integration tests.
 */
void fuzz_install_reference(void);
bool fuzz_sector_known(const char *code);
bool fuzz_province_known(const char *slug);
bool fuzz_indicator_known(const char *code);

/*
 * The oracle of validate_fields (http/validate.h) as a handler runs it:
 * values (what it returned; borrowed) from body under rules in mode, with
 * v's errors, every field name under prefix ("" at the top).  Judged
 * independently of validate.c's code from the rules' meaning: each error
 * is {field, message} with a short field name; a present value the rule
 * refuses has an error and is not kept; one it accepts is kept as sent
 * (rules across fields may add errors of their own); a missing required
 * member (create) or a removal of a member that is not nullable (update)
 * has an error; values holds only rules' members.  Returns the number of
 * unknown members (nested objects' included), each of which must have an
 * "unknown field" error: fuzz_check_unknown counts them.
 */
/* Whether a present, non-null value satisfies rule, by the rule's meaning
 * (an object's members are judged on their own): the oracle's verdict. */
bool fuzz_value_acceptable(const struct field_rule *rule, json_t *value);

size_t fuzz_check_fields(const struct validation *v, json_t *body, json_t *values,
			 const struct field_rule *rules, enum field_mode mode, const char *prefix);
void fuzz_check_unknown(const struct validation *v, size_t unknown);

/*
 * What deals.c's handlers do with a body, validate_fields(rules,
 * FIELDS_CREATE), judged by fuzz_check_fields and fuzz_check_refusal: the
 * accepted values (caller owns, serialising as valid JSON), or NULL when
 * refused.
 */
json_t *fuzz_validate_body(json_t *body, const struct field_rule *rules);

/* Whether v has an error for this field (its full name). */
bool fuzz_has_error(const struct validation *v, const char *field);

/* Every error is {field, message}; when there is one, the 422 serialises as a valid problem. */
void fuzz_check_refusal(const struct validation *v);

/*
 * The body as input_json_object (http/input.h) reads it: a JSON object
 * (caller owns), or NULL after checking the 400 problem that a body that
 * is not JSON, or not an object, gets.
 */
json_t *fuzz_body_json(const uint8_t *data, size_t size);

/* value's JSON text (any value) reads back as valid JSON equal to it. */
void fuzz_check_serialises(json_t *value);

#endif
