/*
 * The authorisation matrix (issue 12): every operation of the spec, called
 * by every kind of caller against the real binary and PostgreSQL, answers
 * the status tests/integration/authz_matrix.txt declares for it; and the
 * confidential text and anonymous owner of a listing reach no caller who
 * is not entitled to them (DESIGN.md sections 3-6).
 *
 * - test_every_operation_has_a_row: the spec the running server serves
 *   (GET /api/v1/openapi.json) against the table and against the calls
 *   this file knows how to make: an operation without a row, a row naming
 *   no operation, and either without a call here all fail, listed at once.
 * - test_matrix_and_leaks: builds a world through the API (organisations
 *   registered and verified, a non-owner member added by SQL, an anonymous
 *   listing with confidential know-how and deals before and after
 *   negotiation), then
 *   * checks that the markers of the confidential text and of the owner's
 *     name (and the owner's id) appear in no response to anon, other or
 *     party_pre: listing list, detail by id and by ref, search, matches of
 *     a complementary listing, an indicator's detail, the changes feed, the
 *     deal, its messages and events, notifications; that neither a search
 *     for them, the organisation's profile nor ?organization= leads to the
 *     listing; that the admin's report (JSON and CSV) does not carry the
 *     text; and that member, owner, party_post and admin do see them, so
 *     the check can fail;
 *   * calls every cell (a write cell that uses its resource up gets a
 *     fresh one; logout, which revokes the callers' tokens, comes last)
 *     and reports every cell that answers another status at once.
 *   One world serves both: each costs a dozen password hashes.
 *
 * Side effects on the shared test database beyond this run's own
 * organisations: S&T tasks with codes AZ-<tag>..., and the manual value of
 * KH43-T2 for 2030, a year no other suite reads.  No source-address slots
 * are used (no failing logins).  One server for the suite (api_run).
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define LISTINGS "/api/v1/listings"
#define DEALS "/api/v1/deals"

/* The manual indicator value the matrix sets: a future year nothing else reads. */
#define INDICATOR_VALUE_CODE "KH43-T2"
#define INDICATOR_VALUE_YEAR "2030"
/* The indicator the shared listing serves, whose detail lists it. */
#define LISTING_INDICATOR "KH43-T1"

/* ------------------------------------------------------------ callers */

enum caller { ANON, MEMBER, OWNER, OTHER, PARTY_PRE, PARTY_POST, ADMIN, NCALLERS };

/* The matrix's column names, in its order. */
static const char *const caller_names[NCALLERS] = {"anon",      "member",     "owner", "other",
						   "party_pre", "party_post", "admin"};

struct listing {
	char id[40], ref[40];
};

/*
 * The world: the owning organisation (owner and a member), an unrelated
 * one, the initiators of a proposed and a negotiating deal, an
 * administrator, and what they made.  pg is the test's own connection (the
 * database's owner): PQfinish it with world_free.
 */
struct world {
	PGconn *pg;
	struct api_acct admin, owner, member, other, pre, post;
	char secret[64];     /* in the shared listing's confidential text */
	char org_marker[64]; /* in the owning organisation's name */
	char person_marker[64]; /* in its owner's display name */
	char word[64];       /* in the shared listing's title and keywords, and the demand's */
	struct listing shared;  /* the owner's anonymous, confidential, published technology offer */
	struct listing demand;  /* party_pre's published demand that complements it */
	char deal_pre[40], deal_post[40];
	char notification[40];   /* one of the owner's own */
	char st_task[64];
	char unverified_org[40]; /* an organisation awaiting verification */
	int serial;              /* numbers fresh names */
};

static const struct api_acct *acct(const struct world *w, enum caller c)
{
	switch (c) {
	case MEMBER: return &w->member;
	case OWNER: return &w->owner;
	case OTHER: return &w->other;
	case PARTY_PRE: return &w->pre;
	case PARTY_POST: return &w->post;
	case ADMIN: return &w->admin;
	default: return NULL;
	}
}

static const char *token_of(const struct world *w, enum caller c)
{
	const struct api_acct *a = acct(w, c);
	return a != NULL ? a->token : NULL;
}

/* ------------------------------------------------------------ building blocks */

/* A request that must answer `status`; its body parsed (json_decref it) when it is JSON, else NULL. */
static json_t *must(int status, const char *method, const char *path, const char *token, const char *body,
		    const char *extra)
{
	struct it_response r;
	api_expect(&r, status, method, path, token, body, extra);
	json_t *doc = r.body_len > 0 && r.body[0] == '{' ? it_json(&r) : NULL;
	it_response_free(&r);
	return doc;
}

static void must_only(int status, const char *method, const char *path, const char *token, const char *body,
		      const char *extra)
{
	json_decref(must(status, method, path, token, body, extra));
}

/* "If-Match: "<version>"" of the row `id` of `table` (listings, deals, organizations), into out. */
static void if_match(struct world *w, const char *table, const char *id, char *out, size_t size)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE id = $1::uuid", table);
	snprintf(out, size, "If-Match: \"%ld\"", api_sql_long(w->pg, sql, id, NULL));
}

/* Registers and logs in a member of a new organisation, verified unless verify is false. */
static void party(struct world *w, struct api_acct *a, const char *role, const char *org_name, const char *kind,
		  bool verify)
{
	char who[64], path[160];
	snprintf(who, sizeof who, "authz-%s", role);
	api_register(a, who, org_name, kind, "quang-tri");
	api_login(a);
	if (verify) {
		api_org_path(path, sizeof path, a->org_id, "/verify");
		must_only(200, "POST", path, w->admin.token, "{\"note\":\"Đã kiểm tra giấy phép kinh doanh\"}", NULL);
	}
}

