/* Listings: create, read, search, edit, delete, lifecycle actions and the changes feed. */
#include "listings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"
#include "json_out.h"
#include "problem.h"
#include "query.h"
#include "reference.h"
#include "request.h"
#include "respond.h"
#include "text.h"
#include "validate.h"
#include "write.h"

/*
 * The search: $1 the statuses shown, $2 an organisation (mine=true), $3
 * and $4 who is looking (organisation, administrator), $5 the filters
 * (listing_filters, and "fuzzy" for the second try), $6 and $7 the
 * cursor's keys, $8 the row count.  The page's keys and ids are chosen
 * first, so that only narrow rows are sorted, then each listing is
 * rendered.  The first column is the cursor's letter: the sort's, in
 * capitals for a fuzzy search.
 */
#define SEARCH_WHERE                                                                                          \
	" WHERE l.status = ANY($1::text[]) AND ($2::uuid IS NULL OR l.organization_id = $2::uuid)"           \
	"  AND listing_meets(l, $5::jsonb)"
#define SEARCH_PAGE(letter, key_text, key, key_type, keyset, order)                                              \
	"SELECT CASE WHEN " SEARCH_FUZZY " THEN upper(" letter ") ELSE " letter " END, " key_text ","  \
	" p.id, listing_json(l, $3::uuid, $4::bool)::text"                                                     \
	" FROM (SELECT " key " AS key, l.id FROM listings l" SEARCH_WHERE " AND ($6::" key_type " IS NULL OR " keyset ")" \
	"  ORDER BY " order " LIMIT $8::int) p JOIN listings l ON l.id = p.id ORDER BY " order
#define NEGOTIABLE_LAST "coalesce(l.price_min_vnd, 9223372036854775807)"
#define SEARCH_QUERY "websearch_to_tsquery('simple', search_text($5::jsonb->>'q'))"
#define SEARCH_FUZZY "coalesce($5::jsonb->>'fuzzy' = 'true', false)"

const struct db_stmt listings_statements[] = {
	[LISTINGS_CREATE] = {"listings_create",
	"SELECT * FROM listing_create($1::jsonb, $2::uuid, $3::uuid, $4)", 4, false},

	[LISTINGS_GET] = {"listings_get",
	"SELECT listing_json(l, $3::uuid, $4::bool)::text, l.version FROM listings l"
	" WHERE (l.id = $1::uuid OR l.ref = $2) AND listing_visible(l, $3::uuid, $4::bool)",
	4, false},

	[LISTINGS_EDIT] = {"listings_edit",
	"SELECT * FROM listing_edit($1::uuid, $2, $3::jsonb, $4::uuid, $5::uuid, $6::bool, $7::int, $8)", 8, false},

	[LISTINGS_DELETE] = {"listings_delete",
	"SELECT * FROM listing_delete($1::uuid, $2, $3::uuid, $4::bool, $5::int, $6::uuid, $7)", 7, false},

	[LISTINGS_TRANSITION] = {"listings_transition",
	"SELECT * FROM listing_transition($1::uuid, $2, $3, $4::uuid, $5::uuid, $6::bool, $7, $8::int, $9)", 9, false},

	[LISTINGS_SEARCH_NEWEST] = {"listings_search_newest",
	SEARCH_PAGE("'n'", "to_char(p.key AT TIME ZONE 'UTC', " UTC_MICROS ")", "l.listed_at", "timestamptz",
		    "(l.listed_at, l.id) < ($6::timestamptz, $7::uuid)", "key DESC, id DESC"),
	8, true},

	/* Cheapest first; negotiable prices (null) last. */
	[LISTINGS_SEARCH_PRICE] = {"listings_search_price",
	SEARCH_PAGE("'p'", "p.key", NEGOTIABLE_LAST, "bigint",
		    "(" NEGOTIABLE_LAST ", l.id) > ($6::bigint, $7::uuid)", "key, id"),
	8, true},

	/*
	 * Relevance: listings with the words in their title or keywords first,
	 * then those with them only in the summary or description; newest
	 * first within each.  Each tier is read in listed_at order from an
	 * index and stops at the page's end, so a common word costs what the
	 * page costs, not what all its matches do (scoring every match took
	 * 0.6-0.8 s for a common word in a million listings; this, 7.5 ms).
	 * The cursor's key is "<tier>,<listed_at>".  A fuzzy search has one
	 * tier.
	 */
	[LISTINGS_SEARCH_RELEVANCE] = {"listings_search_relevance",
	"SELECT CASE WHEN " SEARCH_FUZZY " THEN 'R' ELSE 'r' END,"
	" p.tier || ',' || to_char(p.listed_at AT TIME ZONE 'UTC', " UTC_MICROS "), p.id,"
	" listing_json(l, $3::uuid, $4::bool)::text FROM ("
	" (SELECT 1 AS tier, l.listed_at, l.id FROM listings l" SEARCH_WHERE
	"   AND (" SEARCH_FUZZY " OR l.search_head @@ " SEARCH_QUERY ")"
	"   AND ($6::text IS NULL OR (split_part($6, ',', 1) = '1'"
	"        AND (l.listed_at, l.id) < (split_part($6, ',', 2)::timestamptz, $7::uuid)))"
	"  ORDER BY l.listed_at DESC, l.id DESC LIMIT $8::int)"
	" UNION ALL"
	" (SELECT 0, l.listed_at, l.id FROM listings l" SEARCH_WHERE
	"   AND NOT " SEARCH_FUZZY " AND NOT l.search_head @@ " SEARCH_QUERY
	"   AND ($6::text IS NULL OR split_part($6, ',', 1) = '1'"
	"        OR (l.listed_at, l.id) < (split_part($6, ',', 2)::timestamptz, $7::uuid))"
	"  ORDER BY l.listed_at DESC, l.id DESC LIMIT $8::int)"
	") p JOIN listings l ON l.id = p.id ORDER BY p.tier DESC, p.listed_at DESC, p.id DESC LIMIT $8::int",
	8, true},

	[LISTINGS_CHANGES] = {"listings_changes",
	"SELECT seq, jsonb_build_object('seq', seq, 'change', change, 'id', listing_id, 'ref', ref,"
	"  'listing', listing, 'changed_at', rfc3339(changed_at))::text"
	" FROM listing_changes WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int",
	2, false},

	[LISTINGS_EXPIRE] = {"listings_expire", "SELECT listings_expire(500)", 0, false},
	[LISTINGS_WARN_EXPIRING] = {"listings_warn_expiring", "SELECT listings_warn_expiring(500)", 0, false},
	{0},
};

