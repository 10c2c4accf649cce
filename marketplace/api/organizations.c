/* Organisations: directory, profile, edits by owner or admin, verification by admin. */
#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"

const char *const organization_kinds[] = {"enterprise", "research_institute", "university",
						 "startup", "government", "intermediary", NULL};

/*
 * $6: the caller is an administrator.  When anyone else changes what was
 * verified (name, kind, tax code, province), the organisation goes back to
 * unverified until an administrator looks again.
 */
#define IDENTITY_CHANGED(field) "($2::jsonb ? '" field "' AND $2::jsonb->>'" field "' IS DISTINCT FROM o." field ")"
#define REVERIFY "(NOT $6::bool AND (" IDENTITY_CHANGED("name") " OR " IDENTITY_CHANGED("kind") \
	" OR " IDENTITY_CHANGED("tax_code") " OR " IDENTITY_CHANGED("province") "))"

const struct db_stmt organizations_statements[] = {
	[ORGANIZATIONS_LIST] = {"organizations_list",
	"SELECT to_char(created_at AT TIME ZONE 'UTC', " UTC_MICROS "), id, organization_json(o)::text"
	" FROM organizations o"
	" WHERE verified_at IS NOT NULL AND ($1::text IS NULL OR kind = $1)"
	"  AND ($2::text IS NULL OR province = $2)"
	"  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))"
	" ORDER BY created_at DESC, id DESC LIMIT $5::int",
	5, false},

	/* Unverified organisations are visible to their own members and to admins only. */
	[ORGANIZATIONS_GET] = {"organizations_get",
	"SELECT (organization_json(o) || jsonb_build_object('response_time', organization_response_time(o.id)))::text,"
	" version FROM organizations o"
	" WHERE id = $1::uuid AND (verified_at IS NOT NULL OR $2::bool OR id = $3::uuid)",
	3, false},

	[ORGANIZATIONS_UPDATE] = {"organizations_update",
	"WITH old AS (SELECT * FROM organizations WHERE id = $1::uuid"
	"  AND ref_province($2::jsonb->>'province') IS NOT DISTINCT FROM $2::jsonb->>'province' FOR UPDATE),"
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
	6, false},

	[ORGANIZATIONS_VERIFY] = {"organizations_verify",
	"WITH old AS (SELECT * FROM organizations WHERE id = $1::uuid FOR UPDATE),"
	" new AS ("
	"  UPDATE organizations o SET verified_at = now(), verified_by = $2::uuid,"
	"   verification_note = $3, version = o.version + 1, updated_at = now()"
	"  FROM old WHERE o.id = old.id AND old.verified_at IS NULL RETURNING o.*),"
	" a AS ("
	"  INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)"
	"  SELECT $2::uuid, 'organization.verified', 'organization', new.id::text,"
	"   organization_json(ROW(old.*)::organizations), organization_json(ROW(new.*)::organizations)"
	"    || jsonb_build_object('note', $3::text), $4 FROM new, old),"
	/* Written here rather than by notify_organization(): a CTE that only
	 * SELECTs a function is not run unless the query reads it. */
	" n AS ("
	"  INSERT INTO notifications (user_id, kind, message, data)"
	"  SELECT u.id, 'organization_verified',"
	"   format('Tổ chức \"%s\" đã được Sở KH&CN xác minh.', new.name),"
	"   jsonb_build_object('organization_id', new.id)"
	"  FROM new JOIN users u ON u.organization_id = new.id)"
	" SELECT (SELECT organization_json(ROW(new.*)::organizations)::text FROM new),"
	"  (SELECT version FROM new), (SELECT version FROM old)",
	4, false},
	{0},
};

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
	const char *time, *id;
	if (!kind_known) {
		problem_reply(r, 400, "kind is not an organisation kind.");
	} else if (query_time_id_cursor(r, &q, &time, &id)) {
		const char *params[5] = {kind, query_get(&q, "province"), time, id};
		respond_page_query(r, request_db_read(r), &organizations_statements[ORGANIZATIONS_LIST], params,
				   q.limit);
	}
	query_free(&q);
}