/* A draft technology listing of the owner's organisation; extra (taken, may be NULL) is merged in. */
static void listing_draft(struct world *w, const char *kind, const char *title, json_t *extra, struct listing *l,
			  const struct api_acct *by)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "kind", kind, "title", title, "summary",
			      "Giải pháp sấy nông sản đã thử nghiệm tại Quảng Trị", "sector", "2.11", "province",
			      "quang-tri", "trl", 6);
	ck_assert(d != NULL);
	if (extra != NULL) {
		json_object_update(d, extra);
		json_decref(extra);
	}
	char *body = api_dump(d);
	json_t *got = must(201, "POST", LISTINGS, (by != NULL ? by : &w->owner)->token, body, NULL);
	free(body);
	snprintf(l->id, sizeof l->id, "%s", api_str(got, "id"));
	snprintf(l->ref, sizeof l->ref, "%s", api_str(got, "ref"));
	json_decref(got);
}

/* POST /listings/{id}/<action> by token (no If-Match, no body unless given). */
static void listing_act(const char *id, const char *action, const char *token, const char *body)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/%s", id, action);
	must_only(200, "POST", path, token, body, NULL);
}

/* A fresh published technology offer of the owning organisation titled "<what> <n>". */
static void listing_published(struct world *w, const char *what, struct listing *l)
{
	char title[160];
	snprintf(title, sizeof title, "%s số %d", what, ++w->serial);
	listing_draft(w, "technology_offer", title, NULL, l, NULL);
	listing_act(l->id, "submit", w->owner.token, NULL);
	listing_act(l->id, "approve", w->admin.token, NULL);
}

/* `by` expresses interest in listing: a new deal in proposed, its id into id. */
static void deal_open(const struct api_acct *by, const char *listing, char id[40])
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/interests", listing);
	json_t *d = must(201, "POST", path, by->token, "{\"message\":\"Chúng tôi muốn tìm hiểu thêm về giải pháp này.\"}",
			 NULL);
	snprintf(id, 40, "%s", api_str(d, "id"));
	json_decref(d);
}

/* A transition of deal id by token that must succeed. */
static void deal_move(struct world *w, const char *token, const char *id, const char *body)
{
	char path[200], match[64];
	snprintf(path, sizeof path, DEALS "/%s/transitions", id);
	if_match(w, "deals", id, match, sizeof match);
	must_only(200, "POST", path, token, body, match);
}

/*
 * For a cell of party_pre or party_post on a fresh listing: that caller's
 * deal on it, proposed or negotiating.  Nothing for the other callers.
 */
static void party_deal(struct world *w, enum caller c, const char *listing)
{
	char id[40];
	if (c == PARTY_PRE) {
		deal_open(&w->pre, listing, id);
	} else if (c == PARTY_POST) {
		deal_open(&w->post, listing, id);
		deal_move(w, w->owner.token, id, "{\"to\":\"negotiating\"}");
	}
}

/* ------------------------------------------------------------ the world */

static void world_build(struct world *w)
{
	memset(w, 0, sizeof *w);
	w->pg = it_pg_connect(it_db_url());
	char name[200];
	api_marker(w->secret, sizeof w->secret, "bimat");
	api_marker(w->org_marker, sizeof w->org_marker, "tochuc");
	api_marker(w->person_marker, sizeof w->person_marker, "nguoi");
	api_marker(w->word, sizeof w->word, "tukhoa");

	api_admin(&w->admin);
	snprintf(name, sizeof name, "Viện Công nghệ Sau thu hoạch %s", w->org_marker);
	party(w, &w->owner, "chu", name, "research_institute", true);
	/* The owner's own name would name the organisation as surely as the organisation's. */
	char person[120];
	snprintf(person, sizeof person, "Trần Thị %s", w->person_marker);
	ck_assert_int_eq(api_sql_exec(w->pg, "UPDATE users SET display_name = $1 WHERE id = $2::uuid", person,
				      w->owner.user_id),
			 1);
	party(w, &w->other, "khac", "Công ty TNHH Cơ khí Đông Hà", "enterprise", true);
	party(w, &w->pre, "truoc", "Công ty Chế biến Nông sản Cam Lộ", "enterprise", true);
	party(w, &w->post, "sau", "Hợp tác xã Nông nghiệp Hải Lăng", "enterprise", true);
	struct api_acct waiting;
	party(w, &waiting, "cho", "Công ty Khởi nghiệp Gio Linh", "startup", false);
	snprintf(w->unverified_org, sizeof w->unverified_org, "%s", waiting.org_id);

	/* The member: a user of the owning organisation who is not its owner, with the owner's password. */
	api_make_email(w->member.email, sizeof w->member.email, "authz-thanhvien");
	snprintf(w->member.password, sizeof w->member.password, "%s", w->owner.password);
	snprintf(w->member.org_id, sizeof w->member.org_id, "%s", w->owner.org_id);
	ck_assert_int_eq(api_sql_exec(w->pg,
				      "INSERT INTO users (email, password_hash, display_name, role, organization_id, is_owner)"
				      " SELECT $1, password_hash, 'Nguyễn Văn Thành Viên', 'member', organization_id, false"
				      " FROM users WHERE id = $2::uuid",
				      w->member.email, w->owner.user_id),
			 1);
	api_login(&w->member);

	/* party_pre's demand and saved search come first, so the offer's publication meets them. */
	char title[200], search[300];
	snprintf(title, sizeof title, "Cần công nghệ sấy %s cho nông sản", w->word);
	listing_draft(w, "technology_demand", title, json_pack("{s:[s, s]}", "keywords", w->word, "sấy lạnh"),
		      &w->demand, &w->pre);
	listing_act(w->demand.id, "submit", w->pre.token, NULL);
	listing_act(w->demand.id, "approve", w->admin.token, NULL);
	snprintf(search, sizeof search, "{\"name\":\"Sấy %s\",\"filters\":{\"q\":\"%s\"}}", w->word, w->word);
	must_only(201, "POST", "/api/v1/saved-searches", w->pre.token, search, NULL);

	/* The S&T task whose result the shared listing offers: the public registry names its host. */
	char task[600];
	snprintf(w->st_task, sizeof w->st_task, "AZ-%s", api_tag());
	snprintf(task, sizeof task,
		 "{\"code\":\"%s\",\"title\":\"Nghiên cứu công nghệ sấy lạnh\",\"host_organization\":\"%s\","
		 "\"year_accepted\":2024}",
		 w->st_task, name);
	must_only(201, "POST", "/api/v1/st-tasks", w->admin.token, task, NULL);

	/* The shared listing: anonymous, with confidential know-how, offering the task's result. */
	char secret[200];
	snprintf(secret, sizeof secret, "Quy trình sấy lạnh chi tiết %s", w->secret);
	snprintf(title, sizeof title, "Công nghệ sấy %s nông sản", w->word);
	listing_draft(w, "technology_offer", title,
		      json_pack("{s:b, s:s, s:[s, s], s:[s], s:s}", "anonymous", 1, "confidential", secret, "keywords",
				w->word, "sấy lạnh", "indicators", LISTING_INDICATOR, "st_task", w->st_task),
		      &w->shared, NULL);
	listing_act(w->shared.id, "submit", w->owner.token, NULL);
	listing_act(w->shared.id, "approve", w->admin.token, NULL);

	/* Its deals: party_pre's still proposed, party_post's negotiating; words in each. */
	char path[200];
	deal_open(&w->pre, w->shared.id, w->deal_pre);
	deal_open(&w->post, w->shared.id, w->deal_post);
	deal_move(w, w->owner.token, w->deal_post, "{\"to\":\"negotiating\"}");
	snprintf(path, sizeof path, DEALS "/%s/messages", w->deal_pre);
	must_only(201, "POST", path, w->owner.token, "{\"body\":\"Cảm ơn anh chị đã quan tâm; xin gửi thêm nhu cầu.\"}",
		  NULL);
	must_only(201, "POST", path, w->pre.token, "{\"body\":\"Chúng tôi cần sấy 5 tấn mỗi ngày.\"}", NULL);

	char *n = api_sql_value(w->pg, "SELECT id FROM notifications WHERE user_id = $1::uuid"
				       " ORDER BY created_at DESC, id DESC LIMIT 1",
				w->owner.user_id, NULL);
	ck_assert_msg(n != NULL, "the owner has no notification");
	snprintf(w->notification, sizeof w->notification, "%s", n);
	free(n);

}

