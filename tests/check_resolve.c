/* SPDX-License-Identifier: ISC */
/* check_resolve.c -- the resolver against a fake DNS server run in this
 * process on 127.0.0.1 (evdns's server API): answers, errors, the RFC 8305
 * resolution delay, one query per name however many ask, cancelling, and
 * the static answers of pins and a hosts file.  Every loop run is bounded
 * by a timer, so a resolver that never calls back fails instead of hanging.
 * Run under valgrind with CK_FORK=no to check that cancelling leaks
 * nothing; AP_TEST_SLACK_MS=N then widens every time limit by N ms. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "addrlist.h"
#include "resolve.h"
#include "result.h"
#include "fakedns.h"
#include "testutil.h"
#include "xmalloc.h"

#define LIMIT_MS	3000	/* the longest any loop run may take */
#define MAXCALLS	8

/*
 * The fake server (tests/fakedns.c, as aptest-dns runs it).  A name with no
 * line for a type answers NODATA; an unknown name NXDOMAIN.
 */

static const char zone[] =
    "both.test		AAAA	2001:db8::1\n"
    "both.test		A	127.0.2.1\n"
    "v6first.test	AAAA	2001:db8::2\n"
    "v6first.test	A	127.0.2.2		delay=200\n"
    "slow6.test		AAAA	2001:db8::3		delay=300\n"
    "slow6.test		A	127.0.2.3\n"
    "drop6.test		AAAA	DROP\n"
    "drop6.test		A	127.0.2.4\n"
    "multi.test		AAAA	2001:db8::5 2001:db8::6\n"
    "multi.test		A	127.0.2.5 127.0.2.6\n"
    "slow.test		AAAA	2001:db8::7		delay=100\n"
    "slow.test		A	127.0.2.7		delay=100\n"
    "v4only.test	A	127.0.2.8\n"
    "v6only.test	AAAA	2001:db8::9\n"
    "half.test		AAAA	NXDOMAIN\n"
    "half.test		A	127.0.2.10\n"
    "nx.test		NXDOMAIN\n"
    "nodata.test	NODATA\n"
    "fail.test		SERVFAIL\n"
    "dropall.test	DROP\n";

static struct fake_dns {
	struct fakedns	*dns;
	char		 addr[32];	/* "127.0.0.1:P" */
} srv;

static struct event_base	*base;
static struct event		*limit_ev;
static bool			 in_start;	/* inside ap_resolver_start */
static long			 slack_ms;	/* added to every upper bound */

static void
srv_start(void)
{
	char	err[256];

	srv.dns = fakedns_new(base, zone, 0, err, sizeof(err));
	ck_assert_msg(srv.dns != NULL, "fake DNS server: %s", err);
	snprintf(srv.addr, sizeof(srv.addr), "127.0.0.1:%u",
	    fakedns_port(srv.dns));
}

static void
srv_stop(void)
{
	fakedns_free(srv.dns);
	srv.dns = NULL;
}

/* Questions the server saw of one type. */
static unsigned
nq(int type)
{
	return (fakedns_queries(srv.dns, type));
}

/*
 * The client side: what each lookup was told, and when.
 */

struct call {
	size_t		 n;
	bool		 done;
	int		 error;
	long		 ms;		/* since the lookup started */
	bool		 inside_start;
	char		 addrs[256];	/* "a,b" in the order given */
};

struct rec;
typedef void rec_hook(struct rec *, const struct call *);

struct rec {
	struct ap_lookup	*l;
	long			 t0;
	int			 ncalls;
	struct call		 calls[MAXCALLS];
	bool			 done;
	int			 family;	/* the one allowed; 0: any */
	rec_hook		*hook;		/* runs after each call */
	void			*hook_arg;
};

static struct ap_resolver	*res;
static int			 want_done;	/* loopbreak at that many */
static int			 ndone;

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L);
}

