/* API-test helpers (see api.h). */
#include "api.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"

static char tag[32];
static long run_num;
static char admin_email[128];
static const char admin_password[] = "Mật-khẩu-quản-trị-2026";

/* The suite's server (started by api_run in the parent) and a test's own (api_start, in its child). */
static struct it_server suite_server = {-1, 0};
static struct it_server own_server = {-1, 0};
static pid_t own_server_owner = -1;

/* ------------------------------------------------------------ the run and its server */

void api_init(void)
{
	if (tag[0] != '\0')
		return;
	run_num = ((long)time(NULL) % 1000000) * 100 + (long)getpid() % 100;
	snprintf(tag, sizeof tag, "%ld", run_num);
	snprintf(admin_email, sizeof admin_email, "quantri.%s@sokhcn.quangtri.gov.vn", tag);
}

const char *api_tag(void)
{
	ck_assert_msg(tag[0] != '\0', "api_init() was not called in main()");
	return tag;
}

long api_run_num(void)
{
	(void)api_tag();
	return run_num;
}

const char *api_admin_email(void)
{
	(void)api_tag();
	return admin_email;
}

const char *api_admin_password(void) { return admin_password; }

/* MARKETPLACE_BOOTSTRAP_ADMIN=... followed by env, into out (at most `cap` entries with the NULL). */
static bool server_env(const char **out, size_t cap, char *boot, size_t boot_size, const char *const *env)
{
	snprintf(boot, boot_size, "MARKETPLACE_BOOTSTRAP_ADMIN=%s:%s", admin_email, admin_password);
	size_t n = 0;
	out[n++] = boot;
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		if (n + 1 >= cap)
			return false;
		out[n++] = env[i];
	}
	out[n] = NULL;
	return true;
}

int api_run(Suite *s, const char *const *env)
{
	api_init();
	const char *all[64];
	char boot[512], err[512];
	if (!server_env(all, sizeof all / sizeof all[0], boot, sizeof boot, env)) {
		fprintf(stderr, "api_run: too many environment variables\n");
		srunner_free(srunner_create(s));
		return EXIT_FAILURE;
	}
	if (!it_server_launch(&suite_server, all, err, sizeof err)) {
		fprintf(stderr, "api_run: the suite's server did not start: %s\n", err);
		srunner_free(srunner_create(s));
		return EXIT_FAILURE;
	}
	int status = check_run(s);
	int rc = it_server_stop(&suite_server);
	if (rc != 0) {
		fprintf(stderr, "api_run: the suite's server exited with status %d, not 0 (a sanitizer report?)\n",
			rc);
		status = EXIT_FAILURE;
	}
	return status;
}

void api_start(const char *const *env)
{
	ck_assert_msg(own_server.pid <= 0 || own_server_owner != getpid(), "api_start: this test has a server already");
	const char *all[64];
	char boot[512];
	(void)api_tag();
	ck_assert_msg(server_env(all, sizeof all / sizeof all[0], boot, sizeof boot, env),
		      "api_start: too many environment variables");
	it_server_start(&own_server, all);
	own_server_owner = getpid();
}

void api_stop_ok(void)
{
	ck_assert_msg(own_server.pid > 0 && own_server_owner == getpid(),
		      "api_stop_ok: this test started no server (the suite's is stopped by api_run)");
	int rc = it_server_stop(&own_server);
	ck_assert_msg(rc == 0, "the server exited with status %d, not 0 (a sanitizer report?)", rc);
}

int api_port(void)
{
	if (own_server.pid > 0 && own_server_owner == getpid())
		return own_server.port;
	ck_assert_msg(suite_server.pid > 0, "no server: call api_start() in the test, or api_run() in main()");
	return suite_server.port;
}

/* ------------------------------------------------------------ HTTP */

void api_source_addr(char out[32], int slot)
{
	ck_assert_msg(slot >= 0 && slot < 150, "source slot %d is not in 0-149", slot);
	long n = api_run_num();
	snprintf(out, 32, "127.%d.%ld.%ld", 100 + slot, (n / 254) % 256, 1 + n % 254);
}

/* A blocking connection to the server, from `src` (NULL: 127.0.0.1). */
static int open_conn(const char *src, int timeout_ms)
{
	int port = api_port();
	if (src == NULL) {
		int fd = it_connect(port, timeout_ms);
		ck_assert_msg(fd >= 0, "cannot connect to port %d: %s", port, strerror(errno));
		return fd;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0};
	ck_assert_msg(inet_pton(AF_INET, src, &from.sin_addr) == 1, "bad address %s", src);
	ck_assert_msg(bind(fd, (struct sockaddr *)&from, sizeof from) == 0, "bind %s: %s", src, strerror(errno));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&to, sizeof to) == 0, "connect from %s: %s", src,
		      strerror(errno));
	return fd;
}

