/*
 * Plan indicators, the S&T task registry, the plan's task groups and the
 * summary report against the real binary and PostgreSQL (DESIGN.md
 * section 6, the contract of issue 10).
 *
 * The database is shared with the other suites of a run and with earlier
 * runs, so the computed indicators (KH43-T1, KH43-T3, KH43-X1) are checked
 * as differences: the suite reads them, builds a fixture of tasks, offers
 * and deals whose completion it moves (by SQL, as the owner) into 2024,
 * 2025 and 2022, years nothing else writes to, reads them again and
 * compares the differences with counts worked out by hand, deal by deal.
 * Deals that must not count (completed but unverified, cancelled,
 * completed before the plan's period) are among them, as are completions
 * on either side of a year's end in Vietnam's time zone.
 *
 * The manual values each test sets are its own: T2 in 2023 and 2026
 * (status), T4 in 2026 (status) and 2027 (validation), T5 only after this
 * year (no_data), T6 in 2028, V2045 in 2045, T3's base in 2024 and 2025
 * (the fixture) and 2023 (validation).  Only this suite writes them.
 *
 * One server for the suite (api_run).
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "harness.h"

#define TASKS "/api/v1/st-tasks"
#define INDICATORS "/api/v1/indicators"
#define REPORT "/api/v1/reports/summary"

/* The indicators in plan order (sort_order of plan_indicators). */
static const char *const codes[] = {"KH43-T1", "KH43-T2", "KH43-T3", "KH43-T4",
				    "KH43-T5", "KH43-T6", "KH43-V2045", "KH43-X1"};

/* ------------------------------------------------------------ time */

/* Now in Vietnam (UTC+7, no daylight saving time). */
static struct tm local_now(void)
{
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm;
}

static int local_year(void) { return local_now().tm_year + 1900; }

/* Today in Vietnam as YYYY-MM-DD. */
static void local_today(char out[16])
{
	struct tm tm = local_now();
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* ------------------------------------------------------------ accounts and listings */

static void verify_org(const struct api_acct *a, const struct api_acct *admin)
{
	char path[160];
	api_org_path(path, sizeof path, a->org_id, "/verify");
	api_expect_only(200, "POST", path, admin->token, "{\"note\":\"ok\"}");
}

/* A member of a new organisation of `kind`, logged in and verified. */
static void verified_member(struct api_acct *a, const struct api_acct *admin, const char *who, const char *org,
			    const char *kind)
{
	api_register(a, who, org, kind, "quang-tri");
	api_login(a);
	verify_org(a, admin);
}

/*
 * A technology listing of `kind` of owner's naming st_task and linked to
 * indicator (either NULL), created, submitted and, when admin is not NULL,
 * approved; its id into id.
 */
static void technology(const struct api_acct *owner, const struct api_acct *admin, const char *kind,
		       const char *title, const char *st_task, const char *indicator, char id[40])
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", kind, "title", title, "sector", "2.2", "province",
				"quang-tri", "trl", 6);
	ck_assert(doc != NULL);
	if (st_task != NULL)
		json_object_set_new(doc, "st_task", json_string(st_task));
	if (indicator != NULL)
		json_object_set_new(doc, "indicators", json_pack("[s]", indicator));
	char *body = api_dump(doc);
	json_t *got = api_expect_json(201, "POST", "/api/v1/listings", owner->token, body);
	free(body);
	snprintf(id, 40, "%s", api_str(got, "id"));
	json_decref(got);
	if (admin == NULL)
		return;
	char path[200];
	snprintf(path, sizeof path, "/api/v1/listings/%s/submit", id);
	api_expect_only(200, "POST", path, owner->token, NULL);
	snprintf(path, sizeof path, "/api/v1/listings/%s/approve", id);
	json_t *l = api_expect_json(200, "POST", path, admin->token, NULL);
	ck_assert_str_eq(api_str(l, "status"), "published");
	json_decref(l);
}

/* The same for a technology offer. */
static void offer(const struct api_acct *owner, const struct api_acct *admin, const char *title, const char *st_task,
		  const char *indicator, char id[40])
{
	technology(owner, admin, "technology_offer", title, st_task, indicator, id);
}

/* ------------------------------------------------------------ S&T tasks */

static json_t *task_doc(const char *code, const char *title, const char *host, int year)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:i}", "code", code, "title", title, "host_organization", host,
			      "year_accepted", year);
	ck_assert(d != NULL);
	return d;
}

/* POST /st-tasks (201 expected) as admin; returns the task (json_decref it). */
static json_t *create_task(const struct api_acct *admin, const char *code, int year)
{
	char *body = api_dump(task_doc(code, "Nghiên cứu ứng dụng công nghệ sấy nông sản", "Viện Nông nghiệp Quảng Trị", year));
	json_t *t = api_expect_json(201, "POST", TASKS, admin->token, body);
	free(body);
	ck_assert_str_eq(api_str(t, "code"), code);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "year_accepted")), year);
	return t;
}

/* "/api/v1/st-tasks/<code percent-encoded>" into out. */
static void task_path(char *out, size_t size, const char *code)
{
	size_t n = (size_t)snprintf(out, size, TASKS "/");
	for (const unsigned char *p = (const unsigned char *)code; *p != '\0' && n + 4 < size; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_')
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", *p);
	}
	out[n] = '\0';
}

/* ------------------------------------------------------------ deals */

static void deal_path(char *out, size_t size, const char *id, const char *suffix)
{
	snprintf(out, size, "/api/v1/deals/%s%s", id, suffix);
}

/* One transition that must answer 200 and leave the deal in `state`. */
static void transition(const struct api_acct *by, const char *deal, const char *body, const char *state)
{
	char path[160];
	deal_path(path, sizeof path, deal, "/transitions");
	json_t *d = api_expect_json(200, "POST", path, by->token, body);
	ck_assert_msg(strcmp(api_str(d, "state"), state) == 0, "%s with %s: state %s, expected %s", path, body,
		      api_str(d, "state"), state);
	json_decref(d);
}

/*
 * A deal on listing (owned by owner's organisation) opened by other and
 * taken through negotiating, agreed (both sides) and contracted with
 * value_vnd, then completed unless `final` is "contracted"; its id into id.
 */
static void deal_to(const struct api_acct *owner, const struct api_acct *other, const char *listing, long value,
		    const char *final, char id[40])
{
	char path[200], body[200];
	snprintf(path, sizeof path, "/api/v1/listings/%s/interests", listing);
	json_t *d = api_expect_json(201, "POST", path, other->token,
				    "{\"message\":\"Chúng tôi muốn ứng dụng công nghệ này.\"}");
	snprintf(id, 40, "%s", api_str(d, "id"));
	ck_assert_str_eq(api_str(d, "state"), "proposed");
	json_decref(d);
	transition(owner, id, "{\"to\":\"negotiating\"}", "negotiating");
	transition(owner, id, "{\"to\":\"agreed\"}", "negotiating");
	transition(other, id, "{\"to\":\"agreed\"}", "agreed");
	snprintf(body, sizeof body, "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-%s-%ld\",\"value_vnd\":%ld}",
		 api_tag(), value, value);
	transition(owner, id, body, "contracted");
	if (strcmp(final, "contracted") == 0)
		return;
	transition(other, id, "{\"to\":\"completed\"}", "completed");
}

static void verify_deal(const struct api_acct *admin, const char *id)
{
	char path[160];
	deal_path(path, sizeof path, id, "/verify");
	json_t *d = api_expect_json(200, "POST", path, admin->token, "{\"note\":\"Đã kiểm tra hợp đồng\"}");
	ck_assert_msg(json_is_true(json_object_get(d, "verified")), "%s: not verified", path);
	json_decref(d);
}

/*
 * Moves the deal's last state change (its completion or cancellation) to
 * `at` and, when it was verified, its verification to `verified` (NULL:
 * a day later); the events of both with them.
 */
static void backdate(const char *id, const char *at, const char *verified)
{
	PGconn *pg = it_pg_connect(it_db_url());
	ck_assert_int_eq(api_sql_exec(pg, "UPDATE deals SET state_at = $2::timestamptz WHERE id = $1", id, at), 1);
	if (verified != NULL)
		api_sql_exec(pg, "UPDATE deals SET verified_at = $2::timestamptz WHERE id = $1 AND verified_at IS NOT NULL",
			     id, verified);
	else
		api_sql_exec(pg, "UPDATE deals SET verified_at = state_at + interval '1 day'"
				 " WHERE id = $1 AND verified_at IS NOT NULL",
			     id, NULL);
	api_sql_exec(pg, "UPDATE deal_events e SET at = d.state_at FROM deals d"
			 " WHERE e.deal_id = d.id AND d.id = $1 AND e.kind = 'transition' AND e.to_state = d.state",
		     id, NULL);
	api_sql_exec(pg, "UPDATE deal_events e SET at = d.verified_at FROM deals d"
			 " WHERE e.deal_id = d.id AND d.id = $1 AND e.kind = 'verification'",
		     id, NULL);
	PQfinish(pg);
}

/* ------------------------------------------------------------ indicators */

/* The indicator `code` of a GET /indicators document, borrowed. */
static json_t *indicator_of(json_t *list, const char *code)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(list, "items"), i, it)
		if (strcmp(api_str(it, "code"), code) == 0)
			return it;
	ck_abort_msg("GET /indicators has no %s", code);
	return NULL;
}

/* The series member of `year`, borrowed. */
static json_t *year_of(json_t *ind, int year)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(ind, "series"), i, it)
		if (json_integer_value(json_object_get(it, "year")) == year)
			return it;
	ck_abort_msg("%s has no series member for %d", json_string_value(json_object_get(ind, "code")), year);
	return NULL;
}

/* obj[key] as a number (integer or real); fails when it is missing or not a number. */
static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	ck_assert_msg(json_is_number(v), "%s is missing or not a number: %s", key, json_dumps(obj, JSON_COMPACT));
	return json_number_value(v);
}

/* x rounded to 2 decimals, as the server gives percentages. */
static double round2(double x) { return round(x * 100.0) / 100.0; }

static void assert_close(double got, double want, const char *what)
{
	ck_assert_msg(fabs(got - want) < 0.0051, "%s: %.4f, expected %.4f", what, got, want);
}

static json_t *get_indicators(const char *token)
{
	json_t *doc = api_expect_json(200, "GET", INDICATORS, token, NULL);
	ck_assert_msg(json_is_array(json_object_get(doc, "items")), "GET /indicators: no items");
	return doc;
}

