/*
 * Reference data seeded by migration.  The lists are small and complete (a
 * client fills its pickers from one call), so they are not paginated.
 */
#include "reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "request.h"
#include "respond.h"

/* ---------------------------------------------------------------- codes */

#define MAX_CODES 96

struct code_set {
	bool loaded;
	int count;
	char codes[MAX_CODES][40];
};

static struct code_set sectors, provinces;

static bool code_in(const struct code_set *set, const char *code)
{
	if (!set->loaded)
		return true;
	for (int i = 0; i < set->count; i++)
		if (strcmp(set->codes[i], code) == 0)
			return true;
	return false;
}

bool reference_sector_known(const char *code) { return code_in(&sectors, code); }
bool reference_province_known(const char *slug) { return code_in(&provinces, slug); }

/* The plan's indicators: their codes and what their values are. */
static struct {
	bool loaded;
	int count;
	struct reference_indicator rules[MAX_CODES];
} indicators;

const struct reference_indicator *reference_indicator(const char *code)
{
	for (int i = 0; i < indicators.count; i++)
		if (strcmp(indicators.rules[i].code, code) == 0)
			return &indicators.rules[i];
	return NULL;
}

bool reference_indicator_known(const char *code) { return !indicators.loaded || reference_indicator(code) != NULL; }

static bool load_indicator_rules(PGconn *pg, char *err, size_t err_size)
{
	PGresult *res = PQexec(pg, "SELECT code, unit, measure = 'computed', period_from, period_to"
				   " FROM plan_indicators ORDER BY code");
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) <= MAX_CODES;
	for (int i = 0; ok && i < PQntuples(res); i++) {
		struct reference_indicator *rule = &indicators.rules[i];
		ok = (size_t)PQgetlength(res, i, 0) < sizeof rule->code &&
		     (size_t)PQgetlength(res, i, 1) < sizeof rule->unit;
		if (ok) {
			snprintf(rule->code, sizeof rule->code, "%s", PQgetvalue(res, i, 0));
			snprintf(rule->unit, sizeof rule->unit, "%s", PQgetvalue(res, i, 1));
			rule->computed = strcmp(PQgetvalue(res, i, 2), "t") == 0;
			rule->year_from = atoi(PQgetvalue(res, i, 3));
			rule->year_to = atoi(PQgetvalue(res, i, 4));
		}
	}
	if (ok) {
		indicators.count = PQntuples(res);
		indicators.loaded = true;
	} else {
		snprintf(err, err_size, "reading the plan's indicators: %s", PQerrorMessage(pg));
	}
	PQclear(res);
	return ok;
}

static bool load_set(PGconn *pg, const char *sql, struct code_set *set, char *err, size_t err_size)
{
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) <= MAX_CODES;
	for (int i = 0; ok && i < PQntuples(res); i++)
		ok = (size_t)PQgetlength(res, i, 0) < sizeof set->codes[i];
	if (ok) {
		for (int i = 0; i < PQntuples(res); i++)
			memcpy(set->codes[i], PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0) + 1);
		set->count = PQntuples(res);
		set->loaded = true;
	} else {
		snprintf(err, err_size, "reading reference codes: %s", PQerrorMessage(pg));
	}
	PQclear(res);
	return ok;
}

bool reference_load(const char *conninfo, char *err, size_t err_size)
{
	PGconn *pg = PQconnectdb(conninfo);
	bool ok = PQstatus(pg) == CONNECTION_OK;
	if (!ok)
		snprintf(err, err_size, "cannot connect to the database: %s", PQerrorMessage(pg));
	ok = ok && load_set(pg, "SELECT code FROM sectors", &sectors, err, err_size) &&
	     load_set(pg, "SELECT slug FROM provinces", &provinces, err, err_size) &&
	     load_indicator_rules(pg, err, err_size);
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
	return ok;
}

const struct db_stmt reference_statements[] = {
	[REFERENCE_PROVINCES] = {"reference_provinces",
				 "SELECT slug, name_vi, name_en, type, to_json(formed_from) FROM provinces"
				 " ORDER BY sort_order",
				 0, false},
	[REFERENCE_SECTORS] = {"reference_sectors",
			       "SELECT code, parent_code, name_en, name_vi FROM sectors ORDER BY sort_key", 0, false},
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

static void on_provinces(const struct db_result *result, void *arg)
{
	respond_items(arg, result, province_fields, COUNT(province_fields));
}

static void on_sectors(const struct db_result *result, void *arg)
{
	respond_items(arg, result, sector_fields, COUNT(sector_fields));
}

static void reply_reference(struct request *r, int stmt, db_callback cb)
{
	/* Changes only with a migration, so caches may keep it a while. */
	request_add_header(r, "Cache-Control", "public, max-age=300");
	db_query(request_db_read(r), &reference_statements[stmt], NULL, cb, r);
}

void reference_provinces(struct request *r) { reply_reference(r, REFERENCE_PROVINCES, on_provinces); }

void reference_sectors(struct request *r) { reply_reference(r, REFERENCE_SECTORS, on_sectors); }