int api_send(const char *src, const char *method, const char *path, const char *token, const char *body,
	     const char *extra)
{
	char auth[128];
	const char *headers[4];
	size_t n = 0;
	if (token != NULL) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		headers[n++] = auth;
	}
	if (body != NULL && (extra == NULL || strncasecmp(extra, "Content-Type:", 13) != 0))
		headers[n++] = "Content-Type: application/json";
	if (extra != NULL)
		headers[n++] = extra;
	headers[n] = NULL;
	int fd = open_conn(src, API_SLOW_MS);
	bool sent = it_send_request(fd, method, path, headers, body, body ? strlen(body) : 0, true);
	if (!sent)
		close(fd);
	ck_assert_msg(sent, "%s %s: cannot send", method, path);
	return fd;
}

void api_recv(int fd, struct it_response *out, const char *method, const char *path)
{
	bool ok = it_read_response(fd, out);
	close(fd);
	ck_assert_msg(ok, "%s %s: no (complete) response", method, path);
}

void api_call(struct it_response *out, const char *method, const char *path, const char *token,
	      const char *body, const char *extra)
{
	int fd = api_send(NULL, method, path, token, body, extra);
	api_recv(fd, out, method, path);
}

void api_check_status(const struct it_response *r, int status, const char *method, const char *path)
{
	ck_assert_msg(r->status == status, "%s %s: status %d, expected %d: %.400s", method, path, r->status,
		      status, r->body ? r->body : "");
	if (status >= 400)
		it_assert_problem(r, status);
	if (status == 401)
		ck_assert_msg(it_header(r, "WWW-Authenticate") != NULL, "%s %s: 401 without WWW-Authenticate",
			      method, path);
	if (status == 200 || status == 201) {
		const char *ct = it_header(r, "Content-Type");
		ck_assert_msg(ct != NULL && strncmp(ct, "application/json", 16) == 0, "%s %s: Content-Type %s",
			      method, path, ct ? ct : "missing");
	}
}

void api_expect(struct it_response *r, int status, const char *method, const char *path, const char *token,
		const char *body, const char *extra)
{
	api_call(r, method, path, token, body, extra);
	api_check_status(r, status, method, path);
}

void api_expect_only(int status, const char *method, const char *path, const char *token, const char *body)
{
	struct it_response r;
	api_expect(&r, status, method, path, token, body, NULL);
	it_response_free(&r);
}

json_t *api_expect_json(int status, const char *method, const char *path, const char *token,
			const char *body)
{
	struct it_response r;
	api_expect(&r, status, method, path, token, body, NULL);
	json_t *doc = it_json(&r);
	it_response_free(&r);
	return doc;
}

json_t *api_list_all(const char *collection, const char *query, const char *token)
{
	json_t *all = json_array();
	char cursor[512] = "";
	for (int page = 0; page < 200; page++) {
		char path[2048];
		snprintf(path, sizeof path, "%s?%s%s%s", collection, query, cursor[0] ? "&cursor=" : "", cursor);
		json_t *doc = api_expect_json(200, "GET", path, token, NULL);
		json_t *items = json_object_get(doc, "items");
		ck_assert_msg(json_is_array(items), "%s: no items", path);
		json_array_extend(all, items);
		json_t *next = json_object_get(doc, "next_cursor");
		ck_assert_msg(json_is_null(next) || json_is_string(next), "%s: next_cursor neither string nor null", path);
		bool more = json_is_string(next);
		if (more) {
			ck_assert(strlen(json_string_value(next)) < sizeof cursor);
			snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		}
		json_decref(doc);
		if (!more)
			return all;
	}
	ck_abort_msg("GET %s?%s does not end", collection, query);
	return NULL;
}

