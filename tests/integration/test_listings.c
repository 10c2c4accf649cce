/*
 * Listings against the real binary and PostgreSQL (DESIGN.md sections 3-5,
 * the listings contract of issue 8): the lifecycle through the HTTP routes
 * and every transition it refuses, who may do what, what the public sees,
 * field validation, PATCH and If-Match, DELETE, Idempotency-Key, the
 * confidential text and anonymous owners, notifications, audit rows and
 * the moderation queue.
 *
 * One server for the suite (api_run), started with
 * MARKETPLACE_MAINTENANCE_INTERVAL_MS=200 so that the expiry timer runs
 * while a test waits for it.  The run's tag keeps emails, names and the
 * marker words of titles apart from other runs' (api.h).
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

#define LISTINGS "/api/v1/listings"

/* ------------------------------------------------------------ helpers */

struct listing {
	char id[40], ref[40];
};

static void lpath(char *out, size_t size, const char *id, const char *suffix)
{
	snprintf(out, size, LISTINGS "/%s%s", id, suffix);
}

/* A valid creation document of `kind` (json_decref it or hand it over). */
static json_t *listing_doc(const char *kind, const char *title)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "title", title, "sector", "2.2", "province",
			      "quang-tri");
	ck_assert(d != NULL);
	if (strcmp(kind, "technology_offer") == 0)
		json_object_set_new(d, "trl", json_integer(5));
	if (strncmp(kind, "equipment", 9) == 0)
		json_object_set_new(d, "equipment", json_pack("{s:s}", "condition", "new"));
	return d;
}

static void assert_etag_version(const struct it_response *r, json_t *doc, const char *what)
{
	const char *etag = it_header(r, "ETag");
	char want[32];
	snprintf(want, sizeof want, "\"%lld\"", (long long)json_integer_value(json_object_get(doc, "version")));
	ck_assert_msg(json_is_integer(json_object_get(doc, "version")), "%s: no integer version", what);
	ck_assert_msg(etag != NULL && strcmp(etag, want) == 0, "%s: ETag %s, expected %s", what,
		      etag ? etag : "missing", want);
}

/* POST /listings with doc (taken over): 201, an ETag of its version; fills l; returns the listing (decref). */
static json_t *create(const char *token, json_t *doc, struct listing *l)
{
	char *body = api_dump(doc);
	struct it_response r;
	api_expect(&r, 201, "POST", LISTINGS, token, body, NULL);
	free(body);
	json_t *j = it_json(&r);
	assert_etag_version(&r, j, "POST /listings");
	it_response_free(&r);
	if (l != NULL) {
		snprintf(l->id, sizeof l->id, "%s", api_str(j, "id"));
		snprintf(l->ref, sizeof l->ref, "%s", api_str(j, "ref"));
	}
	return j;
}

static void create_only(const char *token, json_t *doc, struct listing *l)
{
	json_decref(create(token, doc, l));
}

/* POST /listings/{id}/{action} with body (NULL: none); `status` expected; the 200 listing (decref) or NULL. */
static json_t *act(const char *token, const char *id, const char *action, const char *body, int status)
{
	char path[200], suffix[40];
	snprintf(suffix, sizeof suffix, "/%s", action);
	lpath(path, sizeof path, id, suffix);
	struct it_response r;
	api_expect(&r, status, "POST", path, token, body, NULL);
	json_t *doc = NULL;
	if (status == 200) {
		doc = it_json(&r);
		assert_etag_version(&r, doc, path);
	}
	it_response_free(&r);
	return doc;
}

/* The same, checking the status the listing is left in. */
static void act_to(const char *token, const char *id, const char *action, const char *body, const char *to)
{
	json_t *doc = act(token, id, action, body, 200);
	ck_assert_msg(strcmp(api_str(doc, "status"), to) == 0, "%s of %s: status %s, expected %s", action, id,
		      api_str(doc, "status"), to);
	json_decref(doc);
}

/* GET /listings/{id} as token: 200 (the listing, decref) or the status given, then NULL. */
static json_t *get_listing(const char *token, const char *id, int status)
{
	char path[200];
	lpath(path, sizeof path, id, "");
	if (status != 200) {
		api_expect_only(status, "GET", path, token, NULL);
		return NULL;
	}
	struct it_response r;
	api_expect(&r, 200, "GET", path, token, NULL, NULL);
	json_t *doc = it_json(&r);
	assert_etag_version(&r, doc, path);
	it_response_free(&r);
	return doc;
}

static void assert_status(const char *token, const char *id, const char *want)
{
	json_t *doc = get_listing(token, id, 200);
	ck_assert_msg(strcmp(api_str(doc, "status"), want) == 0, "listing %s is %s, expected %s", id,
		      api_str(doc, "status"), want);
	json_decref(doc);
}

static long version_of(const char *id)
{
	PGconn *pg = it_pg_connect(it_db_url());
	long v = api_sql_long(pg, "SELECT version FROM listings WHERE id = $1", id, NULL);
	PQfinish(pg);
	return v;
}

/* A member of a new organisation, logged in; verified by admin unless admin is NULL. */
static void member(struct api_acct *a, const char *who, const char *org, const char *kind, const char *province,
		   const struct api_acct *admin)
{
	api_register(a, who, org, kind, province);
	api_login(a);
	if (admin != NULL) {
		char path[160];
		api_org_path(path, sizeof path, a->org_id, "/verify");
		api_expect_only(200, "POST", path, admin->token, "{\"note\":\"ok\"}");
	}
}

/* Waits (at most 10 s) for the timer to expire a published listing whose expires_at is set into the past. */
static void expire_by_timer(const char *token, const char *id)
{
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE listings SET expires_at = now() - interval '1 minute' WHERE id = $1",
				      id, NULL),
			 1);
	PQfinish(pg);
	double until = it_now() + 10;
	char status[40] = "";
	while (it_now() < until) {
		json_t *doc = get_listing(token, id, 200);
		snprintf(status, sizeof status, "%s", api_str(doc, "status"));
		json_decref(doc);
		if (strcmp(status, "expired") == 0)
			return;
		it_sleep_ms(100);
	}
	ck_abort_msg("listing %s is still %s 10 s after its expires_at passed (timer every 200 ms)", id, status);
}

/* A listing of owner's (verified) organisation brought to `state` through the routes. */
static void in_state(const struct api_acct *owner, const struct api_acct *admin, const char *state, const char *title,
		     struct listing *l)
{
	create_only(owner->token, listing_doc("technology_offer", title), l);
	if (strcmp(state, "draft") == 0)
		return;
	act_to(owner->token, l->id, "submit", NULL, "pending_review");
	if (strcmp(state, "pending_review") == 0)
		return;
	if (strcmp(state, "rejected") == 0) {
		act_to(admin->token, l->id, "reject", "{\"reason\":\"Thiếu mô tả\"}", "rejected");
		return;
	}
	act_to(admin->token, l->id, "approve", NULL, "published");
	if (strcmp(state, "published") == 0)
		return;
	if (strcmp(state, "closed") == 0)
		act_to(owner->token, l->id, "close", NULL, "closed");
	else if (strcmp(state, "suspended") == 0)
		act_to(admin->token, l->id, "suspend", "{\"reason\":\"Khiếu nại\"}", "suspended");
	else if (strcmp(state, "expired") == 0)
		expire_by_timer(owner->token, l->id);
	else
		ck_abort_msg("no state %s", state);
}

