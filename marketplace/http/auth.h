/*
 * Bearer tokens: 32 random bytes, given to the client once as base64url;
 * the database keeps only their SHA-256, with an expiry and a revocation
 * time.  Authenticating a request is one query on the tokens' primary key.
 */
#ifndef MARKETPLACE_AUTH_H
#define MARKETPLACE_AUTH_H

#include <stdbool.h>

#include "db.h"
#include "router.h"

struct request;

#define AUTH_TOKEN_CHARS 43  /* base64url of 32 bytes, unpadded */

/* Runs next(r) with r->who filled; 401 without a valid token. */
void auth_required(struct request *r, route_handler next);

/* Runs next(r) anonymously when there is no Authorization header; 401 for a bad token. */
void auth_optional(struct request *r, route_handler next);

/* As auth_required, then 403 unless the caller is an administrator. */
void auth_admin(struct request *r, route_handler next);

/* A new token: text for the client and the "\x..." SHA-256 the database keeps. */
bool auth_new_token(char text[AUTH_TOKEN_CHARS + 1], char hash[67]);

/* The "\x..." SHA-256 of a token's text. */
void auth_token_hash(const char *text, char hash[67]);

extern const struct db_stmt auth_identity_stmt;

#endif
