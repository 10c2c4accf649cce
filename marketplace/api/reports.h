/*
 * GET /reports/summary (administrators): the exchange's figures over a
 * date range — listings by kind, status, field and province, deals by
 * state, verified deals and their value, and a monthly series — as JSON
 * or, with format=csv, as a CSV file for a spreadsheet.  Built in SQL
 * (report_summary() of migration 0009), the CSV from the same document.
 */
#ifndef MARKETPLACE_REPORTS_H
#define MARKETPLACE_REPORTS_H

#include <stdbool.h>

#include "db.h"

struct request;

void reports_summary(struct request *r);

/* A calendar date YYYY-MM-DD into *y, *m, *d; false when it is not one. Pure, for tests. */
bool reports_parse_date(const char *text, int *y, int *m, int *d);

enum { REPORTS_SUMMARY, REPORTS_SUMMARY_CSV };
extern const struct db_stmt reports_statements[];

#endif