static void world_free(struct world *w) { PQfinish(w->pg); }

/* ------------------------------------------------------------ the cells */

/* One request of a cell: path (params filled in), body ("" for none), extra header. */
struct cell {
	char path[400];
	char body[1200];
	char extra[64]; /* If-Match, or "" */
};

/* Fills the cell's path template: the first {param} with a, the second with b. */
static void fill(struct cell *cell, const char *a, const char *b)
{
	char out[sizeof cell->path];
	size_t n = 0;
	int k = 0;
	for (const char *p = cell->path; *p != '\0' && n + 1 < sizeof out;) {
		if (*p == '{' && strchr(p, '}') != NULL && k < 2) {
			const char *v = k++ == 0 ? a : b;
			ck_assert_msg(v != NULL, "%s: no value for a parameter", cell->path);
			n += (size_t)snprintf(out + n, sizeof out - n, "%s", v);
			p = strchr(p, '}') + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	ck_assert_msg(n + 1 < sizeof out, "%s: path too long", cell->path);
	memcpy(cell->path, out, n + 1);
}

typedef void prepare_fn(struct world *w, enum caller c, struct cell *cell);

static void p_none(struct world *w, enum caller c, struct cell *cell)
{
	(void)w;
	(void)c;
	(void)cell;
}

static void p_st_task_new(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	snprintf(cell->body, sizeof cell->body,
		 "{\"code\":\"AZ-%s-%d\",\"title\":\"Ứng dụng công nghệ sấy\",\"host_organization\":\"Trường Đại học\","
		 "\"year_accepted\":2023}",
		 api_tag(), ++w->serial);
}

static void p_st_task(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->st_task, NULL);
}

static void p_indicator(struct world *w, enum caller c, struct cell *cell)
{
	(void)w;
	(void)c;
	fill(cell, "KH43-X1", NULL);
}

static void p_indicator_value(struct world *w, enum caller c, struct cell *cell)
{
	(void)w;
	(void)c;
	fill(cell, INDICATOR_VALUE_CODE, INDICATOR_VALUE_YEAR);
}

static void p_register(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	char who[64], email[160];
	snprintf(who, sizeof who, "authz-dk%d", ++w->serial);
	api_make_email(email, sizeof email, who);
	char *body = api_dump(api_registration(email, "Mật khẩu đăng ký 2026", "Người đăng ký",
					       "Công ty Đăng ký Thử", "enterprise", "quang-tri", NULL));
	snprintf(cell->body, sizeof cell->body, "%s", body);
	free(body);
}

static void p_login(struct world *w, enum caller c, struct cell *cell)
{
	const struct api_acct *a = c == ANON ? &w->owner : acct(w, c);
	char *body = api_login_body(a->email, a->password);
	snprintf(cell->body, sizeof cell->body, "%s", body);
	free(body);
}

static void p_notification(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->notification, NULL);
}

static void p_org(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->owner.org_id, NULL);
}

static void p_org_edit(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->owner.org_id, NULL);
	if_match(w, "organizations", w->owner.org_id, cell->extra, sizeof cell->extra);
	snprintf(cell->body, sizeof cell->body, "{\"description\":\"Viện nghiên cứu công nghệ sau thu hoạch, lần %d\"}",
		 ++w->serial);
}

/* Every column but admin's comes first and is refused: the organisation still awaits verification then. */
static void p_org_waiting(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->unverified_org, NULL);
}

static void p_shared_listing(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	fill(cell, w->shared.id, NULL);
}

static void listing_cell(struct world *w, struct cell *cell, const struct listing *l)
{
	fill(cell, l->id, NULL);
	if_match(w, "listings", l->id, cell->extra, sizeof cell->extra);
}

