/* Indicators: the list, one with what is linked to it, values set by hand, and the task groups. */
#include "indicators.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "problem.h"
#include "reference.h"
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
	/* No row for a code the plan does not have. */
	[INDICATORS_GET] = {"indicators_get",
	"SELECT d FROM (SELECT indicator_detail($1, $2::uuid, $3::bool) AS d) x WHERE d IS NOT NULL",
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

static const struct write set_value_write = {&indicators_statements[INDICATORS_SET_VALUE], NULL, 200, 409, NULL,
					     not_found};

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

/*
 * Checks the value (or KH43-T3's base) against what the indicator
 * measures.  `value` and `base` are the members as sent (NULL: absent or
 * null); one whose rule refused it already has its error.
 */
static void check_value(struct validation *v, const struct reference_indicator *indicator, json_t *value,
			json_t *base)
{
	bool takes_base = strcmp(indicator->code, "KH43-T3") == 0;
	bool value_refused = validate_has_error(v, "value"), base_refused = validate_has_error(v, "base");
	double number = json_number_value(value);
	if (takes_base) {
		if (value != NULL && !value_refused)
			validate_error(v, "value", "KH43-T3 is computed from verified deals: set the year's enterprise "
						   "base (base) instead");
		if (base == NULL)
			validate_error(v, "base", "is required: the number of enterprises the year's share is counted over");
		return;
	}
	if (base != NULL && !base_refused)
		validate_error(v, "base", "only KH43-T3 takes an enterprise base");
	if (value_refused)
		return;
	if (value == NULL)
		validate_error(v, "value", "is required");
	else if (strcmp(indicator->unit, "percent") == 0 && (!json_is_number(value) || number < 0 || number > 100))
		validate_error(v, "value", "must be a percentage from 0 to 100");
	else if (strncmp(indicator->unit, "count_", 6) == 0 &&
		 (!json_is_integer(value) || json_integer_value(value) < 0 || json_integer_value(value) > 1000000))
		validate_error(v, "value", "must be a whole number from 0 to 1000000");
	else if (strcmp(indicator->unit, "text") == 0 && !json_is_string(value))
		validate_error(v, "value", "must be a text (the assessment)");
}

json_t *indicator_value_validate(struct validation *v, const struct reference_indicator *indicator,
				 const char *year, json_t *body)
{
	static const struct field_rule fields[] = {
		{.name = "value", .flags = FIELD_NULLABLE, .min = 1, .max = 2000, .type = FIELD_SCALAR},
		{.name = "base", .flags = FIELD_NULLABLE, .min = 1, .max = 100000000, .type = FIELD_INTEGER},
		{.name = "note", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
		{0},
	};
	json_t *values = validate_fields(v, body, fields, FIELDS_CREATE);
	int y = year != NULL && strlen(year) == 4 && strspn(year, "0123456789") == 4 ? atoi(year) : 0;
	char message[96];
	snprintf(message, sizeof message, "must be a year of the indicator's period, %d to %d", indicator->year_from,
		 indicator->year_to);
	if (y < indicator->year_from || y > indicator->year_to)
		validate_error(v, "year", message);
	json_t *sent_value = json_object_get(body, "value"), *sent_base = json_object_get(body, "base");
	check_value(v, indicator, json_is_null(sent_value) ? NULL : sent_value, json_is_null(sent_base) ? NULL : sent_base);
	return values;
}

void indicators_set_value(struct request *r)
{
	const char *code = indicator_code(r), *year = route_param(&r->params, "year");
	struct reference_indicator found;
	const struct reference_indicator *indicator = code != NULL && reference_indicator(code, &found) ? &found : NULL;
	json_t *body;
	if (code == NULL)
		return;
	if (indicator == NULL) {
		problem_reply(r, 404, not_found);
		return;
	}
	if (indicator->computed && strcmp(code, "KH43-T3") != 0) {
		problem_reply(r, 409, "This indicator is computed from verified completed deals; it has no values to set.");
		return;
	}
	if (!input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = indicator_value_validate(&v, indicator, year, body);
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
