/* Organisations: directory, profile, edits by owner or admin, verification by admin. */
#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "json_body.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"

const char *const organization_kinds[] = {"enterprise", "research_institute", "university",
						 "startup", "government", "intermediary", NULL};

#define UTC_MICROS "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"

const struct db_stmt organizations_list_stmt = {
	"organizations_list",
	"SELECT to_char(created_at AT TIME ZONE 'UTC', " UTC_MICROS "), id, organization_json(o)::text"
	" FROM organizations o"
	" WHERE verified_at IS NOT NULL AND ($1::text IS NULL OR kind = $1)"
	"  AND ($2::text IS NULL OR province = $2)"
	"  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))"
	" ORDER BY created_at DESC, id DESC LIMIT $5::int",
	5};

/* Unverified organisations are visible to their own members and to admins only. */
const struct db_stmt organizations_get_stmt = {
	"organizations_get",
	"SELECT organization_json(o)::text, version FROM organizations o"
	" WHERE id = $1::uuid AND (verified_at IS NOT NULL OR $2::bool OR id = $3::uuid)",
	3};

/*
 * $6: the caller is an administrator.  When anyone else changes what was
 * verified (name, kind, tax code, province), the organisation goes back to
 * unverified until an administrator looks again.
 */
#define IDENTITY_CHANGED(field) "($2::jsonb ? '" field "' AND $2::jsonb->>'" field "' IS DISTINCT FROM o." field ")"
#define REVERIFY "(NOT $6::bool AND (" IDENTITY_CHANGED("name") " OR " IDENTITY_CHANGED("kind") \
	" OR " IDENTITY_CHANGED("tax_code") " OR " IDENTITY_CHANGED("province") "))"

const struct db_stmt organizations_update_stmt = {
	"organizations_update",
	"WITH old AS (SELECT * FROM organizations WHERE id = $1::uuid FOR UPDATE),"
	" new AS ("
	"  UPDATE organizations o SET"
	"   verified_at = CASE WHEN " REVERIFY " THEN NULL ELSE o.verified_at END,"
	"   verified_by = CASE WHEN " REVERIFY " THEN NULL ELSE o.verified_by END,"
	"   verification_note = CASE WHEN " REVERIFY " THEN NULL ELSE o.verification_note END,"
	"   name = CASE WHEN $2::jsonb ? 'name' THEN $2::jsonb->>'name' ELSE o.name END,"
	"   kind = CASE WHEN $2::jsonb ? 'kind' THEN $2::jsonb->>'kind' ELSE o.kind END,"
	"   tax_code = CASE WHEN $2::jsonb ? 'tax_code' THEN $2::jsonb->>'tax_code' ELSE o.tax_code END,"
	"   province = CASE WHEN $2::jsonb ? 'province' THEN $2::jsonb->>'province' ELSE o.province END,"
	"   address = CASE WHEN $2::jsonb ? 'address' THEN $2::jsonb->>'address' ELSE o.address END,"
	"   website = CASE WHEN $2::jsonb ? 'website' THEN $2::jsonb->>'website' ELSE o.website END,"
	"   description = CASE WHEN $2::jsonb ? 'description' THEN $2::jsonb->>'description'"
	"     ELSE o.description END,"
	"   version = o.version + 1, updated_at = now()"
	"  FROM old WHERE o.id = old.id AND ($3::int IS NULL OR old.version = $3::int)"
	"  RETURNING o.*),"
	" a AS ("
	"  INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)"
	"  SELECT $4::uuid, 'organization.updated', 'organization', new.id::text,"
	"   organization_json(ROW(old.*)::organizations), organization_json(ROW(new.*)::organizations), $5 FROM new, old)"
	" SELECT (SELECT organization_json(ROW(new.*)::organizations)::text FROM new),"
	"  (SELECT version FROM new), (SELECT version FROM old)",
	6};

const struct db_stmt organizations_verify_stmt = {
	"organizations_verify",
	"WITH old AS (SELECT * FROM organizations WHERE id = $1::uuid FOR UPDATE),"
	" new AS ("
	"  UPDATE organizations o SET verified_at = now(), verified_by = $2::uuid,"
	"   verification_note = $3, version = o.version + 1, updated_at = now()"
	"  FROM old WHERE o.id = old.id AND old.verified_at IS NULL RETURNING o.*),"
	" a AS ("
	"  INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)"
	"  SELECT $2::uuid, 'organization.verified', 'organization', new.id::text,"
	"   organization_json(ROW(old.*)::organizations), organization_json(ROW(new.*)::organizations)"
	"    || jsonb_build_object('note', $3::text), $4 FROM new, old)"
	" SELECT (SELECT organization_json(ROW(new.*)::organizations)::text FROM new),"
	"  (SELECT version FROM new), (SELECT version FROM old)",
	4};

