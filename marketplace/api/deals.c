/* Deals: interests, the transition table's moves, verification, messages, events and feedback. */
#include "deals.h"

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

/* $1 the deal, $2 and $3 who is looking (organisation, administrator). */
#define DEAL_SEEN " FROM deals d WHERE d.id = $1::uuid AND deal_visible(d, $2::uuid, $3::bool)"

const struct db_stmt deals_statements[] = {
	[DEALS_CREATE] = {"deals_create",
	"SELECT * FROM deal_create($1::uuid, $2, $3, $4::bigint, $5::uuid, $6::uuid, $7)", 7, false},

	/*
	 * $1 the caller's organisation (NULL: an administrator, every deal),
	 * $2 a state, $3 a role (the caller's side: seller or buyer), $4 who
	 * is an administrator, $5 and $6 the cursor's keys, $7 the row count.
	 * Planned per call, so that only the organisation's index is read.
	 */
	[DEALS_LIST] = {"deals_list",
	"SELECT to_char(d.created_at AT TIME ZONE 'UTC', " UTC_MICROS "), d.id, deal_json(d, $1::uuid, $4::bool)::text"
	" FROM deals d"
	" WHERE ($1::uuid IS NULL OR CASE $3::text WHEN 'seller' THEN d.seller_org = $1::uuid"
	"                                          WHEN 'buyer' THEN d.buyer_org = $1::uuid"
	"                                          ELSE d.seller_org = $1::uuid OR d.buyer_org = $1::uuid END)"
	"  AND ($2::text IS NULL OR d.state = $2::text)"
	"  AND ($5::timestamptz IS NULL OR (d.created_at, d.id) < ($5::timestamptz, $6::uuid))"
	" ORDER BY d.created_at DESC, d.id DESC LIMIT $7::int",
	7, true},

	[DEALS_GET] = {"deals_get", "SELECT deal_json(d, $2::uuid, $3::bool)::text, d.version" DEAL_SEEN, 3, false},

	/* Whether the listing side's people may be named to the caller (migration 0013). */
	[DEALS_VISIBLE] = {"deals_visible", "SELECT deal_listing_side_named(d, $2::uuid, $3::bool)" DEAL_SEEN, 3, false},

	[DEALS_TRANSITION] = {"deals_transition",
	"SELECT * FROM deal_transition($1::uuid, $2, $3, $4, $5::bigint, $6, $7::uuid, $8::uuid, $9::bool, $10::int, $11)",
	11, false},

	[DEALS_VERIFY] = {"deals_verify", "SELECT * FROM deal_verify($1::uuid, $2, $3::uuid, $4::int, $5)", 5, false},

	/* Oldest first: $1 the deal, $2 and $3 the cursor's keys, $4 whether the
	 * listing side's people are named, $5 the row count. */
	[DEALS_MESSAGES] = {"deals_messages",
	"SELECT to_char(m.created_at AT TIME ZONE 'UTC', " UTC_MICROS "), m.id, deal_message_json(m, $4::bool)::text"
	" FROM deal_messages m WHERE m.deal_id = $1::uuid"
	"  AND ($2::timestamptz IS NULL OR (m.created_at, m.id) > ($2::timestamptz, $3::uuid))"
	" ORDER BY m.created_at, m.id LIMIT $5::int",
	5, false},

	[DEALS_MESSAGE_POST] = {"deals_message_post",
	"SELECT * FROM deal_message_create($1::uuid, $2, $3::uuid, $4::uuid, $5::bool)", 5, false},

	/* Oldest first: $1 the deal, $2 the last event shown, $3 whether the
	 * listing side's people are named, $4 the row count. */
	[DEALS_EVENTS] = {"deals_events",
	"SELECT e.id, deal_event_json(e, $3::bool)::text FROM deal_events e"
	" WHERE e.deal_id = $1::uuid AND ($2::bigint IS NULL OR e.id > $2::bigint) ORDER BY e.id LIMIT $4::int",
	4, false},

	/*
	 * $1/$2 the listing (id or ref), $3 and $4 who is looking.  No row:
	 * the caller cannot see the listing; a NULL document: they can, but
	 * it is not theirs.
	 */
	[DEALS_FEEDBACK] = {"deals_feedback",
	"SELECT CASE WHEN listing_entitled_owner THEN jsonb_build_object("
	"  'listing_id', l.id, 'ref', l.ref,"
	"  'counts', (SELECT jsonb_object_agg(code.c, (SELECT count(*) FROM deals d WHERE d.listing_id = l.id"
	"             AND d.state IN ('declined', 'withdrawn') AND d.reason = code.c))"
	"             FROM unnest(deal_reasons()) AS code (c)),"
	"  'items', coalesce((SELECT jsonb_agg(jsonb_build_object('state', f.state, 'reason', f.reason, 'note', f.note,"
	"             'at', rfc3339(f.state_at)) ORDER BY f.state_at DESC, f.id)"
	"             FROM (SELECT * FROM deals d WHERE d.listing_id = l.id AND d.state IN ('declined', 'withdrawn')"
	"                   ORDER BY d.state_at DESC, d.id LIMIT 100) f), '[]'))::text END"
	" FROM listings l, LATERAL (SELECT $4::bool OR l.organization_id = $3::uuid AS listing_entitled_owner) o"
	" WHERE (l.id = $1::uuid OR l.ref = $2) AND listing_visible(l, $3::uuid, $4::bool)",
	4, false},

	/* Lapse first, so that a deal a month old is not reminded as it lapses. */
	[DEALS_LAPSE] = {"deals_lapse", "SELECT deals_lapse(500)", 0, false},
	[DEALS_REMIND] = {"deals_remind", "SELECT deals_remind(500)", 0, false},
	{0},
};

