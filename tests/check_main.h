/* SPDX-License-Identifier: ISC */
/* check_main.h -- what every Check suite's main() does: run the suite,
 * forked per test (a crash fails one test, not the program), and exit
 * non-zero when anything failed.  Under "make check" the environment says
 * CK_TAP_LOG_FILE_NAME=-: Check then writes a TAP line per test case on
 * stdout for automake's TAP driver, which counts the failures itself, so
 * the exit status is 0 unless the program broke outside its tests (a
 * non-zero exit would count once more as an error). */
#ifndef AP_CHECK_MAIN_H
#define AP_CHECK_MAIN_H

#include <stdlib.h>
#include <string.h>

#include <check.h>

static inline int
ap_check_run(Suite *s)
{
	SRunner		*sr;
	const char	*tap;
	int		 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if ((tap = getenv("CK_TAP_LOG_FILE_NAME")) != NULL &&
	    strcmp(tap, "-") == 0)
		return (EXIT_SUCCESS);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

#endif
