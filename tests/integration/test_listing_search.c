/*
 * Finding listings against the real binary and PostgreSQL (DESIGN.md
 * section 4, the listings contract of issue 8): full-text search with and
 * without Vietnamese diacritics, every filter of GET /api/v1/listings, the
 * sort orders, keyset pages that neither repeat nor skip while listings
 * are published between fetches, signed cursors, and the public changes
 * feed kept as an exact mirror while another process changes listings.
 *
 * Every fixture title carries a word unique to the run and the test
 * (api_marker()), and every query names it in q=, so that listings of other
 * suites and runs in the same database never take part.  The changes-feed
 * test is the exception: it mirrors the whole feed and compares it with
 * the whole table.
 *
 * One server for the suite (api_run).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "harness.h"

#define LISTINGS "/api/v1/listings"

/* ------------------------------------------------------------ helpers */

/* Percent-encodes text for a query string into out. */
static void urlenc(const char *text, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && o + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p) != NULL) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

static void verified_member(struct api_acct *a, const struct api_acct *admin, const char *who, const char *org,
			    const char *province)
{
	api_register(a, who, org, "enterprise", province);
	api_login(a);
	char path[160];
	api_org_path(path, sizeof path, a->org_id, "/verify");
	api_expect_only(200, "POST", path, admin->token, "{\"note\":\"ok\"}");
}

static void action(const char *token, const char *id, const char *what, int status)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/%s", id, what);
	api_expect_only(status, "POST", path, token, NULL);
}

/* Creates a listing from doc (taken over) into id; publishes it unless `state` says draft or pending_review. */
static void make(const struct api_acct *owner, const struct api_acct *admin, json_t *doc, const char *state,
		 char id[40])
{
	char *body = api_dump(doc);
	json_t *got = api_expect_json(201, "POST", LISTINGS, owner->token, body);
	free(body);
	snprintf(id, 40, "%s", api_str(got, "id"));
	json_decref(got);
	if (strcmp(state, "draft") == 0)
		return;
	action(owner->token, id, "submit", 200);
	if (strcmp(state, "pending_review") == 0)
		return;
	action(admin->token, id, "approve", 200);
}

static json_t *simple_doc(const char *title, json_int_t price_min)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "technology_offer", "title", title, "sector", "2.2",
			      "province", "quang-tri", "trl", 5);
	ck_assert(d != NULL);
	if (price_min >= 0)
		json_object_set_new(d, "price_min_vnd", json_integer(price_min));
	return d;
}

/* Fixture names for messages: which id is which. */
struct names {
	const char *ids[16];
	const char *labels[16];
	size_t n;
};

static const char *label_of(const struct names *nm, const char *id)
{
	for (size_t i = 0; i < nm->n; i++)
		if (strcmp(nm->ids[i], id) == 0)
			return nm->labels[i];
	return "another listing";
}

/* GET /listings?<query> returns exactly `want` (NULL-terminated ids), in that order when `ordered`. */
static void expect_ids(const struct names *nm, const char *query, const char *const *want, bool ordered)
{
	json_t *items = api_list_all(LISTINGS, query, NULL);
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	char got[1024] = "", exp[1024] = "";
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		ck_assert_str_eq(api_str(it, "status"), "published");
		strncat(got, label_of(nm, api_str(it, "id")), sizeof got - strlen(got) - 2);
		strcat(got, " ");
	}
	for (i = 0; i < n; i++) {
		strncat(exp, label_of(nm, want[i]), sizeof exp - strlen(exp) - 2);
		strcat(exp, " ");
	}
	bool ok = json_array_size(items) == n;
	for (i = 0; ok && i < n; i++) {
		if (ordered) {
			ok = strcmp(api_str(json_array_get(items, i), "id"), want[i]) == 0;
		} else {
			bool found = false;
			size_t k;
			json_array_foreach(items, k, it)
				if (strcmp(api_str(it, "id"), want[i]) == 0)
					found = true;
			ok = found;
		}
	}
	json_decref(items);
	ck_assert_msg(ok, "GET /listings?%s: got [%s], expected %s[%s]", query, got, ordered ? "in order " : "", exp);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

/* ------------------------------------------------------------ the fixture set */

struct fixture {
	struct api_acct a, b, admin;
	char word[64];
	char l[7][40]; /* L1-L5 published, L6 a draft, L7 pending review */
	struct names nm;
};

