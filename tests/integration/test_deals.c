/*
 * Deals against the real binary and PostgreSQL (DESIGN.md section 4, the
 * deals contract of issue 9): the whole path from an interest to a verified
 * completion, in Vietnamese; every transition each state refuses, for each
 * of the listing side, the initiator side and an administrator; the
 * two-sided agreement; racing transitions; what outsiders see of a deal
 * (nothing: 404); messages, events, notifications and audit rows; the
 * list's filters and pages; the reasons a listing received (feedback);
 * staged disclosure of an anonymous listing's owner and confidential text;
 * the reminder and lapse timers; the response time on the profile; and
 * hostile input.
 *
 * One server for the suite (api_run), started with
 * MARKETPLACE_MAINTENANCE_INTERVAL_MS=200 so that the timers run while a
 * test waits for them; a deal is made "old" by moving its created_at and
 * state_at back in SQL.  Every test registers organisations of its own
 * (names, emails carry the run's tag), so tests and runs never share a deal.
 * No source-address slots are used (no failing logins).
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "harness.h"

#define DEALS "/api/v1/deals"
#define LISTINGS "/api/v1/listings"

/* ------------------------------------------------------------ helpers */

struct listing {
	char id[40], ref[40], title[200];
};

struct deal {
	char id[40];
	long version;
};

/* The administrator, a member of the listing's organisation (seller of an offer) and one of the initiator's. */
struct cast {
	struct api_acct admin, seller, buyer;
	char seller_name[240]; /* the seller organisation's full name */
};

/* malloc'd: unit repeated n times (free it). */
static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * n + 1);
	ck_assert(s != NULL);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* A member of a new organisation "<org> <who> <tag>", logged in; verified by admin unless admin is NULL. */
static void member(struct api_acct *a, const char *who, const char *org, const char *kind,
		   const struct api_acct *admin, char *full, size_t full_size)
{
	char name[200];
	snprintf(name, sizeof name, "%s %s", org, who);
	api_register(a, who, name, kind, "quang-tri");
	api_login(a);
	if (full != NULL)
		snprintf(full, full_size, "%s %s", name, api_tag());
	if (admin != NULL) {
		char path[160];
		api_org_path(path, sizeof path, a->org_id, "/verify");
		api_expect_only(200, "POST", path, admin->token, "{\"note\":\"Đã kiểm tra giấy phép\"}");
	}
}

static void cast_up(struct cast *c, const char *who)
{
	api_admin(&c->admin);
	char w[64];
	snprintf(w, sizeof w, "%s-ban", who);
	member(&c->seller, w, "Viện Công nghệ Sau thu hoạch", "research_institute", &c->admin, c->seller_name,
	       sizeof c->seller_name);
	snprintf(w, sizeof w, "%s-mua", who);
	member(&c->buyer, w, "Công ty TNHH Chế biến Nông sản Cam Lộ", "enterprise", &c->admin, NULL, 0);
}

static void assert_etag_version(const struct it_response *r, json_t *doc, const char *what)
{
	ck_assert_msg(json_is_integer(json_object_get(doc, "version")), "%s: no integer version: %.300s", what,
		      r->body);
	const char *etag = it_header(r, "ETag");
	char want[32];
	snprintf(want, sizeof want, "\"%lld\"", (long long)json_integer_value(json_object_get(doc, "version")));
	ck_assert_msg(etag != NULL && strcmp(etag, want) == 0, "%s: ETag %s, expected %s", what,
		      etag ? etag : "missing", want);
}

/* A listing of owner's verified organisation, created, submitted and approved; extra (taken) is merged in. */
static void publish(const struct api_acct *owner, const struct api_acct *admin, const char *kind, const char *title,
		    json_t *extra, struct listing *l)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", kind, "title", title, "summary",
			      "Giải pháp đã thử nghiệm tại Quảng Trị", "sector", "2.2", "province", "quang-tri");
	ck_assert(d != NULL);
	if (strcmp(kind, "technology_offer") == 0)
		json_object_set_new(d, "trl", json_integer(6));
	if (strncmp(kind, "equipment", 9) == 0)
		json_object_set_new(d, "equipment", json_pack("{s:s}", "condition", "new"));
	if (extra != NULL) {
		json_object_update(d, extra);
		json_decref(extra);
	}
	char *body = api_dump(d);
	json_t *got = api_expect_json(201, "POST", LISTINGS, owner->token, body);
	free(body);
	snprintf(l->id, sizeof l->id, "%s", api_str(got, "id"));
	snprintf(l->ref, sizeof l->ref, "%s", api_str(got, "ref"));
	snprintf(l->title, sizeof l->title, "%s", title);
	json_decref(got);
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/submit", l->id);
	api_expect_only(200, "POST", path, owner->token, NULL);
	if (admin == NULL)
		return; /* left pending_review */
	snprintf(path, sizeof path, LISTINGS "/%s/approve", l->id);
	api_expect_only(200, "POST", path, admin->token, NULL);
}

/* A published technology offer of the cast's seller titled "<what> <n>". */
static void offer(const struct cast *c, const char *what, int n, struct listing *l)
{
	char title[200];
	snprintf(title, sizeof title, "%s số %d", what, n);
	publish(&c->seller, &c->admin, "technology_offer", title, NULL, l);
}

static void dpath(char *out, size_t size, const char *id, const char *suffix)
{
	snprintf(out, size, DEALS "/%s%s", id, suffix);
}

/* POST /listings/{listing}/interests: `status` expected; for 201 the deal (decref), ETag checked, into d. */
static json_t *interest(const char *token, const char *listing, const char *body, int status, struct deal *d)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/interests", listing);
	struct it_response r;
	api_call(&r, "POST", path, token, body, NULL);
	ck_assert_msg(r.status == status, "POST %s %.200s: status %d, expected %d: %.400s", path, body, r.status,
		      status, r.body);
	api_check_status(&r, status, "POST", path);
	json_t *doc = NULL;
	if (status == 201) {
		doc = it_json(&r);
		assert_etag_version(&r, doc, path);
		if (d != NULL) {
			snprintf(d->id, sizeof d->id, "%s", api_str(doc, "id"));
			d->version = (long)json_integer_value(json_object_get(doc, "version"));
		}
	}
	it_response_free(&r);
	return doc;
}

static const char DEFAULT_INTEREST[] = "{\"message\":\"Chúng tôi muốn tìm hiểu thêm về giải pháp này.\"}";

/* who expresses interest in l: a new deal in proposed. */
static void open_deal(const struct api_acct *who, const struct listing *l, struct deal *d)
{
	json_t *doc = interest(who->token, l->id, DEFAULT_INTEREST, 201, d);
	ck_assert_str_eq(api_str(doc, "state"), "proposed");
	json_decref(doc);
}

/* GET /deals/{id} as token: 200 (the deal, decref; ETag checked) or `status` and NULL. */
static json_t *get_deal(const char *token, const char *id, int status)
{
	char path[200];
	dpath(path, sizeof path, id, "");
	struct it_response r;
	api_expect(&r, status, "GET", path, token, NULL, NULL);
	json_t *doc = NULL;
	if (status == 200) {
		doc = it_json(&r);
		assert_etag_version(&r, doc, path);
		ck_assert_str_eq(api_str(doc, "id"), id);
	}
	it_response_free(&r);
	return doc;
}

/* The deal's state and version as an administrator reads them. */
static void deal_now(const struct api_acct *admin, const char *id, char state[32], long *version)
{
	json_t *doc = get_deal(admin->token, id, 200);
	snprintf(state, 32, "%s", api_str(doc, "state"));
	if (version != NULL)
		*version = (long)json_integer_value(json_object_get(doc, "version"));
	json_decref(doc);
}

static void assert_state(const struct api_acct *admin, const char *id, const char *want)
{
	char state[32];
	deal_now(admin, id, state, NULL);
	ck_assert_msg(strcmp(state, want) == 0, "deal %s is %s, expected %s", id, state, want);
}

/*
 * POST /deals/{id}/transitions as token with body; If-Match "<if_match>"
 * unless if_match < 0; `status` expected.  The 200 deal (decref; ETag
 * checked) or NULL.
 */
static json_t *transit(const char *token, const char *id, const char *body, long if_match, int status)
{
	char path[200], header[64];
	dpath(path, sizeof path, id, "/transitions");
	if (if_match >= 0)
		snprintf(header, sizeof header, "If-Match: \"%ld\"", if_match);
	struct it_response r;
	api_call(&r, "POST", path, token, body, if_match >= 0 ? header : NULL);
	ck_assert_msg(r.status == status, "POST %s %.300s: status %d, expected %d: %.400s", path, body, r.status,
		      status, r.body);
	api_check_status(&r, status, "POST", path);
	json_t *doc = NULL;
	if (status == 200) {
		doc = it_json(&r);
		assert_etag_version(&r, doc, path);
	}
	it_response_free(&r);
	return doc;
}

/* A transition that must succeed (with the current If-Match) into `state`; d->version follows. Returns the deal. */
static json_t *go(const char *token, struct deal *d, const char *body, const char *state)
{
	json_t *doc = transit(token, d->id, body, d->version, 200);
	ck_assert_msg(strcmp(api_str(doc, "state"), state) == 0, "%s on deal %s: state %s, expected %s", body, d->id,
		      api_str(doc, "state"), state);
	long v = (long)json_integer_value(json_object_get(doc, "version"));
	ck_assert_msg(v == d->version + 1, "%s on deal %s: version %ld after %ld", body, d->id, v, d->version);
	d->version = v;
	return doc;
}

static void go_only(const char *token, struct deal *d, const char *body, const char *state)
{
	json_decref(go(token, d, body, state));
}

/* A body every check but the state and the actor accepts, for a transition to `to`. */
static const char *valid_body(const char *to)
{
	static const char *const bodies[][2] = {
		{"declined", "{\"to\":\"declined\",\"reason\":\"price\",\"note\":\"Giá chưa phù hợp\"}"},
		{"withdrawn", "{\"to\":\"withdrawn\",\"reason\":\"too_early\",\"note\":\"Chưa đến lúc đầu tư\"}"},
		{"contracted", "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-CGCN-2026/07\",\"value_vnd\":150000000}"},
		{"cancelled", "{\"to\":\"cancelled\",\"reason\":\"Hai bên không còn liên lạc\"}"},
		{"proposed", "{\"to\":\"proposed\"}"},
		{"negotiating", "{\"to\":\"negotiating\"}"},
		{"agreed", "{\"to\":\"agreed\"}"},
		{"completed", "{\"to\":\"completed\"}"},
		{"lapsed", "{\"to\":\"lapsed\"}"},
		{"disputed", "{\"to\":\"disputed\",\"note\":\"Bên kia không thực hiện cam kết\"}"},
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		if (strcmp(bodies[i][0], to) == 0)
			return bodies[i][1];
	ck_abort_msg("no body for %s", to);
	return NULL;
}

/* Moves a deal's created_at and state_at `hours` into the past (as if it had waited that long). */
static void backdate(const char *id, int hours)
{
	char h[16];
	snprintf(h, sizeof h, "%d", hours);
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_exec(pg,
				      "UPDATE deals SET created_at = now() - make_interval(hours => $2::int),"
				      " state_at = now() - make_interval(hours => $2::int) WHERE id = $1",
				      id, h),
			 1);
	PQfinish(pg);
}

/* Waits (at most `seconds`) until the deal is in `state`. */
static void wait_state(const struct api_acct *admin, const char *id, const char *want, int seconds)
{
	double until = it_now() + seconds;
	char state[32] = "";
	while (it_now() < until) {
		deal_now(admin, id, state, NULL);
		if (strcmp(state, want) == 0)
			return;
		it_sleep_ms(100);
	}
	ck_abort_msg("deal %s is still %s %d s later, expected %s (timer every 200 ms)", id, state, seconds, want);
}

/* A fresh deal of the cast's buyer on a new offer of the seller's, brought to `state` through the routes. */
static void deal_in(const struct cast *c, const char *state, struct listing *l, struct deal *d)
{
	offer(c, "Quy trình bảo quản lạnh thanh long", (int)(it_now() * 1000) % 100000, l);
	open_deal(&c->buyer, l, d);
	if (strcmp(state, "proposed") == 0)
		return;
	if (strcmp(state, "declined") == 0) {
		go_only(c->seller.token, d, valid_body("declined"), "declined");
		return;
	}
	if (strcmp(state, "withdrawn") == 0) {
		go_only(c->buyer.token, d, valid_body("withdrawn"), "withdrawn");
		return;
	}
	if (strcmp(state, "cancelled") == 0) {
		go_only(c->admin.token, d, valid_body("cancelled"), "cancelled");
		return;
	}
	if (strcmp(state, "lapsed") == 0) {
		backdate(d->id, 31 * 24);
		wait_state(&c->admin, d->id, "lapsed", 10);
		char s[32];
		deal_now(&c->admin, d->id, s, &d->version);
		return;
	}
	go_only(c->seller.token, d, "{\"to\":\"negotiating\"}", "negotiating");
	if (strcmp(state, "negotiating") == 0)
		return;
	if (strcmp(state, "disputed") == 0) {
		go_only(c->buyer.token, d, valid_body("disputed"), "disputed");
		return;
	}
	go_only(c->seller.token, d, "{\"to\":\"agreed\"}", "negotiating");
	go_only(c->buyer.token, d, "{\"to\":\"agreed\"}", "agreed");
	if (strcmp(state, "agreed") == 0)
		return;
	go_only(c->buyer.token, d, valid_body("contracted"), "contracted");
	if (strcmp(state, "contracted") == 0)
		return;
	go_only(c->seller.token, d, "{\"to\":\"completed\"}", "completed");
	if (strcmp(state, "completed") == 0)
		return;
	ck_abort_msg("no state %s", state);
}

/*
 * How many of a's notifications (GET /api/v1/notifications, every page)
 * are of `kind` about deal `deal` (data.deal_id) and, unless state is NULL,
 * have data.state `state`.  Each must name `listing` as listing_id unless
 * listing is NULL.
 */
