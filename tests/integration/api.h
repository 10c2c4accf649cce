/*
 * API-test helpers on top of harness.h: the server a suite talks to,
 * requests that must answer a given status, accounts, JSON fields and SQL
 * with parameters.  A first test of a new resource:
 *
 *	START_TEST(test_widgets)
 *	{
 *		struct api_acct a, adm;
 *		api_register(&a, "widget-owner", "Công ty Thiết bị", "enterprise", "quang-tri");
 *		api_login(&a);
 *		api_admin(&adm);
 *		json_t *doc = api_expect_json(201, "POST", "/api/v1/widgets", a.token, "{\"name\":\"x\"}");
 *		ck_assert_str_eq(api_str(doc, "name"), "x");
 *		json_decref(doc);
 *		api_expect_only(403, "DELETE", "/api/v1/widgets/...", a.token, NULL);
 *	}
 *	END_TEST
 *
 *	int main(void)
 *	{
 *		Suite *s = suite_create("integration_widgets");
 *		TCase *tc = tcase_create("widgets");
 *		tcase_add_test(tc, test_widgets);
 *		suite_add_tcase(s, tc);
 *		return api_run(s, NULL);   // one server for the whole suite
 *	}
 *
 * One server per suite.  api_run() starts the server in main(), before
 * Check forks the tests (see harness.h on fork mode), so it outlives each
 * test's child; every api_* request goes to it.  At the end it sends
 * SIGTERM and fails the run unless the server exits 0, so that
 * LeakSanitizer's findings in the server still fail the suite.  A test that
 * needs a server of its own (another environment) calls api_start(env) and
 * api_stop_ok(): from then on, in that test's child only, api_* requests go
 * to that server.
 *
 * The run tag.  api_init() (called by api_run(), or by main() itself before
 * the tests when it does not use api_run) makes a number from the time and
 * the process, so that emails, names and tax codes of one run do not
 * collide with those of earlier runs on the same database: api_make_email()
 * and api_register() use it.  It must be made in the parent, before the
 * forks, so that every test of a run sees the same one.
 *
 * Ownership.  A json_t * returned by an api_* function is the caller's one
 * reference: json_decref it.  A char * return is malloc'd: free it.  A
 * const char * or json_t * documented as borrowed points into the argument
 * (valid while that lives) or to static storage: do not free it.  A
 * struct it_response filled in here is the caller's: it_response_free it.
 * api_dump() and api_expect_invalid() take over the document they are given
 * (they json_decref it).  Nothing here keeps a pointer to an argument.
 *
 * Failure.  Like the it_* functions, the api_* ones fail the test with
 * ck_abort_msg when they cannot go on, so they may only be called inside a
 * test, except api_init() and api_run(), which are for main().
 */
#ifndef MARKETPLACE_IT_API_H
#define MARKETPLACE_IT_API_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* Read timeout of requests that may wait for password hashing. */
#define API_SLOW_MS 60000

/* ------------------------------------------------------------ the run and its server */

/* Makes the run tag and the bootstrap administrator's email; idempotent.  For main(). */
void api_init(void);
const char *api_tag(void); /* the run tag as text (static) */
long api_run_num(void);    /* the same as a number, below 10^8 */

/* The administrator every api server is started with (MARKETPLACE_BOOTSTRAP_ADMIN); static strings. */
const char *api_admin_email(void);
const char *api_admin_password(void);

/*
 * For main(): api_init(), then starts a server with the bootstrap
 * administrator and `env` ("NAME=value", NULL-terminated, may be NULL; as
 * for it_server_start), runs the suite (and frees it), stops the server.
 * Returns EXIT_SUCCESS only if every test passed, the server started, and it
 * exited 0 after SIGTERM.
 */
int api_run(Suite *s, const char *const *env);

/*
 * In a test: a server of the test's own, with the bootstrap administrator
 * and `env`; api_* requests go to it until api_stop_ok().
 */
void api_start(const char *const *env);
/* In a test: stops the server api_start() started; fails unless it exited 0. */
void api_stop_ok(void);
/* The port of the server in use (the test's own, else the suite's); fails if there is none. */
int api_port(void);

/* ------------------------------------------------------------ HTTP */

/*
 * Sends one request on a new connection and returns it (close it, or pass
 * it to api_recv).  src: the loopback address to send from ("127.x.y.z"; see
 * api_source_addr), NULL for 127.0.0.1.  token: a bearer token or NULL.  A
 * body is sent as application/json unless `extra` (one more header line,
 * or NULL) is a Content-Type.
 */
int api_send(const char *src, const char *method, const char *path, const char *token, const char *body,
	     const char *extra);
/* Reads the answer to api_send into *out and closes fd; fails the test if there is none. */
void api_recv(int fd, struct it_response *out, const char *method, const char *path);
/* Both: one request, any status. */
void api_call(struct it_response *out, const char *method, const char *path, const char *token,
	      const char *body, const char *extra);

/*
 * Fails unless r has `status`; an error must be a complete problem
 * document, a 401 must carry WWW-Authenticate, and a 200 or 201 must be
 * application/json.
 */
void api_check_status(const struct it_response *r, int status, const char *method, const char *path);
/* One request that must answer `status` (as api_check_status); *r is the caller's. */
void api_expect(struct it_response *r, int status, const char *method, const char *path, const char *token,
		const char *body, const char *extra);
/* The same, when the response itself does not matter. */
void api_expect_only(int status, const char *method, const char *path, const char *token, const char *body);
/* The same, returning the body parsed (json_decref it). */
json_t *api_expect_json(int status, const char *method, const char *path, const char *token,
			const char *body);

