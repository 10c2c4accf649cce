/* Reference data seeded by migration: provinces and sectors, and the codes and rules validation checks. */
#ifndef MARKETPLACE_REFERENCE_H
#define MARKETPLACE_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct request;

void reference_provinces(struct request *r);
void reference_sectors(struct request *r);

/*
 * Loads, once at start and before the workers run, what never changes
 * while the server runs: the codes of sectors, provinces and plan
 * indicators (so that validation can name every unknown one at once), what
 * each indicator's values are, and
 * the key that signs list cursors.  Synchronous; false with err when the
 * database cannot be read, and then the *_known checks accept every code
 * and the database's foreign keys answer instead.
 */
bool reference_load(const char *conninfo, char *err, size_t err_size);
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
/* The indicator with this code, or NULL (also before reference_load). */
const struct reference_indicator *reference_indicator(const char *code);

/* Statements, by index; the set ends with an entry without a name. */
enum { REFERENCE_PROVINCES, REFERENCE_SECTORS };
extern const struct db_stmt reference_statements[];

#endif
