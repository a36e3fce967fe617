/* SPDX-License-Identifier: ISC */
/* check_result.c -- the shared vocabulary (names, errno texts, status of an
 * error) and the final prioritized error of SPEC 4, including that its
 * verdict does not depend on the order of the attempts. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "result.h"
#include "testutil.h"

#define MAXATT		5

/* Names */

static const char *const statuses[] = {
	"connected", "refused", "timeout", "unreachable", "denied",
	"unresolved", "mismatch", "error", "invalid", "cancelled"
};

START_TEST(test_status_names)
{
	ck_assert_uint_eq(NELEM(statuses), AP_STATUS_COUNT);
	ck_assert_str_eq(ap_status_name((enum ap_status)_i), statuses[_i]);
}
END_TEST

START_TEST(test_status_unknown)
{
	ck_assert_str_eq(ap_status_name(AP_STATUS_COUNT), "error");
}
END_TEST

/* A record before its race: the SPEC 5 "none" values, nothing else. */
START_TEST(test_result_init)
{
	struct ap_result	 r;

	memset(&r, 0xa5, sizeof(r));
	ap_result_init(&r, "db:5432", "db", 5432, "t.txt", 7);
	ck_assert_str_eq(r.target, "db:5432");
	ck_assert_str_eq(r.host, "db");
	ck_assert_uint_eq(r.port, 5432);
	ck_assert_str_eq(r.file, "t.txt");
	ck_assert_uint_eq(r.line, 7);
	ck_assert_str_eq(r.ip, "");
	ck_assert_int_eq(r.rtt_us, -1);
	ck_assert_int_eq(r.elapsed_us, 0);
	ck_assert_int_eq(r.error, 0);
	ck_assert_ptr_null(r.error_text);
	ck_assert_ptr_null(r.attempts);
	ck_assert_uint_eq(r.nattempts, 0);
	ck_assert_ptr_null(r.icmp);
	ck_assert_ptr_null(r.banner);
	ck_assert(!r.degraded);
}
END_TEST

START_TEST(test_stage_names)
{
	ck_assert_str_eq(ap_stage_name(AP_STAGE_NONE), "");
	ck_assert_str_eq(ap_stage_name(AP_STAGE_RESOLVE), "resolve");
	ck_assert_str_eq(ap_stage_name(AP_STAGE_SOCKET), "socket");
	ck_assert_str_eq(ap_stage_name(AP_STAGE_BIND), "bind");
	ck_assert_str_eq(ap_stage_name(AP_STAGE_CONNECT), "connect");
	ck_assert_str_eq(ap_stage_name(AP_STAGE_HANDSHAKE), "handshake");
	ck_assert_str_eq(ap_stage_name((enum ap_stage)42), "");
}
END_TEST

