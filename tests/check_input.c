/* SPDX-License-Identifier: ISC */
/* check_input.c -- streaming targets out of files and pipes: line
 * numbers, expansion of port lists, invalid lines, files that cannot be
 * read, huge lines, and a pipe that has nothing to say yet. */
#include "config.h"

#include <sys/stat.h>

#include <sys/socket.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "line.h"
#include "testutil.h"

#define MAX_STEPS	100000	/* no test loop runs longer */

/* One item as text: "T host port Lline #index", "I Lline reason #index",
 * "F reason", "A" (again), "E" (EOF). */
static void
item_str(enum ap_input_rc rc, const struct ap_input_item *it, char *buf,
    size_t len)
{
	switch (rc) {
	case AP_INPUT_TARGET:
		snprintf(buf, len, "T %s %u L%lu #%llu", it->host, it->port,
		    it->line, (unsigned long long)it->index);
		break;
	case AP_INPUT_INVALID:
		snprintf(buf, len, "I L%lu %s #%llu", it->line, it->reason,
		    (unsigned long long)it->index);
		break;
	case AP_INPUT_FILE_ERROR:
		snprintf(buf, len, "F %s", it->reason);
		break;
	case AP_INPUT_AGAIN:
		snprintf(buf, len, "A");
		break;
	case AP_INPUT_BUSY:
		snprintf(buf, len, "B");
		break;
	case AP_INPUT_EOF:
		snprintf(buf, len, "E");
		break;
	}
}

/* Every item up to EOF or AGAIN, joined with '|'. */
static void
drain(struct ap_input *in, char *out, size_t len)
{
	struct ap_input_item	it;
	enum ap_input_rc	rc;
	char			one[512];
	size_t			o = 0;
	int			i;

	out[0] = '\0';
	for (i = 0; i < MAX_STEPS; i++) {
		rc = ap_input_next(in, &it);
		item_str(rc, &it, one, sizeof(one));
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "|" : "",
		    one);
		ck_assert_uint_lt(o, len);
		if (rc == AP_INPUT_EOF || rc == AP_INPUT_AGAIN)
			return;
	}
	ck_abort_msg("input never ended");
}

static void
check_input(char *const *paths, const char *defports, const char *want)
{
	struct ap_portlist	 def;
	struct ap_input		*in;
	char			 got[4096], err[AP_ERRBUF_LEN];

	if (defports != NULL)
		ck_assert_int_eq(ap_portlist_parse(defports, &def, err,
		    sizeof(err)), 0);
	ck_assert_ptr_nonnull(in = ap_input_new(paths,
	    defports != NULL ? &def : NULL));
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ap_input_free(in);
	if (defports != NULL)
		ap_portlist_free(&def);
}

/* Inputs in one file, and what comes out. */
static const struct stream_case {
	const char	*data;
	size_t		 len;		/* 0: strlen(data) */
	const char	*defports;
	const char	*want;
} stream_cases[] = {
	{ "", 0, NULL, "E" },
	{ "\n\n# only comments\n   \n", 0, NULL, "E" },
	{ "a:1\n# c\n\nb:2,3\nbad:0\r\n[::1]:4\nlast:5", 0, NULL,
	    "T a 1 L1 #0|T b 2 L4 #1|T b 3 L4 #2|"
	    "I L5 port 0 out of range 1-65535 #3|T ::1 4 L6 #4|"
	    "T last 5 L7 #5|E" },
	{ "h:1-3\n", 0, NULL, "T h 1 L1 #0|T h 2 L1 #1|T h 3 L1 #2|E" },
	{ "a\nb:9\r\nc # x\n", 0, "22,80-81",
	    "T a 22 L1 #0|T a 80 L1 #1|T a 81 L1 #2|T b 9 L2 #3|"
	    "T c 22 L3 #4|T c 80 L3 #5|T c 81 L3 #6|E" },
	{ "a\nb:9\n", 0, NULL,
	    "I L1 missing port (no -p given) #0|T b 9 L2 #1|E" },
	{ "a:1\nb\0:2\nc:3\n", 13, NULL,
	    "T a 1 L1 #0|I L2 NUL byte in line #1|T c 3 L3 #2|E" },
	{ "x:1\r\ny:2\r\n", 0, NULL, "T x 1 L1 #0|T y 2 L2 #1|E" },
	{ "no-newline:7", 0, NULL, "T no-newline 7 L1 #0|E" },
	{ "\n\nh:1", 0, NULL, "T h 1 L3 #0|E" },
	{ "# last line a comment, no newline", 0, NULL, "E" },
	/* A UTF-8 byte order mark opening the file is skipped (issue 11);
	 * anywhere else it is a byte no host has. */
	{ "\xef\xbb\xbf" "a:1\nb:2\n", 0, NULL,
	    "T a 1 L1 #0|T b 2 L2 #1|E" },
	{ "\xef\xbb\xbf\nh:1", 0, NULL, "T h 1 L2 #0|E" },
	{ "\xef\xbb\xbf# comment\nh:1", 0, NULL, "T h 1 L2 #0|E" },
	{ "a:1\n\xef\xbb\xbf" "b:2\n", 0, NULL,
	    "T a 1 L1 #0|I L2 bad character in host #1|E" },
};

