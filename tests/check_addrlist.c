/* SPDX-License-Identifier: ISC */
/* check_addrlist.c -- the order addresses are tried in (IPv6 first,
 * families interleaved, duplicates dropped, late arrivals joining among
 * the untried), giving one back, and the text forms of an address. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "testutil.h"

#define MAXOPS		24

/* "ADDR" or "ADDR#PORT" (port 80 when none) into a. */
static void
parse_item(const char *item, struct ap_addr *a)
{
	char		 buf[80];
	char		*hash;
	unsigned	 port = 80;

	snprintf(buf, sizeof(buf), "%s", item);
	if ((hash = strchr(buf, '#')) != NULL) {
		*hash = '\0';
		port = (unsigned)atoi(hash + 1);
	}
	ck_assert_msg(ap_addr_pton(buf, (uint16_t)port, a) == 0,
	    "bad test item '%s'", item);
}

/* The inverse of parse_item(), always with the port. */
static void
format_item(const struct ap_addr *a, char *buf, size_t len)
{
	char		text[64];
	unsigned	port;

	ap_addr_ntop(a, text, sizeof(text));
	port = a->u.sa.sa_family == AF_INET6 ?
	    ntohs(a->u.sin6.sin6_port) : ntohs(a->u.sin.sin_port);
	snprintf(buf, len, "%s#%u", text, port);
}

/*
 * A list script, run in order:
 *	"+ADDR[#P]"	add, expecting true
 *	"!ADDR[#P]"	add, expecting false (a duplicate)
 *	">ADDR#P"	next, expecting that address
 *	">"		next, expecting NULL
 *	"<"		unget the address next returned last
 *	"=C/P"		count C and pending P
 */
