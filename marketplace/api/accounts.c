/*
 * Registration, login, logout and /me.  Password hashing and verification
 * run on the hashing threads; everything else is one statement each, with
 * the audit row written by the same statement.
 */
#include "accounts.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "hash_pool.h"
#include "identity_cache.h"
#include "input.h"
#include "log.h"
#include "organizations.h"
#include "password.h"
#include "problem.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"
#include "worker.h"

/*
 * Logins and registrations take turns on the hashing threads (hash_pool.h),
 * each in its own lane, where a client address may hold a few jobs at once.
 * The database already admits at most 10 logins in flight per address
 * (migration 0005); registrations are limited per address here alone.
 */
enum { LANE_LOGINS, LANE_REGISTRATIONS };
#define LOGINS_PER_ADDRESS 10
#define REGISTRATIONS_PER_ADDRESS 4

static enum hash_pool_result hash_for(struct request *r, int lane, int max_jobs, hash_pool_fn work,
				      hash_pool_fn done, void *job)
{
	const struct hash_pool_client who = {lane, r->client_address, max_jobs};
	return hash_pool_submit(r->worker->base, &who, work, done, job);
}

const struct db_stmt accounts_statements[] = {
	[ACCOUNTS_REGISTER] = {"accounts_register",
	"WITH o AS ("
	"  INSERT INTO organizations (name, kind, tax_code, province, address, website, description)"
	"  VALUES ($4, $5, $6, ref_province($7), $8, $9, $10) RETURNING *),"
	" u AS ("
	"  INSERT INTO users (email, password_hash, display_name, role, organization_id, is_owner)"
	"  SELECT $1, $2, $3, 'member', o.id, true FROM o RETURNING *),"
	" a AS ("
	"  INSERT INTO audit_log (actor_id, action, entity, entity_id, after, request_id)"
	"  SELECT u.id, 'organization.registered', 'organization', o.id::text, organization_json(o), $11"
	"  FROM u, o)"
	" SELECT jsonb_build_object('user', user_json(u), 'organization', organization_json(o))::text"
	" FROM u, o",
	11, false},

	/*
	 * Records the attempt, in flight, before the password is checked; or
	 * refuses it with the seconds to wait (migration 0005 has the rule).
	 */
	[ACCOUNTS_LOGIN_LOOKUP] = {"accounts_login_lookup",
	"SELECT retry_after, attempt_id, user_id, password_hash FROM login_attempt($1, $2)",
	2, false},

	/* The delays after failures count from the failure. */
	[ACCOUNTS_LOGIN_FAILED] = {"accounts_login_failed",
	"UPDATE login_failures SET pending = false, at = now() WHERE id = $1::bigint", 1, false},

	/* An attempt the hashing pool refused was never checked: it does not count. */
	[ACCOUNTS_LOGIN_DROPPED] = {"accounts_login_dropped",
	"DELETE FROM login_failures WHERE id = $1::bigint", 1, false},

	[ACCOUNTS_LOGIN_OK] = {"accounts_login_ok",
	"WITH t AS ("
	"  INSERT INTO tokens (hash, user_id, expires_at)"
	"  VALUES ($2::bytea, $1, now() + make_interval(secs => $3::int)) RETURNING expires_at),"
	" forget AS (DELETE FROM login_failures WHERE email = $5 AND client_addr = $7),"
	" rehash AS (UPDATE users SET password_hash = $6 WHERE id = $1 AND $6::text IS NOT NULL),"
	" a AS ("
	"  INSERT INTO audit_log (actor_id, action, entity, entity_id, request_id)"
	"  SELECT u.id, 'admin.login', 'user', u.id::text, $4 FROM users u"
	"  WHERE u.id = $1 AND u.role = 'admin')"
	" SELECT jsonb_build_object('expires_at',"
	"   to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	"   'user', user_json(u))::text"
	" FROM t, users u WHERE u.id = $1",
	7, false},

	/* Always one row: a token revoked twice at once is still revoked. */
	[ACCOUNTS_LOGOUT] = {"accounts_logout",
	"WITH t AS (UPDATE tokens SET revoked_at = now() WHERE hash = $1::bytea AND revoked_at IS NULL)"
	" SELECT ''",
	1, false},

	[ACCOUNTS_ME] = {"accounts_me",
	"SELECT jsonb_build_object('user', user_json(u), 'organization',"
	"  CASE WHEN o.id IS NULL THEN NULL ELSE organization_json(o) END)::text"
	" FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = $1",
	1, false},
	{0},
};