static void p_draft(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	struct listing l;
	char title[120];
	snprintf(title, sizeof title, "Bản nháp máy sấy số %d", ++w->serial);
	listing_draft(w, "technology_offer", title, NULL, &l, NULL);
	listing_cell(w, cell, &l);
}

static void p_pending(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	struct listing l;
	char title[120];
	snprintf(title, sizeof title, "Tin chờ duyệt máy sấy số %d", ++w->serial);
	listing_draft(w, "technology_offer", title, NULL, &l, NULL);
	listing_act(l.id, "submit", w->owner.token, NULL);
	listing_cell(w, cell, &l);
}

static void p_published(struct world *w, enum caller c, struct cell *cell)
{
	struct listing l;
	listing_published(w, "Công nghệ sấy đã công bố", &l);
	party_deal(w, c, l.id);
	listing_cell(w, cell, &l);
}

/* Expired by hand, as the timer would (published -> expired is a move of the table). */
static void p_expired(struct world *w, enum caller c, struct cell *cell)
{
	struct listing l;
	listing_published(w, "Công nghệ sấy hết hạn", &l);
	party_deal(w, c, l.id);
	ck_assert_int_eq(api_sql_exec(w->pg,
				      "UPDATE listings SET status = 'expired', status_at = now(), version = version + 1,"
				      " updated_at = now() WHERE id = $1::uuid AND status = 'published'",
				      l.id, NULL),
			 1);
	listing_cell(w, cell, &l);
}

static void p_suspended(struct world *w, enum caller c, struct cell *cell)
{
	struct listing l;
	listing_published(w, "Công nghệ sấy tạm ngừng", &l);
	party_deal(w, c, l.id);
	listing_act(l.id, "suspend", w->admin.token, "{\"reason\":\"Cần bổ sung giấy tờ\"}");
	listing_cell(w, cell, &l);
}

/* An interest makes the deal: a listing nobody has one on yet. */
static void p_fresh_published(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	struct listing l;
	listing_published(w, "Công nghệ sấy mới", &l);
	fill(cell, l.id, NULL);
}

static void p_deal(struct world *w, enum caller c, struct cell *cell)
{
	fill(cell, c == PARTY_POST ? w->deal_post : w->deal_pre, NULL);
}

/* A fresh deal in the state where the caller has a move, and that move. */
static void p_deal_move(struct world *w, enum caller c, struct cell *cell)
{
	static const char *const moves[NCALLERS] = {
		[ANON] = "{\"to\":\"disputed\",\"note\":\"Bên bán không trả lời\"}",
		[MEMBER] = "{\"to\":\"negotiating\",\"note\":\"Mời trao đổi\"}",
		[OWNER] = "{\"to\":\"negotiating\",\"note\":\"Mời trao đổi\"}",
		[OTHER] = "{\"to\":\"disputed\",\"note\":\"Bên bán không trả lời\"}",
		[PARTY_PRE] = "{\"to\":\"withdrawn\",\"reason\":\"price\",\"note\":\"Giá cao\"}",
		[PARTY_POST] = "{\"to\":\"agreed\"}",
		[ADMIN] = "{\"to\":\"cancelled\",\"note\":\"Hủy theo đề nghị của hai bên\"}",
	};
	struct listing l;
	char id[40];
	listing_published(w, "Công nghệ sấy giao dịch", &l);
	deal_open(c == PARTY_POST ? &w->post : &w->pre, l.id, id);
	if (c == PARTY_POST)
		deal_move(w, w->owner.token, id, "{\"to\":\"negotiating\"}");
	fill(cell, id, NULL);
	if_match(w, "deals", id, cell->extra, sizeof cell->extra);
	snprintf(cell->body, sizeof cell->body, "%s", moves[c]);
}

static void p_deal_completed(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	struct listing l;
	char id[40];
	listing_published(w, "Công nghệ sấy đã chuyển giao", &l);
	deal_open(&w->post, l.id, id);
	deal_move(w, w->owner.token, id, "{\"to\":\"negotiating\"}");
	deal_move(w, w->owner.token, id, "{\"to\":\"agreed\"}");
	deal_move(w, w->post.token, id, "{\"to\":\"agreed\"}");
	deal_move(w, w->owner.token, id, "{\"to\":\"contracted\",\"contract_ref\":\"HĐ-01/2026\",\"value_vnd\":150000000}");
	deal_move(w, w->owner.token, id, "{\"to\":\"completed\"}");
	fill(cell, id, NULL);
	if_match(w, "deals", id, cell->extra, sizeof cell->extra);
}

/* The owner's own saved search, fresh: deleting uses it up. */
static void p_saved_search(struct world *w, enum caller c, struct cell *cell)
{
	(void)c;
	json_t *s = must(201, "POST", "/api/v1/saved-searches", w->owner.token,
			 "{\"name\":\"Thiết bị sấy\",\"filters\":{\"q\":\"máy sấy\"}}", NULL);
	fill(cell, api_str(s, "id"), NULL);
	json_decref(s);
}

/*
 * How to call each operation: its method and path as in the spec, what to
 * prepare, and a body when the preparation does not make one.
 */
struct op {
	const char *method, *path;
	prepare_fn *prepare;
	const char *body;
};

static const char NEW_LISTING[] = "{\"kind\":\"technology_demand\",\"title\":\"Cần máy sấy lạnh nông sản\","
				  "\"sector\":\"2.11\",\"province\":\"quang-tri\",\"trl\":5}";

