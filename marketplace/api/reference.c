/*
 * Reference data, served from memory.  The lists are small and complete (a
 * client fills its pickers from one call), so they are not paginated.
 *
 * A snapshot is built from the three statements below — at start with
 * libpq's synchronous calls, later on worker 0's loop — and published by
 * swapping one pointer under a mutex; readers take a reference, so a
 * replaced snapshot is freed by whoever lets go of it last.
 */
#include "reference.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "json_out.h"
#include "log.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"

#define MAX_CODES 96

const struct db_stmt reference_statements[] = {
	[REFERENCE_PROVINCES] = {"reference_provinces",
				 "SELECT slug, name_vi, name_en, type, to_json(formed_from) FROM provinces"
				 " ORDER BY sort_order",
				 0, false},
	[REFERENCE_SECTORS] = {"reference_sectors",
			       "SELECT code, parent_code, name_en, name_vi FROM sectors ORDER BY sort_key", 0, false},
	[REFERENCE_INDICATOR_RULES] = {"reference_indicator_rules",
				       "SELECT code, unit, measure = 'computed', period_from, period_to"
				       " FROM plan_indicators ORDER BY code",
				       0, false},
	{0},
};

static const struct item_field province_fields[] = {
	ITEM_FIELD("slug", ITEM_STRING), ITEM_FIELD("name_vi", ITEM_STRING), ITEM_FIELD("name_en", ITEM_STRING),
	ITEM_FIELD("type", ITEM_STRING), ITEM_FIELD("formed_from", ITEM_JSON),
};

static const struct item_field sector_fields[] = {
	ITEM_FIELD("code", ITEM_STRING), ITEM_FIELD("parent", ITEM_STRING), ITEM_FIELD("name_en", ITEM_STRING), ITEM_FIELD("name_vi", ITEM_STRING),
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A list as served: its JSON document and the strong ETag of its bytes. */
struct document {
	char *body;
	size_t len;
	char etag[20]; /* "\"" + 16 hex digits of SHA-256 + "\"" */
};

struct code_set {
	int count;
	char codes[MAX_CODES][40];
};

struct snapshot {
	atomic_int refs;
	struct document sectors_list, provinces_list;
	struct code_set sectors, provinces;
	int nindicators;
	struct reference_indicator indicators[MAX_CODES];
};

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;

/* ---------------------------------------------------------------- snapshots */

static void snapshot_release(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->sectors_list.body);
	free(s->provinces_list.body);
	free(s);
}

/* The current snapshot with a reference the caller releases; NULL before the first load. */
static struct snapshot *snapshot_acquire(void)
{
	pthread_mutex_lock(&current_lock);
	struct snapshot *s = current;
	if (s != NULL)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return s;
}

static void snapshot_publish(struct snapshot *s)
{
	pthread_mutex_lock(&current_lock);
	struct snapshot *old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	snapshot_release(old);
}

/* A list's document from its statement's result, and the code set of its first column. */
static bool load_list(struct document *doc, struct code_set *codes, const PGresult *res,
		      const struct item_field *fields, int nfields)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > MAX_CODES)
		return false;
	for (int i = 0; i < PQntuples(res); i++) {
		if ((size_t)PQgetlength(res, i, 0) >= sizeof codes->codes[i])
			return false;
		memcpy(codes->codes[i], PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0) + 1);
	}
	codes->count = PQntuples(res);
	struct json_out o = {0};
	if (!respond_items_render(&o, res, fields, nfields) || o.failed) {
		free(o.data);
		return false;
	}
	doc->etag[0] = '"';
	if (!sha256_hex(o.data, o.len, doc->etag + 1, 16)) {
		free(o.data);
		return false;
	}
	memcpy(doc->etag + 17, "\"", 2);
	doc->body = o.data;
	doc->len = o.len;
	return true;
}

static bool load_indicator_rules(struct snapshot *s, const PGresult *res)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > MAX_CODES || PQnfields(res) != 5)
		return false;
	for (int i = 0; i < PQntuples(res); i++) {
		struct reference_indicator *rule = &s->indicators[i];
		if ((size_t)PQgetlength(res, i, 0) >= sizeof rule->code ||
		    (size_t)PQgetlength(res, i, 1) >= sizeof rule->unit)
			return false;
		snprintf(rule->code, sizeof rule->code, "%s", PQgetvalue(res, i, 0));
		snprintf(rule->unit, sizeof rule->unit, "%s", PQgetvalue(res, i, 1));
		rule->computed = strcmp(PQgetvalue(res, i, 2), "t") == 0;
		rule->year_from = atoi(PQgetvalue(res, i, 3));
		rule->year_to = atoi(PQgetvalue(res, i, 4));
	}
	s->nindicators = PQntuples(res);
	return true;
}

/* Adds the result of statement `which` to s; false when it is not what that statement returns. */
static bool snapshot_add(struct snapshot *s, int which, const PGresult *res)
{
	switch (which) {
	case REFERENCE_PROVINCES:
		return load_list(&s->provinces_list, &s->provinces, res, province_fields, COUNT(province_fields));
	case REFERENCE_SECTORS:
		return load_list(&s->sectors_list, &s->sectors, res, sector_fields, COUNT(sector_fields));
	case REFERENCE_INDICATOR_RULES:
		return load_indicator_rules(s, res);
	default:
		return false;
	}
}

static struct snapshot *snapshot_new(void)
{
	struct snapshot *s = calloc(1, sizeof *s);
	if (s != NULL)
		atomic_init(&s->refs, 1);
	return s;
}

/* ---------------------------------------------------------------- loading */