static long notices(const struct api_acct *a, const char *kind, const char *deal, const char *state,
		    const char *listing)
{
	json_t *items = api_list_all("/api/v1/notifications", "limit=100", a->token);
	long n = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *k = json_string_value(json_object_get(it, "kind"));
		json_t *data = json_object_get(it, "data");
		const char *dl = json_string_value(json_object_get(data, "deal_id"));
		if (k == NULL || strcmp(k, kind) != 0 || dl == NULL || strcmp(dl, deal) != 0)
			continue;
		const char *st = json_string_value(json_object_get(data, "state"));
		if (state != NULL && (st == NULL || strcmp(st, state) != 0))
			continue;
		if (listing != NULL) {
			const char *li = json_string_value(json_object_get(it, "listing_id"));
			ck_assert_msg(li != NULL && strcmp(li, listing) == 0,
				      "%s notification about deal %s names listing %s, expected %s", kind, deal,
				      li ? li : "null", listing);
		}
		n++;
	}
	json_decref(items);
	return n;
}

/* Waits (at most `seconds`) for a's first notification of kind about deal. */
static void wait_notice(const struct api_acct *a, const char *kind, const char *deal, int seconds)
{
	double until = it_now() + seconds;
	while (it_now() < until) {
		if (notices(a, kind, deal, NULL, NULL) > 0)
			return;
		it_sleep_ms(150);
	}
	ck_abort_msg("no %s notification for %s about deal %s within %d s", kind, a->email, deal, seconds);
}

/* Every event of the deal, oldest first (json_decref it). */
static json_t *events_of(const char *token, const char *id)
{
	char path[200];
	dpath(path, sizeof path, id, "/events");
	return api_list_all(path, "limit=100", token);
}

/* Fails unless ev is of kind, from/to (NULL: not checked; "" must be null), by side and user (NULL: not checked). */
static void assert_event(json_t *ev, const char *kind, const char *from, const char *to, const char *side,
			 const char *user, const char *what)
{
	char *dump = json_dumps(ev, JSON_COMPACT);
	const char *k = json_string_value(json_object_get(ev, "kind"));
	ck_assert_msg(k != NULL && strcmp(k, kind) == 0, "%s: kind is not %s: %s", what, kind, dump);
	const char *names[] = {"from_state", "to_state"}, *wants[] = {from, to};
	for (int i = 0; i < 2; i++) {
		if (wants[i] == NULL)
			continue;
		json_t *v = json_object_get(ev, names[i]);
		if (wants[i][0] == '\0')
			ck_assert_msg(json_is_null(v), "%s: %s is not null: %s", what, names[i], dump);
		else
			ck_assert_msg(json_is_string(v) && strcmp(json_string_value(v), wants[i]) == 0,
				      "%s: %s is not %s: %s", what, names[i], wants[i], dump);
	}
	json_t *actor = json_object_get(ev, "actor");
	const char *s = json_string_value(json_object_get(actor, "side"));
	ck_assert_msg(s != NULL && strcmp(s, side) == 0, "%s: actor side is not %s: %s", what, side, dump);
	if (user != NULL) {
		const char *u = json_string_value(json_object_get(actor, "user_id"));
		ck_assert_msg(u != NULL && strcmp(u, user) == 0, "%s: actor user_id is not %s: %s", what, user, dump);
	}
	ck_assert_msg(json_is_integer(json_object_get(ev, "id")), "%s: id is not an integer: %s", what, dump);
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(ev, "at"))) > 0, "%s: no time: %s", what,
		      dump);
	free(dump);
}

/* The events of kind `kind` (and to_state `to` unless NULL) among evs. */
static size_t count_events(json_t *evs, const char *kind, const char *to)
{
	size_t n = 0, i;
	json_t *ev;
	json_array_foreach(evs, i, ev) {
		const char *k = json_string_value(json_object_get(ev, "kind"));
		const char *t = json_string_value(json_object_get(ev, "to_state"));
		if (k != NULL && strcmp(k, kind) == 0 && (to == NULL || (t != NULL && strcmp(t, to) == 0)))
			n++;
	}
	return n;
}

static void assert_audited(const struct api_acct *admin, const char *action, const char *id, const char *actor)
{
	json_t *e = api_find_audit("entity=deal&limit=100", admin->token, action, id);
	ck_assert_str_eq(api_str(e, "entity"), "deal");
	if (actor != NULL) {
		const char *got = json_string_value(json_object_get(e, "actor_id"));
		ck_assert_msg(got != NULL && strcmp(got, actor) == 0, "audit %s of deal %s: actor %s, expected %s",
			      action, id, got ? got : "null", actor);
	}
	json_decref(e);
}

/* Whether GET /audit?entity=deal has `action` for the deal. */
static bool audit_has(const struct api_acct *admin, const char *action, const char *id)
{
	json_t *entry = api_audit_entry("entity=deal&limit=100", admin->token, action, id);
	bool found = entry != NULL;
	json_decref(entry);
	return found;
}

/* POST /deals/{id}/messages as token with body: `status`; the 201 message (decref) or NULL. */
static json_t *post_message(const char *token, const char *id, const char *body, int status)
{
	char path[200];
	dpath(path, sizeof path, id, "/messages");
	struct it_response r;
	api_call(&r, "POST", path, token, body, NULL);
	ck_assert_msg(r.status == status, "POST %s %.100s: status %d, expected %d: %.300s", path, body, r.status,
		      status, r.body);
	api_check_status(&r, status, "POST", path);
	json_t *doc = status == 201 ? it_json(&r) : NULL;
	it_response_free(&r);
	return doc;
}

/* POST /deals/{id}/verify as token (If-Match unless if_match < 0): `status`; the 200 deal (decref) or NULL. */
static json_t *verify(const char *token, const char *id, const char *body, long if_match, int status)
{
	char path[200], header[64];
	dpath(path, sizeof path, id, "/verify");
	if (if_match >= 0)
		snprintf(header, sizeof header, "If-Match: \"%ld\"", if_match);
	struct it_response r;
	api_call(&r, "POST", path, token, body, if_match >= 0 ? header : NULL);
	ck_assert_msg(r.status == status, "POST %s: status %d, expected %d: %.300s", path, r.status, status, r.body);
	api_check_status(&r, status, "POST", path);
	json_t *doc = status == 200 ? it_json(&r) : NULL;
	it_response_free(&r);
	return doc;
}

/* The organisation's response_time: answered into *answered; the median (or -1 when null). */
static double response_time(const char *token, const char *org, long *answered)
{
	char path[160];
	api_org_path(path, sizeof path, org, "");
	json_t *doc = api_expect_json(200, "GET", path, token, NULL);
	json_t *rt = api_obj(doc, "response_time");
	json_t *a = json_object_get(rt, "answered"), *m = json_object_get(rt, "median_first_response_hours");
	ck_assert_msg(json_is_integer(a), "response_time.answered is not an integer");
	ck_assert_msg(json_is_null(m) || json_is_number(m), "median_first_response_hours is neither null nor a number");
	*answered = (long)json_integer_value(a);
	double median = json_is_null(m) ? -1 : json_number_value(m);
	json_decref(doc);
	return median;
}

/* Sends body (or none) to path and asserts the 422's errors are exactly pairs. */
static void expect_invalid_raw(const char *path, const char *token, const char *body, const char *const *pairs,
			       const char *what)
{
	struct it_response r;
	api_call(&r, "POST", path, token, body, NULL);
	api_assert_errors(&r, pairs, what);
	it_response_free(&r);
}

/* ------------------------------------------------------------ the whole path */

START_TEST(test_full_path)
{
	struct cast c;
	cast_up(&c, "duong");
	char word[64], title[200];
	api_marker(word, sizeof word, "hotieu");
	snprintf(title, sizeof title, "Công nghệ sấy hồ tiêu bằng bơm nhiệt %s", word);
	struct listing l;
	publish(&c.seller, &c.admin, "technology_offer", title, NULL, &l);

	/* Nothing answered yet: no response time on the seller's profile. */
	long answered = -1;
	double median = response_time(c.buyer.token, c.seller.org_id, &answered);
	ck_assert_int_eq(answered, 0);
	ck_assert_msg(median < 0, "a median first response (%f h) before any deal", median);

	/* The interest. */
	const char *msg = "Công ty chúng tôi muốn ứng dụng công nghệ sấy cho 200 tấn hồ tiêu mỗi vụ ở Cam Lộ.";
	char *body = api_dump(json_pack("{s:s, s:I}", "message", msg, "proposed_value_vnd", (json_int_t)250000000));
	struct deal d;
	json_t *doc = interest(c.buyer.token, l.id, body, 201, &d);
	free(body);
	ck_assert(api_is_uuid(d.id));
	ck_assert_str_eq(api_str(doc, "state"), "proposed");
	json_t *lst = api_obj(doc, "listing");
	ck_assert_str_eq(api_str(lst, "id"), l.id);
	ck_assert_str_eq(api_str(lst, "ref"), l.ref);
	ck_assert_str_eq(api_str(lst, "kind"), "technology_offer");
	ck_assert_str_eq(api_str(lst, "title"), title);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "id"), c.seller.org_id);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "name"), c.seller_name);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "kind"), "research_institute");
	ck_assert_str_eq(api_str(api_obj(doc, "initiator_organization"), "id"), c.buyer.org_id);
	ck_assert_str_eq(api_str(api_obj(doc, "initiator_organization"), "kind"), "enterprise");
	ck_assert_str_eq(api_str(doc, "my_side"), "initiator");
	ck_assert_str_eq(api_str(doc, "my_role"), "buyer");
	ck_assert_str_eq(api_str(doc, "message"), msg);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "proposed_value_vnd")), 250000000);
	json_t *conf = api_obj(doc, "confirmations");
	ck_assert(json_is_null(json_object_get(conf, "listing")) && json_is_null(json_object_get(conf, "initiator")));
	static const char *const nulls[] = {"contract_ref", "value_vnd", "reason", "disputed_from", "verified_at",
					    "first_response_at"};
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		ck_assert_msg(json_is_null(json_object_get(doc, nulls[i])), "a new deal's %s is not null", nulls[i]);
	ck_assert(json_is_false(json_object_get(doc, "verified")));
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(doc, "created_at"))) > 0, "no created_at");
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(doc, "state_at"))) > 0, "no state_at");
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(doc, "updated_at"))) > 0, "no updated_at");
	json_decref(doc);

	/* The listing side sees it from its side and was told; admins see it from none. */
	doc = get_deal(c.seller.token, d.id, 200);
	ck_assert_str_eq(api_str(doc, "my_side"), "listing");
	ck_assert_str_eq(api_str(doc, "my_role"), "seller");
	ck_assert_str_eq(api_str(doc, "message"), msg);
	json_decref(doc);
	doc = get_deal(c.admin.token, d.id, 200);
	ck_assert(json_is_null(json_object_get(doc, "my_side")) && json_is_null(json_object_get(doc, "my_role")));
	json_decref(doc);
	ck_assert_int_eq(notices(&c.seller, "deal_interest", d.id, NULL, l.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_interest", d.id, NULL, NULL), 0);
	assert_audited(&c.admin, "deal.create", d.id, c.buyer.user_id);

	/* The seller answers: negotiating, its first response. */
	doc = go(c.seller.token, &d, "{\"to\":\"negotiating\",\"note\":\"Mời quý công ty trao đổi chi tiết kỹ thuật\"}",
		 "negotiating");
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(doc, "first_response_at"))) > 0,
		      "no first_response_at after the listing side's first answer");
	ck_assert_str_eq(api_str(doc, "note"), "Mời quý công ty trao đổi chi tiết kỹ thuật");
	ck_assert_str_eq(api_str(doc, "my_side"), "listing");
	json_decref(doc);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d.id, "negotiating", l.id), 1);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, NULL, NULL), 0);
	assert_audited(&c.admin, "deal.negotiating", d.id, c.seller.user_id);

	/* Messages both ways, each telling the other side. */
	json_t *m = post_message(c.buyer.token, d.id, "{\"body\":\"Xin gửi bảng thông số lò sấy và báo giá sơ bộ.\"}", 201);
	ck_assert_str_eq(api_str(m, "deal_id"), d.id);
	ck_assert_str_eq(api_str(m, "body"), "Xin gửi bảng thông số lò sấy và báo giá sơ bộ.");
	ck_assert_str_eq(api_str(api_obj(m, "author"), "user_id"), c.buyer.user_id);
	ck_assert_str_eq(api_str(api_obj(m, "author"), "side"), "initiator");
	ck_assert_str_eq(api_str(api_obj(m, "author"), "display_name"), "Người dùng duong-mua");
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(m, "created_at"))) > 0, "no created_at");
	json_decref(m);
	ck_assert_int_eq(notices(&c.seller, "deal_message", d.id, NULL, l.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_message", d.id, NULL, NULL), 0);
	json_decref(post_message(c.seller.token, d.id, "{\"body\":\"Đã nhận, hẹn gặp tại Đông Hà thứ Hai tới.\"}", 201));
	ck_assert_int_eq(notices(&c.buyer, "deal_message", d.id, NULL, l.id), 1);

	/* Two-sided agreement: the first confirmation keeps it negotiating. */
	doc = go(c.seller.token, &d, "{\"to\":\"agreed\"}", "negotiating");
	conf = api_obj(doc, "confirmations");
	ck_assert_str_eq(api_str(api_obj(conf, "listing"), "by"), c.seller.user_id);
	ck_assert(api_parse_utc(api_str(api_obj(conf, "listing"), "at")) > 0);
	ck_assert(json_is_null(json_object_get(conf, "initiator")));
	json_decref(doc);
	transit(c.seller.token, d.id, "{\"to\":\"agreed\"}", d.version, 409); /* the same side twice */
	doc = go(c.buyer.token, &d, "{\"to\":\"agreed\"}", "agreed");
	conf = api_obj(doc, "confirmations");
	ck_assert_str_eq(api_str(api_obj(conf, "listing"), "by"), c.seller.user_id);
	ck_assert_str_eq(api_str(api_obj(conf, "initiator"), "by"), c.buyer.user_id);
	json_decref(doc);

	/* The contract. */
	char path[200];
	dpath(path, sizeof path, d.id, "/transitions");
	expect_invalid_raw(path, c.buyer.token, "{\"to\":\"contracted\"}", API_PAIRS("contract_ref", "", "value_vnd", ""),
			   "contracted with neither contract_ref nor value_vnd");
	verify(c.admin.token, d.id, NULL, -1, 409); /* not completed yet */
	doc = go(c.buyer.token, &d,
		 "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-CGCN-2026/015\",\"value_vnd\":240000000,"
		 "\"note\":\"Ký tại Sở KH&CN Quảng Trị\"}",
		 "contracted");
	ck_assert_str_eq(api_str(doc, "contract_ref"), "HĐ-CGCN-2026/015");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "value_vnd")), 240000000);
	json_decref(doc);
	go_only(c.seller.token, &d, "{\"to\":\"completed\",\"note\":\"Đã bàn giao và vận hành thử\"}", "completed");
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d.id, "completed", l.id), 1);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, "completed", l.id), 0);

	/* Verification: administrators only, once. */
	verify(c.seller.token, d.id, NULL, -1, 403);
	verify(c.buyer.token, d.id, "{\"note\":\"tự xác nhận\"}", -1, 403);
	verify(c.admin.token, d.id, "{\"note\":\"Đã đối chiếu hợp đồng\"}", d.version + 3, 412);
	doc = verify(c.admin.token, d.id, "{\"note\":\"Đã đối chiếu hợp đồng và biên bản nghiệm thu\"}", d.version, 200);
	ck_assert(json_is_true(json_object_get(doc, "verified")));
	ck_assert_msg(api_parse_utc(json_string_value(json_object_get(doc, "verified_at"))) > 0, "no verified_at");
	ck_assert_str_eq(api_str(doc, "state"), "completed");
	json_decref(doc);
	verify(c.admin.token, d.id, NULL, -1, 409);
	doc = get_deal(c.buyer.token, d.id, 200);
	ck_assert(json_is_true(json_object_get(doc, "verified")));
	json_decref(doc);
	assert_audited(&c.admin, "deal.agreed", d.id, NULL);
	assert_audited(&c.admin, "deal.contracted", d.id, c.buyer.user_id);
	assert_audited(&c.admin, "deal.completed", d.id, c.seller.user_id);
	assert_audited(&c.admin, "deal.verify", d.id, c.admin.user_id);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, "agreed", l.id), 1);

	/* A completed deal takes no more messages. */
	post_message(c.buyer.token, d.id, "{\"body\":\"Cảm ơn\"}", 409);

	/* The events: every step, by whom, in order. */
	json_t *evs = events_of(c.buyer.token, d.id);
	ck_assert_msg(json_array_size(evs) == 7, "%zu events, expected 7", json_array_size(evs));
	assert_event(json_array_get(evs, 0), "created", "", NULL, "initiator", c.buyer.user_id, "event 0");
	assert_event(json_array_get(evs, 1), "transition", "proposed", "negotiating", "listing", c.seller.user_id,
		     "event 1");
	ck_assert_str_eq(api_str(json_array_get(evs, 1), "note"), "Mời quý công ty trao đổi chi tiết kỹ thuật");
	assert_event(json_array_get(evs, 2), "confirmation", "negotiating", NULL, "listing", c.seller.user_id, "event 2");
	assert_event(json_array_get(evs, 3), "transition", "negotiating", "agreed", "initiator", c.buyer.user_id,
		     "event 3");
	assert_event(json_array_get(evs, 4), "transition", "agreed", "contracted", "initiator", c.buyer.user_id,
		     "event 4");
	assert_event(json_array_get(evs, 5), "transition", "contracted", "completed", "listing", c.seller.user_id,
		     "event 5");
	ck_assert_str_eq(api_str(json_array_get(evs, 5), "note"), "Đã bàn giao và vận hành thử");
	assert_event(json_array_get(evs, 6), "verification", NULL, NULL, "admin", c.admin.user_id, "event 6");
	for (size_t i = 1; i < json_array_size(evs); i++) {
		json_t *a = json_array_get(evs, i - 1), *b = json_array_get(evs, i);
		ck_assert_msg(json_integer_value(json_object_get(a, "id")) < json_integer_value(json_object_get(b, "id")),
			      "event ids not increasing at %zu", i);
		ck_assert_msg(api_parse_utc(api_str(a, "at")) <= api_parse_utc(api_str(b, "at")),
			      "event times go back at %zu", i);
		ck_assert_str_eq(api_str(b, "deal_id"), d.id);
	}
	json_decref(evs);
	/* The seller reads the same history, also in pages of two. */
	evs = events_of(c.seller.token, d.id);
	ck_assert_int_eq(json_array_size(evs), 7);
	json_decref(evs);
	dpath(path, sizeof path, d.id, "/events");
	json_t *paged = api_list_all(path, "limit=2", c.seller.token);
	ck_assert_int_eq(json_array_size(paged), 7);
	ck_assert_str_eq(api_str(json_array_get(paged, 6), "kind"), "verification");
	json_decref(paged);

	/* The first response shows on the seller's profile (answered within seconds). */
	median = response_time(c.buyer.token, c.seller.org_id, &answered);
	ck_assert_int_eq(answered, 1);
	ck_assert_msg(median >= 0 && median < 0.5, "median first response %f h, expected about 0", median);

	/* Both organisations list it. */
	json_t *items = api_list_all(DEALS, "limit=100", c.buyer.token);
	ck_assert(json_array_size(items) == 1 && api_has_id(items, d.id));
	json_decref(items);
	items = api_list_all(DEALS, "limit=100", c.seller.token);
	ck_assert(json_array_size(items) == 1 && api_has_id(items, d.id));
	json_decref(items);
}
END_TEST

