/*
 * Matches against the real binary and PostgreSQL (DESIGN.md section 4, the
 * "Matches" section of the contract of issue 9): GET
 * /api/v1/listings/{id}/matches ranks the published listings of the
 * complementary kind (technology offer <-> demand, equipment offer <->
 * demand) of other organisations by
 *
 *	score = 0.25 sector + 0.25 keywords + 0.20 text + 0.10 fit
 *	      + 0.10 price + 0.05 province + 0.05 freshness
 *
 * and gives each its components and the reasons (in Vietnamese) of those
 * that matched; publishing a listing tells the organisations owning its
 * best matches (score >= 0.5), shortly after the commit, with a
 * `listing_match` notification.
 *
 * Fixtures.  Matches consider every published listing of the database,
 * and seed-demo (test_seed_demo, run before this suite) publishes
 * hundreds of offers about drying pepper and coffee in fields 1-4 (4.1
 * above all).  So each test here uses subfields and words that neither
 * the demo data nor the other suites use (fields 5 and 6, 1.3, 1.7), a
 * set of its own, so that its listings are among the 50 best of its own
 * demand; every title carries a word unique to the run and the test
 * (api_marker()), which gives this run's listings text in common that
 * those of earlier runs on the same database lack; and assertions about
 * order look at this run's ids (apart from "the best is first", which
 * holds against earlier runs' copies too: they lack the marker).  A test
 * that passes closes the listings it published, so that reruns on one
 * database do not pile up copies that outrank the weaker fixtures.  The
 * listings that must never appear are written like the best match, so
 * that they would rank at the top if they were let in.
 *
 * Saved-search and match notifications are computed within about a second
 * after the approval commits: the tests poll for those that must come (up
 * to 5 s) and wait 2 s before concluding that one does not.
 *
 * One server for the suite (api_run).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"

#define LISTINGS "/api/v1/listings"

/* How far a score may be from the weighted sum of its components (3 decimals each). */
#define SUM_EPS 0.002
/* How far a component may be from the value the formula gives. */
#define EPS 0.0005

#define KW(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_KW ((const char *const[]){NULL})

static const char *const components[] = {"sector", "keywords", "text", "fit", "price", "province", "freshness"};
static const double weights[] = {0.25, 0.25, 0.20, 0.10, 0.10, 0.05, 0.05};

/* ------------------------------------------------------------ listings */

struct made {
	char id[40], ref[40];
	const char *owner_token; /* the token of the account that made it */
	bool published;
};

static void verified_member(struct api_acct *a, const struct api_acct *admin, const char *who, const char *org,
			    const char *province)
{
	api_register(a, who, org, "enterprise", province);
	api_login(a);
	char path[160];
	api_org_path(path, sizeof path, a->org_id, "/verify");
	api_expect_only(200, "POST", path, admin->token, "{\"note\":\"ok\"}");
}

static void action(const char *token, const char *id, const char *what)
{
	char path[200];
	snprintf(path, sizeof path, LISTINGS "/%s/%s", id, what);
	api_expect_only(200, "POST", path, token, NULL);
}

/*
 * A creation document: kind, "<title> <word>", sector, province, keywords
 * (NULL-terminated), trl (0: none), prices (-1: none).  Equipment kinds get
 * an `equipment` member; set transfer_modes etc. on the result.
 */
static json_t *doc(const char *kind, const char *title, const char *word, const char *sector, const char *province,
		   const char *const *keywords, int trl, json_int_t price_min, json_int_t price_max)
{
	char full[300];
	snprintf(full, sizeof full, "%s %s", title, word);
	json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "title", full, "sector", sector, "province", province);
	ck_assert(d != NULL);
	json_t *kw = json_array();
	for (size_t i = 0; keywords[i] != NULL; i++)
		json_array_append_new(kw, json_string(keywords[i]));
	json_object_set_new(d, "keywords", kw);
	if (trl > 0)
		json_object_set_new(d, "trl", json_integer(trl));
	if (price_min >= 0)
		json_object_set_new(d, "price_min_vnd", json_integer(price_min));
	if (price_max >= 0)
		json_object_set_new(d, "price_max_vnd", json_integer(price_max));
	if (strncmp(kind, "equipment", 9) == 0)
		json_object_set_new(d, "equipment", json_pack("{s:s}", "condition", "used"));
	return d;
}

/* Sets transfer_modes of d to the NULL-terminated list; returns d. */
static json_t *with_modes(json_t *d, const char *const *modes)
{
	json_t *m = json_array();
	for (size_t i = 0; modes[i] != NULL; i++)
		json_array_append_new(m, json_string(modes[i]));
	json_object_set_new(d, "transfer_modes", m);
	return d;
}

/*
 * Creates a listing of owner's from d (taken over) into out and takes it to
 * `state`: draft, pending_review, published or closed.
 */
static void make(const struct api_acct *owner, const struct api_acct *admin, json_t *d, const char *state,
		 struct made *out)
{
	char *body = api_dump(d);
	json_t *got = api_expect_json(201, "POST", LISTINGS, owner->token, body);
	free(body);
	snprintf(out->id, sizeof out->id, "%s", api_str(got, "id"));
	snprintf(out->ref, sizeof out->ref, "%s", api_str(got, "ref"));
	out->owner_token = owner->token;
	out->published = false;
	json_decref(got);
	if (strcmp(state, "draft") == 0)
		return;
	action(owner->token, out->id, "submit");
	if (strcmp(state, "pending_review") == 0)
		return;
	action(admin->token, out->id, "approve");
	out->published = strcmp(state, "closed") != 0;
	if (!out->published)
		action(owner->token, out->id, "close");
}

/*
 * Closes, by their owners, those of made (NULL-terminated) that are
 * published: a test that passed leaves no listing that would compete with
 * the fixtures of later runs on the same database for the 50 places of a
 * page (they share subfields and words; only the marker tells them apart).
 */
static void close_all(struct made *const *made)
{
	for (size_t i = 0; made[i] != NULL; i++)
		if (made[i]->published) {
			action(made[i]->owner_token, made[i]->id, "close");
			made[i]->published = false;
		}
}

#define MADE(...) ((struct made *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------ match pages */

