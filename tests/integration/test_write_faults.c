/*
 * Writes that survive database faults (issue 12): PostgreSQL is stopped
 * (pg_ctl -m fast) or crashes (-m immediate) while THREADS clients send a
 * mix of writes, and is started again about 1.5 s later.  Afterwards:
 *   - no request got a 500 (nor any answer but 2xx, 503 or none at all);
 *   - the server, never restarted, answers /readyz 200 again by itself;
 *   - every write answered 2xx is in the database as it was reported
 *     ("lost" counts those that are not: it must be 0);
 *   - every Idempotency-Key, replayed with the same body, returns the first
 *     2xx answer byte for byte, or, when the first got 503 or no answer,
 *     now makes exactly one row;
 *   - a write refused or unanswered applied fully or not at all.
 * Each test prints one line of figures on stdout, for the note.
 *
 * The writes: POST /listings (Idempotency-Key), PATCH /listings/{id}
 * (If-Match), POST /listings/{id}/interests (Idempotency-Key), POST
 * /deals/{id}/messages, POST /saved-searches (Idempotency-Key) and, as the
 * administrator, PUT /indicators/KH43-V2045/values/{year}; and some reads.
 * Every request carries a marker of its own (run tag, test, thread,
 * number) in the text it writes, so SQL finds its row.
 *
 * What can be checked of a row that later writes change:
 *   - a thread PATCHes only listings it created, each with the If-Match of
 *     the version it last saw, and stops using a listing once a PATCH of it
 *     got no 2xx; so the listing's row is that of its last 2xx write, or of
 *     the one unanswered PATCH after it, title and summary both of the same
 *     request (one marker in each) and the version counting the PATCHes;
 *   - each thread PUTs one year of its own (2031 + thread, outside the
 *     series of 2023-2030 that test_indicators reads), and every PUT writes
 *     an audit row in its transaction: each 2xx PUT has exactly one, and the
 *     year holds the latest audit row's value (note and value of the same
 *     request), the last 2xx one unless an unanswered PUT came after it.
 *
 * Accounts: registrations and logins hash passwords (about 0.5 s each), so
 * they run at once, and MEMBERS accounts serve the THREADS clients, thread
 * t acting for member t % MEMBERS.  Member 0 is the seller: it publishes
 * OFFERS listings, and its threads write their messages as the listing's
 * side of member 1's deal.  An organisation has one open deal per listing:
 * offer 0 carries each other member's deal (their messages go there), and
 * each of their threads takes interests in SLOTS offers of its own.  A
 * member keeps 50 saved searches at most: a thread makes SAVED.
 *
 * Threads.  The clients are pthreads of the test's child process.  They use
 * only it_http() and jansson, and call no ck_* or api_* function themselves
 * (a failure there would end the test from the wrong thread): they record
 * what they sent and got, and the test's own thread checks everything after
 * joining them.  Each request goes on a
 * connection of its own ("Connection: close"), so that "no answer" can
 * only mean that the server did not answer it.
 *
 * The unchecked teardown starts the cluster again if a test left it down.
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "check_run.h"
#include "harness.h"

enum {
	THREADS = 14,
	MEMBERS = 3,
	PER_MEMBER = (THREADS + MEMBERS - 1) / MEMBERS, /* threads acting for one member */
	SLOTS = 10,                                     /* interests of a thread */
	OFFERS = 1 + PER_MEMBER * SLOTS,
	SAVED = 10,              /* saved searches of a thread: PER_MEMBER * SAVED <= 50 */
	FIRST_YEAR = 2031,       /* thread n PUTs the year FIRST_YEAR + n */
	PAUSE_MS = 15,           /* between two requests of a thread */
	BACKOFF_MS = 100,        /* after a request without a 2xx */
	BUDGETED_EVERY_MS = 500, /* at most one interest, and one saved search, per thread in this time */
	LOAD_BEFORE_MS = 1500,   /* load before the fault */
	DOWN_MS = 1500,          /* from the fault to the start command */
	LOAD_AFTER_MS = 2000,    /* load after /readyz answers 200 again */
	RECOVERY_LIMIT_S = 5,    /* /readyz 200 at most this long after PostgreSQL accepts connections again */
};

#define INDICATOR "KH43-V2045"

/* ------------------------------------------------------------ what was sent and got */

enum kind { K_CREATE, K_PATCH, K_INTEREST, K_MESSAGE, K_SAVED, K_PUT, K_READ };
static const char *const kind_names[] = {"POST /listings", "PATCH /listings/{id}", "POST interests",
					 "POST messages", "POST /saved-searches", "PUT indicator value", "GET"};

struct answer {
	int status;       /* 0: none (no connection, timeout, or the connection closed) */
	char *body;       /* malloc'd; NULL without an answer */
	bool replayed;    /* Idempotency-Replayed: true */
	bool retry_after; /* a Retry-After header */
};

struct rec {
	enum kind kind;
	const char *method;
	char marker[48];
	char path[160];
	char text[160];  /* what the row holds: title, message, body, name or value */
	char *body;      /* malloc'd; NULL for reads */
	char target[40]; /* PATCH: the listing */
	long if_match;   /* PATCH: the version sent */
	double at;       /* seconds after the load began */
	struct answer first, again; /* again: the replay of an Idempotency-Key */
	/* From a 2xx document: read by the thread for a listing (it goes on with them), by the checks for all. */
	char id[40];
	long version;
};

/* The text each write stores, with its marker. */
static void listing_title(char *out, size_t size, const char *marker)
{
	snprintf(out, size, "Nhu cầu máy sấy nông sản %s", marker);
}

static void listing_summary(char *out, size_t size, const char *marker)
{
	snprintf(out, size, "Tóm tắt %s", marker);
}

static bool idempotent(enum kind k) { return k == K_CREATE || k == K_INTEREST || k == K_SAVED; }

static bool is_2xx(int status) { return status >= 200 && status <= 299; }

/* ------------------------------------------------------------ the cast */