/* ---------------------------------------------------------------- fields */

static const char *const kinds[] = {"technology_offer", "technology_demand", "equipment_offer",
				    "equipment_demand", NULL};
static const char *const ip_statuses[] = {"none", "patent_pending", "patent", "utility_solution",
					  "industrial_design", "plant_variety", "trade_secret", "copyright", NULL};
static const char *const transfer_modes[] = {"licensing", "assignment", "joint_development", "consulting",
					     "training", "turnkey", "sale", "lease", NULL};
static const char *const statuses[] = {"draft", "pending_review", "published", "rejected", "closed",
				       "expired", "suspended", NULL};
static const char *const conditions[] = {"new", "used", "refurbished", NULL};

#define YEAR_SECONDS (365L * 86400)

/* Seconds since the epoch of an RFC 3339 time (valid_rfc3339 holds). */
static time_t rfc3339_seconds(const char *t)
{
	struct tm tm = {0};
	tm.tm_year = atoi(t) - 1900;
	tm.tm_mon = atoi(t + 5) - 1;
	tm.tm_mday = atoi(t + 8);
	tm.tm_hour = atoi(t + 11);
	tm.tm_min = atoi(t + 14);
	tm.tm_sec = atoi(t + 17);
	time_t at = timegm(&tm);
	const char *zone = t + 19 + strspn(t + 19, ".0123456789");
	if (*zone == '+' || *zone == '-') {
		long offset = atoi(zone + 1) * 3600L + atoi(zone + 4) * 60L;
		at -= *zone == '+' ? offset : -offset;
	}
	return at;
}

/* A listing stays up at most three years before it must be renewed. */
static bool valid_expiry(const char *text)
{
	if (!valid_rfc3339(text))
		return false;
	time_t at = rfc3339_seconds(text), now = time(NULL);
	return at > now && at <= now + 3 * YEAR_SECONDS;
}