static void
resolve_cb(const struct ap_addr *addrs, size_t n, bool done, int error,
    void *arg)
{
	struct rec	*r = arg;
	struct call	*c;
	char		 text[64];
	size_t		 i, o = 0;

	ck_assert_msg(!r->done, "a callback after done");
	ck_assert_int_lt(r->ncalls, MAXCALLS);
	c = &r->calls[r->ncalls++];
	c->n = n;
	c->done = done;
	c->error = error;
	c->ms = now_ms() - r->t0;
	c->inside_start = in_start;
	c->addrs[0] = '\0';
	for (i = 0; i < n; i++) {
		ck_assert(addrs[i].u.sa.sa_family == AF_INET ||
		    addrs[i].u.sa.sa_family == AF_INET6);
		if (r->family != 0)
			ck_assert_int_eq(addrs[i].u.sa.sa_family, r->family);
		ck_assert_uint_eq(addrs[i].u.sa.sa_family == AF_INET ?
		    addrs[i].u.sin.sin_port : addrs[i].u.sin6.sin6_port, 0);
		ck_assert_uint_eq(addrs[i].len, addrs[i].u.sa.sa_family ==
		    AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6));
		ap_addr_ntop(&addrs[i], text, sizeof(text));
		o += (size_t)snprintf(c->addrs + o, sizeof(c->addrs) - o,
		    "%s%s", o > 0 ? "," : "", text);
		ck_assert_uint_lt(o, sizeof(c->addrs));
	}
	if (done) {
		r->done = true;
		r->l = NULL;	/* gone with the last callback */
		if (++ndone == want_done)
			event_base_loopbreak(base);
	}
	if (r->hook != NULL)
		r->hook(r, c);
}

static void
start(struct rec *r, const char *name)
{
	r->t0 = now_ms();
	in_start = true;
	r->l = ap_resolver_start(res, name, resolve_cb, r);
	in_start = false;
	ck_assert_ptr_nonnull(r->l);
}

static void
limit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until ndone reaches want (0: never) or ms pass. */
static void
run(int want, long ms)
{
	struct timeval	tv;

	want_done = want;
	if (want > 0 && ndone >= want)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(limit_ev, &tv);
	event_base_dispatch(base);
	evtimer_del(limit_ev);
}

/* Every address a lookup was given, sorted, as "a,b". */
static void
all_addrs(const struct rec *r, char *buf, size_t len)
{
	char	 tmp[1024], *tok[32], *save, *t;
	size_t	 ntok = 0, i, j, o = 0;
	int	 k;

	tmp[0] = '\0';
	for (k = 0; k < r->ncalls; k++) {
		if (r->calls[k].addrs[0] == '\0')
			continue;
		strncat(tmp, ",", sizeof(tmp) - strlen(tmp) - 1);
		strncat(tmp, r->calls[k].addrs, sizeof(tmp) - strlen(tmp) - 1);
	}
	for (t = strtok_r(tmp, ",", &save); t != NULL && ntok < 32;
	    t = strtok_r(NULL, ",", &save))
		tok[ntok++] = t;
	for (i = 1; i < ntok; i++)
		for (j = i; j > 0 && strcmp(tok[j - 1], tok[j]) > 0; j--) {
			t = tok[j];
			tok[j] = tok[j - 1];
			tok[j - 1] = t;
		}
	buf[0] = '\0';
	for (i = 0; i < ntok; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? "," : "", tok[i]);
}

/* Nothing was called from inside ap_resolver_start(); exactly the last
 * call is done. */
static void
check_calls(const struct rec *r)
{
	int	k;

	for (k = 0; k < r->ncalls; k++) {
		ck_assert_msg(!r->calls[k].inside_start,
		    "callback %d ran inside ap_resolver_start()", k);
		ck_assert_msg(r->calls[k].done == (k == r->ncalls - 1 &&
		    r->done), "call %d: done %d", k, r->calls[k].done);
		if (!r->calls[k].done)
			ck_assert_msg(r->calls[k].n > 0 &&
			    r->calls[k].error == 0, "call %d: empty and "
			    "not done (n %zu, error %d)", k, r->calls[k].n,
			    r->calls[k].error);
	}
}

static void
new_resolver(int family, int delay_ms, const char *hosts_file)
{
	static char			*ns[1];
	struct ap_resolver_config	 cfg;
	char				 err[256] = "";

	/* Static: the resolver keeps the pointer (see resolve.c). */
	ns[0] = srv.addr;
	memset(&cfg, 0, sizeof(cfg));
	cfg.family = family;
	cfg.hosts_file = hosts_file;
	cfg.nameservers = ns;
	cfg.nnameservers = 1;
	cfg.resolution_delay_ms = delay_ms;
	res = ap_resolver_new(base, &cfg, err, sizeof(err));
	ck_assert_msg(res != NULL, "ap_resolver_new: %s", err);
}

/* --resolve name:value as the command line hands it over: parsed by
 * ap_pin_parse(), then pinned.  -1 with the parser's reason. */