struct cast {
	int port;
	struct api_acct admin, members[MEMBERS]; /* member 0 is the seller */
	char offers[OFFERS][40];                 /* published listings of the seller */
	char deals[MEMBERS][40];                 /* the deal of member m (from 1) on offers[0]; deals[0] = deals[1] */
};

/* An account signing up in a thread of its own: registration (unless it exists), then login. */
struct signup {
	int port;
	struct api_acct *a;  /* email and password set; user_id, org_id and token filled in */
	char *registration;  /* the body (malloc'd), NULL for the administrator */
	char *login;         /* the body (malloc'd) */
	char why[400];       /* what went wrong; "" when nothing did */
};

/* POSTs body to path; the document of a `want` answer (json_decref it), else NULL with why filled in. */
static json_t *post_json(struct signup *s, const char *path, const char *body, int want)
{
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct it_response r;
	if (!it_http(s->port, "POST", path, headers, body, strlen(body), &r)) {
		snprintf(s->why, sizeof s->why, "POST %s: no answer", path);
		return NULL;
	}
	json_t *doc = r.status == want ? json_loads(r.body, 0, NULL) : NULL;
	if (doc == NULL)
		snprintf(s->why, sizeof s->why, "POST %s: %d %.300s", path, r.status, r.body);
	it_response_free(&r);
	return doc;
}

static void copy_member(char *out, size_t size, json_t *doc, const char *object, const char *member)
{
	const char *v = json_string_value(json_object_get(json_object_get(doc, object), member));
	snprintf(out, size, "%s", v ? v : "");
}

static void *sign_up(void *arg)
{
	struct signup *s = arg;
	json_t *doc;
	if (s->registration != NULL) {
		if ((doc = post_json(s, "/api/v1/auth/register", s->registration, 201)) == NULL)
			return NULL;
		copy_member(s->a->user_id, sizeof s->a->user_id, doc, "user", "id");
		copy_member(s->a->org_id, sizeof s->a->org_id, doc, "organization", "id");
		json_decref(doc);
	}
	if ((doc = post_json(s, "/api/v1/auth/login", s->login, 200)) == NULL)
		return NULL;
	const char *token = json_string_value(json_object_get(doc, "token"));
	snprintf(s->a->token, sizeof s->a->token, "%s", token ? token : "");
	copy_member(s->a->user_id, sizeof s->a->user_id, doc, "user", "id");
	json_decref(doc);
	return NULL;
}

/*
 * The administrator's login and the members' sign-ups, all at once: each
 * hashes a password or two (about 0.5 s), and the server hashes on as many
 * threads as it has workers.
 */
static void sign_up_all(struct cast *c, char mode)
{
	struct signup s[MEMBERS + 1];
	pthread_t t[MEMBERS + 1];
	for (int i = 0; i <= MEMBERS; i++) {
		struct api_acct *a = i == 0 ? &c->admin : &c->members[i - 1];
		s[i] = (struct signup){.port = c->port, .a = a};
		if (i == 0) {
			snprintf(a->email, sizeof a->email, "%s", api_admin_email());
			snprintf(a->password, sizeof a->password, "%s", api_admin_password());
		} else {
			char who[24], org[160];
			snprintf(who, sizeof who, "wf-%c-member-%d", mode, i - 1);
			api_make_email(a->email, sizeof a->email, who);
			snprintf(a->password, sizeof a->password, "Mật khẩu %s 2026", who);
			snprintf(org, sizeof org, "Hợp tác xã Thử lỗi %s %s", who, api_tag());
			s[i].registration =
				api_dump(api_registration(a->email, a->password, "Người thử", org, "enterprise", "quang-tri", NULL));
		}
		s[i].login = api_login_body(a->email, a->password);
		ck_assert_int_eq(pthread_create(&t[i], NULL, sign_up, &s[i]), 0);
	}
	for (int i = 0; i <= MEMBERS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		free(s[i].registration);
		free(s[i].login);
	}
	for (int i = 0; i <= MEMBERS; i++)
		ck_assert_msg(s[i].why[0] == '\0', "signing up %s: %s", s[i].a->email, s[i].why);
}

/* A published technology offer of the seller, into id. */
static void publish_offer(const struct cast *c, int n, char id[40])
{
	char body[300], path[160];
	snprintf(body, sizeof body,
		 "{\"kind\":\"technology_offer\",\"title\":\"Công nghệ sấy lạnh số %d\",\"sector\":\"2.2\","
		 "\"province\":\"quang-tri\",\"trl\":6}",
		 n);
	json_t *doc = api_expect_json(201, "POST", "/api/v1/listings", c->members[0].token, body);
	snprintf(id, 40, "%s", api_str(doc, "id"));
	json_decref(doc);
	snprintf(path, sizeof path, "/api/v1/listings/%s/submit", id);
	api_expect_only(200, "POST", path, c->members[0].token, NULL);
	snprintf(path, sizeof path, "/api/v1/listings/%s/approve", id);
	api_expect_only(200, "POST", path, c->admin.token, NULL);
}

static void cast_up(struct cast *c, char mode)
{
	api_start(NULL);
	c->port = api_port();
	sign_up_all(c, mode);
	char path[160];
	api_org_path(path, sizeof path, c->members[0].org_id, "/verify");
	api_expect_only(200, "POST", path, c->admin.token, "{\"note\":\"Đã kiểm tra giấy phép\"}");
	for (int i = 0; i < OFFERS; i++)
		publish_offer(c, i, c->offers[i]);
	snprintf(path, sizeof path, "/api/v1/listings/%s/interests", c->offers[0]);
	for (int m = 1; m < MEMBERS; m++) {
		json_t *doc = api_expect_json(201, "POST", path, c->members[m].token,
					      "{\"message\":\"Chúng tôi muốn trao đổi thêm.\"}");
		snprintf(c->deals[m], sizeof c->deals[m], "%s", api_str(doc, "id"));
		json_decref(doc);
	}
	snprintf(c->deals[0], sizeof c->deals[0], "%s", c->deals[1]); /* the seller writes as the listing's side */
}