/* ---------------------------------------------------------------- profile */

static const char not_visible[] = "No such organisation, or it is not visible to you.";

void organizations_get(struct request *r)
{
	const char *id;
	if (!input_uuid_param(r, "id", not_visible, &id))
		return;
	const char *params[3] = {id, request_admin(r), request_org(r)};
	db_query(request_db(r), &organizations_statements[ORGANIZATIONS_GET], params,
		 respond_versioned_row, r);
}

/* ---------------------------------------------------------------- changes */

const struct field_rule organization_fields[] = {
	{"name", FIELD_REQUIRED, 2, 300, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{"kind", FIELD_REQUIRED, 0, 0, organization_kinds, NULL, NULL, FIELD_TEXT, 0, NULL},
	{"tax_code", FIELD_NULLABLE, 10, 14, NULL, valid_tax_code,
	 "must be 10 digits, or 10 digits, '-' and 3 digits for a branch", FIELD_TEXT, 0, NULL},
	{"province", FIELD_REQUIRED, 2, 64, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{"address", FIELD_NULLABLE, 1, 500, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{"website", FIELD_NULLABLE, 4, 300, NULL, valid_web_address, "must be an http:// or https:// address", FIELD_TEXT, 0, NULL},
	{"description", FIELD_NULLABLE, 1, 5000, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{0},
};

static const struct write_error update_errors[] = {
	{"23505", "tax_code", 409, NULL, "An organisation with this tax code is already registered."},
	{"23503", "province", 422, "province", UNKNOWN_PROVINCE},
	{0},
};

static const struct write update_write = {
	&organizations_statements[ORGANIZATIONS_UPDATE], update_errors, 200,
	412, "The organisation changed since you read it; fetch it again and reapply your edit.",
	not_visible,
};

static const struct write verify_write = {
	&organizations_statements[ORGANIZATIONS_VERIFY], NULL, 200,
	409, "The organisation is already verified.", not_visible,
};

/* The caller may not edit: 403 if they can see the organisation, else 404. */
static void on_visibility(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK)
		respond_db_failure(r, result);
	else if (PQntuples(result->res) == 0)
		problem_reply(r, 404, not_visible);
	else
		problem_reply(r, 403, "Only the organisation's owner or an administrator may change it.");
}

void organizations_update(struct request *r)
{
	const char *id, *version;
	char version_text[16];
	json_t *body;
	if (!input_uuid_param(r, "id", not_visible, &id))
		return;
	if (!r->who.admin && !(r->who.owner && strcasecmp(r->who.organization_id, id) == 0)) {
		const char *params[3] = {id, "false", request_org(r)};
		db_query(request_db(r), &organizations_statements[ORGANIZATIONS_GET], params, on_visibility, r);
		return;
	}
	if (!input_if_match(r, "If-Match must be the ETag of the organisation, e.g. \"3\".", version_text,
			    &version) ||
	    !input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *patch = validate_fields(&v, body, organization_fields, FIELDS_UPDATE);
	char *patch_text = validate_ok(&v) ? json_dumps(patch, JSON_COMPACT) : NULL;
	if (validate_passed(&v, r)) {
		const char *params[6] = {id, patch_text, version, r->who.user_id, request_id(r),
					 r->who.admin ? "true" : "false"};
		if (patch_text == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &update_write, params);
	}
	free(patch_text);
	json_decref(patch);
	json_decref(body);
}

void organizations_verify(struct request *r)
{
	static const struct field_rule fields[] = {{"note", FIELD_NULLABLE, 1, 2000, NULL, NULL, NULL, FIELD_TEXT, 0, NULL}, {0}};
	const char *id;
	json_t *body;
	if (!input_uuid_param(r, "id", not_visible, &id) || !input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = validate_fields(&v, body, fields, FIELDS_CREATE);
	if (validate_passed(&v, r)) {
		const char *params[4] = {id, r->who.user_id, json_string_value(json_object_get(values, "note")),
					 request_id(r)};
		write_run(r, &verify_write, params);
	}
	json_decref(values);
	json_decref(body);
}
