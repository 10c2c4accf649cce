/* Replies built from database outcomes. */
#include "respond.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "problem.h"
#include "json_out.h"
#include "query.h"
#include "request.h"

void respond_db_failure(struct request *r, const struct db_result *result)
{
	switch (result->status) {
	case DB_TIMEOUT:
		problem_reply(r, 503, "The database did not answer in time; retry shortly.");
		return;
	case DB_QUERY_ERROR:
		/* Every value reaches SQL as a parameter: a data exception is bad input. */
		if (strncmp(db_sqlstate(result), "22", 2) == 0) {
			problem_reply(r, 400, "A value in the request is malformed.");
			return;
		}
		log_msg(LOG_ERROR, request_id(r), "query failed: %s",
			result->res ? PQresultErrorMessage(result->res) : "no result");
		problem_reply(r, 500, "The request could not be completed.");
		return;
	case DB_OK:
	case DB_UNAVAILABLE:
		break;
	}
	problem_reply(r, 503, "The database is unreachable; retry shortly.");
}

void respond_json_row(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status == DB_OK && PQntuples(result->res) == 0) {
		problem_reply(r, 404, "No such resource, or it is not visible to you.");
		return;
	}
	if (result->status != DB_OK || PQntuples(result->res) != 1 || PQgetisnull(result->res, 0, 0)) {
		respond_db_failure(r, result);
		return;
	}
	request_reply_data(r, 200, "application/json", PQgetvalue(result->res, 0, 0),
			   (size_t)PQgetlength(result->res, 0, 0));
}

/* Replies 200 with the document in o (503 if building it ran out of memory); frees it. */
static void out_reply(struct request *r, struct json_out *o)
{
	if (o->failed)
		problem_reply(r, 503, "Out of memory.");
	else
		request_reply_data(r, 200, "application/json", o->data, o->len);
	free(o->data);
}

bool respond_items_render(struct json_out *o, const PGresult *res, const struct item_field *fields,
			  int nfields)
{
	if (PQnfields(res) != nfields)
		return false;
	json_out_puts(o, "{\"items\":[");
	for (int row = 0; row < PQntuples(res); row++) {
		json_out_puts(o, row ? ",{" : "{");
		for (int col = 0; col < nfields; col++) {
			if (col)
				json_out_put(o, ",", 1);
			json_out_put(o, fields[col].key, fields[col].key_len);
			const char *v = PQgetvalue(res, row, col);
			size_t n = (size_t)PQgetlength(res, row, col);
			if (PQgetisnull(res, row, col))
				json_out_puts(o, "null");
			else if (fields[col].kind == ITEM_STRING)
				json_out_string(o, v, n);
			else
				json_out_put(o, v, n);
		}
		json_out_put(o, "}", 1);
	}
	json_out_puts(o, "],\"next_cursor\":null}");
	return true;
}

void respond_items(struct request *r, const struct db_result *result,
		   const struct item_field *fields, int nfields)
{
	struct json_out o = {0};
	if (result->status != DB_OK || !respond_items_render(&o, result->res, fields, nfields)) {
		free(o.data);
		respond_db_failure(r, result);
		return;
	}
	out_reply(r, &o);
}

/* Whether an If-None-Match list ("a", W/"b", or *) names etag; weak comparison (RFC 9110 13.1.2). */
static bool etag_listed(const char *list, const char *etag)
{
	size_t etag_len = strlen(etag);
	for (const char *p = list; *p != '\0';) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return false; /* malformed: not a match, the full reply is always correct */
		const char *end = strchr(p + 1, '"');
		if (end == NULL)
			return false;
		if ((size_t)(end + 1 - p) == etag_len && memcmp(p, etag, etag_len) == 0)
			return true;
		p = end + 1;
	}
	return false;
}

bool respond_unchanged(struct request *r, const char *etag)
{
	const char *list = request_header(r, "If-None-Match");
	if (list == NULL || !etag_listed(list, etag))
		return false;
	request_add_header(r, "ETag", etag);
	request_reply_data(r, 304, NULL, "", 0);
	return true;
}

void respond_document(struct request *r, int status, const char *document, size_t len,
		      const char *version)
{
	if (version != NULL) {
		char etag[32];
		snprintf(etag, sizeof etag, "\"%s\"", version);
		request_add_header(r, "ETag", etag);
	}
	if (document == NULL)
		request_reply_data(r, status, NULL, "", 0);
	else
		request_reply_data(r, status, "application/json", document, len);
}

void respond_versioned_row(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status == DB_OK && PQntuples(result->res) == 1 && PQnfields(result->res) == 2 &&
	    !PQgetisnull(result->res, 0, 0)) {
		respond_document(r, 200, PQgetvalue(result->res, 0, 0),
				 (size_t)PQgetlength(result->res, 0, 0), PQgetvalue(result->res, 0, 1));
		return;
	}
	respond_json_row(result, arg);
}

struct page_query {
	struct request *r;
	int limit;
};

static void on_page(const struct db_result *result, void *arg)
{
	struct page_query *p = arg;
	respond_page(p->r, result, p->limit);
	free(p);
}

void respond_page_query(struct request *r, struct db_pool *pool, const struct db_stmt *stmt,
			const char **params, int limit)
{
	struct page_query *p = malloc(sizeof *p);
	if (p == NULL) {
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	p->r = r;
	p->limit = limit;
	char fetch[16];
	snprintf(fetch, sizeof fetch, "%d", limit + 1);
	params[stmt->nparams - 1] = fetch;
	db_query(pool, stmt, params, on_page, p);
}

void respond_page(struct request *r, const struct db_result *result, int limit)
{
	if (result->status != DB_OK || PQnfields(result->res) < 2) {
		respond_db_failure(r, result);
		return;
	}
	const PGresult *res = result->res;
	int rows = PQntuples(res), last_col = PQnfields(res) - 1;
	int shown = rows > limit ? limit : rows;
	struct json_out o = {0};
	json_out_puts(&o, "{\"items\":[");
	for (int row = 0; row < shown; row++) {
		if (row)
			json_out_put(&o, ",", 1);
		json_out_put(&o, PQgetvalue(res, row, last_col), (size_t)PQgetlength(res, row, last_col));
	}
	json_out_puts(&o, "],\"next_cursor\":");
	if (rows > limit) {
		char key[160] = "", cursor[288];
		for (int col = 0; col < last_col; col++) {
			if (col)
				strncat(key, "|", sizeof key - strlen(key) - 1);
			strncat(key, PQgetvalue(res, shown - 1, col), sizeof key - strlen(key) - 1);
		}
		if (!cursor_encode(key, cursor, sizeof cursor))
			o.failed = true;
		else
			json_out_string(&o, cursor, strlen(cursor));
	} else {
		json_out_puts(&o, "null");
	}
	json_out_put(&o, "}", 1);
	out_reply(r, &o);
}