static const struct field_rule equipment_fields[] = {
	{.name = "condition", .flags = FIELD_REQUIRED, .choices = conditions},
	{.name = "manufacturer", .flags = FIELD_NULLABLE, .min = 1, .max = 200},
	{.name = "model", .flags = FIELD_NULLABLE, .min = 1, .max = 200},
	{.name = "year", .flags = FIELD_NULLABLE, .min = 1950, .max = 2100, .type = FIELD_INTEGER},
	{.name = "quantity", .flags = FIELD_NULLABLE, .min = 1, .max = 1000000, .type = FIELD_INTEGER},
	{0},
};

/* Prices up to a million billion VND: far above any deal, far below int64. */
#define PRICE_MAX 1000000000000000UL

const struct field_rule listing_fields[] = {
	{.name = "kind", .flags = FIELD_REQUIRED, .choices = kinds},
	{.name = "title", .flags = FIELD_REQUIRED, .min = 3, .max = 200},
	{.name = "summary", .flags = FIELD_NULLABLE, .min = 1, .max = 500},
	{.name = "description", .flags = FIELD_NULLABLE, .min = 1, .max = 20000},
	{.name = "sector", .flags = FIELD_REQUIRED, .min = 1, .max = 16},
	{.name = "keywords", .flags = FIELD_NULLABLE, .min = 1, .max = 50, .type = FIELD_TEXT_LIST, .items_max = 20},
	{.name = "trl", .flags = FIELD_NULLABLE, .min = 1, .max = 9, .type = FIELD_INTEGER},
	{.name = "ip_status", .flags = FIELD_NULLABLE, .choices = ip_statuses},
	{.name = "transfer_modes", .flags = FIELD_NULLABLE, .choices = transfer_modes, .type = FIELD_TEXT_LIST,
	 .items_max = 8},
	{.name = "price_min_vnd", .flags = FIELD_NULLABLE, .max = PRICE_MAX, .type = FIELD_INTEGER},
	{.name = "price_max_vnd", .flags = FIELD_NULLABLE, .max = PRICE_MAX, .type = FIELD_INTEGER},
	{.name = "province", .flags = FIELD_REQUIRED, .min = 2, .max = 64},
	{.name = "expires_at", .flags = FIELD_NULLABLE, .min = 20, .max = 40, .check = valid_expiry,
	 .check_message = "must be an RFC 3339 time in the future, at most three years ahead"},
	{.name = "indicators", .flags = FIELD_NULLABLE, .min = 1, .max = 32, .type = FIELD_TEXT_LIST, .items_max = 8},
	{.name = "st_task", .flags = FIELD_NULLABLE, .min = 1, .max = 64},
	{.name = "equipment", .flags = FIELD_NULLABLE, .type = FIELD_OBJECT, .members = equipment_fields},
	{.name = "confidential", .flags = FIELD_NULLABLE, .min = 1, .max = 20000},
	{.name = "anonymous", .type = FIELD_BOOLEAN},
	{0},
};

static const char equipment_rule[] = "is required for equipment listings and not allowed for technology listings";
static const char sale_lease_rule[] = "sale and lease are for equipment listings only";
static const char price_rule[] = "must not be more than price_max_vnd";
static const char trl_rule[] = "is required for technology offers";
static const char unknown_sector[] = "is not a sector code (see GET /api/v1/sectors)";
static const char unknown_indicator[] = "names an indicator the plan does not have (KH43-T1 to KH43-T6, KH43-V2045, KH43-X1)";

/*
 * The rules across fields and the reference codes: on a create all of
 * them (kind known), on an edit those the patch alone decides; the
 * database's constraints check the rest against the stored listing.  A
 * member the body has but whose value was refused already has its error,
 * so the kind's rules look at what the body sent.
 */