/* The current year where the exchange is (UTC+7), as the ref numbers it. */
static int local_year(void)
{
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

/*
 * Fails unless r is a 422 problem with exactly as many errors as `fields`
 * (NULL-terminated) and one error per field whose name is that field or
 * begins with it followed by '.' or '[' (keywords[3], equipment.year).
 */
/* The same as a message (NULL when r is as expected), for tables that report every failing row. */
static char *fields_problem(const struct it_response *r, const char *const *fields, const char *what)
{
	char *msg = NULL;
	if (r->status != 422) {
		if (asprintf(&msg, "%s: status %d, expected 422: %.300s", what, r->status, r->body) < 0)
			msg = NULL;
		return msg;
	}
	json_t *p = it_json(r);
	json_t *errors = json_object_get(p, "errors");
	size_t n = 0;
	while (fields[n] != NULL)
		n++;
	bool ok = json_is_array(errors) && json_array_size(errors) == n;
	for (size_t i = 0; ok && i < n; i++) {
		size_t len = strlen(fields[i]), k;
		json_t *e;
		bool found = false;
		json_array_foreach(errors, k, e) {
			const char *f = json_string_value(json_object_get(e, "field"));
			if (f != NULL && strncmp(f, fields[i], len) == 0 && (f[len] == '\0' || f[len] == '.' || f[len] == '['))
				found = true;
		}
		ok = found;
	}
	json_decref(p);
	if (!ok && asprintf(&msg, "%s: errors are not exactly %zu naming the field: %.400s", what, n, r->body) < 0)
		msg = NULL;
	return msg;
}

static void assert_fields(const struct it_response *r, const char *const *fields, const char *what)
{
	ck_assert_msg(r->status == 422, "%s: status %d, expected 422: %.600s", what, r->status, r->body);
	it_assert_problem(r, 422);
	json_t *p = it_json(r);
	json_t *errors = json_object_get(p, "errors");
	size_t n = 0;
	while (fields[n] != NULL)
		n++;
	bool sized = json_is_array(errors) && json_array_size(errors) == n;
	const char *missing = NULL;
	for (size_t i = 0; sized && missing == NULL && i < n; i++) {
		size_t len = strlen(fields[i]), k;
		json_t *e;
		bool found = false;
		json_array_foreach(errors, k, e) {
			const char *f = json_string_value(json_object_get(e, "field"));
			const char *m = json_string_value(json_object_get(e, "message"));
			if (f != NULL && m != NULL && m[0] != '\0' && strncmp(f, fields[i], len) == 0 &&
			    (f[len] == '\0' || f[len] == '.' || f[len] == '['))
				found = true;
		}
		if (!found)
			missing = fields[i];
	}
	json_decref(p);
	ck_assert_msg(sized, "%s: expected %zu errors: %.600s", what, n, r->body);
	ck_assert_msg(missing == NULL, "%s: no error naming %s: %.600s", what, missing, r->body);
}

#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------ notifications */

static int notifications_route = -1; /* unknown, 0 absent (404), 1 present */

/*
 * The owner's user has a notification of `kind` about listing id: in the
 * notifications table, and through GET /api/v1/notifications when that
 * route exists (it is built in parallel; when it answers 404 the table is
 * the only check, and the test says so on stderr).
 */
static void assert_notified(const struct api_acct *a, const char *kind, const char *id)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char sql[300];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM notifications WHERE user_id = $1 AND listing_id = $2 AND kind = '%s'", kind);
	long n = api_sql_long(pg, sql, a->user_id, id);
	PQfinish(pg);
	ck_assert_msg(n >= 1, "no %s notification for user %s about listing %s", kind, a->user_id, id);

	struct it_response r;
	api_call(&r, "GET", "/api/v1/notifications?limit=100", a->token, NULL, NULL);
	if (r.status == 404) {
		if (notifications_route != 0)
			fprintf(stderr, "note: GET /api/v1/notifications answers 404; notifications checked in SQL only\n");
		notifications_route = 0;
		it_response_free(&r);
		return;
	}
	notifications_route = 1;
	api_check_status(&r, 200, "GET", "/api/v1/notifications");
	json_t *doc = it_json(&r);
	it_response_free(&r);
	bool found = false;
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(doc, "items"), i, it) {
		const char *k = json_string_value(json_object_get(it, "kind"));
		const char *l = json_string_value(json_object_get(it, "listing_id"));
		if (k != NULL && l != NULL && strcmp(k, kind) == 0 && strcmp(l, id) == 0)
			found = true;
	}
	json_decref(doc);
	ck_assert_msg(found, "GET /api/v1/notifications of %s has no %s about %s", a->email, kind, id);
}

static void assert_audited(const struct api_acct *admin, const char *action, const char *id, const char *actor)
{
	json_t *e = api_find_audit("entity=listing", admin->token, action, id);
	ck_assert_str_eq(api_str(e, "entity"), "listing");
	if (actor != NULL)
		ck_assert_str_eq(api_str(e, "actor_id"), actor);
	else
		ck_assert_msg(json_is_null(json_object_get(e, "actor_id")), "%s of %s has an actor", action, id);
	json_decref(e);
}

/* ------------------------------------------------------------ lifecycle */