/* ------------------------------------------------------------ a client thread */

struct worker {
	int n;
	char mode;
	char tag[32]; /* api_tag(), copied before the thread starts */
	const struct cast *cast;
	atomic_bool *stop;
	double t0;
	struct rec *recs; /* malloc'd, in the order sent */
	size_t nrecs, cap;
	bool out_of_memory;
	/* The listing this thread PATCHes next, and its version; none before a create. */
	char target[40];
	long target_version;
	int interests, saved, seq;
	double next_interest, next_saved;
};

static const struct api_acct *member_of(const struct worker *w) { return &w->cast->members[w->n % MEMBERS]; }

static struct rec *new_rec(struct worker *w, enum kind k)
{
	if (w->nrecs == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		struct rec *more = realloc(w->recs, cap * sizeof *more);
		if (more == NULL) {
			w->out_of_memory = true;
			return NULL;
		}
		w->recs = more;
		w->cap = cap;
	}
	struct rec *c = &w->recs[w->nrecs++];
	memset(c, 0, sizeof *c);
	c->kind = k;
	snprintf(c->marker, sizeof c->marker, "wf%s%c%02dn%04d", w->tag, w->mode, w->n, w->seq++);
	return c;
}

/* Sends c (method, path, body) with the headers its kind needs, and records the answer in *a. */
static void perform(int port, const struct rec *c, const char *token, struct answer *a)
{
	char auth[96], key[96], if_match[48];
	const char *headers[5];
	int n = 0;
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	headers[n++] = auth;
	if (c->body != NULL)
		headers[n++] = "Content-Type: application/json";
	if (idempotent(c->kind)) {
		snprintf(key, sizeof key, "Idempotency-Key: %s", c->marker);
		headers[n++] = key;
	}
	if (c->kind == K_PATCH) {
		snprintf(if_match, sizeof if_match, "If-Match: \"%ld\"", c->if_match);
		headers[n++] = if_match;
	}
	headers[n] = NULL;
	memset(a, 0, sizeof *a);
	struct it_response r;
	if (!it_http(port, c->method, c->path, headers, c->body, c->body ? strlen(c->body) : 0, &r))
		return;
	a->status = r.status;
	a->body = r.body; /* taken over */
	r.body = NULL;
	const char *replayed = it_header(&r, "Idempotency-Replayed");
	a->replayed = replayed != NULL && strcmp(replayed, "true") == 0;
	a->retry_after = it_header(&r, "Retry-After") != NULL;
	it_response_free(&r);
}

/* The id and version of a 2xx document, into c; false when it has none. */
static bool read_document(struct rec *c)
{
	json_t *doc = json_loads(c->first.body, 0, NULL);
	const char *id = json_string_value(json_object_get(doc, "id"));
	bool ok = id != NULL;
	if (ok)
		snprintf(c->id, sizeof c->id, "%s", id);
	c->version = (long)json_integer_value(json_object_get(doc, "version"));
	json_decref(doc);
	return ok;
}

/*
 * The next request of w: a fixed rotation of kinds, where an interest or a
 * saved search comes at most once in BUDGETED_EVERY_MS (so that they spread
 * over the whole load, faults included) and while the thread has some
 * left, and a PATCH needs a listing (else it is a create).
 */
static enum kind next_kind(struct worker *w, double now)
{
	static const enum kind rotation[] = {K_CREATE, K_PATCH,   K_MESSAGE, K_READ,  K_PUT,
					     K_PATCH,  K_INTEREST, K_MESSAGE, K_SAVED, K_READ};
	enum kind k = rotation[w->seq % (int)(sizeof rotation / sizeof rotation[0])];
	if (k == K_INTEREST && (w->n % MEMBERS == 0 || w->interests == SLOTS || now < w->next_interest))
		k = K_MESSAGE;
	if (k == K_SAVED && (w->saved == SAVED || now < w->next_saved))
		k = K_PUT;
	if (k == K_PATCH && w->target[0] == '\0')
		k = K_CREATE;
	return k;
}

/* Fills in c's request: method, path, body and the text its row will hold. */
static bool compose(struct worker *w, struct rec *c, double now)
{
	const struct cast *cast = w->cast;
	char summary[160];
	int m = w->n % MEMBERS;
	int r = 0;
	switch (c->kind) {
	case K_CREATE:
		c->method = "POST";
		snprintf(c->path, sizeof c->path, "/api/v1/listings");
		listing_title(c->text, sizeof c->text, c->marker);
		listing_summary(summary, sizeof summary, c->marker);
		r = asprintf(&c->body,
			     "{\"kind\":\"technology_demand\",\"title\":\"%s\",\"summary\":\"%s\",\"sector\":\"2.2\","
			     "\"province\":\"quang-tri\"}",
			     c->text, summary);
		break;
	case K_PATCH:
		c->method = "PATCH";
		snprintf(c->target, sizeof c->target, "%s", w->target);
		c->if_match = w->target_version;
		snprintf(c->path, sizeof c->path, "/api/v1/listings/%s", w->target);
		listing_title(c->text, sizeof c->text, c->marker);
		listing_summary(summary, sizeof summary, c->marker);
		r = asprintf(&c->body, "{\"title\":\"%s\",\"summary\":\"%s\"}", c->text, summary);
		break;
	case K_INTEREST:
		c->method = "POST";
		snprintf(c->path, sizeof c->path, "/api/v1/listings/%s/interests",
			 cast->offers[1 + (w->n / MEMBERS) * SLOTS + w->interests]);
		w->interests++;
		w->next_interest = now + BUDGETED_EVERY_MS / 1000.0;
		snprintf(c->text, sizeof c->text, "Chúng tôi cần công nghệ này %s", c->marker);
		r = asprintf(&c->body, "{\"message\":\"%s\",\"proposed_value_vnd\":150000000}", c->text);
		break;
	case K_MESSAGE:
		c->method = "POST";
		snprintf(c->path, sizeof c->path, "/api/v1/deals/%s/messages", cast->deals[m]);
		snprintf(c->text, sizeof c->text, "Xin gửi thêm hồ sơ kỹ thuật %s", c->marker);
		r = asprintf(&c->body, "{\"body\":\"%s\"}", c->text);
		break;
	case K_SAVED:
		c->method = "POST";
		snprintf(c->path, sizeof c->path, "/api/v1/saved-searches");
		w->saved++;
		w->next_saved = now + BUDGETED_EVERY_MS / 1000.0;
		snprintf(c->text, sizeof c->text, "Máy sấy %s", c->marker);
		r = asprintf(&c->body, "{\"name\":\"%s\",\"filters\":{\"q\":\"máy sấy\",\"province\":\"quang-tri\"}}",
			     c->text);
		break;
	case K_PUT:
		c->method = "PUT";
		snprintf(c->path, sizeof c->path, "/api/v1/indicators/" INDICATOR "/values/%d", FIRST_YEAR + w->n);
		snprintf(c->text, sizeof c->text, "Đánh giá giữa kỳ %s", c->marker);
		r = asprintf(&c->body, "{\"value\":\"%s\",\"note\":\"%s\"}", c->text, c->text);
		break;
	case K_READ:
		c->method = "GET";
		if (w->seq % 4 < 2)
			snprintf(c->path, sizeof c->path, "/api/v1/listings?mine=true&limit=5");
		else
			snprintf(c->path, sizeof c->path, "/api/v1/deals/%s", cast->deals[m]);
		break;
	}
	if (r < 0)
		c->body = NULL; /* asprintf leaves it undefined */
	return r >= 0;
}