/* ---------------------------------------------------------------- list */

void organizations_list(struct request *r)
{
	static const char *const allowed[] = {"kind", "province", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	const char *kind = query_get(&q, "kind");
	bool kind_known = kind == NULL;
	for (const char *const *k = organization_kinds; *k != NULL && !kind_known; k++)
		kind_known = strcmp(*k, kind) == 0;
	char *sep = q.cursor[0] ? strchr(q.cursor, '|') : NULL;
	if (sep != NULL)
		*sep = '\0';
	if (!kind_known || (q.cursor[0] && (sep == NULL || !valid_uuid(sep + 1)))) {
		query_free(&q);
		problem_reply(r, 400, !kind_known ? "kind is not an organisation kind."
					   : "cursor is not one this server handed out.");
		return;
	}
	const char *params[5] = {kind, query_get(&q, "province"), q.cursor[0] ? q.cursor : NULL,
				 sep ? sep + 1 : NULL};
	respond_page_query(r, request_db_read(r), &organizations_list_stmt, params, q.limit);
	query_free(&q);
}

/* ---------------------------------------------------------------- profile */

static void not_found(struct request *r)
{
	problem_reply(r, 404, "No such organisation, or it is not visible to you.");
}

/* Ids are UUIDs: anything else names no organisation (404 before any query). */
static void with_organization_id(struct request *r, void (*auth)(struct request *, route_handler),
				 route_handler next)
{
	if (!valid_uuid(route_param(&r->params, "id")))
		not_found(r);
	else
		auth(r, next);
}

static void get_with_identity(struct request *r)
{
	const char *id = route_param(&r->params, "id");
	const char *params[3] = {id, r->who.admin ? "true" : "false",
				 r->who.organization_id[0] ? r->who.organization_id : NULL};
	db_query(request_db(r), &organizations_get_stmt, params, respond_versioned_row, r);
}

void organizations_get(struct request *r) { with_organization_id(r, auth_optional, get_with_identity); }

/* ---------------------------------------------------------------- changes */

/*
 * The outcome of an update or verification: (document of the new row,
 * its version, the version before).  No new row: 404 when there was no
 * old one either, else the handler's conflict status.
 */
struct change {
	struct request *r;
	int conflict_status;
	const char *conflict_detail;
	json_t *body;
	char *patch; /* update only */
};

static void on_changed(const struct db_result *result, void *arg)
{
	struct change *c = arg;
	struct request *r = c->r;
	if (result->status == DB_QUERY_ERROR && strcmp(db_sqlstate(result), "23505") == 0) {
		problem_reply(r, 409, "An organisation with this tax code is already registered.");
	} else if (result->status == DB_QUERY_ERROR && strcmp(db_sqlstate(result), "23503") == 0) {
		validate_reply_one(r, "province", UNKNOWN_PROVINCE);
	} else if (result->status != DB_OK || PQntuples(result->res) != 1) {
		respond_db_failure(r, result);
	} else if (PQgetisnull(result->res, 0, 0)) {
		if (PQgetisnull(result->res, 0, 2))
			not_found(r);
		else
			problem_reply(r, c->conflict_status, c->conflict_detail);
	} else {
		char etag[24];
		snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(result->res, 0, 1));
		request_add_header(r, "ETag", etag);
		request_reply_data(r, 200, "application/json", PQgetvalue(result->res, 0, 0),
				   (size_t)PQgetlength(result->res, 0, 0));
	}
	json_decref(c->body);
	free(c->patch);
	free(c);
}

static struct change *change_new(struct request *r, json_t *body, int conflict_status,
				 const char *conflict_detail)
{
	struct change *c = calloc(1, sizeof *c);
	if (c == NULL) {
		json_decref(body);
		problem_reply(r, 503, "Out of memory.");
		return NULL;
	}
	c->r = r;
	c->body = body;
	c->conflict_status = conflict_status;
	c->conflict_detail = conflict_detail;
	return c;
}

