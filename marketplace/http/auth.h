/*
 * Bearer tokens: 32 random bytes, given to the client once as base64url;
 * the database keeps only their SHA-256, with an expiry and a revocation
 * time.  Authenticating a request is one query on the tokens' primary key,
 * which the dispatcher runs before the handler (router.h, route_auth),
 * unless the worker's identity cache (identity_cache.h) knows the token.
 */
#ifndef MARKETPLACE_AUTH_H
#define MARKETPLACE_AUTH_H

#include <stdbool.h>

#include "db.h"
#include "request.h"

#define AUTH_TOKEN_CHARS 43  /* base64url of 32 bytes, unpadded */

/* A new token: text for the client and the "\x..." SHA-256 the database keeps. */
bool auth_new_token(char text[AUTH_TOKEN_CHARS + 1], char hash[67]);

/* The "\x..." SHA-256 of a token's text. */
void auth_token_hash(const char *text, char hash[67]);

/* The hash of the token in "Authorization: Bearer <token>"; false when malformed. */
bool auth_header_token_hash(const char *header, char hash[67]);

/* Fills who, and how long its token still lives, from the single row of
 * AUTH_IDENTITY; false when there is none. */
bool auth_identity_from(const PGresult *res, struct identity *who, long long *valid_ms);

/* Statements, by index; the set ends with an entry without a name. */
enum { AUTH_IDENTITY };
extern const struct db_stmt auth_statements[];

#endif
