/*
 * Field validation of request bodies: checks collect {field, message}
 * errors, and validate_reply answers them all at once with a 422.
 */
#ifndef MARKETPLACE_VALIDATE_H
#define MARKETPLACE_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct request;

struct validation {
	json_t *errors; /* array, owned until validate_reply or validate_free */
	const char *prefix; /* "organization." for nested objects, or "" */
};

void validate_init(struct validation *v);
void validate_free(struct validation *v);
void validate_error(struct validation *v, const char *field, const char *message);
bool validate_ok(const struct validation *v);

/* If errors were collected: replies 422 with them and returns true. */
bool validate_reply(struct validation *v, struct request *r);

/* Replies 422 with the one error {field, message}. */
void validate_reply_one(struct request *r, const char *field, const char *message);

/* The message for a province slug the database's reference table refused. */
#define UNKNOWN_PROVINCE "is not a province slug (see GET /api/v1/provinces)"

/* Every member of obj must be in allowed (NULL-terminated); others are errors. */
void validate_known_fields(struct validation *v, json_t *obj, const char *const *allowed);

/*
 * A string member of length min..max characters (UTF-8 code points), after
 * trimming spaces.  Absent or null: NULL, and an error when required.  The
 * string returned belongs to obj.
 */
const char *validate_string(struct validation *v, json_t *obj, const char *field, bool required,
			    size_t min, size_t max);

/* An object member (required); NULL and an error otherwise. */
json_t *validate_object(struct validation *v, json_t *obj, const char *field);

/* One of `choices` (NULL-terminated); returns it or NULL. */
const char *validate_enum(struct validation *v, json_t *obj, const char *field, bool required,
			  const char *const *choices);

bool valid_email(const char *email);
bool valid_tax_code(const char *tax_code);
bool valid_uuid(const char *text);
size_t utf8_length(const char *s);

#endif
