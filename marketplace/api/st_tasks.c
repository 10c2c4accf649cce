/* S&T tasks: list, register (administrators), and one with the offers linked to it. */
#include "st_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"

#define TASK_LISTING_SHOWN "(NOT l.anonymous OR listing_entitled(l, $2::uuid, $3::bool))"

const struct db_stmt st_tasks_statements[] = {
	/* Newest year first, then by code: $1 a year, $2 and $3 the cursor's keys, $4 the row count. */
	[ST_TASKS_LIST] = {"st_tasks_list",
	"SELECT t.year_accepted, t.code, st_task_json(t)::text FROM st_tasks t"
	" WHERE ($1::int IS NULL OR t.year_accepted = $1::int)"
	"  AND ($2::int IS NULL OR (t.year_accepted < $2::int OR (t.year_accepted = $2::int AND t.code > $3)))"
	" ORDER BY t.year_accepted DESC, t.code LIMIT $4::int",
	4, true},

	[ST_TASKS_CREATE] = {"st_tasks_create", "SELECT * FROM st_task_create($1::jsonb, $2::uuid, $3)", 3, false},

	/* $1 the code, $2 and $3 who is looking.  An anonymous listing is not
	 * linked to the task, whose record names its host, for whoever may not
	 * see its owner (migration 0014). */
	[ST_TASKS_GET] = {"st_tasks_get",
	"SELECT (st_task_json(t) || jsonb_build_object('listings', jsonb_build_object("
	"  'count', (SELECT count(*) FROM listings l WHERE l.st_task = t.code AND l.status = 'published'"
	"            AND l.kind LIKE '%offer' AND " TASK_LISTING_SHOWN "),"
	"  'latest', coalesce((SELECT jsonb_agg(listing_json(l, $2::uuid, $3::bool) ORDER BY l.listed_at DESC)"
	"            FROM (SELECT * FROM listings l WHERE l.st_task = t.code AND l.status = 'published'"
	"                  AND l.kind LIKE '%offer' AND " TASK_LISTING_SHOWN
	"                  ORDER BY l.listed_at DESC LIMIT 5) l), '[]'))))::text"
	" FROM st_tasks t WHERE t.code = $1",
	3, false},
	{0},
};

static const char not_found[] = "No S&T task is registered under this code.";

/* Letters (any, Vietnamese too), digits and . / _ -: the characters of the province's task codes. */
static bool valid_task_code(const char *code)
{
	for (const unsigned char *c = (const unsigned char *)code; *c; c++)
		if (!(*c >= 0x80 || (*c >= '0' && *c <= '9') || ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') ||
		      strchr("./_-", *c) != NULL))
			return false;
	return true;
}


static const struct write_error task_errors[] = {
	{"23505", "st_tasks_pkey", 409, NULL, "An S&T task is registered under this code already."},
	{"23503", "organization", 422, "organization_id", "is not the id of a registered organisation"},
	{"23514", "code", 422, "code", "must be 1 to 64 letters, digits and . / _ -"},
	{0},
};

static const struct write create_write = {&st_tasks_statements[ST_TASKS_CREATE], task_errors, 201, 409, NULL,
					  not_found};

void st_tasks_create(struct request *r)
{
	static const struct field_rule fields[] = {
		{.name = "code", .flags = FIELD_REQUIRED, .min = 1, .max = 64, .check = valid_task_code,
		 .check_message = "must be letters, digits and . / _ - only, e.g. ĐTKH.QT-2023-05"},
		{.name = "title", .flags = FIELD_REQUIRED, .min = 3, .max = 500},
		{.name = "host_organization", .flags = FIELD_REQUIRED, .min = 2, .max = 300},
		{.name = "organization_id", .flags = FIELD_NULLABLE, .min = 36, .max = 36, .check = valid_uuid,
		 .check_message = "must be the id of a registered organisation"},
		{.name = "year_accepted", .flags = FIELD_REQUIRED, .min = 2000, .max = 2100, .type = FIELD_INTEGER},
		{0},
	};
	json_t *body;
	if (!input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = validate_fields(&v, body, fields, FIELDS_CREATE);
	json_t *year = json_object_get(values, "year_accepted");
	time_t now = time(NULL) + 7 * 3600; /* the year in Vietnam */
	struct tm today;
	gmtime_r(&now, &today);
	if (year != NULL && json_integer_value(year) > today.tm_year + 1900)
		validate_error(&v, "year_accepted", "must not be a year still to come");
	char *doc = validate_ok(&v) ? json_dumps(values, JSON_COMPACT) : NULL;
	if (validate_passed(&v, r)) {
		const char *params[3] = {doc, r->who.user_id, request_id(r)};
		if (doc == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &create_write, params);
	}
	free(doc);
	json_decref(values);
	json_decref(body);
}

static bool year_text(const char *s)
{
	return s != NULL && strlen(s) == 4 && strspn(s, "0123456789") == 4;
}

void st_tasks_list(struct request *r)
{
	static const char *const allowed[] = {"year", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	const char *year = query_get(&q, "year");
	/* The cursor: "<year>|<code>", written by the statement. */
	char *code = q.cursor[0] ? strchr(q.cursor, '|') : NULL;
	if (year != NULL && !year_text(year)) {
		problem_reply(r, 400, "year must be a year, e.g. 2024.");
	} else if (q.cursor[0] && (code == NULL || (*code = '\0', !year_text(q.cursor)))) {
		problem_reply(r, 400, "cursor is not one this server handed out.");
	} else {
		const char *params[4] = {year, q.cursor[0] ? q.cursor : NULL, code != NULL ? code + 1 : NULL};
		respond_page_query(r, request_db_read(r), &st_tasks_statements[ST_TASKS_LIST], params, q.limit);
	}
	query_free(&q);
}

void st_tasks_get(struct request *r)
{
	const char *code = route_param(&r->params, "code");
	if (code == NULL || strlen(code) > 256) {
		problem_reply(r, 404, not_found);
		return;
	}
	const char *params[3] = {code, request_org(r), request_admin(r)};
	db_query(request_db_read(r), &st_tasks_statements[ST_TASKS_GET], params, respond_json_row, r);
}
