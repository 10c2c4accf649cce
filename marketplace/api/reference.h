/*
 * Reference data seeded by migration: provinces, sectors and the plan's
 * indicators.  The server keeps them in memory — the lists it serves, with
 * an ETag for conditional GETs, and the codes validation checks (so that it
 * can name every unknown one at once) — loaded at start and reloaded when
 * the database announces a change (NOTIFY marketplace_changes 'reference',
 * migration 0010), or when listening (re)starts and one may have been
 * missed.  Each load is one immutable snapshot, swapped in whole: a reader
 * sees the old data or the new, never a mixture.
 */
#ifndef MARKETPLACE_REFERENCE_H
#define MARKETPLACE_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct request;

void reference_provinces(struct request *r);
void reference_sectors(struct request *r);

/*
 * The first snapshot, and the key that signs list cursors, read before the
 * workers run (synchronous).  False with err when the database cannot be
 * read; until a later reload succeeds the lists answer 503 and the *_known
 * checks accept every code, the database's foreign keys answering instead.
 */
bool reference_load(const char *conninfo, char *err, size_t err_size);

/*
 * Publishes a snapshot made of results (borrowed), one per statement of
 * reference_statements in its order and of its columns, as reference_load
 * does from the database: for the fuzz targets, which have none and build
 * their results with libpq's PQmakeEmptyPGresult and PQsetvalue.  False,
 * and the snapshot unchanged, when a result is not what its statement
 * returns.
 */
bool reference_install(const PGresult *const results[]);

/* The http_app's on_change: reloads on 'reference' or payload NULL; other payloads are not ours. */
void reference_changed(struct db_pool *pool, const char *payload);

bool reference_sector_known(const char *code);
bool reference_province_known(const char *slug);
bool reference_indicator_known(const char *code);

/* What a plan indicator's values are (plan_indicators, migration 0009). */
struct reference_indicator {
	char code[16];
	char unit[24];      /* percent, count_per_year, count_cumulative, text, count_and_vnd */
	bool computed;      /* from verified deals (KH43-T3: but for its enterprise base) */
	int year_from, year_to;
};
/* Copies the indicator with this code into out; false when there is none (or nothing is loaded). */
bool reference_indicator(const char *code, struct reference_indicator *out);

/* Statements, by index; the set ends with an entry without a name. */
enum { REFERENCE_PROVINCES, REFERENCE_SECTORS, REFERENCE_INDICATOR_RULES };
extern const struct db_stmt reference_statements[];


#endif