START_TEST(test_stream_table)
{
	const struct stream_case	*c = &stream_cases[_i];
	char				*paths[2];

	paths[0] = tu_tmpfile(c->data, c->len ? c->len : strlen(c->data));
	paths[1] = NULL;
	check_input(paths, c->defports, c->want);
}
END_TEST

/* Item fields beyond the summary: text, file, host_is_ip, reason. */
START_TEST(test_item_fields)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*paths[2];

	paths[0] = tu_tmpfile_str("  127.0.0.1:80,81  # two\nname:0\n");
	paths[1] = NULL;
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.text, "127.0.0.1:80,81");
	ck_assert_str_eq(it.host, "127.0.0.1");
	ck_assert(it.host_is_ip);
	ck_assert_str_eq(it.file, paths[0]);
	ck_assert_uint_eq(it.port, 80);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.text, "127.0.0.1:80,81");
	ck_assert_uint_eq(it.port, 81);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_INVALID);
	ck_assert_str_eq(it.text, "name:0");
	ck_assert_str_eq(it.host, "name");
	ck_assert_str_eq(it.file, paths[0]);
	ck_assert_uint_eq(it.line, 2);
	ck_assert_str_eq(it.reason, "port 0 out of range 1-65535");
	ck_assert_uint_eq(it.index, 2);
	/* EOF, and EOF again. */
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ck_assert_int_eq(ap_input_fd(in), -1);
	ap_input_free(in);
	ap_input_free(NULL);
}
END_TEST

/* A 5 MB line, then a good one: one invalid item, the good line keeps its
 * line number. */
START_TEST(test_huge_line)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*data, *paths[2];
	size_t			 big = 5 * 1024 * 1024;

	ck_assert_ptr_nonnull(data = malloc(big + 64));
	memset(data, 'x', big);
	memcpy(data, "a:1\n", 4);
	strcpy(data + big, "\nok:7\nhuge-last");
	paths[0] = tu_tmpfile(data, strlen(data));
	paths[1] = NULL;
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_INVALID);
	ck_assert_uint_eq(it.line, 2);
	ck_assert_str_eq(it.reason, "line longer than 1024 bytes");
	ck_assert_uint_le(strlen(it.text), 203);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.host, "ok");
	ck_assert_uint_eq(it.port, 7);
	ck_assert_uint_eq(it.line, 3);
	ck_assert_uint_eq(it.index, 2);
	ap_input_free(in);

	/* The same huge line last, without a newline. */
	strcpy(data + big, "x");
	paths[0] = tu_tmpfile(data, strlen(data));
	check_input(paths, NULL,
	    "T a 1 L1 #0|I L2 line longer than 1024 bytes #1|E");
	free(data);
}
END_TEST

/* A 40 MB line: the reader hands control back (BUSY) while it skips it,
 * so an endless line cannot take the caller's loop, then goes on. */