static const struct errno_case {
	int		 error;
	const char	*name;
	const char	*text;		/* NULL: not checked (libc's words) */
	enum ap_status	 status;
} errno_cases[] = {
	{ 0, "", "", AP_STATUS_CONNECTED },
	{ ECONNREFUSED, "ECONNREFUSED", "Connection refused",
	    AP_STATUS_REFUSED },
	{ ECONNRESET, "ECONNRESET", NULL, AP_STATUS_REFUSED },
	{ ETIMEDOUT, "ETIMEDOUT", "Connection timed out", AP_STATUS_TIMEOUT },
	{ EHOSTUNREACH, "EHOSTUNREACH", NULL, AP_STATUS_UNREACHABLE },
	{ ENETUNREACH, "ENETUNREACH", NULL, AP_STATUS_UNREACHABLE },
	{ ENOPROTOOPT, "ENOPROTOOPT", NULL, AP_STATUS_UNREACHABLE },
	{ EACCES, "EACCES", NULL, AP_STATUS_DENIED },
	{ EPERM, "EPERM", NULL, AP_STATUS_DENIED },
	{ EADDRNOTAVAIL, "EADDRNOTAVAIL", NULL, AP_STATUS_ERROR },
	{ EADDRINUSE, "EADDRINUSE", NULL, AP_STATUS_ERROR },
	{ EINVAL, "EINVAL", NULL, AP_STATUS_ERROR },
	{ EMFILE, "EMFILE", NULL, AP_STATUS_ERROR },
	{ ENFILE, "ENFILE", NULL, AP_STATUS_ERROR },
	{ ENOBUFS, "ENOBUFS", NULL, AP_STATUS_ERROR },
	{ ENOMEM, "ENOMEM", NULL, AP_STATUS_ERROR },
	{ EAFNOSUPPORT, "EAFNOSUPPORT", NULL, AP_STATUS_ERROR },
	{ EPROTONOSUPPORT, "EPROTONOSUPPORT", NULL, AP_STATUS_ERROR },
	{ ENETDOWN, "ENETDOWN", NULL, AP_STATUS_ERROR },
	{ EHOSTDOWN, "EHOSTDOWN", NULL, AP_STATUS_ERROR },
	{ EPIPE, "EPIPE", NULL, AP_STATUS_ERROR },
	{ EINPROGRESS, "EINPROGRESS", NULL, AP_STATUS_ERROR },
	{ EALREADY, "EALREADY", NULL, AP_STATUS_ERROR },
	{ EISCONN, "EISCONN", NULL, AP_STATUS_ERROR },
	{ ENOTCONN, "ENOTCONN", NULL, AP_STATUS_ERROR },
	{ EAGAIN, "EAGAIN", NULL, AP_STATUS_ERROR },
	{ ECANCELED, "ECANCELED", NULL, AP_STATUS_CANCELLED },
	{ AP_ERR_NXDOMAIN, "NXDOMAIN", "name does not exist",
	    AP_STATUS_UNRESOLVED },
	{ AP_ERR_NODATA, "NODATA",
	    "name has no address of the requested family",
	    AP_STATUS_UNRESOLVED },
	{ AP_ERR_SERVFAIL, "SERVFAIL", "DNS server failure",
	    AP_STATUS_UNRESOLVED },
	{ AP_ERR_DNS, "DNSERROR", "DNS resolution failed",
	    AP_STATUS_UNRESOLVED },
	{ 99999, "E99999", NULL, AP_STATUS_ERROR },
	{ -7, "E-7", NULL, AP_STATUS_ERROR },
	{ AP_ERR_TRUNCATED, "DNSERROR",
	    "DNS answer truncated (TC bit) and no TCP fallback",
	    AP_STATUS_UNRESOLVED },
	{ AP_ERR_TRUNCATED + 1, "E100006", NULL, AP_STATUS_ERROR }
};

START_TEST(test_errno_table)
{
	const struct errno_case	*c = &errno_cases[_i];
	const char		*text;

	ck_assert_str_eq(ap_errno_name(c->error), c->name);
	ck_assert_int_eq(ap_status_from_error(c->error), c->status);
	text = ap_error_text(c->error);
	ck_assert_ptr_nonnull(text);
	if (c->text != NULL)
		ck_assert_str_eq(text, c->text);
	else
		ck_assert_int_gt(strlen(text), 0);
}
END_TEST

/* Unknown codes get distinct names even when asked for back to back. */
START_TEST(test_errno_unknown_buffers)
{
	char	 a[32];

	strcpy(a, ap_errno_name(123456));
	ck_assert_str_eq(ap_errno_name(654321), "E654321");
	ck_assert_str_eq(a, "E123456");
	ck_assert_ptr_nonnull(strstr(ap_error_text(123456), "123456"));
}
END_TEST

START_TEST(test_stage_of_connect_error)
{
	ck_assert_int_eq(ap_stage_of_connect_error(ECONNREFUSED),
	    AP_STAGE_HANDSHAKE);
	ck_assert_int_eq(ap_stage_of_connect_error(ECONNRESET),
	    AP_STAGE_HANDSHAKE);
	ck_assert_int_eq(ap_stage_of_connect_error(ETIMEDOUT),
	    AP_STAGE_HANDSHAKE);
	ck_assert_int_eq(ap_stage_of_connect_error(EHOSTUNREACH),
	    AP_STAGE_CONNECT);
	ck_assert_int_eq(ap_stage_of_connect_error(ENETUNREACH),
	    AP_STAGE_CONNECT);
	ck_assert_int_eq(ap_stage_of_connect_error(EACCES), AP_STAGE_CONNECT);
	ck_assert_int_eq(ap_stage_of_connect_error(EADDRNOTAVAIL),
	    AP_STAGE_CONNECT);
}
END_TEST