START_TEST(test_lifecycle)
{
	struct api_acct a, admin;
	api_admin(&admin);
	member(&a, "life-a", "Viện Khoa học Nông nghiệp Quảng Trị", "research_institute", "quang-tri", NULL);
	char word[64];
	api_marker(word, sizeof word, "vongdoi");
	char title[200];
	snprintf(title, sizeof title, "Công nghệ sấy hồ tiêu %s", word);

	/* Create: a draft with a reference of its kind and year. */
	struct listing l;
	json_t *doc = create(a.token, listing_doc("technology_offer", title), &l);
	ck_assert(api_is_uuid(l.id));
	ck_assert_str_eq(api_str(doc, "status"), "draft");
	ck_assert_str_eq(api_str(doc, "kind"), "technology_offer");
	ck_assert_str_eq(api_str(doc, "title"), title);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 1);
	ck_assert(json_is_null(json_object_get(doc, "published_at")));
	ck_assert_str_eq(api_str(api_obj(doc, "organization"), "id"), a.org_id);
	json_decref(doc);
	char prefix[32];
	snprintf(prefix, sizeof prefix, "QT-TO-%04d-", local_year());
	ck_assert_msg(strncmp(l.ref, prefix, strlen(prefix)) == 0 && strlen(l.ref) >= strlen(prefix) + 6 &&
			      strspn(l.ref + strlen(prefix), "0123456789") == strlen(l.ref + strlen(prefix)),
		      "ref %s is not %sNNNNNN", l.ref, prefix);
	doc = get_listing(a.token, l.id, 200);
	ck_assert_str_eq(api_str(doc, "ref"), l.ref);
	json_decref(doc);
	doc = get_listing(a.token, l.ref, 200);
	ck_assert_str_eq(api_str(doc, "id"), l.id);
	json_decref(doc);

	/* The other kinds' references. */
	static const char *const kinds[][2] = {
		{"technology_demand", "TD"}, {"equipment_offer", "EO"}, {"equipment_demand", "ED"}};
	for (size_t i = 0; i < 3; i++) {
		struct listing k;
		create_only(a.token, listing_doc(kinds[i][0], title), &k);
		snprintf(prefix, sizeof prefix, "QT-%s-%04d-", kinds[i][1], local_year());
		ck_assert_msg(strncmp(k.ref, prefix, strlen(prefix)) == 0, "ref %s of a %s", k.ref, kinds[i][0]);
	}

	/* submit, then approve: refused while the organisation is not verified. */
	act_to(a.token, l.id, "submit", NULL, "pending_review");
	act(admin.token, l.id, "approve", NULL, 409);
	assert_status(a.token, l.id, "pending_review");
	char verify[160];
	api_org_path(verify, sizeof verify, a.org_id, "/verify");
	api_expect_only(200, "POST", verify, admin.token, "{\"note\":\"ok\"}");
	doc = act(admin.token, l.id, "approve", NULL, 200);
	ck_assert_str_eq(api_str(doc, "status"), "published");
	ck_assert_msg(api_parse_utc(api_str(doc, "published_at")) > 0, "published_at %s", api_str(doc, "published_at"));
	long expires = api_parse_utc(api_str(doc, "expires_at"));
	ck_assert_msg(expires > (long)time(NULL) + 170L * 86400, "expires_at %s is not about 180 days away",
		      api_str(doc, "expires_at"));
	json_decref(doc);
	assert_notified(&a, "listing_approved", l.id);
	assert_audited(&admin, "listing.submit", l.id, a.user_id);
	assert_audited(&admin, "listing.approve", l.id, admin.user_id);
	doc = get_listing(NULL, l.ref, 200); /* public now */
	ck_assert_str_eq(api_str(doc, "status"), "published");
	json_decref(doc);

	/* suspend needs a reason; reinstate. */
	struct it_response r;
	char path[200];
	lpath(path, sizeof path, l.id, "/suspend");
	api_call(&r, "POST", path, admin.token, NULL, NULL);
	assert_fields(&r, FIELDS("reason"), "suspend without a body");
	it_response_free(&r);
	api_call(&r, "POST", path, admin.token, "{}", NULL);
	assert_fields(&r, FIELDS("reason"), "suspend with {}");
	it_response_free(&r);
	api_call(&r, "POST", path, admin.token, "{\"reason\":\"\"}", NULL);
	assert_fields(&r, FIELDS("reason"), "suspend with an empty reason");
	it_response_free(&r);
	assert_status(a.token, l.id, "published");
	doc = act(admin.token, l.id, "suspend", "{\"reason\":\"Có khiếu nại về quyền sở hữu\"}", 200);
	ck_assert_str_eq(api_str(doc, "status"), "suspended");
	ck_assert_str_eq(api_str(doc, "status_reason"), "Có khiếu nại về quyền sở hữu");
	json_decref(doc);
	get_listing(NULL, l.id, 404);
	assert_notified(&a, "listing_suspended", l.id);
	assert_audited(&admin, "listing.suspend", l.id, admin.user_id);
	act_to(admin.token, l.id, "reinstate", NULL, "published");
	assert_notified(&a, "listing_reinstated", l.id);
	assert_audited(&admin, "listing.reinstate", l.id, admin.user_id);

	/* close (the owner) ends it. */
	act_to(a.token, l.id, "close", NULL, "closed");
	assert_audited(&admin, "listing.close", l.id, a.user_id);
	get_listing(NULL, l.id, 404);

	/* reject needs a reason; then edit and resubmit. */
	struct listing m;
	create_only(a.token, listing_doc("technology_demand", title), &m);
	act_to(a.token, m.id, "submit", NULL, "pending_review");
	lpath(path, sizeof path, m.id, "/reject");
	api_call(&r, "POST", path, admin.token, NULL, NULL);
	assert_fields(&r, FIELDS("reason"), "reject without a body");
	it_response_free(&r);
	api_call(&r, "POST", path, admin.token, "{\"reason\":null}", NULL);
	assert_fields(&r, FIELDS("reason"), "reject with a null reason");
	it_response_free(&r);
	char too_long[2100];
	memset(too_long, 'x', 2001);
	too_long[2001] = '\0';
	char *body = api_dump(json_pack("{s:s}", "reason", too_long));
	api_call(&r, "POST", path, admin.token, body, NULL);
	assert_fields(&r, FIELDS("reason"), "reject with a reason of 2001 characters");
	it_response_free(&r);
	free(body);
	api_call(&r, "POST", path, admin.token, "{\"reason\":\"x\",\"note\":\"y\"}", NULL);
	assert_fields(&r, FIELDS("note"), "reject with an unknown field");
	it_response_free(&r);
	doc = act(admin.token, m.id, "reject", "{\"reason\":\"Mô tả chưa rõ nhu cầu\"}", 200);
	ck_assert_str_eq(api_str(doc, "status"), "rejected");
	json_decref(doc);
	doc = get_listing(a.token, m.id, 200);
	ck_assert_str_eq(api_str(doc, "status_reason"), "Mô tả chưa rõ nhu cầu");
	json_decref(doc);
	assert_notified(&a, "listing_rejected", m.id);
	assert_audited(&admin, "listing.reject", m.id, admin.user_id);
	lpath(path, sizeof path, m.id, "");
	doc = api_expect_json(200, "PATCH", path, a.token, "{\"summary\":\"Cần máy sấy 2 tấn/mẻ\"}");
	ck_assert_str_eq(api_str(doc, "status"), "rejected");
	ck_assert_str_eq(api_str(doc, "summary"), "Cần máy sấy 2 tấn/mẻ");
	json_decref(doc);
	act_to(a.token, m.id, "submit", NULL, "pending_review");
	act_to(admin.token, m.id, "approve", NULL, "published");

	/* A week before it ends, the organisation is warned once, and the
	 * warning is no change for the feed (the version stays). */
	PGconn *pg = it_pg_connect(it_db_url());
	long version = version_of(m.id);
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE listings SET expires_at = now() + interval '3 days' WHERE id = $1",
				      m.id, NULL),
			 1);
	double until = it_now() + 10;
	while (api_sql_long(pg, "SELECT count(*) FROM notifications WHERE listing_id = $1 AND kind = 'listing_expiring'",
			    m.id, NULL) == 0 && it_now() < until)
		it_sleep_ms(100);
	assert_notified(&a, "listing_expiring", m.id);
	it_sleep_ms(600); /* three more ticks of the timer */
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM notifications WHERE listing_id = $1"
					  " AND kind = 'listing_expiring' AND user_id = $2",
				      m.id, a.user_id),
			 1);
	ck_assert_int_eq(version_of(m.id), version);
	PQfinish(pg);

	/* Expiry by the timer, then renew. */
	expire_by_timer(a.token, m.id);
	get_listing(NULL, m.id, 404);
	assert_notified(&a, "listing_expired", m.id);
	assert_audited(&admin, "listing.expire", m.id, NULL);
	act_to(a.token, m.id, "renew", NULL, "pending_review");
	assert_audited(&admin, "listing.renew", m.id, a.user_id);
	/* Approved again, it gets a new expiry in the future. */
	doc = act(admin.token, m.id, "approve", NULL, 200);
	ck_assert_msg(api_parse_utc(api_str(doc, "expires_at")) > (long)time(NULL) + 86400, "expires_at %s",
		      api_str(doc, "expires_at"));
	json_decref(doc);

	/* A transition with a stale If-Match: 412, nothing changes. */
	char header[64];
	snprintf(header, sizeof header, "If-Match: \"%ld\"", version_of(m.id) - 1);
	lpath(path, sizeof path, m.id, "/close");
	api_expect(&r, 412, "POST", path, a.token, NULL, header);
	it_response_free(&r);
	assert_status(a.token, m.id, "published");
	snprintf(header, sizeof header, "If-Match: \"%ld\"", version_of(m.id));
	api_expect(&r, 200, "POST", path, a.token, NULL, header);
	it_response_free(&r);
}
END_TEST

/* Every action each state does not allow: 409 from its own actor, and nothing changes. */
START_TEST(test_forbidden_transitions)
{
	struct api_acct a, admin;
	api_admin(&admin);
	member(&a, "trans-a", "Công ty Cổ phần Cơ điện Đông Hà", "enterprise", "quang-tri", &admin);
	static const char *const states[] = {"draft",  "pending_review", "published", "rejected",
					     "closed", "expired",        "suspended"};
	static const struct {
		const char *action;
		bool admin;
		const char *body;
	} actions[] = {{"submit", false, NULL},
		       {"approve", true, NULL},
		       {"reject", true, "{\"reason\":\"Không phù hợp\"}"},
		       {"close", false, NULL},
		       {"renew", false, NULL},
		       {"suspend", true, "{\"reason\":\"Vi phạm\"}"},
		       {"reinstate", true, NULL}};
	/* Allowed: state -> action (the contract's lifecycle). */
	static const char *const allowed[][2] = {{"draft", "submit"},        {"pending_review", "approve"},
						 {"pending_review", "reject"}, {"published", "close"},
						 {"published", "suspend"},     {"rejected", "submit"},
						 {"expired", "renew"},         {"suspended", "reinstate"}};
	char word[64];
	api_marker(word, sizeof word, "camchuyen");
	for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
		char title[200];
		snprintf(title, sizeof title, "Trạng thái %s %s", states[s], word);
		struct listing l;
		in_state(&a, &admin, states[s], title, &l);
		long version = version_of(l.id);
		for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
			bool ok = false;
			for (size_t x = 0; x < sizeof allowed / sizeof allowed[0]; x++)
				if (strcmp(allowed[x][0], states[s]) == 0 && strcmp(allowed[x][1], actions[k].action) == 0)
					ok = true;
			if (ok)
				continue;
			char path[200], suffix[40];
			snprintf(suffix, sizeof suffix, "/%s", actions[k].action);
			lpath(path, sizeof path, l.id, suffix);
			struct it_response r;
			api_call(&r, "POST", path, actions[k].admin ? admin.token : a.token, actions[k].body, NULL);
			ck_assert_msg(r.status == 409, "%s of a %s listing: status %d, expected 409: %.300s",
				      actions[k].action, states[s], r.status, r.body);
			api_check_status(&r, 409, "POST", path);
			it_response_free(&r);
		}
		/* PATCH: not from closed, expired or suspended. */
		char path[200];
		lpath(path, sizeof path, l.id, "");
		bool editable = strcmp(states[s], "closed") != 0 && strcmp(states[s], "expired") != 0 &&
				strcmp(states[s], "suspended") != 0;
		if (!editable)
			api_expect_only(409, "PATCH", path, a.token, "{\"summary\":\"Sửa khi không được sửa\"}");
		/* DELETE: drafts only. */
		if (strcmp(states[s], "draft") != 0)
			api_expect_only(409, "DELETE", path, a.token, NULL);
		ck_assert_msg(version_of(l.id) == version, "a refused action changed the %s listing's version",
			      states[s]);
		assert_status(a.token, l.id, states[s]);
	}
}
END_TEST