/* Lower-cases an email's ASCII letters into out; false when it does not fit. */
static bool normalise_email(const char *email, char *out, size_t out_size)
{
	size_t n = strlen(email);
	if (n >= out_size)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	return true;
}

static const char *validate_email(struct validation *v, json_t *body, char *out, size_t out_size)
{
	const char *email = validate_string(v, body, "email", true, 3, 254);
	if (email != NULL && (!valid_email(email) || !normalise_email(email, out, out_size))) {
		validate_error(v, "email", "is not a valid email address");
		return NULL;
	}
	return email != NULL ? out : NULL;
}

/* ---------------------------------------------------------------- register */

static const struct write_error register_errors[] = {
	{"23503", "province", 422, "organization.province", UNKNOWN_PROVINCE},
	{"23505", "tax_code", 409, NULL, "An organisation with this tax code is already registered."},
	{"23505", NULL, 409, NULL, "An account with this email already exists."},
	{0},
};

static const struct write register_write = {
	&accounts_statements[ACCOUNTS_REGISTER], register_errors, 201, 409, NULL, NULL,
};

struct registration {
	struct request *r;
	json_t *body, *org; /* own the strings below */
	char email[256];
	const char *password, *display_name;
	char hash[PASSWORD_HASH_MAX];
	bool hashed;
};

static void registration_free(struct registration *g)
{
	json_decref(g->body);
	json_decref(g->org);
	free(g);
}

static void hash_registration(void *job)
{
	struct registration *g = job;
	g->hashed = password_hash(g->password, g->hash);
}

static const char *org_value(const struct registration *g, const char *field)
{
	return json_string_value(json_object_get(g->org, field));
}

static void on_registration_hashed(void *job)
{
	struct registration *g = job;
	if (!g->hashed) {
		problem_reply(g->r, 503, "The password could not be processed; retry shortly.");
	} else {
		const char *params[11] = {g->email, g->hash, g->display_name, org_value(g, "name"),
					  org_value(g, "kind"), org_value(g, "tax_code"),
					  org_value(g, "province"), org_value(g, "address"),
					  org_value(g, "website"), org_value(g, "description"),
					  request_id(g->r)};
		write_run(g->r, &register_write, params);
	}
	registration_free(g);
}