/* ICMP messages: nmap's words, and the status the message gives */

static const struct icmp_case {
	int		 error;		/* what the kernel mapped it to */
	uint8_t		 origin, type, code;
	const char	*name;
	enum ap_status	 status;
} icmp_cases[] = {
	{ ENETUNREACH, AP_ICMP_V4, 3, 0, "net-unreach", AP_STATUS_UNREACHABLE },
	{ EHOSTUNREACH, AP_ICMP_V4, 3, 1, "host-unreach",
	    AP_STATUS_UNREACHABLE },
	{ ENOPROTOOPT, AP_ICMP_V4, 3, 2, "proto-unreach",
	    AP_STATUS_UNREACHABLE },
	{ ECONNREFUSED, AP_ICMP_V4, 3, 3, "port-unreach", AP_STATUS_REFUSED },
	{ ENETUNREACH, AP_ICMP_V4, 3, 9, "net-prohibited", AP_STATUS_DENIED },
	{ EHOSTUNREACH, AP_ICMP_V4, 3, 10, "host-prohibited",
	    AP_STATUS_DENIED },
	{ EHOSTUNREACH, AP_ICMP_V4, 3, 13, "admin-prohibited",
	    AP_STATUS_DENIED },
	{ EHOSTDOWN, AP_ICMP_V4, 3, 7, "host-unknown", AP_STATUS_UNREACHABLE },
	{ EHOSTUNREACH, AP_ICMP_V4, 11, 0, "time-exceeded",
	    AP_STATUS_UNREACHABLE },
	{ EPROTO, AP_ICMP_V4, 12, 0, "param-problem", AP_STATUS_UNREACHABLE },
	{ ENETUNREACH, AP_ICMP_V6, 1, 0, "net-unreach", AP_STATUS_UNREACHABLE },
	{ EACCES, AP_ICMP_V6, 1, 1, "admin-prohibited", AP_STATUS_DENIED },
	{ EHOSTUNREACH, AP_ICMP_V6, 1, 3, "host-unreach",
	    AP_STATUS_UNREACHABLE },
	{ ECONNREFUSED, AP_ICMP_V6, 1, 4, "port-unreach", AP_STATUS_REFUSED },
	{ EACCES, AP_ICMP_V6, 1, 5, "policy-fail", AP_STATUS_DENIED },
	{ EHOSTUNREACH, AP_ICMP_V6, 3, 0, "time-exceeded",
	    AP_STATUS_UNREACHABLE },
	{ EPROTO, AP_ICMP_V6, 4, 1, "proto-unreach", AP_STATUS_UNREACHABLE },
	/* Unnamed messages: their numbers; the errno decides. */
	{ EHOSTUNREACH, AP_ICMP_V4, 3, 99, "icmp-3-99",
	    AP_STATUS_UNREACHABLE },
	{ EPROTO, AP_ICMP_V6, 200, 7, "icmp6-200-7", AP_STATUS_ERROR },
	/* No message: the errno alone. */
	{ ECONNREFUSED, 0, 0, 0, "", AP_STATUS_REFUSED },
	{ EHOSTUNREACH, 0, 0, 0, "", AP_STATUS_UNREACHABLE },
	{ ENOPROTOOPT, 0, 0, 0, "", AP_STATUS_UNREACHABLE },
	{ EACCES, 0, 0, 0, "", AP_STATUS_DENIED },
	{ ETIMEDOUT, 0, 0, 0, "", AP_STATUS_TIMEOUT },
	/* A message never overrides success, a timeout or a cancel. */
	{ 0, AP_ICMP_V4, 3, 13, "admin-prohibited", AP_STATUS_CONNECTED },
	{ ETIMEDOUT, AP_ICMP_V4, 3, 13, "admin-prohibited",
	    AP_STATUS_TIMEOUT },
	{ ECANCELED, AP_ICMP_V6, 1, 1, "admin-prohibited",
	    AP_STATUS_CANCELLED },
};