/* ------------------------------------------------------------ roles */

START_TEST(test_roles)
{
	struct api_acct a, b, admin;
	api_admin(&admin);
	member(&a, "roles-a", "Trung tâm Ứng dụng KH&CN Quảng Trị", "government", "quang-tri", &admin);
	member(&b, "roles-b", "Công ty TNHH Thiết bị Huế", "enterprise", "hue", &admin);
	char word[64], title[200];
	api_marker(word, sizeof word, "vaitro");
	snprintf(title, sizeof title, "Quy trình ủ phân hữu cơ %s", word);
	char *doc_body = api_dump(listing_doc("technology_offer", title));

	/* Anonymous callers write nothing. */
	struct listing d, p, pub;
	in_state(&a, &admin, "draft", title, &d);
	in_state(&a, &admin, "pending_review", title, &p);
	in_state(&a, &admin, "published", title, &pub);
	api_expect_only(401, "POST", LISTINGS, NULL, doc_body);
	static const char *const actions[] = {"submit", "approve", "reject", "close", "renew", "suspend", "reinstate"};
	const struct listing *all[] = {&d, &p, &pub};
	for (size_t i = 0; i < 3; i++) {
		char path[200];
		lpath(path, sizeof path, all[i]->id, "");
		api_expect_only(401, "PATCH", path, NULL, "{\"summary\":\"x\"}");
		api_expect_only(401, "DELETE", path, NULL, NULL);
		for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
			char suffix[40];
			snprintf(suffix, sizeof suffix, "/%s", actions[k]);
			lpath(path, sizeof path, all[i]->id, suffix);
			api_expect_only(401, "POST", path, NULL, "{\"reason\":\"x\"}");
		}
	}

	/* Another organisation: a draft or pending listing does not exist for it. */
	const struct listing *hidden[] = {&d, &p};
	for (size_t i = 0; i < 2; i++) {
		char path[200];
		lpath(path, sizeof path, hidden[i]->id, "");
		api_expect_only(404, "GET", path, b.token, NULL);
		api_expect_only(404, "PATCH", path, b.token, "{\"summary\":\"x\"}");
		api_expect_only(404, "DELETE", path, b.token, NULL);
		lpath(path, sizeof path, hidden[i]->ref, "");
		api_expect_only(404, "GET", path, b.token, NULL);
		lpath(path, sizeof path, hidden[i]->id, "/submit");
		api_expect_only(404, "POST", path, b.token, NULL);
		lpath(path, sizeof path, hidden[i]->id, "/close");
		api_expect_only(404, "POST", path, b.token, NULL);
	}
	/* ... a published one is visible but not its to change. */
	char path[200];
	lpath(path, sizeof path, pub.id, "");
	api_expect_only(200, "GET", path, b.token, NULL);
	api_expect_only(403, "PATCH", path, b.token, "{\"summary\":\"x\"}");
	api_expect_only(403, "DELETE", path, b.token, NULL);
	lpath(path, sizeof path, pub.id, "/close");
	api_expect_only(403, "POST", path, b.token, NULL);

	/* Members do not moderate, not even their own organisation's listings. */
	act(a.token, p.id, "approve", NULL, 403);
	act(a.token, p.id, "reject", "{\"reason\":\"tự từ chối\"}", 403);
	act(a.token, pub.id, "suspend", "{\"reason\":\"tự tạm ngừng\"}", 403);
	act(b.token, pub.id, "suspend", "{\"reason\":\"đối thủ\"}", 403);
	struct listing s;
	in_state(&a, &admin, "suspended", title, &s);
	act(a.token, s.id, "reinstate", NULL, 403);
	assert_status(a.token, p.id, "pending_review");
	assert_status(a.token, pub.id, "published");
	assert_status(a.token, s.id, "suspended");

	/* Admins moderate, and may close a published listing. */
	act_to(admin.token, p.id, "approve", NULL, "published");
	act_to(admin.token, s.id, "reinstate", NULL, "published");
	act_to(admin.token, pub.id, "close", NULL, "closed");
	api_expect_only(401, "GET", LISTINGS "?mine=true", NULL, NULL);
	free(doc_body);
}
END_TEST

/* The organisation must be verified when the listing is approved, not only when it was submitted. */
START_TEST(test_approve_needs_verification_now)
{
	struct api_acct a, admin;
	api_admin(&admin);
	member(&a, "reverify-a", "Công ty TNHH Điện mặt trời Hải Lăng", "enterprise", "quang-tri", &admin);
	char word[64], title[200];
	api_marker(word, sizeof word, "xacminh");
	snprintf(title, sizeof title, "Hệ thống điện mặt trời áp mái %s", word);
	struct listing l;
	in_state(&a, &admin, "pending_review", title, &l);
	/* A change of legal name withdraws the verification (test_organizations). */
	char path[160];
	api_org_path(path, sizeof path, a.org_id, "");
	json_t *doc = api_expect_json(200, "PATCH", path, a.token, "{\"name\":\"Công ty CP Điện mặt trời Hải Lăng\"}");
	ck_assert(json_is_false(json_object_get(doc, "verified")));
	json_decref(doc);
	act(admin.token, l.id, "approve", NULL, 409);
	assert_status(a.token, l.id, "pending_review");
	api_org_path(path, sizeof path, a.org_id, "/verify");
	api_expect_only(200, "POST", path, admin.token, "{\"note\":\"ok\"}");
	act_to(admin.token, l.id, "approve", NULL, "published");
}
END_TEST

/* ------------------------------------------------------------ visibility */

