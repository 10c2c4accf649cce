/*
 * Field validation of request bodies: checks collect {field, message}
 * errors, and validate_passed answers them all at once with a 422.
 */
#ifndef MARKETPLACE_VALIDATE_H
#define MARKETPLACE_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct request;

struct validation {
	json_t *errors; /* array, owned until validate_passed or validate_free */
	const char *prefix; /* "organization." for nested objects, or "" */
};

void validate_init(struct validation *v);
void validate_free(struct validation *v);
void validate_error(struct validation *v, const char *field, const char *message);
bool validate_ok(const struct validation *v);
/* Whether `field` (its full name, prefix included) has an error already. */
bool validate_has_error(const struct validation *v, const char *field);

/* True to go on when no error was collected; else replies 422 with them all.
 * Either way v is finished. */
bool validate_passed(struct validation *v, struct request *r) MUST_CHECK;

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

/*
 * The field rules of an entity, in one table shared by its create and its
 * update.  A text rule's value is a string of min..max characters, or one
 * of `choices`, then passes `check` (with check_message when it fails).
 */
#define FIELD_REQUIRED 1u  /* on create */
#define FIELD_NULLABLE 2u  /* may be absent on create, or set to null (removed) by an update */

enum field_type {
	FIELD_TEXT,      /* as above */
	FIELD_INTEGER,   /* a JSON integer in min..max */
	FIELD_BOOLEAN,
	FIELD_TEXT_LIST, /* an array of at most items_max distinct texts, each as FIELD_TEXT */
	FIELD_OBJECT,    /* an object whose members follow `members` (all of it, create mode) */
	FIELD_SCALAR,    /* a JSON number (the caller checks its range), or a text as FIELD_TEXT */
};

struct field_rule {
	const char *name;
	unsigned flags;
	size_t min, max;
	const char *const *choices;     /* NULL-terminated, or NULL for free text */
	bool (*check)(const char *value);
	const char *check_message;
	enum field_type type;
	size_t items_max;                  /* FIELD_TEXT_LIST */
	const struct field_rule *members;  /* FIELD_OBJECT; NULL: any members, the caller checks them */
};

enum field_mode { FIELDS_CREATE, FIELDS_UPDATE };

/*
 * Checks obj's members against rules (terminated by an entry without a
 * name): unknown members, and on create the required ones missing, are
 * errors too.  Returns a new object (caller owns) of the valid members;
 * on update a null member of a FIELD_NULLABLE rule stays null (removal).
 */
json_t *validate_fields(struct validation *v, json_t *obj, const struct field_rule *rules,
			enum field_mode mode);

bool valid_email(const char *email);
bool valid_tax_code(const char *tax_code);
bool valid_uuid(const char *text);
/* An RFC 3339 date-time with a time zone: 2026-11-28T06:47:45Z, ...+07:00. */
bool valid_rfc3339(const char *text);
/* An absolute http:// or https:// address with a host (no javascript:, data:, ...). */
bool valid_web_address(const char *text);
size_t utf8_length(const char *s);

#endif
