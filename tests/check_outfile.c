/* SPDX-License-Identifier: ISC */
/* check_outfile.c -- -o FILE put in place atomically: a commit replaces
 * the file whole, an abandon leaves the old one, a symbolic link has the
 * file it points to replaced (even when it dangles), what is not a
 * regular file is written directly, the mode is kept, nothing is left
 * behind. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "testutil.h"

static char	dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_outfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *
at(const char *name)
{
	static char	buf[4][PATH_MAX];
	static int	n;
	char		*p = buf[n++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return (p);
}

static void
put(const char *path, const char *text)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ne(fputs(text, fp), EOF);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
assert_content(const char *path, const char *want)
{
	char	 buf[256];
	FILE	*fp;
	size_t	 n;

	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_str_eq(buf, want);
}

/* The names in dir, sorted, joined by spaces. */
static void
assert_entries(const char *want)
{
	struct dirent	**v;
	char		  got[256] = "";
	int		  n, i;

	ck_assert_int_ge(n = scandir(dir, &v, NULL, alphasort), 0);
	for (i = 0; i < n; i++) {
		if (v[i]->d_name[0] != '.') {
			if (got[0] != '\0')
				strcat(got, " ");
			strcat(got, v[i]->d_name);
		}
		free(v[i]);
	}
	free(v);
	ck_assert_str_eq(got, want);
}

START_TEST(test_commit_replaces)
{
	struct ap_outfile	*of;

	put(at("out"), "old\n");
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("out")));
	fputs("new\n", ap_outfile_fp(of));
	fflush(ap_outfile_fp(of));
	/* Until the commit a reader sees the old file whole. */
	assert_content(at("out"), "old\n");
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	assert_content(at("out"), "new\n");
	assert_entries("out");
}
END_TEST

START_TEST(test_commit_creates)
{
	struct ap_outfile	*of;
	struct stat		 st;
	mode_t			 old = umask(027);

	ck_assert_ptr_nonnull(of = ap_outfile_open(at("new")));
	umask(old);
	fputs("x\n", ap_outfile_fp(of));
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	assert_content(at("new"), "x\n");
	ck_assert_int_eq(stat(at("new"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);	/* 0666 less umask */
}
END_TEST

START_TEST(test_abandon_keeps_old)
{
	struct ap_outfile	*of;

	put(at("out"), "old\n");
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("out")));
	fputs("half", ap_outfile_fp(of));
	ap_outfile_abandon(of);
	assert_content(at("out"), "old\n");
	assert_entries("out");
	ap_outfile_abandon(NULL);
}
END_TEST

START_TEST(test_mode_kept)
{
	struct ap_outfile	*of;
	struct stat		 st;

	put(at("out"), "old\n");
	ck_assert_int_eq(chmod(at("out"), 0604), 0);
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("out")));
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	ck_assert_int_eq(stat(at("out"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0604);
}
END_TEST

/* Through a link: the file it points to is replaced, the link stays. */
START_TEST(test_symlink)
{
	struct ap_outfile	*of;
	char			 link[PATH_MAX];
	ssize_t			 n;

	ck_assert_int_eq(mkdir(at("real"), 0755), 0);
	put(at("real/f"), "old\n");
	ck_assert_int_eq(symlink("real/f", at("l1")), 0);
	ck_assert_int_eq(symlink("l1", at("l2")), 0);	/* a chain */
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("l2")));
	ck_assert_str_eq(ap_outfile_target(of), at("real/f"));
	fputs("new\n", ap_outfile_fp(of));
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	assert_content(at("real/f"), "new\n");
	ck_assert_int_ne(n = readlink(at("l2"), link, sizeof(link) - 1), -1);
	link[n] = '\0';
	ck_assert_str_eq(link, "l1");
	assert_entries("l1 l2 real");

	/* Dangling: the file is made where the link points. */
	ck_assert_int_eq(unlink(at("real/f")), 0);
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("l1")));
	fputs("made\n", ap_outfile_fp(of));
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	assert_content(at("real/f"), "made\n");

	/* An absolute link. */
	ck_assert_int_eq(symlink(at("real/f"), at("abs")), 0);
	ck_assert_ptr_nonnull(of = ap_outfile_open(at("abs")));
	ck_assert_str_eq(ap_outfile_target(of), at("real/f"));
	ap_outfile_abandon(of);
	assert_content(at("real/f"), "made\n");
}
END_TEST

START_TEST(test_symlink_loop)
{
	ck_assert_int_eq(symlink("b", at("a")), 0);
	ck_assert_int_eq(symlink("a", at("b")), 0);
	errno = 0;
	ck_assert_ptr_null(ap_outfile_open(at("a")));
	ck_assert_int_eq(errno, ELOOP);
	assert_entries("a b");
}
END_TEST

/* /dev/null is written to, never renamed over. */
START_TEST(test_not_regular)
{
	struct ap_outfile	*of;
	struct stat		 st;

	ck_assert_ptr_nonnull(of = ap_outfile_open("/dev/null"));
	fputs("x\n", ap_outfile_fp(of));
	ck_assert_int_eq(ap_outfile_commit(of), 0);
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

START_TEST(test_no_directory)
{
	errno = 0;
	ck_assert_ptr_null(ap_outfile_open(at("nosuch/out")));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *
outfile_suite(void)
{
	Suite	*s = suite_create("outfile");
	TCase	*tc;

	tc = tcase_create("outfile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_commit_replaces);
	tcase_add_test(tc, test_commit_creates);
	tcase_add_test(tc, test_abandon_keeps_old);
	tcase_add_test(tc, test_mode_kept);
	tcase_add_test(tc, test_symlink);
	tcase_add_test(tc, test_symlink_loop);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_no_directory);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(outfile_suite()));
}