/* ------------------------------------------------------------ interests */

START_TEST(test_interests)
{
	struct cast c;
	cast_up(&c, "quantam");
	struct api_acct loose;
	member(&loose, "quantam-moi", "Hợp tác xã Chưa xác minh", "startup", NULL, NULL, 0);
	struct listing l, l2, l3, draft, pending, closed;
	offer(&c, "Chế phẩm sinh học ủ phân", 1, &l);
	offer(&c, "Chế phẩm sinh học ủ phân", 2, &l2);
	offer(&c, "Chế phẩm sinh học ủ phân", 3, &l3);
	publish(&c.seller, NULL, "technology_offer", "Bản nháp chờ duyệt", NULL, &pending);
	offer(&c, "Tin đã đóng", 4, &closed);
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/close", closed.id);
	api_expect_only(200, "POST", path, c.seller.token, NULL);
	json_t *dd = json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "technology_offer", "title", "Bản nháp", "sector",
			       "2.2", "province", "quang-tri", "trl", 4);
	char *db = api_dump(dd);
	json_t *got = api_expect_json(201, "POST", LISTINGS, c.seller.token, db);
	free(db);
	snprintf(draft.id, sizeof draft.id, "%s", api_str(got, "id"));
	json_decref(got);

	/* Who may: not anonymous callers, not administrators (no organisation), even with a bad body. */
	snprintf(path, sizeof path, LISTINGS "/%s/interests", l.id);
	api_expect_only(401, "POST", path, NULL, DEFAULT_INTEREST);
	api_expect_only(403, "POST", path, c.admin.token, DEFAULT_INTEREST);
	api_expect_only(403, "POST", path, c.admin.token, "{\"message\":\"\"}");

	/* Not on one's own listing; not on listings that are not published. */
	interest(c.seller.token, l.id, DEFAULT_INTEREST, 409, NULL);
	interest(c.seller.token, draft.id, DEFAULT_INTEREST, 409, NULL);
	interest(c.buyer.token, draft.id, DEFAULT_INTEREST, 404, NULL);
	interest(c.buyer.token, pending.id, DEFAULT_INTEREST, 404, NULL);
	interest(c.buyer.token, "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", DEFAULT_INTEREST, 404, NULL);
	interest(c.buyer.token, "QT-TO-1999-999999", DEFAULT_INTEREST, 404, NULL);
	/* A closed listing is no longer public: unknown (404) or not published (409), never a deal. */
	snprintf(path, sizeof path, LISTINGS "/%s/interests", closed.id);
	struct it_response r;
	api_call(&r, "POST", path, c.buyer.token, DEFAULT_INTEREST, NULL);
	ck_assert_msg(r.status == 404 || r.status == 409, "interest in a closed listing: status %d: %.300s", r.status,
		      r.body);
	it_assert_problem(&r, r.status);
	it_response_free(&r);
	json_t *items = api_list_all(DEALS, "limit=100", c.buyer.token);
	ck_assert_msg(json_array_size(items) == 0, "refused interests made %zu deals", json_array_size(items));
	json_decref(items);

	/* By the listing's ref. */
	struct deal d1;
	json_t *doc = interest(c.buyer.token, l.ref, DEFAULT_INTEREST, 201, &d1);
	ck_assert_str_eq(api_str(api_obj(doc, "listing"), "id"), l.id);
	ck_assert(json_is_null(json_object_get(doc, "proposed_value_vnd")));
	json_decref(doc);

	/* A second open deal of the same organisation on the listing: 409 pointing at the first. */
	for (int step = 0; step < 2; step++) {
		snprintf(path, sizeof path, LISTINGS "/%s/interests", l.id);
		api_expect(&r, 409, "POST", path, c.buyer.token, "{\"message\":\"Hỏi lại lần nữa\"}", NULL);
		json_t *p = it_json(&r);
		const char *deal_id = json_string_value(json_object_get(p, "deal_id"));
		ck_assert_msg(deal_id != NULL && strcmp(deal_id, d1.id) == 0, "409 deal_id is not %s: %s", d1.id, r.body);
		char want[120];
		snprintf(want, sizeof want, "/api/v1/deals/%s", d1.id);
		ck_assert_msg(strstr(api_str(p, "detail"), want) != NULL, "409 detail does not name %s: %s", want, r.body);
		json_decref(p);
		it_response_free(&r);
		if (step == 0) /* still open once negotiating */
			go_only(c.seller.token, &d1, "{\"to\":\"negotiating\"}", "negotiating");
	}
	/* A bad body is 422 even when the deal would be a duplicate (fields before state). */
	api_expect_invalid("POST", path, c.buyer.token, json_pack("{s:s}", "message", ""), API_PAIRS("message", ""),
			   "an empty message on a duplicate interest");
	api_expect_invalid("POST", path, c.seller.token, json_pack("{s:s}", "message", ""), API_PAIRS("message", ""),
			   "an empty message on one's own listing");

	/* An organisation not yet verified may express interest too. */
	struct deal dl;
	open_deal(&loose, &l, &dl);
	ck_assert_str_ne(dl.id, d1.id);

	/* Once the first deal is over, a new one may start. */
	go_only(c.buyer.token, &d1, "{\"to\":\"withdrawn\",\"reason\":\"found_elsewhere\"}", "withdrawn");
	struct deal d2;
	open_deal(&c.buyer, &l, &d2);
	ck_assert_str_ne(d2.id, d1.id);

	/* Idempotency-Key: a replay answers the first 201; the key with another body is 422. */
	char key[96];
	snprintf(key, sizeof key, "Idempotency-Key: interest-%s", api_tag());
	snprintf(path, sizeof path, LISTINGS "/%s/interests", l2.id);
	const char *ibody = "{\"message\":\"Đề nghị hợp tác chuyển giao\",\"proposed_value_vnd\":90000000}";
	struct it_response first, again, other;
	api_expect(&first, 201, "POST", path, c.buyer.token, ibody, key);
	api_expect(&again, 201, "POST", path, c.buyer.token, ibody, key);
	ck_assert_str_eq(again.body, first.body);
	const char *replayed = it_header(&again, "Idempotency-Replayed");
	ck_assert_msg(replayed != NULL && strcmp(replayed, "true") == 0, "a replay without Idempotency-Replayed: true");
	api_expect(&other, 422, "POST", path, c.buyer.token, "{\"message\":\"Nội dung khác\"}", key);
	it_response_free(&other);
	api_expect(&other, 409, "POST", path, c.buyer.token, ibody, NULL); /* without the key: a duplicate */
	it_response_free(&other);
	json_t *fd = it_json(&first);
	const char *first_id = api_str(fd, "id");
	items = api_list_all(DEALS, "limit=100", c.buyer.token);
	size_t on_l2 = 0, i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (strcmp(api_str(api_obj(it, "listing"), "id"), l2.id) == 0) {
			on_l2++;
			ck_assert_str_eq(api_str(it, "id"), first_id);
		}
	ck_assert_msg(on_l2 == 1, "%zu deals on the listing after a replayed interest", on_l2);
	json_decref(items);
	ck_assert_int_eq(notices(&c.seller, "deal_interest", first_id, NULL, l2.id), 1); /* told once */
	json_decref(fd);
	it_response_free(&first);
	it_response_free(&again);

	/* The same key and body sent to another listing is another request, not a replay of the first. */
	json_t *twin[2];
	const char *targets[2] = {l2.id, l3.id};
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, LISTINGS "/%s/interests", targets[k]);
		struct it_response made;
		api_expect(&made, 201, "POST", path, loose.token, ibody, key);
		twin[k] = it_json(&made);
		it_response_free(&made);
		ck_assert_str_eq(api_str(api_obj(twin[k], "listing"), "id"), targets[k]);
	}
	ck_assert_str_ne(api_str(twin[0], "id"), api_str(twin[1], "id"));
	json_decref(twin[0]);
	json_decref(twin[1]);

	/* Bodies. */
	snprintf(path, sizeof path, LISTINGS "/%s/interests", l3.id);
	char *long_msg = repeat("ữ", 5001);
	static const struct {
		const char *body;
		const char *field;
	} bad[] = {
		{"{}", "message"},
		{"{\"message\":\"\"}", "message"},
		{"{\"message\":null}", "message"},
		{"{\"message\":42}", "message"},
		{"{\"message\":[\"x\"]}", "message"},
		{"{\"message\":\"x\",\"proposed_value_vnd\":-1}", "proposed_value_vnd"},
		{"{\"message\":\"x\",\"proposed_value_vnd\":\"100000\"}", "proposed_value_vnd"},
		{"{\"message\":\"x\",\"proposed_value_vnd\":1.5}", "proposed_value_vnd"},
		{"{\"message\":\"x\",\"gia\":100}", "gia"},
		{"{\"message\":\"x\",\"state\":\"agreed\"}", "state"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		char what[200];
		snprintf(what, sizeof what, "interest %s", bad[k].body);
		expect_invalid_raw(path, c.buyer.token, bad[k].body, API_PAIRS(bad[k].field, ""), what);
	}
	expect_invalid_raw(path, c.buyer.token, "{\"proposed_value_vnd\":-5,\"bogus\":true}",
			   API_PAIRS("message", "", "proposed_value_vnd", "", "bogus", ""), "three bad fields at once");
	api_expect_invalid("POST", path, c.buyer.token, json_pack("{s:s}", "message", long_msg), API_PAIRS("message", ""),
			   "a message of 5001 characters");
	free(long_msg);
	api_expect_only(400, "POST", path, c.buyer.token, "{\"message\":");
	api_expect(&r, 415, "POST", path, c.buyer.token, DEFAULT_INTEREST, "Content-Type: text/plain");
	it_response_free(&r);
	items = api_list_all(DEALS, "limit=100", c.buyer.token);
	json_array_foreach(items, i, it)
		ck_assert_msg(strcmp(api_str(api_obj(it, "listing"), "id"), l3.id) != 0, "a refused body made a deal");
	json_decref(items);
	/* 5000 characters (15000 bytes) are fine, kept as sent. */
	long_msg = repeat("ữ", 5000);
	char *b = api_dump(json_pack("{s:s, s:n}", "message", long_msg, "proposed_value_vnd"));
	doc = interest(c.buyer.token, l3.id, b, 201, NULL);
	ck_assert_str_eq(api_str(doc, "message"), long_msg);
	json_decref(doc);
	free(b);
	free(long_msg);
}
END_TEST