static int
pin(const char *name, const char *value, char *err, size_t errlen)
{
	struct ap_pin	 p;

	memset(&p, 0, sizeof(p));
	if (ap_pin_parse(value, &p, err, errlen) == -1)
		return (-1);
	p.host = xstrdup(name);
	ap_resolver_pin(res, &p);
	ap_pin_free(&p);
	return (0);
}

static void
setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	limit_ev = evtimer_new(base, limit_cb, NULL);
	ck_assert_ptr_nonnull(limit_ev);
	srv_start();
	res = NULL;
	ndone = want_done = 0;
	in_start = false;
}

static void
teardown(void)
{
	ap_resolver_free(res);
	res = NULL;
	srv_stop();
	event_free(limit_ev);
	event_base_free(base);
	base = NULL;
}

/* Let cancelled questions call back into the resolver, then free it: the
 * order a program ending normally follows. */
static void
drain_and_free(void)
{
	run(0, 50);
	ap_resolver_free(res);
	res = NULL;
}

/*
 * One lookup, start to done.
 */

static const struct answer_case {
	const char	*name;
	int		 family;
	const char	*addrs;		/* sorted */
	int		 error;
	int		 nq6, nq4;	/* queries the server saw; -1 any */
	long		 max_ms;	/* done by then; 0: no limit */
} answer_cases[] = {
	{ "both.test", AF_UNSPEC, "127.0.2.1,2001:db8::1", 0, 1, 1, 40 },
	{ "BoTh.TeSt", AF_UNSPEC, "127.0.2.1,2001:db8::1", 0, 1, 1, 40 },
	{ "multi.test", AF_UNSPEC,
	    "127.0.2.5,127.0.2.6,2001:db8::5,2001:db8::6", 0, 1, 1, 40 },
	{ "v4only.test", AF_UNSPEC, "127.0.2.8", 0, 1, 1, 40 },
	{ "v6only.test", AF_UNSPEC, "2001:db8::9", 0, 1, 1, 40 },
	{ "half.test", AF_UNSPEC, "127.0.2.10", 0, 1, 1, 40 },
	{ "nx.test", AF_UNSPEC, "", AP_ERR_NXDOMAIN, 1, 1, 40 },
	{ "unknown.test", AF_UNSPEC, "", AP_ERR_NXDOMAIN, 1, 1, 40 },
	{ "nodata.test", AF_UNSPEC, "", AP_ERR_NODATA, 1, 1, 40 },
	{ "fail.test", AF_UNSPEC, "", AP_ERR_SERVFAIL, -1, -1, 40 },
	{ "both.test", AF_INET6, "2001:db8::1", 0, 1, 0, 40 },
	{ "both.test", AF_INET, "127.0.2.1", 0, 0, 1, 40 },
	{ "multi.test", AF_INET6, "2001:db8::5,2001:db8::6", 0, 1, 0, 40 },
	{ "v4only.test", AF_INET6, "", AP_ERR_NODATA, 1, 0, 40 },
	{ "v6only.test", AF_INET, "", AP_ERR_NODATA, 0, 1, 40 },
	{ "nx.test", AF_INET, "", AP_ERR_NXDOMAIN, 0, 1, 40 },
	{ "nx.test", AF_INET6, "", AP_ERR_NXDOMAIN, 1, 0, 40 },
	/* No AAAA question, so no resolution delay for the A answer. */
	{ "slow6.test", AF_INET, "127.0.2.3", 0, 0, 1, 40 },
	{ "slow6.test", AF_INET6, "2001:db8::3", 0, 1, 0, 450 },
};

START_TEST(test_answer)
{
	const struct answer_case	*c = &answer_cases[_i];
	struct rec			 r;
	char				 got[512];

	memset(&r, 0, sizeof(r));
	r.family = c->family == AF_UNSPEC ? 0 : c->family;
	new_resolver(c->family, 50, NULL);
	start(&r, c->name);
	run(1, LIMIT_MS);
	ck_assert_msg(r.done, "%s: not done", c->name);
	/* Nothing more may come after done. */
	run(0, 30);
	check_calls(&r);
	all_addrs(&r, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->addrs) == 0, "%s: got '%s', wanted "
	    "'%s'", c->name, got, c->addrs);
	ck_assert_msg(r.calls[r.ncalls - 1].error == c->error,
	    "%s: error %d, wanted %d", c->name, r.calls[r.ncalls - 1].error,
	    c->error);
	if (c->max_ms > 0)
		ck_assert_msg(r.calls[r.ncalls - 1].ms <= c->max_ms + slack_ms,
		    "%s: done after %ld ms", c->name,
		    r.calls[r.ncalls - 1].ms);
	if (c->nq6 >= 0) {
		ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), (unsigned)c->nq6);
		ck_assert_uint_eq(nq(EVDNS_TYPE_A), (unsigned)c->nq4);
	}
}
END_TEST