START_TEST(test_icmp_table)
{
	const struct icmp_case	*c = &icmp_cases[_i];
	struct ap_attempt	 a;

	memset(&a, 0, sizeof(a));
	a.error = c->error;
	a.stage = AP_STAGE_HANDSHAKE;
	a.icmp.origin = c->origin;
	a.icmp.type = c->type;
	a.icmp.code = c->code;
	ck_assert_str_eq(ap_icmp_name(&a.icmp), c->name);
	ck_assert_msg(ap_attempt_status(&a) == c->status, "%s/%s: %s",
	    ap_errno_name(c->error), c->name,
	    ap_status_name(ap_attempt_status(&a)));
}
END_TEST

START_TEST(test_icmp_none)
{
	ck_assert_str_eq(ap_icmp_name(NULL), "");
}
END_TEST

/* Final prioritized error */

struct att {
	const char	*ip;
	int		 error;
	enum ap_stage	 stage;
	int64_t		 start_us;
	uint8_t		 origin, type, code;	/* the ICMP message, if any */
};

static void
fill(struct ap_attempt *dst, const struct att *src, size_t n)
{
	size_t	 i;

	memset(dst, 0, n * sizeof(*dst));
	for (i = 0; i < n; i++) {
		strncpy(dst[i].ip, src[i].ip, sizeof(dst[i].ip) - 1);
		dst[i].family = strchr(src[i].ip, ':') ? AF_INET6 : AF_INET;
		dst[i].error = src[i].error;
		dst[i].stage = src[i].stage;
		dst[i].start_us = src[i].start_us;
		dst[i].duration_us = 1000 + 10 * (int64_t)i;
		dst[i].icmp.origin = src[i].origin;
		dst[i].icmp.type = src[i].type;
		dst[i].icmp.code = src[i].code;
		if (src[i].origin != 0)
			strcpy(dst[i].icmp.from, "198.18.0.1");
	}
}

#define HS	AP_STAGE_HANDSHAKE
#define CO	AP_STAGE_CONNECT
#define BI	AP_STAGE_BIND
#define SO	AP_STAGE_SOCKET
#define RE	AP_STAGE_RESOLVE

/*
 * winner indexes a[]; -1 when no attempt failed.  Orders are chosen so a
 * rule that is missing would pick another attempt: the better error starts
 * later and has the larger address.
 */