static json_t *get_indicator(const char *code, const char *token)
{
	char path[120];
	snprintf(path, sizeof path, INDICATORS "/%s", code);
	return api_expect_json(200, "GET", path, token, NULL);
}

#define Y0 2023
#define NYEARS 8

/* What the fixture moves: the computed indicators per year 2023-2030. */
struct computed {
	double x1_count[NYEARS], x1_vnd[NYEARS];
	double t1_registered[NYEARS], t1_applied[NYEARS], t1_in_year[NYEARS];
	double t3_enterprises[NYEARS];
};

static void read_computed(struct computed *c)
{
	json_t *doc = get_indicators(NULL);
	json_t *x1 = indicator_of(doc, "KH43-X1"), *t1 = indicator_of(doc, "KH43-T1"), *t3 = indicator_of(doc, "KH43-T3");
	/* Years still to come have no value yet. */
	memset(c, 0, sizeof *c);
	for (int k = 0; k < NYEARS && Y0 + k <= local_year(); k++) {
		json_t *x = year_of(x1, Y0 + k), *t = year_of(t1, Y0 + k), *e = year_of(t3, Y0 + k);
		c->x1_count[k] = num(x, "value");
		c->x1_vnd[k] = num(x, "value_vnd");
		c->t1_registered[k] = num(t, "tasks_registered");
		c->t1_applied[k] = num(t, "tasks_applied");
		c->t1_in_year[k] = num(t, "tasks_applied_in_year");
		c->t3_enterprises[k] = num(e, "enterprises");
		/* Each year's percentages follow from its counts. */
		if (c->t1_registered[k] > 0) {
			char what[80];
			snprintf(what, sizeof what, "KH43-T1 %d value", Y0 + k);
			assert_close(num(t, "value"), round2(c->t1_applied[k] / c->t1_registered[k] * 100), what);
			snprintf(what, sizeof what, "KH43-T1 %d year_value", Y0 + k);
			assert_close(num(t, "year_value"), round2(c->t1_in_year[k] / c->t1_registered[k] * 100), what);
		} else {
			ck_assert_msg(json_is_null(json_object_get(t, "value")), "KH43-T1 %d: a value without tasks",
				      Y0 + k);
		}
		json_t *base = json_object_get(e, "base");
		if (json_is_number(base)) {
			char what[80];
			snprintf(what, sizeof what, "KH43-T3 %d value", Y0 + k);
			assert_close(num(e, "value"), round2(c->t3_enterprises[k] / json_number_value(base) * 100), what);
		} else {
			ck_assert_msg(json_is_null(base) && json_is_null(json_object_get(e, "value")),
				      "KH43-T3 %d: a value without a base", Y0 + k);
		}
	}
	json_decref(doc);
}

/* Fails unless after[year] - before[year] == want. */
static void assert_delta(const double *before, const double *after, int year, double want, const char *what)
{
	int k = year - Y0;
	ck_assert_msg(after[k] - before[k] == want, "%s %d moved by %.0f (%.0f -> %.0f), expected %.0f", what, year,
		      after[k] - before[k], before[k], after[k], want);
}

/* PUT /indicators/{code}/values/{year} with body; `status` expected; the 200 document (json_decref it) or NULL. */
static json_t *put_value(const char *token, const char *code, const char *year, const char *body, int status)
{
	char path[160];
	snprintf(path, sizeof path, INDICATORS "/%s/values/%s", code, year);
	struct it_response r;
	api_expect(&r, status, "PUT", path, token, body, NULL);
	json_t *doc = status == 200 ? it_json(&r) : NULL;
	it_response_free(&r);
	return doc;
}

static void put_invalid(const char *token, const char *code, const char *year, const char *body,
			const char *const *pairs)
{
	char path[160], what[300];
	snprintf(path, sizeof path, INDICATORS "/%s/values/%s", code, year);
	snprintf(what, sizeof what, "PUT %s %s", path, body);
	struct it_response r;
	api_call(&r, "PUT", path, token, body, NULL);
	api_assert_errors(&r, pairs, what);
	it_response_free(&r);
}

/* ------------------------------------------------------------ S&T task registry */

START_TEST(test_st_task_create)
{
	struct api_acct admin, m;
	api_admin(&admin);
	api_register(&m, "nv-thanh-vien", "Công ty Nhiệm vụ", "enterprise", "quang-tri");
	api_login(&m);
	int year = local_year();

	/* A code with a Vietnamese letter and a slash; the host's organisation named. */
	char code[80], body[600];
	snprintf(code, sizeof code, "ĐTKH.QT/%s_05", api_tag());
	json_t *doc = task_doc(code, "Nghiên cứu chọn tạo giống hồ tiêu", "Viện Khoa học Nông nghiệp", 2023);
	json_object_set_new(doc, "organization_id", json_string(m.org_id));
	char *created_body = api_dump(doc);
	json_t *t = api_expect_json(201, "POST", TASKS, admin.token, created_body);
	ck_assert_str_eq(api_str(t, "code"), code);
	ck_assert_str_eq(api_str(t, "title"), "Nghiên cứu chọn tạo giống hồ tiêu");
	ck_assert_str_eq(api_str(t, "host_organization"), "Viện Khoa học Nông nghiệp");
	ck_assert_str_eq(api_str(t, "organization_id"), m.org_id);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "year_accepted")), 2023);
	ck_assert_msg(api_parse_utc(api_str(t, "created_at")) > 0, "created_at is not a UTC time");
	json_decref(t);

	/* It reads back, by its code percent-encoded in the path. */
	char path[200];
	task_path(path, sizeof path, code);
	t = api_expect_json(200, "GET", path, NULL, NULL);
	ck_assert_str_eq(api_str(t, "code"), code);
	ck_assert_str_eq(api_str(t, "organization_id"), m.org_id);
	json_decref(t);
	char actor[80];
	snprintf(actor, sizeof actor, "actor=%s", admin.user_id);
	json_t *audit = api_find_audit(actor, admin.token, "st_task.create", code);
	json_decref(audit);

	/* The same code again, even with other fields: 409. */
	api_expect_only(409, "POST", TASKS, admin.token, created_body);
	free(created_body);
	snprintf(body, sizeof body,
		 "{\"code\":\"%s\",\"title\":\"Một nhiệm vụ khác\",\"host_organization\":\"Sở KH&CN\",\"year_accepted\":2024}",
		 code);
	api_expect_only(409, "POST", TASKS, admin.token, body);

	/* Only administrators write; the check comes before the body's. */
	char fresh[80];
	snprintf(fresh, sizeof fresh, "QT-%s-quyen", api_tag());
	snprintf(body, sizeof body,
		 "{\"code\":\"%s\",\"title\":\"Nhiệm vụ thử quyền\",\"host_organization\":\"Sở KH&CN\",\"year_accepted\":2024}",
		 fresh);
	api_expect_only(401, "POST", TASKS, NULL, body);
	api_expect_only(403, "POST", TASKS, m.token, body);
	api_expect_only(403, "POST", TASKS, m.token, "{\"code\":\"\"}");
	task_path(path, sizeof path, fresh);
	api_expect_only(404, "GET", path, NULL, NULL);

	/* Every bad field in one 422, and nothing stored. */
	api_expect_invalid("POST", TASKS, admin.token,
			   json_pack("{s:s, s:s, s:s, s:i, s:b}", "code", "có dấu cách!", "title", "ab",
				     "host_organization", "x", "year_accepted", 1999, "extra", 1),
			   API_PAIRS("code", "", "title", "", "host_organization", "", "year_accepted", "", "extra", ""),
			   "every field wrong");
	api_expect_invalid("POST", TASKS, admin.token, json_object(),
			   API_PAIRS("code", "", "title", "", "host_organization", "", "year_accepted", ""),
			   "nothing given");
	char long_code[80];
	memset(long_code, 'A', 65);
	long_code[65] = '\0';
	api_expect_invalid("POST", TASKS, admin.token, task_doc(long_code, "Tên hợp lệ", "Sở KH&CN", 2024),
			   API_PAIRS("code", ""), "a code of 65 characters");
	api_expect_invalid("POST", TASKS, admin.token, task_doc(fresh, "Tên hợp lệ", "Sở KH&CN", year + 1),
			   API_PAIRS("year_accepted", ""), "accepted next year");
	api_expect_invalid("POST", TASKS, admin.token,
			   json_pack("{s:s, s:s, s:s, s:s}", "code", fresh, "title", "Tên hợp lệ", "host_organization",
				     "Sở KH&CN", "year_accepted", "2024"),
			   API_PAIRS("year_accepted", ""), "year as text");
	api_expect_invalid("POST", TASKS, admin.token,
			   json_pack("{s:s, s:s, s:s, s:f}", "code", fresh, "title", "Tên hợp lệ", "host_organization",
				     "Sở KH&CN", "year_accepted", 2024.5),
			   API_PAIRS("year_accepted", ""), "year not whole");
	doc = task_doc(fresh, "Tên hợp lệ", "Sở KH&CN", 2024);
	json_object_set_new(doc, "organization_id", json_string("khong-phai-uuid"));
	api_expect_invalid("POST", TASKS, admin.token, doc, API_PAIRS("organization_id", ""), "organization_id not a uuid");
	doc = task_doc(fresh, "Tên hợp lệ", "Sở KH&CN", 2024);
	json_object_set_new(doc, "organization_id", json_string("00000000-0000-4000-8000-000000000000"));
	api_expect_invalid("POST", TASKS, admin.token, doc, API_PAIRS("organization_id", ""), "an unknown organisation");
	api_expect_only(404, "GET", path, NULL, NULL);

	/* Edge values are accepted: the year 2000 and this year, a code of 64. */
	snprintf(long_code, sizeof long_code, "%s%s", api_tag(),
		 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	long_code[64] = '\0';
	ck_assert_int_eq(strlen(long_code), 64);
	json_decref(create_task(&admin, long_code, 2000));
	char now_code[80];
	snprintf(now_code, sizeof now_code, "QT-%s-nam-nay", api_tag());
	json_decref(create_task(&admin, now_code, year));

	/* Idempotency-Key: the replay is the same 201, and there is one task. */
	char idem[80], key[120];
	snprintf(idem, sizeof idem, "QT-%s-idem", api_tag());
	snprintf(key, sizeof key, "Idempotency-Key: st-task-%s", api_tag());
	char *idem_body = api_dump(task_doc(idem, "Nhiệm vụ gửi hai lần", "Trường Đại học", 2022));
	struct it_response first, again;
	api_expect(&first, 201, "POST", TASKS, admin.token, idem_body, key);
	ck_assert_ptr_null(it_header(&first, "Idempotency-Replayed"));
	api_expect(&again, 201, "POST", TASKS, admin.token, idem_body, key);
	ck_assert_str_eq(again.body, first.body);
	const char *replayed = it_header(&again, "Idempotency-Replayed");
	ck_assert_msg(replayed != NULL && strcmp(replayed, "true") == 0, "a replay without Idempotency-Replayed: true");
	/* Without the key it is a duplicate. */
	api_expect_only(409, "POST", TASKS, admin.token, idem_body);
	json_t *same = api_list_all(TASKS, "year=2022&limit=100", NULL);
	int n = 0;
	size_t i;
	json_t *it;
	json_array_foreach(same, i, it)
		n += strcmp(api_str(it, "code"), idem) == 0;
	ck_assert_int_eq(n, 1);
	json_decref(same);
	it_response_free(&first);
	it_response_free(&again);
	free(idem_body);
}
END_TEST