/* ------------------------------------------------------------ transition bodies and If-Match */

START_TEST(test_transition_validation)
{
	struct cast c;
	cast_up(&c, "hople");
	struct api_acct outsider;
	member(&outsider, "hople-ngoai", "Công ty Bên ngoài", "enterprise", NULL, NULL, 0);
	struct listing l;
	struct deal d;
	deal_in(&c, "proposed", &l, &d);
	char path[200];
	dpath(path, sizeof path, d.id, "/transitions");
	char *long_reason = repeat("ý", 2001);
	char *cancel_long = api_dump(json_pack("{s:s, s:s}", "to", "cancelled", "reason", long_reason));
	free(long_reason);
	const struct {
		const char *token, *body, *field;
	} bad[] = {
		{c.seller.token, "{}", "to"},
		{c.seller.token, "{\"to\":\"finished\"}", "to"},
		{c.seller.token, "{\"to\":\"NEGOTIATING\"}", "to"},
		{c.seller.token, "{\"to\":5}", "to"},
		{c.seller.token, "{\"to\":null}", "to"},
		{c.seller.token, "{\"to\":\"declined\"}", "reason"},
		{c.seller.token, "{\"to\":\"declined\",\"reason\":\"khong_thich\"}", "reason"},
		{c.seller.token, "{\"to\":\"declined\",\"reason\":\"Giá cao quá\"}", "reason"},
		{c.seller.token, "{\"to\":\"declined\",\"reason\":7}", "reason"},
		{c.seller.token, "{\"to\":\"declined\",\"reason\":\"price\",\"bogus\":1}", "bogus"},
		{c.seller.token, "{\"to\":\"negotiating\",\"note\":123}", "note"},
		{c.buyer.token, "{\"to\":\"withdrawn\"}", "reason"},
		{c.buyer.token, "{\"to\":\"withdrawn\",\"reason\":\"\"}", "reason"},
		{c.buyer.token, "{\"to\":\"withdrawn\",\"reason\":\"doi_y\",\"note\":\"Đổi ý\"}", "reason"},
		{c.admin.token, "{\"to\":\"cancelled\"}", "reason"},
		{c.admin.token, "{\"to\":\"cancelled\",\"reason\":null,\"note\":null}", "reason"},
		{c.admin.token, cancel_long, "reason"},
		/* A bad body is 422 before the deal is looked up, even for an outsider. */
		{outsider.token, "{\"to\":\"nowhere\"}", "to"},
	};
	struct api_failures failures = {0};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct it_response r;
		api_call(&r, "POST", path, bad[i].token, bad[i].body, NULL);
		char *msg = NULL;
		bool ok = r.status == 422;
		if (ok) {
			json_t *p = it_json(&r);
			json_t *errors = json_object_get(p, "errors");
			ok = json_is_array(errors) && json_array_size(errors) == 1 &&
			     json_is_string(json_object_get(json_array_get(errors, 0), "field")) &&
			     strcmp(json_string_value(json_object_get(json_array_get(errors, 0), "field")), bad[i].field) == 0;
			json_decref(p);
		}
		if (!ok && asprintf(&msg, "case %zu %.120s: expected 422 naming %s only, got %d: %.300s", i, bad[i].body,
				    bad[i].field, r.status, r.body) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
		it_response_free(&r);
	}
	free(cancel_long);
	ck_assert_msg(failures.len == 0, "transition bodies answered wrongly:\n%s", failures.s);
	free(failures.s);
	char state[32];
	long v;
	deal_now(&c.admin, d.id, state, &v);
	ck_assert_str_eq(state, "proposed");
	ck_assert_int_eq(v, d.version);
	api_expect_only(400, "POST", path, c.seller.token, "{\"to\":");
	struct it_response r;
	api_expect(&r, 415, "POST", path, c.seller.token, "{\"to\":\"negotiating\"}", "Content-Type: text/plain");
	it_response_free(&r);
	api_expect_only(401, "POST", path, NULL, "{\"to\":\"negotiating\"}");

	/* If-Match: 403 (never allowed) before 412 (stale) before 409 (not from this state). */
	transit(c.seller.token, d.id, "{\"to\":\"negotiating\"}", d.version + 7, 412);
	transit(c.buyer.token, d.id, valid_body("declined"), d.version + 7, 403);
	transit(c.seller.token, d.id, valid_body("cancelled"), d.version + 7, 403);
	transit(c.buyer.token, d.id, "{\"to\":\"agreed\"}", d.version + 7, 412);
	transit(c.buyer.token, d.id, "{\"to\":\"agreed\"}", d.version, 409);
	transit(c.seller.token, d.id, "{\"to\":\"completed\"}", -1, 409);
	/* A malformed If-Match matches no version. */
	api_expect(&r, 412, "POST", path, c.seller.token, "{\"to\":\"negotiating\"}", "If-Match: khong-phai-so");
	it_response_free(&r);
	deal_now(&c.admin, d.id, state, &v);
	ck_assert_str_eq(state, "proposed");
	ck_assert_int_eq(v, d.version);
	/* The current version, or none, is accepted. */
	go_only(c.seller.token, &d, "{\"to\":\"negotiating\"}", "negotiating");
	json_decref(transit(c.seller.token, d.id, "{\"to\":\"agreed\"}", -1, 200));
	d.version++;
	go_only(c.buyer.token, &d, "{\"to\":\"agreed\"}", "agreed");

	/* contracted needs contract_ref (1..100) and value_vnd. */
	char *ref100 = repeat("Đ", 100), *ref101 = repeat("Đ", 101);
	char *b100 = api_dump(json_pack("{s:s, s:s, s:I}", "to", "contracted", "contract_ref", ref100, "value_vnd",
				      (json_int_t)120000000));
	char *b101 = api_dump(json_pack("{s:s, s:s, s:I}", "to", "contracted", "contract_ref", ref101, "value_vnd",
				      (json_int_t)120000000));
	expect_invalid_raw(path, c.buyer.token, "{\"to\":\"contracted\"}", API_PAIRS("contract_ref", "", "value_vnd", ""),
			   "contracted with nothing");
	expect_invalid_raw(path, c.buyer.token, "{\"to\":\"contracted\",\"value_vnd\":100}", API_PAIRS("contract_ref", ""),
			   "contracted without contract_ref");
	expect_invalid_raw(path, c.seller.token, "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-01\"}",
			   API_PAIRS("value_vnd", ""), "contracted without value_vnd");
	expect_invalid_raw(path, c.buyer.token, "{\"to\":\"contracted\",\"contract_ref\":\"\",\"value_vnd\":100}",
			   API_PAIRS("contract_ref", ""), "contracted with an empty contract_ref");
	expect_invalid_raw(path, c.buyer.token, "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-01\",\"value_vnd\":\"100\"}",
			   API_PAIRS("value_vnd", ""), "contracted with a value_vnd string");
	expect_invalid_raw(path, c.buyer.token, b101, API_PAIRS("contract_ref", ""), "a contract_ref of 101 characters");
	assert_state(&c.admin, d.id, "agreed");
	json_t *doc = go(c.buyer.token, &d, b100, "contracted");
	ck_assert_str_eq(api_str(doc, "contract_ref"), ref100);
	json_decref(doc);
	free(ref100);
	free(ref101);
	free(b100);
	free(b101);

	/* cancelled: a note alone will do. */
	doc = go(c.admin.token, &d, "{\"to\":\"cancelled\",\"note\":\"Theo đề nghị của hai bên\"}", "cancelled");
	ck_assert_str_eq(api_str(doc, "note"), "Theo đề nghị của hai bên");
	json_decref(doc);
	assert_audited(&c.admin, "deal.cancelled", d.id, c.admin.user_id);
}
END_TEST

/* ------------------------------------------------------------ every refused transition */

enum actor { LISTING_SIDE, INITIATOR_SIDE, ADMIN, ACTORS };

static const char *const STATES[] = {"proposed", "negotiating", "agreed",   "contracted", "completed",
				     "declined", "withdrawn",   "lapsed",   "disputed",   "cancelled"};
#define NSTATES (sizeof STATES / sizeof STATES[0])

/* The contract's table: may `actor` move a deal from `from` to `to`? */
static bool allowed(const char *from, const char *to, enum actor actor)
{
	static const struct {
		const char *from, *to;
		bool sides[ACTORS];
	} table[] = {
		{"proposed", "negotiating", {true, false, false}},
		{"proposed", "declined", {true, false, false}},
		{"proposed", "withdrawn", {false, true, false}},
		{"negotiating", "withdrawn", {false, true, false}},
		{"negotiating", "agreed", {true, true, false}},
		{"agreed", "contracted", {true, true, false}},
		{"contracted", "completed", {true, true, false}},
		{"proposed", "disputed", {true, true, false}},
		{"negotiating", "disputed", {true, true, false}},
		{"agreed", "disputed", {true, true, false}},
		{"contracted", "disputed", {true, true, false}},
		{"disputed", "negotiating", {false, false, true}},
		{"disputed", "cancelled", {false, false, true}},
		{"proposed", "cancelled", {false, false, true}},
		{"negotiating", "cancelled", {false, false, true}},
		{"agreed", "cancelled", {false, false, true}},
		{"contracted", "cancelled", {false, false, true}},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if ((from == NULL || strcmp(table[i].from, from) == 0) && strcmp(table[i].to, to) == 0 &&
		    table[i].sides[actor])
			return true;
	return false;
}

START_TEST(test_forbidden_transitions)
{
	struct cast c;
	cast_up(&c, "camchuyen");
	const char *names[ACTORS] = {"listing side", "initiator side", "admin"};
	const char *tokens[ACTORS] = {c.seller.token, c.buyer.token, c.admin.token};
	struct api_failures failures = {0};
	for (size_t s = 0; s < NSTATES; s++) {
		struct listing l;
		struct deal d;
		deal_in(&c, STATES[s], &l, &d);
		for (size_t t = 0; t < NSTATES; t++) {
			for (int a = 0; a < ACTORS; a++) {
				if (allowed(STATES[s], STATES[t], (enum actor)a))
					continue;
				/* 403 when the actor may never move a deal there, else 409. */
				int want = allowed(NULL, STATES[t], (enum actor)a) ? 409 : 403;
				char path[200];
				dpath(path, sizeof path, d.id, "/transitions");
				struct it_response r;
				const char *body = valid_body(STATES[t]);
				api_call(&r, "POST", path, tokens[a], body, NULL);
				char *msg = NULL;
				if (r.status != want &&
				    asprintf(&msg, "%s -> %s by the %s: status %d, expected %d: %.200s", STATES[s],
					     STATES[t], names[a], r.status, want, r.body) < 0)
					msg = NULL;
				api_note_failure(&failures, msg);
				it_response_free(&r);
			}
		}
		/* Nothing refused changed the deal. */
		char state[32];
		long v;
		deal_now(&c.admin, d.id, state, &v);
		char *msg = NULL;
		if ((strcmp(state, STATES[s]) != 0 || v != d.version) &&
		    asprintf(&msg, "a %s deal is %s, version %ld (was %ld) after refused transitions", STATES[s], state, v,
			     d.version) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);

		/* Verification: administrators only, of a completed deal, once. */
		verify(c.seller.token, d.id, NULL, -1, 403);
		verify(c.buyer.token, d.id, "{\"note\":\"x\"}", -1, 403);
		if (strcmp(STATES[s], "completed") == 0) {
			json_t *doc = verify(c.admin.token, d.id, "{\"note\":\"Hồ sơ đầy đủ\"}", -1, 200);
			ck_assert(json_is_true(json_object_get(doc, "verified")));
			json_decref(doc);
			verify(c.admin.token, d.id, NULL, -1, 409);
		} else {
			verify(c.admin.token, d.id, NULL, -1, 409);
			json_t *doc = get_deal(c.admin.token, d.id, 200);
			ck_assert_msg(json_is_false(json_object_get(doc, "verified")), "a %s deal got verified", STATES[s]);
			json_decref(doc);
		}
	}
	ck_assert_msg(failures.len == 0, "refused transitions answered wrongly:\n%s", failures.s);
	free(failures.s);
}
END_TEST

/* ------------------------------------------------------------ two-sided agreement, disputes, cancellation */

/* The moderation queue's deal item for id (json_decref it), or NULL; walks every page. */
static json_t *queued_deal(const struct api_acct *admin, const char *id)
{
	char cursor[512] = "";
	for (int pages = 0; pages < 500; pages++) {
		char path[700];
		snprintf(path, sizeof path, "/api/v1/moderation/queue?limit=100%s%s", cursor[0] ? "&cursor=" : "", cursor);
		json_t *doc = api_expect_json(200, "GET", path, admin->token, NULL);
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(doc, "items"), i, it) {
			if (strcmp(api_str(it, "type"), "deal") == 0 && strcmp(api_str(it, "id"), id) == 0) {
				json_incref(it);
				json_decref(doc);
				return it;
			}
		}
		json_t *next = json_object_get(doc, "next_cursor");
		bool more = json_is_string(next);
		if (more)
			snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		json_decref(doc);
		if (!more)
			return NULL;
	}
	ck_abort_msg("the moderation queue does not end");
	return NULL;
}