static const struct prio_case {
	const char	*name;
	size_t		 n;
	struct att	 a[MAXATT];
	int		 winner;
} prio_cases[] = {
	{ "empty", 0, { { "", 0, 0, 0 } }, -1 },
	{ "all connected", 2, {
	    { "::1", 0, HS, 0 }, { "127.0.0.1", 0, HS, 5 } }, -1 },
	{ "success ignored", 2, {
	    { "::1", 0, HS, 0 }, { "127.0.0.9", ETIMEDOUT, HS, 5 } }, 1 },
	{ "handshake > connect", 2, {
	    { "127.0.0.1", EACCES, CO, 0 },
	    { "127.0.0.2", ETIMEDOUT, HS, 9 } }, 1 },
	{ "connect > bind", 2, {
	    { "127.0.0.1", EADDRINUSE, BI, 0 },
	    { "127.0.0.2", EINVAL, CO, 9 } }, 1 },
	{ "bind > socket", 2, {
	    { "127.0.0.1", EMFILE, SO, 0 },
	    { "127.0.0.2", EADDRINUSE, BI, 9 } }, 1 },
	{ "socket > resolve", 2, {
	    { "", AP_ERR_NXDOMAIN, RE, 0 },
	    { "127.0.0.2", EMFILE, SO, 9 } }, 1 },
	{ "resolve > none", 2, {
	    { "127.0.0.1", EINVAL, AP_STAGE_NONE, 0 },
	    { "", AP_ERR_SERVFAIL, RE, 9 } }, 1 },
	{ "bind: first started", 2, {
	    { "127.0.0.2", EADDRNOTAVAIL, BI, 7 },
	    { "127.0.0.1", EADDRINUSE, BI, 3 } }, 1 },
	{ "socket: first started", 2, {
	    { "127.0.0.1", EMFILE, SO, 7 },
	    { "127.0.0.2", EAFNOSUPPORT, SO, 3 } }, 1 },
	{ "resolve: first started", 2, {
	    { "", AP_ERR_NXDOMAIN, RE, 7 },
	    { "", AP_ERR_NODATA, RE, 3 } }, 1 },
	{ "tie: smaller address", 3, {
	    { "127.0.0.3", ECONNREFUSED, HS, 5 },
	    { "127.0.0.2", ECONNREFUSED, HS, 5 },
	    { "127.0.0.1", ECONNREFUSED, HS, 5 } }, 2 },
	{ "tie: reset = refused, smaller address", 2, {
	    { "127.0.0.2", ECONNRESET, HS, 5 },
	    { "127.0.0.1", ECONNREFUSED, HS, 5 } }, 1 },
	{ "tie: same address, smaller errno", 2, {
	    { "127.0.0.1", EADDRINUSE, BI, 5 },
	    { "127.0.0.1", EINVAL, BI, 5 } }, EINVAL < EADDRINUSE ? 1 : 0 },
	{ "dual stack refused vs timeout", 4, {
	    { "2001:db8::1", ETIMEDOUT, HS, 0 },
	    { "127.0.2.1", ETIMEDOUT, HS, 250 },
	    { "2001:db8::2", ECONNREFUSED, HS, 500 },
	    { "127.0.2.2", ENETUNREACH, CO, 750 } }, 2 },
	{ "five: denied wins locally", 5, {
	    { "2001:db8::1", ENETUNREACH, CO, 0 },
	    { "127.0.2.1", EHOSTUNREACH, CO, 250 },
	    { "2001:db8::2", EADDRNOTAVAIL, CO, 500 },
	    { "127.0.2.2", EPERM, CO, 750 },
	    { "2001:db8::3", EADDRINUSE, BI, 1000 } }, 3 },
	{ "five: one handshake beats all", 5, {
	    { "2001:db8::1", EACCES, CO, 0 },
	    { "127.0.2.1", EPERM, CO, 1 },
	    { "2001:db8::2", EMFILE, SO, 2 },
	    { "127.0.2.2", EINVAL, HS, 3 },
	    { "::1", 0, HS, 4 } }, 3 },
	{ "five: equal ranks, first started", 5, {
	    { "127.0.2.5", EHOSTUNREACH, HS, 40 },
	    { "127.0.2.4", ENETUNREACH, HS, 30 },
	    { "127.0.2.3", ETIMEDOUT, HS, 0 },
	    { "127.0.2.2", ENETUNREACH, HS, 20 },
	    { "127.0.2.1", EHOSTUNREACH, HS, 10 } }, 4 },
	/* issue 11: IPv6 administratively prohibited, IPv4 SYN dropped */
	{ "prohibited v6 beats silent v4", 2, {
	    { "198.18.2.17", ETIMEDOUT, HS, 0 },
	    { "fd00:c::16", EACCES, HS, 250, AP_ICMP_V6, 1, 1 } }, 1 },
	{ "v4 code 13 beats host unreachable", 2, {
	    { "198.18.2.11", EHOSTUNREACH, HS, 0, AP_ICMP_V4, 3, 1 },
	    { "198.18.2.16", EHOSTUNREACH, HS, 250, AP_ICMP_V4, 3, 13 } }, 1 },
	{ "port unreachable ranks with a reset", 2, {
	    { "198.18.2.16", EHOSTUNREACH, HS, 0, AP_ICMP_V4, 3, 13 },
	    { "198.18.2.12", ECONNREFUSED, HS, 250, AP_ICMP_V4, 3, 3 } }, 1 },
	{ "protocol unreachable beats silence", 2, {
	    { "198.18.2.17", ETIMEDOUT, HS, 0 },
	    { "198.18.2.13", ENOPROTOOPT, HS, 250, AP_ICMP_V4, 3, 2 } }, 1 },
	{ "time exceeded beats silence", 2, {
	    { "fd00:c::17", ETIMEDOUT, HS, 0 },
	    { "fd00:c::19", EHOSTUNREACH, HS, 250, AP_ICMP_V6, 3, 0 } }, 1 },
	{ "five: the router's words", 5, {
	    { "198.18.2.17", ETIMEDOUT, HS, 0 },
	    { "198.18.2.10", ENETUNREACH, HS, 10, AP_ICMP_V4, 3, 0 },
	    { "198.18.2.14", ENETUNREACH, HS, 30, AP_ICMP_V4, 3, 9 },
	    { "fd00:c::11", EHOSTUNREACH, HS, 20, AP_ICMP_V6, 1, 3 },
	    { "198.18.2.13", ENOPROTOOPT, HS, 5, AP_ICMP_V4, 3, 2 } }, 2 },
};