static const struct script_case {
	const char	*what;
	const char	*ops[MAXOPS];
} script_cases[] = {
	{ "empty list", { "=0/0", ">", ">", "=0/0" } },
	{ "IPv6 first, then alternate", {
	    "+127.0.2.1", "+127.0.2.2", "+2001:db8::1", "+2001:db8::2",
	    "=4/4", ">2001:db8::1#80", ">127.0.2.1#80", ">2001:db8::2#80",
	    ">127.0.2.2#80", ">", "=4/0" } },
	{ "more IPv6 than IPv4: a run of IPv6 at the end", {
	    "+2001:db8::1", "+2001:db8::2", "+2001:db8::3", "+127.0.2.1",
	    ">2001:db8::1#80", ">127.0.2.1#80", ">2001:db8::2#80",
	    ">2001:db8::3#80", ">" } },
	{ "more IPv4 than IPv6: a run of IPv4 at the end", {
	    "+127.0.2.1", "+127.0.2.2", "+127.0.2.3", "+2001:db8::1",
	    ">2001:db8::1#80", ">127.0.2.1#80", ">127.0.2.2#80",
	    ">127.0.2.3#80", ">" } },
	{ "IPv4 only keeps arrival order", {
	    "+127.0.2.3", "+127.0.2.1", "+127.0.2.2", ">127.0.2.3#80",
	    ">127.0.2.1#80", ">127.0.2.2#80", ">" } },
	{ "IPv6 only keeps arrival order", {
	    "+2001:db8::3", "+2001:db8::1", ">2001:db8::3#80",
	    ">2001:db8::1#80", ">" } },
	{ "duplicates dropped", {
	    "+127.0.2.1", "!127.0.2.1", "+2001:db8::1", "!2001:db8::1",
	    "!2001:DB8:0::1", "=2/2" } },
	{ "same address, other port is another address", {
	    "+127.0.2.1#80", "+127.0.2.1#443", "!127.0.2.1#443",
	    "+2001:db8::1#80", "+2001:db8::1#81", "=4/4",
	    ">2001:db8::1#80", ">127.0.2.1#80", ">2001:db8::1#81",
	    ">127.0.2.1#443", ">" } },
	{ "IPv4-mapped IPv6 is not the IPv4 address", {
	    "+127.0.2.1", "+::ffff:127.0.2.1", "=2/2",
	    ">::ffff:127.0.2.1#80", ">127.0.2.1#80" } },
	{ "a duplicate of an address already handed out is dropped", {
	    "+127.0.2.1", ">127.0.2.1#80", "!127.0.2.1", "=1/0", ">" } },
	{ "A first, then AAAA joins in front of the remaining IPv4", {
	    "+127.0.2.1", "+127.0.2.2", "+127.0.2.3", ">127.0.2.1#80",
	    "+2001:db8::1", "+2001:db8::2", "=5/4", ">2001:db8::1#80",
	    ">127.0.2.2#80", ">2001:db8::2#80", ">127.0.2.3#80", ">",
	    "=5/0" } },
	{ "late arrivals after the list ran dry", {
	    "+2001:db8::1", ">2001:db8::1#80", ">", "=1/0",
	    "+127.0.2.1", "+2001:db8::2", "=3/2", ">127.0.2.1#80",
	    ">2001:db8::2#80", ">" } },
	{ "late IPv4 while IPv6 runs alone", {
	    "+2001:db8::1", "+2001:db8::2", "+2001:db8::3",
	    ">2001:db8::1#80", ">2001:db8::2#80", "+127.0.2.1",
	    ">127.0.2.1#80", ">2001:db8::3#80", ">" } },
	{ "late IPv6 after the last IPv4 handed out", {
	    "+127.0.2.1", ">127.0.2.1#80", "+2001:db8::1", "+2001:db8::2",
	    "+127.0.2.2", ">2001:db8::1#80", ">127.0.2.2#80",
	    ">2001:db8::2#80", ">" } },
	{ "unget IPv6: the same address comes out again", {
	    "+127.0.2.1", "+2001:db8::1", "+2001:db8::2",
	    ">2001:db8::1#80", "=3/2", "<", "=3/3", ">2001:db8::1#80",
	    ">127.0.2.1#80", ">2001:db8::2#80", ">" } },
	{ "unget IPv4: the same address comes out again", {
	    "+127.0.2.1", "+127.0.2.2", "+2001:db8::1", "+2001:db8::2",
	    ">2001:db8::1#80", ">127.0.2.1#80", "<", "=4/3",
	    ">127.0.2.1#80", ">2001:db8::2#80", ">127.0.2.2#80", ">" } },
	{ "unget the last one, twice over", {
	    "+127.0.2.1", ">127.0.2.1#80", ">", "=1/0", "<", "=1/1",
	    ">127.0.2.1#80", "<", ">127.0.2.1#80", ">" } },
	{ "unget then a late arrival", {
	    "+2001:db8::1", ">2001:db8::1#80", "<", "+127.0.2.1",
	    ">2001:db8::1#80", ">127.0.2.1#80", ">" } },
};

START_TEST(test_script)
{
	const struct script_case	*c = &script_cases[_i];
	struct ap_addrlist		 l;
	struct ap_addr			 a;
	const struct ap_addr		*last = NULL, *got;
	const char			*op;
	char				 buf[96];
	unsigned			 cnt, pend;
	int				 i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < MAXOPS && (op = c->ops[i]) != NULL; i++) {
		switch (op[0]) {
		case '+':
		case '!':
			parse_item(op + 1, &a);
			ck_assert_msg(ap_addrlist_add(&l, &a.u.sa, a.len) ==
			    (op[0] == '+'), "%s: op %d '%s'", c->what, i, op);
			break;
		case '>':
			got = ap_addrlist_next(&l);
			if (op[1] == '\0') {
				ck_assert_msg(got == NULL, "%s: op %d: got "
				    "an address, wanted none", c->what, i);
				break;
			}
			ck_assert_msg(got != NULL, "%s: op %d: got none, "
			    "wanted %s", c->what, i, op + 1);
			format_item(got, buf, sizeof(buf));
			ck_assert_msg(strcmp(buf, op + 1) == 0,
			    "%s: op %d: got %s, wanted %s", c->what, i, buf,
			    op + 1);
			last = got;
			break;
		case '<':
			ck_assert_ptr_nonnull(last);
			ap_addrlist_unget(&l, last);
			break;
		case '=':
			ck_assert_int_eq(sscanf(op + 1, "%u/%u", &cnt, &pend),
			    2);
			ck_assert_msg(ap_addrlist_count(&l) == cnt &&
			    ap_addrlist_pending(&l) == pend, "%s: op %d: "
			    "count/pending %zu/%zu, wanted %s", c->what, i,
			    ap_addrlist_count(&l), ap_addrlist_pending(&l),
			    op + 1);
			break;
		default:
			ck_abort_msg("bad op '%s'", op);
		}
	}
	ap_addrlist_clear(&l);
}
END_TEST