START_TEST(test_endless_line_yields)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	enum ap_input_rc	 rc;
	char			*data, *paths[2];
	size_t			 big = 40 * 1024 * 1024;
	int			 busy = 0, steps;

	ck_assert_ptr_nonnull(data = malloc(big + 16));
	memset(data, 'z', big);
	strcpy(data + big, "\nok:9\n");
	paths[0] = tu_tmpfile(data, strlen(data));
	paths[1] = NULL;
	free(data);
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	for (steps = 0; steps < 100; steps++)
		if ((rc = ap_input_next(in, &it)) != AP_INPUT_BUSY)
			break;
		else
			busy++;
	ck_assert_int_ge(busy, 2);
	ck_assert_int_eq(rc, AP_INPUT_INVALID);
	ck_assert_uint_eq(it.line, 1);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.host, "ok");
	ck_assert_uint_eq(it.line, 2);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ap_input_free(in);
}
END_TEST

/* The limit sits exactly at 1024 bytes, whatever the buffer does. */
START_TEST(test_line_limit)
{
	char	data[4200], *paths[2];
	size_t	o = 0;

	/* 1024 bytes + CRLF: valid.  1025 bytes + CRLF: not. 1026 + LF:
	 * not. */
	memset(data, ' ', sizeof(data));
	memcpy(data + o, "a:1", 3);
	o += 1024;
	memcpy(data + o, "\r\n", 2);
	o += 2;
	memcpy(data + o, "b:2", 3);
	o += 1025;
	memcpy(data + o, "\r\n", 2);
	o += 2;
	memcpy(data + o, "c:3", 3);
	o += 1026;
	data[o++] = '\n';
	memcpy(data + o, "d:4\n", 4);
	o += 4;
	paths[0] = tu_tmpfile(data, o);
	paths[1] = NULL;
	check_input(paths, NULL, "T a 1 L1 #0|"
	    "I L2 line longer than 1024 bytes #1|"
	    "I L3 line longer than 1024 bytes #2|T d 4 L4 #3|E");
}
END_TEST

/* Many lines across many 64 KiB reads: nothing lost, numbers right. */
START_TEST(test_many_lines)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*data, *paths[2], want[32];
	size_t			 o = 0, n = 30000, i;

	ck_assert_ptr_nonnull(data = malloc(n * 32));
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(data + o, "host%zu:%zu\n", i,
		    i % 65535 + 1);
	paths[0] = tu_tmpfile(data, o);
	paths[1] = NULL;
	free(data);
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
		snprintf(want, sizeof(want), "host%zu", i);
		ck_assert_str_eq(it.host, want);
		ck_assert_uint_eq(it.port, i % 65535 + 1);
		ck_assert_uint_eq(it.line, i + 1);
		ck_assert_uint_eq(it.index, i);
	}
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ap_input_free(in);
}
END_TEST

/* Three files, a missing one in the middle: reported, then the next. */
START_TEST(test_files_missing)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*paths[4], want[256];
	char			 missing[] = "/tmp/check_input.does-not-exist";

	paths[0] = tu_tmpfile_str("a:1\n");
	paths[1] = missing;
	paths[2] = tu_tmpfile_str("\nb:2\n");
	paths[3] = NULL;
	unlink(paths[1]);
	snprintf(want, sizeof(want), "T a 1 L1 #0|F %s: %s|T b 2 L2 #1|E",
	    paths[1], strerror(ENOENT));
	check_input(paths, NULL, want);

	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.file, paths[0]);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_FILE_ERROR);
	ck_assert_str_eq(it.file, paths[1]);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.file, paths[2]);
	ck_assert_uint_eq(it.line, 2);
	ap_input_free(in);
}
END_TEST

/* An operand that is no file but a target with its own port (nc -z);
 * without a port, or with only -p's, it stays a missing file. */
