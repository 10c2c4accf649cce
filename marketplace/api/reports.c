/* The summary report, as JSON or CSV. */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"

const struct db_stmt reports_statements[] = {
	[REPORTS_SUMMARY] = {"reports_summary", "SELECT report_summary($1::date, $2::date)::text", 2, false},
	[REPORTS_SUMMARY_CSV] = {"reports_summary_csv",
	"SELECT report_summary_csv(report_summary($1::date, $2::date))", 2, false},
	{0},
};

/* Reports cover at most this many years, so that one request cannot read the whole history at once. */
#define REPORT_YEARS_MAX 10

bool reports_parse_date(const char *text, int *y, int *m, int *d)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    strspn(text, "0123456789") != 4 || strspn(text + 5, "0123456789") != 2 ||
	    strspn(text + 8, "0123456789") != 2)
		return false;
	*y = atoi(text);
	*m = atoi(text + 5);
	*d = atoi(text + 8);
	bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return *y >= 1900 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days[*m - 1] && (*m != 2 || *d <= 28 || leap);
}

struct csv_call {
	struct request *r;
	char disposition[128];
};

static void on_csv(const struct db_result *result, void *arg)
{
	struct csv_call *c = arg;
	if (result->status != DB_OK || PQntuples(result->res) != 1) {
		respond_db_failure(c->r, result);
	} else {
		request_add_header(c->r, "Content-Disposition", c->disposition);
		request_reply_data(c->r, 200, "text/csv; charset=utf-8", PQgetvalue(result->res, 0, 0),
				   (size_t)PQgetlength(result->res, 0, 0));
	}
	free(c);
}

void reports_summary(struct request *r)
{
	static const char *const allowed[] = {"from", "to", "format", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	/* Defaults: from the first of January to today, in Vietnam. */
	time_t now = time(NULL) + 7 * 3600;
	struct tm today;
	gmtime_r(&now, &today);
	char from[40], to[40];
	snprintf(from, sizeof from, "%04d-01-01", today.tm_year + 1900);
	snprintf(to, sizeof to, "%04d-%02d-%02d", today.tm_year + 1900, today.tm_mon + 1, today.tm_mday);
	const char *f = query_get(&q, "from"), *t = query_get(&q, "to"), *format = query_get(&q, "format");
	int fy, fm, fd, ty, tm_, td;
	bool csv = format != NULL && strcmp(format, "csv") == 0;
	if (format != NULL && !csv && strcmp(format, "json") != 0) {
		problem_reply(r, 400, "format must be json or csv.");
	} else if ((f != NULL && !reports_parse_date(f, &fy, &fm, &fd)) ||
		   (t != NULL && !reports_parse_date(t, &ty, &tm_, &td))) {
		problem_reply(r, 400, "from and to must be dates, YYYY-MM-DD.");
	} else {
		if (f != NULL)
			snprintf(from, sizeof from, "%s", f);
		if (t != NULL)
			snprintf(to, sizeof to, "%s", t);
		(void)reports_parse_date(from, &fy, &fm, &fd);
		(void)reports_parse_date(to, &ty, &tm_, &td);
		long first = fy * 10000L + fm * 100 + fd, last = ty * 10000L + tm_ * 100 + td;
		struct validation v;
		validate_init(&v);
		if (first > last)
			validate_error(&v, "from", "must not be after to");
		else if (last > first + REPORT_YEARS_MAX * 10000L)
			validate_error(&v, "to", "must be at most 10 years after from");
		if (validate_passed(&v, r)) {
			const char *params[2] = {from, to};
			struct csv_call *c = csv ? malloc(sizeof *c) : NULL;
			if (!csv) {
				db_query(request_db_read(r), &reports_statements[REPORTS_SUMMARY], params,
					 respond_json_row, r);
			} else if (c == NULL) {
				problem_reply(r, 503, "Out of memory.");
			} else {
				c->r = r;
				snprintf(c->disposition, sizeof c->disposition,
					 "attachment; filename=\"bao-cao-%s-%s.csv\"", from, to);
				db_query(request_db_read(r), &reports_statements[REPORTS_SUMMARY_CSV], params, on_csv,
					 c);
			}
		}
	}
	query_free(&q);
}