START_TEST(test_confirmation_and_disputes)
{
	struct cast c;
	cast_up(&c, "tranhchap");
	struct listing l;
	struct deal d;
	deal_in(&c, "negotiating", &l, &d);

	/* The initiator confirms first; the same side again is 409. */
	json_t *doc = go(c.buyer.token, &d, "{\"to\":\"agreed\"}", "negotiating");
	json_t *conf = api_obj(doc, "confirmations");
	ck_assert_str_eq(api_str(api_obj(conf, "initiator"), "by"), c.buyer.user_id);
	ck_assert(json_is_null(json_object_get(conf, "listing")));
	json_decref(doc);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, NULL, l.id), 1); /* told of the confirmation */
	transit(c.buyer.token, d.id, "{\"to\":\"agreed\"}", -1, 409);
	transit(c.buyer.token, d.id, "{\"to\":\"agreed\"}", d.version, 409);
	assert_state(&c.admin, d.id, "negotiating");
	/* The confirmation is a transition to agreed: its audit row is deal.agreed (checked last). */
	bool confirmation_audited = audit_has(&c.admin, "deal.agreed", d.id);

	/* A dispute from negotiating: queued for moderation, with where it came from. */
	doc = go(c.seller.token, &d, "{\"to\":\"disputed\",\"note\":\"Bên mua yêu cầu thêm điều khoản ngoài thỏa thuận\"}",
		 "disputed");
	ck_assert_str_eq(api_str(doc, "disputed_from"), "negotiating");
	json_decref(doc);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d.id, "disputed", l.id), 1);
	assert_audited(&c.admin, "deal.disputed", d.id, c.seller.user_id);
	/* (Checked last, so that a missing queue item hides nothing below.) */
	json_t *q = queued_deal(&c.admin, d.id);
	bool queued = q != NULL;
	if (queued) {
		ck_assert_str_eq(api_str(q, "title"), l.title);
		ck_assert_msg(api_parse_utc(json_string_value(json_object_get(q, "since"))) > 0, "the queue item has no since");
		ck_assert_str_eq(api_str(api_obj(q, "deal"), "id"), d.id);
		ck_assert_str_eq(api_str(api_obj(q, "deal"), "state"), "disputed");
		json_decref(q);
	}

	/* Members do not resolve disputes. */
	transit(c.seller.token, d.id, "{\"to\":\"negotiating\"}", -1, 409);
	transit(c.buyer.token, d.id, "{\"to\":\"negotiating\"}", -1, 403);
	transit(c.seller.token, d.id, valid_body("cancelled"), -1, 403);
	transit(c.buyer.token, d.id, valid_body("cancelled"), -1, 403);
	transit(c.buyer.token, d.id, "{\"to\":\"agreed\"}", -1, 409);

	/* The administrator sends it back to negotiating: confirmations start again, both sides are told. */
	long seller_told = notices(&c.seller, "deal_transition", d.id, NULL, l.id);
	long buyer_told = notices(&c.buyer, "deal_transition", d.id, NULL, l.id);
	doc = go(c.admin.token, &d, "{\"to\":\"negotiating\",\"note\":\"Đã hòa giải, tiếp tục đàm phán\"}", "negotiating");
	conf = api_obj(doc, "confirmations");
	ck_assert_msg(json_is_null(json_object_get(conf, "listing")) && json_is_null(json_object_get(conf, "initiator")),
		      "confirmations survive the return to negotiating");
	json_decref(doc);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, NULL, l.id), seller_told + 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d.id, NULL, l.id), buyer_told + 1);
	assert_audited(&c.admin, "deal.negotiating", d.id, c.admin.user_id);
	ck_assert_msg(queued_deal(&c.admin, d.id) == NULL, "a resolved dispute is still in the queue");
	json_t *evs = events_of(c.seller.token, d.id);
	json_t *last = json_array_get(evs, json_array_size(evs) - 1);
	assert_event(last, "transition", "disputed", "negotiating", "admin", c.admin.user_id, "the resolution");
	json_decref(evs);

	/* The old initiator confirmation is gone: the seller's alone does not agree. */
	go_only(c.seller.token, &d, "{\"to\":\"agreed\"}", "negotiating");
	go_only(c.buyer.token, &d, "{\"to\":\"agreed\"}", "agreed");

	/* A dispute from agreed, cancelled by the administrator with a reason. */
	doc = go(c.buyer.token, &d, "{\"to\":\"disputed\"}", "disputed");
	ck_assert_str_eq(api_str(doc, "disputed_from"), "agreed");
	json_decref(doc);
	char path[200];
	dpath(path, sizeof path, d.id, "/transitions");
	expect_invalid_raw(path, c.admin.token, "{\"to\":\"cancelled\"}", API_PAIRS("reason", ""),
			   "cancelling without reason or note");
	doc = go(c.admin.token, &d, "{\"to\":\"cancelled\",\"reason\":\"Hai bên không thống nhất được giá\"}", "cancelled");
	ck_assert_str_eq(api_str(doc, "reason"), "Hai bên không thống nhất được giá");
	json_decref(doc);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d.id, "cancelled", l.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d.id, "cancelled", l.id), 1);
	assert_audited(&c.admin, "deal.cancelled", d.id, c.admin.user_id);
	ck_assert_msg(queued_deal(&c.admin, d.id) == NULL, "a cancelled deal is still in the queue");
	post_message(c.buyer.token, d.id, "{\"body\":\"Vẫn muốn trao đổi\"}", 409);
	transit(c.buyer.token, d.id, "{\"to\":\"disputed\"}", -1, 409);

	/* An administrator may cancel any open deal, e.g. one just proposed. */
	struct listing l2;
	struct deal d2;
	deal_in(&c, "proposed", &l2, &d2);
	doc = go(c.admin.token, &d2, "{\"to\":\"cancelled\",\"note\":\"Trùng lặp với giao dịch khác\"}", "cancelled");
	ck_assert_str_eq(api_str(doc, "note"), "Trùng lặp với giao dịch khác");
	json_decref(doc);
	ck_assert_int_eq(notices(&c.seller, "deal_transition", d2.id, "cancelled", l2.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", d2.id, "cancelled", l2.id), 1);
	evs = events_of(c.buyer.token, d2.id);
	assert_event(json_array_get(evs, json_array_size(evs) - 1), "transition", "proposed", "cancelled", "admin",
		     c.admin.user_id, "the cancellation");
	json_decref(evs);
	ck_assert_msg(confirmation_audited && queued, "%s%s",
		      confirmation_audited ? "" : "the first side's confirmation (to: agreed) left no deal.agreed audit row; ",
		      queued ? "" : "GET /moderation/queue does not list the disputed deal (type deal)");
}
END_TEST

/* ------------------------------------------------------------ races */

/* Both requests written on their own connections before either answer is read. */
static void race(const char *tok1, const char *body1, const char *tok2, const char *body2, const char *id,
		 long if_match, struct it_response *r1, struct it_response *r2)
{
	char path[200], header[64];
	dpath(path, sizeof path, id, "/transitions");
	if (if_match >= 0)
		snprintf(header, sizeof header, "If-Match: \"%ld\"", if_match);
	const char *extra = if_match >= 0 ? header : NULL;
	int f1 = api_send(NULL, "POST", path, tok1, body1, extra);
	int f2 = api_send(NULL, "POST", path, tok2, body2, extra);
	api_recv(f1, r1, "POST", path);
	api_recv(f2, r2, "POST", path);
}

static bool lost(int status) { return status == 409 || status == 412; }

/*
 * One race between two transitions that exclude each other: exactly one
 * 200, the other 409 or 412, the deal in the winner's state, one version
 * on.  Returns 1 when the first won, 2 when the second did, 0 on a failure
 * (noted).
 */
static int one_winner(const struct api_acct *admin, struct deal *d, const char *tok1, const char *to1,
		      const char *tok2, const char *to2, long if_match, struct api_failures *failures, const char *what)
{
	struct it_response r1, r2;
	race(tok1, valid_body(to1), tok2, valid_body(to2), d->id, if_match, &r1, &r2);
	int winner = r1.status == 200 && lost(r2.status) ? 1 : r2.status == 200 && lost(r1.status) ? 2 : 0;
	char *msg = NULL;
	if (winner == 0) {
		if (asprintf(&msg, "%s, deal %s: %s -> %d, %s -> %d (%.150s | %.150s)", what, d->id, to1, r1.status, to2,
			     r2.status, r1.body, r2.body) < 0)
			msg = NULL;
	} else {
		char state[32];
		long v;
		deal_now(admin, d->id, state, &v);
		const char *want = winner == 1 ? to1 : to2;
		if ((strcmp(state, want) != 0 || v != d->version + 1) &&
		    asprintf(&msg, "%s, deal %s: %s won but the deal is %s, version %ld (was %ld)", what, d->id, want, state,
			     v, d->version) < 0)
			msg = NULL;
		d->version = v;
	}
	if (msg != NULL)
		winner = 0;
	api_note_failure(failures, msg);
	it_response_free(&r1);
	it_response_free(&r2);
	return winner;
}

START_TEST(test_race)
{
	struct cast c;
	cast_up(&c, "duaxe");
	struct api_acct other;
	member(&other, "duaxe-khac", "Công ty Cơ khí Triệu Phong", "enterprise", &c.admin, NULL, 0);
	enum { N = 20 };
	struct listing l[N];
	struct deal d[N], e[N];
	for (int i = 0; i < N; i++) {
		offer(&c, "Máy tách vỏ cà phê", i, &l[i]);
		open_deal(&c.buyer, &l[i], &d[i]);
		open_deal(&other, &l[i], &e[i]);
	}
	struct api_failures failures = {0};

	/* negotiating (listing side) against withdrawn (initiator), both with the same If-Match. */
	int wins[3] = {0};
	for (int i = 0; i < N; i++)
		wins[one_winner(&c.admin, &d[i], c.seller.token, "negotiating", c.buyer.token, "withdrawn", d[i].version,
				&failures, "negotiating vs withdrawn, If-Match")]++;
	fprintf(stderr, "race negotiating/withdrawn with If-Match: listing side won %d, initiator %d, failed %d\n",
		wins[1], wins[2], wins[0]);

	/* declined against withdrawn, without If-Match. */
	int wins2[3] = {0};
	for (int i = 0; i < N; i++)
		wins2[one_winner(&c.admin, &e[i], c.seller.token, "declined", other.token, "withdrawn", -1, &failures,
				 "declined vs withdrawn, no If-Match")]++;
	fprintf(stderr, "race declined/withdrawn without If-Match: listing side won %d, initiator %d, failed %d\n",
		wins2[1], wins2[2], wins2[0]);

	/*
	 * Both sides confirm at once (no If-Match): never a lost confirmation.
	 * Either both are taken (agreed, two versions on) or one is refused
	 * (409/412; negotiating with the winner's confirmation only).
	 */
	int both = 0, one = 0;
	for (int i = 0; i < N; i++) {
		char state[32];
		deal_now(&c.admin, d[i].id, state, &d[i].version);
		if (strcmp(state, "negotiating") != 0) {
			open_deal(&c.buyer, &l[i], &d[i]);
			go_only(c.seller.token, &d[i], "{\"to\":\"negotiating\"}", "negotiating");
		}
		struct it_response r1, r2;
		race(c.seller.token, "{\"to\":\"agreed\"}", c.buyer.token, "{\"to\":\"agreed\"}", d[i].id, -1, &r1, &r2);
		json_t *doc = get_deal(c.admin.token, d[i].id, 200);
		const char *st = api_str(doc, "state");
		long v = (long)json_integer_value(json_object_get(doc, "version"));
		json_t *conf = api_obj(doc, "confirmations");
		bool cl = json_is_object(json_object_get(conf, "listing")), ci = json_is_object(json_object_get(conf, "initiator"));
		bool ok;
		if (r1.status == 200 && r2.status == 200) {
			ok = strcmp(st, "agreed") == 0 && v == d[i].version + 2 && cl && ci;
			both++;
		} else if (r1.status == 200 && lost(r2.status)) {
			ok = strcmp(st, "negotiating") == 0 && v == d[i].version + 1 && cl && !ci;
			one++;
		} else if (r2.status == 200 && lost(r1.status)) {
			ok = strcmp(st, "negotiating") == 0 && v == d[i].version + 1 && !cl && ci;
			one++;
		} else {
			ok = false;
		}
		char *msg = NULL;
		if (!ok && asprintf(&msg, "both confirm, deal %s: listing %d, initiator %d; now %s, version %ld (was %ld),"
					  " confirmations listing %d initiator %d",
				    d[i].id, r1.status, r2.status, st, v, d[i].version, cl, ci) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
		json_decref(doc);
		it_response_free(&r1);
		it_response_free(&r2);
	}
	fprintf(stderr, "race of two confirmations: both taken %d, one refused %d\n", both, one);

	/*
	 * The same organisation's interest twice at once: one deal, and the
	 * other answer is the 409 that points at it (deal_id and its path).
	 */
	int pointed = 0;
	char unpointed[512] = "";
	for (int i = 0; i < N; i++) {
		struct listing fresh;
		offer(&c, "Lò sấy nông sản đa năng", 100 + i, &fresh);
		char path[200];
		snprintf(path, sizeof path, LISTINGS "/%s/interests", fresh.id);
		int f1 = api_send(NULL, "POST", path, other.token, DEFAULT_INTEREST, NULL);
		int f2 = api_send(NULL, "POST", path, other.token, DEFAULT_INTEREST, NULL);
		struct it_response r[2];
		api_recv(f1, &r[0], "POST", path);
		api_recv(f2, &r[1], "POST", path);
		int w = r[0].status == 201 && r[1].status == 409 ? 0 : r[1].status == 201 && r[0].status == 409 ? 1 : -1;
		char *msg = NULL;
		if (w < 0) {
			if (asprintf(&msg, "two interests at once: %d and %d (%.150s | %.150s)", r[0].status, r[1].status,
				     r[0].body, r[1].body) < 0)
				msg = NULL;
		} else {
			json_t *made = it_json(&r[w]), *refused = it_json(&r[1 - w]);
			const char *id = api_str(made, "id");
			const char *deal_id = json_string_value(json_object_get(refused, "deal_id"));
			const char *detail = json_string_value(json_object_get(refused, "detail"));
			char want[120];
			snprintf(want, sizeof want, "/api/v1/deals/%s", id);
			if (deal_id != NULL && strcmp(deal_id, id) == 0 && detail != NULL && strstr(detail, want) != NULL)
				pointed++;
			else if (unpointed[0] == '\0')
				snprintf(unpointed, sizeof unpointed, "deal %s, the 409: %.300s", id, r[1 - w].body);
			json_decref(made);
			json_decref(refused);
		}
		api_note_failure(&failures, msg);
		json_t *items = api_list_all(DEALS, "limit=100", c.seller.token);
		size_t on = 0, k;
		json_t *it;
		json_array_foreach(items, k, it)
			on += strcmp(api_str(api_obj(it, "listing"), "id"), fresh.id) == 0;
		json_decref(items);
		msg = NULL;
		if (on != 1 && asprintf(&msg, "two interests at once made %zu deals", on) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
		it_response_free(&r[0]);
		it_response_free(&r[1]);
	}
	fprintf(stderr, "race of two interests: %d of %d refusals point at the deal made\n", pointed, N);
	if (unpointed[0] != '\0') {
		char *msg = NULL;
		if (asprintf(&msg, "two interests at once: %d of %d 409s lack deal_id and the deal's path, e.g. %s",
			     N - pointed, N, unpointed) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
	}

	/* Two verifications of one completed deal at once: one 200, one 409. */
	for (int i = 0; i < 5; i++) {
		struct listing lc;
		struct deal dc;
		deal_in(&c, "completed", &lc, &dc);
		char path[200];
		dpath(path, sizeof path, dc.id, "/verify");
		int f1 = api_send(NULL, "POST", path, c.admin.token, "{\"note\":\"Lần một\"}", NULL);
		int f2 = api_send(NULL, "POST", path, c.admin.token, "{\"note\":\"Lần hai\"}", NULL);
		struct it_response r1, r2;
		api_recv(f1, &r1, "POST", path);
		api_recv(f2, &r2, "POST", path);
		char *msg = NULL;
		bool ok = (r1.status == 200 && lost(r2.status)) || (r2.status == 200 && lost(r1.status));
		if (!ok && asprintf(&msg, "two verifications at once: %d and %d", r1.status, r2.status) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
		json_t *evs = events_of(c.admin.token, dc.id);
		msg = NULL;
		if (count_events(evs, "verification", NULL) != 1 &&
		    asprintf(&msg, "two verifications at once left %zu verification events",
			     count_events(evs, "verification", NULL)) < 0)
			msg = NULL;
		api_note_failure(&failures, msg);
		json_decref(evs);
		it_response_free(&r1);
		it_response_free(&r2);
	}
	ck_assert_msg(failures.len == 0, "races answered wrongly:\n%s", failures.s);
	free(failures.s);
}
END_TEST

/* ------------------------------------------------------------ outsiders */

START_TEST(test_outsiders)
{
	struct cast c;
	cast_up(&c, "nguoingoai");
	struct api_acct out;
	member(&out, "nguoingoai-x", "Công ty Tò Mò", "enterprise", &c.admin, NULL, 0);
	struct listing l;
	struct deal d;
	deal_in(&c, "negotiating", &l, &d);
	json_decref(post_message(c.buyer.token, d.id, "{\"body\":\"Tin nhắn riêng giữa hai bên\"}", 201));

	/* The listing is public; the deal on it is not. */
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s", l.id);
	api_expect_only(200, "GET", path, out.token, NULL);
	static const struct {
		const char *method, *suffix, *body;
	} routes[] = {
		{"GET", "", NULL},
		{"POST", "/transitions", "{\"to\":\"disputed\"}"},
		{"POST", "/transitions", "{\"to\":\"withdrawn\",\"reason\":\"other\"}"},
		{"POST", "/transitions", "{\"to\":\"agreed\"}"},
		{"POST", "/transitions", "{\"to\":\"cancelled\",\"reason\":\"x\"}"}, /* 404 before 403 */
		{"GET", "/messages", NULL},
		{"POST", "/messages", "{\"body\":\"Chen ngang\"}"},
		{"GET", "/events", NULL},
	};
	const char *unknown = "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab";
	struct api_failures wording = {0}; /* checked last: the wording hides nothing else */
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		dpath(path, sizeof path, d.id, routes[i].suffix);
		struct it_response r;
		api_expect(&r, 404, routes[i].method, path, out.token, routes[i].body, NULL);
		char *msg = NULL;
		if (strstr(r.body, "No such deal, or it is not yours to see.") == NULL &&
		    asprintf(&msg, "%s %s: the 404 is not \"No such deal, or it is not yours to see.\": %.300s",
			     routes[i].method, routes[i].suffix[0] ? routes[i].suffix : "/deals/{id}", r.body) < 0)
			msg = NULL;
		api_note_failure(&wording, msg);
		it_response_free(&r);
		api_expect_only(401, routes[i].method, path, NULL, routes[i].body);
		dpath(path, sizeof path, unknown, routes[i].suffix);
		api_expect_only(404, routes[i].method, path, c.seller.token, routes[i].body);
		api_expect_only(404, routes[i].method, path, c.admin.token, routes[i].body);
	}
	/* verify is the administrators' route: members are refused before any deal is looked up. */
	verify(out.token, d.id, NULL, -1, 403);
	dpath(path, sizeof path, d.id, "/verify");
	api_expect_only(401, "POST", path, NULL, NULL);
	verify(c.admin.token, unknown, NULL, -1, 404);
	api_expect_only(401, "GET", DEALS, NULL, NULL);
	json_t *items = api_list_all(DEALS, "limit=100", out.token);
	ck_assert_msg(json_array_size(items) == 0, "an outsider lists %zu deals", json_array_size(items));
	json_decref(items);

	/* Nothing the outsider sent changed anything. */
	char state[32];
	long v;
	deal_now(&c.admin, d.id, state, &v);
	ck_assert_str_eq(state, "negotiating");
	ck_assert_int_eq(v, d.version);
	dpath(path, sizeof path, d.id, "/messages");
	items = api_list_all(path, "limit=100", c.seller.token);
	ck_assert_int_eq(json_array_size(items), 1);
	json_decref(items);
	json_t *evs = events_of(c.seller.token, d.id);
	ck_assert_int_eq(json_array_size(evs), 2);
	json_decref(evs);

	/* Its own interest in the same listing is its own deal; the two initiators do not see each other's. */
	struct deal mine;
	open_deal(&out, &l, &mine);
	json_decref(get_deal(out.token, mine.id, 200));
	get_deal(out.token, d.id, 404);
	get_deal(c.buyer.token, mine.id, 404);
	json_decref(get_deal(c.seller.token, mine.id, 200));
	items = api_list_all(DEALS, "limit=100", c.seller.token);
	ck_assert(json_array_size(items) == 2 && api_has_id(items, mine.id) && api_has_id(items, d.id));
	json_decref(items);
	items = api_list_all(DEALS, "limit=100", out.token);
	ck_assert(json_array_size(items) == 1 && api_has_id(items, mine.id));
	json_decref(items);
	ck_assert_int_eq(notices(&c.buyer, "deal_interest", mine.id, NULL, NULL), 0);
	ck_assert_int_eq(notices(&c.seller, "deal_interest", mine.id, NULL, l.id), 1);
	ck_assert_msg(wording.len == 0, "the contract's 404 wording:\n%s", wording.s);
	free(wording.s);
}
END_TEST

/* ------------------------------------------------------------ messages */

START_TEST(test_messages)
{
	struct cast c;
	cast_up(&c, "tinnhan");
	struct api_acct out;
	member(&out, "tinnhan-x", "Công ty Nghe lén", "enterprise", NULL, NULL, 0);
	struct listing l;
	struct deal d;
	deal_in(&c, "proposed", &l, &d);
	char path[200];
	dpath(path, sizeof path, d.id, "/messages");

	static const char *const bodies[] = {"Xin chào, bên em là Công ty Cam Lộ.", "Chào anh, viện đã nhận được quan tâm.",
					     "Cho em hỏi công suất tối đa?", "Khoảng 2 tấn mỗi mẻ ạ.",
					     "Cảm ơn, em sẽ báo lại."};
	for (size_t i = 0; i < 5; i++) {
		const struct api_acct *who = i % 2 == 0 ? &c.buyer : &c.seller;
		char *b = api_dump(json_pack("{s:s}", "body", bodies[i]));
		json_t *m = post_message(who->token, d.id, b, 201);
		free(b);
		ck_assert_str_eq(api_str(m, "body"), bodies[i]);
		ck_assert_str_eq(api_str(api_obj(m, "author"), "user_id"), who->user_id);
		ck_assert_str_eq(api_str(api_obj(m, "author"), "side"), i % 2 == 0 ? "initiator" : "listing");
		json_decref(m);
	}
	ck_assert_int_eq(notices(&c.seller, "deal_message", d.id, NULL, l.id), 3);
	ck_assert_int_eq(notices(&c.buyer, "deal_message", d.id, NULL, l.id), 2);
	json_t *m = post_message(c.admin.token, d.id, "{\"body\":\"Sàn nhắc hai bên giữ liên lạc qua hệ thống.\"}", 201);
	ck_assert_str_eq(api_str(api_obj(m, "author"), "side"), "admin");
	ck_assert_str_eq(api_str(api_obj(m, "author"), "user_id"), c.admin.user_id);
	json_decref(m);

	/* 5000 characters are fine, 5001 are not. */
	char *long_body = repeat("ữ", 5000);
	char *b = api_dump(json_pack("{s:s}", "body", long_body));
	m = post_message(c.buyer.token, d.id, b, 201);
	ck_assert_str_eq(api_str(m, "body"), long_body);
	json_decref(m);
	free(b);
	char *too_long = repeat("ữ", 5001);
	api_expect_invalid("POST", path, c.buyer.token, json_pack("{s:s}", "body", too_long), API_PAIRS("body", ""),
			   "a message of 5001 characters");
	free(too_long);
	expect_invalid_raw(path, c.buyer.token, "{\"body\":\"\"}", API_PAIRS("body", ""), "an empty message");
	expect_invalid_raw(path, c.buyer.token, "{}", API_PAIRS("body", ""), "no body");
	expect_invalid_raw(path, c.buyer.token, "{\"body\":5}", API_PAIRS("body", ""), "a number");
	expect_invalid_raw(path, c.seller.token, "{\"body\":\"x\",\"to\":\"agreed\"}", API_PAIRS("to", ""),
			   "an unknown field");
	api_expect_only(400, "POST", path, c.buyer.token, "{\"body\":");
	struct it_response r;
	api_expect(&r, 415, "POST", path, c.buyer.token, "{\"body\":\"x\"}", "Content-Type: text/plain");
	it_response_free(&r);

	/* Oldest first, in pages, the same for both sides and the administrator. */
	const char *tokens[] = {c.buyer.token, c.seller.token, c.admin.token};
	for (size_t t = 0; t < 3; t++) {
		json_t *items = api_list_all(path, "limit=2", tokens[t]);
		ck_assert_msg(json_array_size(items) == 7, "%zu messages, expected 7", json_array_size(items));
		for (size_t i = 0; i < 5; i++)
			ck_assert_str_eq(api_str(json_array_get(items, i), "body"), bodies[i]);
		ck_assert_str_eq(api_str(json_array_get(items, 6), "body"), long_body);
		for (size_t i = 1; i < 7; i++) {
			ck_assert_str_ne(api_str(json_array_get(items, i - 1), "id"), api_str(json_array_get(items, i), "id"));
			ck_assert(api_parse_utc(api_str(json_array_get(items, i - 1), "created_at")) <=
				  api_parse_utc(api_str(json_array_get(items, i), "created_at")));
			ck_assert_str_eq(api_str(json_array_get(items, i), "deal_id"), d.id);
		}
		json_decref(items);
	}
	free(long_body);
	char q[300];
	snprintf(q, sizeof q, "%s?limit=0", path);
	api_expect_only(400, "GET", q, c.buyer.token, NULL);
	snprintf(q, sizeof q, "%s?limit=101", path);
	api_expect_only(400, "GET", q, c.buyer.token, NULL);

	/* Outsiders neither read nor write. */
	api_expect_only(404, "GET", path, out.token, NULL);
	api_expect_only(404, "POST", path, out.token, "{\"body\":\"Chào\"}");

	/* A deal that is over takes no more messages, but keeps them. */
	go_only(c.buyer.token, &d, valid_body("withdrawn"), "withdrawn");
	post_message(c.buyer.token, d.id, "{\"body\":\"Xin lỗi đã làm phiền\"}", 409);
	post_message(c.seller.token, d.id, "{\"body\":\"Không sao\"}", 409);
	json_t *items = api_list_all(path, "limit=100", c.seller.token);
	ck_assert_int_eq(json_array_size(items), 7);
	json_decref(items);
}
END_TEST

/* ------------------------------------------------------------ GET /deals */

/*
 * Fails unless items are exactly n distinct deals, each in ids (n0 of
 * them), each with my_role role (unless NULL), and newest first by
 * created_at when `ordered` (asked only while no deal has changed since it
 * was made, so that newest by creation and by change agree).
 */
static void assert_listed(json_t *items, size_t n, struct deal *const *ids, size_t n0, const char *role,
			  bool ordered, const char *what)
{
	ck_assert_msg(json_array_size(items) == n, "%s: %zu deals, expected %zu", what, json_array_size(items), n);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		bool known = false;
		for (size_t k = 0; k < n0; k++)
			known |= strcmp(ids[k]->id, api_str(it, "id")) == 0;
		ck_assert_msg(known, "%s: deal %s is not one expected", what, api_str(it, "id"));
		for (size_t k = 0; k < i; k++)
			ck_assert_msg(strcmp(api_str(json_array_get(items, k), "id"), api_str(it, "id")) != 0,
				      "%s: deal %s listed twice", what, api_str(it, "id"));
		if (ordered && i > 0)
			ck_assert_msg(strcmp(api_str(json_array_get(items, i - 1), "created_at"), api_str(it, "created_at")) >= 0,
				      "%s: not newest first at %zu", what, i);
		if (role != NULL)
			ck_assert_str_eq(api_str(it, "my_role"), role);
	}
}

START_TEST(test_list_filters)
{
	struct cast c;
	cast_up(&c, "loc");
	struct api_acct out;
	member(&out, "loc-x", "Công ty Không liên quan", "startup", NULL, NULL, 0);
	enum { NO = 14, ND = 9 };
	struct listing lo[NO], ld[ND];
	struct deal dof[NO], dde[ND];
	struct deal *all[NO + ND], *offers[NO], *demands[ND];
	for (int i = 0; i < NO; i++) {
		offer(&c, "Thiết bị lọc nước nhiễm mặn", i, &lo[i]);
		open_deal(&c.buyer, &lo[i], &dof[i]);
		all[i] = offers[i] = &dof[i];
	}
	for (int i = 0; i < ND; i++) {
		char title[200];
		snprintf(title, sizeof title, "Cần công nghệ xử lý nước thải chế biến mủ cao su số %d", i);
		publish(&c.seller, &c.admin, "technology_demand", title, NULL, &ld[i]);
		open_deal(&c.buyer, &ld[i], &dde[i]);
		all[NO + i] = demands[i] = &dde[i];
	}
	/* On a demand, the initiator supplies: it is the seller. */
	json_t *doc = get_deal(c.buyer.token, dde[0].id, 200);
	ck_assert_str_eq(api_str(doc, "my_side"), "initiator");
	ck_assert_str_eq(api_str(doc, "my_role"), "seller");
	json_decref(doc);
	doc = get_deal(c.seller.token, dde[0].id, 200);
	ck_assert_str_eq(api_str(doc, "my_side"), "listing");
	ck_assert_str_eq(api_str(doc, "my_role"), "buyer");
	json_decref(doc);
	/* Every deal, once, newest first, in pages of 7; the default page is 20. */
	json_t *items = api_list_all(DEALS, "limit=7", c.buyer.token);
	assert_listed(items, NO + ND, all, NO + ND, NULL, true, "buyer, limit=7");
	ck_assert_str_eq(api_str(json_array_get(items, 0), "id"), dde[ND - 1].id); /* the last one made */
	ck_assert_str_eq(api_str(json_array_get(items, NO + ND - 1), "id"), dof[0].id);
	json_decref(items);
	struct deal *neg[5] = {&dof[0], &dof[1], &dof[2], &dde[0], &dde[1]};
	for (int i = 0; i < 5; i++)
		go_only(c.seller.token, neg[i], "{\"to\":\"negotiating\"}", "negotiating");
	doc = api_expect_json(200, "GET", DEALS, c.buyer.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 20);
	json_t *next = json_object_get(doc, "next_cursor");
	ck_assert_msg(json_is_string(next), "no next_cursor after a full page");
	char path[700];
	snprintf(path, sizeof path, DEALS "?cursor=%s", json_string_value(next));
	json_decref(doc);
	doc = api_expect_json(200, "GET", path, c.buyer.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), NO + ND - 20);
	ck_assert(json_is_null(json_object_get(doc, "next_cursor")));
	json_decref(doc);
	items = api_list_all(DEALS, "limit=5", c.seller.token);
	assert_listed(items, NO + ND, all, NO + ND, NULL, false, "seller, limit=5");
	json_decref(items);

	/* role= */
	items = api_list_all(DEALS, "role=buyer&limit=4", c.buyer.token);
	assert_listed(items, NO, offers, NO, "buyer", false, "buyer, role=buyer");
	json_decref(items);
	items = api_list_all(DEALS, "role=seller&limit=4", c.buyer.token);
	assert_listed(items, ND, demands, ND, "seller", false, "buyer, role=seller");
	json_decref(items);
	items = api_list_all(DEALS, "role=seller", c.seller.token);
	assert_listed(items, NO, offers, NO, "seller", false, "seller, role=seller");
	json_decref(items);
	items = api_list_all(DEALS, "role=buyer", c.seller.token);
	assert_listed(items, ND, demands, ND, "buyer", false, "seller, role=buyer");
	json_decref(items);

	/* state= */
	items = api_list_all(DEALS, "state=negotiating&limit=2", c.buyer.token);
	assert_listed(items, 5, neg, 5, NULL, false, "state=negotiating");
	json_decref(items);
	items = api_list_all(DEALS, "state=proposed&limit=10", c.seller.token);
	ck_assert_int_eq(json_array_size(items), NO + ND - 5);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		ck_assert_str_eq(api_str(it, "state"), "proposed");
	json_decref(items);
	items = api_list_all(DEALS, "state=negotiating&role=seller", c.buyer.token);
	assert_listed(items, 2, &neg[3], 2, "seller", false, "state=negotiating&role=seller");
	json_decref(items);
	items = api_list_all(DEALS, "state=completed", c.buyer.token);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);
	items = api_list_all(DEALS, "", out.token);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);

	/* Administrators see everyone's deals, but have no role. */
	items = api_list_all(DEALS, "state=negotiating&limit=100", c.admin.token);
	for (int k = 0; k < 5; k++)
		ck_assert_msg(api_has_id(items, neg[k]->id), "the administrator's list misses a negotiating deal");
	json_array_foreach(items, i, it)
		ck_assert_str_eq(api_str(it, "state"), "negotiating");
	json_decref(items);
	api_expect_only(400, "GET", DEALS "?role=buyer", c.admin.token, NULL);
	api_expect_only(400, "GET", DEALS "?role=owner", c.buyer.token, NULL);
	api_expect_only(400, "GET", DEALS "?state=finished", c.buyer.token, NULL);
	api_expect_only(400, "GET", DEALS "?state=finished", c.admin.token, NULL);
	api_expect_only(400, "GET", DEALS "?limit=0", c.buyer.token, NULL);
	api_expect_only(400, "GET", DEALS "?limit=101", c.buyer.token, NULL);
	api_expect_only(400, "GET", DEALS "?cursor=!!!", c.buyer.token, NULL);
}
END_TEST