static void fixture(struct fixture *f, const char *what)
{
	api_admin(&f->admin);
	char who[2][64];
	snprintf(who[0], sizeof who[0], "search-a-%s", what);
	snprintf(who[1], sizeof who[1], "search-b-%s", what);
	verified_member(&f->a, &f->admin, who[0], "Công ty Cổ phần Nông sản Quảng Trị", "quang-tri");
	verified_member(&f->b, &f->admin, who[1], "Hợp tác xã Nông nghiệp Phong Điền", "hue");
	api_marker(f->word, sizeof f->word, what);
	char t[7][200];
	snprintf(t[0], sizeof t[0], "Công nghệ sấy hồ tiêu bằng năng lượng mặt trời %s", f->word);
	snprintf(t[1], sizeof t[1], "Cần máy say lúa quy mô hộ gia đình %s", f->word);
	snprintf(t[2], sizeof t[2], "Máy phân tích quang phổ hấp thụ nguyên tử %s", f->word);
	snprintf(t[3], sizeof t[3], "Thiết bị đo độ ẩm cà phê nhân %s", f->word);
	snprintf(t[4], sizeof t[4], "Quy trình nhân giống lan kim tuyến %s", f->word);
	snprintf(t[5], sizeof t[5], "Công nghệ sấy cà phê chưa gửi duyệt %s", f->word);
	snprintf(t[6], sizeof t[6], "Công nghệ sấy gừng chờ duyệt %s", f->word);

	/* L1: technology offer, 4.1, Quảng Trị, TRL 6, patent, licensing+training, 100-300 M, KH43-T1. */
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:[s,s], s:I, s:I, s:[s], s:[s]}", "kind", "technology_offer",
		       "title", t[0], "sector", "4.1", "province", "quang-tri", "trl", 6, "ip_status", "patent",
		       "transfer_modes", "licensing", "training", "price_min_vnd", (json_int_t)100000000, "price_max_vnd",
		       (json_int_t)300000000, "indicators", "KH43-T1", "keywords", "hồ tiêu"),
	     "published", f->l[0]);
	/* L2 (organisation B): technology demand, field 4 itself, Huế, TRL 4, no IP, joint development, 50-80 M, KH43-T2. */
	make(&f->b, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:[s], s:I, s:I, s:[s]}", "kind", "technology_demand", "title",
		       t[1], "sector", "4", "province", "hue", "trl", 4, "ip_status", "none", "transfer_modes",
		       "joint_development", "price_min_vnd", (json_int_t)50000000, "price_max_vnd",
		       (json_int_t)80000000, "indicators", "KH43-T2"),
	     "published", f->l[1]);
	/* L3: equipment offer, 1.4, Đà Nẵng, no TRL, sale+lease, 500 M; "lan" only in its description. */
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:I, s:I, s:{s:s, s:i}}", "kind", "equipment_offer",
		       "title", t[2], "description", "Phù hợp phòng thí nghiệm kiểm nghiệm giống lan", "sector", "1.4",
		       "province", "da-nang", "transfer_modes", "sale", "lease", "price_min_vnd",
		       (json_int_t)500000000, "price_max_vnd", (json_int_t)500000000, "equipment", "condition",
		       "used", "year", 2019),
	     "published", f->l[2]);
	/* L4: equipment demand, 2.3, Quảng Trị, price negotiable, KH43-T1 and KH43-X1. */
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:{s:s}}", "kind", "equipment_demand", "title", t[3], "sector",
		       "2.3", "province", "quang-tri", "indicators", "KH43-T1", "KH43-X1", "equipment", "condition",
		       "new"),
	     "published", f->l[3]);
	/* L5: technology offer, 4.4, Quảng Trị, TRL 8, plant variety, assignment, from 20 M. */
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:[s], s:I}", "kind", "technology_offer", "title", t[4],
		       "sector", "4.4", "province", "quang-tri", "trl", 8, "ip_status", "plant_variety",
		       "transfer_modes", "assignment", "price_min_vnd", (json_int_t)20000000),
	     "published", f->l[4]);
	/* L6, L7: would match most queries, but are not published. */
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:i, s:[s]}", "kind", "technology_offer", "title", t[5], "sector", "4.1",
		       "province", "quang-tri", "trl", 6, "indicators", "KH43-T1"),
	     "draft", f->l[5]);
	make(&f->a, &f->admin,
	     json_pack("{s:s, s:s, s:s, s:s, s:i, s:[s]}", "kind", "technology_offer", "title", t[6], "sector", "4.1",
		       "province", "quang-tri", "trl", 6, "indicators", "KH43-T1"),
	     "pending_review", f->l[6]);
	static const char *const labels[] = {"L1", "L2", "L3", "L4", "L5", "L6(draft)", "L7(pending)"};
	f->nm.n = 7;
	for (size_t i = 0; i < 7; i++) {
		f->nm.ids[i] = f->l[i];
		f->nm.labels[i] = labels[i];
	}
}

/* "q=<text> <marker>&<rest>" percent-encoded into out. */
static void q_with(char *out, size_t size, const struct fixture *f, const char *text, const char *rest)
{
	char q[300], enc[900];
	snprintf(q, sizeof q, "%s%s%s", text, text[0] ? " " : "", f->word);
	urlenc(q, enc, sizeof enc);
	snprintf(out, size, "q=%s%s%s", enc, rest[0] ? "&" : "", rest);
}

/* ------------------------------------------------------------ full text */

