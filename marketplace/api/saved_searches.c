/* Saved searches: create, list and delete the caller's own. */
#include "saved_searches.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "listings.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"

#define SAVED_SEARCH_JSON(s) \
	"jsonb_build_object('id', " s ".id, 'name', " s ".name, 'filters', " s ".filters," \
	" 'created_at', rfc3339(" s ".created_at))::text"

/* A member keeps at most this many; the check is not serialised, so two
 * racing creates may pass it together, which is harmless. */
#define SAVED_SEARCHES_MAX "50"

const struct db_stmt saved_searches_statements[] = {
	[SAVED_SEARCHES_CREATE] = {"saved_searches_create",
	"WITH n AS (SELECT count(*) AS kept FROM saved_searches WHERE user_id = $1::uuid),"
	" s AS (INSERT INTO saved_searches (user_id, name, filters)"
	"  SELECT $1::uuid, $2, $3::jsonb FROM n WHERE n.kept < " SAVED_SEARCHES_MAX " RETURNING *)"
	" SELECT (SELECT " SAVED_SEARCH_JSON("s") " FROM s), NULL::int, (SELECT kept FROM n)",
	3, false},
	[SAVED_SEARCHES_LIST] = {"saved_searches_list",
	"SELECT to_char(s.created_at AT TIME ZONE 'UTC', " UTC_MICROS "), s.id, " SAVED_SEARCH_JSON("s")
	" FROM saved_searches s WHERE s.user_id = $1::uuid"
	"  AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))"
	" ORDER BY s.created_at DESC, s.id DESC LIMIT $4::int",
	4, false},
	[SAVED_SEARCHES_DELETE] = {"saved_searches_delete",
	"WITH d AS (DELETE FROM saved_searches WHERE id = $1::uuid AND user_id = $2::uuid RETURNING id)"
	" SELECT (SELECT '{}' FROM d), NULL::int, NULL::int",
	2, false},
	{0},
};

static const char not_found[] = "No such saved search of yours.";

static const struct write create_write = {
	&saved_searches_statements[SAVED_SEARCHES_CREATE], NULL, 201,
	409, "You keep " SAVED_SEARCHES_MAX " saved searches already; delete one first.", not_found,
};

static const struct write delete_write = {
	&saved_searches_statements[SAVED_SEARCHES_DELETE], NULL, 204, 409, NULL, not_found,
};

/* A filter from the saved search's JSON: strings as they are, whole numbers as text. */
static const char *json_filter(const void *filters, const char *name)
{
	json_t *value = json_object_get(filters, name);
	return json_is_string(value) ? json_string_value(value) : NULL;
}

/* The filters object, with its numbers and booleans as the strings a query would carry. */
static json_t *filters_as_text(struct validation *v, json_t *filters)
{
	json_t *text = json_object();
	const char *key, *const *known;
	json_t *value;
	json_object_foreach(filters, key, value) {
		for (known = listing_filter_names; *known != NULL && strcmp(*known, key) != 0; known++)
			;
		char field[96], number[32];
		snprintf(field, sizeof field, "filters.%s", key);
		if (*known == NULL)
			validate_error(v, field, "is not a filter of GET /api/v1/listings");
		else if (json_is_string(value))
			json_object_set(text, key, value);
		else if (json_is_integer(value) && snprintf(number, sizeof number, "%lld",
							     (long long)json_integer_value(value)) > 0)
			json_object_set_new(text, key, json_string(number));
		else
			validate_error(v, field, "must be a string or a whole number");
	}
	return text;
}

json_t *saved_search_validate(struct validation *v, json_t *body, json_t **filters)
{
	static const struct field_rule fields[] = {
		{.name = "name", .flags = FIELD_REQUIRED, .min = 1, .max = 100},
		/* Its members are checked by filters_as_text and listing_filters. */
		{.name = "filters", .flags = FIELD_REQUIRED, .type = FIELD_OBJECT},
		{0},
	};
	json_t *values = validate_fields(v, body, fields, FIELDS_CREATE);
	json_t *sent = json_object_get(values, "filters");
	json_t *text = sent != NULL ? filters_as_text(v, sent) : NULL;
	const char *problem = NULL;
	*filters = text != NULL && validate_ok(v) ? listing_filters(json_filter, text, &problem) : NULL;
	if (problem != NULL)
		validate_error(v, "filters", problem);
	json_decref(text);
	return values;
}

void saved_searches_create(struct request *r)
{
	json_t *body, *filters;
	if (!input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = saved_search_validate(&v, body, &filters);
	char *filters_text = filters != NULL ? json_dumps(filters, JSON_COMPACT) : NULL;
	if (validate_passed(&v, r)) {
		const char *params[3] = {r->who.user_id, json_string_value(json_object_get(values, "name")),
					 filters_text};
		if (filters_text == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &create_write, params);
	}
	free(filters_text);
	json_decref(filters);
	json_decref(values);
	json_decref(body);
}

void saved_searches_list(struct request *r)
{
	struct query q;
	if (!query_parse(r, (const char *const[]){NULL}, &q))
		return;
	const char *time, *id;
	if (query_time_id_cursor(r, &q, &time, &id)) {
		const char *params[4] = {r->who.user_id, time, id};
		respond_page_query(r, request_db(r), &saved_searches_statements[SAVED_SEARCHES_LIST], params, q.limit);
	}
	query_free(&q);
}

void saved_searches_delete(struct request *r)
{
	const char *id;
	if (!input_uuid_param(r, "id", not_found, &id))
		return;
	const char *params[2] = {id, r->who.user_id};
	write_run(r, &delete_write, params);
}