/* ------------------------------------------------------------ feedback */

START_TEST(test_feedback)
{
	struct cast c;
	cast_up(&c, "gopy");
	struct api_acct third;
	member(&third, "gopy-ba", "Hợp tác xã Dược liệu Hướng Hóa", "enterprise", &c.admin, NULL, 0);
	struct listing l, hidden;
	offer(&c, "Quy trình chiết xuất tinh dầu tràm", 1, &l);
	publish(&c.seller, NULL, "technology_offer", "Tin chờ duyệt của viện", NULL, &hidden);
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/feedback", l.id);

	/* Nothing yet: every reason counted as 0. */
	json_t *doc = api_expect_json(200, "GET", path, c.seller.token, NULL);
	static const char *const reasons[] = {"too_early", "benefit_unclear", "price",           "terms",
					      "capacity",  "description_unclear", "found_elsewhere", "other"};
	for (size_t i = 0; i < 8; i++)
		ck_assert_msg(json_is_integer(json_object_get(api_obj(doc, "counts"), reasons[i])) &&
				      json_integer_value(json_object_get(api_obj(doc, "counts"), reasons[i])) == 0,
			      "counts.%s is not 0", reasons[i]);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 0);
	json_decref(doc);

	struct deal d1, d2, d3, d4;
	open_deal(&c.buyer, &l, &d1);
	go_only(c.seller.token, &d1, "{\"to\":\"declined\",\"reason\":\"price\",\"note\":\"Mức giá đề xuất thấp hơn chi phí\"}",
		"declined");
	open_deal(&c.buyer, &l, &d2);
	go_only(c.seller.token, &d2, "{\"to\":\"negotiating\"}", "negotiating");
	go_only(c.buyer.token, &d2, "{\"to\":\"withdrawn\",\"reason\":\"found_elsewhere\",\"note\":\"Đã chọn nhà cung cấp khác\"}",
		"withdrawn");
	open_deal(&third, &l, &d3);
	go_only(third.token, &d3, "{\"to\":\"withdrawn\",\"reason\":\"price\"}", "withdrawn");
	open_deal(&c.buyer, &l, &d4);
	go_only(c.admin.token, &d4, "{\"to\":\"cancelled\",\"reason\":\"price\"}", "cancelled"); /* not a decline */

	const char *readers[] = {c.seller.token, c.admin.token};
	for (size_t k = 0; k < 2; k++) {
		doc = api_expect_json(200, "GET", path, readers[k], NULL);
		ck_assert_str_eq(api_str(doc, "listing_id"), l.id);
		ck_assert_str_eq(api_str(doc, "ref"), l.ref);
		json_t *counts = api_obj(doc, "counts");
		for (size_t i = 0; i < 8; i++) {
			long want = strcmp(reasons[i], "price") == 0 ? 2 : strcmp(reasons[i], "found_elsewhere") == 0 ? 1 : 0;
			ck_assert_msg(json_integer_value(json_object_get(counts, reasons[i])) == want, "counts.%s is %lld, expected %ld",
				      reasons[i], (long long)json_integer_value(json_object_get(counts, reasons[i])), want);
		}
		json_t *items = json_object_get(doc, "items");
		ck_assert_msg(json_array_size(items) == 3, "%zu feedback items, expected 3", json_array_size(items));
		/* newest first */
		ck_assert_str_eq(api_str(json_array_get(items, 0), "state"), "withdrawn");
		ck_assert_str_eq(api_str(json_array_get(items, 0), "reason"), "price");
		ck_assert(json_is_null(json_object_get(json_array_get(items, 0), "note")));
		ck_assert_str_eq(api_str(json_array_get(items, 1), "state"), "withdrawn");
		ck_assert_str_eq(api_str(json_array_get(items, 1), "reason"), "found_elsewhere");
		ck_assert_str_eq(api_str(json_array_get(items, 1), "note"), "Đã chọn nhà cung cấp khác");
		ck_assert_str_eq(api_str(json_array_get(items, 2), "state"), "declined");
		ck_assert_str_eq(api_str(json_array_get(items, 2), "reason"), "price");
		ck_assert_str_eq(api_str(json_array_get(items, 2), "note"), "Mức giá đề xuất thấp hơn chi phí");
		for (size_t i = 0; i < 3; i++)
			ck_assert(api_parse_utc(api_str(json_array_get(items, i), "at")) > 0);
		json_decref(doc);
	}
	/* By the ref too. */
	char by_ref[200];
	snprintf(by_ref, sizeof by_ref, LISTINGS "/%s/feedback", l.ref);
	doc = api_expect_json(200, "GET", by_ref, c.seller.token, NULL);
	ck_assert_str_eq(api_str(doc, "listing_id"), l.id);
	json_decref(doc);

	/* Others who can see the listing, even its deals' initiators: 403; a listing they cannot see: 404. */
	api_expect_only(403, "GET", path, c.buyer.token, NULL);
	api_expect_only(403, "GET", path, third.token, NULL);
	api_expect_only(401, "GET", path, NULL, NULL);
	snprintf(path, sizeof path, LISTINGS "/%s/feedback", hidden.id);
	api_expect_only(404, "GET", path, c.buyer.token, NULL);
	doc = api_expect_json(200, "GET", path, c.seller.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 0);
	json_decref(doc);
	api_expect_only(404, "GET", LISTINGS "/6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab/feedback", c.admin.token, NULL);
}
END_TEST