/* What a 2xx answer tells the thread: the listing to PATCH next and its version. */
static void learn(struct worker *w, struct rec *c)
{
	if (c->kind != K_CREATE && c->kind != K_PATCH)
		return;
	bool ok = is_2xx(c->first.status) && read_document(c);
	if (c->kind == K_CREATE && ok) {
		snprintf(w->target, sizeof w->target, "%s", c->id);
		w->target_version = c->version;
	} else if (c->kind == K_PATCH && ok) {
		w->target_version = c->version;
	} else if (c->kind == K_PATCH) {
		w->target[0] = '\0'; /* its outcome is unknown: no PATCH of that listing again */
	}
}

static void *load(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(w->stop) && !w->out_of_memory) {
		double now = it_now() - w->t0;
		enum kind k = next_kind(w, now);
		struct rec *c = new_rec(w, k);
		if (c == NULL || !compose(w, c, now)) {
			w->out_of_memory = true;
			break;
		}
		c->at = now;
		perform(w->cast->port, c, k == K_PUT ? w->cast->admin.token : member_of(w)->token, &c->first);
		learn(w, c);
		it_sleep_ms(is_2xx(c->first.status) ? PAUSE_MS : BACKOFF_MS);
	}
	return NULL;
}

/* Replays every idempotent request of w with its key and body. */
static void *replay(void *arg)
{
	struct worker *w = arg;
	for (size_t i = 0; i < w->nrecs; i++)
		if (idempotent(w->recs[i].kind))
			perform(w->cast->port, &w->recs[i], member_of(w)->token, &w->recs[i].again);
	return NULL;
}

static void start_threads(pthread_t t[THREADS], struct worker *w, void *(*fn)(void *))
{
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn, &w[i]), 0);
}

static void join_threads(pthread_t t[THREADS])
{
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}

static void free_workers(struct worker *w)
{
	for (int i = 0; i < THREADS; i++) {
		for (size_t j = 0; j < w[i].nrecs; j++) {
			free(w[i].recs[j].body);
			free(w[i].recs[j].first.body);
			free(w[i].recs[j].again.body);
		}
		free(w[i].recs);
	}
}

/* ------------------------------------------------------------ the fault */

/* Runs a cluster control command, failing the test with its output if it fails. */
static void control(const char *what, const char *command)
{
	struct it_cmd c;
	it_run_shell(command, 60000, &c);
	ck_assert_msg(c.status == 0, "%s (%s) exited %d: %s%s", what, command, c.status, c.out, c.err);
	it_cmd_free(&c);
}

static int readyz(int port)
{
	struct it_response r;
	if (!it_get(port, "/readyz", &r))
		return 0;
	int status = r.status;
	it_response_free(&r);
	return status;
}

/*
 * Runs start_cmd in the background, notes when PostgreSQL accepts
 * connections again (*up, it_now()), and returns how long after that the
 * server's /readyz answered 200; fails the test when it does not within
 * 2 * RECOVERY_LIMIT_S, or when the command fails.
 */
static double restart(const char *start_cmd, int port, double *up)
{
	struct it_proc p;
	it_proc_start(&p, (const char *const[]){"/bin/sh", "-c", start_cmd, NULL}, NULL);
	const char *url = it_db_url();
	double deadline = it_now() + 60;
	while (PQping(url) != PQPING_OK && it_now() < deadline)
		it_sleep_ms(10);
	*up = it_now();
	int status;
	while ((status = readyz(port)) != 200 && it_now() - *up < 2 * RECOVERY_LIMIT_S)
		it_sleep_ms(10);
	double recovered = it_now() - *up;
	struct it_cmd c;
	it_proc_finish(&p, 60000, &c);
	ck_assert_msg(c.status == 0, "MARKETPLACE_TEST_PG_START (%s) exited %d: %s%s", start_cmd, c.status, c.out,
		      c.err);
	it_cmd_free(&c);
	ck_assert_msg(status == 200, "/readyz still %d %.1f s after PostgreSQL accepted connections again", status,
		      recovered);
	return recovered;
}

/* Parent side: whatever happened in the test, leave the shared cluster running. */
static void ensure_database_up(void)
{
	const char *url = getenv("MARKETPLACE_TEST_DATABASE_URL");
	const char *start_cmd = getenv("MARKETPLACE_TEST_PG_START");
	if (url == NULL || start_cmd == NULL || PQping(url) == PQPING_OK)
		return;
	fprintf(stderr, "write_faults: PostgreSQL is down after the test; starting it again\n");
	if (it_shell(start_cmd) != 0)
		fprintf(stderr, "write_faults: MARKETPLACE_TEST_PG_START failed\n");
}