static const struct op ops[] = {
	{"GET", "/healthz", p_none, NULL},
	{"GET", "/readyz", p_none, NULL},
	{"GET", "/metrics", p_none, NULL},
	{"GET", "/api/v1/openapi.json", p_none, NULL},
	{"GET", "/api/v1/provinces", p_none, NULL},
	{"GET", "/api/v1/sectors", p_none, NULL},
	{"GET", "/api/v1/plan/tasks", p_none, NULL},
	{"GET", "/api/v1/st-tasks", p_none, NULL},
	{"POST", "/api/v1/st-tasks", p_st_task_new, NULL},
	{"GET", "/api/v1/st-tasks/{code}", p_st_task, NULL},
	{"GET", "/api/v1/indicators", p_none, NULL},
	{"GET", "/api/v1/indicators/{code}", p_indicator, NULL},
	{"PUT", "/api/v1/indicators/{code}/values/{year}", p_indicator_value,
	 "{\"value\":70,\"note\":\"Kế hoạch 43/KH-SKHCN\"}"},
	{"GET", "/api/v1/reports/summary", p_none, NULL},
	{"POST", "/api/v1/auth/register", p_register, NULL},
	{"POST", "/api/v1/auth/login", p_login, NULL},
	{"POST", "/api/v1/auth/logout", p_none, NULL},
	{"GET", "/api/v1/me", p_none, NULL},
	{"GET", "/api/v1/notifications", p_none, NULL},
	{"POST", "/api/v1/notifications/{id}/read", p_notification, NULL},
	{"POST", "/api/v1/notifications/read-all", p_none, NULL},
	{"GET", "/api/v1/organizations", p_none, NULL},
	{"GET", "/api/v1/organizations/{id}", p_org, NULL},
	{"PATCH", "/api/v1/organizations/{id}", p_org_edit, NULL},
	{"POST", "/api/v1/organizations/{id}/verify", p_org_waiting, "{\"note\":\"Đã kiểm tra giấy phép\"}"},
	{"GET", "/api/v1/audit", p_none, NULL},
	{"POST", "/api/v1/listings", p_none, NEW_LISTING},
	{"GET", "/api/v1/listings", p_none, NULL},
	{"GET", "/api/v1/listings/changes", p_none, NULL},
	{"GET", "/api/v1/listings/{id}", p_shared_listing, NULL},
	{"PATCH", "/api/v1/listings/{id}", p_published, "{\"summary\":\"Giải pháp sấy lạnh, bản sửa\"}"},
	{"DELETE", "/api/v1/listings/{id}", p_draft, NULL},
	{"POST", "/api/v1/listings/{id}/submit", p_draft, NULL},
	{"POST", "/api/v1/listings/{id}/close", p_published, NULL},
	{"POST", "/api/v1/listings/{id}/renew", p_expired, NULL},
	{"POST", "/api/v1/listings/{id}/approve", p_pending, NULL},
	{"POST", "/api/v1/listings/{id}/reject", p_pending, "{\"reason\":\"Thiếu mô tả kỹ thuật\"}"},
	{"POST", "/api/v1/listings/{id}/suspend", p_published, "{\"reason\":\"Cần bổ sung giấy tờ\"}"},
	{"POST", "/api/v1/listings/{id}/reinstate", p_suspended, NULL},
	{"GET", "/api/v1/listings/{id}/matches", p_shared_listing, NULL},
	{"GET", "/api/v1/listings/{id}/feedback", p_shared_listing, NULL},
	{"POST", "/api/v1/listings/{id}/interests", p_fresh_published,
	 "{\"message\":\"Chúng tôi muốn tìm hiểu thêm về giải pháp này.\"}"},
	{"GET", "/api/v1/moderation/queue", p_none, NULL},
	{"POST", "/api/v1/saved-searches", p_none, "{\"name\":\"Máy sấy\",\"filters\":{\"q\":\"máy sấy\"}}"},
	{"GET", "/api/v1/saved-searches", p_none, NULL},
	{"DELETE", "/api/v1/saved-searches/{id}", p_saved_search, NULL},
	{"GET", "/api/v1/deals", p_none, NULL},
	{"GET", "/api/v1/deals/{id}", p_deal, NULL},
	{"POST", "/api/v1/deals/{id}/transitions", p_deal_move, NULL},
	{"POST", "/api/v1/deals/{id}/verify", p_deal_completed, "{\"note\":\"Đã đối chiếu hợp đồng\"}"},
	{"GET", "/api/v1/deals/{id}/messages", p_deal, NULL},
	{"POST", "/api/v1/deals/{id}/messages", p_deal, "{\"body\":\"Xin gửi thêm thông tin kỹ thuật.\"}"},
	{"GET", "/api/v1/deals/{id}/events", p_deal, NULL},
};

#define NOPS (sizeof ops / sizeof ops[0])

static const struct op *op_find(const char *method, const char *path)
{
	for (size_t i = 0; i < NOPS; i++)
		if (strcmp(ops[i].method, method) == 0 && strcmp(ops[i].path, path) == 0)
			return &ops[i];
	return NULL;
}

/* ------------------------------------------------------------ the table */

struct row {
	char method[16], path[200];
	int status[NCALLERS];
	int line;
};

struct table {
	struct row *rows;
	size_t n;
};

/*
 * Reads authz_matrix.txt (AUTHZ_MATRIX, set by tests/CMakeLists.txt):
 * '#' lines and blank lines are comments; every other line is METHOD PATH
 * and one status per caller.  A malformed or repeated row fails the test
 * (a failed assertion leaves the file open: the test's process ends).
 * Free t->rows.
 */
static void table_read(struct table *t)
{
	FILE *f = fopen(AUTHZ_MATRIX, "r");
	ck_assert_msg(f != NULL, "cannot open %s", AUTHZ_MATRIX);
	t->rows = NULL;
	t->n = 0;
	char line[512];
	int no = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		no++;
		const char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		struct row r = {.line = no};
		int used = 0;
		int got = sscanf(p, "%15s %199s %d %d %d %d %d %d %d %n", r.method, r.path, &r.status[0], &r.status[1],
				 &r.status[2], &r.status[3], &r.status[4], &r.status[5], &r.status[6], &used);
		bool ok = got == 2 + NCALLERS && p[used] == '\0';
		for (int c = 0; ok && c < NCALLERS; c++)
			ok = r.status[c] >= 100 && r.status[c] <= 599;
		ck_assert_msg(ok, "%s:%d: not METHOD PATH and %d statuses: %s", AUTHZ_MATRIX, no, NCALLERS, line);
		for (size_t i = 0; i < t->n; i++) {
			bool twin = strcmp(t->rows[i].method, r.method) == 0 && strcmp(t->rows[i].path, r.path) == 0;
			ck_assert_msg(!twin, "%s:%d repeats the row of line %d", AUTHZ_MATRIX, no, t->rows[i].line);
		}
		struct row *grown = realloc(t->rows, (t->n + 1) * sizeof *grown);
		ck_assert(grown != NULL);
		t->rows = grown;
		t->rows[t->n++] = r;
	}
	fclose(f);
}