START_TEST(test_operand_targets)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*paths[6], want[512];
	char			 t1[] = "127.0.0.1:22,80", t2[] = "[::1]:7";
	char			 t3[] = "127.0.0.0/31:9", bare[] = "nohost.test";
	char			 log_[] = "/tmp/check_input.no-such.log";

	paths[0] = t1;
	paths[1] = tu_tmpfile_str("a:1\n");
	paths[2] = t2;
	paths[3] = t3;
	paths[4] = bare;
	paths[5] = NULL;
	snprintf(want, sizeof(want), "T 127.0.0.1 22 L1 #0|T 127.0.0.1 80 L1 #1"
	    "|T a 1 L1 #2|T ::1 7 L3 #3|T 127.0.0.0 9 L4 #4|T 127.0.0.1 9 L4 #5"
	    "|F nohost.test: %s|E", strerror(ENOENT));
	check_input(paths, "22", want);

	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.file, "argv");
	ck_assert_str_eq(it.text, "127.0.0.1:22,80");
	ck_assert(it.host_is_ip);
	ap_input_free(in);

	/* A file that exists wins over a target of the same name, and a
	 * missing "x.log" stays an error. */
	paths[0] = log_;
	paths[1] = NULL;
	snprintf(want, sizeof(want), "F %s: %s|E", log_, strerror(ENOENT));
	check_input(paths, NULL, want);
}
END_TEST

/* A prefix line comes out one address (and port) at a time, address by
 * address; the line's text stays, host is the address. */
START_TEST(test_prefix_lazy)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*paths[2];
	unsigned		 n = 0;

	paths[0] = tu_tmpfile_str("127.0.0.254/31:1,2\n[2001:db8::fe/127]:3\n"
	    "127.1.2.3/16:4\nafter:5\n");
	paths[1] = NULL;
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
#define NEXT(h, p, l) do {						\
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);	\
	ck_assert_str_eq(it.host, (h));					\
	ck_assert_uint_eq(it.port, (p));				\
	ck_assert_uint_eq(it.line, (l));				\
} while (0)
	NEXT("127.0.0.254", 1, 1);
	ck_assert_str_eq(it.text, "127.0.0.254/31:1,2");
	ck_assert_int_eq(it.ip[3], 254);
	NEXT("127.0.0.254", 2, 1);
	NEXT("127.0.0.255", 1, 1);
	ck_assert_int_eq(it.ip[3], 255);
	NEXT("127.0.0.255", 2, 1);
	NEXT("2001:db8::fe", 3, 2);
	NEXT("2001:db8::ff", 3, 2);
	ck_assert_int_eq(it.ip_family, AF_INET6);
	ck_assert_int_eq(it.ip[15], 0xff);
	/* 65536 addresses, carried across bytes, then the next line. */
	for (n = 0; n < 65536; n++) {
		ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
		ck_assert_uint_eq(it.line, 3);
		ck_assert_int_eq(it.ip[2] * 256 + it.ip[3], n);
		ck_assert_int_eq(it.ip[1], 1);
	}
	ck_assert_str_eq(it.host, "127.1.255.255");
	NEXT("after", 5, 4);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
#undef NEXT
	ap_input_free(in);
}
END_TEST

START_TEST(test_file_directory)
{
	char	*paths[3], want[256], dir[] = "/tmp";

	paths[0] = dir;
	paths[1] = tu_tmpfile_str("z:9");
	paths[2] = NULL;
	snprintf(want, sizeof(want), "F /tmp: %s|T z 9 L1 #0|E",
	    strerror(EISDIR));
	check_input(paths, NULL, want);
}
END_TEST

/* Permission is denied only to someone other than root. */
START_TEST(test_file_unreadable)
{
	char	*paths[2], want[256];

	if (geteuid() == 0)
		return;
	paths[0] = tu_tmpfile_str("a:1\n");
	paths[1] = NULL;
	ck_assert_int_eq(chmod(paths[0], 0), 0);
	snprintf(want, sizeof(want), "F %s: %s|E", paths[0],
	    strerror(EACCES));
	check_input(paths, NULL, want);
}
END_TEST