START_TEST(test_st_task_list_and_detail)
{
	struct api_acct admin, owner;
	api_admin(&admin);
	verified_member(&owner, &admin, "nv-chu-tri", "Viện Nhiệm vụ", "research_institute");

	/* Three tasks of 2001, created out of order. */
	char c1[64], c2[64], c3[64];
	snprintf(c1, sizeof c1, "PG-%s-1", api_tag());
	snprintf(c2, sizeof c2, "PG-%s-2", api_tag());
	snprintf(c3, sizeof c3, "PG-%s-3", api_tag());
	json_decref(create_task(&admin, c2, 2001));
	json_decref(create_task(&admin, c3, 2001));
	json_decref(create_task(&admin, c1, 2001));

	/* The year filter, two a page. */
	json_t *page = api_expect_json(200, "GET", TASKS "?year=2001&limit=2", NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(page, "items")), 2);
	ck_assert_msg(json_is_string(json_object_get(page, "next_cursor")), "no next_cursor with three of 2001");
	json_decref(page);
	json_t *all = api_list_all(TASKS, "year=2001&limit=2", NULL);
	int pos[3] = {-1, -1, -1};
	size_t i, k;
	json_t *it, *other;
	json_array_foreach(all, i, it) {
		ck_assert_int_eq(json_integer_value(json_object_get(it, "year_accepted")), 2001);
		const char *c = api_str(it, "code");
		json_array_foreach(all, k, other)
			ck_assert_msg(k == i || strcmp(api_str(other, "code"), c) != 0, "%s twice in the pages", c);
		if (strcmp(c, c1) == 0)
			pos[0] = (int)i;
		if (strcmp(c, c2) == 0)
			pos[1] = (int)i;
		if (strcmp(c, c3) == 0)
			pos[2] = (int)i;
	}
	ck_assert_msg(pos[0] >= 0 && pos[1] >= 0 && pos[2] >= 0, "a task of 2001 is missing from ?year=2001");
	ck_assert_msg(pos[0] < pos[1] && pos[1] < pos[2], "tasks of one year are not in code order: %d %d %d", pos[0],
		      pos[1], pos[2]);
	json_decref(all);

	/* Without a filter: newest year first, all of them. */
	char recent[64];
	snprintf(recent, sizeof recent, "PG-%s-moi", api_tag());
	json_decref(create_task(&admin, recent, 2025));
	all = api_list_all(TASKS, "limit=100", NULL);
	long last = 1000000;
	bool seen_recent = false, seen_old = false;
	json_array_foreach(all, i, it) {
		long y = (long)json_integer_value(json_object_get(it, "year_accepted"));
		ck_assert_msg(y <= last, "year %ld after %ld: not newest first", y, last);
		last = y;
		seen_recent |= strcmp(api_str(it, "code"), recent) == 0;
		if (strcmp(api_str(it, "code"), c1) == 0) {
			seen_old = true;
			ck_assert_msg(seen_recent, "the task of 2025 comes after one of 2001");
		}
	}
	ck_assert(seen_recent && seen_old);
	json_decref(all);
	json_decref(api_expect_json(200, "GET", TASKS "?year=1990", NULL, NULL));
	api_expect_only(400, "GET", TASKS "?year=abc", NULL, NULL);
	api_expect_only(400, "GET", TASKS "?limit=0", NULL, NULL);
	api_expect_only(400, "GET", TASKS "?limit=101", NULL, NULL);
	api_expect_only(400, "GET", TASKS "?nam=2001", NULL, NULL);

	/* Detail: the published offers naming the task, none before. */
	char path[200];
	task_path(path, sizeof path, c1);
	json_t *t = api_expect_json(200, "GET", path, NULL, NULL);
	json_t *ls = api_obj(t, "listings");
	ck_assert_int_eq(json_integer_value(json_object_get(ls, "count")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(ls, "latest")), 0);
	json_decref(t);

	char word[48], title[120], l1[40], l2[40], draft[40], elsewhere[40];
	api_marker(word, sizeof word, "nhiemvu");
	snprintf(title, sizeof title, "Quy trình sấy hồ tiêu %s", word);
	offer(&owner, &admin, title, c1, NULL, l1);
	offer(&owner, &admin, title, c1, NULL, l2);
	offer(&owner, NULL, title, c1, NULL, draft);      /* a draft: not counted */
	offer(&owner, &admin, title, c2, NULL, elsewhere); /* another task's */
	char demand[40];
	technology(&owner, &admin, "technology_demand", title, c1, NULL, demand); /* not an offer */
	t = api_expect_json(200, "GET", path, NULL, NULL);
	ls = api_obj(t, "listings");
	ck_assert_int_eq(json_integer_value(json_object_get(ls, "count")), 2);
	json_t *latest = json_object_get(ls, "latest");
	ck_assert_int_eq(json_array_size(latest), 2);
	ck_assert(api_has_id(latest, l1) && api_has_id(latest, l2));
	json_decref(t);

	/* A code no task has, though a listing names it. */
	char unregistered[64], l3[40];
	snprintf(unregistered, sizeof unregistered, "PG-%s-chua-dang-ky", api_tag());
	offer(&owner, &admin, title, unregistered, NULL, l3);
	task_path(path, sizeof path, unregistered);
	api_expect_only(404, "GET", path, NULL, NULL);
	json_decref(create_task(&admin, unregistered, 2010));
	t = api_expect_json(200, "GET", path, NULL, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(api_obj(t, "listings"), "count")), 1);
	json_decref(t);
}
END_TEST

/* ------------------------------------------------------------ indicators: shape and status */

