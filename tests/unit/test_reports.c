/* reports.c: the dates a report's range is given in. */
#include <check.h>

#include "reports.h"
#include "check_run.h"

START_TEST(calendar_dates)
{
	int y, m, d;
	ck_assert(reports_parse_date("2026-11-28", &y, &m, &d));
	ck_assert_int_eq(y, 2026);
	ck_assert_int_eq(m, 11);
	ck_assert_int_eq(d, 28);
	ck_assert(reports_parse_date("2024-02-29", &y, &m, &d));
	ck_assert(reports_parse_date("2000-02-29", &y, &m, &d));
	const char *bad[] = {"", "2026-1-01", "2026-13-01", "2026-00-10", "2026-04-31", "2026-02-29", "1900-02-29",
			     "2026-11-28T00:00:00Z", "2026/11/28", "26-11-28", "2026-11-2x", "+026-11-28", "1899-12-31"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!reports_parse_date(bad[i], &y, &m, &d), "'%s' accepted", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, calendar_dates);
	suite_add_tcase(s, tc);
	return check_run(s);
}
