/* Replies built from database outcomes, shared by every resource's handlers. */
#ifndef MARKETPLACE_RESPOND_H
#define MARKETPLACE_RESPOND_H

#include "db.h"

struct request;

/* Answers a failed database call: 503 + Retry-After when the database is
 * unreachable or slow; a logged 500 for a query the server refused. Frees r. */
void respond_db_failure(struct request *r, const struct db_result *result);

/* A db_callback (arg: the request) for statements that render their JSON
 * document in SQL: 200 with the first column of the single row, 404 when
 * there is no row. */
void respond_json_row(const struct db_result *result, void *arg);

/* As respond_json_row for statements returning (document, version): adds
 * the ETag "<version>" that a later If-Match names. */
void respond_versioned_row(const struct db_result *result, void *arg);

/* Replies status with the JSON document of len bytes (NULL: no body) and,
 * when version is not NULL, ETag: "<version>".  Frees r. */
void respond_document(struct request *r, int status, const char *document, size_t len,
		      const char *version);

/*
 * A page of a keyset-paginated list.  Each row is (key..., item JSON); the
 * statement fetched limit + 1 rows, and when it got them all, the keys of
 * the last row shown, joined by '|', become the opaque next_cursor.
 */
void respond_page(struct request *r, const struct db_result *result, int limit);

/* Runs a page statement (its last parameter the row count, limit + 1, which
 * this fills in) and answers with respond_page. Frees r. */
void respond_page_query(struct request *r, struct db_pool *pool, const struct db_stmt *stmt,
			const char **params, int limit);

/* How one column of a result becomes a member of each item object. */
enum item_kind {
	ITEM_STRING, /* text, escaped as a JSON string */
	ITEM_NUMBER, /* integer or numeric text, written as is */
	ITEM_JSON,   /* a column the query already rendered as JSON (arrays) */
};

struct item_field {
	const char *key; /* the member's name, quoted, with its colon: "\"code\":" */
	size_t key_len;
	enum item_kind kind;
};

#define ITEM_FIELD(name, kind) {"\"" name "\":", sizeof("\"" name "\":") - 1, kind}

/* Replies 200 {"items": [one object per row], "next_cursor": null}, the
 * result's columns mapped in order by `fields`; SQL NULL becomes null.
 * A failed result gets respond_db_failure. Frees r. */
void respond_items(struct request *r, const struct db_result *result,
		   const struct item_field *fields, int nfields);

struct json_out;

/* Writes respond_items' document for res into o; false when res has other columns. */
bool respond_items_render(struct json_out *o, const PGresult *res, const struct item_field *fields,
			  int nfields);

/* Conditional GET: when the request's If-None-Match names etag (or is *),
 * replies 304 with that ETag, frees r and returns true. */
bool respond_unchanged(struct request *r, const char *etag);

#endif