START_TEST(test_indicator_list_and_status)
{
	struct api_acct admin;
	api_admin(&admin);
	int year = local_year();
	char y[16];
	snprintf(y, sizeof y, "%d", year);

	/* T2 (70 % by 2030): 10 in 2023, so the path is 10 + 60·(y−2023)/7. */
	json_decref(put_value(admin.token, "KH43-T2", "2023", "{\"value\":10}", 200));
	double e = 10 + 60.0 * (year - 2023) / 7;
	/* T4 (3-5 a year): 5 this year. */
	json_decref(put_value(admin.token, "KH43-T4", y, "{\"value\":5,\"note\":\"Sở KH&CN báo cáo\"}", 200));
	/* T5: only a year still to come, so no year up to this one has a value. */
	char later[16];
	snprintf(later, sizeof later, "%d", year + 2 <= 2030 ? year + 2 : 2030);
	json_decref(put_value(admin.token, "KH43-T5", later, "{\"value\":2}", 200));
	/* T2 this year just under the path's three quarters, then just above. */
	char body[80];
	snprintf(body, sizeof body, "{\"value\":%.2f}", floor(0.75 * e * 100) / 100 - 0.01);
	json_decref(put_value(admin.token, "KH43-T2", y, body, 200));
	json_t *doc = get_indicators(NULL);
	ck_assert_str_eq(api_str(indicator_of(doc, "KH43-T2"), "status"), "off_track");
	json_decref(doc);
	snprintf(body, sizeof body, "{\"value\":%.2f}", ceil(0.75 * e * 100) / 100 + 0.01);
	json_decref(put_value(admin.token, "KH43-T2", y, body, 200));

	doc = get_indicators(NULL);
	ck_assert_msg(json_is_null(json_object_get(doc, "next_cursor")), "next_cursor is not null");
	json_t *items = json_object_get(doc, "items");
	ck_assert_int_eq(json_array_size(items), 8);
	for (size_t i = 0; i < 8; i++) {
		json_t *ind = json_array_get(items, i);
		const char *code = api_str(ind, "code");
		ck_assert_msg(strcmp(code, codes[i]) == 0, "item %zu is %s, expected %s (plan order)", i, code, codes[i]);
		bool v2045 = strcmp(code, "KH43-V2045") == 0;
		json_t *series = json_object_get(ind, "series");
		ck_assert_msg(json_array_size(series) == 8, "%s: %zu series members", code, json_array_size(series));
		for (size_t k = 0; k < 8; k++)
			ck_assert_msg(json_integer_value(json_object_get(json_array_get(series, k), "year")) == 2023 + (int)k,
				      "%s: series member %zu is not %d", code, k, 2023 + (int)k);
		json_t *period = api_obj(ind, "period");
		ck_assert_int_eq(json_integer_value(json_object_get(period, "from")), 2023);
		ck_assert_int_eq(json_integer_value(json_object_get(period, "to")), v2045 ? 2045 : 2030);
		ck_assert_int_eq(json_integer_value(json_object_get(api_obj(ind, "target"), "year")), v2045 ? 2045 : 2030);
		json_t *group = json_object_get(ind, "task_group");
		if (v2045)
			ck_assert_msg(json_is_null(group), "KH43-V2045 has a task group");
		else
			ck_assert_int_eq(json_integer_value(group), i < 2 ? 3 : 4);
		ck_assert_str_eq(api_str(ind, "measure"),
				 strcmp(code, "KH43-T1") == 0 || strcmp(code, "KH43-T3") == 0 || strcmp(code, "KH43-X1") == 0
					 ? "computed"
					 : "manual");
		(void)api_str(ind, "title_vi");
		(void)api_str(ind, "plan_section");
	}
	json_t *t1 = indicator_of(doc, "KH43-T1"), *t2 = indicator_of(doc, "KH43-T2"), *t4 = indicator_of(doc, "KH43-T4");
	json_t *t5 = indicator_of(doc, "KH43-T5"), *x1 = indicator_of(doc, "KH43-X1");
	ck_assert_str_eq(api_str(t1, "unit"), "percent");
	ck_assert_str_eq(api_str(t4, "unit"), "count_per_year");
	ck_assert_str_eq(api_str(indicator_of(doc, "KH43-T6"), "unit"), "count_cumulative");
	ck_assert_str_eq(api_str(indicator_of(doc, "KH43-V2045"), "unit"), "text");
	ck_assert_str_eq(api_str(x1, "unit"), "count_and_vnd");
	ck_assert_msg(num(api_obj(t1, "target"), "min") == 50 && json_is_null(json_object_get(api_obj(t1, "target"), "max")),
		      "KH43-T1 target is not > 50 %%");
	ck_assert_msg(num(api_obj(t2, "target"), "min") == 70 && num(api_obj(t2, "target"), "max") == 80,
		      "KH43-T2 target is not 70-80 %%");
	ck_assert_msg(num(api_obj(t4, "target"), "min") == 3 && num(api_obj(t4, "target"), "max") == 5,
		      "KH43-T4 target is not 3-5");
	ck_assert_msg(json_is_null(json_object_get(api_obj(x1, "target"), "min")), "KH43-X1 has a numeric target");

	/* T2: above three quarters of the path, below the path: at risk. */
	ck_assert_str_eq(api_str(t2, "status"), "at_risk");
	ck_assert_int_eq(json_integer_value(json_object_get(api_obj(t2, "latest"), "year")), year);
	assert_close(num(year_of(t2, 2023), "value"), 10, "KH43-T2 2023");
	/* T4: 5 >= 3, on track; latest is this year's, with its note in the series. */
	ck_assert_str_eq(api_str(t4, "status"), "on_track");
	json_t *latest = api_obj(t4, "latest");
	ck_assert_int_eq(json_integer_value(json_object_get(latest, "year")), year);
	ck_assert_int_eq((int)num(latest, "value"), 5);
	ck_assert_str_eq(api_str(year_of(t4, year), "note"), "Sở KH&CN báo cáo");
	/* T5: a value in the series, but none up to this year. */
	ck_assert_str_eq(api_str(t5, "status"), "no_data");
	ck_assert_msg(json_is_null(json_object_get(t5, "latest")), "KH43-T5 has a latest value: %s",
		      json_dumps(json_object_get(t5, "latest"), JSON_COMPACT));
	ck_assert_int_eq((int)num(year_of(t5, atoi(later)), "value"), 2);
	for (int yy = 2023; yy <= year && yy <= 2030; yy++)
		ck_assert_msg(json_is_null(json_object_get(year_of(t5, yy), "value")), "KH43-T5 has a value in %d", yy);
	json_decref(doc);

	/* T2 on the path exactly: on track. */
	snprintf(body, sizeof body, "{\"value\":%.2f}", ceil(e * 100) / 100);
	json_decref(put_value(admin.token, "KH43-T2", y, body, 200));
	doc = get_indicators(NULL);
	ck_assert_str_eq(api_str(indicator_of(doc, "KH43-T2"), "status"), "on_track");
	json_decref(doc);

	/* T4: 0 this year is far off the 3 a year; 2 is under three quarters of it. */
	json_decref(put_value(admin.token, "KH43-T4", y, "{\"value\":0}", 200));
	doc = get_indicator("KH43-T4", NULL);
	ck_assert_str_eq(api_str(doc, "status"), "off_track");
	ck_assert_int_eq((int)num(api_obj(doc, "latest"), "value"), 0);
	json_decref(doc);
	json_decref(put_value(admin.token, "KH43-T4", y, "{\"value\":2}", 200));
	doc = get_indicator("KH43-T4", NULL);
	ck_assert_str_eq(api_str(doc, "status"), "off_track");
	json_decref(doc);
	json_decref(put_value(admin.token, "KH43-T4", y, "{\"value\":3}", 200));
	doc = get_indicator("KH43-T4", NULL);
	ck_assert_str_eq(api_str(doc, "status"), "on_track");
	json_decref(doc);

	/* The detail of one is the same indicator. */
	doc = get_indicator("KH43-T5", NULL);
	ck_assert_str_eq(api_str(doc, "code"), "KH43-T5");
	ck_assert_str_eq(api_str(doc, "status"), "no_data");
	ck_assert_int_eq(json_array_size(json_object_get(doc, "series")), 8);
	(void)api_obj(api_obj(doc, "linked"), "listings");
	(void)api_obj(api_obj(doc, "linked"), "deals");
	json_decref(doc);
	api_expect_only(404, "GET", INDICATORS "/KH43-T9", NULL, NULL);
	api_expect_only(404, "GET", INDICATORS "/khong-co", admin.token, NULL);
}
END_TEST

/* ------------------------------------------------------------ manual values */

START_TEST(test_put_values)
{
	struct api_acct admin, m;
	api_admin(&admin);
	api_register(&m, "chi-so-tv", "Công ty Chỉ số", "enterprise", "quang-tri");
	api_login(&m);

	/* Administrators only. */
	api_expect_only(401, "PUT", INDICATORS "/KH43-T4/values/2027", NULL, "{\"value\":4}");
	api_expect_only(403, "PUT", INDICATORS "/KH43-T4/values/2027", m.token, "{\"value\":4}");
	api_expect_only(403, "PUT", INDICATORS "/KH43-T3/values/2027", m.token, "{\"base\":100}");
	api_expect_only(403, "PUT", INDICATORS "/KH43-T4/values/2022", m.token, "{\"value\":-1}");

	/* T4 2027: whatever an earlier run left, set 4 with a note, then 5: the previous is 4. */
	json_t *v = put_value(admin.token, "KH43-T4", "2027", "{\"value\":4,\"note\":\"Lần một\"}", 200);
	ck_assert_str_eq(api_str(v, "code"), "KH43-T4");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "year")), 2027);
	ck_assert_int_eq((int)num(v, "value"), 4);
	ck_assert_str_eq(api_str(v, "note"), "Lần một");
	ck_assert_msg(json_is_null(json_object_get(v, "base")), "a T4 value with a base");
	ck_assert_msg(api_parse_utc(api_str(v, "updated_at")) > 0, "updated_at is not a UTC time");
	json_decref(v);
	v = put_value(admin.token, "KH43-T4", "2027", "{\"value\":5,\"note\":\"Lần hai\"}", 200);
	ck_assert_int_eq((int)num(v, "value"), 5);
	json_t *prev = api_obj(v, "previous");
	ck_assert_int_eq((int)num(prev, "value"), 4);
	ck_assert_str_eq(api_str(prev, "note"), "Lần một");
	ck_assert_msg(json_is_null(json_object_get(prev, "base")), "previous T4 value with a base");
	json_decref(v);
	json_t *e = api_find_audit("entity=indicator", admin.token, "indicator.value", "KH43-T4/2027");
	ck_assert_int_eq((int)num(api_obj(e, "before"), "value"), 4);
	ck_assert_str_eq(api_str(api_obj(e, "before"), "note"), "Lần một");
	ck_assert_int_eq((int)num(api_obj(e, "after"), "value"), 5);
	ck_assert_str_eq(api_str(api_obj(e, "after"), "note"), "Lần hai");
	json_decref(e);

	/* Wrong types and ranges: 422 naming value, and nothing changes. */
	put_invalid(admin.token, "KH43-T4", "2027", "{\"value\":-1}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T4", "2027", "{\"value\":2.5}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T4", "2027", "{\"value\":\"3\"}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T4", "2027", "{\"note\":\"thiếu giá trị\"}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T6", "2028", "{\"value\":-1}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T5", "2028", "{\"value\":1.5}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T2", "2027", "{\"value\":150}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T2", "2027", "{\"value\":-0.5}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T2", "2027", "{\"value\":\"70%\"}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-V2045", "2045", "{\"value\":\"\"}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-V2045", "2045", "{\"value\":5}", API_PAIRS("value", ""));
	char *huge = malloc(2100), *body = NULL;
	memset(huge, 'a', 2001);
	huge[2001] = '\0';
	ck_assert(asprintf(&body, "{\"value\":\"%s\"}", huge) > 0);
	put_invalid(admin.token, "KH43-V2045", "2045", body, API_PAIRS("value", ""));
	free(body);
	ck_assert(asprintf(&body, "{\"value\":3,\"note\":\"%s\"}", huge) > 0);
	put_invalid(admin.token, "KH43-T4", "2027", body, API_PAIRS("note", ""));
	free(body);
	json_t *doc = get_indicator("KH43-T4", NULL);
	ck_assert_int_eq((int)num(year_of(doc, 2027), "value"), 5);
	json_decref(doc);

	/* Good values of each kind. */
	v = put_value(admin.token, "KH43-T2", "2027", "{\"value\":55.5}", 200);
	assert_close(num(v, "value"), 55.5, "KH43-T2 2027");
	json_decref(v);
	json_decref(put_value(admin.token, "KH43-T2", "2028", "{\"value\":100}", 200));
	json_decref(put_value(admin.token, "KH43-T6", "2028", "{\"value\":3}", 200));
	const char *text = "Thuộc nhóm trung bình của cả nước, đóng góp ~35% tăng trưởng GRDP";
	char vbody[300];
	snprintf(vbody, sizeof vbody, "{\"value\":\"%s\",\"note\":\"Ước tính\"}", text);
	v = put_value(admin.token, "KH43-V2045", "2045", vbody, 200);
	ck_assert_str_eq(api_str(v, "value"), text);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "year")), 2045);
	json_decref(v);
	json_decref(put_value(admin.token, "KH43-V2045", "2023", "{\"value\":\"Chưa đánh giá\"}", 200));
	doc = get_indicators(NULL);
	assert_close(num(year_of(indicator_of(doc, "KH43-T2"), 2027), "value"), 55.5, "KH43-T2 2027 in the list");
	ck_assert_int_eq((int)num(year_of(indicator_of(doc, "KH43-T6"), 2028), "value"), 3);
	ck_assert_str_eq(api_str(year_of(indicator_of(doc, "KH43-V2045"), 2023), "value"), "Chưa đánh giá");
	ck_assert_str_eq(api_str(indicator_of(doc, "KH43-V2045"), "status"), "on_track");
	json_decref(doc);

	/* Years: in the indicator's period only, and whole. */
	put_invalid(admin.token, "KH43-T4", "2022", "{\"value\":4}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-T4", "2031", "{\"value\":4}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-T4", "2045", "{\"value\":4}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-T2", "nam-nay", "{\"value\":4}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-V2045", "2046", "{\"value\":\"x\"}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-V2045", "2022", "{\"value\":\"x\"}", API_PAIRS("year", ""));
	put_invalid(admin.token, "KH43-T3", "2031", "{\"base\":100}", API_PAIRS("year", ""));

	/* Computed ones are not set by hand; T3 takes only its base. */
	put_value(admin.token, "KH43-T1", "2027", "{\"value\":60}", 409);
	put_value(admin.token, "KH43-X1", "2027", "{\"value\":3}", 409);
	put_invalid(admin.token, "KH43-T3", "2023", "{\"value\":2.5,\"base\":100}", API_PAIRS("value", ""));
	put_invalid(admin.token, "KH43-T3", "2023", "{\"note\":\"thiếu cơ sở\"}", API_PAIRS("base", ""));
	put_invalid(admin.token, "KH43-T3", "2023", "{\"base\":0}", API_PAIRS("base", ""));
	put_invalid(admin.token, "KH43-T3", "2023", "{\"base\":12.5}", API_PAIRS("base", ""));
	put_invalid(admin.token, "KH43-T3", "2023", "{\"base\":\"1200\"}", API_PAIRS("base", ""));
	v = put_value(admin.token, "KH43-T3", "2023", "{\"base\":1100}", 200);
	json_decref(v);
	v = put_value(admin.token, "KH43-T3", "2023", "{\"base\":1200,\"note\":\"Cục Thống kê\"}", 200);
	ck_assert_str_eq(api_str(v, "code"), "KH43-T3");
	ck_assert_int_eq((int)num(v, "base"), 1200);
	ck_assert_int_eq((int)num(api_obj(v, "previous"), "base"), 1100);
	json_decref(v);
	e = api_find_audit("entity=indicator", admin.token, "indicator.value", "KH43-T3/2023");
	ck_assert_int_eq((int)num(api_obj(e, "before"), "base"), 1100);
	ck_assert_int_eq((int)num(api_obj(e, "after"), "base"), 1200);
	json_decref(e);
	doc = get_indicator("KH43-T3", NULL);
	json_t *t3 = year_of(doc, 2023);
	ck_assert_int_eq((int)num(t3, "base"), 1200);
	assert_close(num(t3, "value"), round2(num(t3, "enterprises") / 1200 * 100), "KH43-T3 2023");
	json_decref(doc);

	/* Unknown indicators. */
	put_value(admin.token, "KH43-T9", "2027", "{\"value\":1}", 404);
	put_value(admin.token, "X1", "2027", "{\"value\":1}", 404);

	/* Every bad field in one 422: a value out of range beside a note too long and an unknown member. */
	ck_assert(asprintf(&body, "{\"value\":-3,\"note\":\"%s\",\"khac\":1}", huge) > 0);
	put_invalid(admin.token, "KH43-T4", "2027", body, API_PAIRS("value", "", "note", "", "khac", ""));
	free(body);
	ck_assert(asprintf(&body, "{\"value\":150,\"note\":\"%s\"}", huge) > 0);
	put_invalid(admin.token, "KH43-T2", "2027", body, API_PAIRS("value", "", "note", ""));
	free(body);
	free(huge);
}
END_TEST