/* ------------------------------------------------------------ the checks */

struct tally {
	int sent, ok, unavailable, none, other, lost, half, replayed;
	struct api_failures failures;
};

static void note(struct tally *t, int *counter, char *msg)
{
	if (counter != NULL)
		(*counter)++;
	api_note_failure(&t->failures, msg);
}

/* printf into a malloc'd string (free it). */
static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	char *s;
	int n = vasprintf(&s, format, ap);
	va_end(ap);
	ck_assert_msg(n >= 0, "out of memory");
	return s;
}

/* "<marker> POST interests /api/v1/listings/.../interests (thread 3, sent 2.41 s into the load)" (free it). */
static char *describe(const struct worker *w, const struct rec *c)
{
	return fmt("%s %s %s (thread %d, sent %.2f s into the load)", c->marker, kind_names[c->kind], c->path, w->n,
		   c->at);
}

/* The answers themselves: 2xx, 503 with Retry-After, or none; counts them. */
static void check_answers(struct tally *t, const struct worker *w)
{
	for (size_t i = 0; i < w->nrecs; i++) {
		const struct rec *c = &w->recs[i];
		int s = c->first.status;
		t->sent++;
		if (is_2xx(s)) {
			t->ok++;
		} else if (s == 503) {
			t->unavailable++;
			if (!c->first.retry_after) {
				char *d = describe(w, c);
				note(t, NULL, fmt("%s: 503 without Retry-After", d));
				free(d);
			}
		} else if (s == 0) {
			t->none++;
		} else {
			char *d = describe(w, c);
			note(t, &t->other, fmt("%s: %d %.300s", d, s, c->first.body));
			free(d);
		}
	}
}


/* The member of a write's document that holds its text. */
static const char *text_member(enum kind k)
{
	switch (k) {
	case K_CREATE:
	case K_PATCH: return "title";
	case K_INTEREST: return "message";
	case K_MESSAGE: return "body";
	case K_SAVED: return "name";
	case K_PUT: return "value";
	case K_READ: break;
	}
	return NULL;
}

/*
 * What a 2xx write answered: its text as sent, and for a listing its
 * version (1 when created; one more than the If-Match of a PATCH) and
 * status, for an interest the state "proposed".  A write answered otherwise
 * than it was made counts as lost.
 */
static void check_documents(struct tally *t, struct worker *w)
{
	for (size_t i = 0; i < w->nrecs; i++) {
		struct rec *c = &w->recs[i];
		if (!is_2xx(c->first.status) || c->kind == K_READ)
			continue;
		json_t *doc = json_loads(c->first.body, 0, NULL);
		const char *text = json_string_value(json_object_get(doc, text_member(c->kind)));
		const char *status = json_string_value(json_object_get(doc, "status"));
		const char *state = json_string_value(json_object_get(doc, "state"));
		bool ok = text != NULL && strcmp(text, c->text) == 0 && (c->kind == K_PUT || read_document(c));
		if (c->kind == K_CREATE)
			ok = ok && c->version == 1 && status != NULL && strcmp(status, "draft") == 0;
		if (c->kind == K_PATCH)
			ok = ok && c->version == c->if_match + 1 && status != NULL && strcmp(status, "draft") == 0;
		if (c->kind == K_INTEREST)
			ok = ok && c->version == 1 && state != NULL && strcmp(state, "proposed") == 0;
		if (!ok) {
			char *d = describe(w, c);
			note(t, &t->lost, fmt("lost: %s answered %d %.300s", d, c->first.status, c->first.body));
			free(d);
		}
		json_decref(doc);
	}
}

/*
 * Runs sql, which selects (marker, what is wrong) from
 * jsonb_to_recordset($1::jsonb) over items (a JSON array, released here),
 * and notes each row as a failure; adds their number to *counter.
 */
static void failing_rows(struct tally *t, int *counter, PGconn *pg, json_t *items, const char *what, const char *sql)
{
	char *text = json_dumps(items, JSON_COMPACT);
	ck_assert_msg(text != NULL, "out of memory");
	json_decref(items);
	const char *params[1] = {text};
	PGresult *res = PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", what, PQerrorMessage(pg));
	for (int i = 0; i < PQntuples(res); i++)
		note(t, counter, fmt("%s: %s: %s", what, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)));
	PQclear(res);
	free(text);
}

/*
 * One item of a set to check: the request's marker and text, the id and
 * version it was answered, and where its row is: o, the owner the
 * queries narrow the search by (the member's organisation for a listing or
 * an interest, the member for a saved search, the deal for a message), and
 * e, the audit entity of the thread's indicator year.
 */
static json_t *item(const struct worker *w, const struct rec *c, const char *id, long version)
{
	const struct api_acct *m = member_of(w);
	const char *owner = c->kind == K_SAVED	  ? m->user_id
			    : c->kind == K_MESSAGE ? w->cast->deals[w->n % MEMBERS]
						   : m->org_id;
	char entity[48];
	snprintf(entity, sizeof entity, INDICATOR "/%d", FIRST_YEAR + w->n);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "m", c->marker, "t", c->text, "id", id ? id : "",
			      "v", (json_int_t)version, "o", owner, "e", entity);
	ck_assert(o != NULL);
	return o;
}

/* Every request of kind k whose first answer was (answered_2xx) or was not 2xx, as items. */
static json_t *items_of(struct worker *w, enum kind k, bool answered_2xx)
{
	json_t *a = json_array();
	for (int i = 0; i < THREADS; i++)
		for (size_t j = 0; j < w[i].nrecs; j++) {
			const struct rec *c = &w[i].recs[j];
			if (c->kind == k && is_2xx(c->first.status) == answered_2xx)
				json_array_append_new(a, item(&w[i], c, c->id, c->version));
		}
	return a;
}