/* AAAA answers first: handed out at once, A joins when it comes. */
START_TEST(test_aaaa_first)
{
	struct rec	r;

	memset(&r, 0, sizeof(r));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r, "v6first.test");
	run(1, LIMIT_MS);
	check_calls(&r);
	ck_assert_int_eq(r.ncalls, 2);
	ck_assert_str_eq(r.calls[0].addrs, "2001:db8::2");
	ck_assert(!r.calls[0].done);
	ck_assert_int_le(r.calls[0].ms, 40 + slack_ms);
	ck_assert_str_eq(r.calls[1].addrs, "127.0.2.2");
	ck_assert(r.calls[1].done);
	ck_assert_int_eq(r.calls[1].error, 0);
	ck_assert_int_ge(r.calls[1].ms, 150);
	ck_assert_int_le(r.calls[1].ms, 400 + slack_ms);
}
END_TEST

/* A answers first: it waits the resolution delay for AAAA, then goes out
 * alone; AAAA joins 300 ms in and ends the lookup. */
static const int delay_cases[] = { 50, 150 };

START_TEST(test_resolution_delay)
{
	struct rec	r;
	int		delay = delay_cases[_i];

	memset(&r, 0, sizeof(r));
	new_resolver(AF_UNSPEC, delay, NULL);
	start(&r, "slow6.test");
	run(1, LIMIT_MS);
	check_calls(&r);
	ck_assert_int_eq(r.ncalls, 2);
	ck_assert_str_eq(r.calls[0].addrs, "127.0.2.3");
	ck_assert(!r.calls[0].done);
	ck_assert_msg(r.calls[0].ms >= delay - 40 &&
	    r.calls[0].ms <= delay + 40 + slack_ms, "A after %ld ms, delay %d",
	    r.calls[0].ms, delay);
	ck_assert_str_eq(r.calls[1].addrs, "2001:db8::3");
	ck_assert(r.calls[1].done);
	ck_assert_int_eq(r.calls[1].error, 0);
	ck_assert_int_ge(r.calls[1].ms, 250);
	ck_assert_int_le(r.calls[1].ms, 600 + slack_ms);
}
END_TEST

/* AAAA never answers: A still goes out after the resolution delay. */
START_TEST(test_aaaa_never)
{
	struct rec	r;

	memset(&r, 0, sizeof(r));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r, "drop6.test");
	run(0, 400);
	check_calls(&r);
	ck_assert_int_eq(r.ncalls, 1);
	ck_assert_str_eq(r.calls[0].addrs, "127.0.2.4");
	ck_assert(!r.calls[0].done);
	ck_assert_int_ge(r.calls[0].ms, 10);
	ck_assert_int_le(r.calls[0].ms, 90 + slack_ms);
	ck_assert_uint_ge(nq(EVDNS_TYPE_AAAA), 1);
	ap_resolver_cancel(r.l);
	run(0, 50);
	ck_assert_int_eq(r.ncalls, 1);
	drain_and_free();
}
END_TEST

/* No answer at all: ETIMEDOUT once evdns gives up (timeout 2 s, two
 * attempts in resolve.c). */
START_TEST(test_timeout)
{
	struct rec	r;

	memset(&r, 0, sizeof(r));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r, "dropall.test");
	run(1, 7000);
	check_calls(&r);
	ck_assert(r.done);
	ck_assert_int_eq(r.ncalls, 1);
	ck_assert_uint_eq(r.calls[0].n, 0);
	ck_assert_int_eq(r.calls[0].error, ETIMEDOUT);
}
END_TEST

/*
 * Several lookups of one name.
 */

/* Two at once: one question per family, both lookups get every answer. */
START_TEST(test_shared)
{
	struct rec	r1, r2;
	char		got[512];

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "multi.test");
	start(&r2, "MULTI.test");
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r1);
	check_calls(&r2);
	all_addrs(&r1, got, sizeof(got));
	ck_assert_str_eq(got, "127.0.2.5,127.0.2.6,2001:db8::5,2001:db8::6");
	all_addrs(&r2, got, sizeof(got));
	ck_assert_str_eq(got, "127.0.2.5,127.0.2.6,2001:db8::5,2001:db8::6");
	ck_assert_int_eq(r1.calls[r1.ncalls - 1].error, 0);
	ck_assert_int_eq(r2.calls[r2.ncalls - 1].error, 0);
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