/* ------------------------------------------------------------ the computed indicators */

/* Group `no` of GET /plan/tasks, borrowed from doc. */
static json_t *plan_group(json_t *doc, int no)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(doc, "items"), i, it)
		if (json_integer_value(json_object_get(it, "no")) == no)
			return it;
	ck_abort_msg("GET /plan/tasks has no group %d", no);
	return NULL;
}

struct linked {
	double listings, deals, verified, verified_vnd;
};

static void read_linked(const char *code, const char *token, struct linked *l)
{
	json_t *doc = get_indicator(code, token);
	json_t *linked = api_obj(doc, "linked"), *ls = api_obj(linked, "listings"), *ds = api_obj(linked, "deals");
	l->listings = num(ls, "count");
	l->deals = num(ds, "count");
	l->verified = num(ds, "verified_count");
	l->verified_vnd = num(ds, "verified_value_vnd");
	json_decref(doc);
}

struct group4 {
	double listings, deals, verified;
};

static void read_group4(struct group4 *g)
{
	json_t *doc = api_expect_json(200, "GET", "/api/v1/plan/tasks", NULL, NULL);
	json_t *grp = plan_group(doc, 4);
	g->listings = num(api_obj(grp, "listings"), "count");
	g->deals = num(api_obj(grp, "deals"), "count");
	g->verified = num(api_obj(grp, "deals"), "verified_count");
	json_decref(doc);
}

/* The summary report's verified deals of one range: the total and the months'. */
struct verified_months {
	double count, vnd, total_deals, month_count[12], month_vnd[12];
};

static void read_report_year(const struct api_acct *admin, int year, struct verified_months *v)
{
	char path[120];
	snprintf(path, sizeof path, REPORT "?from=%d-01-01&to=%d-12-31", year, year);
	json_t *doc = api_expect_json(200, "GET", path, admin->token, NULL);
	json_t *deals = api_obj(doc, "deals");
	v->count = num(deals, "verified_count");
	v->vnd = num(deals, "verified_value_vnd");
	v->total_deals = num(deals, "total");
	json_t *monthly = json_object_get(doc, "monthly");
	ck_assert_int_eq(json_array_size(monthly), 12);
	for (int m = 0; m < 12; m++) {
		json_t *it = json_array_get(monthly, (size_t)m);
		char want[32];
		snprintf(want, sizeof want, "%d-%02d", year, m + 1);
		ck_assert_str_eq(api_str(it, "month"), want);
		v->month_count[m] = num(it, "verified_deals");
		v->month_vnd[m] = num(it, "verified_value_vnd");
	}
	json_decref(doc);
}

static void assert_month(const struct verified_months *b, const struct verified_months *a, int year, int month,
			 double count, double vnd)
{
	int m = month - 1;
	ck_assert_msg(a->month_count[m] - b->month_count[m] == count && a->month_vnd[m] - b->month_vnd[m] == vnd,
		      "report %d-%02d: verified deals moved by %.0f (value %.0f), expected %.0f (value %.0f)", year, month,
		      a->month_count[m] - b->month_count[m], a->month_vnd[m] - b->month_vnd[m], count, vnd);
}

/*
 * The fixture, deal by deal (R: a research institute, E1 and E2:
 * enterprises; tasks A, B, E accepted in 2024, C in 2025; E registered
 * only after its deal; times in Vietnam's zone):
 *
 *   deal on (owner)                 initiator  value  state / verified         completed
 *   D1   offer of task A (R)        E1         100M   completed, verified      2024-06-01 00:00 (31 May UTC)
 *   D2   offer of task A (R)        E2          50M   completed, verified      2024-09-15
 *   D3   offer of task C (R)        E1          80M   completed, verified      2025-01-01 00:30 (2024 in UTC)
 *   D4   offer of task B (R)        E1          60M   completed, NOT verified  2024-05-20
 *   D5   offer of task B (R)        E2          40M   contracted, CANCELLED    2024-07-10
 *   D6   plain offer (R)            E1          70M   completed, verified      2022-06-15 (before the period)
 *   D7   offer of task E (R)        E2          30M   completed, verified      2024-12-30, verified 2025-01-05
 *   D8   T3 offer (E1)              E2          20M   completed, verified      2024-04-02
 *   D9   T3 offer (E1)              R            7M   completed, verified      2024-08-20
 *   D10  T3 offer (E1)              R            9M   completed, verified      2025-02-14
 *   D11  T3 offer (E1)              E2          11M   completed, NOT verified  2025-04-03
 *   D12  demand naming B (E1)       R           15M   completed, verified      2024-10-10
 *
 * X1:  2024 D1 D2 D7 D8 D9 D12 = 6, 222M; 2025 D3 D10 = 2, 89M; 2023 none.
 * T1:  registered ≤2024 A B E = 3, ≤2025 +C = 4; applied ≤2024 A E = 2,
 *      ≤2025 A E C = 3; in the year 2024 A E = 2, 2025 C = 1 (B: unverified,
 *      cancelled, and a demand's deal only).
 * T3:  2024 E1 E2 = 2 (D9's other party is no enterprise); 2025 E1 = 1.
 */