static const struct row *table_find(const struct table *t, const char *method, const char *path)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->rows[i].method, method) == 0 && strcmp(t->rows[i].path, path) == 0)
			return &t->rows[i];
	return NULL;
}

/* The spec's lower-case method name as the table writes it. */
static void str_upper(const char *s, char *out, size_t size)
{
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	out[i] = '\0';
}

/* ------------------------------------------------------------ the spec against the table */

START_TEST(test_every_operation_has_a_row)
{
	static const char *const methods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
	struct table t;
	table_read(&t);
	json_t *spec = must(200, "GET", "/api/v1/openapi.json", NULL, NULL, NULL);
	json_t *paths = json_object_get(spec, "paths");
	ck_assert_msg(json_is_object(paths) && json_object_size(paths) > 0, "the spec has no paths");

	struct api_failures f = {0};
	bool *named = calloc(t.n + 1, sizeof *named);
	ck_assert(named != NULL);
	size_t operations = 0;
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			if (json_object_get(item, methods[m]) == NULL)
				continue;
			char method[16];
			str_upper(methods[m], method, sizeof method);
			operations++;
			const struct row *r = table_find(&t, method, path);
			if (r == NULL) {
				char *msg = NULL;
				ck_assert(asprintf(&msg, "\n  %s %s: no row in the matrix", method, path) > 0);
				api_note_failure(&f, msg);
			} else {
				named[r - t.rows] = true;
			}
			if (op_find(method, path) == NULL) {
				char *msg = NULL;
				ck_assert(asprintf(&msg, "\n  %s %s: test_authz.c does not know how to call it", method,
						   path) > 0);
				api_note_failure(&f, msg);
			}
		}
	}
	for (size_t i = 0; i < t.n; i++) {
		if (!named[i]) {
			char *msg = NULL;
			ck_assert(asprintf(&msg, "\n  %s %s (line %d): a row naming no operation of the spec",
					   t.rows[i].method, t.rows[i].path, t.rows[i].line) > 0);
			api_note_failure(&f, msg);
		}
	}
	for (size_t i = 0; i < NOPS; i++) {
		if (table_find(&t, ops[i].method, ops[i].path) == NULL) {
			char *msg = NULL;
			ck_assert(asprintf(&msg, "\n  %s %s: a call in test_authz.c without a row", ops[i].method,
					   ops[i].path) > 0);
			api_note_failure(&f, msg);
		}
	}
	ck_assert_msg(f.len == 0, "the spec's %zu operations and the matrix's %zu rows disagree:%s", operations, t.n,
		      f.s);
	ck_assert_uint_eq(operations, t.n);
	free(named);
	free(t.rows);
	json_decref(spec);
}
END_TEST

/* ------------------------------------------------------------ every cell */

/* One cell: prepares its request, calls it, and notes a status other than the row's. */
static void call_cell(struct world *w, const struct op *op, const struct row *row, enum caller c,
		      struct api_failures *f)
{
	struct cell cell = {0};
	snprintf(cell.path, sizeof cell.path, "%s", op->path);
	if (op->body != NULL)
		snprintf(cell.body, sizeof cell.body, "%s", op->body);
	op->prepare(w, c, &cell);
	struct it_response r;
	api_call(&r, op->method, cell.path, token_of(w, c), cell.body[0] ? cell.body : NULL,
		 cell.extra[0] ? cell.extra : NULL);
	if (r.status != row->status[c]) {
		char *msg = NULL;
		ck_assert(asprintf(&msg, "\n  %s %s %s: %d, expected %d (%.120s)", op->method, op->path, caller_names[c],
				   r.status, row->status[c], r.body) > 0);
		api_note_failure(f, msg);
	}
	it_response_free(&r);
}

/*
 * Every cell of the table, row by row, each row's callers in the table's
 * order (admin last: the organisation to verify still awaits verification
 * for the others); logout, which revokes the callers' tokens, after all
 * the others.  Returns how many cells were called.
 */
static size_t call_cells(struct world *w, const struct table *t, struct api_failures *f)
{
	size_t cells = 0;
	for (int last = 0; last <= 1; last++) {
		for (size_t i = 0; i < t->n; i++) {
			const struct op *op = op_find(t->rows[i].method, t->rows[i].path);
			if (op == NULL || (strcmp(op->path, "/api/v1/auth/logout") == 0) != last)
				continue; /* test_every_operation_has_a_row reports a row without a call */
			for (int c = 0; c < NCALLERS; c++, cells++)
				call_cell(w, op, &t->rows[i], (enum caller)c, f);
		}
	}
	return cells;
}

/* ------------------------------------------------------------ leaks */

/* What must not show: the confidential marker, the owner's name marker, its owner's
 * display name marker (NULL: not looked for) and (where asked) its id. */
struct secrets {
	const char *text, *name, *org_id, *person;
};

/* Notes a failure when body shows one of the secrets (the owner's id only when check_id). */
static void note_leak(struct api_failures *f, const char *body, const struct secrets *s, bool check_id,
		      const char *caller, const char *what)
{
	const char *shown = strstr(body, s->text) != NULL ? "the confidential text"
			    : strstr(body, s->name) != NULL ? "the anonymous owner's name"
			    : check_id && strstr(body, s->org_id) != NULL ? "the anonymous owner's id"
			    : s->person != NULL && strstr(body, s->person) != NULL ? "the name of the anonymous owner's person"
									   : NULL;
	if (shown != NULL) {
		char *msg = NULL;
		ck_assert(asprintf(&msg, "\n  %s: %s shows %s", caller, what, shown) > 0);
		api_note_failure(f, msg);
	}
}

