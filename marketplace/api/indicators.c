/* Indicators: the list, one with what is linked to it, values set by hand, and the task groups. */
#include "indicators.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "problem.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"

const struct db_stmt indicators_statements[] = {
	[INDICATORS_LIST] = {"indicators_list",
	"SELECT jsonb_build_object('items', jsonb_agg(indicator_json(i) ORDER BY i.sort_order),"
	" 'next_cursor', NULL)::text FROM plan_indicators i",
	0, false},

	/* $1 the code, $2 and $3 who is looking. */
	[INDICATORS_GET] = {"indicators_get", "SELECT indicator_detail($1, $2::uuid, $3::bool) WHERE $1 IS NOT NULL",
	3, false},

	[INDICATORS_SET_VALUE] = {"indicators_set_value",
	"SELECT * FROM indicator_value_set($1, $2::int, $3::jsonb, $4::int, $5, $6::uuid, $7)", 7, false},

	[INDICATORS_PLAN_TASKS] = {"indicators_plan_tasks",
	"SELECT jsonb_build_object('items', jsonb_agg(plan_task_group_json(g) ORDER BY g.no),"
	" 'next_cursor', NULL)::text FROM plan_task_groups g",
	0, false},
	{0},
};

static const char not_found[] = "The plan has no indicator with this code (KH43-T1 to KH43-T6, KH43-V2045, KH43-X1).";

static const struct write_error value_errors[] = {
	{"P0001", "deal_fields", 422, NULL, NULL},
	{"P0001", "indicator_computed", 409, NULL, NULL},
	{0},
};

static const struct write set_value_write = {&indicators_statements[INDICATORS_SET_VALUE], value_errors, 200, 409,
					     NULL, not_found};

void indicators_list(struct request *r)
{
	db_query(request_db_read(r), &indicators_statements[INDICATORS_LIST], NULL, respond_json_row, r);
}

/* The {code} parameter: NULL after a 404 when it could name no indicator. */
static const char *indicator_code(struct request *r)
{
	const char *code = route_param(&r->params, "code");
	if (code == NULL || strlen(code) > 32) {
		problem_reply(r, 404, not_found);
		return NULL;
	}
	return code;
}

void indicators_get(struct request *r)
{
	const char *code = indicator_code(r);
	if (code == NULL)
		return;
	const char *params[3] = {code, request_org(r), request_admin(r)};
	db_query(request_db_read(r), &indicators_statements[INDICATORS_GET], params, respond_json_row, r);
}

void indicators_set_value(struct request *r)
{
	/* The value's type and range depend on the indicator: indicator_value_set checks them. */
	static const struct field_rule fields[] = {
		{.name = "value", .flags = FIELD_NULLABLE, .min = 1, .max = 2000, .type = FIELD_SCALAR},
		{.name = "base", .flags = FIELD_NULLABLE, .min = 1, .max = 100000000, .type = FIELD_INTEGER},
		{.name = "note", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
		{0},
	};
	const char *code = indicator_code(r), *year = route_param(&r->params, "year");
	json_t *body;
	if (code == NULL || !input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = validate_fields(&v, body, fields, FIELDS_CREATE);
	if (year == NULL || strlen(year) != 4 || strspn(year, "0123456789") != 4)
		validate_error(&v, "year", "must be a year of the indicator's period, e.g. 2026");
	json_t *value = json_object_get(values, "value"), *base = json_object_get(values, "base");
	char *value_text = value != NULL ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	char base_text[24];
	if (base != NULL)
		snprintf(base_text, sizeof base_text, "%lld", (long long)json_integer_value(base));
	if (validate_passed(&v, r)) {
		const char *params[7] = {code, year, value_text, base != NULL ? base_text : NULL,
					 json_string_value(json_object_get(values, "note")), r->who.user_id,
					 request_id(r)};
		if (value != NULL && value_text == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &set_value_write, params);
	}
	free(value_text);
	json_decref(values);
	json_decref(body);
}

void indicators_plan_tasks(struct request *r)
{
	db_query(request_db_read(r), &indicators_statements[INDICATORS_PLAN_TASKS], NULL, respond_json_row, r);
}