START_TEST(test_computed_indicators)
{
	struct api_acct admin, r, e1, e2;
	api_admin(&admin);
	verified_member(&r, &admin, "chi-so-vien", "Viện Công nghệ Sấy", "research_institute");
	verified_member(&e1, &admin, "chi-so-dn1", "Công ty Nông sản Đông Hà", "enterprise");
	verified_member(&e2, &admin, "chi-so-dn2", "Công ty Hồ tiêu Cam Lộ", "enterprise");

	/* T3's enterprise base of the fixture's years. */
	json_decref(put_value(admin.token, "KH43-T3", "2024", "{\"base\":400}", 200));
	json_decref(put_value(admin.token, "KH43-T3", "2025", "{\"base\":250}", 200));

	struct computed before, mid, after;
	struct linked t1_before, t1_after, t3_before, t3_after;
	struct group4 g_before, g_after;
	struct verified_months r24_before, r24_after, r25_before, r25_after;
	read_computed(&before);
	read_linked("KH43-T1", admin.token, &t1_before);
	read_linked("KH43-T3", admin.token, &t3_before);
	read_group4(&g_before);
	read_report_year(&admin, 2024, &r24_before);
	read_report_year(&admin, 2025, &r25_before);

	char a[64], b[64], c[64], e[64];
	snprintf(a, sizeof a, "CS-%s-A", api_tag());
	snprintf(b, sizeof b, "CS-%s-B", api_tag());
	snprintf(c, sizeof c, "CS-%s-C", api_tag());
	snprintf(e, sizeof e, "CS-%s-E", api_tag());
	json_decref(create_task(&admin, a, 2024));
	json_decref(create_task(&admin, b, 2024));
	json_decref(create_task(&admin, c, 2025));

	char word[48], title[160];
	api_marker(word, sizeof word, "chiso");
	char la[40], lb[40], lc[40], le[40], lplain[40], lt3[40];
	snprintf(title, sizeof title, "Công nghệ sấy hồ tiêu %s", word);
	offer(&r, &admin, title, a, NULL, la);
	offer(&r, &admin, title, b, NULL, lb);
	offer(&r, &admin, title, c, NULL, lc);
	offer(&r, &admin, title, e, NULL, le);
	offer(&r, &admin, title, NULL, NULL, lplain);
	snprintf(title, sizeof title, "Công cụ cải tiến năng suất chất lượng %s", word);
	offer(&e1, &admin, title, NULL, "KH43-T3", lt3);
	char t3_draft[40];
	offer(&e1, NULL, title, NULL, "KH43-T3", t3_draft); /* unpublished: not linked */

	char d1[40], d2[40], d3[40], d4[40], d5[40], d6[40], d7[40], d8[40], d9[40], d10[40], d11[40];
	deal_to(&r, &e1, la, 100000000, "completed", d1);
	verify_deal(&admin, d1);
	backdate(d1, "2024-06-01T00:00:00+07", NULL);
	deal_to(&r, &e2, la, 50000000, "completed", d2);
	verify_deal(&admin, d2);
	backdate(d2, "2024-09-15T10:00:00+07", NULL);
	deal_to(&r, &e1, lc, 80000000, "completed", d3);
	verify_deal(&admin, d3);
	backdate(d3, "2025-01-01T00:30:00+07", NULL);
	deal_to(&r, &e1, lb, 60000000, "completed", d4);
	backdate(d4, "2024-05-20T10:00:00+07", NULL);
	deal_to(&r, &e2, lb, 40000000, "contracted", d5);
	char path[160];
	deal_path(path, sizeof path, d5, "/transitions");
	api_expect_only(403, "POST", path, r.token, "{\"to\":\"cancelled\",\"reason\":\"thử\"}");
	transition(&admin, d5, "{\"to\":\"cancelled\",\"reason\":\"Hai bên không thực hiện hợp đồng\"}", "cancelled");
	backdate(d5, "2024-07-10T10:00:00+07", NULL);
	deal_to(&r, &e1, lplain, 70000000, "completed", d6);
	verify_deal(&admin, d6);
	backdate(d6, "2022-06-15T10:00:00+07", NULL);
	deal_to(&r, &e2, le, 30000000, "completed", d7);
	verify_deal(&admin, d7);
	backdate(d7, "2024-12-30T10:00:00+07", "2025-01-05T10:00:00+07");
	deal_to(&e1, &e2, lt3, 20000000, "completed", d8);
	verify_deal(&admin, d8);
	backdate(d8, "2024-04-02T10:00:00+07", NULL);
	deal_to(&e1, &r, lt3, 7000000, "completed", d9);
	verify_deal(&admin, d9);
	backdate(d9, "2024-08-20T10:00:00+07", NULL);
	deal_to(&e1, &r, lt3, 9000000, "completed", d10);
	verify_deal(&admin, d10);
	backdate(d10, "2025-02-14T10:00:00+07", NULL);
	deal_to(&e1, &e2, lt3, 11000000, "completed", d11);
	backdate(d11, "2025-04-03T10:00:00+07", NULL);
	/* A demand naming task B: not an offer, so not one of T1's, though X1 counts it. */
	char ldemand[40], d12[40];
	snprintf(title, sizeof title, "Cần công nghệ sấy hồ tiêu %s", word);
	technology(&e1, &admin, "technology_demand", title, b, NULL, ldemand);
	deal_to(&e1, &r, ldemand, 15000000, "completed", d12);
	verify_deal(&admin, d12);
	backdate(d12, "2024-10-10T10:00:00+07", NULL);
	/* Verifying twice, or a deal that is not completed: 409. */
	deal_path(path, sizeof path, d1, "/verify");
	api_expect_only(409, "POST", path, admin.token, NULL);
	deal_path(path, sizeof path, d5, "/verify");
	api_expect_only(409, "POST", path, admin.token, NULL);

	/* Task E is not registered yet: its deal is not one of T1's. */
	read_computed(&mid);
	assert_delta(before.t1_registered, mid.t1_registered, 2024, 2, "KH43-T1 tasks_registered (E unregistered)");
	assert_delta(before.t1_applied, mid.t1_applied, 2024, 1, "KH43-T1 tasks_applied (E unregistered)");
	assert_delta(before.t1_in_year, mid.t1_in_year, 2024, 1, "KH43-T1 tasks_applied_in_year (E unregistered)");
	json_decref(create_task(&admin, e, 2024));

	read_computed(&after);
	/* X1 */
	assert_delta(before.x1_count, after.x1_count, 2023, 0, "KH43-X1 count");
	assert_delta(before.x1_vnd, after.x1_vnd, 2023, 0, "KH43-X1 value_vnd");
	assert_delta(before.x1_count, after.x1_count, 2024, 6, "KH43-X1 count");
	assert_delta(before.x1_vnd, after.x1_vnd, 2024, 222000000, "KH43-X1 value_vnd");
	assert_delta(before.x1_count, after.x1_count, 2025, 2, "KH43-X1 count");
	assert_delta(before.x1_vnd, after.x1_vnd, 2025, 89000000, "KH43-X1 value_vnd");
	/* T1 */
	assert_delta(before.t1_registered, after.t1_registered, 2023, 0, "KH43-T1 tasks_registered");
	assert_delta(before.t1_registered, after.t1_registered, 2024, 3, "KH43-T1 tasks_registered");
	assert_delta(before.t1_registered, after.t1_registered, 2025, 4, "KH43-T1 tasks_registered");
	assert_delta(before.t1_applied, after.t1_applied, 2023, 0, "KH43-T1 tasks_applied");
	assert_delta(before.t1_applied, after.t1_applied, 2024, 2, "KH43-T1 tasks_applied");
	assert_delta(before.t1_applied, after.t1_applied, 2025, 3, "KH43-T1 tasks_applied");
	assert_delta(before.t1_in_year, after.t1_in_year, 2023, 0, "KH43-T1 tasks_applied_in_year");
	assert_delta(before.t1_in_year, after.t1_in_year, 2024, 2, "KH43-T1 tasks_applied_in_year");
	assert_delta(before.t1_in_year, after.t1_in_year, 2025, 1, "KH43-T1 tasks_applied_in_year");
	/* T3 (its value from the base was checked by read_computed) */
	assert_delta(before.t3_enterprises, after.t3_enterprises, 2023, 0, "KH43-T3 enterprises");
	assert_delta(before.t3_enterprises, after.t3_enterprises, 2024, 2, "KH43-T3 enterprises");
	assert_delta(before.t3_enterprises, after.t3_enterprises, 2025, 1, "KH43-T3 enterprises");
	json_t *doc = get_indicators(NULL);
	json_t *t3 = indicator_of(doc, "KH43-T3");
	ck_assert_int_eq((int)num(year_of(t3, 2024), "base"), 400);
	ck_assert_int_eq((int)num(year_of(t3, 2025), "base"), 250);
	json_decref(doc);

	/* Linked listings and deals: T1's through the registered tasks, T3's through the listing's indicators. */
	read_linked("KH43-T1", admin.token, &t1_after);
	ck_assert_msg(t1_after.listings - t1_before.listings == 4, "KH43-T1 linked listings moved by %.0f, expected 4",
		      t1_after.listings - t1_before.listings);
	ck_assert_msg(t1_after.deals - t1_before.deals == 6, "KH43-T1 linked deals moved by %.0f, expected 6",
		      t1_after.deals - t1_before.deals);
	ck_assert_msg(t1_after.verified - t1_before.verified == 4, "KH43-T1 verified deals moved by %.0f, expected 4",
		      t1_after.verified - t1_before.verified);
	ck_assert_msg(t1_after.verified_vnd - t1_before.verified_vnd == 260000000,
		      "KH43-T1 verified value moved by %.0f, expected 260000000", t1_after.verified_vnd - t1_before.verified_vnd);
	read_linked("KH43-T3", admin.token, &t3_after);
	ck_assert_msg(t3_after.listings - t3_before.listings == 1, "KH43-T3 linked listings moved by %.0f, expected 1",
		      t3_after.listings - t3_before.listings);
	ck_assert_msg(t3_after.deals - t3_before.deals == 4, "KH43-T3 linked deals moved by %.0f, expected 4",
		      t3_after.deals - t3_before.deals);
	ck_assert_msg(t3_after.verified - t3_before.verified == 3, "KH43-T3 verified deals moved by %.0f, expected 3",
		      t3_after.verified - t3_before.verified);
	ck_assert_msg(t3_after.verified_vnd - t3_before.verified_vnd == 36000000,
		      "KH43-T3 verified value moved by %.0f, expected 36000000", t3_after.verified_vnd - t3_before.verified_vnd);

	/* The latest linked listings; the latest deals for administrators only. */
	doc = get_indicator("KH43-T3", admin.token);
	json_t *linked = api_obj(doc, "linked");
	json_t *latest = json_object_get(api_obj(linked, "listings"), "latest");
	ck_assert_msg(json_array_size(latest) >= 1 && json_array_size(latest) <= 5, "%zu latest listings",
		      json_array_size(latest));
	ck_assert_msg(api_has_id(latest, lt3), "the newest T3 listing is not among the latest");
	latest = json_object_get(api_obj(linked, "deals"), "latest");
	ck_assert_msg(json_array_size(latest) >= 1 && json_array_size(latest) <= 5, "%zu latest deals for an admin",
		      json_array_size(latest));
	ck_assert_msg(api_has_id(latest, d11), "the newest T3 deal is not among the latest");
	size_t i;
	json_t *it;
	json_array_foreach(latest, i, it) {
		if (strcmp(api_str(it, "id"), d10) != 0)
			continue;
		ck_assert_str_eq(api_str(it, "state"), "completed");
		ck_assert_msg(json_is_true(json_object_get(it, "verified")), "D10 is not verified in the summary");
		ck_assert_int_eq((long)num(it, "value_vnd"), 9000000);
		(void)api_str(it, "listing_ref");
		(void)api_str(it, "created_at");
	}
	json_decref(doc);
	const char *viewers[] = {e1.token, NULL};
	for (int k = 0; k < 2; k++) {
		doc = get_indicator("KH43-T3", viewers[k]);
		linked = api_obj(doc, "linked");
		ck_assert_msg(json_array_size(json_object_get(api_obj(linked, "deals"), "latest")) == 0 &&
				      json_is_array(json_object_get(api_obj(linked, "deals"), "latest")),
			      "%s sees the latest deals", k == 0 ? "a member" : "an anonymous caller");
		ck_assert_msg(num(api_obj(linked, "deals"), "count") == t3_after.deals, "the deal count depends on the caller");
		ck_assert_msg(api_has_id(json_object_get(api_obj(linked, "listings"), "latest"), lt3),
			      "the linked listing is not shown to everybody");
		json_decref(doc);
	}

	/* The plan's group 4 counts the T3 listing and its deals. */
	read_group4(&g_after);
	ck_assert_msg(g_after.listings - g_before.listings == 1, "group 4 listings moved by %.0f, expected 1",
		      g_after.listings - g_before.listings);
	ck_assert_msg(g_after.deals - g_before.deals == 4, "group 4 deals moved by %.0f, expected 4",
		      g_after.deals - g_before.deals);
	ck_assert_msg(g_after.verified - g_before.verified == 3, "group 4 verified deals moved by %.0f, expected 3",
		      g_after.verified - g_before.verified);

	/* The report counts verified deals by their completion, month by month in Vietnam's time. */
	read_report_year(&admin, 2024, &r24_after);
	read_report_year(&admin, 2025, &r25_after);
	ck_assert_msg(r24_after.count - r24_before.count == 6 && r24_after.vnd - r24_before.vnd == 222000000,
		      "report 2024: verified moved by %.0f (%.0f VND), expected 6 (222000000)", r24_after.count - r24_before.count,
		      r24_after.vnd - r24_before.vnd);
	ck_assert_msg(r25_after.count - r25_before.count == 2 && r25_after.vnd - r25_before.vnd == 89000000,
		      "report 2025: verified moved by %.0f (%.0f VND), expected 2 (89000000)", r25_after.count - r25_before.count,
		      r25_after.vnd - r25_before.vnd);
	ck_assert_msg(r24_after.total_deals == r24_before.total_deals, "report 2024 counts deals created now");
	assert_month(&r24_before, &r24_after, 2024, 4, 1, 20000000);
	assert_month(&r24_before, &r24_after, 2024, 5, 0, 0);
	assert_month(&r24_before, &r24_after, 2024, 6, 1, 100000000);
	assert_month(&r24_before, &r24_after, 2024, 7, 0, 0);
	assert_month(&r24_before, &r24_after, 2024, 8, 1, 7000000);
	assert_month(&r24_before, &r24_after, 2024, 9, 1, 50000000);
	assert_month(&r24_before, &r24_after, 2024, 10, 1, 15000000);
	assert_month(&r24_before, &r24_after, 2024, 12, 1, 30000000);
	assert_month(&r25_before, &r25_after, 2025, 1, 1, 80000000);
	assert_month(&r25_before, &r25_after, 2025, 2, 1, 9000000);
	assert_month(&r25_before, &r25_after, 2025, 4, 0, 0);
}
END_TEST