const char *const deal_states[] = {"proposed", "negotiating", "agreed", "contracted", "completed", "declined",
				     "withdrawn", "lapsed", "disputed", "cancelled", NULL};

/* Values up to a million billion VND, as listing prices. */
#define VALUE_MAX 1000000000000000L

static const char not_visible[] = "No such deal, or it is not yours to see.";
static const char listing_not_visible[] = "No such listing, or it is not visible to you.";
static const char if_match_stale[] = "If-Match must be the ETag of the deal, e.g. \"3\".";

/* How the database's refusals (deal_* in migration 0008) become replies. */
static const struct write_error deal_errors[] = {
	{"P0001", "deal_fields", 422, NULL, NULL},
	{"P0001", "deal_open", 409, NULL, NULL},
	{"P0001", "deal_own_listing", 409, NULL, "This is your organisation's own listing: interests come from other organisations."},
	{"P0001", "deal_listing_state", 409, NULL, "Only published listings take interests."},
	{"P0001", "deal_actor", 403, NULL, "Your side of the deal cannot make this move (see the deal's transition table)."},
	{"P0001", "deal_stale", 412, NULL, "The deal changed since you read it; fetch it again and decide again."},
	{"P0001", "deal_confirmed", 409, NULL, "Your side has confirmed the agreement already; the other side has not yet."},
	{"P0001", "deal_state", 409, NULL, NULL},
	{"23514", "deals_state_transition", 409, NULL, "The deal's current state does not allow this."},
	{0},
};

#define DEAL_WRITE(statement, success, missing)                                                              \
	{&deals_statements[statement], deal_errors, success, 409, "The deal's current state does not allow this.", \
	 missing}

static const struct write create_write = DEAL_WRITE(DEALS_CREATE, 201, listing_not_visible);
static const struct write transition_write = DEAL_WRITE(DEALS_TRANSITION, 200, not_visible);
static const struct write verify_write = DEAL_WRITE(DEALS_VERIFY, 200, not_visible);
static const struct write message_write = DEAL_WRITE(DEALS_MESSAGE_POST, 201, not_visible);

static const char *text_member(json_t *values, const char *name)
{
	return json_string_value(json_object_get(values, name));
}

/* An integer member as statement text into buf, or NULL when absent or null. */
static const char *integer_member(json_t *values, const char *name, char buf[24])
{
	json_t *v = json_object_get(values, name);
	if (!json_is_integer(v))
		return NULL;
	snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
	return buf;
}

/* The validated members of r's JSON body by `rules` (caller decrefs); NULL after replying. */
static json_t *valid_body(struct request *r, const struct field_rule *rules)
{
	json_t *body, *values;
	if (!input_json_object(r, &body))
		return NULL;
	struct validation v;
	validate_init(&v);
	values = validate_fields(&v, body, rules, FIELDS_CREATE);
	json_decref(body);
	if (!validate_passed(&v, r)) {
		json_decref(values);
		return NULL;
	}
	return values;
}