START_TEST(test_diacritics)
{
	struct fixture f;
	fixture(&f, "dau");
	char q[1200];
	const char *L1 = f.l[0], *L2 = f.l[1], *L3 = f.l[2], *L4 = f.l[3], *L5 = f.l[4];

	q_with(q, sizeof q, &f, "", "limit=100");
	expect_ids(&f.nm, q, IDS(L1, L2, L3, L4, L5), false);
	/* Without accents, with them, in capitals. */
	q_with(q, sizeof q, &f, "cong nghe say", "");
	expect_ids(&f.nm, q, IDS(L1), false);
	q_with(q, sizeof q, &f, "công nghệ sấy", "");
	expect_ids(&f.nm, q, IDS(L1), false);
	q_with(q, sizeof q, &f, "CÔNG NGHỆ SẤY", "");
	expect_ids(&f.nm, q, IDS(L1), false);
	/* "sấy" finds "sấy" and the unaccented "say" alike, and "say" finds both too. */
	q_with(q, sizeof q, &f, "sấy", "");
	expect_ids(&f.nm, q, IDS(L1, L2), false);
	q_with(q, sizeof q, &f, "say", "");
	expect_ids(&f.nm, q, IDS(L1, L2), false);
	q_with(q, sizeof q, &f, "ho tieu", "");
	expect_ids(&f.nm, q, IDS(L1), false);
	q_with(q, sizeof q, &f, "hồ tiêu", "");
	expect_ids(&f.nm, q, IDS(L1), false);
	q_with(q, sizeof q, &f, "ca phe", "");
	expect_ids(&f.nm, q, IDS(L4), false);
	q_with(q, sizeof q, &f, "đo độ ẩm", "");
	expect_ids(&f.nm, q, IDS(L4), false);
	q_with(q, sizeof q, &f, "do do am", "");
	expect_ids(&f.nm, q, IDS(L4), false);
	/* The description is searched too. */
	q_with(q, sizeof q, &f, "kiem nghiem", "");
	expect_ids(&f.nm, q, IDS(L3), false);
	/* A word none has. */
	q_with(q, sizeof q, &f, "tôm", "");
	expect_ids(&f.nm, q, NONE, false);
	/*
	 * Short queries on their own (other listings of the database may match
	 * too): the fixture's listings are found, the unpublished ones never.
	 */
	const struct {
		const char *text;
		const char *const *found;
	} alone[] = {{"sấy", IDS(L1, L2)},        {"say", IDS(L1, L2)},  {"cong nghe say", IDS(L1)},
		     {"công nghệ sấy", IDS(L1)}, {"ho tieu", IDS(L1)},  {"ca phe", IDS(L4)},
		     {"quang pho", IDS(L3)},     {"lan kim tuyen", IDS(L5)}};
	for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
		char enc[300];
		urlenc(alone[i].text, enc, sizeof enc);
		snprintf(q, sizeof q, "q=%s&limit=100", enc);
		json_t *items = api_list_all(LISTINGS, q, NULL);
		for (size_t k = 0; alone[i].found[k] != NULL; k++)
			ck_assert_msg(api_has_id(items, alone[i].found[k]), "q=%s does not find %s", alone[i].text,
				      label_of(&f.nm, alone[i].found[k]));
		ck_assert_msg(!api_has_id(items, f.l[5]) && !api_has_id(items, f.l[6]), "q=%s finds an unpublished listing",
			      alone[i].text);
		json_decref(items);
	}

	/* Query syntax is never an error. */
	static const char *const odd[] = {"\"sấy hồ\"", "sấy -lúa", "sấy OR lúa", "(sấy", "'", "&|!:*", "\\"};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		q_with(q, sizeof q, &f, odd[i], "");
		json_decref(api_list_all(LISTINGS, q, NULL));
	}
}
END_TEST

/* ------------------------------------------------------------ filters */

/*
 * Typos: a one-word query that full text does not find is tried again
 * against titles by trigram similarity, and its later pages stay fuzzy;
 * a query of several words needs every one of them.
 */
START_TEST(test_typo)
{
	struct api_acct owner, admin;
	api_admin(&admin);
	verified_member(&owner, &admin, "typo", "Công ty Lỗi chính tả", "quang-tri");
	/* A word of this run only, short enough (24 letters) for the fuzzy
	 * second try, and the same word with one letter changed. */
	char word[25], typo[25], title[120], id[4][40];
	api_marker(word, sizeof word, "typo");
	snprintf(typo, sizeof typo, "%s", word);
	typo[10] = typo[10] == 'q' ? 'x' : 'q';
	for (int i = 0; i < 4; i++) {
		snprintf(title, sizeof title, "Thiết bị %s số %d", word, i + 1);
		make(&owner, &admin, simple_doc(title, -1), "published", id[i]);
	}
	char q[200];
	snprintf(q, sizeof q, "q=%s&limit=100", word);
	json_t *items = api_list_all(LISTINGS, q, NULL);
	ck_assert_int_eq(json_array_size(items), 4);
	json_decref(items);
	/* The typo finds all four, also over pages of one (the cursors stay fuzzy). */
	snprintf(q, sizeof q, "q=%s&limit=1", typo);
	items = api_list_all(LISTINGS, q, NULL);
	ck_assert_msg(json_array_size(items) == 4, "q=%s (one letter wrong) finds %zu of 4", typo,
		      json_array_size(items));
	for (int i = 0; i < 4; i++)
		ck_assert(api_has_id(items, id[i]));
	json_decref(items);
	/* Two words: both must be there, and no typo is forgiven. */
	snprintf(q, sizeof q, "q=%s%%20t%%C3%%B4m&limit=100", word);
	items = api_list_all(LISTINGS, q, NULL);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);
	snprintf(q, sizeof q, "q=%s%%20thi%%E1%%BA%%BFt&limit=100", typo);
	items = api_list_all(LISTINGS, q, NULL);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);
}
END_TEST

