/* SPDX-License-Identifier: ISC */
/* check_hosts.c -- the static name tables: a hosts(5) file read the way
 * the C library reads it, --resolve lists, lookups without regard to
 * case, and a table big enough to grow many times. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosts.h"
#include "hostlist.h"
#include "testutil.h"

/* The hosts file of the test, from tu_tmpfile(). */
static const char	*tmp_path;

/* The addresses of name as "a,b,c" ("" when none), checking port 0. */
static void
lookup_str(const struct ap_hosts *h, const char *name, char *buf,
    size_t len)
{
	const struct ap_addr	*a;
	size_t			 n = 99, i, o = 0;
	char			 text[64];

	buf[0] = '\0';
	a = ap_hosts_lookup(h, name, &n);
	if (a == NULL) {
		ck_assert_uint_eq(n, 0);
		return;
	}
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(a[i].u.sa.sa_family == AF_INET ?
		    a[i].u.sin.sin_port : a[i].u.sin6.sin6_port, 0);
		ap_addr_ntop(&a[i], text, sizeof(text));
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? "," : "", text);
		ck_assert_uint_lt(o, len);
	}
}

static const char hosts_text[] =
    "# a comment line\n"
    "127.0.0.1\tlocalhost localhost.localdomain\n"
    "::1     localhost ip6-localhost ip6-loopback   # trailing comment\n"
    "\n"
    "   \t  \n"
    "\t# an indented comment\n"
    "127.0.2.1 Alpha alias-one\talias-two\n"
    "127.0.2.2\t\talpha\n"
    "127.0.2.1 ALPHA\n"			/* the same address again */
    "2001:db8::5 alpha\n"
    "this-is junk\n"
    "127.1.1.999 bad-v4\n"
    "1.2.3 short-v4\n"
    "fe80::1%lo scoped\n"
    "fe80::2%nosuchif0 badzone\n"
    "127.0.2.3\n"				/* an address and no name */
    "127.0.2.4 # only a comment after it\n"
    "#127.0.2.5 commented-out\n"
    "127.0.2.6 crlf\r\n"
    "127.0.2.7 hash#inside\n"
    "[127.0.2.8] bracketed-v4\n"
    "127.0.2.9 tabs\ttabs2\t\tTabs3\t\n"
    "2001:db8::10 v6only v6-alias\n"
    "127.0.2.10 last-no-newline";

static const struct lookup_case {
	const char	*name;
	const char	*addrs;		/* "" when not found */
} lookup_cases[] = {
	{ "localhost",			"127.0.0.1,::1" },
	{ "LocalHost",			"127.0.0.1,::1" },
	{ "localhost.localdomain",	"127.0.0.1" },
	{ "ip6-localhost",		"::1" },
	{ "ip6-loopback",		"::1" },
	{ "alpha",			"127.0.2.1,127.0.2.2,2001:db8::5" },
	{ "ALPHA",			"127.0.2.1,127.0.2.2,2001:db8::5" },
	{ "aLpHa",			"127.0.2.1,127.0.2.2,2001:db8::5" },
	{ "alias-one",			"127.0.2.1" },
	{ "Alias-Two",			"127.0.2.1" },
	{ "junk",			"" },
	{ "this-is",			"" },
	{ "bad-v4",			"" },
	{ "short-v4",			"" },
	{ "scoped",			"fe80::1%lo" },
	{ "badzone",			"" },
	{ "fe80::1%lo",			"" },
	{ "127.0.2.3",			"" },
	{ "only",			"" },
	{ "comment",			"" },
	{ "commented-out",		"" },
	{ "crlf",			"127.0.2.6" },
	{ "crlf\r",			"" },
	{ "hash",			"127.0.2.7" },
	{ "hash#inside",		"" },
	{ "inside",			"" },
	{ "bracketed-v4",		"" },
	{ "tabs",			"127.0.2.9" },
	{ "tabs2",			"127.0.2.9" },
	{ "tabs3",			"127.0.2.9" },
	{ "v6only",			"2001:db8::10" },
	{ "V6-ALIAS",			"2001:db8::10" },
	{ "last-no-newline",		"127.0.2.10" },
	{ "",				"" },
	{ "alph",			"" },
	{ "alphaa",			"" },
};

START_TEST(test_load_lookup)
{
	const struct lookup_case	*c = &lookup_cases[_i];
	struct ap_hosts			*h = ap_hosts_new();
	char				 buf[256];

	tmp_path = tu_tmpfile_str(hosts_text);
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();
	lookup_str(h, c->name, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, c->addrs) == 0, "'%s': got '%s', wanted "
	    "'%s'", c->name, buf, c->addrs);
	ap_hosts_free(h);
}
END_TEST