/* GET path as token (200 expected, of any type: the report comes as CSV too); returns the body (free it). */
static char *get_body(const char *path, const char *token)
{
	struct it_response r;
	api_call(&r, "GET", path, token, NULL, NULL);
	ck_assert_msg(r.status == 200, "GET %s: status %d, expected 200: %.300s", path, r.status, r.body);
	char *body = r.body;
	r.body = NULL;
	it_response_free(&r);
	return body;
}

/* Whether the response names the listing: as an item, a match, a linked listing or a deal's. */
static bool lists(const char *body, const char *id) { return strstr(body, id) != NULL; }

/* GET path as token: notes a leak, and a failure when the shared listing should be listed and is not. */
static void check_get(struct api_failures *f, const struct world *w, const struct secrets *s, enum caller c,
		      const char *path, bool must_list)
{
	char *body = get_body(path, token_of(w, c));
	note_leak(f, body, s, true, caller_names[c], path);
	if (must_list && !lists(body, w->shared.id)) {
		char *msg = NULL;
		ck_assert(asprintf(&msg, "\n  %s: %s does not list the listing, so it proves nothing", caller_names[c],
				   path) > 0);
		api_note_failure(f, msg);
	}
	free(body);
}

/*
 * The changes feed as c from the cursor `from` ("" for the beginning) to
 * its end, 100 changes a page: leaks noted.  Whether the shared listing
 * came by; then `from` is the cursor of the page where it first did, so
 * that the next caller need not read the whole feed again.
 */
static bool check_feed(struct api_failures *f, const struct world *w, const struct secrets *s, enum caller c,
		       char from[512])
{
	char since[512], path[700];
	snprintf(since, sizeof since, "%s", from);
	bool seen = false;
	for (bool more = true; more;) {
		snprintf(path, sizeof path, LISTINGS "/changes?limit=100%s%s", since[0] ? "&since=" : "", since);
		char *body = get_body(path, token_of(w, c));
		note_leak(f, body, s, true, caller_names[c], "the changes feed");
		if (!seen && lists(body, w->shared.id)) {
			seen = true;
			snprintf(from, 512, "%s", since);
		}
		json_t *doc = json_loads(body, 0, NULL);
		free(body);
		ck_assert_msg(doc != NULL, "%s: not JSON", path);
		json_t *next = json_object_get(doc, "next_cursor");
		more = json_is_string(next);
		if (more) {
			ck_assert(strlen(json_string_value(next)) < sizeof since);
			snprintf(since, sizeof since, "%s", json_string_value(next));
		}
		json_decref(doc);
	}
	return seen;
}

/* GET /listings/{id} as c: whether it shows the confidential text and the owner's name. */
static bool discloses(const struct world *w, enum caller c, const char *text, const char *name)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s", w->shared.id);
	json_t *doc = must(200, "GET", path, token_of(w, c), NULL, NULL);
	const char *conf = json_string_value(json_object_get(doc, "confidential"));
	const char *owner = json_string_value(json_object_get(json_object_get(doc, "organization"), "name"));
	bool both = conf != NULL && strstr(conf, text) != NULL && owner != NULL && strcmp(owner, name) == 0;
	json_decref(doc);
	return both;
}

/* Waits (at most 10 s) until party_pre is told the shared listing meets its saved search. */
static void wait_saved_search_notice(const struct world *w)
{
	for (double t0 = it_now();; it_sleep_ms(100)) {
		long n = api_sql_long(w->pg, "SELECT count(*) FROM notifications WHERE user_id = $1::uuid"
					     " AND kind = 'saved_search_match' AND listing_id = $2::uuid",
				      w->pre.user_id, w->shared.id);
		if (n > 0)
			return;
		ck_assert_msg(it_now() - t0 < 10, "party_pre was not told of the listing its saved search meets");
	}
}

/* Notes msg (a format with one %s: the caller's name) for caller c. */
static void note_for(struct api_failures *f, enum caller c, const char *msg)
{
	char *text = NULL;
	ck_assert(asprintf(&text, "\n  %s: %s", caller_names[c], msg) > 0);
	api_note_failure(f, text);
}

/*
 * Notes every response that shows the shared listing's secrets to a caller
 * not entitled to them (anon, other, party_pre), every answer that links
 * the anonymous listing to its owner, and every entitled caller (member,
 * owner, party_post, admin) who does not see them.
 */