START_TEST(test_filters)
{
	struct fixture f;
	fixture(&f, "loc");
	char q[1200], rest[300];
	const char *L1 = f.l[0], *L2 = f.l[1], *L3 = f.l[2], *L4 = f.l[3], *L5 = f.l[4];
	const struct {
		const char *filter;
		const char *const *want;
	} cases[] = {
		{"kind=technology_offer", IDS(L1, L5)},
		{"kind=technology_demand", IDS(L2)},
		{"kind=equipment_offer", IDS(L3)},
		{"kind=equipment_demand", IDS(L4)},
		{"sector=4", IDS(L1, L2, L5)},
		{"sector=4.1", IDS(L1)},
		{"sector=4.4", IDS(L5)},
		{"sector=1", IDS(L3)},
		{"sector=2", IDS(L4)},
		{"sector=3", NONE},
		{"province=quang-tri", IDS(L1, L4, L5)},
		{"province=hue", IDS(L2)},
		{"province=da-nang", IDS(L3)},
		{"province=ha-noi", NONE},
		{"trl_min=6", IDS(L1, L5)},
		{"trl_min=7", IDS(L5)},
		{"trl_max=5", IDS(L2)},
		{"trl_max=6", IDS(L1, L2)},
		{"trl_min=4&trl_max=6", IDS(L1, L2)},
		{"ip_status=patent", IDS(L1)},
		{"ip_status=plant_variety", IDS(L5)},
		{"ip_status=none", IDS(L2)},
		{"ip_status=trade_secret", NONE},
		{"transfer_mode=licensing", IDS(L1)},
		{"transfer_mode=training", IDS(L1)},
		{"transfer_mode=sale", IDS(L3)},
		{"transfer_mode=lease", IDS(L3)},
		{"transfer_mode=joint_development", IDS(L2)},
		{"transfer_mode=turnkey", NONE},
		{"price_max_vnd=60000000", IDS(L2, L5)},
		{"price_max_vnd=100000000", IDS(L1, L2, L5)},
		{"price_max_vnd=20000000", IDS(L5)},
		{"price_max_vnd=0", NONE},
		{"indicator=KH43-T1", IDS(L1, L4)},
		{"indicator=KH43-X1", IDS(L4)},
		{"indicator=KH43-T2", IDS(L2)},
		{"indicator=KH43-T6", NONE},
		{"kind=technology_offer&sector=4&trl_min=7", IDS(L5)},
		{"province=quang-tri&indicator=KH43-T1", IDS(L1, L4)},
		{"kind=technology_offer&province=hue", NONE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(rest, sizeof rest, "%s&limit=100", cases[i].filter);
		q_with(q, sizeof q, &f, "", rest);
		expect_ids(&f.nm, q, cases[i].want, false);
	}
	snprintf(rest, sizeof rest, "organization=%s", f.a.org_id);
	q_with(q, sizeof q, &f, "", rest);
	expect_ids(&f.nm, q, IDS(L1, L3, L4, L5), false);
	snprintf(rest, sizeof rest, "organization=%s", f.b.org_id);
	q_with(q, sizeof q, &f, "", rest);
	expect_ids(&f.nm, q, IDS(L2), false);
	snprintf(rest, sizeof rest, "organization=%s&kind=technology_offer", f.b.org_id);
	q_with(q, sizeof q, &f, "", rest);
	expect_ids(&f.nm, q, NONE, false);
	q_with(q, sizeof q, &f, "", "organization=6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab");
	expect_ids(&f.nm, q, NONE, false);
	/* The filters with the text: "sấy" is in L1 (4.1) and L2 (4). */
	q_with(q, sizeof q, &f, "sấy", "sector=4.1");
	expect_ids(&f.nm, q, IDS(L1), false);
	q_with(q, sizeof q, &f, "say", "kind=technology_demand");
	expect_ids(&f.nm, q, IDS(L2), false);

	/* Bad values: 400, never a guess. */
	static const char *const bad[] = {
		"kind=technology",   "sector=9.9",         "sector=4.",          "sector=abc",
		"province=atlantis", "province=Quang-Tri", "trl_min=0",          "trl_min=10",
		"trl_min=abc",       "trl_max=1.5",        "trl_max=-1",         "ip_status=bang",
		"transfer_mode=barter", "transfer_mode=licensing,training", "price_max_vnd=-1", "price_max_vnd=abc",
		"price_max_vnd=1e9", "price_max_vnd=99999999999999999999", "organization=abc", "organization=6f1c2d3e",
		"indicator=KH43-T9", "sort=name",          "limit=0",            "limit=101",
		"limit=abc",         "mine=maybe",         "status=deleted",     "bogus=1",
		"cursor=!!!",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[400];
		snprintf(path, sizeof path, LISTINGS "?%s", bad[i]);
		struct it_response r;
		api_call(&r, "GET", path, f.admin.token, NULL, NULL); /* an admin: no 401/403 before the value */
		ck_assert_msg(r.status == 400, "GET %s: status %d, expected 400: %.300s", path, r.status, r.body);
		it_assert_problem(&r, 400);
		it_response_free(&r);
	}
}
END_TEST

/* ------------------------------------------------------------ sort orders */

START_TEST(test_sort)
{
	struct fixture f;
	fixture(&f, "thutu");
	char q[1200];
	const char *L1 = f.l[0], *L2 = f.l[1], *L3 = f.l[2], *L4 = f.l[3], *L5 = f.l[4];
	/* newest: the last published first (they were approved L1 to L5). */
	q_with(q, sizeof q, &f, "", "sort=newest");
	expect_ids(&f.nm, q, IDS(L5, L4, L3, L2, L1), true);
	/* price: the lowest minimum first, negotiable (no price) last. */
	q_with(q, sizeof q, &f, "", "sort=price");
	expect_ids(&f.nm, q, IDS(L5, L2, L1, L3, L4), true);
	q_with(q, sizeof q, &f, "", "sort=price&limit=2");
	expect_ids(&f.nm, q, IDS(L5, L2, L1, L3, L4), true);
	/* relevance: a word in the title ranks above the same word in the description. */
	q_with(q, sizeof q, &f, "lan", "sort=relevance");
	expect_ids(&f.nm, q, IDS(L5, L3), true);
	q_with(q, sizeof q, &f, "lan", "");
	expect_ids(&f.nm, q, IDS(L5, L3), true); /* relevance is the default with q */
	q_with(q, sizeof q, &f, "lan", "sort=relevance&limit=1");
	expect_ids(&f.nm, q, IDS(L5, L3), true);

	/* Re-publication moves a listing to the top of newest. */
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s", L1);
	api_expect_only(200, "PATCH", path, f.a.token, "{\"summary\":\"Công suất 500 kg/mẻ\"}");
	action(f.admin.token, L1, "approve", 200);
	q_with(q, sizeof q, &f, "", "sort=newest");
	expect_ids(&f.nm, q, IDS(L1, L5, L4, L3, L2), true);
}
END_TEST

/* ------------------------------------------------------------ keyset pages */

/* One page of GET /listings?<query>&limit=3[&cursor=]: its ids appended to seen; the next cursor into cursor. */
static bool page(const char *query, char *cursor, size_t cursor_size, json_t *seen)
{
	char path[1400];
	snprintf(path, sizeof path, LISTINGS "?%s&limit=3%s%s", query, cursor[0] ? "&cursor=" : "", cursor);
	json_t *doc = api_expect_json(200, "GET", path, NULL, NULL);
	json_t *items = json_object_get(doc, "items");
	ck_assert_msg(json_array_size(items) <= 3, "%s: %zu items", path, json_array_size(items));
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		json_array_append(seen, it);
	json_t *next = json_object_get(doc, "next_cursor");
	bool more = json_is_string(next);
	if (more) {
		ck_assert_msg(strlen(json_string_value(next)) < cursor_size, "a cursor of %zu characters",
			      strlen(json_string_value(next)));
		snprintf(cursor, cursor_size, "%s", json_string_value(next));
	}
	json_decref(doc);
	return more;
}

static void assert_no_duplicates(json_t *seen, const char *what)
{
	for (size_t i = 0; i < json_array_size(seen); i++)
		for (size_t k = i + 1; k < json_array_size(seen); k++)
			ck_assert_msg(strcmp(api_str(json_array_get(seen, i), "id"),
					     api_str(json_array_get(seen, k), "id")) != 0,
				      "%s: listing %s seen twice", what, api_str(json_array_get(seen, i), "id"));
}

static long index_of(json_t *seen, const char *id)
{
	for (size_t i = 0; i < json_array_size(seen); i++)
		if (strcmp(api_str(json_array_get(seen, i), "id"), id) == 0)
			return (long)i;
	return -1;
}

START_TEST(test_keyset_pages)
{
	struct api_acct a, admin;
	api_admin(&admin);
	verified_member(&a, &admin, "pages-a", "Công ty TNHH Phần mềm Đông Hà", "quang-tri");
	char word[64], title[200], q[200];
	api_marker(word, sizeof word, "trang");
	snprintf(q, sizeof q, "q=%s", word);
	enum { N = 10 };
	char orig[N][40];
	for (int i = 0; i < N; i++) {
		snprintf(title, sizeof title, "Phần mềm quản lý trang trại số %d %s", i, word);
		make(&a, &admin, simple_doc(title, (json_int_t)(i + 1) * 10000000), "published", orig[i]);
	}

	/* newest, limit 3, a new listing published before each next page: exactly the ten, newest first. */
	char fresh[8][40];
	int nfresh = 0;
	json_t *seen = json_array();
	char cursor[512] = "";
	char newest_q[300];
	snprintf(newest_q, sizeof newest_q, "%s&sort=newest", q);
	while (page(newest_q, cursor, sizeof cursor, seen)) {
		ck_assert_msg(nfresh < 8, "too many pages");
		snprintf(title, sizeof title, "Phần mềm mới xen giữa các trang %d %s", nfresh, word);
		make(&a, &admin, simple_doc(title, 55000000), "published", fresh[nfresh++]);
	}
	ck_assert_msg(nfresh == 3, "%d pages of three for ten listings", nfresh + 1);
	assert_no_duplicates(seen, "newest");
	ck_assert_msg(json_array_size(seen) == N, "newest walk saw %zu listings, expected %d", json_array_size(seen), N);
	for (int i = 0; i < N; i++)
		ck_assert_msg(index_of(seen, orig[i]) == N - 1 - i, "listing %d is at %ld of the newest walk", i,
			      index_of(seen, orig[i]));
	json_decref(seen);

	/* price, limit 3: one cheaper (behind the cursor) and one dearer (ahead) published after the first page. */
	seen = json_array();
	cursor[0] = '\0';
	char price_q[300];
	snprintf(price_q, sizeof price_q, "%s&sort=price", q);
	char cheap[40], dear[40];
	bool more = page(price_q, cursor, sizeof cursor, seen);
	ck_assert(more);
	snprintf(title, sizeof title, "Phần mềm giá rẻ %s", word);
	make(&a, &admin, simple_doc(title, 1000000), "published", cheap);
	snprintf(title, sizeof title, "Phần mềm giá cao %s", word);
	make(&a, &admin, simple_doc(title, 95000000), "published", dear);
	while (page(price_q, cursor, sizeof cursor, seen))
		;
	assert_no_duplicates(seen, "price");
	for (int i = 0; i < N; i++)
		ck_assert_msg(index_of(seen, orig[i]) >= 0, "the price walk skipped listing %d", i);
	ck_assert_msg(index_of(seen, cheap) < 0, "a listing published behind the cursor shows up");
	ck_assert_msg(index_of(seen, dear) >= 0, "a listing published ahead of the cursor is skipped");
	long last = -1;
	for (size_t i = 0; i < json_array_size(seen); i++) {
		json_t *p = json_object_get(json_array_get(seen, i), "price_min_vnd");
		long v = json_is_integer(p) ? (long)json_integer_value(p) : -1;
		ck_assert_msg(v >= last, "price walk not ascending at %zu: %ld after %ld", i, v, last);
		last = v;
	}

	/* Cursors are the server's own: garbage, an altered one, or one of another sort are refused. */
	char path[1400], raw[256], enc[512];
	cursor[0] = '\0';
	json_decref(seen);
	seen = json_array();
	ck_assert(page(price_q, cursor, sizeof cursor, seen));
	json_decref(seen);
	char good[1400];
	snprintf(good, sizeof good, LISTINGS "?%s&limit=3&cursor=%s", price_q, cursor);
	api_expect_only(200, "GET", good, NULL, NULL);
	char altered[512];
	snprintf(altered, sizeof altered, "%s", cursor);
	size_t mid = strlen(altered) / 2;
	altered[mid] = altered[mid] == 'A' ? 'B' : 'A';
	snprintf(path, sizeof path, LISTINGS "?%s&limit=3&cursor=%s", price_q, altered);
	api_expect_only(400, "GET", path, NULL, NULL);
	altered[mid] = cursor[mid];
	altered[0] = altered[0] == 'A' ? 'B' : 'A';
	snprintf(path, sizeof path, LISTINGS "?%s&limit=3&cursor=%s", price_q, altered);
	api_expect_only(400, "GET", path, NULL, NULL);
	snprintf(path, sizeof path, LISTINGS "?%s&limit=3&cursor=%s", newest_q, cursor);
	api_expect_only(400, "GET", path, NULL, NULL);
	snprintf(path, sizeof path, LISTINGS "?%s&limit=3&cursor=%.*s", price_q, (int)(strlen(cursor) - 2), cursor);
	api_expect_only(400, "GET", path, NULL, NULL);
	api_b64url("2026-11-28T00:00:00Z|6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab", raw, sizeof raw);
	snprintf(path, sizeof path, LISTINGS "?%s&cursor=%s", newest_q, raw);
	api_expect_only(400, "GET", path, NULL, NULL);
	api_b64url("abc", raw, sizeof raw);
	snprintf(path, sizeof path, LISTINGS "?%s&cursor=%s", newest_q, raw);
	api_expect_only(400, "GET", path, NULL, NULL);
	urlenc("!!!/+=", enc, sizeof enc);
	snprintf(path, sizeof path, LISTINGS "?%s&cursor=%s", newest_q, enc);
	api_expect_only(400, "GET", path, NULL, NULL);
}
END_TEST

/* ------------------------------------------------------------ the changes feed */

/* The mirror a consumer keeps: id -> version (integer) while listed, null once tombstoned. */
struct mirror {
	json_t *map;
	long long last_seq;
	char since[512];
	long items;
};

/* Follows the feed from m->since for at most max_pages pages or until next_cursor is null, applying every change. */
static void follow_pages(struct mirror *m, int limit, int max_pages)
{
	for (int pages = 0; pages < max_pages; pages++) {
		char path[700];
		snprintf(path, sizeof path, LISTINGS "/changes?limit=%d%s%s", limit, m->since[0] ? "&since=" : "", m->since);
		json_t *doc = api_expect_json(200, "GET", path, NULL, NULL);
		json_t *items = json_object_get(doc, "items");
		ck_assert_msg(json_is_array(items), "%s: no items", path);
		ck_assert_msg((int)json_array_size(items) <= limit, "%s: %zu items", path, json_array_size(items));
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			json_t *seq = json_object_get(it, "seq");
			ck_assert_msg(json_is_integer(seq), "a change without an integer seq");
			ck_assert_msg(json_integer_value(seq) > m->last_seq, "seq %lld after %lld",
				      (long long)json_integer_value(seq), m->last_seq);
			m->last_seq = json_integer_value(seq);
			const char *id = api_str(it, "id"), *change = api_str(it, "change");
			(void)api_str(it, "ref");
			ck_assert_msg(api_parse_utc(api_str(it, "changed_at")) > 0 ||
					      strlen(api_str(it, "changed_at")) > 20,
				      "changed_at %s", api_str(it, "changed_at"));
			json_t *listing = json_object_get(it, "listing");
			if (strcmp(change, "upsert") == 0) {
				ck_assert_msg(json_is_object(listing), "an upsert of %s without its listing", id);
				ck_assert_str_eq(api_str(listing, "id"), id);
				ck_assert_str_eq(api_str(listing, "status"), "published");
				ck_assert_msg(json_object_get(listing, "confidential") == NULL,
					      "the feed carries the confidential text of %s", id);
				json_object_set_new(m->map, id, json_integer(json_integer_value(json_object_get(listing, "version"))));
			} else {
				ck_assert_msg(strcmp(change, "tombstone") == 0, "change %s", change);
				ck_assert_msg(json_is_null(listing), "a tombstone of %s with a listing", id);
				json_object_set_new(m->map, id, json_null());
			}
			m->items++;
		}
		json_t *last = json_object_get(doc, "last_cursor");
		json_t *next = json_object_get(doc, "next_cursor");
		ck_assert_msg(json_is_string(last) || (json_is_null(last) && json_array_size(items) == 0 && m->since[0] == '\0'),
			      "%s: last_cursor is not a string", path);
		ck_assert_msg(json_is_null(next) || json_is_string(next), "%s: next_cursor", path);
		bool more = json_is_string(next);
		if (more)
			ck_assert_msg(json_array_size(items) > 0, "%s: an empty page with a next_cursor", path);
		if (json_is_string(last)) {
			ck_assert(strlen(json_string_value(last)) < sizeof m->since);
			snprintf(m->since, sizeof m->since, "%s", json_string_value(last));
		}
		if (more) {
			ck_assert(strlen(json_string_value(next)) < sizeof m->since);
			snprintf(m->since, sizeof m->since, "%s", json_string_value(next));
		}
		json_decref(doc);
		if (!more)
			return;
	}
}