/* Files left open would run a long list out of descriptors. */
START_TEST(test_files_closed)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*paths[3];
	int			 fd1, fd2;

	paths[0] = tu_tmpfile_str("a:1\n");
	paths[1] = tu_tmpfile_str("b:2");
	paths[2] = NULL;
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_fd(in), -1);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_int_gt(fd1 = ap_input_fd(in), STDERR_FILENO);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	ck_assert_str_eq(it.file, paths[1]);
	fd2 = ap_input_fd(in);
	/* The first was closed before the second was opened. */
	ck_assert_int_eq(fd2, fd1);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ck_assert_int_eq(fcntl(fd2, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ap_input_free(in);

	/* Freed halfway: closed too. */
	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_TARGET);
	fd1 = ap_input_fd(in);
	ap_input_free(in);
	ck_assert_int_eq(fcntl(fd1, F_GETFD), -1);
}
END_TEST

/* stdin as a pipe: AGAIN while it is empty, then the rest, then EOF. */
static void
pipe_case(char *const *paths)
{
	struct ap_input		*in;
	char			 got[512];
	int			 p[2], saved;

	ck_assert_int_ne(saved = dup(STDIN_FILENO), -1);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(dup2(p[0], STDIN_FILENO), -1);
	close(p[0]);

	ck_assert_ptr_nonnull(in = ap_input_new(paths, NULL));
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, "A");
	ck_assert_int_eq(ap_input_fd(in), STDIN_FILENO);

	ck_assert_int_eq(write(p[1], "a:1\nb:", 6), 6);
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, "T a 1 L1 #0|A");
	ck_assert_int_eq(write(p[1], "2\nc:3", 5), 5);
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, "T b 2 L2 #1|A");
	close(p[1]);
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, "T c 3 L3 #2|E");
	drain(in, got, sizeof(got));
	ck_assert_str_eq(got, "E");
	ap_input_free(in);

	/* stdin is the caller's: still open. */
	ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);
	ck_assert_int_ne(dup2(saved, STDIN_FILENO), -1);
	close(saved);
}

START_TEST(test_pipe_stdin_default)
{
	pipe_case(NULL);
}
END_TEST

START_TEST(test_pipe_stdin_dash)
{
	char	 dash[] = "-";
	char	*paths[] = { dash, NULL };

	pipe_case(paths);
}
END_TEST

/* "-" is the name items carry for stdin. */
START_TEST(test_pipe_file_name)
{
	struct ap_input_item	 it;
	struct ap_input		*in;
	char			*empty[] = { NULL };
	int			 p[2], saved;

	ck_assert_int_ne(saved = dup(STDIN_FILENO), -1);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(dup2(p[0], STDIN_FILENO), -1);
	close(p[0]);
	ck_assert_int_eq(write(p[1], "bad:0\n", 6), 6);
	close(p[1]);
	ck_assert_ptr_nonnull(in = ap_input_new(empty, NULL));
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_INVALID);
	ck_assert_str_eq(it.file, "-");
	ck_assert_uint_eq(it.line, 1);
	ck_assert_int_eq(ap_input_next(in, &it), AP_INPUT_EOF);
	ap_input_free(in);
	ck_assert_int_ne(dup2(saved, STDIN_FILENO), -1);
	close(saved);
}
END_TEST


static Suite *
input_suite(void)
{
	Suite	*s = suite_create("input");
	TCase	*tc;

	tc = tcase_create("stream");
	tcase_add_checked_fixture(tc, NULL, tu_tmp_cleanup);
	tcase_add_loop_test(tc, test_stream_table, 0, NELEM(stream_cases));
	tcase_add_test(tc, test_item_fields);
	tcase_add_test(tc, test_many_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("long");
	tcase_add_checked_fixture(tc, NULL, tu_tmp_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_endless_line_yields);
	tcase_add_test(tc, test_line_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, tu_tmp_cleanup);
	tcase_add_test(tc, test_files_missing);
	tcase_add_test(tc, test_operand_targets);
	tcase_add_test(tc, test_prefix_lazy);
	tcase_add_test(tc, test_file_directory);
	tcase_add_test(tc, test_file_unreadable);
	tcase_add_test(tc, test_files_closed);
	suite_add_tcase(s, tc);

	tc = tcase_create("pipe");
	tcase_add_test(tc, test_pipe_stdin_default);
	tcase_add_test(tc, test_pipe_stdin_dash);
	tcase_add_test(tc, test_pipe_file_name);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(input_suite()));
}