static void check_leaks(const struct world *w, struct api_failures *f)
{
	static const enum caller outsiders[] = {ANON, OTHER, PARTY_PRE};
	static const enum caller entitled[] = {MEMBER, OWNER, PARTY_POST, ADMIN};
	char name[240], path[400];
	snprintf(name, sizeof name, "Viện Công nghệ Sau thu hoạch %s %s", w->org_marker, api_tag());
	const struct secrets s = {w->secret, w->org_marker, w->owner.org_id, w->person_marker};
	char feed_from[512] = ""; /* the first caller reads the whole changes feed, the others its tail */
	wait_saved_search_notice(w);

	for (size_t k = 0; k < sizeof outsiders / sizeof outsiders[0]; k++) {
		enum caller c = outsiders[k];
		/* The listing itself, in lists, search, matches and an indicator's detail. */
		check_get(f, w, &s, c, LISTINGS "?kind=technology_offer&sector=2.11&limit=100", true);
		snprintf(path, sizeof path, LISTINGS "/%s", w->shared.id);
		check_get(f, w, &s, c, path, false);
		snprintf(path, sizeof path, LISTINGS "/%s", w->shared.ref);
		check_get(f, w, &s, c, path, false);
		snprintf(path, sizeof path, LISTINGS "?q=%s", w->word);
		check_get(f, w, &s, c, path, true);
		snprintf(path, sizeof path, LISTINGS "?q=%s&sort=relevance", w->word);
		check_get(f, w, &s, c, path, true);
		snprintf(path, sizeof path, LISTINGS "/%s/matches?limit=50", w->demand.id);
		check_get(f, w, &s, c, path, true);
		check_get(f, w, &s, c, "/api/v1/indicators/" LISTING_INDICATOR, true);
		if (!check_feed(f, w, &s, c, feed_from))
			note_for(f, c, "the changes feed never carries the listing, so it proves nothing");
		/* Nor may a search answer for what is hidden: the know-how's words, the owner's name. */
		const char *hidden[] = {w->secret, w->org_marker};
		for (size_t h = 0; h < 2; h++) {
			snprintf(path, sizeof path, LISTINGS "?q=%s", hidden[h]);
			char *found = get_body(path, token_of(w, c));
			if (lists(found, w->shared.id))
				note_for(f, c, h == 0 ? "searching for the confidential text finds the listing"
						      : "searching for the owner's name finds the listing");
			free(found);
		}
		/* The organisation's profile names it, of course, but must not lead to the listing. */
		api_org_path(path, sizeof path, w->owner.org_id, "");
		char *body = get_body(path, token_of(w, c));
		if (lists(body, w->shared.id) || lists(body, w->shared.ref))
			note_for(f, c, "the organisation's profile links the anonymous listing");
		free(body);
		snprintf(path, sizeof path, LISTINGS "?organization=%s", w->owner.org_id);
		body = get_body(path, token_of(w, c));
		if (lists(body, w->shared.id))
			note_for(f, c, "?organization= finds the anonymous listing");
		free(body);
		/* Nor the S&T task it offers, whose public record names the host. */
		snprintf(path, sizeof path, LISTINGS "/%s", w->shared.id);
		body = get_body(path, token_of(w, c));
		if (lists(body, w->st_task))
			note_for(f, c, "the anonymous listing names its S&T task, whose record names the host");
		free(body);
		snprintf(path, sizeof path, "/api/v1/st-tasks/%s", w->st_task);
		body = get_body(path, token_of(w, c));
		if (lists(body, w->shared.id))
			note_for(f, c, "the S&T task's record lists the anonymous listing");
		free(body);
	}

	/* party_pre's deal, its pages and its notifications (which name the listing). */
	snprintf(path, sizeof path, DEALS "/%s", w->deal_pre);
	check_get(f, w, &s, PARTY_PRE, path, false);
	check_get(f, w, &s, PARTY_PRE, DEALS, false);
	snprintf(path, sizeof path, DEALS "/%s/messages", w->deal_pre);
	check_get(f, w, &s, PARTY_PRE, path, false);
	snprintf(path, sizeof path, DEALS "/%s/events", w->deal_pre);
	check_get(f, w, &s, PARTY_PRE, path, false);
	char *body = get_body("/api/v1/notifications?limit=100", w->pre.token);
	note_leak(f, body, &s, true, "party_pre", "GET /api/v1/notifications");
	if (!lists(body, w->shared.ref))
		note_for(f, PARTY_PRE, "no notification names the listing, so they prove nothing");
	free(body);

	/* The administrator's report carries no confidential text, as JSON or CSV. */
	const struct secrets text_only = {w->secret, w->secret, NULL, NULL};
	body = get_body("/api/v1/reports/summary", w->admin.token);
	note_leak(f, body, &text_only, false, "admin", "the report summary");
	free(body);
	body = get_body("/api/v1/reports/summary?format=csv", w->admin.token);
	note_leak(f, body, &text_only, false, "admin", "the report summary as CSV");
	free(body);

	/* The other side, so that the checks above can fail: those entitled see both. */
	for (size_t k = 0; k < sizeof entitled / sizeof entitled[0]; k++)
		if (!discloses(w, entitled[k], w->secret, name))
			note_for(f, entitled[k], "GET /listings/{id} does not show the confidential text and the owner");
	snprintf(path, sizeof path, DEALS "/%s", w->deal_post);
	body = get_body(path, w->post.token);
	if (!lists(body, w->org_marker))
		note_for(f, PARTY_POST, "the negotiating deal does not name the listing's owner");
	free(body);
	snprintf(path, sizeof path, "/api/v1/st-tasks/%s", w->st_task);
	body = get_body(path, w->owner.token);
	if (!lists(body, w->shared.id))
		note_for(f, OWNER, "the S&T task's record does not list the owner's own listing");
	free(body);
	snprintf(path, sizeof path, DEALS "/%s/events", w->deal_post);
	body = get_body(path, w->post.token);
	if (!lists(body, w->person_marker))
		note_for(f, PARTY_POST, "the negotiating deal's events do not name who on the listing side acted");
	free(body);
	snprintf(path, sizeof path, DEALS "/%s/messages", w->deal_pre);
	body = get_body(path, w->owner.token);
	if (!lists(body, w->person_marker))
		note_for(f, OWNER, "the owner's own messages do not carry the owner's name");
	free(body);
}

/*
 * One world for both checks (building one takes a dozen password hashes):
 * the leaks first, while the world is as built, then every cell.
 */
START_TEST(test_matrix_and_leaks)
{
	struct table t;
	table_read(&t);
	struct world w;
	world_build(&w);
	struct api_failures leaks = {0}, cells = {0};
	double t0 = it_now();
	check_leaks(&w, &leaks);
	double t1 = it_now();
	size_t n = call_cells(&w, &t, &cells);
	fprintf(stderr, "test_authz: leaks checked in %.1f s; %zu operations x %d callers = %zu cells called in %.1f s\n",
		t1 - t0, t.n, NCALLERS, n, it_now() - t1);
	ck_assert_msg(leaks.len == 0 && cells.len == 0, "%s%s%s%s",
		      leaks.len ? "what callers not entitled to it see:" : "", leaks.len ? leaks.s : "",
		      cells.len ? "\ncells that answer other than the matrix says:" : "", cells.len ? cells.s : "");
	free(t.rows);
	world_free(&w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_authz");
	TCase *tc = tcase_create("authz");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_every_operation_has_a_row);
	tcase_add_test(tc, test_matrix_and_leaks);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