bool reference_load(const char *conninfo, char *err, size_t err_size)
{
	PGconn *pg = PQconnectdb(conninfo);
	struct snapshot *s = snapshot_new();
	bool ok = PQstatus(pg) == CONNECTION_OK && s != NULL;
	if (!ok)
		snprintf(err, err_size, "cannot connect to the database: %s", PQerrorMessage(pg));
	for (int i = 0; ok && reference_statements[i].name != NULL; i++) {
		PGresult *res = PQexec(pg, reference_statements[i].sql);
		ok = snapshot_add(s, i, res);
		if (!ok)
			snprintf(err, err_size, "reading the reference data: %s", PQerrorMessage(pg));
		PQclear(res);
	}
	if (ok) {
		PGresult *res = PQexec(pg, "SELECT value FROM server_secrets WHERE name = 'cursor'");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		if (ok)
			query_set_cursor_key(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
		else
			snprintf(err, err_size, "reading the cursor key: %s", PQerrorMessage(pg));
		PQclear(res);
	}
	PQfinish(pg);
	if (ok)
		snapshot_publish(s);
	else
		snapshot_release(s);
	return ok;
}

bool reference_install(const PGresult *const results[])
{
	struct snapshot *s = snapshot_new();
	bool ok = s != NULL;
	for (int i = 0; ok && reference_statements[i].name != NULL; i++)
		ok = snapshot_add(s, i, results[i]);
	if (ok)
		snapshot_publish(s);
	else
		snapshot_release(s);
	return ok;
}

/*
 * A reload on worker 0's loop: the statements one after another into a new
 * snapshot, published when all succeeded.  A change announced meanwhile
 * runs the reload again once this one ends, so the last reload starts after
 * the last change.  Worker 0's thread only.
 */
static struct {
	bool running, again;
	struct db_pool *pool;
	struct snapshot *next;
	int step;
} reload;

static void reload_step(void);

static void on_reload_result(const struct db_result *result, void *arg)
{
	(void)arg;
	bool ok = result->status == DB_OK && snapshot_add(reload.next, reload.step, result->res);
	if (!ok) {
		log_msg(LOG_WARN, NULL, "reloading the reference data failed; the previous data stays");
		snapshot_release(reload.next);
		reload.next = NULL;
	} else if (reference_statements[++reload.step].name != NULL) {
		reload_step();
		return;
	} else {
		snapshot_publish(reload.next);
		reload.next = NULL;
		log_msg(LOG_INFO, NULL, "reference data reloaded");
	}
	reload.running = false;
	if (reload.again)
		reference_changed(reload.pool, NULL);
}

static void reload_step(void)
{
	db_query(reload.pool, &reference_statements[reload.step], NULL, on_reload_result, NULL);
}

void reference_changed(struct db_pool *pool, const char *payload)
{
	if (payload != NULL && strcmp(payload, "reference") != 0)
		return;
	reload.pool = pool;
	if (reload.running) {
		reload.again = true;
		return;
	}
	reload.next = snapshot_new();
	if (reload.next == NULL) {
		log_msg(LOG_WARN, NULL, "out of memory reloading the reference data");
		return;
	}
	reload.running = true;
	reload.again = false;
	reload.step = 0;
	reload_step();
}

/* ---------------------------------------------------------------- checks */

static bool code_in(const struct code_set *set, const char *code)
{
	for (int i = 0; i < set->count; i++)
		if (strcmp(set->codes[i], code) == 0)
			return true;
	return false;
}

static const struct code_set *sector_codes(const struct snapshot *s) { return &s->sectors; }
static const struct code_set *province_codes(const struct snapshot *s) { return &s->provinces; }

static bool known(const struct code_set *(*set)(const struct snapshot *), const char *code)
{
	struct snapshot *s = snapshot_acquire();
	bool found = s == NULL || code_in(set(s), code);
	snapshot_release(s);
	return found;
}

bool reference_sector_known(const char *code) { return known(sector_codes, code); }
bool reference_province_known(const char *slug) { return known(province_codes, slug); }

static const struct reference_indicator *indicator_in(const struct snapshot *s, const char *code)
{
	for (int i = 0; i < s->nindicators; i++)
		if (strcmp(s->indicators[i].code, code) == 0)
			return &s->indicators[i];
	return NULL;
}

bool reference_indicator(const char *code, struct reference_indicator *out)
{
	struct snapshot *s = snapshot_acquire();
	const struct reference_indicator *found = s != NULL ? indicator_in(s, code) : NULL;
	if (found != NULL)
		*out = *found;
	snapshot_release(s);
	return found != NULL;
}

bool reference_indicator_known(const char *code)
{
	struct snapshot *s = snapshot_acquire();
	bool found = s == NULL || indicator_in(s, code) != NULL;
	snapshot_release(s);
	return found;
}

/* ---------------------------------------------------------------- lists */

static const struct document *sectors_list(const struct snapshot *s) { return &s->sectors_list; }
static const struct document *provinces_list(const struct snapshot *s) { return &s->provinces_list; }

static void reply_list(struct request *r, const struct document *(*list)(const struct snapshot *))
{
	struct snapshot *s = snapshot_acquire();
	if (s == NULL) {
		request_add_header(r, "Retry-After", "1");
		problem_reply(r, 503, "The reference data is not loaded yet; retry shortly.");
		return;
	}
	const struct document *doc = list(s);
	/* Changes only with a migration, so caches may keep it a while and then revalidate. */
	request_add_header(r, "Cache-Control", "public, max-age=300");
	if (!respond_unchanged(r, doc->etag)) {
		request_add_header(r, "ETag", doc->etag);
		request_reply_data(r, 200, "application/json", doc->body, doc->len);
	}
	snapshot_release(s);
}

void reference_provinces(struct request *r) { reply_list(r, provinces_list); }

void reference_sectors(struct request *r) { reply_list(r, sectors_list); }