static void
assert_same(const struct ap_attempt *got, const struct att *want)
{
	ck_assert_str_eq(got->ip, want->ip);
	ck_assert_int_eq(got->error, want->error);
	ck_assert_int_eq(got->stage, want->stage);
	ck_assert_int_eq(got->start_us, want->start_us);
}

START_TEST(test_prio_table)
{
	const struct prio_case	*c = &prio_cases[_i];
	struct ap_attempt	 a[MAXATT];

	fill(a, c->a, c->n);
	ck_assert_msg(ap_result_final_error(c->n ? a : NULL, c->n) ==
	    (c->n ? c->winner : -1), "%s", c->name);
	ck_assert_int_eq(ap_result_final_error(a, c->n), c->winner);
}
END_TEST

/* Next lexicographic permutation of p[0..n), 0 after the last. */
static int
next_perm(size_t *p, size_t n)
{
	size_t	 i, j, t;

	if (n < 2)
		return (0);
	i = n - 1;
	while (i > 0 && p[i - 1] >= p[i])
		i--;
	if (i == 0)
		return (0);
	j = n - 1;
	while (p[j] <= p[i - 1])
		j--;
	t = p[i - 1], p[i - 1] = p[j], p[j] = t;
	for (j = n - 1; i < j; i++, j--)
		t = p[i], p[i] = p[j], p[j] = t;
	return (1);
}

START_TEST(test_prio_permutations)
{
	const struct prio_case	*c = &prio_cases[_i];
	struct ap_attempt	 base[MAXATT], a[MAXATT];
	size_t			 p[MAXATT], i, count = 0, expect = 1;
	int			 w;

	fill(base, c->a, c->n);
	for (i = 0; i < c->n; i++) {
		p[i] = i;
		expect *= i + 1;
	}
	do {
		for (i = 0; i < c->n; i++)
			a[i] = base[p[i]];
		w = ap_result_final_error(a, c->n);
		if (c->winner == -1)
			ck_assert_msg(w == -1, "%s: got %d", c->name, w);
		else {
			ck_assert_msg(w >= 0 && (size_t)w < c->n, "%s",
			    c->name);
			assert_same(&a[w], &c->a[c->winner]);
		}
		count++;
	} while (next_perm(p, c->n));
	ck_assert_uint_eq(count, expect);
}
END_TEST

/*
 * Every ordered pair inside a stage.  Each row of a stage lists failures of
 * one rank, best rank first: an errno and, at the handshake, the ICMP
 * message behind it as this kernel reports it (SPEC 4: a reset or port
 * unreachable > administratively prohibited > any other answer from the
 * network > silence > an attempt abandoned for another).
 */
#define NRANK	5
#define NPER	32

struct failure {
	int		 error;		/* 0 ends a row */
	uint8_t		 origin, type, code;
};

#define V4(e, t, c)	{ e, AP_ICMP_V4, t, c }
#define V6(e, t, c)	{ e, AP_ICMP_V6, t, c }
#define NO(e)		{ e, 0, 0, 0 }

/* Every message result.c names, each with the errno Linux gives it
 * (icmp_err_convert, icmpv6_err_convert), and one of each family that
 * no table names. */