/* Two at once for a name that does not exist: both get NXDOMAIN. */
START_TEST(test_shared_error)
{
	struct rec	r1, r2;

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "nx.test");
	start(&r2, "nx.test");
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r1);
	check_calls(&r2);
	ck_assert_int_eq(r1.ncalls, 1);
	ck_assert_int_eq(r2.ncalls, 1);
	ck_assert_int_eq(r1.calls[0].error, AP_ERR_NXDOMAIN);
	ck_assert_int_eq(r2.calls[0].error, AP_ERR_NXDOMAIN);
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA) + nq(EVDNS_TYPE_A), 2);
}
END_TEST

struct join {
	struct rec	*r;
	const char	*name;
};

static void
join_cb(evutil_socket_t fd, short what, void *arg)
{
	struct join	*j = arg;

	(void)fd, (void)what;
	start(j->r, j->name);
}

/* A second lookup starts after AAAA answered but before A did: it gets
 * the AAAA answer from the loop, then A with the first lookup. */
START_TEST(test_join_after_answer)
{
	struct rec	r1, r2;
	struct join	j = { &r2, "v6first.test" };
	struct timeval	tv = { 0, 100 * 1000 };

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "v6first.test");
	event_base_once(base, -1, EV_TIMEOUT, join_cb, &j, &tv);
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r1);
	check_calls(&r2);
	ck_assert_int_eq(r2.ncalls, 2);
	ck_assert_str_eq(r2.calls[0].addrs, "2001:db8::2");
	ck_assert(!r2.calls[0].done);
	ck_assert_int_le(r2.calls[0].ms, 40 + slack_ms);
	ck_assert_str_eq(r2.calls[1].addrs, "127.0.2.2");
	ck_assert(r2.calls[1].done);
	ck_assert_int_eq(r1.ncalls, 2);
	ck_assert_str_eq(r1.calls[1].addrs, "127.0.2.2");
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

/* A second lookup joins inside the resolution delay: it waits with the
 * first one and gets A when the delay ends, not before. */
START_TEST(test_join_during_delay)
{
	struct rec	r1, r2;
	struct join	j = { &r2, "slow6.test" };
	struct timeval	tv = { 0, 20 * 1000 };

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "slow6.test");
	event_base_once(base, -1, EV_TIMEOUT, join_cb, &j, &tv);
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r1);
	check_calls(&r2);
	ck_assert_int_eq(r1.ncalls, 2);
	ck_assert_int_eq(r2.ncalls, 2);
	ck_assert_str_eq(r2.calls[0].addrs, "127.0.2.3");
	/* r2 started about 20 ms after r1: the delay ends 30 ms in. */
	ck_assert_int_ge(r2.calls[0].ms, 10);
	ck_assert_int_le(r2.calls[0].ms, 70 + slack_ms);
	/* Both were given A at the same moment. */
	ck_assert_int_le(labs((r1.t0 + r1.calls[0].ms) -
	    (r2.t0 + r2.calls[0].ms)), 5 + slack_ms);
	ck_assert_str_eq(r2.calls[1].addrs, "2001:db8::3");
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

/* A lookup started from inside the callbacks of another lookup of the
 * same name: it is served from the loop, never inside the start call. */
static void
restart_hook(struct rec *r, const struct call *c)
{
	struct rec	*r2 = r->hook_arg;

	(void)c;
	if (r2->t0 == 0)
		start(r2, "v6first.test");
}

static const bool restart_when_done[] = { false, true };

START_TEST(test_join_from_callback)
{
	struct rec	r1, r2;
	char		got[256];

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	r1.hook_arg = &r2;
	if (restart_when_done[_i]) {
		/* Start r2 from r1's last callback. */
		start(&r1, "v6first.test");
		run(0, 100);
		ck_assert_int_eq(r1.ncalls, 1);
		r1.hook = restart_hook;
	} else {
		r1.hook = restart_hook;
		start(&r1, "v6first.test");
	}
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r1);
	check_calls(&r2);
	all_addrs(&r2, got, sizeof(got));
	ck_assert_str_eq(got, "127.0.2.2,2001:db8::2");
	ck_assert_int_eq(r2.calls[r2.ncalls - 1].error, 0);
	/* Joined while the name was held: no new questions. */
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

