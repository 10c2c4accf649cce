/* Reference data seeded by migration: provinces, sectors, the plan's task groups. */
#ifndef MARKETPLACE_REFERENCE_H
#define MARKETPLACE_REFERENCE_H

#include "db.h"

struct request;

void reference_provinces(struct request *r);
void reference_sectors(struct request *r);
void reference_plan_tasks(struct request *r);

extern const struct db_stmt reference_provinces_stmt, reference_sectors_stmt,
	reference_plan_tasks_stmt;

#endif