static const struct stage_order {
	enum ap_stage	 stage;
	struct failure	 rank[NRANK][NPER];
} orders[] = {
	{ HS, {
	    { NO(ECONNREFUSED), NO(ECONNRESET), V4(ECONNREFUSED, 3, 3),
	      V6(ECONNREFUSED, 1, 4) },
	    { V4(EHOSTUNREACH, 3, 13), V4(ENETUNREACH, 3, 9),
	      V4(EHOSTUNREACH, 3, 10), V4(EHOSTUNREACH, 3, 14),
	      V4(EHOSTUNREACH, 3, 15), V6(EACCES, 1, 1), V6(EACCES, 1, 5),
	      V6(EACCES, 1, 6), NO(EACCES), NO(EPERM) },
	    { NO(EHOSTUNREACH), NO(ENETUNREACH), NO(ENOPROTOOPT),
	      NO(EHOSTDOWN), NO(EINVAL), V4(ENETUNREACH, 3, 0),
	      V4(EHOSTUNREACH, 3, 1), V4(ENOPROTOOPT, 3, 2),
	      V4(EMSGSIZE, 3, 4), V4(EOPNOTSUPP, 3, 5),
	      V4(ENETUNREACH, 3, 6), V4(EHOSTDOWN, 3, 7), V4(ENONET, 3, 8),
	      V4(ENETUNREACH, 3, 11), V4(EHOSTUNREACH, 3, 12),
	      V4(EHOSTUNREACH, 11, 0), V4(EHOSTUNREACH, 11, 1),
	      V4(EPROTO, 12, 0), V4(EPROTO, 12, 1), V4(EPROTO, 12, 2),
	      V4(EHOSTUNREACH, 3, 99), V6(ENETUNREACH, 1, 0),
	      V6(EHOSTUNREACH, 1, 2), V6(EHOSTUNREACH, 1, 3),
	      V6(EMSGSIZE, 2, 0), V6(EHOSTUNREACH, 3, 0),
	      V6(EHOSTUNREACH, 3, 1), V6(EPROTO, 4, 0), V6(EPROTO, 4, 1),
	      V6(EPROTO, 4, 2), V6(EHOSTUNREACH, 200, 7) },
	    { NO(ETIMEDOUT) },
	    { NO(ECANCELED) } } },
	{ CO, { { NO(EACCES), NO(EPERM) }, { NO(EADDRNOTAVAIL) },
	    { NO(EHOSTUNREACH) }, { NO(ENETUNREACH) },
	    { NO(EINVAL), NO(ECONNREFUSED), NO(ETIMEDOUT) } } },
	{ BI, { { NO(EADDRINUSE), NO(EADDRNOTAVAIL), NO(EACCES) } } },
	{ SO, { { NO(EMFILE), NO(ENFILE), NO(EAFNOSUPPORT) } } },
	{ RE, { { NO(AP_ERR_NXDOMAIN), NO(AP_ERR_NODATA),
	    NO(AP_ERR_SERVFAIL), NO(AP_ERR_TRUNCATED) } } },
};

static void
set_failure(struct ap_attempt *a, const char *ip, enum ap_stage stage,
    const struct failure *f, int64_t start_us)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->ip, ip);
	a->error = f->error;
	a->stage = stage;
	a->start_us = start_us;
	a->icmp.origin = f->origin;
	a->icmp.type = f->type;
	a->icmp.code = f->code;
	if (f->origin != 0)
		strcpy(a->icmp.from, "198.18.0.1");
}

/* Which of two failed attempts ap_result_final_error() picks; the second
 * has the larger address in every pair. */
static int
pair_winner(enum ap_stage g1, const struct failure *f1, int64_t s1,
    enum ap_stage g2, const struct failure *f2, int64_t s2)
{
	struct ap_attempt	 a[2];

	set_failure(&a[0], "127.0.2.1", g1, f1, s1);
	set_failure(&a[1], "127.0.2.2", g2, f2, s2);
	return (ap_result_final_error(a, 2));
}

static const char *
failure_name(const struct failure *f)
{
	static char		 buf[2][64];
	static int		 n;
	struct ap_icmp		 m;

	memset(&m, 0, sizeof(m));
	m.origin = f->origin, m.type = f->type, m.code = f->code;
	n = !n;
	snprintf(buf[n], sizeof(buf[n]), "%s%s%s", ap_errno_name(f->error),
	    f->origin ? "/" : "", ap_icmp_name(&m));
	return (buf[n]);
}