/* Fixture names for messages. */
struct names {
	const char *ids[16];
	const char *labels[16];
	size_t n;
};

static void name(struct names *nm, const struct made *m, const char *label)
{
	ck_assert(nm->n < 16);
	nm->ids[nm->n] = m->id;
	nm->labels[nm->n] = label;
	nm->n++;
}

static const char *label_of(const struct names *nm, const char *id)
{
	for (size_t i = 0; nm != NULL && i < nm->n; i++)
		if (strcmp(nm->ids[i], id) == 0)
			return nm->labels[i];
	return NULL;
}

static json_t *items_of(json_t *page)
{
	return json_object_get(page, "items");
}

static const char *item_id(json_t *item)
{
	return api_str(api_obj(item, "listing"), "id");
}

/* The rank (0-based) of listing id among page's items, -1 if absent. */
static int rank_of(json_t *page, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(items_of(page), i, it)
		if (strcmp(item_id(it), id) == 0)
			return (int)i;
	return -1;
}

static json_t *item_of(json_t *page, const char *id)
{
	int r = rank_of(page, id);
	return r < 0 ? NULL : json_array_get(items_of(page), (size_t)r);
}

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	ck_assert_msg(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

static double comp(json_t *item, const char *key)
{
	return num(api_obj(item, "components"), key);
}

/* "L1 0.812, L3 0.450, (other) 0.400, ..." of page into out, for messages. */
static void describe(json_t *page, const struct names *nm, char *out, size_t size)
{
	size_t i, o = 0;
	json_t *it;
	out[0] = '\0';
	json_array_foreach(items_of(page), i, it) {
		if (o + 40 >= size)
			break;
		const char *label = label_of(nm, item_id(it));
		o += (size_t)snprintf(out + o, size - o, "%s%s %.3f", i ? ", " : "", label ? label : "-",
				      json_number_value(json_object_get(it, "score")));
	}
}

/*
 * GET /listings/<id>/matches[?limit=<limit>] (limit 0: none) as token, 200
 * expected; the page (json_decref it), after checking what every page must
 * be: `items` of at most `max` entries, `next_cursor` null, each a
 * published listing of `kind` other than id itself, listed once, with a
 * score of 3 decimals in 0..1 that is the weighted sum of its seven
 * components (each in 0..1), reasons as strings, scores not increasing.
 */
static json_t *matches(const char *id, int limit, const char *token, const char *kind, size_t max)
{
	char path[300];
	if (limit > 0)
		snprintf(path, sizeof path, LISTINGS "/%s/matches?limit=%d", id, limit);
	else
		snprintf(path, sizeof path, LISTINGS "/%s/matches", id);
	json_t *page = api_expect_json(200, "GET", path, token, NULL);
	json_t *items = items_of(page);
	ck_assert_msg(json_is_array(items), "%s: no items array", path);
	ck_assert_msg(json_array_size(items) <= max, "%s: %zu items, at most %zu expected", path,
		      json_array_size(items), max);
	json_t *next = json_object_get(page, "next_cursor");
	ck_assert_msg(next != NULL && json_is_null(next), "%s: next_cursor is not null", path);
	double prev = 2;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_t *l = api_obj(it, "listing");
		const char *lid = api_str(l, "id");
		ck_assert_msg(api_is_uuid(lid), "%s: item %zu has listing id %s", path, i, lid);
		ck_assert_msg(strcmp(lid, id) != 0, "%s: the listing matches itself", path);
		ck_assert_msg(rank_of(page, lid) == (int)i, "%s: %s listed twice", path, lid);
		ck_assert_msg(strcmp(api_str(l, "kind"), kind) == 0, "%s: item %zu is a %s, expected %s", path, i,
			      api_str(l, "kind"), kind);
		ck_assert_msg(strcmp(api_str(l, "status"), "published") == 0, "%s: item %zu is %s", path, i,
			      api_str(l, "status"));
		double score = num(it, "score");
		ck_assert_msg(score >= 0 && score <= 1, "%s: item %zu scores %g", path, i, score);
		ck_assert_msg(fabs(score * 1000 - round(score * 1000)) < 1e-6, "%s: score %.6f has more than 3 decimals",
			      path, score);
		ck_assert_msg(score <= prev, "%s: item %zu scores %.3f after %.3f", path, i, score, prev);
		prev = score;
		json_t *c = api_obj(it, "components");
		double sum = 0;
		for (size_t k = 0; k < 7; k++) {
			double v = num(c, components[k]);
			ck_assert_msg(v >= 0 && v <= 1, "%s: item %zu has %s %g", path, i, components[k], v);
			sum += weights[k] * v;
		}
		ck_assert_msg(fabs(score - sum) <= SUM_EPS, "%s: item %zu scores %.3f, its components sum to %.4f", path,
			      i, score, sum);
		json_t *reasons = json_object_get(it, "reasons");
		ck_assert_msg(json_is_array(reasons), "%s: item %zu has no reasons array", path, i);
		size_t k;
		json_t *r;
		json_array_foreach(reasons, k, r)
			ck_assert_msg(json_is_string(r) && json_string_length(r) > 0, "%s: item %zu has a reason not a string",
				      path, i);
	}
	return page;
}

/* The reason of item that begins with prefix (borrowed), or NULL. */
static const char *reason_with(json_t *item, const char *prefix)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(item, "reasons"), i, r)
		if (strncmp(json_string_value(r), prefix, strlen(prefix)) == 0)
			return json_string_value(r);
	return NULL;
}

/* All reasons of item in one string (into out), for messages. */
static const char *reasons_text(json_t *item, char *out, size_t size)
{
	size_t i, o = 0;
	json_t *r;
	out[0] = '\0';
	json_array_foreach(json_object_get(item, "reasons"), i, r)
		if (o + 8 < size)
			o += (size_t)snprintf(out + o, size - o, "%s\"%s\"", i ? ", " : "", json_string_value(r));
	return out;
}

/*
 * Reasons the wording of which is missing, noted by expect_reason() and
 * friends and failed on by assert_reasons_found() at the end of the test:
 * a reason worded otherwise than the contract's fails the test, but only
 * after its ranking, components and clean-up have been checked and done.
 */