static size_t
total_addrs(const struct rec *r)
{
	size_t	n = 0;
	int	k;

	for (k = 0; k < r->ncalls; k++)
		n += r->calls[k].n;
	return (n);
}

/* A name is asked once per run: after its last lookup is done, the answer
 * is kept, and a later lookup gets it (from the loop) without a question. */
START_TEST(test_ask_again)
{
	struct rec	r1, r2;

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "both.test");
	run(1, LIMIT_MS);
	start(&r2, "both.test");
	run(2, LIMIT_MS);
	ck_assert(r1.done && r2.done);
	check_calls(&r2);
	ck_assert_uint_eq(total_addrs(&r2), total_addrs(&r1));
	ck_assert_uint_gt(total_addrs(&r2), 0);
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

/*
 * Cancelling.
 */

/* Cancelled at once, with both questions in flight, or with A answered
 * and held for the resolution delay: never a callback, nothing leaks. */
static const struct cancel_case {
	const char	*name;
	int		 after_ms;	/* 0: right after the start */
} cancel_cases[] = {
	{ "slow.test",	0 },
	{ "slow.test",	20 },		/* both answers 100 ms away */
	{ "drop6.test",	30 },		/* inside the resolution delay */
	{ "drop6.test",	200 },		/* A given out, AAAA in flight */
};

static void
cancel_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rec	*r = arg;

	(void)fd, (void)what;
	ap_resolver_cancel(r->l);
	r->l = NULL;
}

START_TEST(test_cancel)
{
	const struct cancel_case	*c = &cancel_cases[_i];
	struct rec			 r;
	struct timeval			 tv = { 0, c->after_ms * 1000 };

	memset(&r, 0, sizeof(r));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r, c->name);
	if (c->after_ms > 0)
		event_base_once(base, -1, EV_TIMEOUT, cancel_cb, &r, &tv);
	else {
		ap_resolver_cancel(r.l);
		r.l = NULL;
	}
	run(0, 300);
	ck_assert_int_eq(r.ncalls, c->after_ms > 50 ? 1 : 0);
	ck_assert_uint_ge(nq(EVDNS_TYPE_AAAA) + nq(EVDNS_TYPE_A), 1);
	drain_and_free();
}
END_TEST

/* One of two lookups of a name cancelled: the other gets everything. */
START_TEST(test_cancel_one_of_two)
{
	struct rec	r1, r2;
	char		got[256];

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "slow.test");
	start(&r2, "slow.test");
	ap_resolver_cancel(r1.l);
	r1.l = NULL;
	run(1, LIMIT_MS);
	ck_assert_int_eq(r1.ncalls, 0);
	ck_assert(r2.done);
	check_calls(&r2);
	all_addrs(&r2, got, sizeof(got));
	ck_assert_str_eq(got, "127.0.2.7,2001:db8::7");
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA), 1);
	ck_assert_uint_eq(nq(EVDNS_TYPE_A), 1);
}
END_TEST

/* Cancelled from its own first callback (a target that connected). */
static void
cancel_hook(struct rec *r, const struct call *c)
{
	if (!c->done) {
		ap_resolver_cancel(r->l);
		r->l = NULL;
	}
}

START_TEST(test_cancel_in_callback)
{
	struct rec	r1, r2;

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	r1.hook = cancel_hook;
	start(&r1, "v6first.test");
	start(&r2, "v6first.test");	/* after r1 in the name's list */
	run(1, LIMIT_MS);
	ck_assert_int_eq(r1.ncalls, 1);
	ck_assert_str_eq(r1.calls[0].addrs, "2001:db8::2");
	ck_assert(r2.done);
	check_calls(&r2);
	ck_assert_int_eq(r2.ncalls, 2);

	/* Alone this time: A is still in flight when it is cancelled. */
	memset(&r1, 0, sizeof(r1));
	r1.hook = cancel_hook;
	start(&r1, "v6first.test");
	run(0, 300);
	ck_assert_int_eq(r1.ncalls, 1);
	drain_and_free();
}
END_TEST

/* Cancel, then start the same name again at once: a fresh lookup that
 * gets its answers. */
START_TEST(test_cancel_restart)
{
	struct rec	r1, r2;
	char		got[256];

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "slow.test");
	ap_resolver_cancel(r1.l);
	r1.l = NULL;
	start(&r2, "slow.test");
	run(1, LIMIT_MS);
	ck_assert_int_eq(r1.ncalls, 0);
	ck_assert(r2.done);
	check_calls(&r2);
	all_addrs(&r2, got, sizeof(got));
	ck_assert_str_eq(got, "127.0.2.7,2001:db8::7");
	drain_and_free();
}
END_TEST

