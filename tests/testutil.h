/* SPDX-License-Identifier: ISC */
/* testutil.h -- what every Check suite shares, written once: NELEM, the
 * runner main() calls, and temporary files a checked fixture removes.
 * Header-only, so a new suite is one .c file and one word in Makefile.am. */
#ifndef AP_TESTUTIL_H
#define AP_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Run the suite, forked per test (a crash fails one test, not the
 * program), and exit non-zero when anything failed.  Under "make check"
 * the environment says CK_TAP_LOG_FILE_NAME=-: Check then writes a TAP
 * line per test case on stdout for automake's TAP driver, which counts
 * the failures itself, so the exit status is 0 unless the program broke
 * outside its tests (a non-zero exit would count once more as an error).
 */
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

/*
 * Temporary files: tu_tmpfile() writes len bytes to a new file under
 * $TMPDIR (or /tmp) and returns its path, valid until tu_tmp_cleanup()
 * removes every file made so far.  Add tu_tmp_cleanup as a checked
 * fixture's teardown (it runs in the forked child, where the files were
 * made), or call it at the end of the test.
 */
#define TU_TMP_MAX	8

static char	tu_tmp_paths[TU_TMP_MAX][256];
static int	tu_ntmp;

static inline char *
tu_tmpfile(const void *data, size_t len)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	ck_assert_int_lt(tu_ntmp, TU_TMP_MAX);
	path = tu_tmp_paths[tu_ntmp];
	snprintf(path, sizeof(tu_tmp_paths[0]), "%s/check.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	ck_assert_int_ne(fd = mkstemp(path), -1);
	tu_ntmp++;
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return (path);
}

static inline char *
tu_tmpfile_str(const char *text)
{
	return (tu_tmpfile(text, strlen(text)));
}

static inline void
tu_tmp_cleanup(void)
{
	while (tu_ntmp > 0)
		unlink(tu_tmp_paths[--tu_ntmp]);
}

#endif
