/* SHA-256 as text: token keys, request-body hashes, migration checksums, entity tags. */
#ifndef MARKETPLACE_DIGEST_H
#define MARKETPLACE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The first `digits` hex digits (even, 2 to 64) of SHA-256(data[0..len)),
 * NUL-terminated, into out (digits + 1 bytes).  False, with out "", when
 * OpenSSL fails.
 */
bool sha256_hex(const void *data, size_t len, char *out, size_t digits);

/* The whole digest as PostgreSQL reads a bytea: "\x" and 64 digits (67 bytes with the NUL). */
bool sha256_bytea(const void *data, size_t len, char out[67]);

#endif