static char missing[4096];

__attribute__((format(printf, 2, 3))) static void note_missing(const char *what, const char *fmt, ...)
{
	size_t n = strlen(missing);
	if (n + 8 >= sizeof missing)
		return;
	n += (size_t)snprintf(missing + n, sizeof missing - n, "%s%s: ", n > 0 ? "; " : "", what);
	if (n >= sizeof missing)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(missing + n, sizeof missing - n, fmt, ap);
	va_end(ap);
}

static void assert_reasons_found(void)
{
	ck_assert_msg(missing[0] == '\0', "reasons missing or worded otherwise: %s", missing);
}

/* item has the reason `exact` (else noted for assert_reasons_found). */
static void expect_reason(json_t *item, const char *exact, const char *what)
{
	char all[1200];
	bool found = false;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(item, "reasons"), i, r)
		found |= strcmp(json_string_value(r), exact) == 0;
	if (!found)
		note_missing(what, "no \"%s\" among [%s]", exact, reasons_text(item, all, sizeof all));
}

/* item has no reason beginning with prefix. */
static void assert_no_reason(json_t *item, const char *prefix, const char *what)
{
	char all[1200];
	ck_assert_msg(reason_with(item, prefix) == NULL, "%s: a reason begins with \"%s\": [%s]", what, prefix,
		      reasons_text(item, all, sizeof all));
}

/* item has a reason that begins with prefix and names each of words (NULL-terminated); else noted. */
static void expect_reason_naming(json_t *item, const char *prefix, const char *const *words, const char *what)
{
	char all[1200];
	const char *r = reason_with(item, prefix);
	if (r == NULL) {
		note_missing(what, "no \"%s...\" among [%s]", prefix, reasons_text(item, all, sizeof all));
		return;
	}
	for (size_t i = 0; words[i] != NULL; i++)
		if (strstr(r, words[i]) == NULL)
			note_missing(what, "\"%s\" does not name \"%s\"", r, words[i]);
}

/* item's keyword reason ("từ khóa: ...") names each of words (NULL-terminated), as written. */
static void expect_keyword_reason(json_t *item, const char *const *words, const char *what)
{
	expect_reason_naming(item, "từ khóa: ", words, what);
}

static void assert_comp(json_t *item, const char *key, double want, const char *what)
{
	double v = comp(item, key);
	ck_assert_msg(fabs(v - want) < EPS, "%s: components.%s is %g, expected %g", what, key, v, want);
}