/*
 * Loopback address number `slot` (0-149) of this run, 127.(100+slot).y.z,
 * with y.z from the run tag.  Failed logins are counted per client address
 * for 15 minutes: requests meant to fail are sent from their own address so
 * that the limit never spills onto 127.0.0.1, other tests or later runs.
 * Each suite file documents the slots it uses.
 */
void api_source_addr(char out[32], int slot);

/* ------------------------------------------------------------ validation errors (422) */

/* A NULL-terminated list of (field, part of the message) pairs. */
#define API_PAIRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * Fails unless r is a 422 problem whose errors are exactly `pairs` (field,
 * part of its message, "" for any), in any order.  `what` names the case.
 */
void api_assert_errors(const struct it_response *r, const char *const *pairs, const char *what);
/* Sends doc (and releases it) as the body of method path; the answer must be api_assert_errors(pairs). */
void api_expect_invalid(const char *method, const char *path, const char *token, json_t *doc,
			const char *const *pairs, const char *what);

/* ------------------------------------------------------------ JSON */

/* Serialises doc compactly (UTF-8 kept as is) and releases it; free the result. */
char *api_dump(json_t *doc);
/* obj[key] as a string, borrowed from obj; fails if missing or not a string. */
const char *api_str(json_t *obj, const char *key);
/* parent[key] as an object, borrowed from parent; fails if missing or not an object. */
json_t *api_obj(json_t *parent, const char *key);
/* A lower-case hyphenated UUID? */
bool api_is_uuid(const char *s);
/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ", or -1. */
long api_parse_utc(const char *s);
/* base64url of text without padding, into out (truncated to size): the form of a cursor's
 * keys, without the signature the server requires. */
void api_b64url(const char *text, char *out, size_t size);

/*
 * Every item of GET <collection>?<query> (200 each), following next_cursor
 * to the end; json_decref the array.  query may be "".
 */
json_t *api_list_all(const char *collection, const char *query, const char *token);
/* Whether one of items has "id": id; fails when an item has no string id. */
bool api_has_id(json_t *items, const char *id);

/* ------------------------------------------------------------ SQL */

/*
 * The first column of the first row of sql, run with parameters $1 and $2
 * (as many as sql names; p2 may be NULL when it names only $1): malloc'd
 * text (free it), or NULL for SQL NULL or no row.  Fails the test when the
 * query fails.
 */
char *api_sql_value(PGconn *pg, const char *sql, const char *p1, const char *p2);
/* The same as a number; fails when there is no value. */
long api_sql_long(PGconn *pg, const char *sql, const char *p1, const char *p2);
/* Runs a command with parameters as api_sql_value; returns the number of rows it affected. */
long api_sql_exec(PGconn *pg, const char *sql, const char *p1, const char *p2);

/* ------------------------------------------------------------ accounts */

struct api_acct {
	char email[160], password[64], user_id[40], org_id[40], token[48];
};

/* "<who>.<tag>@example.vn": an email unique to this run. */
void api_make_email(char *out, size_t size, const char *who);
/*
 * A word of letters only, unique to this run and `what`: `what`, then up
 * to 30 letters drawn from the run tag and `what`, as many as size leaves
 * room for.  For titles a test searches for without meeting other runs'.
 */
void api_marker(char *out, size_t size, const char *what);
/* A 10-digit tax code unique to this run; k in 0-99 tells a run's apart. */
void api_make_tax(char out[16], int k);

/* A registration document (json_decref it, or hand it to api_dump); tax may be NULL. */
json_t *api_registration(const char *email, const char *password, const char *display_name,
			 const char *org_name, const char *kind, const char *province, const char *tax);
/*
 * Registers `who` with an organisation named "<org_name> <tag>" (201
 * expected), filling in a's email (api_make_email), password, user_id and
 * org_id; the token stays empty until api_login.
 */
void api_register(struct api_acct *a, const char *who, const char *org_name, const char *kind,
		  const char *province);
/* The same, returning the 201 document (json_decref it). */
json_t *api_register_doc(struct api_acct *a, const char *who, const char *org_name, const char *kind,
			 const char *province);

/* {"email": ..., "password": ...} serialised (free it). */
char *api_login_body(const char *email, const char *password);
/* Logs a in (200 expected) and keeps the token in a->token; checks or fills in a->user_id. */
void api_login(struct api_acct *a);
/* The same, returning the 200 document (json_decref it). */
json_t *api_login_doc(struct api_acct *a);
/* Logs in the bootstrap administrator into a (its role must be admin). */
void api_admin(struct api_acct *a);

/* "/api/v1/organizations/<id><suffix>" into out. */
void api_org_path(char *out, size_t size, const char *id, const char *suffix);

/*
 * The audit entry with `action` and `entity_id` among GET
 * /api/v1/audit?<query>, newest first, following cursors (50 pages at
 * most); json_decref it.  Fails the test if there is none.  token: an
 * administrator's.
 */
json_t *api_find_audit(const char *query, const char *token, const char *action, const char *entity_id);
/* The same, or NULL when there is none (for a check reported later). */
json_t *api_audit_entry(const char *query, const char *token, const char *action, const char *entity_id);

/*
 * A growing list of failure messages, for tables that report every failing
 * row at once: note each (msg malloc'd and taken over; NULL is ignored;
 * past about 3,000 characters only "(and more)" is added), then assert
 * len == 0 with s in the message, and free s.
 */
struct api_failures {
	char *s;
	size_t len;
};
void api_note_failure(struct api_failures *f, char *msg);

#endif