START_TEST(test_visibility)
{
	struct api_acct a, b, admin;
	api_admin(&admin);
	member(&a, "vis-a", "Viện Nghiên cứu Thủy sản miền Trung", "research_institute", "quang-tri", &admin);
	member(&b, "vis-b", "Công ty Cổ phần Chế biến Hải sản Đà Nẵng", "enterprise", "da-nang", &admin);
	char word[64], title[200];
	api_marker(word, sizeof word, "hienthi");
	snprintf(title, sizeof title, "Công nghệ nuôi tôm tuần hoàn %s", word);
	static const char *const states[] = {"draft", "pending_review", "rejected", "closed", "published"};
	struct listing l[5];
	for (size_t i = 0; i < 5; i++)
		in_state(&a, &admin, states[i], title, &l[i]);
	struct listing theirs;
	in_state(&b, &admin, "draft", title, &theirs);

	/* By id: published to all; the rest to the owner and admins only. */
	for (size_t i = 0; i < 5; i++) {
		bool pub = strcmp(states[i], "published") == 0;
		json_decref(get_listing(NULL, l[i].id, pub ? 200 : 404));
		json_decref(get_listing(b.token, l[i].id, pub ? 200 : 404));
		json_decref(get_listing(NULL, l[i].ref, pub ? 200 : 404));
		json_decref(get_listing(b.token, l[i].ref, pub ? 200 : 404));
		assert_status(a.token, l[i].id, states[i]);
		assert_status(admin.token, l[i].id, states[i]);
		assert_status(admin.token, l[i].ref, states[i]);
	}
	get_listing(NULL, "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", 404);
	get_listing(admin.token, "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", 404);
	get_listing(admin.token, "QT-TO-1999-999999", 404);
	get_listing(admin.token, "khong-phai-ma", 404);

	/* The public list: published only, whoever asks. */
	char query[200];
	snprintf(query, sizeof query, "q=%s&limit=100", word);
	const char *tokens[] = {NULL, b.token, a.token};
	for (size_t t = 0; t < 3; t++) {
		json_t *items = api_list_all(LISTINGS, query, tokens[t]);
		ck_assert_msg(json_array_size(items) == 1 && api_has_id(items, l[4].id),
			      "GET /listings?%s (caller %zu) lists %zu items, expected the published one", query, t,
			      json_array_size(items));
		json_decref(items);
	}

	/* mine=true: the caller's organisation, every state. */
	json_t *items = api_list_all(LISTINGS, "mine=true&limit=100", a.token);
	ck_assert_msg(json_array_size(items) == 5, "mine=true lists %zu, expected 5", json_array_size(items));
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(api_has_id(items, l[i].id), "mine=true misses the %s listing", states[i]);
	json_decref(items);
	items = api_list_all(LISTINGS, "mine=true&status=draft", a.token);
	ck_assert_msg(json_array_size(items) == 1 && api_has_id(items, l[0].id), "mine=true&status=draft lists %zu",
		      json_array_size(items));
	json_decref(items);
	items = api_list_all(LISTINGS, "mine=true", b.token);
	ck_assert_msg(json_array_size(items) == 1 && api_has_id(items, theirs.id), "B's mine=true lists %zu",
		      json_array_size(items));
	json_decref(items);

	/* status=: admins any; others published only. */
	snprintf(query, sizeof query, "status=pending_review&q=%s&limit=100", word);
	items = api_list_all(LISTINGS, query, admin.token);
	ck_assert_msg(json_array_size(items) == 1 && api_has_id(items, l[1].id), "admin status=pending_review lists %zu",
		      json_array_size(items));
	json_decref(items);
	items = api_list_all(LISTINGS, "status=pending_review&limit=100", admin.token);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		ck_assert_str_eq(api_str(it, "status"), "pending_review");
	ck_assert(api_has_id(items, l[1].id));
	json_decref(items);
	api_expect_only(403, "GET", LISTINGS "?status=draft", a.token, NULL);
	api_expect_only(403, "GET", LISTINGS "?status=pending_review", b.token, NULL);
	snprintf(query, sizeof query, "status=published&q=%s", word);
	items = api_list_all(LISTINGS, query, NULL);
	ck_assert(json_array_size(items) == 1 && api_has_id(items, l[4].id));
	json_decref(items);
	/* Last, so that a failure here hides nothing above. */
	api_expect_only(401, "GET", LISTINGS "?status=draft", NULL, NULL);
	api_expect_only(401, "GET", LISTINGS "?mine=true", NULL, NULL);
}
END_TEST

/* ------------------------------------------------------------ validation */

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