/* ------------------------------------------------------------ staged disclosure */

/* Fails if body shows the secret, the owner's name or id, or the name's ASCII tail (should it come \u-escaped). */
static void assert_clean(const char *body, const char *secret, const char *name, const char *org_id, const char *what)
{
	char tail[64];
	snprintf(tail, sizeof tail, "andanh-ban %s", api_tag());
	ck_assert_msg(strstr(body, secret) == NULL, "%s shows the confidential text: %.300s", what, body);
	ck_assert_msg(strstr(body, name) == NULL && strstr(body, tail) == NULL, "%s shows the anonymous owner's name: %.300s",
		      what, body);
	if (org_id != NULL)
		ck_assert_msg(strstr(body, org_id) == NULL, "%s shows the anonymous owner's id: %.300s", what, body);
}

static void assert_clean_get(const char *path, const char *token, const char *secret, const char *name,
			     const char *org_id)
{
	struct it_response r;
	api_expect(&r, 200, "GET", path, token, NULL, NULL);
	assert_clean(r.body, secret, name, org_id, path);
	it_response_free(&r);
}

/* As token, GET /listings/{id}: whether it shows the secret and the owner's name and id (fails on half of it). */
static bool sees_owner(const char *token, const char *id, const char *secret, const char *name, const char *org_id)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s", id);
	json_t *doc = api_expect_json(200, "GET", path, token, NULL);
	json_t *conf = json_object_get(doc, "confidential");
	json_t *org = api_obj(doc, "organization");
	bool shown = conf != NULL;
	if (shown) {
		ck_assert_msg(json_is_string(conf) && strcmp(json_string_value(conf), secret) == 0, "confidential is not the secret");
		ck_assert_str_eq(api_str(org, "name"), name);
		ck_assert_str_eq(api_str(org, "id"), org_id);
	} else {
		ck_assert_msg(json_object_size(org) == 2 && json_is_string(json_object_get(org, "kind")) &&
				      json_is_string(json_object_get(org, "province")),
			      "without the confidential text the owner shows more than kind and province");
	}
	json_decref(doc);
	return shown;
}

START_TEST(test_staged_disclosure)
{
	struct cast c;
	cast_up(&c, "andanh");
	const char *name = c.seller_name; /* ends in "andanh-ban <tag>" */
	char path[200];
	struct api_acct third;
	member(&third, "andanh-ba", "Công ty Tò Mò", "enterprise", &c.admin, NULL, 0);
	char secret[120], word[64], title[200];
	snprintf(secret, sizeof secret, "BIQUYET-%s-nhiet-do-say-55-do", api_tag());
	api_marker(word, sizeof word, "tietlo");
	snprintf(title, sizeof title, "Vật liệu cách nhiệt từ vỏ trấu %s", word);
	struct listing l;
	publish(&c.seller, &c.admin, "technology_offer", title,
		json_pack("{s:b, s:s}", "anonymous", 1, "confidential", secret), &l);

	struct deal d;
	open_deal(&c.buyer, &l, &d);
	/* Proposed: the initiator sees neither, in the listing nor the deal. */
	ck_assert_msg(!sees_owner(c.buyer.token, l.id, secret, name, c.seller.org_id),
		      "the initiator of a proposed deal sees the confidential text");
	json_t *doc = get_deal(c.buyer.token, d.id, 200);
	json_t *lo = api_obj(doc, "listing_organization");
	ck_assert_msg(json_object_size(lo) == 2 && json_is_string(json_object_get(lo, "kind")) &&
			      json_is_string(json_object_get(lo, "province")),
		      "the proposed deal shows the initiator more of the anonymous owner than kind and province");
	json_decref(doc);
	char q[300];
	dpath(path, sizeof path, d.id, "");
	assert_clean_get(path, c.buyer.token, secret, name, c.seller.org_id);
	assert_clean_get(DEALS "?limit=100", c.buyer.token, secret, name, c.seller.org_id);
	snprintf(q, sizeof q, LISTINGS "?q=%s", word);
	assert_clean_get(q, c.buyer.token, secret, name, c.seller.org_id);
	/* The owner sees its own deal with its name. */
	doc = get_deal(c.seller.token, d.id, 200);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "name"), name);
	json_decref(doc);

	/* Negotiating: the initiator sees both; nobody else does. */
	go_only(c.seller.token, &d, "{\"to\":\"negotiating\"}", "negotiating");
	ck_assert_msg(sees_owner(c.buyer.token, l.id, secret, name, c.seller.org_id),
		      "the initiator of a negotiating deal does not see the confidential text and the owner");
	ck_assert_msg(sees_owner(c.buyer.token, l.ref, secret, name, c.seller.org_id), "the same by ref");
	doc = get_deal(c.buyer.token, d.id, 200);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "name"), name);
	ck_assert_str_eq(api_str(api_obj(doc, "listing_organization"), "id"), c.seller.org_id);
	json_decref(doc);
	json_t *items = api_list_all(LISTINGS, q + strlen(LISTINGS "?"), c.buyer.token);
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_str_eq(api_str(api_obj(json_array_get(items, 0), "organization"), "name"), name);
	json_decref(items);
	const char *others[] = {third.token, NULL};
	for (size_t i = 0; i < 2; i++) {
		ck_assert_msg(!sees_owner(others[i], l.id, secret, name, c.seller.org_id), "caller %zu sees the secret", i);
		snprintf(path, sizeof path, LISTINGS "/%s", l.id);
		assert_clean_get(path, others[i], secret, name, c.seller.org_id);
		assert_clean_get(q, others[i], secret, name, c.seller.org_id);
	}
	/* A third organisation's own proposed deal shows it nothing either. */
	struct deal d3;
	open_deal(&third, &l, &d3);
	ck_assert(!sees_owner(third.token, l.id, secret, name, c.seller.org_id));
	dpath(path, sizeof path, d3.id, "");
	assert_clean_get(path, third.token, secret, name, c.seller.org_id);

	/* A deal disputed before it was ever negotiated discloses nothing. */
	go_only(third.token, &d3, "{\"to\":\"disputed\"}", "disputed");
	ck_assert_msg(!sees_owner(third.token, l.id, secret, name, c.seller.org_id),
		      "a deal disputed straight from proposed discloses the confidential text");
	assert_clean_get(path, third.token, secret, name, c.seller.org_id);

	/* Still while disputed; no longer once the deal is over. */
	go_only(c.buyer.token, &d, "{\"to\":\"disputed\"}", "disputed");
	ck_assert(sees_owner(c.buyer.token, l.id, secret, name, c.seller.org_id));
	go_only(c.admin.token, &d, "{\"to\":\"cancelled\",\"reason\":\"Kết thúc theo đề nghị\"}", "cancelled");
	ck_assert_msg(!sees_owner(c.buyer.token, l.id, secret, name, c.seller.org_id),
		      "the initiator of a cancelled deal still sees the confidential text");
}
END_TEST

