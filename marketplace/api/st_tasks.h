/*
 * The registry of the province's S&T tasks (DESIGN.md section 6): their
 * code, title, host organisation and year of acceptance.  Administrators
 * register them; technology offers name the task whose result they offer
 * (a listing's st_task), which is how KH43-T1 counts the tasks applied in
 * practice.
 */
#ifndef MARKETPLACE_ST_TASKS_H
#define MARKETPLACE_ST_TASKS_H

#include "db.h"

struct request;

void st_tasks_list(struct request *r);
void st_tasks_create(struct request *r);
void st_tasks_get(struct request *r);

enum { ST_TASKS_LIST, ST_TASKS_CREATE, ST_TASKS_GET };
extern const struct db_stmt st_tasks_statements[];

#endif