void accounts_register(struct request *r)
{
	static const char *const fields[] = {"email", "password", "display_name", "organization", NULL};
	json_t *body;
	if (!input_json_object(r, &body))
		return;
	struct registration *g = calloc(1, sizeof *g);
	if (g == NULL) {
		json_decref(body);
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	g->r = r;
	g->body = body;
	struct validation v;
	validate_init(&v);
	validate_known_fields(&v, body, fields);
	validate_email(&v, body, g->email, sizeof g->email);
	g->password = validate_string(&v, body, "password", true, 10, 1024);
	g->display_name = validate_string(&v, body, "display_name", true, 1, 200);
	json_t *org = validate_object(&v, body, "organization");
	if (org != NULL) {
		v.prefix = "organization.";
		g->org = validate_fields(&v, org, organization_fields, FIELDS_CREATE);
	}
	if (!validate_passed(&v, r)) {
		registration_free(g);
		return;
	}
	enum hash_pool_result queued =
		hash_for(r, LANE_REGISTRATIONS, REGISTRATIONS_PER_ADDRESS, hash_registration, on_registration_hashed, g);
	if (queued == HASH_POOL_CLIENT_FULL)
		problem_reply_retry(r, 429, "Too many registrations from your address at once; retry shortly.", 1);
	else if (queued == HASH_POOL_FULL)
		problem_reply(r, 503, "The server is busy; retry shortly.");
	if (queued != HASH_POOL_QUEUED)
		registration_free(g);
}

/* ---------------------------------------------------------------- login */

struct login {
	struct request *r;
	json_t *body; /* owns password */
	const char *password;
	char email[256];
	char attempt_id[24];
	char user_id[37];     /* "" when the email is unknown */
	char stored_hash[PASSWORD_HASH_MAX];
	char rehash[PASSWORD_HASH_MAX]; /* a stronger hash to store, or "" */
	enum hash_pool_result queued;
	bool verified;
	char token[AUTH_TOKEN_CHARS + 1];
	char token_hash[67];
};

static void login_free(struct login *l)
{
	json_decref(l->body);
	free(l);
}

static void login_refused(struct request *r)
{
	problem_reply(r, 401, "The email or the password is wrong.");
}

static void on_failure_recorded(const struct db_result *result, void *arg)
{
	struct login *l = arg;
	if (result->status != DB_OK)
		respond_db_failure(l->r, result);
	else
		login_refused(l->r);
	login_free(l);
}

/* The hashing pool refused the attempt, whose record is now deleted. */
static void on_attempt_dropped(const struct db_result *result, void *arg)
{
	struct login *l = arg;
	if (result->status != DB_OK)
		respond_db_failure(l->r, result);
	else if (l->queued == HASH_POOL_CLIENT_FULL)
		problem_reply_retry(l->r, 429, "Too many logins from your address at once; retry shortly.", 1);
	else
		problem_reply(l->r, 503, "The server is busy; retry shortly.");
	login_free(l);
}

static void on_logged_in(const struct db_result *result, void *arg)
{
	struct login *l = arg;
	struct request *r = l->r;
	json_t *doc = NULL;
	if (result->status == DB_OK && PQntuples(result->res) == 1)
		doc = json_loads(PQgetvalue(result->res, 0, 0), 0, NULL);
	if (doc == NULL) {
		respond_db_failure(r, result);
	} else {
		json_object_set_new(doc, "token", json_string(l->token));
		request_add_header(r, "Cache-Control", "no-store");
		request_reply_json(r, 200, "application/json", doc);
	}
	login_free(l);
}

static void verify_login(void *job)
{
	struct login *l = job;
	bool known = l->user_id[0] != '\0';
	l->verified = password_verify(l->password, known ? l->stored_hash : password_dummy_hash()) && known;
	if (l->verified && password_needs_rehash(l->stored_hash) && !password_hash(l->password, l->rehash))
		l->rehash[0] = '\0';
}

static void on_login_verified(void *job)
{
	struct login *l = job;
	if (!l->verified) {
		const char *params[1] = {l->attempt_id};
		db_query(request_db(l->r), &accounts_statements[ACCOUNTS_LOGIN_FAILED], params, on_failure_recorded, l);
		return;
	}
	if (!auth_new_token(l->token, l->token_hash)) {
		problem_reply(l->r, 503, "Out of entropy; retry shortly.");
		login_free(l);
		return;
	}
	char ttl[16];
	snprintf(ttl, sizeof ttl, "%d", l->r->worker->config->token_ttl_s);
	const char *params[7] = {l->user_id, l->token_hash, ttl, request_id(l->r), l->email,
				 l->rehash[0] ? l->rehash : NULL, l->r->client_address};
	db_query(request_db(l->r), &accounts_statements[ACCOUNTS_LOGIN_OK], params, on_logged_in, l);
}

static void on_login_lookup(const struct db_result *result, void *arg)
{
	struct login *l = arg;
	struct request *r = l->r;
	if (result->status != DB_OK || PQntuples(result->res) != 1) {
		respond_db_failure(r, result);
		login_free(l);
		return;
	}
	const PGresult *res = result->res;
	if (!PQgetisnull(res, 0, 0)) {
		int retry = atoi(PQgetvalue(res, 0, 0));
		problem_reply_retry(r, 429, "Too many failed logins; wait before trying again.", retry > 0 ? retry : 1);
		login_free(l);
		return;
	}
	snprintf(l->attempt_id, sizeof l->attempt_id, "%s", PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2)) {
		snprintf(l->user_id, sizeof l->user_id, "%s", PQgetvalue(res, 0, 2));
		snprintf(l->stored_hash, sizeof l->stored_hash, "%s", PQgetvalue(res, 0, 3));
	}
	l->queued = hash_for(r, LANE_LOGINS, LOGINS_PER_ADDRESS, verify_login, on_login_verified, l);
	if (l->queued != HASH_POOL_QUEUED) {
		const char *params[1] = {l->attempt_id};
		db_query(request_db(r), &accounts_statements[ACCOUNTS_LOGIN_DROPPED], params, on_attempt_dropped, l);
	}
}