#define ITEMS " FROM jsonb_to_recordset($1::jsonb) AS x(m text, t text, id text, v int, o text, e text)"

/*
 * The audit rows of this test (the checks read them by entity_id, which no
 * index serves, and the shared database keeps every run's): a temporary
 * table of those past `since`, the last id before the test.
 */
static void keep_run_audit(PGconn *pg, const char *since)
{
	api_sql_exec(pg, "CREATE TEMP TABLE run_audit AS SELECT * FROM audit_log WHERE id > $1::bigint", since, NULL);
}

/* The rows of 2xx creates, interests, messages, saved searches and PUTs: as answered, or lost. */
static void check_answered_rows(struct tally *t, PGconn *pg, struct worker *w)
{
	failing_rows(t, &t->lost, pg, items_of(w, K_CREATE, true), "lost: a listing created 2xx",
		     "SELECT x.m, 'no listing.create audit row of version 1 with its title, or no draft'" ITEMS
		     " WHERE NOT EXISTS (SELECT 1 FROM run_audit a WHERE a.action = 'listing.create'"
		     "   AND a.entity_id = x.id AND a.after->>'title' = x.t AND (a.after->>'version')::int = 1)"
		     " OR NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = x.id::uuid AND l.status = 'draft')");
	failing_rows(t, &t->lost, pg, items_of(w, K_INTEREST, true), "lost: an interest answered 2xx",
		     "SELECT x.m, coalesce((SELECT d.state || ' v' || d.version || ' ' || d.message || ', '"
		     "   || (SELECT count(*) FROM deal_events e WHERE e.deal_id = d.id AND e.kind = 'created') || ' created events'"
		     "   FROM deals d WHERE d.id = x.id::uuid), 'no deal')" ITEMS
		     " WHERE NOT EXISTS (SELECT 1 FROM deals d WHERE d.id = x.id::uuid AND d.state = 'proposed'"
		     "   AND d.version = x.v AND d.message = x.t AND d.initiator_org = x.o::uuid"
		     "   AND (SELECT count(*) FROM deal_events e WHERE e.deal_id = d.id AND e.kind = 'created') = 1)");
	failing_rows(t, &t->lost, pg, items_of(w, K_MESSAGE, true), "lost: a message answered 2xx",
		     "SELECT x.m, coalesce((SELECT m.body FROM deal_messages m WHERE m.id = x.id::uuid), 'no row')" ITEMS
		     " WHERE NOT EXISTS (SELECT 1 FROM deal_messages m WHERE m.id = x.id::uuid AND m.body = x.t"
		     "   AND m.deal_id = x.o::uuid)");
	failing_rows(t, &t->lost, pg, items_of(w, K_SAVED, true), "lost: a saved search answered 2xx",
		     "SELECT x.m, coalesce((SELECT s.name FROM saved_searches s WHERE s.id = x.id::uuid), 'no row')" ITEMS
		     " WHERE NOT EXISTS (SELECT 1 FROM saved_searches s WHERE s.id = x.id::uuid AND s.name = x.t"
		     "   AND s.user_id = x.o::uuid)");
	failing_rows(t, &t->lost, pg, items_of(w, K_PUT, true), "lost: a value PUT 2xx",
		     "SELECT x.m, n || ' audit rows with its value and note'" ITEMS
		     ", LATERAL (SELECT count(*) AS n FROM run_audit a WHERE a.action = 'indicator.value'"
		     "   AND a.entity_id = x.e AND a.after->>'note' = x.t AND a.after->>'value' = x.t) c WHERE n <> 1");
}

/* Writes without a 2xx that no Idempotency-Key settles: a message or a PUT applied once at most, fully. */
static void check_unanswered_rows(struct tally *t, PGconn *pg, struct worker *w, int *committed)
{
	failing_rows(t, &t->half, pg, items_of(w, K_MESSAGE, false), "a message without a 2xx",
		     "SELECT x.m, n || ' rows'" ITEMS
		     ", LATERAL (SELECT count(*) AS n FROM deal_messages m WHERE m.deal_id = x.o::uuid AND m.body = x.t) c"
		     " WHERE n > 1");
	failing_rows(t, &t->half, pg, items_of(w, K_PUT, false), "a value PUT without a 2xx",
		     "SELECT x.m, n || ' audit rows, ' || whole || ' with the value and the note'" ITEMS
		     ", LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE a.after->>'value' = x.t) AS whole"
		     "   FROM run_audit a WHERE a.action = 'indicator.value' AND a.entity_id = x.e AND a.after->>'note' = x.t) c"
		     " WHERE n > 1 OR whole <> n");
	/* For the figures: how many of them took effect although unanswered. */
	char *items = api_dump(items_of(w, K_MESSAGE, false));
	*committed += (int)api_sql_long(pg,
					"SELECT count(*)" ITEMS " WHERE EXISTS (SELECT 1 FROM deal_messages m"
					" WHERE m.deal_id = x.o::uuid AND m.body = x.t)",
					items, NULL);
	free(items);
	items = api_dump(items_of(w, K_PUT, false));
	*committed += (int)api_sql_long(pg,
					"SELECT count(*)" ITEMS " WHERE EXISTS (SELECT 1 FROM run_audit a"
					" WHERE a.action = 'indicator.value' AND a.entity_id = x.e AND a.after->>'note' = x.t)",
					items, NULL);
	free(items);
}

/*
 * Each thread's chain of PATCHes per listing it created (see the file's
 * comment): the row is the last 2xx state, or that of the unanswered PATCH
 * after it, title and summary of the same request.
 */