/* ------------------------------------------------------------ plan task groups */

START_TEST(test_plan_tasks)
{
	json_t *doc = api_expect_json(200, "GET", "/api/v1/plan/tasks", NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 5);
	const char *want3[] = {"KH43-T1", "KH43-T2"};
	const char *want4[] = {"KH43-T3", "KH43-T4", "KH43-T5", "KH43-T6", "KH43-X1"};
	for (int no = 1; no <= 5; no++) {
		json_t *g = plan_group(doc, no);
		json_t *inds = json_object_get(g, "indicators");
		ck_assert_msg(json_is_array(inds), "group %d: no indicators", no);
		size_t want = no == 3 ? 2 : no == 4 ? 5 : 0;
		ck_assert_msg(json_array_size(inds) == want, "group %d: %zu indicators, expected %zu", no,
			      json_array_size(inds), want);
		for (size_t k = 0; k < want; k++) {
			const char *code = json_string_value(json_array_get(inds, k));
			ck_assert_msg(code != NULL && strcmp(code, no == 3 ? want3[k] : want4[k]) == 0,
				      "group %d indicator %zu is %s", no, k, code ? code : "not a string");
		}
		json_t *ls = api_obj(g, "listings"), *ds = api_obj(g, "deals");
		ck_assert_msg(json_is_integer(json_object_get(ls, "count")), "group %d: no listings.count", no);
		ck_assert_msg(json_is_integer(json_object_get(ds, "count")) &&
				      json_is_integer(json_object_get(ds, "verified_count")),
			      "group %d: no deals counts", no);
		ck_assert_msg(num(ds, "verified_count") <= num(ds, "count"), "group %d: more verified deals than deals", no);
		if (want == 0)
			ck_assert_msg(num(ls, "count") == 0 && num(ds, "count") == 0, "group %d has no indicators but counts", no);
		(void)api_str(g, "title_vi");
	}
	json_decref(doc);
}
END_TEST

/* ------------------------------------------------------------ reports */

struct csv {
	size_t nrows;
	size_t nfields[4096];
	char **rows[4096];
};

