/* Organisations: the public directory of verified ones, edits and verification. */
#ifndef MARKETPLACE_ORGANIZATIONS_H
#define MARKETPLACE_ORGANIZATIONS_H

#include "db.h"

struct request;

void organizations_list(struct request *r);
void organizations_get(struct request *r);
void organizations_update(struct request *r);
void organizations_verify(struct request *r);

/* The kinds an organisation may be (DESIGN.md section 4), NULL-terminated. */
extern const char *const organization_kinds[];

extern const struct db_stmt organizations_list_stmt, organizations_get_stmt,
	organizations_update_stmt, organizations_verify_stmt;

#endif