static void check_listing_chains(struct tally *t, PGconn *pg, struct worker *w, int *committed)
{
	json_t *a = json_array();
	for (int i = 0; i < THREADS; i++)
		for (size_t j = 0; j < w[i].nrecs; j++) {
			const struct rec *c = &w[i].recs[j];
			if (c->kind != K_CREATE || !is_2xx(c->first.status))
				continue;
			const struct rec *known = c, *unknown = NULL;
			for (size_t k = j + 1; k < w[i].nrecs; k++) {
				const struct rec *p = &w[i].recs[k];
				if (p->kind != K_PATCH || strcmp(p->target, c->id) != 0)
					continue;
				ck_assert_msg(unknown == NULL, "%s: a PATCH after one without an answer", p->marker);
				if (is_2xx(p->first.status))
					known = p;
				else
					unknown = p;
			}
			json_t *o = item(&w[i], known, c->id, known->version);
			char summary[160];
			listing_summary(summary, sizeof summary, known->marker);
			json_object_set_new(o, "s", json_string(summary));
			if (unknown != NULL) {
				json_object_set_new(o, "ut", json_string(unknown->text));
				listing_summary(summary, sizeof summary, unknown->marker);
				json_object_set_new(o, "us", json_string(summary));
			}
			json_array_append_new(a, o);
		}
	char *text = api_dump(a);
	const char *params[1] = {text};
	PGresult *res = PQexecParams(
		pg,
		"SELECT x.m, coalesce(l.version || ' ' || l.title || ' / ' || l.summary, 'no row'), x.ut IS NOT NULL,"
		" coalesce(l.version = x.v + 1 AND l.title = x.ut AND l.summary = x.us, false)"
		" FROM jsonb_to_recordset($1::jsonb) AS x(m text, t text, id text, v int, s text, ut text, us text)"
		" LEFT JOIN listings l ON l.id = x.id::uuid"
		" WHERE l.id IS NULL OR NOT (l.version = x.v AND l.title = x.t AND l.summary = x.s)",
		1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "listing chains: %s", PQerrorMessage(pg));
	for (int i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 3), "t") == 0) {
			(*committed)++; /* the unanswered PATCH after the last 2xx write, whole */
			continue;
		}
		bool unanswered = strcmp(PQgetvalue(res, i, 2), "t") == 0;
		note(t, unanswered ? &t->half : &t->lost,
		     fmt("%s: the listing whose last 2xx write is %s holds %s", unanswered ? "lost or half done" : "lost",
			 PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)));
	}
	PQclear(res);
	free(text);
}

/*
 * Each thread's year of the indicator: value and note of one request, the
 * latest audit row's, and the last 2xx PUT's unless unanswered PUTs came
 * after it (then one of those, or it).
 */
static void check_indicator_years(struct tally *t, PGconn *pg, struct worker *w)
{
	json_t *a = json_array();
	for (int i = 0; i < THREADS; i++) {
		json_t *candidates = json_array();
		const struct rec *last = NULL;
		for (size_t j = 0; j < w[i].nrecs; j++) {
			const struct rec *c = &w[i].recs[j];
			if (c->kind != K_PUT)
				continue;
			if (is_2xx(c->first.status))
				json_array_clear(candidates);
			json_array_append_new(candidates, json_string(c->text));
			last = c;
		}
		if (last == NULL) {
			json_decref(candidates);
			continue;
		}
		json_t *o = item(&w[i], last, NULL, 0);
		json_object_set_new(o, "c", candidates);
		json_array_append_new(a, o);
	}
	failing_rows(t, &t->lost, pg, a, "lost: an indicator year",
		     "SELECT x.m, coalesce(v.value_text || ' / ' || v.note || ' / latest audit: ' || l.latest, 'no row')"
		     " FROM jsonb_to_recordset($1::jsonb) AS x(m text, e text, c jsonb)"
		     " LEFT JOIN indicator_values v ON v.code || '/' || v.year = x.e"
		     " LEFT JOIN LATERAL (SELECT a.after->>'note' AS latest FROM run_audit a"
		     "   WHERE a.action = 'indicator.value' AND a.entity_id = x.e ORDER BY a.id DESC LIMIT 1) l ON true"
		     " WHERE v.code IS NULL OR NOT coalesce(v.value_text = v.note AND v.note = l.latest AND x.c ? v.note, false)");
}

/* Where an idempotent create's row is, for the replay check's query. */
static const char *table_of(enum kind k)
{
	return k == K_CREATE ? "listings" : k == K_INTEREST ? "deals" : "saved_searches";
}

/*
 * The replays: a 2xx answer comes again, the same status and body, marked
 * as a replay; a request without one now gets 201, and its text is in
 * exactly one row, the one answered.  Counts the replays that were right,
 * and those of unanswered requests that had committed after all.
 */
static void check_replays(struct tally *t, PGconn *pg, struct worker *w, int *committed)
{
	json_t *a = json_array();
	for (int i = 0; i < THREADS; i++)
		for (size_t j = 0; j < w[i].nrecs; j++) {
			const struct rec *c = &w[i].recs[j];
			if (!idempotent(c->kind))
				continue;
			bool ok;
			if (is_2xx(c->first.status)) {
				ok = c->again.status == c->first.status && c->again.body != NULL &&
				     strcmp(c->again.body, c->first.body) == 0 && c->again.replayed;
			} else {
				json_t *doc = c->again.status == 201 ? json_loads(c->again.body, 0, NULL) : NULL;
				const char *id = json_string_value(json_object_get(doc, "id"));
				ok = id != NULL;
				if (ok) {
					json_t *o = item(&w[i], c, id, 0);
					json_object_set_new(o, "k", json_string(table_of(c->kind)));
					json_array_append_new(a, o);
					*committed += c->again.replayed;
				}
				json_decref(doc);
			}
			if (ok) {
				t->replayed++;
			} else {
				char *d = describe(&w[i], c);
				note(t, NULL, fmt("replay of %s (first %d %.200s): %d%s %.300s", d, c->first.status,
						  c->first.body ? c->first.body : "", c->again.status,
						  c->again.replayed ? " replayed" : "", c->again.body ? c->again.body : ""));
				free(d);
			}
		}
	failing_rows(t, NULL, pg, a, "a write without a 2xx, replayed",
		     "SELECT x.m, n || ' rows hold its text' || CASE WHEN n = 1 THEN ', not the one answered' ELSE '' END"
		     " FROM jsonb_to_recordset($1::jsonb) AS x(m text, t text, id text, o text, k text),"
		     " LATERAL (SELECT count(*) AS n, bool_and(r.id::text = x.id) AS same FROM ("
		     "   SELECT l.id FROM listings l WHERE x.k = 'listings' AND l.organization_id = x.o::uuid AND l.title = x.t"
		     "   UNION ALL SELECT d.id FROM deals d WHERE x.k = 'deals' AND d.buyer_org = x.o::uuid AND d.message = x.t"
		     "   UNION ALL SELECT s.id FROM saved_searches s WHERE x.k = 'saved_searches' AND s.user_id = x.o::uuid"
		     "     AND s.name = x.t) r) c"
		     " WHERE n <> 1 OR NOT same");
}