/* Fails unless none of ids (NULL-terminated) is among page's items. */
static void assert_absent(json_t *page, const struct names *nm, const char *const *ids, const char *what)
{
	for (size_t i = 0; ids[i] != NULL; i++)
		ck_assert_msg(rank_of(page, ids[i]) < 0, "%s: %s is listed (rank %d)", what, label_of(nm, ids[i]),
			      rank_of(page, ids[i]) + 1);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------ ranking */

/*
 * One technology demand (organisation X, 6.4, keywords "sơn mài" and
 * "phục chế", TRL 5, budget 400 M, Quảng Trị) and offers of other
 * organisations whose components the formula fixes:
 *
 *	A  6.4, "Son Mai" + "phuc che" (no accents, other case), TRL 7,
 *	   200-300 M, Quảng Trị: sector 1, keywords 2/2, fit 1, price 1,
 *	   province 1 -> the best (about 0.9 with its text).
 *	B  6.4, no keyword shared, TRL 4, no price, Quảng Trị: sector 1,
 *	   keywords 0, fit 0, price 0.5, province 1 -> about 0.4 + text
 *	   (above the unrelated offers of the database, 0.3 + text at most).
 *	C  6.1 (field 6), "phục chế" shared of 2, TRL 6, 500-600 M (over the
 *	   budget), Quảng Trị: sector 0.5, keywords 0.5, fit 1, price 0,
 *	   province 1 -> about 0.45 + text.
 *	D  1.7, nothing shared, TRL 8, 100-150 M, Đà Nẵng: sector 0, keywords
 *	   0 -> about 0.25 + text; below B and C when it is listed at all
 *	   (offers of the whole database score as much, so it may not be).
 *
 * And, each a copy of A that would rank with it if it were let in: a
 * technology demand (the wrong side), an equipment offer (the other
 * family), a draft, one pending review, a closed one, and one of X's own.
 */
START_TEST(test_ranking)
{
	struct api_acct admin, x, y, z;
	api_admin(&admin);
	verified_member(&x, &admin, "match-x", "Công ty Phục chế Sơn mài", "quang-tri");
	verified_member(&y, &admin, "match-y", "Viện Mỹ thuật Ứng dụng", "hue");
	verified_member(&z, &admin, "match-z", "Xưởng Gốm Thủ công", "hue");
	char w[64];
	api_marker(w, sizeof w, "khop");

	const char *a_title = "Công nghệ phục chế tranh sơn mài cổ";
	const json_int_t M = 1000000;
	struct made dm, a, b, c, d, side, equip, draft, pending, closed, own, notrl;
	make(&x, &admin,
	     doc("technology_demand", "Cần công nghệ phục chế tranh sơn mài", w, "6.4", "quang-tri",
		 KW("sơn mài", "phục chế"), 5, 100 * M, 400 * M),
	     "published", &dm);
	make(&y, &admin,
	     doc("technology_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "published", &a);
	make(&y, &admin, doc("technology_offer", "Quy trình nung gốm men rạn", w, "6.4", "quang-tri", KW("gốm men rạn"), 4, -1,
		 -1),
	     "published", &b);
	make(&z, &admin,
	     doc("technology_offer", "Bảo tồn hiện vật khảo cổ bằng phục chế", w, "6.1", "quang-tri",
		 KW("phục chế", "khảo cổ"), 6, 500 * M, 600 * M),
	     "published", &c);
	make(&y, &admin,
	     doc("technology_offer", "Cảm biến đo độ mặn nước giếng", w, "1.7", "da-nang", KW("cảm biến"), 8, 100 * M,
		 150 * M),
	     "published", &d);
	/* Copies of A that must never be listed. */
	make(&y, &admin,
	     doc("technology_demand", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "published", &side);
	make(&y, &admin,
	     with_modes(doc("equipment_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 0, 200 * M,
			    300 * M),
			KW("sale")),
	     "published", &equip);
	make(&y, &admin,
	     doc("technology_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "draft", &draft);
	make(&z, &admin,
	     doc("technology_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "pending_review", &pending);
	make(&z, &admin,
	     doc("technology_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "closed", &closed);
	make(&x, &admin,
	     doc("technology_offer", a_title, w, "6.4", "quang-tri", KW("Son Mai", "phuc che"), 7, 200 * M, 300 * M),
	     "published", &own);
	/* A demand that asks no TRL, for A's side of the matching. */
	make(&z, &admin,
	     doc("technology_demand", "Cần phục chế tranh sơn mài", w, "6.4", "quang-tri", KW("sơn mài"), 0, -1, 400 * M),
	     "published", &notrl);

	struct names nm = {0};
	name(&nm, &dm, "DM");
	name(&nm, &a, "A");
	name(&nm, &b, "B");
	name(&nm, &c, "C");
	name(&nm, &d, "D");
	name(&nm, &side, "demand(wrong side)");
	name(&nm, &equip, "equipment offer");
	name(&nm, &draft, "draft");
	name(&nm, &pending, "pending");
	name(&nm, &closed, "closed");
	name(&nm, &own, "X's own offer");
	name(&nm, &notrl, "demand without TRL");
	const char *const never[] = {side.id, equip.id, draft.id, pending.id, closed.id, own.id, NULL};

	/* The demand's matches, for its owner and for anybody. */
	const char *callers[] = {x.token, NULL, z.token};
	for (size_t k = 0; k < 3; k++) {
		json_t *page = matches(dm.id, 50, callers[k], "technology_offer", 50);
		char list[4000], what[64];
		describe(page, &nm, list, sizeof list);
		snprintf(what, sizeof what, "matches of DM for caller %zu", k);
		ck_assert_msg(json_array_size(items_of(page)) > 0 && strcmp(item_id(json_array_get(items_of(page), 0)), a.id) == 0,
			      "%s: A is not first: [%s]", what, list);
		int ra = rank_of(page, a.id), rb = rank_of(page, b.id), rc = rank_of(page, c.id), rd = rank_of(page, d.id);
		ck_assert_msg(rb >= 0 && rc >= 0, "%s: B (%d) or C (%d) is not among the 50 best: [%s]", what, rb + 1,
			      rc + 1, list);
		ck_assert_msg(rb > ra && rc > ra, "%s: B at %d, C at %d, A at %d: [%s]", what, rb + 1, rc + 1, ra + 1, list);
		ck_assert_msg(num(item_of(page, a.id), "score") > num(item_of(page, b.id), "score") &&
				      num(item_of(page, a.id), "score") > num(item_of(page, c.id), "score"),
			      "%s: A does not score more than B and C: [%s]", what, list);
		if (rd >= 0)
			ck_assert_msg(rd > rb && rd > rc, "%s: D at %d above B (%d) or C (%d): [%s]", what, rd + 1, rb + 1,
				      rc + 1, list);
		assert_absent(page, &nm, never, what);
		json_decref(page);
	}

	json_t *page = matches(dm.id, 50, x.token, "technology_offer", 50);
	/* A: everything matched; keywords compared without accents or case, named as A writes them. */
	json_t *ia = item_of(page, a.id);
	assert_comp(ia, "sector", 1, "A");
	assert_comp(ia, "keywords", 1, "A");
	assert_comp(ia, "fit", 1, "A");
	assert_comp(ia, "price", 1, "A");
	assert_comp(ia, "province", 1, "A");
	ck_assert_msg(comp(ia, "freshness") > 0.99, "A: freshness %g of a listing just published", comp(ia, "freshness"));
	ck_assert_msg(comp(ia, "text") > 0.3, "A: text %g for titles of 8 words with 7 in common", comp(ia, "text"));
	ck_assert_msg(num(ia, "score") >= 0.85, "A scores %.3f", num(ia, "score"));
	expect_reason(ia, "cùng lĩnh vực 6.4", "A");
	expect_keyword_reason(ia, KW("Son Mai", "phuc che"), "A");
	expect_reason(ia, "TRL 7 đáp ứng TRL tối thiểu 5", "A");
	expect_reason(ia, "giá trong ngân sách", "A");
	expect_reason(ia, "cùng địa bàn: Tỉnh Quảng Trị", "A");
	expect_reason(ia, "mới đăng", "A");
	assert_no_reason(ia, "cùng nhóm lĩnh vực", "A");
	const char *text = reason_with(ia, "nội dung tương đồng: ");
	ck_assert_msg(text != NULL, "A: no reason \"nội dung tương đồng: ...\"");
	{
		/* Shared words without accents, at most 5, and "phuc"/"che"/"tranh"/"son"/"mai" are among the candidates. */
		const char *words = text + strlen("nội dung tương đồng: ");
		int n = 1;
		for (const char *p = words; *p != '\0'; p++) {
			ck_assert_msg((unsigned char)*p < 0x80, "A: \"%s\" has accented words", text);
			n += *p == ',';
		}
		ck_assert_msg(*words != '\0' && n <= 5, "A: \"%s\" names %d words, 1 to 5 expected", text, n);
		ck_assert_msg(strstr(words, "phuc") || strstr(words, "che") || strstr(words, "tranh") ||
				      strstr(words, "son") || strstr(words, "mai") || strstr(words, "cong") ||
				      strstr(words, "nghe") || strstr(words, w),
			      "A: \"%s\" names none of the words A and DM share", text);
	}

	/* B: same subfield and province only; TRL below the minimum, no price. */
	json_t *ib = item_of(page, b.id);
	assert_comp(ib, "sector", 1, "B");
	assert_comp(ib, "keywords", 0, "B");
	assert_comp(ib, "fit", 0, "B");
	assert_comp(ib, "price", 0.5, "B");
	assert_comp(ib, "province", 1, "B");
	expect_reason(ib, "cùng lĩnh vực 6.4", "B");
	assert_no_reason(ib, "từ khóa", "B");
	assert_no_reason(ib, "TRL", "B");
	assert_no_reason(ib, "giá trong ngân sách", "B");
	expect_reason(ib, "cùng địa bàn: Tỉnh Quảng Trị", "B");
	expect_reason(ib, "mới đăng", "B");

	/* C: the same field, one keyword of two, over the budget. */
	json_t *ic = item_of(page, c.id);
	assert_comp(ic, "sector", 0.5, "C");
	assert_comp(ic, "keywords", 0.5, "C");
	assert_comp(ic, "fit", 1, "C");
	assert_comp(ic, "price", 0, "C");
	assert_comp(ic, "province", 1, "C");
	expect_reason(ic, "cùng nhóm lĩnh vực 6", "C");
	assert_no_reason(ic, "cùng lĩnh vực", "C");
	expect_keyword_reason(ic, KW("phục chế"), "C");
	expect_reason(ic, "TRL 6 đáp ứng TRL tối thiểu 5", "C");
	expect_reason(ic, "cùng địa bàn: Tỉnh Quảng Trị", "C");
	assert_no_reason(ic, "giá trong ngân sách", "C");

	/* D, when listed: nothing in common but TRL and price. */
	json_t *id_ = item_of(page, d.id);
	if (id_ != NULL) {
		assert_comp(id_, "sector", 0, "D");
		assert_comp(id_, "keywords", 0, "D");
		assert_comp(id_, "province", 0, "D");
		assert_no_reason(id_, "cùng lĩnh vực", "D");
		assert_no_reason(id_, "cùng nhóm lĩnh vực", "D");
		assert_no_reason(id_, "từ khóa", "D");
	}
	double a_score = num(ia, "score");
	json_t *a_comp = json_deep_copy(api_obj(ia, "components"));
	json_decref(page);

	/* A's side: demands only, not its own organisation's (the wrong-side copy is Y's); the same components. */
	page = matches(a.id, 50, y.token, "technology_demand", 50);
	char list[4000];
	describe(page, &nm, list, sizeof list);
	json_t *idm = item_of(page, dm.id);
	ck_assert_msg(idm != NULL, "matches of A do not list DM: [%s]", list);
	assert_absent(page, &nm, IDS(side.id, b.id, c.id, d.id), "matches of A");
	ck_assert_msg(fabs(num(idm, "score") - a_score) <= SUM_EPS, "A -> DM scores %.3f, DM -> A %.3f",
		      num(idm, "score"), a_score);
	for (size_t k = 0; k < 7; k++)
		ck_assert_msg(fabs(comp(idm, components[k]) - num(a_comp, components[k])) <= SUM_EPS,
			      "components.%s: A -> DM %g, DM -> A %g", components[k], comp(idm, components[k]),
			      num(a_comp, components[k]));
	json_decref(a_comp);
	expect_reason(idm, "TRL 7 đáp ứng TRL tối thiểu 5", "DM for A");
	/* The demand's keywords, as the demand writes them. */
	expect_keyword_reason(idm, KW("sơn mài", "phục chế"), "DM for A");
	/* A demand that asks no TRL: any offer fits. */
	json_t *inot = item_of(page, notrl.id);
	ck_assert_msg(inot != NULL, "matches of A do not list the demand without TRL: [%s]", list);
	assert_comp(inot, "fit", 1, "demand without TRL");
	expect_reason(inot, "TRL 7", "demand without TRL");
	assert_no_reason(inot, "TRL 7 đáp ứng", "demand without TRL");
	assert_comp(inot, "keywords", 1, "demand without TRL"); /* 1 shared of min(2, 1) */
	json_decref(page);
	close_all(MADE(&dm, &a, &b, &c, &d, &side, &equip, &own, &notrl));
	assert_reasons_found();
}
END_TEST

/* ------------------------------------------------------------ equipment */

/*
 * Equipment offers and demands match each other only, and fit when the
 * demand's modes (sale/lease) are none or share one with the offer's.
 */
START_TEST(test_equipment)
{
	struct api_acct admin, x, y, z;
	api_admin(&admin);
	verified_member(&x, &admin, "match-eq-x", "Trung tâm Kiểm nghiệm Cần thuê", "quang-tri");
	verified_member(&y, &admin, "match-eq-y", "Công ty Thiết bị Quang học", "da-nang");
	verified_member(&z, &admin, "match-eq-z", "Phòng thí nghiệm Vật lý", "hue");
	char w[64];
	api_marker(w, sizeof w, "thietbi");
	const json_int_t M = 1000000;
	struct made ed, ed_any, eo_both, eo_sale, to;
	make(&x, &admin,
	     with_modes(doc("equipment_demand", "Cần thuê kính hiển vi điện tử quét", w, "1.3", "quang-tri",
			    KW("kính hiển vi"), 0, -1, 900 * M),
			KW("lease")),
	     "published", &ed);
	make(&z, &admin,
	     with_modes(doc("equipment_demand", "Cần kính hiển vi điện tử quét", w, "1.3", "hue", KW("kính hiển vi"), 0, -1,
			    -1),
			NO_KW),
	     "published", &ed_any);
	make(&y, &admin,
	     with_modes(doc("equipment_offer", "Cho thuê hoặc bán kính hiển vi điện tử quét", w, "1.3", "quang-tri",
			    KW("kinh hien vi"), 0, 500 * M, 800 * M),
			KW("sale", "lease")),
	     "published", &eo_both);
	make(&y, &admin,
	     with_modes(doc("equipment_offer", "Bán kính hiển vi điện tử quét", w, "1.3", "quang-tri",
			    KW("kinh hien vi"), 0, 500 * M, 800 * M),
			KW("sale")),
	     "published", &eo_sale);
	/* A technology offer written like them: the other family, never listed. */
	make(&y, &admin,
	     doc("technology_offer", "Cho thuê hoặc bán kính hiển vi điện tử quét", w, "1.3", "quang-tri",
		 KW("kinh hien vi"), 7, 500 * M, 800 * M),
	     "published", &to);
	struct names nm = {0};
	name(&nm, &ed, "ED(lease)");
	name(&nm, &ed_any, "ED(any mode)");
	name(&nm, &eo_both, "EO(sale+lease)");
	name(&nm, &eo_sale, "EO(sale)");
	name(&nm, &to, "technology offer");

	json_t *page = matches(ed.id, 50, x.token, "equipment_offer", 50);
	char list[4000];
	describe(page, &nm, list, sizeof list);
	assert_absent(page, &nm, IDS(to.id, ed_any.id), "matches of ED");
	json_t *both = item_of(page, eo_both.id), *sale = item_of(page, eo_sale.id);
	ck_assert_msg(both != NULL && sale != NULL, "matches of ED lack an offer: [%s]", list);
	ck_assert_msg(rank_of(page, eo_both.id) < rank_of(page, eo_sale.id), "the offer that leases is not above: [%s]", list);
	assert_comp(both, "fit", 1, "EO(sale+lease)");
	assert_comp(both, "sector", 1, "EO(sale+lease)");
	assert_comp(both, "keywords", 1, "EO(sale+lease)");
	assert_comp(both, "price", 1, "EO(sale+lease)");
	expect_reason_naming(both, "hình thức: ", KW("cho thuê"), "EO(sale+lease)"); /* the mode they share, in Vietnamese */
	expect_reason(both, "cùng lĩnh vực 1.3", "EO(sale+lease)");
	expect_keyword_reason(both, KW("kinh hien vi"), "EO(sale+lease)");
	assert_comp(sale, "fit", 0, "EO(sale)");
	assert_no_reason(sale, "hình thức", "EO(sale)");
	json_decref(page);

	/* The offer for sale only: both demands, the one that wants any mode fits. */
	page = matches(eo_sale.id, 50, y.token, "equipment_demand", 50);
	describe(page, &nm, list, sizeof list);
	json_t *lease = item_of(page, ed.id), *any = item_of(page, ed_any.id);
	ck_assert_msg(lease != NULL && any != NULL, "matches of EO(sale) lack a demand: [%s]", list);
	assert_comp(lease, "fit", 0, "ED(lease) for EO(sale)");
	assert_comp(any, "fit", 1, "ED(any mode) for EO(sale)");
	assert_comp(any, "price", 0.5, "ED(any mode) for EO(sale)");
	assert_comp(any, "province", 0, "ED(any mode) for EO(sale)");
	assert_no_reason(any, "cùng địa bàn", "ED(any mode) for EO(sale)");
	expect_keyword_reason(any, KW("kính hiển vi"), "ED(any mode) for EO(sale)");
	json_decref(page);
	close_all(MADE(&ed, &ed_any, &eo_both, &eo_sale, &to));
	assert_reasons_found();
}
END_TEST

/* ------------------------------------------------------------ limits, visibility, refs */

START_TEST(test_limits_and_visibility)
{
	struct api_acct admin, x, y;
	api_admin(&admin);
	verified_member(&x, &admin, "match-lim-x", "Hợp tác xã Cần phần mềm", "quang-tri");
	verified_member(&y, &admin, "match-lim-y", "Công ty Phần mềm Kế toán", "quang-tri");
	char w[64];
	api_marker(w, sizeof w, "gioihan");
	const json_int_t M = 1000000;
	struct made dem, draft, best, second;
	make(&x, &admin,
	     doc("technology_demand", "Cần phần mềm kế toán cho hợp tác xã", w, "5.2", "quang-tri", KW("kế toán"), 4, -1,
		 100 * M),
	     "published", &dem);
	make(&x, &admin,
	     doc("technology_demand", "Cần phần mềm kế toán cho hợp tác xã", w, "5.2", "quang-tri", KW("kế toán"), 4, -1,
		 100 * M),
	     "draft", &draft);
	make(&y, &admin,
	     doc("technology_offer", "Phần mềm kế toán cho hợp tác xã", w, "5.2", "quang-tri", KW("ke toan"), 6, 50 * M,
		 80 * M),
	     "published", &best);
	/* Same subfield and province, within the budget, TRL below: about 0.45, above unrelated offers (0.3 at most). */
	make(&y, &admin,
	     doc("technology_offer", "Dịch vụ tư vấn thuế", w, "5.2", "quang-tri", KW("thuế"), 3, 30 * M, 40 * M),
	     "published", &second);
	struct names nm = {0};
	name(&nm, &best, "best");
	name(&nm, &second, "second");

	json_t *full = matches(dem.id, 50, x.token, "technology_offer", 50);
	char list[4000];
	describe(full, &nm, list, sizeof list);
	ck_assert_msg(rank_of(full, best.id) == 0, "the best offer is not first: [%s]", list);
	ck_assert_msg(rank_of(full, second.id) > 0, "the second offer is not listed below: [%s]", list);
	size_t total = json_array_size(items_of(full));
	json_decref(full);

	/* limit=1: the best one only; no limit: 10. */
	json_t *one = matches(dem.id, 1, x.token, "technology_offer", 1);
	ck_assert_int_eq(json_array_size(items_of(one)), 1);
	ck_assert_str_eq(item_id(json_array_get(items_of(one), 0)), best.id);
	json_decref(one);
	json_t *dflt = matches(dem.id, 0, x.token, "technology_offer", 10);
	ck_assert_int_eq(json_array_size(items_of(dflt)), total < 10 ? total : 10);
	ck_assert_str_eq(item_id(json_array_get(items_of(dflt), 0)), best.id);
	json_decref(dflt);
	json_t *two = matches(dem.id, 2, NULL, "technology_offer", 2);
	ck_assert_int_eq(json_array_size(items_of(two)), total < 2 ? total : 2);
	json_decref(two);

	/* Limits out of 1..50, or not a whole number. */
	static const char *const bad[] = {"0", "51", "-1", "abc", "1.5", "", "100", "5x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[300];
		snprintf(path, sizeof path, LISTINGS "/%s/matches?limit=%s", dem.id, bad[i]);
		api_expect_only(400, "GET", path, x.token, NULL);
	}

	/* By its ref, the same. */
	json_t *by_ref = matches(dem.ref, 50, NULL, "technology_offer", 50);
	describe(by_ref, &nm, list, sizeof list);
	ck_assert_msg(rank_of(by_ref, best.id) == 0 && rank_of(by_ref, second.id) > 0, "matches of %s: [%s]", dem.ref,
		      list);
	json_decref(by_ref);

	/* A draft's matches: its organisation sees them; nobody else sees the draft. */
	json_t *mine = matches(draft.id, 50, x.token, "technology_offer", 50);
	describe(mine, &nm, list, sizeof list);
	ck_assert_msg(rank_of(mine, best.id) == 0, "matches of the draft for its owner: [%s]", list);
	json_decref(mine);
	char path[300];
	snprintf(path, sizeof path, LISTINGS "/%s/matches", draft.id);
	api_expect_only(404, "GET", path, y.token, NULL);
	api_expect_only(404, "GET", path, NULL, NULL);
	snprintf(path, sizeof path, LISTINGS "/%s/matches", draft.ref);
	api_expect_only(404, "GET", path, y.token, NULL);
	api_expect_only(200, "GET", path, x.token, NULL);

	/* Listings that do not exist. */
	api_expect_only(404, "GET", LISTINGS "/6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab/matches", x.token, NULL);
	api_expect_only(404, "GET", LISTINGS "/QT-TD-2001-999999/matches", NULL, NULL);
	api_expect_only(404, "GET", LISTINGS "/khong-ton-tai/matches", x.token, NULL);
	close_all(MADE(&dem, &best, &second));
}
END_TEST

/* ------------------------------------------------------------ anonymous owners */

/* An anonymous offer among the matches shows its owner's kind and province, never its name or id. */
START_TEST(test_anonymous_owner)
{
	struct api_acct admin, x, y, z;
	api_admin(&admin);
	verified_member(&x, &admin, "match-an-x", "Trường Cần giáo trình", "quang-tri");
	api_register(&y, "match-an-y", "Trường Nghề Giấu Danh", "research_institute", "hue");
	api_login(&y);
	char vpath[160];
	api_org_path(vpath, sizeof vpath, y.org_id, "/verify");
	api_expect_only(200, "POST", vpath, admin.token, "{\"note\":\"ok\"}");
	api_register(&z, "match-an-z", "Công ty Xem thử", "enterprise", "hue");
	api_login(&z);
	char w[64], owner_name[160], tail[64], secret[80];
	api_marker(w, sizeof w, "andanh");
	snprintf(owner_name, sizeof owner_name, "Trường Nghề Giấu Danh %s", api_tag());
	snprintf(tail, sizeof tail, "Danh %s", api_tag());
	snprintf(secret, sizeof secret, "BIQUYET-%s-giao-trinh", api_tag());
	struct made dem, off;
	make(&x, &admin,
	     doc("technology_demand", "Cần giáo trình điện tử dạy nghề hàn", w, "5.3", "quang-tri", KW("giáo trình"), 3, -1,
		 -1),
	     "published", &dem);
	json_t *d = doc("technology_offer", "Giáo trình điện tử dạy nghề hàn", w, "5.3", "quang-tri", KW("giao trinh"), 6,
			-1, -1);
	json_object_set_new(d, "anonymous", json_true());
	json_object_set_new(d, "confidential", json_string(secret));
	make(&y, &admin, d, "published", &off);

	const char *callers[] = {x.token, NULL, z.token};
	for (size_t k = 0; k < 3; k++) {
		char path[300];
		snprintf(path, sizeof path, LISTINGS "/%s/matches?limit=50", dem.id);
		struct it_response r;
		api_expect(&r, 200, "GET", path, callers[k], NULL, NULL);
		ck_assert_msg(strstr(r.body, owner_name) == NULL && strstr(r.body, tail) == NULL,
			      "caller %zu: the matches name the anonymous owner", k);
		ck_assert_msg(strstr(r.body, y.org_id) == NULL, "caller %zu: the matches show the anonymous owner's id", k);
		ck_assert_msg(strstr(r.body, secret) == NULL, "caller %zu: the matches show the confidential text", k);
		json_t *page = it_json(&r);
		it_response_free(&r);
		json_t *it = item_of(page, off.id);
		ck_assert_msg(it != NULL, "caller %zu: the anonymous offer is not among the matches", k);
		json_t *l = api_obj(it, "listing");
		ck_assert(json_is_true(json_object_get(l, "anonymous")));
		ck_assert_msg(json_object_get(l, "confidential") == NULL, "caller %zu: confidential key shown", k);
		json_t *org = json_object_get(l, "organization");
		if (org != NULL && !json_is_null(org)) {
			ck_assert_msg(json_object_get(org, "name") == NULL && json_object_get(org, "id") == NULL,
				      "caller %zu: the anonymous owner's organization has a name or id", k);
			ck_assert_str_eq(api_str(org, "kind"), "research_institute");
		}
		json_decref(page);
	}

	/* The owner itself sees its name in its own listing's rendering, as elsewhere (the other side here). */
	json_t *page = matches(off.id, 50, y.token, "technology_demand", 50);
	ck_assert_msg(item_of(page, dem.id) != NULL, "the anonymous offer's matches lack the demand");
	json_decref(page);
	close_all(MADE(&dem, &off));
}
END_TEST

/* ------------------------------------------------------------ notifications */

/* Notifications of kind of user about listing (SQL). */
static long notices(const char *user_id, const char *listing, const char *kind)
{
	PGconn *pg = it_pg_connect(it_db_url());
	char sql[200];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM notifications WHERE user_id = $1 AND listing_id = $2 AND kind = '%s'", kind);
	long n = api_sql_long(pg, sql, user_id, listing);
	PQfinish(pg);
	return n;
}

/* Polls every 100 ms, up to 5 s, until user has a notification of kind about listing; returns the count. */
static long await_notice(const char *user_id, const char *listing, const char *kind)
{
	double end = it_now() + 5;
	long n;
	while ((n = notices(user_id, listing, kind)) == 0 && it_now() < end)
		it_sleep_ms(100);
	return n;
}

/* Sleeps until `since` (it_now()) + 2 s, the time after which a notification that has not come will not. */
static void settle(double since)
{
	double left = since + 2 - it_now();
	if (left > 0)
		it_sleep_ms((int)(left * 1000) + 1);
}

/* A second member of a's organisation, logged in, into b. */
static void second_member(const struct api_acct *a, struct api_acct *b, const char *who)
{
	PGconn *pg = it_pg_connect(it_db_url());
	*b = *a;
	b->user_id[0] = b->token[0] = '\0';
	api_make_email(b->email, sizeof b->email, who);
	char *id = api_sql_value(pg,
				 "INSERT INTO users (email, password_hash, display_name, role, organization_id)"
				 " SELECT $1, password_hash, 'Thành viên thứ hai', 'member', organization_id"
				 " FROM users WHERE id = $2::uuid RETURNING id",
				 b->email, a->user_id);
	ck_assert_ptr_nonnull(id);
	snprintf(b->user_id, sizeof b->user_id, "%s", id);
	free(id);
	PQfinish(pg);
	api_login(b);
}

/*
 * A new offer that matches X's demand well tells each of X's members, once,
 * shortly after the approval (which does not wait for it); a weak one
 * tells nobody at X; the publisher hears nothing of its own listing.
 */
START_TEST(test_new_match_notified)
{
	struct api_acct admin, x, x2, y, z;
	api_admin(&admin);
	verified_member(&x, &admin, "match-nt-x", "Thư viện Cần số hóa", "quang-tri");
	second_member(&x, &x2, "match-nt-x2");
	verified_member(&y, &admin, "match-nt-y", "Viện Hán Nôm Ứng dụng", "hue");
	verified_member(&z, &admin, "match-nt-z", "Công ty Bơm Tưới", "da-nang");
	char w[64], w2[64];
	api_marker(w, sizeof w, "thongbao");
	api_marker(w2, sizeof w2, "yeu");
	const json_int_t M = 1000000;
	struct made dem, strong, weak;
	make(&x, &admin,
	     doc("technology_demand", "Cần phần mềm nhận dạng chữ Nôm", w, "6.2", "quang-tri", KW("chữ Nôm", "nhận dạng"),
		 5, -1, 500 * M),
	     "published", &dem);

	/* The strong offer: same subfield, keywords, TRL above, price within, same province. */
	json_t *d = doc("technology_offer", "Phần mềm nhận dạng chữ Nôm", w, "6.2", "quang-tri", KW("chu nom", "nhan dang"),
			7, 100 * M, 200 * M);
	char *body = api_dump(d);
	json_t *got = api_expect_json(201, "POST", LISTINGS, y.token, body);
	free(body);
	snprintf(strong.id, sizeof strong.id, "%s", api_str(got, "id"));
	snprintf(strong.ref, sizeof strong.ref, "%s", api_str(got, "ref"));
	strong.owner_token = y.token;
	json_decref(got);
	action(y.token, strong.id, "submit");
	double t0 = it_now();
	action(admin.token, strong.id, "approve");
	double took = it_now() - t0;
	strong.published = true;
	ck_assert_msg(took < 2.0, "the approval took %.2f s", took);

	ck_assert_msg(await_notice(x.user_id, strong.id, "listing_match") >= 1,
		      "X's owner has no listing_match for the new offer 5 s after its approval");
	ck_assert_msg(await_notice(x2.user_id, strong.id, "listing_match") >= 1,
		      "X's second member has no listing_match for the new offer 5 s after its approval");
	settle(t0);
	ck_assert_int_eq(notices(x.user_id, strong.id, "listing_match"), 1);
	ck_assert_int_eq(notices(x2.user_id, strong.id, "listing_match"), 1);
	ck_assert_int_eq(notices(y.user_id, strong.id, "listing_match"), 0);

	/* As the API shows it: the new listing, its ref, the match and its score. */
	json_t *page = api_expect_json(200, "GET", "/api/v1/notifications?limit=100", x.token, NULL);
	json_t *found = NULL;
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(page, "items"), i, it)
		if (strcmp(api_str(it, "kind"), "listing_match") == 0 && json_is_string(json_object_get(it, "listing_id")) &&
		    strcmp(api_str(it, "listing_id"), strong.id) == 0)
			found = it;
	ck_assert_msg(found != NULL, "X's notifications do not show the listing_match");
	json_t *data = api_obj(found, "data");
	ck_assert_str_eq(api_str(data, "ref"), strong.ref);
	ck_assert_str_eq(api_str(data, "match_listing_id"), dem.id);
	double score = num(data, "score");
	ck_assert_msg(score >= 0.5 && score <= 1, "the notified score is %g", score);
	json_t *m = matches(strong.id, 50, y.token, "technology_demand", 50);
	json_t *mine = item_of(m, dem.id);
	ck_assert_msg(mine != NULL, "the new offer's matches lack X's demand");
	ck_assert_msg(fabs(num(mine, "score") - score) <= SUM_EPS, "notified score %.3f, matches say %.3f", score,
		      num(mine, "score"));
	json_decref(m);
	json_decref(page);

	/* A weak one: another field, nothing shared, TRL below, over the budget, elsewhere. */
	make(&z, &admin,
	     doc("technology_offer", "Máy bơm nước tưới tiêu tiết kiệm điện", w2, "3.2", "da-nang", KW("máy bơm"), 2,
		 900 * M, 950 * M),
	     "pending_review", &weak);
	t0 = it_now();
	action(admin.token, weak.id, "approve");
	weak.published = true;
	ck_assert_msg(it_now() - t0 < 2.0, "the approval took %.2f s", it_now() - t0);
	settle(t0);
	ck_assert_int_eq(notices(x.user_id, weak.id, "listing_match"), 0);
	ck_assert_int_eq(notices(x2.user_id, weak.id, "listing_match"), 0);
	ck_assert_int_eq(notices(z.user_id, weak.id, "listing_match"), 0);
	/* And still one of the strong. */
	ck_assert_int_eq(notices(x.user_id, strong.id, "listing_match"), 1);
	close_all(MADE(&dem, &strong, &weak));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_matches");
	TCase *tc = tcase_create("matches");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ranking);
	tcase_add_test(tc, test_equipment);
	tcase_add_test(tc, test_limits_and_visibility);
	tcase_add_test(tc, test_anonymous_owner);
	tcase_add_test(tc, test_new_match_notified);
	suite_add_tcase(s, tc);
	return api_run(s, NULL);
}