/* ------------------------------------------------------------ timers */

START_TEST(test_timers)
{
	struct cast c;
	cast_up(&c, "hengio");
	struct listing l1, l2, l3, l4;
	struct deal remind, lapse, talking, young;
	deal_in(&c, "proposed", &l1, &remind);
	deal_in(&c, "proposed", &l2, &lapse);
	deal_in(&c, "negotiating", &l3, &talking);
	deal_in(&c, "proposed", &l4, &young);
	backdate(remind.id, 8 * 24);
	backdate(lapse.id, 31 * 24);
	backdate(talking.id, 31 * 24);
	backdate(young.id, 6 * 24);

	/* Seven days unanswered: one reminder to the listing side. */
	wait_notice(&c.seller, "deal_reminder", remind.id, 10);
	/* Thirty: lapsed, both sides told. */
	wait_state(&c.admin, lapse.id, "lapsed", 10);
	it_sleep_ms(1000); /* five more ticks */
	ck_assert_int_eq(notices(&c.seller, "deal_reminder", remind.id, NULL, l1.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_reminder", remind.id, NULL, NULL), 0);
	assert_state(&c.admin, remind.id, "proposed");
	json_t *evs = events_of(c.seller.token, remind.id);
	ck_assert_int_eq(count_events(evs, "reminder", NULL), 1);
	json_decref(evs);

	ck_assert_int_eq(notices(&c.seller, "deal_transition", lapse.id, "lapsed", l2.id), 1);
	ck_assert_int_eq(notices(&c.buyer, "deal_transition", lapse.id, "lapsed", l2.id), 1);
	evs = events_of(c.buyer.token, lapse.id);
	json_t *last = json_array_get(evs, json_array_size(evs) - 1);
	assert_event(last, "transition", "proposed", "lapsed", "system", NULL, "the lapse");
	ck_assert_msg(json_is_null(json_object_get(json_object_get(last, "actor"), "user_id")), "the timer has a user");
	json_decref(evs);
	assert_audited(&c.admin, "deal.lapsed", lapse.id, NULL);
	/* Lapsed is over. */
	transit(c.seller.token, lapse.id, "{\"to\":\"negotiating\"}", -1, 409);
	post_message(c.buyer.token, lapse.id, "{\"body\":\"Còn quan tâm không ạ?\"}", 409);
	struct deal again;
	open_deal(&c.buyer, &l2, &again);

	/* Only proposed deals wait for an answer; and not for six days. */
	assert_state(&c.admin, talking.id, "negotiating");
	ck_assert_int_eq(notices(&c.seller, "deal_reminder", talking.id, NULL, NULL), 0);
	assert_state(&c.admin, young.id, "proposed");
	ck_assert_int_eq(notices(&c.seller, "deal_reminder", young.id, NULL, NULL), 0);
}
END_TEST

/* ------------------------------------------------------------ response time */

START_TEST(test_response_time)
{
	struct cast c;
	cast_up(&c, "traloi");
	struct listing l[5];
	struct deal d[5];
	static const int hours[5] = {2, 10, 30, 50, 40};
	for (int i = 0; i < 5; i++) {
		offer(&c, "Giống lúa chịu hạn", i, &l[i]);
		open_deal(&c.buyer, &l[i], &d[i]);
		backdate(d[i].id, hours[i]);
	}
	long answered = -1;
	ck_assert(response_time(c.buyer.token, c.seller.org_id, &answered) < 0);
	ck_assert_int_eq(answered, 0);
	go_only(c.seller.token, &d[0], "{\"to\":\"negotiating\"}", "negotiating");
	go_only(c.seller.token, &d[1], "{\"to\":\"declined\",\"reason\":\"capacity\"}", "declined");
	go_only(c.seller.token, &d[2], "{\"to\":\"negotiating\"}", "negotiating");
	go_only(c.buyer.token, &d[3], "{\"to\":\"withdrawn\",\"reason\":\"too_early\"}", "withdrawn"); /* no answer */
	/* d[4] is never answered. */
	double median = response_time(c.buyer.token, c.seller.org_id, &answered);
	ck_assert_msg(answered == 3, "answered %ld, expected 3 (two negotiating, one declined)", answered);
	ck_assert_msg(median > 9.8 && median < 10.3, "median first response %f h, expected 10 (of 2, 10 and 30)", median);
	json_t *doc = get_deal(c.buyer.token, d[1].id, 200);
	ck_assert(api_parse_utc(json_string_value(json_object_get(doc, "first_response_at"))) > 0);
	json_decref(doc);
	doc = get_deal(c.buyer.token, d[3].id, 200);
	ck_assert_msg(json_is_null(json_object_get(doc, "first_response_at")), "a withdrawal set first_response_at");
	json_decref(doc);
	/* A later transition does not move the first response. */
	doc = get_deal(c.buyer.token, d[0].id, 200);
	char first[40];
	snprintf(first, sizeof first, "%s", api_str(doc, "first_response_at"));
	json_decref(doc);
	it_sleep_ms(1100);
	go_only(c.buyer.token, &d[0], "{\"to\":\"agreed\"}", "negotiating");
	go_only(c.seller.token, &d[0], "{\"to\":\"agreed\"}", "agreed");
	doc = get_deal(c.buyer.token, d[0].id, 200);
	ck_assert_str_eq(api_str(doc, "first_response_at"), first);
	json_decref(doc);
	/* The initiator's organisation answered nothing on listings of its own. */
	response_time(c.seller.token, c.buyer.org_id, &answered);
	ck_assert_int_eq(answered, 0);
}
END_TEST

/* ------------------------------------------------------------ hostile input */

START_TEST(test_hostile_input)
{
	struct cast c;
	cast_up(&c, "tancong");
	struct listing l;
	struct deal d;
	deal_in(&c, "proposed", &l, &d);
	char ipath[200], tpath[200], mpath[200], vpath[200];
	snprintf(ipath, sizeof ipath, LISTINGS "/%s/interests", l.id);
	dpath(tpath, sizeof tpath, d.id, "/transitions");
	dpath(mpath, sizeof mpath, d.id, "/messages");
	dpath(vpath, sizeof vpath, d.id, "/verify");

	/* Bodies over each route's limit: 413. */
	char *pad = repeat("x", 40000);
	char *big = NULL;
	ck_assert(asprintf(&big, "{\"message\":\"%s\"}", pad) > 0);
	api_expect_only(413, "POST", ipath, c.buyer.token, big);
	free(big);
	ck_assert(asprintf(&big, "{\"body\":\"%s\"}", pad) > 0);
	api_expect_only(413, "POST", mpath, c.buyer.token, big);
	free(big);
	pad[20000] = '\0';
	ck_assert(asprintf(&big, "{\"to\":\"negotiating\",\"note\":\"%s\"}", pad) > 0);
	api_expect_only(413, "POST", tpath, c.seller.token, big);
	free(big);
	ck_assert(asprintf(&big, "{\"note\":\"%s\"}", pad) > 0);
	api_expect_only(413, "POST", vpath, c.admin.token, big);
	free(big);
	free(pad);

	/* Not JSON, or not JSON's media type. */
	const char *posts[][2] = {{ipath, NULL}, {tpath, NULL}, {mpath, NULL}};
	const char *tokens[] = {c.buyer.token, c.seller.token, c.buyer.token};
	for (size_t i = 0; i < 3; i++) {
		const char *p = posts[i][0];
		api_expect_only(400, "POST", p, tokens[i], "{\"to\":");
		api_expect_only(400, "POST", p, tokens[i], "không phải JSON");
		api_expect_only(400, "POST", p, tokens[i], "{\"message\":\"\xff\xfe\",\"body\":\"\xc3\x28\"}");
		struct it_response r;
		api_expect(&r, 415, "POST", p, tokens[i], "{\"to\":\"negotiating\"}", "Content-Type: text/plain");
		it_response_free(&r);
		api_expect(&r, 415, "POST", p, tokens[i], "{\"to\":\"negotiating\"}", "Content-Type: application/xml");
		it_response_free(&r);
		/* Deep nesting, an array, a huge number: refused as a whole (400) or field by field (422), never a crash. */
		char *deep = calloc(1, 12000);
		ck_assert(deep != NULL);
		strcpy(deep, "{\"to\":");
		for (int k = 0; k < 5000; k++)
			strcat(deep + 6 + k, "[");
		for (int k = 0; k < 5000; k++)
			deep[6 + 5000 + k] = ']';
		deep[6 + 10000] = '}';
		const char *odd[] = {deep, "[]", "[{\"to\":\"negotiating\"}]", "\"negotiating\"", "null",
				     "{\"to\":\"negotiating\",\"note\":\"x\",\"proposed_value_vnd\":99999999999999999999999999}",
				     "{\"message\":\"x\",\"body\":\"y\",\"to\":\"agreed\",\"proposed_value_vnd\":1e40}"};
		for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
			api_call(&r, "POST", p, tokens[i], odd[k], NULL);
			ck_assert_msg(r.status == 400 || r.status == 422, "POST %s %.60s: status %d: %.200s", p, odd[k], r.status,
				      r.body);
			it_assert_problem(&r, r.status);
			it_response_free(&r);
		}
		free(deep);
	}

	/* Ids that are not UUIDs, and deals of others: 404 on every route. */
	static const char *const ids[] = {"abc",
					  "123",
					  "6f1c2d3e-4b5a-4c6d-8e7f-0123456789abc",
					  "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ag",
					  "6f1c2d3e4b5a4c6d8e7f0123456789ab",
					  "%27%20OR%20%271%27%3D%271",
					  "..%2F..%2Fetc%2Fpasswd",
					  "%00",
					  "-1"};
	static const struct {
		const char *method, *suffix, *body;
	} routes[] = {{"GET", "", NULL},
		      {"POST", "/transitions", "{\"to\":\"negotiating\"}"},
		      {"GET", "/messages", NULL},
		      {"POST", "/messages", "{\"body\":\"x\"}"},
		      {"GET", "/events", NULL}};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		for (size_t k = 0; k < sizeof routes / sizeof routes[0]; k++) {
			char path[300];
			dpath(path, sizeof path, ids[i], routes[k].suffix);
			api_expect_only(404, routes[k].method, path, c.seller.token, routes[k].body);
			api_expect_only(404, routes[k].method, path, c.admin.token, routes[k].body);
		}
		char path[300];
		dpath(path, sizeof path, ids[i], "/verify");
		api_expect_only(404, "POST", path, c.admin.token, NULL);
	}
	/* Another pair's deal is as unknown to this pair. */
	struct cast o;
	cast_up(&o, "tancong2");
	struct listing ol;
	struct deal od;
	deal_in(&o, "proposed", &ol, &od);
	for (size_t k = 0; k < sizeof routes / sizeof routes[0]; k++) {
		char path[300];
		dpath(path, sizeof path, od.id, routes[k].suffix);
		api_expect_only(404, routes[k].method, path, c.seller.token, routes[k].body);
		api_expect_only(404, routes[k].method, path, c.buyer.token, routes[k].body);
	}

	/* Through all of it, nothing changed and the server still answers. */
	char state[32];
	long v;
	deal_now(&c.admin, d.id, state, &v);
	ck_assert_str_eq(state, "proposed");
	ck_assert_int_eq(v, d.version);
	deal_now(&c.admin, od.id, state, &v);
	ck_assert_str_eq(state, "proposed");
	json_t *items = api_list_all(mpath, "", c.buyer.token);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);
	api_expect_only(200, "GET", "/healthz", NULL, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_deals");
	TCase *tc = tcase_create("deals");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_full_path);
	tcase_add_test(tc, test_interests);
	tcase_add_test(tc, test_transition_validation);
	tcase_add_test(tc, test_forbidden_transitions);
	tcase_add_test(tc, test_confirmation_and_disputes);
	tcase_add_test(tc, test_race);
	tcase_add_test(tc, test_outsiders);
	tcase_add_test(tc, test_messages);
	tcase_add_test(tc, test_list_filters);
	tcase_add_test(tc, test_feedback);
	tcase_add_test(tc, test_staged_disclosure);
	tcase_add_test(tc, test_timers);
	tcase_add_test(tc, test_response_time);
	tcase_add_test(tc, test_hostile_input);
	suite_add_tcase(s, tc);
	static const char *const env[] = {"MARKETPLACE_MAINTENANCE_INTERVAL_MS=200", NULL};
	return api_run(s, env);
}