START_TEST(test_prio_pairs)
{
	const struct stage_order	*o = &orders[_i];
	enum ap_stage			 g = o->stage;
	const struct failure		*f1, *f2;
	size_t				 r1, r2, i1, i2, pairs = 0;

	for (r1 = 0; r1 < NRANK; r1++)
	for (i1 = 0; i1 < NPER && (f1 = &o->rank[r1][i1])->error != 0; i1++)
	for (r2 = 0; r2 < NRANK; r2++)
	for (i2 = 0; i2 < NPER && (f2 = &o->rank[r2][i2])->error != 0; i2++) {
		if (r1 < r2) {
			/* f1 ranks higher: it wins at either index, even
			 * when it started later with the larger address. */
			ck_assert_msg(pair_winner(g, f2, 0, g, f1, 9) == 1,
			    "%s: %s should beat %s", ap_stage_name(o->stage),
			    failure_name(f1), failure_name(f2));
			ck_assert_msg(pair_winner(g, f1, 9, g, f2, 0) == 0,
			    "%s: %s should beat %s (other order)",
			    ap_stage_name(o->stage), failure_name(f1),
			    failure_name(f2));
		} else if (r1 == r2) {
			/* Equal rank: the attempt started first. */
			ck_assert_msg(pair_winner(g, f1, 9, g, f2, 0) == 1,
			    "%s: %s vs %s not by start",
			    ap_stage_name(o->stage), failure_name(f1),
			    failure_name(f2));
			ck_assert_int_eq(pair_winner(g, f1, 0, g, f2, 9),
			    0);
		}
		pairs++;
	}
	ck_assert_uint_gt(pairs, 1);
}
END_TEST

/* Any failure in a further stage beats any failure in a nearer one, in
 * either order and whichever started first. */
START_TEST(test_prio_stages)
{
	const struct failure	*f1, *f2;
	size_t			 s1, s2, r1, r2, i1, i2, pairs = 0;

	for (s1 = 0; s1 < NELEM(orders); s1++)
	for (s2 = 0; s2 < NELEM(orders); s2++) {
		if (orders[s1].stage <= orders[s2].stage)
			continue;
		for (r1 = 0; r1 < NRANK; r1++)
		for (i1 = 0; i1 < NPER &&
		    (f1 = &orders[s1].rank[r1][i1])->error != 0; i1++)
		for (r2 = 0; r2 < NRANK; r2++)
		for (i2 = 0; i2 < NPER &&
		    (f2 = &orders[s2].rank[r2][i2])->error != 0; i2++) {
			ck_assert_msg(pair_winner(orders[s2].stage, f2, 0,
			    orders[s1].stage, f1, 100) == 1, "%s %s vs %s %s",
			    ap_stage_name(orders[s1].stage), failure_name(f1),
			    ap_stage_name(orders[s2].stage), failure_name(f2));
			ck_assert_msg(pair_winner(orders[s1].stage, f1, 100,
			    orders[s2].stage, f2, 0) == 0,
			    "%s %s vs %s %s (other order)",
			    ap_stage_name(orders[s1].stage), failure_name(f1),
			    ap_stage_name(orders[s2].stage), failure_name(f2));
			pairs++;
		}
	}
	/* 47 handshake failures, 8 at connect, 3 bind, 3 socket, 4 resolve */
	ck_assert_uint_eq(pairs, 47 * (8 + 3 + 3 + 4) + 8 * (3 + 3 + 4) +
	    3 * (3 + 4) + 3 * 4);
}
END_TEST

static Suite *
result_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("result");

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_status_names, 0, NELEM(statuses));
	tcase_add_test(tc, test_status_unknown);
	tcase_add_test(tc, test_result_init);
	tcase_add_test(tc, test_stage_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errno_table, 0, NELEM(errno_cases));
	tcase_add_test(tc, test_errno_unknown_buffers);
	tcase_add_test(tc, test_stage_of_connect_error);
	tcase_add_loop_test(tc, test_icmp_table, 0, NELEM(icmp_cases));
	tcase_add_test(tc, test_icmp_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("final_error");
	tcase_add_loop_test(tc, test_prio_table, 0, NELEM(prio_cases));
	tcase_add_loop_test(tc, test_prio_permutations, 0, NELEM(prio_cases));
	tcase_add_loop_test(tc, test_prio_pairs, 0, NELEM(orders));
	tcase_add_test(tc, test_prio_stages);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (ap_check_run(result_suite()));
}