/* If-Match: "<version>" -> that version; absent or "*" -> NULL (no check). */
static bool if_match_version(struct request *r, char out[16], const char **version)
{
	const char *h = request_header(r, "If-Match");
	*version = NULL;
	if (h == NULL || strcmp(h, "*") == 0)
		return true;
	size_t n = strlen(h);
	if (n < 3 || n > 12 || h[0] != '"' || h[n - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (h[i] < '0' || h[i] > '9')
			return false;
	memcpy(out, h + 1, n - 2);
	out[n - 2] = '\0';
	*version = out;
	return true;
}

/* Validated members of a PATCH body, as the jsonb patch the statement applies. */
static json_t *organization_patch(struct validation *v, json_t *body)
{
	static const char *const fields[] = {"name", "kind", "tax_code", "province", "address",
					     "website", "description", NULL};
	static const struct {
		const char *field;
		size_t min, max;
		bool nullable;
	} limits[] = {{"name", 2, 300, false},    {"tax_code", 10, 14, true}, {"province", 2, 64, false},
		      {"address", 1, 500, true},  {"website", 4, 300, true},  {"description", 1, 5000, true}};
	validate_known_fields(v, body, fields);
	json_t *patch = json_object();
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		json_t *value = json_object_get(body, limits[i].field);
		if (value == NULL)
			continue;
		if (json_is_null(value)) {
			if (limits[i].nullable)
				json_object_set_new(patch, limits[i].field, json_null());
			else
				validate_error(v, limits[i].field, "cannot be removed");
			continue;
		}
		const char *s = validate_string(v, body, limits[i].field, true, limits[i].min, limits[i].max);
		if (s != NULL && strcmp(limits[i].field, "tax_code") == 0 && !valid_tax_code(s)) {
			validate_error(v, "tax_code", "must be 10 digits, or 10 digits, '-' and 3 digits for a branch");
			s = NULL;
		}
		if (s != NULL)
			json_object_set_new(patch, limits[i].field, json_string(s));
	}
	if (json_object_get(body, "kind") != NULL) {
		const char *kind = validate_enum(v, body, "kind", true, organization_kinds);
		if (kind != NULL)
			json_object_set_new(patch, "kind", json_string(kind));
	}
	return patch;
}

/* The caller may not edit: 403 if they can see the organisation, else 404. */
static void on_visibility(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK)
		respond_db_failure(r, result);
	else if (PQntuples(result->res) == 0)
		not_found(r);
	else
		problem_reply(r, 403, "Only the organisation's owner or an administrator may change it.");
}

static void update_authenticated(struct request *r)
{
	const char *id = route_param(&r->params, "id");
	bool own = r->who.owner && strcmp(r->who.organization_id, id) == 0;
	if (!r->who.admin && !own) {
		const char *params[3] = {id, "false", r->who.organization_id[0] ? r->who.organization_id : NULL};
		db_query(request_db(r), &organizations_get_stmt, params, on_visibility, r);
		return;
	}
	char version_text[16];
	const char *version;
	if (!if_match_version(r, version_text, &version)) {
		problem_reply(r, 412, "If-Match must be the ETag of the organisation, e.g. \"3\".");
		return;
	}
	json_t *body;
	if (!json_body_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *patch = organization_patch(&v, body);
	if (validate_reply(&v, r)) {
		json_decref(patch);
		json_decref(body);
		return;
	}
	struct change *c = change_new(r, body, 412, "The organisation changed since you read it; "
						    "fetch it again and reapply your edit.");
	if (c == NULL) {
		json_decref(patch);
		return;
	}
	c->patch = json_dumps(patch, JSON_COMPACT);
	json_decref(patch);
	const char *params[6] = {id, c->patch, version, r->who.user_id, request_id(r),
				 r->who.admin ? "true" : "false"};
	db_query(request_db(r), &organizations_update_stmt, params, on_changed, c);
}

void organizations_update(struct request *r) { with_organization_id(r, auth_required, update_authenticated); }

static void verify_as_admin(struct request *r)
{
	static const char *const fields[] = {"note", NULL};
	json_t *body;
	if (!json_body_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	validate_known_fields(&v, body, fields);
	const char *note = validate_string(&v, body, "note", false, 1, 2000);
	if (validate_reply(&v, r)) {
		json_decref(body);
		return;
	}
	struct change *c = change_new(r, body, 409, "The organisation is already verified.");
	if (c == NULL)
		return;
	const char *params[4] = {route_param(&r->params, "id"), r->who.user_id, note, request_id(r)};
	db_query(request_db(r), &organizations_verify_stmt, params, on_changed, c);
}

void organizations_verify(struct request *r) { with_organization_id(r, auth_admin, verify_as_admin); }
