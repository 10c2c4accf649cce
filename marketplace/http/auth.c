/* Bearer tokens and the caller's identity. */
#include "auth.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"


const struct db_stmt auth_statements[] = {
	[AUTH_IDENTITY] = {"auth_identity",
			   "SELECT u.id, u.role, coalesce(u.organization_id::text, ''), u.is_owner,"
			   " floor(extract(epoch FROM t.expires_at - now()) * 1000)::bigint"
			   " FROM tokens t JOIN users u ON u.id = t.user_id"
			   " WHERE t.hash = $1::bytea AND t.revoked_at IS NULL AND t.expires_at > now()",
			   1, false},
	{0},
};

void auth_token_hash(const char *text, char hash[67])
{
	/* On failure the hash is "", which no token has: the request gets 401. */
	(void)sha256_bytea(text, strlen(text), hash);
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

bool auth_header_token_hash(const char *header, char hash[67])
{
	const char *token = bearer_token(header);
	if (token == NULL)
		return false;
	auth_token_hash(token, hash);
	return true;
}

bool auth_identity_from(const PGresult *res, struct identity *who, long long *valid_ms)
{
	if (PQntuples(res) != 1 || PQnfields(res) != 5)
		return false;
	*valid_ms = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	who->authenticated = true;
	snprintf(who->user_id, sizeof who->user_id, "%s", PQgetvalue(res, 0, 0));
	who->admin = strcmp(PQgetvalue(res, 0, 1), "admin") == 0;
	snprintf(who->organization_id, sizeof who->organization_id, "%s", PQgetvalue(res, 0, 2));
	who->owner = PQgetvalue(res, 0, 3)[0] == 't';
	return true;
}
