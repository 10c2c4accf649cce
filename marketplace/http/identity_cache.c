/* Per-worker cache of token -> identity, invalidated by LISTEN/NOTIFY. */
#include "identity_cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 1024 /* a power of two; about 200 KiB per worker */

struct entry {
	struct identity who;        /* who.token_hash is the key; "" when the slot is empty */
	unsigned generation;
	long long expires_ms;       /* monotonic */
};

struct identity_cache {
	struct entry slots[SLOTS];
};

static atomic_uint generation;
static atomic_bool listening;

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The hash is "\\x" and 64 hex digits of a SHA-256: its first digits are already uniform. */
static struct entry *slot_of(struct identity_cache *cache, const char *token_hash)
{
	unsigned index = 0;
	for (int i = 2; i < 6 && token_hash[i] != '\0'; i++) {
		char c = token_hash[i];
		index = index << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return &cache->slots[index & (SLOTS - 1)];
}

struct identity_cache *identity_cache_new(void) { return calloc(1, sizeof(struct identity_cache)); }

void identity_cache_free(struct identity_cache *cache) { free(cache); }

unsigned identity_cache_generation(void) { return atomic_load(&generation); }

bool identity_cache_get(struct identity_cache *cache, struct identity *who)
{
	struct entry *e = slot_of(cache, who->token_hash);
	if (!atomic_load(&listening) || e->generation != atomic_load(&generation) ||
	    strcmp(e->who.token_hash, who->token_hash) != 0 || now_ms() >= e->expires_ms)
		return false;
	*who = e->who;
	return true;
}

void identity_cache_put(struct identity_cache *cache, const struct identity *who, unsigned generation_sent,
			long long valid_ms)
{
	if (!atomic_load(&listening) || generation_sent != atomic_load(&generation) || valid_ms <= 0)
		return;
	struct entry *e = slot_of(cache, who->token_hash);
	e->who = *who;
	e->generation = generation_sent;
	e->expires_ms = now_ms() + (valid_ms < IDENTITY_CACHE_TTL_MS ? valid_ms : IDENTITY_CACHE_TTL_MS);
}

void identity_cache_invalidate(void) { atomic_fetch_add(&generation, 1); }

void identity_cache_set_listening(bool on)
{
	atomic_fetch_add(&generation, 1);
	atomic_store(&listening, on);
}