/* Hundreds of each family: growth keeps the order and the contents. */
START_TEST(test_many)
{
	struct ap_addrlist	 l;
	struct ap_addr		 a;
	const struct ap_addr	*got;
	char			 text[64], want[64];
	int			 i, n = 300;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(ap_addr_pton(text, 1, &a), 0);
		ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
		snprintf(text, sizeof(text), "2001:db8::%x", i + 1);
		ck_assert_int_eq(ap_addr_pton(text, 1, &a), 0);
		ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
	}
	/* Every one again: all duplicates now. */
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "2001:db8::%x", i + 1);
		ck_assert_int_eq(ap_addr_pton(text, 1, &a), 0);
		ck_assert(!ap_addrlist_add(&l, &a.u.sa, a.len));
	}
	ck_assert_uint_eq(ap_addrlist_count(&l), 2 * (size_t)n);
	for (i = 0; i < 2 * n; i++) {
		if (i % 2 == 0)
			snprintf(want, sizeof(want), "2001:db8::%x", i / 2 + 1);
		else
			snprintf(want, sizeof(want), "10.0.%d.%d",
			    (i / 2) / 256, (i / 2) % 256);
		got = ap_addrlist_next(&l);
		ck_assert_ptr_nonnull(got);
		ap_addr_ntop(got, text, sizeof(text));
		ck_assert_str_eq(text, want);
	}
	ck_assert_ptr_null(ap_addrlist_next(&l));
	ck_assert_uint_eq(ap_addrlist_pending(&l), 0);
	ap_addrlist_clear(&l);
}
END_TEST

