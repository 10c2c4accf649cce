/* Connection caps and the body budget, shared by the workers under one mutex. */
#include "quota.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing; an entry lives while its address has connections. */
struct slot {
	struct quota_address address; /* family 0: empty */
	long connections;
};

struct quota {
	pthread_mutex_t lock;
	struct quota_limits limits;
	struct slot *slots;
	size_t mask; /* capacity - 1; capacity is a power of two, at least twice the connection cap */
	long connections;
	size_t body_bytes, body_peak;
	uint64_t refused_over_total, refused_over_address;
	uint64_t bodies_over_budget, bodies_too_large, accept_errors;
};

struct quota *quota_new(const struct quota_limits *limits)
{
	struct quota *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	size_t capacity = 16;
	while (capacity < 2 * (size_t)limits->connections)
		capacity *= 2;
	q->slots = calloc(capacity, sizeof *q->slots);
	if (q->slots == NULL || pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q->slots);
		free(q);
		return NULL;
	}
	q->limits = *limits;
	q->mask = capacity - 1;
	return q;
}

void quota_free(struct quota *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q);
}

static size_t home_of(const struct quota *q, const struct quota_address *a)
{
	/* FNV-1a: client addresses are not chosen to collide here, and a probe is short. */
	uint64_t h = 1469598103934665603u ^ a->family;
	for (size_t i = 0; i < sizeof a->bytes; i++)
		h = (h ^ a->bytes[i]) * 1099511628211u;
	return (size_t)(h ^ (h >> 32)) & q->mask;
}

static bool same(const struct quota_address *a, const struct quota_address *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

/* The slot holding a, or the empty slot where it would go. */
static struct slot *find(struct quota *q, const struct quota_address *a)
{
	size_t i = home_of(q, a);
	while (q->slots[i].address.family != 0 && !same(&q->slots[i].address, a))
		i = (i + 1) & q->mask;
	return &q->slots[i];
}

/* Empties slot i and moves later entries of its probe run back, so no lookup stops short. */
static void remove_slot(struct quota *q, size_t i)
{
	size_t hole = i;
	for (size_t j = (i + 1) & q->mask; q->slots[j].address.family != 0; j = (j + 1) & q->mask) {
		size_t home = home_of(q, &q->slots[j].address);
		/* Entry j may fill the hole unless its home lies cyclically in (hole, j]. */
		bool home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!home_after_hole) {
			q->slots[hole] = q->slots[j];
			hole = j;
		}
	}
	memset(&q->slots[hole], 0, sizeof q->slots[hole]);
}

enum quota_verdict quota_connection_open(struct quota *q, const struct quota_address *from)
{
	enum quota_verdict verdict = QUOTA_ADMITTED;
	pthread_mutex_lock(&q->lock);
	struct slot *s = from->family != 0 ? find(q, from) : NULL;
	if (q->connections >= q->limits.connections) {
		verdict = QUOTA_OVER_TOTAL;
		q->refused_over_total++;
	} else if (s != NULL && s->connections >= q->limits.connections_per_address) {
		verdict = QUOTA_OVER_ADDRESS;
		q->refused_over_address++;
	} else {
		q->connections++;
		if (s != NULL) {
			s->address = *from;
			s->connections++;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return verdict;
}

void quota_connection_close(struct quota *q, const struct quota_address *from)
{
	pthread_mutex_lock(&q->lock);
	q->connections--;
	if (from->family != 0) {
		struct slot *s = find(q, from);
		if (s->address.family != 0 && --s->connections == 0)
			remove_slot(q, (size_t)(s - q->slots));
	}
	pthread_mutex_unlock(&q->lock);
}

bool quota_body_reserve(struct quota *q, size_t bytes)
{
	pthread_mutex_lock(&q->lock);
	bool fits = bytes <= q->limits.body_bytes - q->body_bytes;
	if (fits) {
		q->body_bytes += bytes;
		if (q->body_bytes > q->body_peak)
			q->body_peak = q->body_bytes;
	} else {
		q->bodies_over_budget++;
	}
	pthread_mutex_unlock(&q->lock);
	return fits;
}

void quota_body_release(struct quota *q, size_t bytes)
{
	pthread_mutex_lock(&q->lock);
	q->body_bytes -= bytes;
	pthread_mutex_unlock(&q->lock);
}

void quota_count_body_too_large(struct quota *q)
{
	pthread_mutex_lock(&q->lock);
	q->bodies_too_large++;
	pthread_mutex_unlock(&q->lock);
}

void quota_count_accept_error(struct quota *q)
{
	pthread_mutex_lock(&q->lock);
	q->accept_errors++;
	pthread_mutex_unlock(&q->lock);
}

void quota_get_stats(struct quota *q, struct quota_stats *out)
{
	pthread_mutex_lock(&q->lock);
	out->connections = q->connections;
	out->body_bytes = q->body_bytes;
	out->refused_over_total = q->refused_over_total;
	out->refused_over_address = q->refused_over_address;
	out->bodies_over_budget = q->bodies_over_budget;
	out->bodies_too_large = q->bodies_too_large;
	out->accept_errors = q->accept_errors;
	pthread_mutex_unlock(&q->lock);
}

size_t quota_body_peak_take(struct quota *q)
{
	pthread_mutex_lock(&q->lock);
	size_t peak = q->body_peak;
	q->body_peak = q->body_bytes;
	pthread_mutex_unlock(&q->lock);
	return peak;
}
