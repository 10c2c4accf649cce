/*
 * Who a bearer token stands for, remembered by each worker so that a
 * signed-in request costs no token lookup before its own query.
 *
 * An entry is used only while all of these hold: the process is listening
 * for the database's changes to tokens and users (NOTIFY marketplace_changes
 * 'identity', sent by triggers of migration 0010 on a revocation, a logout,
 * a role or membership change, from any instance or by hand); no such change
 * was announced since the lookup that filled it was sent (a process-wide
 * generation, bumped by each notification, by this process's own logouts
 * before they answer, and whenever listening starts or stops, since
 * notifications may have been missed then); it is younger than
 * IDENTITY_CACHE_TTL_MS; and its token has not expired.  So a revocation
 * reaches this instance as soon as its notification does, and this
 * instance's own logouts at once.
 *
 * Only identities the database confirmed are kept: an unknown token costs a
 * lookup every time, as before.  The table is direct-mapped and fixed in
 * size, so its memory is bounded whatever tokens arrive.
 */
#ifndef MARKETPLACE_IDENTITY_CACHE_H
#define MARKETPLACE_IDENTITY_CACHE_H

#include <stdbool.h>

#include "request.h"

#define IDENTITY_CACHE_TTL_MS 60000

struct identity_cache;

/* One per worker; used only by that worker's thread.  NULL when out of memory. */
struct identity_cache *identity_cache_new(void);
void identity_cache_free(struct identity_cache *cache);

/* Read before the lookup is sent; identity_cache_put keeps the answer only if it is still current. */
unsigned identity_cache_generation(void);

/* Fills who (token_hash set by the caller) from a usable entry; false when there is none. */
bool identity_cache_get(struct identity_cache *cache, struct identity *who);

/* Remembers who for at most valid_ms (the token's remaining life), as of `generation`. */
void identity_cache_put(struct identity_cache *cache, const struct identity *who, unsigned generation,
			long long valid_ms);

/* Tokens or users changed: every worker's entries are stale.  Any thread. */
void identity_cache_invalidate(void);

/* Whether changes are being heard; entries are used only while they are.  Any thread. */
void identity_cache_set_listening(bool listening);

#endif