/* Only AF_INET and AF_INET6, and only with a full-sized sockaddr. */
START_TEST(test_add_rejects)
{
	struct ap_addrlist	l;
	struct sockaddr_un	sun;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	memset(&l, 0, sizeof(l));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert(!ap_addrlist_add(&l, (struct sockaddr *)&sun, sizeof(sun)));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert(!ap_addrlist_add(&l, (struct sockaddr *)&sin,
	    sizeof(sin) - 1));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert(!ap_addrlist_add(&l, (struct sockaddr *)&sin6,
	    sizeof(sin) /* an IPv4-sized IPv6 address */));
	ck_assert_uint_eq(ap_addrlist_count(&l), 0);
	ck_assert_ptr_null(ap_addrlist_next(&l));
	ck_assert(ap_addrlist_add(&l, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ck_assert(ap_addrlist_add(&l, (struct sockaddr *)&sin, sizeof(sin)));
	ck_assert_uint_eq(ap_addrlist_count(&l), 2);
	ap_addrlist_clear(&l);
}
END_TEST

/* A cleared list is empty and can be used again from scratch. */
START_TEST(test_clear_reuse)
{
	struct ap_addrlist	 l;
	struct ap_addr		 a;
	const struct ap_addr	*got;
	char			 text[64];

	memset(&l, 0, sizeof(l));
	ap_addrlist_clear(&l);
	ck_assert_int_eq(ap_addr_pton("2001:db8::1", 0, &a), 0);
	ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
	ck_assert_ptr_nonnull(ap_addrlist_next(&l));
	ap_addrlist_clear(&l);
	ck_assert_uint_eq(ap_addrlist_count(&l), 0);
	ck_assert_uint_eq(ap_addrlist_pending(&l), 0);
	ck_assert_ptr_null(ap_addrlist_next(&l));
	/* The same address is no duplicate any more, and IPv4 first is
	 * fine: nothing is remembered about the last family. */
	ck_assert_int_eq(ap_addr_pton("127.0.2.1", 0, &a), 0);
	ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
	ck_assert_int_eq(ap_addr_pton("2001:db8::1", 0, &a), 0);
	ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
	got = ap_addrlist_next(&l);
	ck_assert_ptr_nonnull(got);
	ap_addr_ntop(got, text, sizeof(text));
	ck_assert_str_eq(text, "2001:db8::1");
	ap_addrlist_clear(&l);
}
END_TEST

static const struct pton_case {
	const char	*text;
	int		 family;	/* 0: must fail */
	const char	*ntop;
} pton_cases[] = {
	{ "127.0.2.1",			AF_INET,	"127.0.2.1" },
	{ "0.0.0.0",			AF_INET,	"0.0.0.0" },
	{ "255.255.255.255",		AF_INET,	"255.255.255.255" },
	{ "::1",			AF_INET6,	"::1" },
	{ "::",				AF_INET6,	"::" },
	{ "[::1]",			AF_INET6,	"::1" },
	{ "2001:DB8:0:0:0:0:0:A",	AF_INET6,	"2001:db8::a" },
	{ "[2001:db8::a]",		AF_INET6,	"2001:db8::a" },
	{ "::ffff:127.0.2.1",		AF_INET6,	"::ffff:127.0.2.1" },
	{ "[::ffff:127.0.2.1]",		AF_INET6,	"::ffff:127.0.2.1" },
	{ "fe80::1",			AF_INET6,	"fe80::1" },
	{ "",				0,		NULL },
	{ "junk",			0,		NULL },
	{ "localhost",			0,		NULL },
	{ "1.2.3",			0,		NULL },
	{ "127.1.2.4.5",			0,		NULL },
	{ "127.1.1.256",			0,		NULL },
	{ "127.01.2.3",			0,		NULL },
	{ "0x7f.0.0.1",			0,		NULL },
	{ " 127.1.2.4",			0,		NULL },
	{ "127.1.2.4 ",			0,		NULL },
	{ "127.1.2.4:80",			0,		NULL },
	{ "[127.1.2.4]",			0,		NULL },
	{ "[127.1.2.4]:80",		0,		NULL },
	{ "[::1]:80",			0,		NULL },
	{ "[]",				0,		NULL },
	{ "[",				0,		NULL },
	{ "]",				0,		NULL },
	{ "[::1",			0,		NULL },
	{ "::1]",			0,		NULL },
	{ "[[::1]]",			0,		NULL },
	{ ":::1",			0,		NULL },
	{ "2001:db8::1::2",		0,		NULL },
	{ "fe80::1%nosuchif0",		0,		NULL },	/* no such zone */
	{ "[fe80::1%nosuchif0]",	0,		NULL },
	{ "fe80::1%",			0,		NULL },
	{ "127.0.0.1%lo",		0,		NULL },	/* IPv6 only */
	{ "fe80::1%lo",			AF_INET6,	"fe80::1%lo" },
	{ "[fe80::1%lo]",		AF_INET6,	"fe80::1%lo" },
	{ "fe80::1%1",			AF_INET6,	"fe80::1%lo" },
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]",
	    0, NULL },			/* too long for the bracket buffer */
};

