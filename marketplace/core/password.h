/*
 * Password hashes in a self-describing string, so parameters can be raised
 * later and old hashes upgraded at the next login:
 *
 *   $scrypt$ln=17,r=8,p=1$<salt, base64>$<hash, base64>
 *
 * scrypt with N = 2^17, r = 8, p = 1 is the OWASP Password Storage Cheat
 * Sheet's recommendation.  Each call takes a good fraction of a second and
 * 128 MiB: call these from the hashing threads (hash_pool.h), never from an
 * event loop.
 */
#ifndef MARKETPLACE_PASSWORD_H
#define MARKETPLACE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 160

/* Hashes with the current parameters into out (NUL-terminated). */
bool password_hash(const char *password, char out[PASSWORD_HASH_MAX]);

/* Does password match encoded?  False for a malformed encoding too. */
bool password_verify(const char *password, const char *encoded);

/* Was encoded made with weaker parameters than the current ones? */
bool password_needs_rehash(const char *encoded);

/* The throw-away password behind password_dummy_hash(); no account is given it. */
#define PASSWORD_DUMMY_PLAINTEXT "no-account-has-this-password"

/*
 * A hash of PASSWORD_DUMMY_PLAINTEXT made with the current parameters, to
 * verify a login against when its email has no account, so that an unknown
 * email costs what a wrong password costs.  Made at the first call (which
 * therefore takes one hash's time: call it once at start, or from a hashing
 * thread), once, whichever threads call it; static, never to be freed.
 * Should that first hash fail (no memory), a hash made in advance with
 * ln=17,r=8,p=1 stands in.
 */
const char *password_dummy_hash(void);

/* For tests: hash with explicit parameters. */
bool password_hash_with(const char *password, int log2_n, int r, int p, char out[PASSWORD_HASH_MAX]);

#endif
