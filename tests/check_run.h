/* Runs a Check suite the way every test program here does (CK_VERBOSITY picks the output). */
#ifndef MARKETPLACE_CHECK_RUN_H
#define MARKETPLACE_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Runs s, frees it, and returns the exit status for main. */
static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