START_TEST(test_pton)
{
	const struct pton_case	*c = &pton_cases[_i];
	struct ap_addr		 a, b;
	char			 buf[INET6_ADDRSTRLEN];

	memset(&a, 0xa5, sizeof(a));
	if (c->family == 0) {
		ck_assert_msg(ap_addr_pton(c->text, 80, &a) == -1,
		    "'%s' parsed", c->text);
		return;
	}
	ck_assert_msg(ap_addr_pton(c->text, 8080, &a) == 0,
	    "'%s' did not parse", c->text);
	ck_assert_int_eq(a.u.sa.sa_family, c->family);
	if (c->family == AF_INET) {
		ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
		ck_assert_uint_eq(ntohs(a.u.sin.sin_port), 8080);
	} else {
		ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in6));
		ck_assert_uint_eq(ntohs(a.u.sin6.sin6_port), 8080);
		/* A zone only when one was written ("lo" is index 1). */
		ck_assert_uint_eq(a.u.sin6.sin6_scope_id,
		    strchr(c->text, '%') != NULL ? 1 : 0);
		ck_assert_uint_eq(a.u.sin6.sin6_flowinfo, 0);
	}
	ap_addr_ntop(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->ntop);

	/* Round trip: the text of the address parses back to it. */
	ck_assert_int_eq(ap_addr_pton(buf, 8080, &b), 0);
	ck_assert(ap_addr_equal(&a, &b));
	ck_assert_uint_eq(a.len, b.len);

	/* Setting the port changes only the port. */
	ap_addr_set_port(&b, 1);
	ck_assert(!ap_addr_equal(&a, &b));
	ap_addr_set_port(&b, 8080);
	ck_assert(ap_addr_equal(&a, &b));
	ap_addr_set_port(&b, 65535);
	ck_assert_uint_eq(ntohs(c->family == AF_INET ? b.u.sin.sin_port :
	    b.u.sin6.sin6_port), 65535);
}
END_TEST

/* Too small a buffer gives an empty string, never a cut address. */
START_TEST(test_ntop_short)
{
	struct ap_addr	a;
	char		buf[8];

	ck_assert_int_eq(ap_addr_pton("127.0.2.100", 0, &a), 0);
	memset(buf, 'x', sizeof(buf));
	ap_addr_ntop(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(ap_addr_pton("2001:db8::1", 0, &a), 0);
	memset(buf, 'x', sizeof(buf));
	ap_addr_ntop(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ap_addr_ntop(&a, buf, 0);	/* must not write */
}
END_TEST

static const struct equal_case {
	const char	*a, *b;		/* parse_item() form */
	bool		 equal;
} equal_cases[] = {
	{ "127.0.2.1",		"127.0.2.1",		true },
	{ "127.0.2.1#80",	"127.0.2.1#81",		false },
	{ "127.0.2.1",		"127.0.2.2",		false },
	{ "2001:db8::1",	"2001:DB8::1",		true },
	{ "2001:db8::1",	"[2001:db8::1]",	true },
	{ "2001:db8::1#80",	"2001:db8::1#443",	false },
	{ "2001:db8::1",	"2001:db8::2",		false },
	{ "127.0.2.1",		"::ffff:127.0.2.1",	false },
	{ "0.0.0.0",		"::",			false },
};

START_TEST(test_equal)
{
	const struct equal_case	*c = &equal_cases[_i];
	struct ap_addr		 a, b;

	parse_item(c->a, &a);
	parse_item(c->b, &b);
	ck_assert_msg(ap_addr_equal(&a, &b) == c->equal, "%s vs %s",
	    c->a, c->b);
	ck_assert_msg(ap_addr_equal(&b, &a) == c->equal, "%s vs %s",
	    c->b, c->a);
	ck_assert(ap_addr_equal(&a, &a));
}
END_TEST

/* Link-local addresses on different interfaces are different addresses. */
START_TEST(test_equal_scope)
{
	struct ap_addr	a, b;

	ck_assert_int_eq(ap_addr_pton("fe80::1", 22, &a), 0);
	b = a;
	ck_assert(ap_addr_equal(&a, &b));
	b.u.sin6.sin6_scope_id = 2;
	ck_assert(!ap_addr_equal(&a, &b));
}
END_TEST

static Suite *
addrlist_suite(void)
{
	Suite	*s = suite_create("addrlist");
	TCase	*tc;

	tc = tcase_create("order");
	tcase_add_loop_test(tc, test_script, 0, NELEM(script_cases));
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_add_rejects);
	tcase_add_test(tc, test_clear_reuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_loop_test(tc, test_pton, 0, NELEM(pton_cases));
	tcase_add_test(tc, test_ntop_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("equal");
	tcase_add_loop_test(tc, test_equal, 0, NELEM(equal_cases));
	tcase_add_test(tc, test_equal_scope);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(addrlist_suite()));
}
