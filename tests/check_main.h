/* SPDX-License-Identifier: ISC */
/* check_main.h -- what every Check suite's main() does: run the suite,
 * forked per test (a crash fails one test, not the program), and exit
 * non-zero when anything failed. */
#ifndef AP_CHECK_MAIN_H
#define AP_CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

static inline int
ap_check_run(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

#endif
