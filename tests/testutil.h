/* SPDX-License-Identifier: ISC */
/* testutil.h -- what every Check suite shares, written once: NELEM, the
 * runner main() calls, temporary files a checked fixture removes, and a
 * writer run over records into memory.
 * Header-only, so a new suite is one .c file and one word in Makefile.am. */
#ifndef AP_TESTUTIL_H
#define AP_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "output.h"

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

/*
 * Run a copy of the writer proto (ops and options; its fp is ignored)
 * over n records into memory and return the text, which the caller
 * frees; its length in *lenp.  begin: through ap_writer_begin() first,
 * as the engine does (the header).  A whole-run writer (prom, nagios)
 * must let nothing out before end(), one with exit codes must say 3
 * UNKNOWN until then, and end() must free what the format gathered;
 * *codep gets the exit code after end() as main.c reads it (status 0).
 * lenp and codep may be NULL.
 */
static inline char *
tu_render(const struct ap_writer *proto, bool begin,
    const struct ap_result *r, size_t n, size_t *lenp, int *codep)
{
	struct ap_writer	 w = *proto;
	char			*buf = NULL;
	size_t			 len = 0, i;
	FILE			*fp;

	ck_assert_ptr_nonnull(w.ops);
	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	w.fp = fp;
	if (begin)
		ck_assert_int_eq(ap_writer_begin(&w), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(ap_writer_write(&w, &r[i]), 0);
	if (ap_writer_whole_run(&w)) {
		ck_assert_int_eq(fflush(fp), 0);
		ck_assert_uint_eq(len, 0);
	}
	if (ap_writer_has_exit_code(&w))
		ck_assert_int_eq(ap_writer_exit_code(&w, 0), 3);
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_ptr_null(w.state);
	if (codep != NULL)
		*codep = ap_writer_exit_code(&w, 0);
	ck_assert_int_eq(fclose(fp), 0);
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

#endif