bool api_has_id(json_t *items, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (strcmp(api_str(it, "id"), id) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ validation errors (422) */

void api_assert_errors(const struct it_response *r, const char *const *pairs, const char *what)
{
	ck_assert_msg(r->status == 422, "%s: status %d, expected 422: %.400s", what, r->status, r->body);
	it_assert_problem(r, 422);
	json_t *p = it_json(r);
	json_t *errors = json_object_get(p, "errors");
	size_t n = 0;
	while (pairs[2 * n] != NULL)
		n++;
	bool sized = json_is_array(errors) && json_array_size(errors) == n;
	const char *missing = NULL, *missing_message = NULL;
	for (size_t i = 0; sized && missing == NULL && i < n; i++) {
		bool found = false;
		size_t k;
		json_t *e;
		json_array_foreach(errors, k, e) {
			const char *field = json_string_value(json_object_get(e, "field"));
			const char *message = json_string_value(json_object_get(e, "message"));
			if (field != NULL && strcmp(field, pairs[2 * i]) == 0 && message != NULL &&
			    message[0] != '\0' && strstr(message, pairs[2 * i + 1]) != NULL)
				found = true;
		}
		if (!found) {
			missing = pairs[2 * i];
			missing_message = pairs[2 * i + 1];
		}
	}
	json_decref(p);
	ck_assert_msg(sized, "%s: expected %zu errors: %s", what, n, r->body);
	ck_assert_msg(missing == NULL, "%s: no error for field %s with message containing '%s': %s", what, missing,
		      missing_message, r->body);
}

void api_expect_invalid(const char *method, const char *path, const char *token, json_t *doc,
			const char *const *pairs, const char *what)
{
	char *body = api_dump(doc);
	struct it_response r;
	api_call(&r, method, path, token, body, NULL);
	free(body);
	api_assert_errors(&r, pairs, what);
	it_response_free(&r);
}

/* ------------------------------------------------------------ JSON */

char *api_dump(json_t *doc)
{
	ck_assert_msg(doc != NULL, "no document to serialise");
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_msg(s != NULL, "json_dumps failed");
	return s;
}

const char *api_str(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	ck_assert_msg(v != NULL, "field %s is missing or not a string", key);
	return v;
}

json_t *api_obj(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);
	ck_assert_msg(json_is_object(v), "field %s is missing or not an object", key);
	return v;
}

bool api_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL)
			return false;
	}
	return true;
}

long api_parse_utc(const char *s)
{
	struct tm tm = {0};
	int used = 0;
	if (s == NULL || strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &used) != 6 ||
	    used != 20)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long)timegm(&tm);
}

void api_b64url(const char *text, char *out, size_t size)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t len = strlen(text), o = 0;
	for (size_t i = 0; i < len && o + 5 < size; i += 3) {
		size_t chunk = len - i < 3 ? len - i : 3;
		unsigned v = (unsigned)(unsigned char)text[i] << 16;
		if (chunk > 1)
			v |= (unsigned)(unsigned char)text[i + 1] << 8;
		if (chunk > 2)
			v |= (unsigned)(unsigned char)text[i + 2];
		for (size_t k = 0; k <= chunk; k++)
			out[o++] = abc[(v >> (18 - 6 * k)) & 63];
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------ SQL */

/* Runs sql with $1/$2 as it names them; fails the test unless the status is `want`.  PQclear the result. */
static PGresult *exec_params(PGconn *pg, const char *sql, const char *p1, const char *p2, ExecStatusType want)
{
	const char *params[2] = {p1, p2};
	int n = strstr(sql, "$2") != NULL ? 2 : strstr(sql, "$1") != NULL ? 1 : 0;
	PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != want) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		PQclear(res);
		ck_abort_msg("SQL failed: %s: %s", sql, msg);
	}
	return res;
}

char *api_sql_value(PGconn *pg, const char *sql, const char *p1, const char *p2)
{
	PGresult *res = exec_params(pg, sql, p1, p2, PGRES_TUPLES_OK);
	char *v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	return v;
}

long api_sql_long(PGconn *pg, const char *sql, const char *p1, const char *p2)
{
	char *v = api_sql_value(pg, sql, p1, p2);
	ck_assert_msg(v != NULL, "no value from %s", sql);
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

long api_sql_exec(PGconn *pg, const char *sql, const char *p1, const char *p2)
{
	PGresult *res = exec_params(pg, sql, p1, p2, PGRES_COMMAND_OK);
	long n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n;
}

/* ------------------------------------------------------------ accounts */

void api_make_email(char *out, size_t size, const char *who)
{
	snprintf(out, size, "%s.%s@example.vn", who, api_tag());
}

void api_marker(char *out, size_t size, const char *what)
{
	unsigned long long x = (unsigned long long)api_run_num() * 2654435761ULL;
	for (const char *p = what; *p != '\0'; p++)
		x = x * 31 + (unsigned char)*p;
	size_t n = (size_t)snprintf(out, size, "%s", what);
	for (int i = 0; i < 30 && n + 1 < size; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		out[n++] = (char)('a' + (x >> 33) % 26);
	}
	out[n] = '\0';
}

void api_make_tax(char out[16], int k)
{
	ck_assert_msg(k >= 0 && k < 100, "tax code number %d is not in 0-99", k);
	snprintf(out, 16, "%08ld%02d", api_run_num() % 100000000, k);
}

json_t *api_registration(const char *email, const char *password, const char *display_name,
			 const char *org_name, const char *kind, const char *province, const char *tax)
{
	json_t *org = json_pack("{s:s, s:s, s:s}", "name", org_name, "kind", kind, "province", province);
	ck_assert(org != NULL);
	if (tax != NULL)
		json_object_set_new(org, "tax_code", json_string(tax));
	json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "email", email, "password", password, "display_name",
				display_name, "organization", org);
	ck_assert(doc != NULL);
	return doc;
}