static void check_listing(struct validation *v, json_t *body, json_t *values, const char *kind)
{
	const char *sector = json_string_value(json_object_get(values, "sector"));
	const char *province = json_string_value(json_object_get(values, "province"));
	json_t *min = json_object_get(values, "price_min_vnd"), *max = json_object_get(values, "price_max_vnd");
	if (sector != NULL && !reference_sector_known(sector))
		validate_error(v, "sector", unknown_sector);
	if (province != NULL && !reference_province_known(province))
		validate_error(v, "province", UNKNOWN_PROVINCE);
	size_t i;
	json_t *code;
	json_array_foreach(json_object_get(values, "indicators"), i, code) {
		if (!reference_indicator_known(json_string_value(code))) {
			validate_error(v, "indicators", unknown_indicator);
			break;
		}
	}
	if (json_is_integer(min) && json_is_integer(max) && json_integer_value(min) > json_integer_value(max))
		validate_error(v, "price_min_vnd", price_rule);
	if (kind == NULL)
		return;
	bool equipment_kind = strncmp(kind, "equipment", 9) == 0;
	json_t *trl = json_object_get(body, "trl"), *equipment = json_object_get(body, "equipment");
	if (strcmp(kind, "technology_offer") == 0 && (trl == NULL || json_is_null(trl)))
		validate_error(v, "trl", trl_rule);
	if (equipment_kind ? equipment == NULL || json_is_null(equipment) : equipment != NULL && !json_is_null(equipment))
		validate_error(v, "equipment", equipment_rule);
	json_t *mode;
	json_array_foreach(json_object_get(values, "transfer_modes"), i, mode) {
		const char *m = json_string_value(mode);
		if (!equipment_kind && (strcmp(m, "sale") == 0 || strcmp(m, "lease") == 0)) {
			validate_error(v, "transfer_modes", sale_lease_rule);
			break;
		}
	}
}

json_t *listing_validate(struct validation *v, json_t *body, enum field_mode mode)
{
	json_t *values = validate_fields(v, body, listing_fields, mode);
	if (mode == FIELDS_UPDATE && json_object_get(body, "kind") != NULL)
		validate_error(v, "kind", "cannot be changed; create a listing of the other kind");
	check_listing(v, body, values,
		      mode == FIELDS_CREATE ? json_string_value(json_object_get(values, "kind")) : NULL);
	return values;
}

/* ---------------------------------------------------------------- writes */

static const char not_visible[] = "No such listing, or it is not visible to you.";

/* How every listing write's refusals become replies (listing_lock_for in 0007). */
static const struct write_error listing_errors[] = {
	{"P0001", "listing_actor", 403, NULL, "Only the listing's organisation (or, for moderation, an administrator) may do this."},
	{"P0001", "listing_stale", 412, NULL, "The listing changed since you read it; fetch it again and reapply your change."},
	{"P0001", "listing_state", 409, NULL, "The listing's current status does not allow this; see its status and the lifecycle."},
	{"P0001", "listing_unverified", 409, NULL, "Only listings of verified organisations can be published; the organisation awaits verification."},
	{"P0001", "listing_reason", 422, "reason", "is required for this action"},
	{"23514", "listings_status_transition", 409, NULL, "The listing's current status does not allow this."},
	{"23514", "listings_price_range", 422, "price_min_vnd", price_rule},
	{"23514", "listings_trl_required", 422, "trl", trl_rule},
	{"23514", "listings_equipment_kind", 422, "equipment", equipment_rule},
	{"23514", "listings_sale_lease", 422, "transfer_modes", sale_lease_rule},
	{"23503", "sector", 422, "sector", unknown_sector},
	{"23503", "province", 422, "province", UNKNOWN_PROVINCE},
	{"23503", "indicators", 422, "indicators", unknown_indicator},
	{0},
};

#define LISTING_WRITE(statement, success)                                                                     \
	{&listings_statements[statement], listing_errors, success, 409,                                       \
	 "The listing's current status does not allow this.", not_visible}

static const struct write create_write = LISTING_WRITE(LISTINGS_CREATE, 201);
static const struct write edit_write = LISTING_WRITE(LISTINGS_EDIT, 200);
static const struct write delete_write = LISTING_WRITE(LISTINGS_DELETE, 204);
static const struct write transition_write = LISTING_WRITE(LISTINGS_TRANSITION, 200);

/* A listing named by its id or its ref: false (after a 404) when it is neither. */
bool listings_key(struct request *r, const char **id, const char **ref, char ref_buf[32])
{
	const char *key = route_param(&r->params, "id");
	*id = *ref = NULL;
	if (key != NULL && valid_uuid(key)) {
		*id = key;
		return true;
	}
	size_t len = key != NULL ? strlen(key) : 0;
	if (len < 17 || len > 24) {
		problem_reply(r, 404, not_visible);
		return false;
	}
	for (size_t i = 0; i <= len; i++)
		ref_buf[i] = (char)toupper((unsigned char)key[i]);
	/* QT-TO-2026-000123: the database's CHECK has the whole pattern. */
	if (strncmp(ref_buf, "QT-", 3) != 0 || ref_buf[5] != '-' || ref_buf[10] != '-' ||
	    strspn(ref_buf + 11, "0123456789") != len - 11 || strspn(ref_buf + 6, "0123456789") != 4) {
		problem_reply(r, 404, not_visible);
		return false;
	}
	*ref = ref_buf;
	return true;
}