const struct field_rule deal_interest_fields[] = {
	{.name = "message", .flags = FIELD_REQUIRED, .min = 1, .max = 5000},
	{.name = "proposed_value_vnd", .flags = FIELD_NULLABLE, .max = VALUE_MAX, .type = FIELD_INTEGER},
	{0},
};

void deals_interest(struct request *r)
{
	const char *id, *ref;
	char ref_buf[32], value[24];
	if (request_org(r) == NULL) {
		problem_reply(r, 403, "Interests come from organisations; administrators belong to none.");
		return;
	}
	json_t *values;
	if (!listings_key(r, &id, &ref, ref_buf) || (values = valid_body(r, deal_interest_fields)) == NULL)
		return;
	const char *params[7] = {id, ref, text_member(values, "message"), integer_member(values, "proposed_value_vnd", value),
				 r->who.user_id, request_org(r), request_id(r)};
	write_run(r, &create_write, params);
	json_decref(values);
}

void deals_list(struct request *r)
{
	static const char *const allowed[] = {"state", "role", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	const char *state = query_get(&q, "state"), *role = query_get(&q, "role"), *time, *last_id;
	bool known_state = state == NULL;
	for (const char *const *s = deal_states; !known_state && *s != NULL; s++)
		known_state = strcmp(*s, state) == 0;
	if (!known_state)
		problem_reply(r, 400, "state is not a deal state (proposed, negotiating, agreed, contracted, completed, "
				      "declined, withdrawn, lapsed, disputed, cancelled).");
	else if (role != NULL && strcmp(role, "buyer") != 0 && strcmp(role, "seller") != 0)
		problem_reply(r, 400, "role must be buyer or seller.");
	else if (role != NULL && request_org(r) == NULL)
		problem_reply(r, 400, "role is your organisation's side of a deal; administrators have none.");
	else if (query_time_id_cursor(r, &q, &time, &last_id)) {
		const char *params[7] = {request_org(r), state, role, request_admin(r), time, last_id};
		respond_page_query(r, request_db_read(r), &deals_statements[DEALS_LIST], params, q.limit);
	}
	query_free(&q);
}

static void on_deal(const struct db_result *result, void *arg)
{
	if (result->status == DB_OK && PQntuples(result->res) == 0)
		problem_reply(arg, 404, not_visible);
	else
		respond_versioned_row(result, arg);
}

void deals_get(struct request *r)
{
	const char *id;
	if (!input_uuid_param(r, "id", not_visible, &id))
		return;
	const char *params[3] = {id, request_org(r), request_admin(r)};
	db_query(request_db(r), &deals_statements[DEALS_GET], params, on_deal, r);
}

const struct field_rule deal_transition_fields[] = {
	{.name = "to", .flags = FIELD_REQUIRED, .choices = deal_states},
	{.name = "reason", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
	{.name = "note", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
	{.name = "value_vnd", .flags = FIELD_NULLABLE, .max = VALUE_MAX, .type = FIELD_INTEGER},
	{.name = "contract_ref", .flags = FIELD_NULLABLE, .min = 1, .max = 100},
	{0},
};

void deals_transition(struct request *r)
{
	const char *id, *version;
	char version_text[16], value[24];
	json_t *values;
	if (!input_uuid_param(r, "id", not_visible, &id) ||
	    !input_if_match(r, if_match_stale, version_text, &version) ||
	    (values = valid_body(r, deal_transition_fields)) == NULL)
		return;
	const char *params[11] = {id, text_member(values, "to"), text_member(values, "reason"),
				  text_member(values, "note"), integer_member(values, "value_vnd", value),
				  text_member(values, "contract_ref"), r->who.user_id, request_org(r), request_admin(r),
				  version, request_id(r)};
	write_run(r, &transition_write, params);
	json_decref(values);
}

void deals_verify(struct request *r)
{
	static const struct field_rule fields[] = {{.name = "note", .flags = FIELD_NULLABLE, .min = 1, .max = 2000},
						   {0}};
	const char *id, *version;
	char version_text[16];
	size_t len;
	json_t *values = NULL;
	if (!input_uuid_param(r, "id", not_visible, &id) || !input_if_match(r, if_match_stale, version_text, &version))
		return;
	/* The body is optional: a note for the record. */
	(void)request_body(r, &len);
	if (len > 0 && (values = valid_body(r, fields)) == NULL)
		return;
	const char *params[5] = {id, text_member(values, "note"), r->who.user_id, version, request_id(r)};
	write_run(r, &verify_write, params);
	json_decref(values);
}

const struct field_rule deal_message_fields[] = {{.name = "body", .flags = FIELD_REQUIRED, .min = 1, .max = 5000},
						 {0}};

void deals_message_post(struct request *r)
{
	const char *id;
	json_t *values;
	if (!input_uuid_param(r, "id", not_visible, &id) || (values = valid_body(r, deal_message_fields)) == NULL)
		return;
	const char *params[5] = {id, text_member(values, "body"), r->who.user_id, request_org(r), request_admin(r)};
	write_run(r, &message_write, params);
	json_decref(values);
}

/* ---------------------------------------------------------------- a deal's pages */

/*
 * Messages and events are listed once the deal is known to be the
 * caller's (else 404, where an empty page would say the deal exists).
 */
struct deal_page {
	struct request *r;
	const struct db_stmt *stmt;
	int limit;
	int nkeys;
	char id[37];
	char keys[2][160];
	bool has_keys;
};

static void on_deal_seen(const struct db_result *result, void *arg)
{
	struct deal_page *p = arg;
	if (result->status != DB_OK) {
		respond_db_failure(p->r, result);
	} else if (PQntuples(result->res) == 0) {
		problem_reply(p->r, 404, not_visible);
	} else {
		/* (deal, the cursor's keys, named, row count): respond_page_query fills in the last. */
		const char *params[5] = {p->id};
		for (int i = 0; i < p->nkeys; i++)
			params[1 + i] = p->has_keys ? p->keys[i] : NULL;
		params[1 + p->nkeys] = PQgetvalue(result->res, 0, 0);
		respond_page_query(p->r, request_db_read(p->r), p->stmt, params, p->limit);
	}
	free(p);
}

/* Checks the deal, then lists stmt's page after the cursor's nkeys keys. */
static void deal_page_run(struct request *r, const char *id, const struct db_stmt *stmt, int limit,
			  const char *const *keys, int nkeys)
{
	struct deal_page *p = calloc(1, sizeof *p);
	if (p == NULL) {
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	p->r = r;
	p->stmt = stmt;
	p->limit = limit;
	p->nkeys = nkeys;
	snprintf(p->id, sizeof p->id, "%s", id);
	p->has_keys = keys[0] != NULL;
	for (int i = 0; p->has_keys && i < nkeys; i++)
		snprintf(p->keys[i], sizeof p->keys[i], "%s", keys[i]);
	const char *params[3] = {id, request_org(r), request_admin(r)};
	db_query(request_db_read(r), &deals_statements[DEALS_VISIBLE], params, on_deal_seen, p);
}

void deals_messages(struct request *r)
{
	const char *id, *keys[2];
	struct query q;
	if (!input_uuid_param(r, "id", not_visible, &id) || !query_parse(r, (const char *const[]){NULL}, &q))
		return;
	if (query_time_id_cursor(r, &q, &keys[0], &keys[1]))
		deal_page_run(r, id, &deals_statements[DEALS_MESSAGES], q.limit, keys, 2);
	query_free(&q);
}

void deals_events(struct request *r)
{
	const char *id;
	struct query q;
	if (!input_uuid_param(r, "id", not_visible, &id) || !query_parse(r, (const char *const[]){NULL}, &q))
		return;
	const char *after = q.cursor[0] ? q.cursor : NULL;
	if (after != NULL && (strlen(after) > 18 || strspn(after, "0123456789") != strlen(after)))
		problem_reply(r, 400, "cursor is not one this server handed out.");
	else
		deal_page_run(r, id, &deals_statements[DEALS_EVENTS], q.limit, &after, 1);
	query_free(&q);
}

/* ---------------------------------------------------------------- feedback */

static void on_feedback(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK)
		respond_db_failure(r, result);
	else if (PQntuples(result->res) == 0)
		problem_reply(r, 404, listing_not_visible);
	else if (PQgetisnull(result->res, 0, 0))
		problem_reply(r, 403, "A listing's feedback is shown to its organisation and to administrators.");
	else
		respond_document(r, 200, PQgetvalue(result->res, 0, 0), (size_t)PQgetlength(result->res, 0, 0), NULL);
}

void deals_feedback(struct request *r)
{
	const char *id, *ref;
	char ref_buf[32];
	if (!listings_key(r, &id, &ref, ref_buf))
		return;
	const char *params[4] = {id, ref, request_org(r), request_admin(r)};
	db_query(request_db_read(r), &deals_statements[DEALS_FEEDBACK], params, on_feedback, r);
}
