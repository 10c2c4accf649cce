/*
 * Saved searches: a member keeps the filters of GET /listings under a
 * name, and is notified (in the approval's transaction, migration 0007's
 * listing_after_transition) of each newly published listing that meets
 * them.
 */
#ifndef MARKETPLACE_SAVED_SEARCHES_H
#define MARKETPLACE_SAVED_SEARCHES_H

#include <jansson.h>

#include "db.h"
#include "validate.h"

struct request;

void saved_searches_create(struct request *r);
void saved_searches_list(struct request *r);
void saved_searches_delete(struct request *r);

/*
 * POST /saved-searches' body checked: a name and the filters of GET
 * /listings (listing_filters, whole numbers as their text), every error
 * into v.  Returns a new object (caller owns) of the members that passed;
 * *filters is a new object (caller owns) of the filters as stored, or NULL
 * when v has errors.
 */
json_t *saved_search_validate(struct validation *v, json_t *body, json_t **filters);

enum { SAVED_SEARCHES_CREATE, SAVED_SEARCHES_LIST, SAVED_SEARCHES_DELETE };
extern const struct db_stmt saved_searches_statements[];

#endif
