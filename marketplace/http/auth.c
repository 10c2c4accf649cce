/* Bearer tokens and the caller's identity. */
#include "auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "problem.h"
#include "request.h"
#include "respond.h"

const struct db_stmt auth_identity_stmt = {
	"auth_identity",
	"SELECT u.id, u.role, coalesce(u.organization_id::text, ''), u.is_owner"
	" FROM tokens t JOIN users u ON u.id = t.user_id"
	" WHERE t.hash = $1::bytea AND t.revoked_at IS NULL AND t.expires_at > now()",
	1};

static void hex_digest(const unsigned char *data, size_t len, char out[67])
{
	unsigned char digest[32];
	unsigned int n = 0;
	EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL);
	out[0] = '\\';
	out[1] = 'x';
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", digest[i]);
}

void auth_token_hash(const char *text, char hash[67])
{
	hex_digest((const unsigned char *)text, strlen(text), hash);
}

bool auth_new_token(char text[AUTH_TOKEN_CHARS + 1], char hash[67])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33] = {0};
	if (RAND_bytes(raw, 32) != 1)
		return false;
	/* base64url without padding: 32 bytes -> 43 characters. */
	int o = 0;
	for (int i = 0; i < 33 && o < AUTH_TOKEN_CHARS; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)(i + 1 < 33 ? raw[i + 1] : 0) << 8 |
			     (unsigned)(i + 2 < 33 ? raw[i + 2] : 0);
		for (int k = 18; k >= 0 && o < AUTH_TOKEN_CHARS; k -= 6)
			text[o++] = alphabet[(v >> k) & 63];
	}
	text[o] = '\0';
	auth_token_hash(text, hash);
	return true;
}

/* The token of "Authorization: Bearer <token>", or NULL when malformed. */
static const char *bearer_token(const char *header)
{
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	const char *token = header + 7;
	while (*token == ' ')
		token++;
	if (strlen(token) != AUTH_TOKEN_CHARS)
		return NULL;
	for (const char *p = token; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return NULL;
	return token;
}

static void unauthorized(struct request *r, const char *detail)
{
	request_add_header(r, "WWW-Authenticate", "Bearer realm=\"marketplace\"");
	problem_reply(r, 401, detail);
}

static void on_identity(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK) {
		respond_db_failure(r, result);
		return;
	}
	if (PQntuples(result->res) != 1) {
		unauthorized(r, "The token is unknown, expired or revoked; log in again.");
		return;
	}
	struct identity *who = &r->who;
	who->authenticated = true;
	snprintf(who->user_id, sizeof who->user_id, "%s", PQgetvalue(result->res, 0, 0));
	who->admin = strcmp(PQgetvalue(result->res, 0, 1), "admin") == 0;
	snprintf(who->organization_id, sizeof who->organization_id, "%s", PQgetvalue(result->res, 0, 2));
	who->owner = PQgetvalue(result->res, 0, 3)[0] == 't';
	if (r->admin_only && !who->admin) {
		problem_reply(r, 403, "Only administrators may do this.");
		return;
	}
	r->next(r);
}

static void authenticate(struct request *r, route_handler next, bool required, bool admin_only)
{
	r->admin_only = admin_only;
	const char *header = request_header(r, "Authorization");
	if (header == NULL) {
		if (required)
			unauthorized(r, "This needs an Authorization: Bearer token.");
		else
			next(r);
		return;
	}
	const char *token = bearer_token(header);
	if (token == NULL) {
		unauthorized(r, "The Authorization header must be 'Bearer <token>'.");
		return;
	}
	auth_token_hash(token, r->who.token_hash);
	r->next = next;
	const char *params[1] = {r->who.token_hash};
	db_query(request_db(r), &auth_identity_stmt, params, on_identity, r);
}

void auth_required(struct request *r, route_handler next) { authenticate(r, next, true, false); }

void auth_optional(struct request *r, route_handler next) { authenticate(r, next, false, false); }

void auth_admin(struct request *r, route_handler next) { authenticate(r, next, true, true); }