/* RFC 3339 of now + seconds. */
static void utc_in(char out[32], long seconds)
{
	time_t t = time(NULL) + seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

START_TEST(test_validation)
{
	struct api_acct a;
	member(&a, "valid-a", "Hợp tác xã Nông nghiệp Cam Lộ", "enterprise", "quang-tri", NULL);
	char soon[32], past[32], far[32];
	utc_in(soon, 30L * 86400);
	utc_in(past, -3600);
	utc_in(far, 4L * 366 * 86400);
	char set_past[80], set_far[80];
	snprintf(set_past, sizeof set_past, "{\"expires_at\":\"%s\"}", past);
	snprintf(set_far, sizeof set_far, "{\"expires_at\":\"%s\"}", far);

	struct api_failures failures = {0};
	/* One bad field at a time, on a valid document of `kind`. */
	static const char *tech = "technology_offer", *eq = "equipment_offer";
	const struct {
		const char *kind, *set, *remove, *field;
	} cases[] = {
		{tech, NULL, "kind", "kind"},
		{tech, "{\"kind\":\"technology_sale\"}", NULL, "kind"},
		{tech, NULL, "title", "title"},
		{tech, "{\"title\":\"ab\"}", NULL, "title"},
		{tech, "{\"title\":null}", NULL, "title"},
		{tech, "{\"title\":5}", NULL, "title"},
		{tech, "{\"summary\":[\"x\"]}", NULL, "summary"},
		{tech, NULL, "sector", "sector"},
		{tech, "{\"sector\":\"9.9\"}", NULL, "sector"},
		{tech, "{\"sector\":4}", NULL, "sector"},
		{tech, "{\"keywords\":\"sấy, tiêu\"}", NULL, "keywords"},
		{tech, "{\"keywords\":[\"sấy\", 5]}", NULL, "keywords"},
		{tech, "{\"keywords\":[\"sấy\", \"\"]}", NULL, "keywords"},
		{tech, "{\"keywords\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\","
		       "\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\"]}",
		 NULL, "keywords"},
		{tech, NULL, "trl", "trl"},
		{tech, "{\"trl\":0}", NULL, "trl"},
		{tech, "{\"trl\":10}", NULL, "trl"},
		{tech, "{\"trl\":\"5\"}", NULL, "trl"},
		{tech, "{\"trl\":5.5}", NULL, "trl"},
		{tech, "{\"ip_status\":\"bang_sang_che\"}", NULL, "ip_status"},
		{tech, "{\"transfer_modes\":[\"licensing\",\"barter\"]}", NULL, "transfer_modes"},
		{tech, "{\"transfer_modes\":\"licensing\"}", NULL, "transfer_modes"},
		{tech, "{\"transfer_modes\":[\"sale\"]}", NULL, "transfer_modes"},
		{"technology_demand", "{\"transfer_modes\":[\"lease\"]}", NULL, "transfer_modes"},
		{tech, "{\"price_min_vnd\":-1}", NULL, "price_min_vnd"},
		{tech, "{\"price_max_vnd\":-5}", NULL, "price_max_vnd"},
		{tech, "{\"price_min_vnd\":\"1000000\"}", NULL, "price_min_vnd"},
		{tech, "{\"price_min_vnd\":1.5}", NULL, "price_min_vnd"},
		{tech, "{\"price_min_vnd\":300000000,\"price_max_vnd\":100000000}", NULL, "price_min_vnd"},
		{tech, NULL, "province", "province"},
		{tech, "{\"province\":\"quang-binh\"}", NULL, "province"},
		{tech, set_past, NULL, "expires_at"},
		{tech, set_far, NULL, "expires_at"},
		{tech, "{\"expires_at\":\"ngày mai\"}", NULL, "expires_at"},
		{tech, "{\"expires_at\":1893456000}", NULL, "expires_at"},
		{tech, "{\"indicators\":[\"KH43-T9\"]}", NULL, "indicators"},
		{tech, "{\"indicators\":\"KH43-T1\"}", NULL, "indicators"},
		{tech, "{\"st_task\":\"\"}", NULL, "st_task"},
		{tech, "{\"equipment\":{\"condition\":\"new\"}}", NULL, "equipment"},
		{"technology_demand", "{\"equipment\":{\"condition\":\"used\"}}", NULL, "equipment"},
		{eq, NULL, "equipment", "equipment"},
		{"equipment_demand", NULL, "equipment", "equipment"},
		{eq, "{\"equipment\":\"new\"}", NULL, "equipment"},
		{eq, "{\"equipment\":{}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"broken\"}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"new\",\"year\":1900}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"new\",\"year\":2101}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"new\",\"quantity\":0}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"new\",\"quantity\":1000001}}", NULL, "equipment"},
		{eq, "{\"equipment\":{\"condition\":\"new\",\"colour\":\"red\"}}", NULL, "equipment"},
		{tech, "{\"anonymous\":\"yes\"}", NULL, "anonymous"},
		{tech, "{\"confidential\":7}", NULL, "confidential"},
		{tech, "{\"status\":\"published\"}", NULL, "status"},
		{tech, "{\"ref\":\"QT-TO-2026-000001\"}", NULL, "ref"},
		{tech, "{\"organization_id\":\"6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab\"}", NULL, "organization_id"},
		{tech, "{\"gia\":1}", NULL, "gia"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *doc = listing_doc(cases[i].kind, "Tiêu đề hợp lệ");
		if (cases[i].remove != NULL)
			json_object_del(doc, cases[i].remove);
		if (cases[i].set != NULL) {
			json_t *set = json_loads(cases[i].set, 0, NULL);
			ck_assert_msg(set != NULL, "case %zu does not parse", i);
			json_object_update(doc, set);
			json_decref(set);
		}
		char *body = api_dump(doc);
		struct it_response r;
		api_call(&r, "POST", LISTINGS, a.token, body, NULL);
		char what[300];
		snprintf(what, sizeof what, "case %zu (%s): %.200s", i, cases[i].field, body);
		api_note_failure(&failures, fields_problem(&r, FIELDS(cases[i].field), what));
		it_response_free(&r);
		free(body);
	}

	/* Lengths, counted in characters (Vietnamese letters are several bytes). */
	const struct {
		const char *field, *unit;
		size_t ok, bad;
	} lengths[] = {{"title", "ệ", 200, 201},   {"summary", "ả", 500, 501},    {"description", "d", 20000, 20001},
		       {"st_task", "Đ", 64, 65},   {"confidential", "ơ", 20000, 20001}, {"keywords", "ữ", 50, 51}};
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		for (int bad = 0; bad < 2; bad++) {
			char *s = repeat(lengths[i].unit, bad ? lengths[i].bad : lengths[i].ok);
			json_t *doc = listing_doc("technology_offer", "Độ dài");
			if (strcmp(lengths[i].field, "keywords") == 0)
				json_object_set_new(doc, "keywords", json_pack("[s, s]", "sấy", s));
			else
				json_object_set_new(doc, lengths[i].field, json_string(s));
			free(s);
			char *body = api_dump(doc);
			struct it_response r;
			api_call(&r, "POST", LISTINGS, a.token, body, NULL);
			free(body);
			char what[120];
			snprintf(what, sizeof what, "%s of %zu characters", lengths[i].field,
				 bad ? lengths[i].bad : lengths[i].ok);
			char *msg = NULL;
			if (bad)
				msg = fields_problem(&r, FIELDS(lengths[i].field), what);
			else if (r.status != 201 && asprintf(&msg, "%s: status %d: %.300s", what, r.status, r.body) < 0)
				msg = NULL;
			api_note_failure(&failures, msg);
			it_response_free(&r);
		}
	}

	ck_assert_msg(failures.len == 0, "field cases answered wrongly:\n%s", failures.s);
	free(failures.s);

	/* Several bad fields at once: all of them, in one answer. */
	json_t *doc = listing_doc("technology_offer", "ab");
	json_object_set_new(doc, "trl", json_integer(12));
	json_object_set_new(doc, "province", json_string("atlantis"));
	json_object_set_new(doc, "transfer_modes", json_pack("[s]", "lease"));
	json_object_set_new(doc, "bogus", json_true());
	char *body = api_dump(doc);
	struct it_response r;
	api_call(&r, "POST", LISTINGS, a.token, body, NULL);
	assert_fields(&r, FIELDS("title", "trl", "province", "transfer_modes", "bogus"), "five bad fields");
	it_response_free(&r);
	free(body);
	doc = json_pack("{s:s}", "kind", "equipment_demand");
	body = api_dump(doc);
	api_call(&r, "POST", LISTINGS, a.token, body, NULL);
	assert_fields(&r, FIELDS("title", "sector", "province", "equipment"), "only a kind");
	it_response_free(&r);
	free(body);

	/* A full, valid document of each kind is accepted as sent. */
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:i, s:s, s:[s,s], s:I, s:I, s:s, s:s, s:[s], s:s,"
			" s:s, s:b}",
			"kind", "technology_offer", "title", "Giống lúa chịu mặn QT-01", "summary", "Tóm tắt",
			"description", "Mô tả", "sector", "4.1", "keywords", "lúa", "chịu mặn", "trl", 7, "ip_status",
			"plant_variety", "transfer_modes", "licensing", "training", "price_min_vnd",
			(json_int_t)100000000, "price_max_vnd", (json_int_t)100000000, "province", "quang-tri",
			"expires_at", soon, "indicators", "KH43-T1", "st_task", "ĐT-2024-07", "confidential",
			"Quy trình chọn dòng chi tiết", "anonymous", 0);
	json_t *got = create(a.token, doc, NULL);
	ck_assert_str_eq(api_str(got, "expires_at"), soon);
	ck_assert_int_eq(json_integer_value(json_object_get(got, "price_min_vnd")), 100000000);
	ck_assert_str_eq(api_str(got, "confidential"), "Quy trình chọn dòng chi tiết");
	ck_assert_str_eq(api_str(got, "sector"), "4.1");
	ck_assert_int_eq(json_array_size(json_object_get(got, "keywords")), 2);
	json_decref(got);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:{s:s, s:s, s:s, s:i, s:i}}", "kind", "equipment_offer",
			"title", "Máy sấy bơm nhiệt 500 kg/mẻ", "sector", "2.3", "province", "quang-tri",
			"transfer_modes", "sale", "lease", "equipment", "condition", "used", "manufacturer",
			"Công ty Cơ khí Đông Hà", "model", "SBN-500", "year", 2021, "quantity", 2);
	got = create(a.token, doc, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(api_obj(got, "equipment"), "year")), 2021);
	ck_assert(json_is_null(json_object_get(got, "trl")));
	json_decref(got);
	/* A demand does not need a TRL. */
	doc = listing_doc("technology_demand", "Cần công nghệ xử lý nước thải");
	create_only(a.token, doc, NULL);

	/* Not JSON, not an object, not JSON's media type. */
	api_expect_only(400, "POST", LISTINGS, a.token, "{\"kind\":");
	api_expect_only(400, "POST", LISTINGS, a.token, "tiêu đề");
	api_expect(&r, 415, "POST", LISTINGS, a.token, "{\"kind\":\"technology_offer\"}", "Content-Type: text/plain");
	it_response_free(&r);
	api_call(&r, "POST", LISTINGS, a.token, "[]", NULL);
	ck_assert_msg(r.status == 400 || r.status == 422, "an array body: status %d", r.status);
	it_response_free(&r);

	/* Nothing refused was stored: three listings made it. */
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM listings WHERE organization_id = $1 AND title <> 'Độ dài'"
				      " AND title NOT LIKE 'ệệệ%'",
				      a.org_id, NULL),
			 3);
	PQfinish(pg);
}
END_TEST

/* ------------------------------------------------------------ PATCH and DELETE */

static void patch(struct it_response *r, int status, const char *id, const char *token, const char *body,
		  const char *if_match)
{
	char path[200], header[64];
	lpath(path, sizeof path, id, "");
	if (if_match != NULL)
		snprintf(header, sizeof header, "If-Match: %s", if_match);
	api_expect(r, status, "PATCH", path, token, body, if_match != NULL ? header : NULL);
}

