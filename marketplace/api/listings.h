/*
 * Listings: technology and equipment offers and demands, their lifecycle
 * (the transition table of migration 0007, which the database enforces),
 * search, and the public changes feed.  What a caller may see of a
 * listing is decided once, by listing_json() in SQL.
 */
#ifndef MARKETPLACE_LISTINGS_H
#define MARKETPLACE_LISTINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "db.h"
#include "validate.h"

struct request;

void listings_create(struct request *r);
void listings_list(struct request *r);
void listings_get(struct request *r);
void listings_update(struct request *r);
void listings_delete(struct request *r);
/* POST /listings/{id}/<action>: the action is the route's last segment. */
void listings_act(struct request *r);
void listings_changes(struct request *r);

/*
 * The listing a route's {id} names, by its id (*id) or its reference
 * (*ref, upper-cased into ref_buf); the other is NULL.  False after a 404
 * when it can name no listing.
 */
bool listings_key(struct request *r, const char **id, const char **ref, char ref_buf[32]);

/* The query names GET /listings filters by (NULL-terminated). */
extern const char *const listing_filter_names[];

/*
 * The filters of GET /listings, each read with get(source, name) (NULL
 * when absent), as a new JSON object of strings (caller owns): the form
 * listing_meets() reads in SQL and saved searches store.  NULL with
 * *error set (a static message) when a value is not valid.
 */
typedef const char *(*listing_filter_get)(const void *source, const char *name);
json_t *listing_filters(listing_filter_get get, const void *source, const char **error);

/* The fields of a listing, shared by its create and its patch (listing_validate). */
extern const struct field_rule listing_fields[];

/*
 * The valid members of a listing body, as listings_create (FIELDS_CREATE:
 * the whole document) and listings_update (FIELDS_UPDATE: a patch, which
 * may not name the kind) check it: the field rules, then the rules across
 * fields and the reference codes (reference.h's snapshot).  Every error
 * goes into v; returns a new object (caller owns) of the members that
 * passed, with a patch's removals as nulls.
 */
json_t *listing_validate(struct validation *v, json_t *body, enum field_mode mode);

/*
 * The keys of a decoded GET /listings cursor, "<letter>|<key>|<id>", split
 * in place: letter is the sort's ('n', 'p', 'r'), in capitals for a fuzzy
 * search (*fuzzy).  *key and *last_id point into cursor.  False, cursor
 * untouched, when it is not a cursor of that sort.
 */
bool listing_cursor_keys(char *cursor, char letter, char **key, char **last_id, bool *fuzzy);

/* The changes feed's position (a sequence number, digits) of a since= cursor
 * into seq, NUL included; false when it is none or does not fit. */
#define LISTING_POSITION_SIZE 24
bool listing_changes_position(const char *cursor, char seq[LISTING_POSITION_SIZE]);

enum {
	LISTINGS_CREATE,
	LISTINGS_GET,
	LISTINGS_EDIT,
	LISTINGS_DELETE,
	LISTINGS_TRANSITION,
	LISTINGS_SEARCH_NEWEST,
	LISTINGS_SEARCH_PRICE,
	LISTINGS_SEARCH_RELEVANCE,
	LISTINGS_CHANGES,
	LISTINGS_EXPIRE,
	LISTINGS_WARN_EXPIRING,
};
extern const struct db_stmt listings_statements[];

#endif