/* Every thread made a write that got 2xx after the server recovered (sent after `after`). */
static void check_served_after(struct tally *t, const struct worker *w, double after)
{
	for (int i = 0; i < THREADS; i++) {
		bool served = false;
		for (size_t j = 0; j < w[i].nrecs && !served; j++)
			served = w[i].recs[j].kind != K_READ && w[i].recs[j].at >= after && is_2xx(w[i].recs[j].first.status);
		if (!served)
			note(t, NULL, fmt("thread %d: no write answered 2xx after /readyz recovered", i));
	}
}

/* ------------------------------------------------------------ the tests */

/*
 * The load, PostgreSQL stopped by stop_cmd during it and started again,
 * and every check; prints the figures as "write_faults[name]: ...".
 */
static void write_through_fault(const char *name, char mode, const char *stop_cmd)
{
	const char *start_cmd = it_env("MARKETPLACE_TEST_PG_START");
	double began = it_now();
	struct cast *cast = calloc(1, sizeof *cast);
	ck_assert(cast != NULL);
	cast_up(cast, mode);
	PGconn *pg = it_pg_connect(it_db_url());
	char *audit_since = it_pg_value(pg, "SELECT coalesce(max(id), 0) FROM audit_log");
	PQfinish(pg); /* PostgreSQL is about to go */
	double set_up = it_now() - began;

	atomic_bool stop = false;
	struct worker w[THREADS];
	memset(w, 0, sizeof w);
	double t0 = it_now();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.n = i, .mode = mode, .cast = cast, .stop = &stop, .t0 = t0};
		snprintf(w[i].tag, sizeof w[i].tag, "%s", api_tag());
	}
	pthread_t threads[THREADS];
	start_threads(threads, w, load);

	it_sleep_ms(LOAD_BEFORE_MS);
	control("MARKETPLACE_TEST_PG_STOP", stop_cmd);
	double down = it_now() - t0;
	it_sleep_ms(DOWN_MS);
	double up;
	double recovered = restart(start_cmd, cast->port, &up);
	up -= t0;
	double recovered_at = up + recovered;
	it_sleep_ms(LOAD_AFTER_MS);
	atomic_store(&stop, true);
	join_threads(threads);
	double loaded = it_now() - t0;
	for (int i = 0; i < THREADS; i++)
		ck_assert_msg(!w[i].out_of_memory, "thread %d ran out of memory", i);

	double replays_began = it_now();
	start_threads(threads, w, replay);
	join_threads(threads);

	pg = it_pg_connect(it_db_url());
	keep_run_audit(pg, audit_since);
	free(audit_since);
	struct tally t = {0};
	int committed = 0; /* writes that took effect without a 2xx */
	for (int i = 0; i < THREADS; i++) {
		check_answers(&t, &w[i]);
		check_documents(&t, &w[i]);
	}
	check_answered_rows(&t, pg, w);
	check_listing_chains(&t, pg, w, &committed);
	check_indicator_years(&t, pg, w);
	check_unanswered_rows(&t, pg, w, &committed);
	check_replays(&t, pg, w, &committed);
	check_served_after(&t, w, recovered_at);
	PQfinish(pg);
	double checked = it_now() - replays_began;

	printf("write_faults[%s]: sent %d, 2xx %d, 503 %d, no answer %d, other %d, lost %d, replayed %d ok,"
	       " recovered in %.1f s\n",
	       name, t.sent, t.ok, t.unavailable, t.none, t.other, t.lost, t.replayed, recovered);
	fflush(stdout);
	fprintf(stderr,
		"write_faults[%s]: %d threads; set up in %.1f s; PostgreSQL down %.2f s into the load, accepting"
		" connections again at %.2f s, /readyz 200 at %.2f s; load %.1f s; replays and checks %.1f s;"
		" %d writes took effect without a 2xx; half done %d; %.1f s in all\n",
		name, THREADS, set_up, down, up, recovered_at, loaded, checked, committed, t.half, it_now() - began);

	ck_assert_msg(t.failures.len == 0, "write_faults[%s]: %s", name, t.failures.s);
	free(t.failures.s);
	ck_assert_msg(recovered <= RECOVERY_LIMIT_S,
		      "/readyz answered 200 %.1f s after PostgreSQL accepted connections again (limit %d s)", recovered,
		      RECOVERY_LIMIT_S);
	free_workers(w);
	free(cast);
	api_stop_ok();
}

/* pg_ctl -m fast: the backends are told to end, the clients see their connections close. */
START_TEST(test_stop_during_writes)
{
	write_through_fault("stop", 's', it_env("MARKETPLACE_TEST_PG_STOP"));
}
END_TEST

/* pg_ctl -m immediate: every PostgreSQL process is killed, as in a crash; it recovers from the WAL. */
START_TEST(test_crash_during_writes)
{
	char *stop_cmd = fmt("%s immediate", it_env("MARKETPLACE_TEST_PG_STOP"));
	write_through_fault("crash", 'c', stop_cmd);
	free(stop_cmd);
}
END_TEST

/* Each test in a case of its own, so that the unchecked teardown runs right after it. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, ensure_database_up);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

int main(void)
{
	api_init();
	Suite *s = suite_create("integration_write_faults");
	add_case(s, "stop", test_stop_during_writes);
	add_case(s, "crash", test_crash_during_writes);
	return check_run(s);
}