static void follow(struct mirror *m, int limit)
{
	follow_pages(m, limit, 20000);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The mirror's listed ids with versions, "id:version,..." in id order (free it). */
static char *mirror_text(const struct mirror *m)
{
	size_t n = json_object_size(m->map), k = 0;
	char **lines = calloc(n + 1, sizeof *lines);
	ck_assert(lines != NULL);
	const char *key;
	json_t *v;
	json_object_foreach(m->map, key, v) {
		if (json_is_null(v))
			continue;
		lines[k] = malloc(64);
		ck_assert(lines[k] != NULL);
		snprintf(lines[k], 64, "%s:%lld", key, (long long)json_integer_value(v));
		k++;
	}
	qsort(lines, k, sizeof *lines, cmp_str);
	char *s = calloc(k * 64 + 1, 1);
	ck_assert(s != NULL);
	for (size_t i = 0; i < k; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return s;
}

static void assert_mirror_exact(const struct mirror *m, const char *when)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char *want = api_sql_value(pg, "SELECT coalesce(string_agg(id::text || ':' || version, ',' ORDER BY id::text), '')"
				       " FROM listings WHERE status = 'published'",
				   NULL, NULL);
	PQfinish(pg);
	char *got = mirror_text(m);
	ck_assert(want != NULL);
	if (strcmp(got, want) != 0) {
		/* Name the first difference. */
		char msg[600] = "";
		json_t *wmap = json_object();
		char *save = NULL;
		for (char *tok = strtok_r(want, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');
			*colon = '\0';
			json_object_set_new(wmap, tok, json_integer(strtoll(colon + 1, NULL, 10)));
		}
		const char *key;
		json_t *v;
		json_object_foreach(wmap, key, v) {
			json_t *mv = json_object_get(m->map, key);
			if (msg[0] == '\0' && (!json_is_integer(mv) || json_integer_value(mv) != json_integer_value(v)))
				snprintf(msg, sizeof msg, "published %s v%lld is %s in the mirror", key,
					 (long long)json_integer_value(v),
					 mv == NULL ? "missing" : json_is_null(mv) ? "tombstoned" : "at another version");
		}
		json_object_foreach(m->map, key, v) {
			if (msg[0] == '\0' && json_is_integer(v) && json_object_get(wmap, key) == NULL)
				snprintf(msg, sizeof msg, "%s is listed in the mirror but not published", key);
		}
		json_decref(wmap);
		free(got);
		free(want);
		ck_abort_msg("%s: the mirror differs from the published listings: %s", when, msg);
	}
	free(got);
	free(want);
}

/* The child's requests: plain it_http, no Check calls (it is a fork of the test). */
static int child_request(int port, const char *method, const char *path, const char *token, const char *body)
{
	char auth[128];
	const char *headers[3] = {auth, NULL, NULL};
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	if (body != NULL)
		headers[1] = "Content-Type: application/json";
	struct it_response r;
	if (!it_http(port, method, path, headers, body, body ? strlen(body) : 0, &r))
		return -1;
	int status = r.status;
	it_response_free(&r);
	return status;
}

/*
 * Each of n pending listings goes approve, edit (back to review), approve,
 * edit, approve, close; one step of every listing at a time.  Exits 0 when
 * every request got 200, else 1 with the failure on stderr.
 */
static void child_churn(int go, int port, const char *owner, const char *admin, char (*ids)[40], int n)
{
	char byte;
	if (read(go, &byte, 1) != 1) /* the consumer has read its first page */
		_exit(2);
	static const char *const steps[] = {"approve", "edit", "approve", "edit", "approve", "close"};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		for (int i = 0; i < n; i++) {
			char path[200], body[120];
			int status;
			if (strcmp(steps[s], "edit") == 0) {
				snprintf(path, sizeof path, LISTINGS "/%.39s", ids[i]);
				snprintf(body, sizeof body, "{\"summary\":\"Bản sửa ở bước %zu\"}", s);
				status = child_request(port, "PATCH", path, owner, body);
			} else {
				snprintf(path, sizeof path, LISTINGS "/%.39s/%s", ids[i], steps[s]);
				status = child_request(port, "POST", path, strcmp(steps[s], "close") == 0 ? owner : admin,
						       NULL);
			}
			if (status != 200) {
				fprintf(stderr, "churn: %s of %s: status %d\n", steps[s], ids[i], status);
				_exit(1);
			}
		}
	}
	_exit(0);
}

START_TEST(test_changes_feed_mirror)
{
	struct api_acct a, admin;
	api_admin(&admin);
	verified_member(&a, &admin, "feed-a", "Trung tâm Thông tin KH&CN Quảng Trị", "quang-tri");
	char word[64], title[200];
	api_marker(word, sizeof word, "nguonthaydoi");
	enum { N = 12 };
	char ids[N][40];
	for (int i = 0; i < N; i++) {
		snprintf(title, sizeof title, "Tin thay đổi liên tục số %d %s", i, word);
		json_t *doc = simple_doc(title, 1000000 * (i + 1));
		if (i % 3 == 0) {
			json_object_set_new(doc, "confidential", json_string("bí quyết không lên nguồn"));
			json_object_set_new(doc, "anonymous", json_true());
		}
		make(&a, &admin, doc, "pending_review", ids[i]);
	}
	/* Some that are published and stay so, and one closed before the feed is read. */
	char steady[40], gone[40];
	snprintf(title, sizeof title, "Tin ổn định %s", word);
	make(&a, &admin, simple_doc(title, -1), "published", steady);
	snprintf(title, sizeof title, "Tin đã đóng %s", word);
	make(&a, &admin, simple_doc(title, -1), "published", gone);
	action(a.token, gone, "close", 200);

	/* A consumer replays the feed from the start while another process changes listings. */
	int port = api_port(), go[2];
	ck_assert(pipe(go) == 0);
	pid_t child = fork();
	ck_assert_msg(child >= 0, "fork failed");
	if (child == 0) {
		close(go[1]);
		child_churn(go[0], port, a.token, admin.token, ids, N);
	}
	close(go[0]);
	struct mirror m = {json_object(), -1, "", 0};
	follow_pages(&m, 7, 1);
	ck_assert(write(go[1], "g", 1) == 1);
	close(go[1]);
	follow(&m, 7);
	ck_assert_msg(json_is_integer(json_object_get(m.map, steady)), "the steady listing is not in the mirror");
	ck_assert_msg(json_is_null(json_object_get(m.map, gone)), "the closed listing is not a tombstone");

	/* Paused (its request in flight allowed to finish), the churn leaves the feed and the table equal. */
	bool paused = kill(child, SIGSTOP) == 0;
	it_sleep_ms(800);
	follow(&m, 7);
	assert_mirror_exact(&m, "with the churn paused");
	{
		PGconn *pg = it_pg_connect(it_db_url());
		char like[80];
		snprintf(like, sizeof like, "%%%s", word);
		long closed = api_sql_long(pg, "SELECT count(*) FROM listings WHERE status = 'closed' AND title LIKE $1",
					   like, NULL);
		PQfinish(pg);
		if (closed > N) /* all N and the one closed before */
			fprintf(stderr, "note: the churn had finished before the pause; the paused comparison is not mid-churn\n");
	}
	if (paused)
		kill(child, SIGCONT);

	/* Keep polling from last_cursor while it runs on, then once it is done. */
	for (int i = 0; i < 5; i++) {
		follow(&m, 50);
		it_sleep_ms(100);
	}
	int rc = it_wait_exit(child, 120000);
	ck_assert_msg(rc == 0, "the churning process exited with %d", rc);
	follow(&m, 50);
	assert_mirror_exact(&m, "after the churn");
	for (int i = 0; i < N; i++)
		ck_assert_msg(json_is_null(json_object_get(m.map, ids[i])), "closed listing %d is not a tombstone", i);

	/* Nothing new: the same position, no items. */
	char path[700];
	snprintf(path, sizeof path, LISTINGS "/changes?since=%s", m.since);
	json_t *doc = api_expect_json(200, "GET", path, NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "items")), 0);
	ck_assert(json_is_null(json_object_get(doc, "next_cursor")));
	(void)api_str(doc, "last_cursor"); /* a position to poll from again */
	json_decref(doc);

	/* A later edit of a published listing is one more upsert with its new version. */
	snprintf(path, sizeof path, LISTINGS "/%s/suspend", steady);
	api_expect_only(200, "POST", path, admin.token, "{\"reason\":\"Kiểm tra lại\"}");
	follow(&m, 50);
	ck_assert(json_is_null(json_object_get(m.map, steady)));
	action(admin.token, steady, "reinstate", 200);
	follow(&m, 50);
	ck_assert(json_is_integer(json_object_get(m.map, steady)));
	assert_mirror_exact(&m, "after a suspension and reinstatement");

	/* A cursor the server did not make. */
	api_expect_only(400, "GET", LISTINGS "/changes?since=!!!", NULL, NULL);
	api_expect_only(400, "GET", LISTINGS "/changes?limit=0", NULL, NULL);
	api_expect_only(400, "GET", LISTINGS "/changes?limit=1000", NULL, NULL);
	json_decref(m.map);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_listing_search");
	TCase *tc = tcase_create("listing_search");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_diacritics);
	tcase_add_test(tc, test_typo);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_keyset_pages);
	tcase_add_test(tc, test_changes_feed_mirror);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