/* A program that cancels its last lookups and frees the resolver at once:
 * nothing may leak, whether the loop never turns again (the base is freed
 * next) or turns on for other work. */
static const bool loop_after_free[] = { false, true };

START_TEST(test_cancel_then_free)
{
	struct rec	r1, r2;

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	new_resolver(AF_UNSPEC, 50, NULL);
	start(&r1, "slow.test");
	start(&r2, "drop6.test");
	run(0, 20);
	ap_resolver_cancel(r1.l);
	ap_resolver_cancel(r2.l);
	ap_resolver_cancel(NULL);
	ap_resolver_free(res);
	res = NULL;
	if (loop_after_free[_i])
		run(0, 50);
	ck_assert_int_eq(r1.ncalls, 0);
	ck_assert_int_eq(r2.ncalls, 0);
}
END_TEST

/*
 * Static answers: pins, then the hosts file.
 */

static const char	hosts_text[] =
    "127.0.2.50 filehost FileAlias\n"
    "2001:db8::50 filehost\n"
    "127.0.2.51 pinned\n"
    "2001:db8::52 v6file\n";

static const struct static_case {
	int		 family;
	const char	*name;
	bool		 found;
	const char	*addrs;		/* in ap_addrlist_next() order */
} static_cases[] = {
	{ AF_UNSPEC,	"filehost",	true,	"2001:db8::50,127.0.2.50" },
	{ AF_UNSPEC,	"FILEALIAS",	true,	"127.0.2.50" },
	{ AF_UNSPEC,	"pinned",	true,	"2001:db8::60,127.0.2.60" },
	{ AF_UNSPEC,	"PinV4",	true,	"127.0.2.61" },
	{ AF_UNSPEC,	"v6file",	true,	"2001:db8::52" },
	{ AF_UNSPEC,	"nowhere",	false,	"" },
	{ AF_UNSPEC,	"both.test",	false,	"" },
	{ AF_INET,	"filehost",	true,	"127.0.2.50" },
	{ AF_INET6,	"filehost",	true,	"2001:db8::50" },
	{ AF_INET,	"pinned",	true,	"127.0.2.60" },
	{ AF_INET6,	"pinned",	true,	"2001:db8::60" },
	{ AF_INET,	"v6file",	true,	"" },
	{ AF_INET6,	"pinv4",	true,	"" },
	{ AF_INET6,	"nowhere",	false,	"" },
};

START_TEST(test_static)
{
	const struct static_case	*c = &static_cases[_i];
	struct ap_addrlist		 l;
	const struct ap_addr		*a;
	char				 err[256], got[256], text[64];
	size_t				 o = 0;

	new_resolver(c->family, 50, tu_tmpfile_str(hosts_text));
	tu_tmp_cleanup();
	ck_assert_int_eq(pin("pinned",
	    "127.0.2.60,[2001:db8::60]", err, sizeof(err)), 0);
	ck_assert_int_eq(pin("pinv4", "127.0.2.61", err,
	    sizeof(err)), 0);
	memset(&l, 0, sizeof(l));
	ck_assert_msg(ap_resolver_static(res, c->name, &l) == c->found,
	    "%s: found %d", c->name, !c->found);
	got[0] = '\0';
	while ((a = ap_addrlist_next(&l)) != NULL) {
		ck_assert_uint_eq(a->u.sa.sa_family == AF_INET ?
		    a->u.sin.sin_port : a->u.sin6.sin6_port, 0);
		ap_addr_ntop(a, text, sizeof(text));
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
		    o > 0 ? "," : "", text);
	}
	ck_assert_msg(strcmp(got, c->addrs) == 0, "%s: got '%s', wanted "
	    "'%s'", c->name, got, c->addrs);
	ap_addrlist_clear(&l);
	/* Static answers never ask DNS. */
	ck_assert_uint_eq(nq(EVDNS_TYPE_AAAA) + nq(EVDNS_TYPE_A), 0);
}
END_TEST

