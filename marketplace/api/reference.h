/* Reference data seeded by migration: provinces, sectors, the plan's task groups. */
#ifndef MARKETPLACE_REFERENCE_H
#define MARKETPLACE_REFERENCE_H

#include "db.h"

struct request;

void reference_provinces(struct request *r);
void reference_sectors(struct request *r);
void reference_plan_tasks(struct request *r);

/* Statements, by index; the set ends with an entry without a name. */
enum { REFERENCE_PROVINCES, REFERENCE_SECTORS, REFERENCE_PLAN_TASKS };
extern const struct db_stmt reference_statements[];

#endif