/* A second file adds to what the first one gave. */
START_TEST(test_load_twice)
{
	struct ap_hosts	*h = ap_hosts_new();
	char		 buf[256];

	tmp_path = tu_tmpfile_str("127.0.2.1 one\n");
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();
	tmp_path = tu_tmpfile_str("127.0.2.2 one two\n127.0.2.1 one\n");
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();
	lookup_str(h, "one", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.1,127.0.2.2");
	lookup_str(h, "two", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.2");
	ap_hosts_free(h);
}
END_TEST

START_TEST(test_load_empty)
{
	struct ap_hosts	*h = ap_hosts_new();
	char		 buf[64];

	tmp_path = tu_tmpfile_str("");
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();
	lookup_str(h, "localhost", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ap_hosts_free(h);
}
END_TEST

START_TEST(test_load_missing)
{
	struct ap_hosts	*h = ap_hosts_new();

	errno = 0;
	ck_assert_int_eq(ap_hosts_load(h,
	    "/nonexistent/check_hosts/hosts"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ap_hosts_free(h);
}
END_TEST

/* A directory opens but cannot be read: an error, not an empty table. */
START_TEST(test_load_directory)
{
	struct ap_hosts	*h = ap_hosts_new();

	errno = 0;
	ck_assert_int_eq(ap_hosts_load(h, "/"), -1);
	ck_assert_int_ne(errno, 0);
	ap_hosts_free(h);
}
END_TEST

/* A line far longer than any buffer a reader might guess at. */
START_TEST(test_load_long_line)
{
	struct ap_hosts	*h = ap_hosts_new();
	char		*text, buf[64], name[32];
	size_t		 o = 0, cap = 64 * 1024;
	int		 i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	o += (size_t)snprintf(text + o, cap - o, "127.0.2.77");
	for (i = 0; i < 2000; i++)
		o += (size_t)snprintf(text + o, cap - o, " n%d", i);
	snprintf(text + o, cap - o, "\n127.0.2.78 after\n");
	tmp_path = tu_tmpfile_str(text);
	free(text);
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();
	for (i = 0; i < 2000; i += 97) {
		snprintf(name, sizeof(name), "N%d", i);
		lookup_str(h, name, buf, sizeof(buf));
		ck_assert_str_eq(buf, "127.0.2.77");
	}
	lookup_str(h, "n1999", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.77");
	lookup_str(h, "after", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.78");
	ap_hosts_free(h);
}
END_TEST

/* 20000 names: the table grows many times and loses none of them. */
START_TEST(test_load_many)
{
	struct ap_hosts		*h = ap_hosts_new();
	const struct ap_addr	*a;
	FILE			*fp;
	char			 want[64], got[64], name[32], *text = NULL;
	size_t			 n, len = 0;
	int			 i, count = 20000;

	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	for (i = 0; i < count; i++)
		fprintf(fp, "10.%d.%d.%d host-%d.example\n", i >> 16,
		    (i >> 8) & 255, i & 255, i);
	/* The last name again: a second address for it. */
	fprintf(fp, "2001:db8::1 host-%d.example\n", count - 1);
	ck_assert_int_eq(fclose(fp), 0);
	tmp_path = tu_tmpfile(text, len);
	free(text);
	ck_assert_int_eq(ap_hosts_load(h, tmp_path), 0);
	tu_tmp_cleanup();

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), i % 2 ? "HOST-%d.EXAMPLE" :
		    "host-%d.example", i);
		a = ap_hosts_lookup(h, name, &n);
		ck_assert_msg(a != NULL, "%s not found", name);
		ck_assert_uint_eq(n, i == count - 1 ? 2 : 1);
		snprintf(want, sizeof(want), "10.%d.%d.%d", i >> 16,
		    (i >> 8) & 255, i & 255);
		ap_addr_ntop(&a[0], got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
	ap_addr_ntop(&a[1], got, sizeof(got));
	ck_assert_str_eq(got, "2001:db8::1");
	ck_assert_ptr_null(ap_hosts_lookup(h, "host-20000.example", &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ap_hosts_lookup(h, "host-1", &n));
	ap_hosts_free(h);
}
END_TEST

static const struct list_case {
	const char	*name;
	const char	*list;
	int		 rc;
	const char	*result;	/* lookup "a,b", or the error text */
} list_cases[] = {
	{ "pin",	"127.0.2.1",		0,	"127.0.2.1" },
	{ "pin",	"2001:db8::1",		0,	"2001:db8::1" },
	{ "pin",	"[2001:db8::1]",	0,	"2001:db8::1" },
	{ "pin",	"127.0.2.1,[2001:db8::1],::2", 0,
	    "127.0.2.1,2001:db8::1,::2" },
	{ "pin",	"::2,127.0.2.1",	0,	"::2,127.0.2.1" },
	{ "pin",	"127.0.2.1,127.0.2.1",	0,	"127.0.2.1" },
	{ "pin",	"::1,[::1],0:0::1",	0,	"::1" },
	{ "Pin",	",127.0.2.1,",		0,	"127.0.2.1" },
	{ "pin",	"nope",			-1,
	    "'nope' is not an IPv4 or IPv6 address" },
	{ "pin",	"127.0.2.1,bad",	-1,
	    "'bad' is not an IPv4 or IPv6 address" },
	{ "pin",	"[127.0.2.1]",		-1,
	    "'[127.0.2.1]' is not an IPv4 or IPv6 address" },
	{ "pin",	"127.0.2.1:80",		-1,
	    "'127.0.2.1:80' is not an IPv4 or IPv6 address" },
	{ "pin",	"127.0.2.1 ",		-1,
	    "'127.0.2.1 ' is not an IPv4 or IPv6 address" },
	{ "pin",	"fe80::1%lo",		0,	"fe80::1%lo" },
	{ "pin",	"fe80::1%nosuchif0",	-1,
	    "'fe80::1%nosuchif0' is not an IPv4 or IPv6 address" },
	{ "pin",	"",			-1,
	    "no address given for 'pin'" },
	{ "pin",	",,",			-1,
	    "no address given for 'pin'" },
};

START_TEST(test_add_list)
{
	const struct list_case	*c = &list_cases[_i];
	struct ap_hosts		*h = ap_hosts_new();
	char			 err[256], buf[256];

	err[0] = '\0';
	ck_assert_int_eq(tu_hosts_add_list(h, c->name, c->list, err,
	    sizeof(err)), c->rc);
	if (c->rc == 0) {
		lookup_str(h, "PIN", buf, sizeof(buf));
		ck_assert_str_eq(buf, c->result);
	} else
		ck_assert_str_eq(err, c->result);
	ap_hosts_free(h);
}
END_TEST

/* The error text is cut to the buffer, and a zero-sized one is fine. */
START_TEST(test_add_list_errbuf)
{
	struct ap_hosts	*h = ap_hosts_new();
	char		 err[8];

	ck_assert_int_eq(tu_hosts_add_list(h, "x", "nope", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "'nope' ");
	ck_assert_int_eq(tu_hosts_add_list(h, "x", "nope", NULL, 0), -1);
	ap_hosts_free(h);
}
END_TEST

/* Lists add to a name, in order, without repeating an address. */
START_TEST(test_add_list_append)
{
	struct ap_hosts	*h = ap_hosts_new();
	char		 err[128], buf[128];

	ck_assert_int_eq(tu_hosts_add_list(h, "n", "127.0.2.1", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(tu_hosts_add_list(h, "N", "::1,127.0.2.1", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(tu_hosts_add_list(h, "other", "127.0.2.9", err,
	    sizeof(err)), 0);
	lookup_str(h, "n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.1,::1");
	lookup_str(h, "other", buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.2.9");
	ap_hosts_free(h);
}
END_TEST

START_TEST(test_free_null)
{
	struct ap_hosts	*h = ap_hosts_new();
	size_t		 n = 5;

	ap_hosts_free(NULL);
	ck_assert_ptr_null(ap_hosts_lookup(h, "anything", &n));
	ck_assert_uint_eq(n, 0);
	ap_hosts_free(h);
}
END_TEST

static Suite *
hosts_suite(void)
{
	Suite	*s = suite_create("hosts");
	TCase	*tc;

	tc = tcase_create("file");
	tcase_add_loop_test(tc, test_load_lookup, 0, NELEM(lookup_cases));
	tcase_add_test(tc, test_load_twice);
	tcase_add_test(tc, test_load_empty);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_directory);
	tcase_add_test(tc, test_load_long_line);
	tcase_add_test(tc, test_load_many);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_loop_test(tc, test_add_list, 0, NELEM(list_cases));
	tcase_add_test(tc, test_add_list_errbuf);
	tcase_add_test(tc, test_add_list_append);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(hosts_suite()));
}
