/* Replies built from database outcomes. */
#include "respond.h"

#include <stdio.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "problem.h"
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

/* A growing output buffer; on allocation failure it stays failed. */
struct out {
	char *data;
	size_t len, cap;
	bool failed;
};

static void out_reserve(struct out *o, size_t more)
{
	if (o->failed || o->len + more <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + more)
		cap *= 2;
	char *data = realloc(o->data, cap);
	if (data == NULL) {
		o->failed = true;
		return;
	}
	o->data = data;
	o->cap = cap;
}

static void out_put(struct out *o, const char *s, size_t n)
{
	out_reserve(o, n);
	if (o->failed)
		return;
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

static void out_puts(struct out *o, const char *s) { out_put(o, s, strlen(s)); }

/* Writes s as a JSON string; the database's text is valid UTF-8 already. */
static void out_json_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	out_reserve(o, n + 2);
	out_put(o, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out_put(o, s + start, i - start);
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			out_put(o, esc, 2);
		} else if (c == '\n') {
			out_put(o, "\\n", 2);
		} else {
			out_put(o, esc, 6);
		}
		start = i + 1;
	}
	out_put(o, s + start, n - start);
	out_put(o, "\"", 1);
}

/* Replies 200 with the document in o (503 if building it ran out of memory); frees it. */
static void out_reply(struct request *r, struct out *o)
{
	if (o->failed)
		problem_reply(r, 503, "Out of memory.");
	else
		request_reply_data(r, 200, "application/json", o->data, o->len);
	free(o->data);
}

void respond_items(struct request *r, const struct db_result *result,
		   const struct item_field *fields, int nfields)
{
	if (result->status != DB_OK || PQnfields(result->res) != nfields) {
		respond_db_failure(r, result);
		return;
	}
	const PGresult *res = result->res;
	struct out o = {0};
	out_puts(&o, "{\"items\":[");
	for (int row = 0; row < PQntuples(res); row++) {
		out_puts(&o, row ? ",{" : "{");
		for (int col = 0; col < nfields; col++) {
			if (col)
				out_put(&o, ",", 1);
			out_put(&o, fields[col].key, fields[col].key_len);
			const char *v = PQgetvalue(res, row, col);
			size_t n = (size_t)PQgetlength(res, row, col);
			if (PQgetisnull(res, row, col))
				out_puts(&o, "null");
			else if (fields[col].kind == ITEM_STRING)
				out_json_string(&o, v, n);
			else
				out_put(&o, v, n);
		}
		out_put(&o, "}", 1);
	}
	out_puts(&o, "],\"next_cursor\":null}");
	out_reply(r, &o);
}

void respond_versioned_row(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status == DB_OK && PQntuples(result->res) == 1 && PQnfields(result->res) == 2) {
		char etag[24];
		snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(result->res, 0, 1));
		request_add_header(r, "ETag", etag);
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
	struct out o = {0};
	out_puts(&o, "{\"items\":[");
	for (int row = 0; row < shown; row++) {
		if (row)
			out_put(&o, ",", 1);
		out_put(&o, PQgetvalue(res, row, last_col), (size_t)PQgetlength(res, row, last_col));
	}
	out_puts(&o, "],\"next_cursor\":");
	if (rows > limit) {
		char key[160] = "", cursor[224];
		for (int col = 0; col < last_col; col++) {
			if (col)
				strncat(key, "|", sizeof key - strlen(key) - 1);
			strncat(key, PQgetvalue(res, shown - 1, col), sizeof key - strlen(key) - 1);
		}
		if (!cursor_encode(key, cursor, sizeof cursor))
			o.failed = true;
		else
			out_json_string(&o, cursor, strlen(cursor));
	} else {
		out_puts(&o, "null");
	}
	out_put(&o, "}", 1);
	out_reply(r, &o);
}
