/* Organisations: the public directory of verified ones, edits and verification. */
#ifndef MARKETPLACE_ORGANIZATIONS_H
#define MARKETPLACE_ORGANIZATIONS_H

#include "db.h"
#include "validate.h"

struct request;

void organizations_list(struct request *r);
void organizations_get(struct request *r);
void organizations_update(struct request *r);
void organizations_verify(struct request *r);

/* The kinds an organisation may be (DESIGN.md section 4), NULL-terminated. */
extern const char *const organization_kinds[];

/* The fields of an organisation, shared by registration and PATCH. */
extern const struct field_rule organization_fields[];

/* Statements, by index; the set ends with an entry without a name. */
enum { ORGANIZATIONS_LIST, ORGANIZATIONS_GET, ORGANIZATIONS_UPDATE, ORGANIZATIONS_VERIFY };
extern const struct db_stmt organizations_statements[];

#endif
