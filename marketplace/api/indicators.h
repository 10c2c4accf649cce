/*
 * The plan's indicators (DESIGN.md section 6): each with its target, the
 * yearly series 2023-2030, the latest value and whether it is on track;
 * computed ones (KH43-T1, T3, X1) from verified completed deals, manual
 * ones set by administrators.  The figures are worked out in SQL
 * (indicator_json() of migration 0009), where the README's rules are
 * written once.  Also the plan's task groups with what serves them.
 */
#ifndef MARKETPLACE_INDICATORS_H
#define MARKETPLACE_INDICATORS_H

#include <jansson.h>

#include "db.h"
#include "reference.h"
#include "validate.h"

struct request;

void indicators_list(struct request *r);
void indicators_get(struct request *r);
/* PUT /indicators/{code}/values/{year} */
void indicators_set_value(struct request *r);
/* GET /plan/tasks */
void indicators_plan_tasks(struct request *r);

/*
 * The body of PUT /indicators/{code}/values/{year} for this (settable)
 * indicator and the route's year (NULL when absent), checked against what
 * the indicator measures; every error into v.  Returns a new object
 * (caller owns) of the members that passed.
 */
json_t *indicator_value_validate(struct validation *v, const struct reference_indicator *indicator,
				 const char *year, json_t *body);

enum { INDICATORS_LIST, INDICATORS_GET, INDICATORS_SET_VALUE, INDICATORS_PLAN_TASKS };
extern const struct db_stmt indicators_statements[];

#endif