void accounts_login(struct request *r)
{
	static const char *const fields[] = {"email", "password", NULL};
	json_t *body;
	if (!input_json_object(r, &body))
		return;
	struct login *l = calloc(1, sizeof *l);
	if (l == NULL) {
		json_decref(body);
		problem_reply(r, 503, "Out of memory.");
		return;
	}
	l->r = r;
	l->body = body;
	struct validation v;
	validate_init(&v);
	validate_known_fields(&v, body, fields);
	validate_email(&v, body, l->email, sizeof l->email);
	l->password = validate_string(&v, body, "password", true, 1, 1024);
	if (!validate_passed(&v, r)) {
		login_free(l);
		return;
	}
	const char *params[2] = {l->email, r->client_address};
	db_query(request_db(r), &accounts_statements[ACCOUNTS_LOGIN_LOOKUP], params, on_login_lookup, l);
}

/* ---------------------------------------------------------------- logout, me */

static void on_logged_out(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
		return;
	}
	/* Committed: from this reply on, no worker of this process accepts the
	 * token (other instances drop it when the trigger's NOTIFY reaches them). */
	identity_cache_invalidate();
	respond_document(r, 204, NULL, 0, NULL);
}

void accounts_logout(struct request *r)
{
	const char *params[1] = {r->who.token_hash};
	db_query(request_db(r), &accounts_statements[ACCOUNTS_LOGOUT], params, on_logged_out, r);
}

void accounts_me(struct request *r)
{
	const char *params[1] = {r->who.user_id};
	request_add_header(r, "Cache-Control", "no-store");
	db_query(request_db(r), &accounts_statements[ACCOUNTS_ME], params, respond_json_row, r);
}

/* ---------------------------------------------------------------- administrators */

bool accounts_create_admin(const char *conninfo, const char *email, const char *password,
			   bool if_absent, char *err, size_t errlen)
{
	char normalised[256], hash[PASSWORD_HASH_MAX];
	if (!valid_email(email) || !normalise_email(email, normalised, sizeof normalised)) {
		snprintf(err, errlen, "'%s' is not a valid email address", email);
		return false;
	}
	if (utf8_length(password) < 10) {
		snprintf(err, errlen, "the password must be at least 10 characters long");
		return false;
	}
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return false;
	}
	const char *lookup[1] = {normalised};
	PGresult *res = PQexecParams(pg, "SELECT role FROM users WHERE email = $1", 1, NULL, lookup,
				     NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	bool exists = ok && PQntuples(res) == 1;
	if (!ok) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
	} else if (exists && if_absent) {
		if (strcmp(PQgetvalue(res, 0, 0), "admin") != 0)
			log_msg(LOG_WARN, NULL, "bootstrap admin %s exists as a member; left unchanged", normalised);
	} else if (exists) {
		snprintf(err, errlen, "an account with email %s already exists; it was left unchanged", normalised);
		ok = false;
	}
	PQclear(res);
	if (ok && !exists) {
		if (!password_hash(password, hash)) {
			snprintf(err, errlen, "cannot hash the password");
			ok = false;
		} else {
			const char *params[2] = {normalised, hash};
			res = PQexecParams(pg,
					   "WITH u AS (INSERT INTO users (email, password_hash, display_name, role)"
					   " VALUES ($1, $2, $1, 'admin') RETURNING *)"
					   " INSERT INTO audit_log (actor_id, action, entity, entity_id, after)"
					   " SELECT NULL, 'user.admin_created', 'user', u.id::text, user_json(u) FROM u",
					   2, NULL, params, NULL, NULL, 0);
			ok = PQresultStatus(res) == PGRES_COMMAND_OK;
			if (!ok)
				snprintf(err, errlen, "%s", PQerrorMessage(pg));
			else
				log_msg(LOG_INFO, NULL, "created administrator %s", normalised);
			PQclear(res);
		}
	}
	PQfinish(pg);
	for (char *p = err; ok == false && *p; p++)
		if (*p == '\n')
			*p = ' ';
	return ok;
}