START_TEST(test_patch_and_delete)
{
	struct api_acct a, admin;
	api_admin(&admin);
	member(&a, "patch-a", "Công ty Cổ phần Dược liệu Hướng Hóa", "enterprise", "quang-tri", &admin);
	char word[64], title[200], query[200];
	api_marker(word, sizeof word, "suatin");
	snprintf(title, sizeof title, "Chiết xuất tinh dầu tràm %s", word);
	snprintf(query, sizeof query, "q=%s&limit=100", word);

	struct listing l;
	create_only(a.token, listing_doc("technology_offer", title), &l);
	struct it_response r;
	patch(&r, 200, l.id, a.token, "{\"summary\":\"Hiệu suất 1,2%\"}", "\"1\"");
	json_t *doc = it_json(&r);
	assert_etag_version(&r, doc, "PATCH");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 2);
	ck_assert_str_eq(api_str(doc, "status"), "draft");
	ck_assert_str_eq(api_str(doc, "title"), title); /* untouched */
	json_decref(doc);
	it_response_free(&r);
	patch(&r, 412, l.id, a.token, "{\"summary\":\"Bản cũ\"}", "\"1\"");
	it_response_free(&r);
	patch(&r, 200, l.id, a.token, "{\"keywords\":[\"tràm\",\"tinh dầu\"],\"price_max_vnd\":null}", "\"2\"");
	it_response_free(&r);
	patch(&r, 200, l.id, a.token, "{\"trl\":6}", NULL);
	it_response_free(&r);
	doc = get_listing(a.token, l.id, 200);
	ck_assert_str_eq(api_str(doc, "summary"), "Hiệu suất 1,2%");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "trl")), 6);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "keywords")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 4);
	json_decref(doc);

	/* kind never changes; a bad field beats a stale If-Match. */
	patch(&r, 422, l.id, a.token, "{\"kind\":\"technology_demand\"}", NULL);
	assert_fields(&r, FIELDS("kind"), "PATCH kind");
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"kind\":\"technology_offer\",\"trl\":11}", "\"1\"");
	assert_fields(&r, FIELDS("kind", "trl"), "PATCH kind (even the same) and a bad trl, stale If-Match");
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"province\":\"atlantis\"}", "\"1\"");
	assert_fields(&r, FIELDS("province"), "stale If-Match, unknown province");
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"bogus\":1}", NULL);
	assert_fields(&r, FIELDS("bogus"), "PATCH with an unknown field");
	it_response_free(&r);
	patch(&r, 400, l.id, a.token, "{\"summary\":", NULL);
	it_response_free(&r);
	ck_assert_int_eq(version_of(l.id), 4);

	/* Rules across fields hold against what is stored. */
	patch(&r, 422, l.id, a.token, "{\"trl\":null}", NULL);
	assert_fields(&r, FIELDS("trl"), "removing a technology offer's TRL");
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"transfer_modes\":[\"sale\"]}", NULL);
	assert_fields(&r, FIELDS("transfer_modes"), "sale on a technology offer");
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"equipment\":{\"condition\":\"new\"}}", NULL);
	assert_fields(&r, FIELDS("equipment"), "equipment on a technology offer");
	it_response_free(&r);
	patch(&r, 200, l.id, a.token, "{\"price_max_vnd\":100000000}", NULL);
	it_response_free(&r);
	patch(&r, 422, l.id, a.token, "{\"price_min_vnd\":200000000}", NULL);
	assert_fields(&r, FIELDS("price_min_vnd"), "a minimum above the stored maximum");
	it_response_free(&r);
	struct listing e;
	create_only(a.token, listing_doc("equipment_offer", title), &e);
	patch(&r, 422, e.id, a.token, "{\"equipment\":null}", NULL);
	assert_fields(&r, FIELDS("equipment"), "removing an equipment offer's equipment");
	it_response_free(&r);
	ck_assert_int_eq(version_of(l.id), 5);

	/* Editing a published listing sends it back to review and out of the public list. */
	act_to(a.token, l.id, "submit", NULL, "pending_review");
	act_to(admin.token, l.id, "approve", NULL, "published");
	json_t *items = api_list_all(LISTINGS, query, NULL);
	ck_assert(api_has_id(items, l.id));
	json_decref(items);
	patch(&r, 200, l.id, a.token, "{\"description\":\"Thêm số liệu thử nghiệm\"}", NULL);
	doc = it_json(&r);
	ck_assert_str_eq(api_str(doc, "status"), "pending_review");
	json_decref(doc);
	it_response_free(&r);
	items = api_list_all(LISTINGS, query, NULL);
	ck_assert_msg(!api_has_id(items, l.id), "an edited listing is still public before review");
	json_decref(items);
	get_listing(NULL, l.id, 404);
	/* In review, an edit keeps it there. */
	patch(&r, 200, l.id, a.token, "{\"summary\":\"Sửa khi chờ duyệt\"}", NULL);
	it_response_free(&r);
	assert_status(a.token, l.id, "pending_review");

	/* DELETE: drafts only; then it is gone. */
	struct listing d;
	create_only(a.token, listing_doc("technology_demand", title), &d);
	char path[200];
	lpath(path, sizeof path, d.id, "");
	api_expect(&r, 412, "DELETE", path, a.token, NULL, "If-Match: \"7\"");
	it_response_free(&r);
	api_expect(&r, 204, "DELETE", path, a.token, NULL, NULL);
	ck_assert_msg(r.body_len == 0, "204 with a body");
	it_response_free(&r);
	get_listing(a.token, d.id, 404);
	get_listing(admin.token, d.ref, 404);
	api_expect_only(404, "DELETE", path, a.token, NULL);
	api_expect_only(404, "PATCH", path, a.token, "{\"summary\":\"x\"}");
	lpath(path, sizeof path, l.id, "");
	api_expect_only(409, "DELETE", path, a.token, NULL);
	assert_audited(&admin, "listing.delete", d.id, a.user_id);
}
END_TEST

/* ------------------------------------------------------------ Idempotency-Key */

START_TEST(test_idempotency)
{
	struct api_acct a;
	member(&a, "idem-a", "Trung tâm Giống cây trồng Quảng Trị", "government", "quang-tri", NULL);
	char word[64], title[200], key[96];
	api_marker(word, sizeof word, "mottin");
	snprintf(title, sizeof title, "Giống sắn kháng bệnh khảm lá %s", word);
	snprintf(key, sizeof key, "Idempotency-Key: listing-%s", api_tag());
	char *body = api_dump(listing_doc("technology_offer", title));
	struct it_response first, again, other;
	api_expect(&first, 201, "POST", LISTINGS, a.token, body, key);
	ck_assert_ptr_null(it_header(&first, "Idempotency-Replayed"));
	api_expect(&again, 201, "POST", LISTINGS, a.token, body, key);
	ck_assert_str_eq(again.body, first.body);
	const char *replayed = it_header(&again, "Idempotency-Replayed");
	ck_assert_msg(replayed != NULL && strcmp(replayed, "true") == 0, "a replay without Idempotency-Replayed: true");

	char *changed = api_dump(listing_doc("technology_demand", title));
	api_expect(&other, 422, "POST", LISTINGS, a.token, changed, key);
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM listings WHERE title = $1", title, NULL), 1);
	/* Without the key, the same body is a second listing. */
	api_expect_only(201, "POST", LISTINGS, a.token, body);
	ck_assert_int_eq(api_sql_long(pg, "SELECT count(*) FROM listings WHERE title = $1", title, NULL), 2);
	PQfinish(pg);
	it_response_free(&first);
	it_response_free(&again);
	it_response_free(&other);
	free(body);
	free(changed);
}
END_TEST

/* ------------------------------------------------------------ confidential and anonymous */

/* Fails if body has the secret or the name in it (also its ASCII tail, should the name come \u-escaped). */
static void assert_clean(const char *body, const char *secret, const char *name, const char *what)
{
	char tail[64];
	snprintf(tail, sizeof tail, "Danh %s", api_tag());
	ck_assert_msg(strstr(body, secret) == NULL, "%s shows the confidential text: %.300s", what, body);
	ck_assert_msg(strstr(body, name) == NULL && strstr(body, tail) == NULL,
		      "%s shows the anonymous owner's name: %.300s", what, body);
}

static void assert_clean_get(const char *path, const char *token, const char *secret, const char *name)
{
	struct it_response r;
	api_expect(&r, 200, "GET", path, token, NULL, NULL);
	assert_clean(r.body, secret, name, path);
	it_response_free(&r);
}