json_t *api_register_doc(struct api_acct *a, const char *who, const char *org_name, const char *kind,
			 const char *province)
{
	memset(a, 0, sizeof *a);
	api_make_email(a->email, sizeof a->email, who);
	snprintf(a->password, sizeof a->password, "Mật khẩu %s 2026", who);
	char display[96], org[200];
	snprintf(display, sizeof display, "Người dùng %s", who);
	snprintf(org, sizeof org, "%s %s", org_name, api_tag());
	char *body = api_dump(api_registration(a->email, a->password, display, org, kind, province, NULL));
	struct it_response r;
	api_call(&r, "POST", "/api/v1/auth/register", NULL, body, NULL);
	free(body);
	api_check_status(&r, 201, "POST", "/api/v1/auth/register");
	json_t *doc = it_json(&r);
	it_response_free(&r);
	snprintf(a->user_id, sizeof a->user_id, "%s", api_str(api_obj(doc, "user"), "id"));
	snprintf(a->org_id, sizeof a->org_id, "%s", api_str(api_obj(doc, "organization"), "id"));
	return doc;
}

void api_register(struct api_acct *a, const char *who, const char *org_name, const char *kind,
		  const char *province)
{
	json_decref(api_register_doc(a, who, org_name, kind, province));
}

char *api_login_body(const char *email, const char *password)
{
	return api_dump(json_pack("{s:s, s:s}", "email", email, "password", password));
}

json_t *api_login_doc(struct api_acct *a)
{
	char *body = api_login_body(a->email, a->password);
	struct it_response r;
	api_call(&r, "POST", "/api/v1/auth/login", NULL, body, NULL);
	free(body);
	api_check_status(&r, 200, "POST", "/api/v1/auth/login");
	json_t *doc = it_json(&r);
	it_response_free(&r);
	snprintf(a->token, sizeof a->token, "%s", api_str(doc, "token"));
	if (a->user_id[0] == '\0')
		snprintf(a->user_id, sizeof a->user_id, "%s", api_str(api_obj(doc, "user"), "id"));
	else
		ck_assert_str_eq(api_str(api_obj(doc, "user"), "id"), a->user_id);
	return doc;
}

void api_login(struct api_acct *a) { json_decref(api_login_doc(a)); }

void api_admin(struct api_acct *a)
{
	memset(a, 0, sizeof *a);
	snprintf(a->email, sizeof a->email, "%s", api_admin_email());
	snprintf(a->password, sizeof a->password, "%s", admin_password);
	json_t *doc = api_login_doc(a);
	ck_assert_str_eq(api_str(api_obj(doc, "user"), "role"), "admin");
	json_decref(doc);
}

void api_org_path(char *out, size_t size, const char *id, const char *suffix)
{
	snprintf(out, size, "/api/v1/organizations/%s%s", id, suffix);
}

json_t *api_audit_entry(const char *query, const char *token, const char *action, const char *entity_id)
{
	char cursor[64] = "";
	for (int page = 0; page < 50; page++) {
		char path[400];
		snprintf(path, sizeof path, "/api/v1/audit?%s%s%s", query, cursor[0] ? "&cursor=" : "", cursor);
		json_t *doc = api_expect_json(200, "GET", path, token, NULL);
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(doc, "items"), i, it) {
			const char *a = json_string_value(json_object_get(it, "action"));
			const char *e = json_string_value(json_object_get(it, "entity_id"));
			if (a != NULL && e != NULL && strcmp(a, action) == 0 && strcmp(e, entity_id) == 0) {
				json_incref(it);
				json_decref(doc);
				return it;
			}
		}
		json_t *next = json_object_get(doc, "next_cursor");
		bool more = json_is_string(next) && strlen(json_string_value(next)) < sizeof cursor;
		if (more)
			snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		json_decref(doc);
		if (!more)
			break;
	}
	return NULL;
}

json_t *api_find_audit(const char *query, const char *token, const char *action, const char *entity_id)
{
	json_t *entry = api_audit_entry(query, token, action, entity_id);
	if (entry == NULL)
		ck_abort_msg("no audit entry %s for %s in /api/v1/audit?%s", action, entity_id, query);
	return entry;
}

static void failures_append(struct api_failures *f, const char *text)
{
	size_t n = strlen(text);
	f->s = realloc(f->s, f->len + n + 2);
	ck_assert(f->s != NULL);
	memcpy(f->s + f->len, text, n);
	f->s[f->len + n] = '\n';
	f->s[f->len + n + 1] = '\0';
	f->len += n + 1;
}

void api_note_failure(struct api_failures *f, char *msg)
{
	if (msg == NULL)
		return;
	if (f->len <= 3000)
		failures_append(f, msg);
	else if (strstr(f->s, "(and more)") == NULL) /* Check's messages have a limit: count the rest */
		failures_append(f, "(and more)");
	free(msg);
}