static const char *if_match_stale = "If-Match must be the ETag of the listing, e.g. \"3\".";

void listings_create(struct request *r)
{
	if (r->who.organization_id[0] == '\0') {
		problem_reply(r, 403, "Listings are posted by organisations; administrators belong to none.");
		return;
	}
	json_t *body;
	if (!input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *values = listing_validate(&v, body, FIELDS_CREATE);
	char *doc = validate_ok(&v) ? json_dumps(values, JSON_COMPACT) : NULL;
	if (validate_passed(&v, r)) {
		const char *params[4] = {doc, r->who.user_id, r->who.organization_id, request_id(r)};
		if (doc == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &create_write, params);
	}
	free(doc);
	json_decref(values);
	json_decref(body);
}

void listings_update(struct request *r)
{
	const char *id, *ref, *version;
	char ref_buf[32], version_text[16];
	json_t *body;
	if (!listings_key(r, &id, &ref, ref_buf) || !input_if_match(r, if_match_stale, version_text, &version) ||
	    !input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	json_t *patch = listing_validate(&v, body, FIELDS_UPDATE);
	char *patch_text = validate_ok(&v) ? json_dumps(patch, JSON_COMPACT) : NULL;
	if (validate_passed(&v, r)) {
		const char *params[8] = {id, ref, patch_text, r->who.user_id, request_org(r),
					 request_admin(r), version, request_id(r)};
		if (patch_text == NULL)
			problem_reply(r, 503, "Out of memory.");
		else
			write_run(r, &edit_write, params);
	}
	free(patch_text);
	json_decref(patch);
	json_decref(body);
}

void listings_delete(struct request *r)
{
	const char *id, *ref, *version;
	char ref_buf[32], version_text[16];
	if (!listings_key(r, &id, &ref, ref_buf) || !input_if_match(r, if_match_stale, version_text, &version))
		return;
	const char *params[7] = {id, ref, request_org(r), request_admin(r), version, r->who.user_id,
				 request_id(r)};
	write_run(r, &delete_write, params);
}

void listings_act(struct request *r)
{
	static const struct field_rule fields[] = {{.name = "reason", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
						   {0}};
	const char *id, *ref, *version;
	char ref_buf[32], version_text[16];
	if (!listings_key(r, &id, &ref, ref_buf) || !input_if_match(r, if_match_stale, version_text, &version))
		return;
	/* The body is optional: only reject and suspend need one, for the reason. */
	size_t len;
	json_t *body = NULL, *values = NULL;
	(void)request_body(r, &len);
	if (len > 0 && !input_json_object(r, &body))
		return;
	struct validation v;
	validate_init(&v);
	if (body != NULL)
		values = validate_fields(&v, body, fields, FIELDS_CREATE);
	if (validate_passed(&v, r)) {
		const char *action = strrchr(r->route->pattern, '/') + 1;
		const char *params[9] = {id, ref, action, r->who.user_id, request_org(r), request_admin(r),
					 json_string_value(json_object_get(values, "reason")), version, request_id(r)};
		write_run(r, &transition_write, params);
	}
	json_decref(values);
	json_decref(body);
}

/* ---------------------------------------------------------------- reads */

void listings_get(struct request *r)
{
	const char *id, *ref;
	char ref_buf[32];
	if (!listings_key(r, &id, &ref, ref_buf))
		return;
	const char *params[4] = {id, ref, request_org(r), request_admin(r)};
	db_query(request_db(r), &listings_statements[LISTINGS_GET], params, respond_versioned_row, r);
}

const char *const listing_filter_names[] = {"kind", "sector", "province", "trl_min", "trl_max", "ip_status",
					    "transfer_mode", "price_max_vnd", "organization", "indicator", "q",
					    NULL};

static bool one_of(const char *value, const char *const *choices)
{
	for (; *choices != NULL; choices++)
		if (strcmp(*choices, value) == 0)
			return true;
	return false;
}

static bool whole_number(const char *text, unsigned long max)
{
	if (text[0] == '\0' || strlen(text) > 19 || strspn(text, "0123456789") != strlen(text))
		return false;
	return strtoull(text, NULL, 10) <= max;
}

json_t *listing_filters(listing_filter_get get, const void *source, const char **error)
{
	const char *v;
	*error = NULL;
	if ((v = get(source, "kind")) != NULL && !one_of(v, kinds))
		*error = "kind must be technology_offer, technology_demand, equipment_offer or equipment_demand.";
	else if ((v = get(source, "sector")) != NULL && !reference_sector_known(v))
		*error = "sector is not a sector code (see GET /api/v1/sectors).";
	else if ((v = get(source, "province")) != NULL && !reference_province_known(v))
		*error = "province is not a province slug (see GET /api/v1/provinces).";
	else if ((v = get(source, "trl_min")) != NULL && (!whole_number(v, 9) || atoi(v) < 1))
		*error = "trl_min must be a whole number from 1 to 9.";
	else if ((v = get(source, "trl_max")) != NULL && (!whole_number(v, 9) || atoi(v) < 1))
		*error = "trl_max must be a whole number from 1 to 9.";
	else if ((v = get(source, "ip_status")) != NULL && !one_of(v, ip_statuses))
		*error = "ip_status is not one of the IP statuses of a listing.";
	else if ((v = get(source, "transfer_mode")) != NULL && !one_of(v, transfer_modes))
		*error = "transfer_mode is not one of the transfer modes of a listing.";
	else if ((v = get(source, "price_max_vnd")) != NULL && !whole_number(v, PRICE_MAX))
		*error = "price_max_vnd must be a whole number of VND.";
	else if ((v = get(source, "organization")) != NULL && !valid_uuid(v))
		*error = "organization must be an organisation's id.";
	else if ((v = get(source, "indicator")) != NULL && !reference_indicator_known(v))
		*error = "indicator is not a code of the plan's indicators.";
	else if ((v = get(source, "q")) != NULL && (!utf8_valid(v, strlen(v)) || utf8_length(v) > 200))
		*error = "q must be UTF-8 text of at most 200 characters.";
	if (*error != NULL)
		return NULL;
	json_t *filters = json_object();
	for (const char *const *name = listing_filter_names; *name != NULL && filters != NULL; name++)
		if ((v = get(source, *name)) != NULL && json_object_set_new(filters, *name, json_string(v)) != 0) {
			json_decref(filters);
			filters = NULL;
		}
	if (filters == NULL)
		*error = "out of memory";
	return filters;
}

static const char *query_value(const void *q, const char *name) { return query_get(q, name); }

bool listing_cursor_keys(char *cursor, char letter, char **key, char **last_id, bool *fuzzy)
{
	char *first = strchr(cursor, '|');
	char *second = first != NULL ? strchr(first + 1, '|') : NULL;
	bool upper = cursor[0] == toupper((unsigned char)letter);
	if (second == NULL || (cursor[0] != letter && !upper) || first != cursor + 1 || !valid_uuid(second + 1))
		return false;
	*first = *second = '\0';
	*key = first + 1;
	*last_id = second + 1;
	*fuzzy = upper;
	return true;
}

/* Which statuses a caller's list shows, as a PostgreSQL array; NULL after replying 401/403. */
static const char *statuses_shown(struct request *r, const char *status, bool mine, char *buf, size_t size)
{
	if (status == NULL && mine)
		return "{draft,pending_review,published,rejected,closed,expired,suspended}";
	if (status == NULL || strcmp(status, "published") == 0 || mine || r->who.admin) {
		snprintf(buf, size, "{%s}", status != NULL ? status : "published");
		return buf;
	}
	problem_reply(r, r->who.authenticated ? 403 : 401,
		      "Listings that are not published are shown to their organisation (mine=true) and to administrators.");
	return NULL;
}

enum sort { SORT_NEWEST, SORT_PRICE, SORT_RELEVANCE };
static const char sort_letters[] = {'n', 'p', 'r'};
static const int sort_statements[] = {LISTINGS_SEARCH_NEWEST, LISTINGS_SEARCH_PRICE, LISTINGS_SEARCH_RELEVANCE};

/* The query's problem (a static message), or NULL. */
static const char *list_options(const struct query *q, enum sort *sort, bool *mine)
{
	const char *s = query_get(q, "sort"), *m = query_get(q, "mine");
	*sort = query_get(q, "q") != NULL ? SORT_RELEVANCE : SORT_NEWEST;
	if (s != NULL && strcmp(s, "newest") == 0)
		*sort = SORT_NEWEST;
	else if (s != NULL && strcmp(s, "price") == 0)
		*sort = SORT_PRICE;
	else if (s != NULL && strcmp(s, "relevance") == 0 && query_get(q, "q") != NULL)
		*sort = SORT_RELEVANCE;
	else if (s != NULL)
		return strcmp(s, "relevance") == 0 ? "sort=relevance needs a search text q."
						   : "sort must be newest, relevance or price.";
	*mine = m != NULL && strcmp(m, "true") == 0;
	if (m != NULL && !*mine && strcmp(m, "false") != 0)
		return "mine must be true or false.";
	const char *status = query_get(q, "status");
	if (status != NULL && !one_of(status, statuses))
		return "status is not a listing status.";
	return NULL;
}

/*
 * A search on its way.  A one-word q of at most 32 characters that finds
 * nothing is tried once more as a fuzzy search (titles by trigram
 * similarity), which forgives a typo; its cursors say so, so that its
 * later pages stay fuzzy.
 */
struct search_call {
	struct request *r;
	const struct db_stmt *stmt;
	int limit;
	bool may_retry;
	char *fuzzy_filters;
	char *params[8]; /* 0-6 owned copies (NULL for SQL NULL); 7 is count */
	char count[16];
};

static void search_call_free(struct search_call *c)
{
	for (int i = 0; i < 7; i++)
		free(c->params[i]);
	free(c->fuzzy_filters);
	free(c);
}

static void on_searched(const struct db_result *result, void *arg)
{
	struct search_call *c = arg;
	if (result->status == DB_OK && PQntuples(result->res) == 0 && c->may_retry) {
		c->may_retry = false;
		free(c->params[4]);
		c->params[4] = c->fuzzy_filters;
		c->fuzzy_filters = NULL;
		db_query(request_db_read(c->r), c->stmt, (const char *const *)c->params, on_searched, c);
		return;
	}
	respond_page(c->r, result, c->limit);
	search_call_free(c);
}

static bool one_short_word(const char *q)
{
	return q != NULL && strpbrk(q, " \t\n\r\f\v") == NULL && utf8_length(q) <= 32;
}

/* Copies of the search's parameters; NULL when out of memory. */
static struct search_call *search_call_new(struct request *r, const struct db_stmt *stmt, int limit,
					   const char *const *params, json_t *filters)
{
	struct search_call *c = calloc(1, sizeof *c);
	bool ok = c != NULL && json_object_set_new(filters, "fuzzy", json_string("true")) == 0 &&
		  (c->fuzzy_filters = json_dumps(filters, JSON_COMPACT)) != NULL;
	for (int i = 0; ok && i < 7; i++)
		ok = params[i] == NULL || (c->params[i] = strdup(params[i])) != NULL;
	if (!ok) {
		if (c != NULL)
			search_call_free(c);
		return NULL;
	}
	c->r = r;
	c->stmt = stmt;
	c->limit = limit;
	snprintf(c->count, sizeof c->count, "%d", limit + 1);
	c->params[7] = c->count;
	return c;
}

void listings_list(struct request *r)
{
	static const char *const allowed[] = {"kind", "sector", "province", "trl_min", "trl_max", "ip_status",
					      "transfer_mode", "price_max_vnd", "organization", "indicator", "q",
					      "status", "mine", "sort", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	enum sort sort;
	bool mine, fuzzy = false;
	const char *error = list_options(&q, &sort, &mine);
	json_t *filters = error == NULL ? listing_filters(query_value, &q, &error) : NULL;
	char *key = NULL, *last_id = NULL;
	if (error == NULL && q.cursor[0] && !listing_cursor_keys(q.cursor, sort_letters[sort], &key, &last_id, &fuzzy))
		error = "cursor belongs to another listing order or filter; start again without it.";
	if (error == NULL && fuzzy && json_object_set_new(filters, "fuzzy", json_string("true")) != 0)
		error = "out of memory";
	char *filters_text = filters != NULL ? json_dumps(filters, JSON_COMPACT) : NULL;
	if (error != NULL || filters_text == NULL) {
		problem_reply(r, error != NULL ? 400 : 503, error != NULL ? error : "Out of memory.");
	} else if (mine && !r->who.authenticated) {
		problem_reply(r, 401, "mine=true lists your organisation's listings: sign in first.");
	} else if (mine && r->who.organization_id[0] == '\0') {
		problem_reply(r, 403, "Administrators belong to no organisation; list any status with status=.");
	} else {
		char status_buf[40];
		const char *shown = statuses_shown(r, query_get(&q, "status"), mine, status_buf, sizeof status_buf);
		if (shown != NULL) { /* else r is answered (and gone) */
			const char *params[7] = {shown, mine ? r->who.organization_id : NULL, request_org(r),
						 request_admin(r), filters_text, key, last_id};
			struct search_call *c =
				search_call_new(r, &listings_statements[sort_statements[sort]], q.limit, params, filters);
			if (c == NULL) {
				problem_reply(r, 503, "Out of memory.");
			} else {
				c->may_retry = !fuzzy && key == NULL && one_short_word(query_get(&q, "q"));
				db_query(request_db_read(r), c->stmt, (const char *const *)c->params, on_searched, c);
			}
		}
	}
	json_decref(filters);
	free(filters_text);
	query_free(&q);
}

/* ---------------------------------------------------------------- changes feed */

struct changes_call {
	struct request *r;
	int limit;
	char since[LISTING_POSITION_SIZE];
};

static bool append_cursor(struct json_out *o, const char *seq)
{
	char cursor[128];
	if (!cursor_encode(seq, cursor, sizeof cursor))
		return false;
	json_out_string(o, cursor, strlen(cursor));
	return true;
}

/* {"items": [...], "next_cursor": more ? position : null, "last_cursor": position} */
static void on_changes(const struct db_result *result, void *arg)
{
	struct changes_call *c = arg;
	if (result->status != DB_OK) {
		respond_db_failure(c->r, result);
		free(c);
		return;
	}
	const PGresult *res = result->res;
	int rows = PQntuples(res), shown = rows > c->limit ? c->limit : rows;
	struct json_out o = {0};
	json_out_puts(&o, "{\"items\":[");
	for (int row = 0; row < shown; row++) {
		if (row)
			json_out_put(&o, ",", 1);
		json_out_put(&o, PQgetvalue(res, row, 1), (size_t)PQgetlength(res, row, 1));
	}
	const char *last = shown > 0 ? PQgetvalue(res, shown - 1, 0) : c->since;
	json_out_puts(&o, "],\"next_cursor\":");
	if (rows > c->limit)
		o.failed |= !append_cursor(&o, last);
	else
		json_out_puts(&o, "null");
	json_out_puts(&o, ",\"last_cursor\":");
	o.failed |= !append_cursor(&o, last);
	json_out_put(&o, "}", 1);
	if (o.failed)
		problem_reply(c->r, 503, "Out of memory.");
	else
		request_reply_data(c->r, 200, "application/json", o.data, o.len);
	free(o.data);
	free(c);
}

bool listing_changes_position(const char *cursor, char seq[LISTING_POSITION_SIZE])
{
	return cursor_decode(cursor, seq, LISTING_POSITION_SIZE) && strspn(seq, "0123456789") == strlen(seq);
}

void listings_changes(struct request *r)
{
	static const char *const allowed[] = {"since", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	struct changes_call *c = calloc(1, sizeof *c);
	const char *since = query_get(&q, "since");
	if (c == NULL) {
		problem_reply(r, 503, "Out of memory.");
	} else if (since != NULL && !listing_changes_position(since, c->since)) {
		problem_reply(r, 400, "since must be a cursor this feed handed out (next_cursor or last_cursor).");
		free(c);
	} else {
		if (since == NULL)
			strcpy(c->since, "0");
		c->r = r;
		c->limit = q.limit;
		char count[16];
		snprintf(count, sizeof count, "%d", q.limit + 1);
		const char *params[2] = {c->since, count};
		db_query(request_db_read(r), &listings_statements[LISTINGS_CHANGES], params, on_changes, c);
	}
	query_free(&q);
}