START_TEST(test_confidential_and_anonymous)
{
	struct api_acct a, b, admin;
	api_admin(&admin);
	member(&a, "secret-a", "Viện Vật liệu Ẩn Danh", "research_institute", "quang-tri", &admin);
	member(&b, "secret-b", "Công ty Tò Mò", "enterprise", "hue", &admin);
	char name[200], secret[80], word[64], title[200];
	snprintf(name, sizeof name, "Viện Vật liệu Ẩn Danh %s", api_tag());
	snprintf(secret, sizeof secret, "BIQUYET-%s-nhiet-do-72", api_tag());
	api_marker(word, sizeof word, "andanh");
	snprintf(title, sizeof title, "Vật liệu cách nhiệt từ vỏ trấu %s", word);

	json_t *doc = listing_doc("technology_offer", title);
	json_object_set_new(doc, "anonymous", json_true());
	json_object_set_new(doc, "confidential", json_string(secret));
	json_object_set_new(doc, "summary", json_string("Tóm tắt công khai"));
	struct listing l;
	json_t *got = create(a.token, doc, &l);
	ck_assert_str_eq(api_str(got, "confidential"), secret);
	json_decref(got);
	act_to(a.token, l.id, "submit", NULL, "pending_review");
	act_to(admin.token, l.id, "approve", NULL, "published");

	/* The owner and admins see both. */
	const char *entitled[] = {a.token, admin.token};
	for (size_t i = 0; i < 2; i++) {
		got = get_listing(entitled[i], l.id, 200);
		ck_assert_str_eq(api_str(got, "confidential"), secret);
		ck_assert_str_eq(api_str(api_obj(got, "organization"), "name"), name);
		ck_assert_str_eq(api_str(api_obj(got, "organization"), "id"), a.org_id);
		json_decref(got);
	}
	char query[200];
	snprintf(query, sizeof query, "q=%s", word);
	json_t *items = api_list_all(LISTINGS, query, a.token);
	ck_assert(json_array_size(items) == 1);
	ck_assert_str_eq(api_str(api_obj(json_array_get(items, 0), "organization"), "name"), name);
	json_decref(items);

	/* Everyone else: kind and province of the owner, no name, no confidential key. */
	const char *others[] = {NULL, b.token};
	for (size_t i = 0; i < 2; i++) {
		got = get_listing(others[i], l.id, 200);
		ck_assert_msg(json_object_get(got, "confidential") == NULL, "confidential key shown to caller %zu", i);
		json_t *org = api_obj(got, "organization");
		ck_assert_msg(json_object_size(org) == 2, "organization has %zu keys for caller %zu",
			      json_object_size(org), i);
		ck_assert_str_eq(api_str(org, "kind"), "research_institute");
		ck_assert_str_eq(api_str(org, "province"), "quang-tri");
		ck_assert(json_is_true(json_object_get(got, "anonymous")));
		json_decref(got);

		char path[300];
		lpath(path, sizeof path, l.id, "");
		assert_clean_get(path, others[i], secret, name);
		lpath(path, sizeof path, l.ref, "");
		assert_clean_get(path, others[i], secret, name);
		snprintf(path, sizeof path, LISTINGS "?q=%s", word);
		assert_clean_get(path, others[i], secret, name);
		assert_clean_get(LISTINGS "?q=v%E1%BB%8F%20tr%E1%BA%A5u&limit=100", others[i], secret, name);
		assert_clean_get(LISTINGS "?limit=100", others[i], secret, name);
		snprintf(path, sizeof path, LISTINGS "?kind=technology_offer&province=quang-tri&q=%s", word);
		assert_clean_get(path, others[i], secret, name);
		/* Filtering by the organisation would name it: the anonymous listing is not found that way. */
		snprintf(path, sizeof path, LISTINGS "?organization=%s&q=%s", a.org_id, word);
		json_t *page = api_expect_json(200, "GET", path, others[i], NULL);
		ck_assert_msg(!api_has_id(json_object_get(page, "items"), l.id),
			      "?organization= finds an anonymous listing for caller %zu", i);
		json_decref(page);

		/* The whole changes feed. */
		char cursor[512] = "";
		for (int pages = 0;; pages++) {
			ck_assert_msg(pages < 1000, "the changes feed does not end");
			char feed[700];
			snprintf(feed, sizeof feed, LISTINGS "/changes?limit=100%s%s", cursor[0] ? "&since=" : "", cursor);
			struct it_response r;
			api_expect(&r, 200, "GET", feed, others[i], NULL, NULL);
			assert_clean(r.body, secret, name, feed);
			json_t *fd = it_json(&r);
			it_response_free(&r);
			json_t *next = json_object_get(fd, "next_cursor");
			bool more = json_is_string(next);
			if (more)
				snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
			json_decref(fd);
			if (!more)
				break;
		}
	}

	/* Nor is the secret ever searchable, even by its owner. */
	items = api_list_all(LISTINGS, "q=BIQUYET", a.token);
	ck_assert_msg(!api_has_id(items, l.id), "the confidential text is searchable");
	json_decref(items);
}
END_TEST

/* ------------------------------------------------------------ moderation queue */

START_TEST(test_moderation_queue)
{
	struct api_acct a, waiting, admin;
	api_admin(&admin);
	member(&a, "queue-a", "Công ty Cổ phần Nông sản Gio Linh", "enterprise", "quang-tri", &admin);
	member(&waiting, "queue-w", "Trường Cao đẳng Kỹ thuật Chờ Duyệt", "university", "quang-tri", NULL);
	char word[64], title[200];
	api_marker(word, sizeof word, "hangdoi");
	snprintf(title, sizeof title, "Chế phẩm vi sinh xử lý rơm %s", word);
	struct listing p, pub;
	in_state(&a, &admin, "pending_review", title, &p);
	in_state(&a, &admin, "published", title, &pub);

	api_expect_only(401, "GET", "/api/v1/moderation/queue", NULL, NULL);
	api_expect_only(403, "GET", "/api/v1/moderation/queue", a.token, NULL);
	api_expect_only(403, "GET", "/api/v1/moderation/queue", waiting.token, NULL);

	/* Walk it: oldest first; the waiting organisation (older) before the pending listing. */
	char cursor[512] = "", last_since[64] = "";
	long at_org = -1, at_listing = -1, n = 0;
	for (int pages = 0;; pages++) {
		ck_assert_msg(pages < 500, "the queue does not end");
		char path[700];
		snprintf(path, sizeof path, "/api/v1/moderation/queue?limit=100%s%s", cursor[0] ? "&cursor=" : "", cursor);
		json_t *doc = api_expect_json(200, "GET", path, admin.token, NULL);
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(doc, "items"), i, it) {
			const char *type = api_str(it, "type"), *id = api_str(it, "id"), *since = api_str(it, "since");
			ck_assert_msg(strcmp(type, "listing") == 0 || strcmp(type, "organization") == 0 ||
					      strcmp(type, "deal") == 0,
				      "queue item of type %s", type);
			ck_assert_msg(strcmp(last_since, since) <= 0, "queue not oldest first: %s after %s", since,
				      last_since);
			snprintf(last_since, sizeof last_since, "%s", since);
			if (strcmp(type, "organization") == 0 && strcmp(id, waiting.org_id) == 0)
				at_org = n;
			if (strcmp(type, "organization") == 0)
				ck_assert_msg(strcmp(id, a.org_id) != 0, "a verified organisation is in the queue");
			if (strcmp(type, "listing") == 0 && strcmp(id, p.id) == 0) {
				at_listing = n;
				/* "title/name": at the top, or in the listing the item carries */
				json_t *t = json_object_get(it, "title");
				if (t == NULL)
					t = json_object_get(json_object_get(it, "listing"), "title");
				ck_assert_msg(json_is_string(t) && strcmp(json_string_value(t), title) == 0,
					      "the queue's listing item has no title %s", title);
			}
			if (strcmp(type, "listing") == 0)
				ck_assert_msg(strcmp(id, pub.id) != 0, "a published listing is in the queue");
			n++;
		}
		json_t *next = json_object_get(doc, "next_cursor");
		bool more = json_is_string(next);
		if (more)
			snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		json_decref(doc);
		if (!more)
			break;
	}
	ck_assert_msg(at_org >= 0, "the unverified organisation is not in the queue");
	ck_assert_msg(at_listing >= 0, "the pending listing is not in the queue");
	ck_assert_msg(at_org < at_listing, "the organisation (waiting longer) comes after the listing");
	api_expect_only(400, "GET", "/api/v1/moderation/queue?limit=0", admin.token, NULL);
	api_expect_only(400, "GET", "/api/v1/moderation/queue?cursor=!!!", admin.token, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_listings");
	TCase *tc = tcase_create("listings");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_forbidden_transitions);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_approve_needs_verification_now);
	tcase_add_test(tc, test_visibility);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_patch_and_delete);
	tcase_add_test(tc, test_idempotency);
	tcase_add_test(tc, test_confidential_and_anonymous);
	tcase_add_test(tc, test_moderation_queue);
	suite_add_tcase(s, tc);
	static const char *const env[] = {"MARKETPLACE_MAINTENANCE_INTERVAL_MS=200", NULL};
	return api_run(s, env);
}
