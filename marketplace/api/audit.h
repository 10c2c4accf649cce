/*
 * The audit log, read by administrators.  Rows are written by the domain
 * statements themselves, in the transaction of the action they record;
 * the table refuses UPDATE, DELETE and TRUNCATE (migration 0003).
 */
#ifndef MARKETPLACE_AUDIT_H
#define MARKETPLACE_AUDIT_H

#include "db.h"

struct request;

void audit_list(struct request *r);

/* Statements, by index; the set ends with an entry without a name. */
enum { AUDIT_LIST };
extern const struct db_stmt audit_statements[];

#endif