/* Parses RFC 4180 text whose records all end with CRLF; fails the test on anything else. */
static void csv_parse(const char *s, size_t len, struct csv *c)
{
	c->nrows = 0;
	ck_assert_msg(len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n', "the CSV does not end with CRLF");
	size_t i = 0;
	while (i < len) {
		ck_assert_msg(c->nrows < 4096, "too many CSV records");
		char **fields = NULL;
		size_t n = 0;
		for (;;) {
			char *buf = malloc(len - i + 1);
			size_t k = 0;
			if (s[i] == '"') {
				i++;
				for (;;) {
					ck_assert_msg(i < len, "an unterminated quoted field in record %zu", c->nrows + 1);
					if (s[i] == '"') {
						if (i + 1 < len && s[i + 1] == '"') {
							buf[k++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					buf[k++] = s[i++];
				}
				ck_assert_msg(i >= len || s[i] == ',' || s[i] == '\r',
					      "text after a closing quote in record %zu", c->nrows + 1);
			} else {
				while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
					ck_assert_msg(s[i] != '"', "a quote inside an unquoted field in record %zu",
						      c->nrows + 1);
					buf[k++] = s[i++];
				}
			}
			buf[k] = '\0';
			fields = realloc(fields, (n + 1) * sizeof *fields);
			fields[n++] = buf;
			if (i < len && s[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		ck_assert_msg(i + 1 < len && s[i] == '\r' && s[i + 1] == '\n', "record %zu does not end with CRLF",
			      c->nrows + 1);
		i += 2;
		c->rows[c->nrows] = fields;
		c->nfields[c->nrows] = n;
		c->nrows++;
	}
}

static void csv_free(struct csv *c)
{
	for (size_t r = 0; r < c->nrows; r++) {
		for (size_t f = 0; f < c->nfields[r]; f++)
			free(c->rows[r][f]);
		free(c->rows[r]);
	}
	c->nrows = 0;
}

/* Marks (in used) the first unused CSV record equal to the six fields; fails if there is none. */
static void csv_take(const struct csv *c, bool *used, const char *a, const char *b, const char *k, const char *l,
		     const char *n, const char *v)
{
	const char *want[6] = {a, b, k, l, n, v};
	for (size_t r = 1; r < c->nrows; r++) {
		if (used[r] || c->nfields[r] != 6)
			continue;
		bool same = true;
		for (int f = 0; f < 6 && same; f++)
			same = strcmp(c->rows[r][f], want[f]) == 0;
		if (same) {
			used[r] = true;
			return;
		}
	}
	ck_abort_msg("the CSV has no record %s,%s,%s,%s,%s,%s", a, b, k, l, n, v);
}

/* obj[key] as a whole number in text. */
static void int_text(json_t *obj, const char *key, char out[32])
{
	json_t *v = json_object_get(obj, key);
	ck_assert_msg(json_is_integer(v), "%s is not a whole number", key);
	snprintf(out, 32, "%lld", (long long)json_integer_value(v));
}

/* The sum of the integers of an object's members. */
static long long sum_members(json_t *obj, size_t want_members, const char *what)
{
	ck_assert_msg(json_is_object(obj) && json_object_size(obj) == want_members, "%s: not an object of %zu members",
		      what, want_members);
	long long sum = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		ck_assert_msg(json_is_integer(v), "%s.%s is not a whole number", what, key);
		sum += json_integer_value(v);
	}
	return sum;
}

START_TEST(test_report_json_and_csv)
{
	struct api_acct admin, m;
	api_admin(&admin);
	verified_member(&m, &admin, "bao-cao-tv", "Trường Đại học Báo Cáo", "university");
	/* A listing of this range, in a province whose name has diacritics. */
	char word[48], title[120], lid[40];
	api_marker(word, sizeof word, "baocao");
	snprintf(title, sizeof title, "Máy bóc vỏ hạt tiêu %s", word);
	offer(&m, &admin, title, NULL, NULL, lid);

	char today[16], query[120], path[200];
	local_today(today);
	snprintf(query, sizeof query, "from=2024-01-01&to=%s", today);
	snprintf(path, sizeof path, REPORT "?%s", query);
	json_t *doc = api_expect_json(200, "GET", path, admin.token, NULL);
	ck_assert_str_eq(api_str(doc, "from"), "2024-01-01");
	ck_assert_str_eq(api_str(doc, "to"), today);

	json_t *ls = api_obj(doc, "listings"), *ds = api_obj(doc, "deals");
	long long total = json_integer_value(json_object_get(ls, "total"));
	ck_assert_msg(total >= 1, "no listings in the range, though one was created now");
	ck_assert_int_eq(sum_members(api_obj(ls, "by_kind"), 4, "by_kind"), total);
	ck_assert_int_eq(sum_members(api_obj(ls, "by_status"), 7, "by_status"), total);
	ck_assert_int_eq(sum_members(api_obj(ds, "by_state"), 10, "by_state"), json_integer_value(json_object_get(ds, "total")));
	const char *kinds[] = {"technology_offer", "technology_demand", "equipment_offer", "equipment_demand"};
	for (int k = 0; k < 4; k++)
		ck_assert_msg(json_is_integer(json_object_get(api_obj(ls, "by_kind"), kinds[k])), "by_kind has no %s", kinds[k]);
	const char *states[] = {"proposed", "negotiating", "agreed", "contracted", "completed",
				"declined", "withdrawn", "lapsed", "disputed", "cancelled"};
	for (int k = 0; k < 10; k++)
		ck_assert_msg(json_is_integer(json_object_get(api_obj(ds, "by_state"), states[k])), "by_state has no %s",
			      states[k]);
	ck_assert_msg(json_integer_value(json_object_get(api_obj(ls, "by_status"), "published")) >= 1,
		      "by_status.published does not count the listing published now");
	long long sector_sum = 0, province_sum = 0;
	size_t i;
	json_t *it;
	const char *quang_tri = NULL;
	json_array_foreach(json_object_get(ls, "by_sector"), i, it) {
		ck_assert_msg(num(it, "count") > 0, "by_sector lists a zero");
		sector_sum += (long long)num(it, "count");
	}
	json_array_foreach(json_object_get(ls, "by_province"), i, it) {
		ck_assert_msg(num(it, "count") > 0, "by_province lists a zero");
		province_sum += (long long)num(it, "count");
		if (strcmp(api_str(it, "province"), "quang-tri") == 0)
			quang_tri = api_str(it, "name_vi");
	}
	ck_assert_int_eq(sector_sum, total);
	ck_assert_int_eq(province_sum, total);
	ck_assert_msg(quang_tri != NULL && strcmp(quang_tri, "Tỉnh Quảng Trị") == 0, "quang-tri is named %s",
		      quang_tri ? quang_tri : "nowhere");
	/* One month per month of the range, in order, adding up to the totals. */
	json_t *monthly = json_object_get(doc, "monthly");
	struct tm now = local_now();
	size_t months = (size_t)((now.tm_year + 1900 - 2024) * 12 + now.tm_mon + 1);
	ck_assert_int_eq(json_array_size(monthly), months);
	long long new_sum = 0, verified_sum = 0, vnd_sum = 0;
	json_array_foreach(monthly, i, it) {
		char want[48];
		snprintf(want, sizeof want, "%04zu-%02zu", 2024 + i / 12, i % 12 + 1);
		ck_assert_str_eq(api_str(it, "month"), want);
		new_sum += (long long)num(it, "new_listings");
		verified_sum += (long long)num(it, "verified_deals");
		vnd_sum += (long long)num(it, "verified_value_vnd");
	}
	ck_assert_int_eq(new_sum, total);
	ck_assert_int_eq(verified_sum, (long long)num(ds, "verified_count"));
	ck_assert_int_eq(vnd_sum, (long long)num(ds, "verified_value_vnd"));

	/* The same as CSV. */
	snprintf(path, sizeof path, REPORT "?%s&format=csv", query);
	struct it_response r;
	api_call(&r, "GET", path, admin.token, NULL, NULL);
	ck_assert_msg(r.status == 200, "GET %s: %d %.300s", path, r.status, r.body);
	const char *ct = it_header(&r, "Content-Type"), *cd = it_header(&r, "Content-Disposition");
	ck_assert_msg(ct != NULL && strcmp(ct, "text/csv; charset=utf-8") == 0, "CSV Content-Type %s", ct ? ct : "missing");
	char want_cd[120];
	snprintf(want_cd, sizeof want_cd, "attachment; filename=\"bao-cao-2024-01-01-%s.csv\"", today);
	ck_assert_msg(cd != NULL && strcmp(cd, want_cd) == 0, "Content-Disposition %s, expected %s", cd ? cd : "missing",
		      want_cd);
	struct csv *c = calloc(1, sizeof *c);
	csv_parse(r.body, r.body_len, c);
	ck_assert_msg(c->nrows >= 1 && c->nfields[0] == 6, "no header row of six fields");
	const char *header[] = {"section", "dimension", "key", "label", "count", "value_vnd"};
	for (int f = 0; f < 6; f++)
		ck_assert_str_eq(c->rows[0][f], header[f]);
	bool *used = calloc(c->nrows, sizeof *used);
	char n[32], v[32];
	int_text(ls, "total", n);
	csv_take(c, used, "listings", "total", "", "", n, "");
	const char *key;
	json_t *val;
	json_object_foreach(api_obj(ls, "by_kind"), key, val) {
		int_text(api_obj(ls, "by_kind"), key, n);
		csv_take(c, used, "listings", "kind", key, "", n, "");
	}
	json_object_foreach(api_obj(ls, "by_status"), key, val) {
		int_text(api_obj(ls, "by_status"), key, n);
		csv_take(c, used, "listings", "status", key, "", n, "");
	}
	json_array_foreach(json_object_get(ls, "by_sector"), i, it) {
		int_text(it, "count", n);
		csv_take(c, used, "listings", "sector", api_str(it, "field"), api_str(it, "name_vi"), n, "");
	}
	json_array_foreach(json_object_get(ls, "by_province"), i, it) {
		int_text(it, "count", n);
		csv_take(c, used, "listings", "province", api_str(it, "province"), api_str(it, "name_vi"), n, "");
	}
	int_text(ds, "total", n);
	csv_take(c, used, "deals", "total", "", "", n, "");
	json_object_foreach(api_obj(ds, "by_state"), key, val) {
		int_text(api_obj(ds, "by_state"), key, n);
		csv_take(c, used, "deals", "state", key, "", n, "");
	}
	int_text(ds, "verified_count", n);
	int_text(ds, "verified_value_vnd", v);
	csv_take(c, used, "deals", "verified", "", "", n, v);
	json_array_foreach(monthly, i, it) {
		int_text(it, "new_listings", n);
		csv_take(c, used, "monthly", "new_listings", api_str(it, "month"), "", n, "");
		int_text(it, "verified_deals", n);
		int_text(it, "verified_value_vnd", v);
		csv_take(c, used, "monthly", "verified_deals", api_str(it, "month"), "", n, v);
	}
	for (size_t k = 1; k < c->nrows; k++)
		ck_assert_msg(used[k], "CSV record %zu (%s,%s,%s) is not in the JSON", k + 1, c->rows[k][0],
			      c->nfields[k] > 1 ? c->rows[k][1] : "", c->nfields[k] > 2 ? c->rows[k][2] : "");
	/* The province's name comes through intact, diacritics and all. */
	bool named = false;
	for (size_t k = 1; k < c->nrows; k++)
		named |= c->nfields[k] == 6 && strcmp(c->rows[k][1], "province") == 0 &&
			 strcmp(c->rows[k][2], "quang-tri") == 0 && strcmp(c->rows[k][3], "Tỉnh Quảng Trị") == 0;
	ck_assert_msg(named, "no CSV record for quang-tri named Tỉnh Quảng Trị");
	ck_assert_msg(strcmp(c->rows[1][0], "listings") == 0 && strcmp(c->rows[1][1], "total") == 0,
		      "the first record is not the listings' total");
	free(used);
	csv_free(c);
	free(c);
	it_response_free(&r);
	json_decref(doc);

	/* format=json is the JSON. */
	snprintf(path, sizeof path, REPORT "?%s&format=json", query);
	json_decref(api_expect_json(200, "GET", path, admin.token, NULL));
}
END_TEST

START_TEST(test_report_ranges_and_access)
{
	struct api_acct admin, m;
	api_admin(&admin);
	api_register(&m, "bao-cao-cam", "Công ty Không Quyền", "enterprise", "quang-tri");
	api_login(&m);

	api_expect_only(401, "GET", REPORT, NULL, NULL);
	api_expect_only(403, "GET", REPORT, m.token, NULL);
	api_expect_only(401, "GET", REPORT "?format=csv", NULL, NULL);
	api_expect_only(403, "GET", REPORT "?format=csv&from=2024-01-01&to=2024-01-31", m.token, NULL);

	/* Defaults: this year up to today, one month each. */
	char today[16];
	local_today(today);
	json_t *doc = api_expect_json(200, "GET", REPORT, admin.token, NULL);
	char from[16];
	snprintf(from, sizeof from, "%d-01-01", local_year());
	ck_assert_str_eq(api_str(doc, "from"), from);
	ck_assert_str_eq(api_str(doc, "to"), today);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "monthly")), local_now().tm_mon + 1);
	json_decref(doc);

	/* Part months at both ends count as months. */
	doc = api_expect_json(200, "GET", REPORT "?from=2024-11-15&to=2025-02-03", admin.token, NULL);
	const char *want[] = {"2024-11", "2024-12", "2025-01", "2025-02"};
	json_t *monthly = json_object_get(doc, "monthly");
	ck_assert_int_eq(json_array_size(monthly), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(api_str(json_array_get(monthly, i), "month"), want[i]);
	json_decref(doc);
	doc = api_expect_json(200, "GET", REPORT "?from=2024-02-29&to=2024-02-29", admin.token, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "monthly")), 1);
	json_decref(doc);

	/* Ten years is the most. */
	json_decref(api_expect_json(200, "GET", REPORT "?from=2015-01-01&to=2025-01-01", admin.token, NULL));
	struct it_response r;
	api_call(&r, "GET", REPORT "?from=2014-01-01&to=2025-01-01", admin.token, NULL, NULL);
	api_assert_errors(&r, API_PAIRS("to", ""), "an 11-year range");
	it_response_free(&r);
	api_call(&r, "GET", REPORT "?from=2015-01-01&to=2025-01-02", admin.token, NULL, NULL);
	api_assert_errors(&r, API_PAIRS("to", ""), "ten years and a day");
	it_response_free(&r);
	api_call(&r, "GET", REPORT "?from=2025-01-01&to=2024-12-31", admin.token, NULL, NULL);
	api_assert_errors(&r, API_PAIRS("from", ""), "from after to");
	it_response_free(&r);
	api_call(&r, "GET", REPORT "?from=2025-01-01&to=2024-12-31&format=csv", admin.token, NULL, NULL);
	api_assert_errors(&r, API_PAIRS("from", ""), "from after to, as CSV");
	it_response_free(&r);

	/* Malformed queries. */
	const char *bad[] = {"?from=2024-13-01",      "?from=2024-02-30",     "?to=2023-02-29",  "?from=24-01-01",
			     "?from=2024-1-01",       "?from=2024-01-01T00:00", "?to=hom-nay",     "?format=xlsx",
			     "?nam=2024",             "?from=20240101"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[120];
		snprintf(path, sizeof path, REPORT "%s", bad[i]);
		api_expect_only(400, "GET", path, admin.token, NULL);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_indicators");
	TCase *tc = tcase_create("indicators");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_st_task_create);
	tcase_add_test(tc, test_st_task_list_and_detail);
	tcase_add_test(tc, test_indicator_list_and_status);
	tcase_add_test(tc, test_put_values);
	tcase_add_test(tc, test_computed_indicators);
	tcase_add_test(tc, test_plan_tasks);
	tcase_add_test(tc, test_report_json_and_csv);
	tcase_add_test(tc, test_report_ranges_and_access);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