/* Static answers add to a list: what it has already is not repeated. */
START_TEST(test_static_merge)
{
	struct ap_addrlist	l;
	struct ap_addr		a;
	char			err[256];

	new_resolver(AF_UNSPEC, 50, NULL);
	ck_assert_int_eq(pin("p", "127.0.2.1,::1", err,
	    sizeof(err)), 0);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(ap_addr_pton("::1", 0, &a), 0);
	ck_assert(ap_addrlist_add(&l, &a.u.sa, a.len));
	ck_assert(ap_resolver_static(res, "P", &l));
	ck_assert_uint_eq(ap_addrlist_count(&l), 2);
	ap_addrlist_clear(&l);
}
END_TEST

static const struct pin_case {
	const char	*addrs;
	const char	*err;		/* NULL: accepted */
} pin_cases[] = {
	{ "127.0.2.1",		NULL },
	{ "[2001:db8::1],127.0.2.1", NULL },
	{ "nope",		"'nope' is not a numeric IPv4 or IPv6 address" },
	{ "127.0.2.1,[127.0.2.2]",
	    "'[127.0.2.2]' is not a numeric IPv4 or IPv6 address" },
	{ "",			"empty address in the list" },
	{ "443:127.0.2.1",	NULL },			/* curl's form */
	{ "443:[2001:db8::1],127.0.2.1", NULL },
	{ "0:127.0.2.1",	"port 0 out of range 1-65535" },
	{ "443:nope",		"'nope' is not a numeric IPv4 or IPv6 address" },
	{ "fe80::1%lo",		NULL },
};

START_TEST(test_pin)
{
	const struct pin_case	*c = &pin_cases[_i];
	char			 err[256] = "";

	new_resolver(AF_UNSPEC, 50, NULL);
	ck_assert_int_eq(pin("host", c->addrs, err,
	    sizeof(err)), c->err == NULL ? 0 : -1);
	if (c->err != NULL)
		ck_assert_str_eq(err, c->err);
}
END_TEST

START_TEST(test_hosts_missing)
{
	struct ap_resolver_config	cfg;
	char				err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts_file = "/nonexistent/check_resolve/hosts";
	cfg.resolution_delay_ms = 50;
	ck_assert_ptr_null(ap_resolver_new(base, &cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/check_resolve/hosts: "
	    "No such file or directory");
}
END_TEST

/* resolve.h: "NULL with a reason in errbuf when a hosts file or
 * nameserver is bad". */
START_TEST(test_nameserver_bad)
{
	static char			 bad[] = "not-an-address";
	static char			*ns[1] = { bad };
	struct ap_resolver_config	 cfg;
	char				 err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.nameservers = ns;
	cfg.nnameservers = 1;
	cfg.resolution_delay_ms = 50;
	res = ap_resolver_new(base, &cfg, err, sizeof(err));
	ck_assert_msg(res == NULL, "a bad nameserver was accepted");
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(test_free_null)
{
	ap_resolver_free(NULL);
	ap_resolver_cancel(NULL);
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc;

	tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_answer, 0, NELEM(answer_cases));
	tcase_add_test(tc, test_aaaa_first);
	tcase_add_loop_test(tc, test_resolution_delay, 0,
	    NELEM(delay_cases));
	tcase_add_test(tc, test_aaaa_never);
	tcase_add_test(tc, test_timeout);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("shared");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shared);
	tcase_add_test(tc, test_shared_error);
	tcase_add_test(tc, test_join_after_answer);
	tcase_add_test(tc, test_join_during_delay);
	tcase_add_loop_test(tc, test_join_from_callback, 0,
	    NELEM(restart_when_done));
	tcase_add_test(tc, test_ask_again);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cancel, 0, NELEM(cancel_cases));
	tcase_add_test(tc, test_cancel_one_of_two);
	tcase_add_test(tc, test_cancel_in_callback);
	tcase_add_test(tc, test_cancel_restart);
	tcase_add_loop_test(tc, test_cancel_then_free, 0,
	    NELEM(loop_after_free));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("static");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_static, 0, NELEM(static_cases));
	tcase_add_test(tc, test_static_merge);
	tcase_add_loop_test(tc, test_pin, 0, NELEM(pin_cases));
	tcase_add_test(tc, test_hosts_missing);
	tcase_add_test(tc, test_nameserver_bad);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return (s);
}

/* evdns logs every nameserver it gives up on: expected here. */
static void
quiet_log(int severity, const char *msg)
{
	(void)severity, (void)msg;
}

int
main(void)
{
	evdns_set_log_fn(quiet_log);
	if (getenv("AP_TEST_SLACK_MS") != NULL)
		slack_ms = atol(getenv("AP_TEST_SLACK_MS"));
	return (ap_check_run(resolve_suite()));
}
