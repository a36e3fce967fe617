/* SPDX-License-Identifier: ISC */
/* check_race.c -- one target's race (race.c) driven by a fake prober and
 * a fake clock: every option set against every attempt outcome, and each
 * defect of issue 10 that lived in the race (-m with -r, --sequential,
 * talk options and streaming; addresses, degraded, -v's abandoned
 * attempts; --rate and back-pressure waits; the deadline's time). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "race.h"
#include "testutil.h"

#define MAXA		32
#define MAXR		16
#define MS		1000	/* microseconds */

/* ---- the fake world ----------------------------------------------- */

struct fake_attempt {
	struct ap_race	*race;
	char		 ip[AP_IPSTR_LEN];
	int64_t		 started_us;
	int64_t		 timeout_us;
	bool		 running;	/* not yet freed */
	bool		 talking;
};

struct fake_record {
	enum ap_status	 status;
	int		 error;
	char		 ip[AP_IPSTR_LEN];
	int64_t		 elapsed_us;
	int64_t		 at_us;		/* when it was written */
	unsigned	 addresses;
	bool		 degraded;
	size_t		 nattempts;
	char		 banner[64];
};

static struct fake {
	int64_t			 now;
	struct fake_attempt	 a[MAXA];
	int			 na;
	/* What the next attempt_start calls answer: 0 starts, else WAIT
	 * with that errno (-1: WAIT for the rate, errno 0). */
	int			 answers[MAXA];
	int			 nanswers, nextanswer;
	struct fake_record	 rec[MAXR];
	int			 nrec;
	int			 seen, seen_cancelled;
	int			 unwaits;
	bool			 done;
	struct ap_race		*top;
	struct ap_race_env	 env;
	/* Timers per race: the top's and up to MAXA address races'. */
	struct timer {
		struct ap_race	*race;
		int64_t		 at[2];
	} timers[MAXA];
	int			 ntimers;
} F;

static int64_t
f_now(void *ctx)
{
	(void)ctx;
	return (F.now);
}

static enum ap_race_start
f_start(void *ctx, struct ap_race *r, const struct ap_addr *dst,
    int64_t timeout_us, void **handle, int *error, enum ap_stage *stage)
{
	struct fake_attempt	*fa;
	int			 answer = F.nextanswer < F.nanswers ?
				    F.answers[F.nextanswer++] : 0;

	(void)ctx;
	if (answer != 0) {
		*error = answer == -1 ? 0 : answer;
		*stage = answer == -1 ? AP_STAGE_NONE : AP_STAGE_SOCKET;
		return (AP_RACE_WAIT);
	}
	ck_assert_int_lt(F.na, MAXA);
	fa = &F.a[F.na++];
	fa->race = r;
	ap_addr_ntop(dst, fa->ip, sizeof(fa->ip));
	fa->started_us = F.now;
	fa->timeout_us = timeout_us;
	fa->running = true;
	*handle = fa;
	return (AP_RACE_STARTED);
}

static void
f_free(void *ctx, void *handle)
{
	struct fake_attempt	*fa = handle;

	(void)ctx;
	ck_assert(fa->running);
	fa->running = false;
}

static int
f_talk(void *ctx, struct ap_race *r, void *handle)
{
	struct fake_attempt	*fa = handle;

	(void)ctx, (void)r;
	fa->talking = true;
	return (0);
}

static void
f_cut(void *ctx, void *handle)
{
	struct fake_attempt		*fa = handle;
	struct ap_exchange_outcome	 xo = { false, ETIMEDOUT, "", 0 };

	(void)ctx;
	ap_race_talk_done(fa->race, fa, &xo);
}

static struct timer *
timer_of(struct ap_race *r)
{
	int	i;

	for (i = 0; i < F.ntimers; i++)
		if (F.timers[i].race == r)
			return (&F.timers[i]);
	ck_assert_int_lt(F.ntimers, MAXA);
	F.timers[F.ntimers].race = r;
	F.timers[F.ntimers].at[0] = F.timers[F.ntimers].at[1] = -1;
	return (&F.timers[F.ntimers++]);
}

static void
f_timer(void *ctx, struct ap_race *r, enum ap_race_timer which,
    int64_t at_us)
{
	(void)ctx;
	timer_of(r)->at[which] = at_us;
}

static void
f_unwait(void *ctx, struct ap_race *r)
{
	(void)ctx, (void)r;
	F.unwaits++;
}

static void
f_seen(void *ctx, const struct ap_race *r, const struct ap_attempt *at)
{
	(void)ctx, (void)r;
	F.seen++;
	if (at->error == ECANCELED)
		F.seen_cancelled++;
}

static void
f_record(void *ctx, struct ap_race *r, struct ap_result *res)
{
	struct fake_record	*fr;

	(void)ctx, (void)r;
	ck_assert_int_lt(F.nrec, MAXR);
	fr = &F.rec[F.nrec++];
	fr->status = res->status;
	fr->error = res->error;
	snprintf(fr->ip, sizeof(fr->ip), "%s", res->ip);
	fr->elapsed_us = res->elapsed_us;
	fr->at_us = F.now;
	fr->addresses = res->addresses;
	fr->degraded = res->degraded;
	fr->nattempts = res->nattempts;
	if (res->banner != NULL)
		snprintf(fr->banner, sizeof(fr->banner), "%.*s",
		    (int)res->banner_len, res->banner);
}

static void
f_done(void *ctx, struct ap_race *r)
{
	int	i;

	(void)ctx;
	ck_assert_ptr_eq(r, F.top);
	ck_assert(!F.done);
	F.done = true;
	/* Nothing may be left running or armed. */
	for (i = 0; i < F.na; i++)
		ck_assert_msg(!F.a[i].running, "attempt %d still running", i);
	for (i = 0; i < F.ntimers; i++)
		ck_assert(F.timers[i].at[0] == -1 && F.timers[i].at[1] == -1);
	ap_race_free(r);
}

static const struct ap_race_ops fake_ops = {
	f_now, f_start, f_free, f_talk, f_cut, f_timer, f_unwait, f_seen,
	f_record, f_done
};

/* ---- driving it --------------------------------------------------- */

static struct ap_race_config
config(void)
{
	struct ap_race_config	c;

	memset(&c, 0, sizeof(c));
	c.timeout_us = 1000 * MS;
	c.attempt_delay_us = 250 * MS;
	return (c);
}

/* What every start answers from the first one on (0: they start). */
static int	 starts_answer;

/* Start a race for "t:80" and hand it addrs ("127.0.0.2,::1", ...). */
static void
race_begin(const struct ap_race_config *c, const char *addrs)
{
	struct ap_race_target	 t = { "t:80", "t", "-", 1, 0, 80 };
	struct ap_addr		 v[MAXA];
	char			 buf[256], *s, *save = NULL;
	size_t			 n = 0;
	int			 i;

	memset(&F, 0, sizeof(F));
	if (starts_answer != 0) {
		for (i = 0; i < MAXA; i++)
			F.answers[i] = starts_answer;
		F.nanswers = MAXA;
	}
	F.env.cfg = c;
	F.env.ops = &fake_ops;
	F.top = ap_race_new(&F.env, &t);
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (s = strtok_r(buf, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save))
		ck_assert_int_eq(ap_addr_pton(s, 0, &v[n++]), 0);
	ap_race_addresses(F.top, v, n, true, 0);
}

/* Move the clock to t_us, firing every timer due on the way, in order. */
static void
clock_to(int64_t t_us)
{
	int	i, w, best, bestw;

	for (;;) {
		best = -1;
		bestw = 0;
		for (i = 0; i < F.ntimers && !F.done; i++)
			for (w = 0; w < 2; w++)
				if (F.timers[i].at[w] >= 0 &&
				    F.timers[i].at[w] <= t_us && (best == -1 ||
				    F.timers[i].at[w] <
				    F.timers[best].at[bestw])) {
					best = i;
					bestw = w;
				}
		if (best == -1)
			break;
		F.now = F.timers[best].at[bestw];
		F.timers[best].at[bestw] = -1;
		if (bestw == AP_RACE_DEADLINE)
			ap_race_deadline(F.timers[best].race);
		else
			ap_race_stagger(F.timers[best].race);
	}
	if (!F.done || t_us > F.now)
		F.now = t_us;
}

/* The running attempt to ip (the latest one). */
static struct fake_attempt *
attempt_to(const char *ip)
{
	int	i;

	for (i = F.na - 1; i >= 0; i--)
		if (F.a[i].running && strcmp(F.a[i].ip, ip) == 0)
			return (&F.a[i]);
	ck_abort_msg("no attempt to %s is running", ip);
	return (NULL);
}

static int
attempts_to(const char *ip)
{
	int	i, n = 0;

	for (i = 0; i < F.na; i++)
		if (strcmp(F.a[i].ip, ip) == 0)
			n++;
	return (n);
}

static int
running(void)
{
	int	i, n = 0;

	for (i = 0; i < F.na; i++)
		n += F.a[i].running;
	return (n);
}

static void
outcome(const char *ip, int error)
{
	struct fake_attempt	*fa = attempt_to(ip);
	struct ap_probe_outcome	 o;

	memset(&o, 0, sizeof(o));
	o.error = error;
	o.stage = AP_STAGE_HANDSHAKE;
	o.duration_us = F.now - fa->started_us;
	ap_race_attempt_done(fa->race, fa, &o);
}

static void
peer_says(const char *ip, const char *data, bool matched)
{
	struct fake_attempt		*fa = attempt_to(ip);
	struct ap_exchange_outcome	 xo = { matched, 0, data,
					    strlen(data) };

	ck_assert(fa->talking);
	ap_race_talk_done(fa->race, fa, &xo);
}

static const struct fake_record *
record_for(const char *ip)
{
	int	i;

	for (i = 0; i < F.nrec; i++)
		if (strcmp(F.rec[i].ip, ip) == 0)
			return (&F.rec[i]);
	ck_abort_msg("no record for %s", ip);
	return (NULL);
}

/* ---- every option set x every outcome, one address ----------------- */

enum outcome { O_CONNECT, O_REFUSE, O_UNREACH, O_STALL, O_STARVE };

static const struct matrix_case {
	const char	*name;
	bool		 sequential, per_address;
	int		 retries;
	enum outcome	 outcome;
	enum ap_status	 status;
	int		 error;
	int		 started;	/* attempt_start calls that started */
	int		 attempts;	/* in the record */
} matrix[] = {
#define ROW(n, s, m, r)							\
	{ n " connect", s, m, r, O_CONNECT, AP_STATUS_CONNECTED, 0, 1, 1 }, \
	{ n " refuse", s, m, r, O_REFUSE, AP_STATUS_REFUSED,		\
	    ECONNREFUSED, 1, 1 },					\
	{ n " unreach", s, m, r, O_UNREACH, AP_STATUS_UNREACHABLE,	\
	    EHOSTUNREACH, 1, 1 },					\
	{ n " stall", s, m, r, O_STALL, AP_STATUS_TIMEOUT, ETIMEDOUT,	\
	    1 + (r), 1 + (r) },						\
	{ n " starve", s, m, r, O_STARVE, AP_STATUS_ERROR, EMFILE, 0,	\
	    1 + (r) }
	ROW("default", false, false, 0),
	ROW("sequential", true, false, 0),
	ROW("-m", false, true, 0),
	ROW("-m sequential", true, true, 0),
	ROW("-r 1", false, false, 1),
	ROW("-m -r 2", false, true, 2),
#undef ROW
};

START_TEST(test_matrix)
{
	const struct matrix_case	*mc = &matrix[_i];
	struct ap_race_config		 c = config();
	const struct fake_record	*fr;
	int				 round;

	c.sequential = mc->sequential;
	c.per_address = mc->per_address;
	c.retries = mc->retries;
	starts_answer = mc->outcome == O_STARVE ? EMFILE : 0;
	race_begin(&c, "127.0.0.2");
	starts_answer = 0;
	switch (mc->outcome) {
	case O_CONNECT:
		clock_to(5 * MS);
		outcome("127.0.0.2", 0);
		break;
	case O_REFUSE:
		clock_to(5 * MS);
		outcome("127.0.0.2", ECONNREFUSED);
		break;
	case O_UNREACH:
		clock_to(5 * MS);
		outcome("127.0.0.2", EHOSTUNREACH);
		break;
	case O_STALL:
	case O_STARVE:
		/* Out of descriptors to the end is a verdict only then, and
		 * earns a round like a timeout (SPEC 1 -r). */
		for (round = 0; round <= mc->retries; round++)
			clock_to((round + 1) * 1000 * MS);
		break;
	}
	ck_assert_msg(F.done, "%s: race not done", mc->name);
	ck_assert_int_eq(F.nrec, 1);
	fr = &F.rec[0];
	ck_assert_msg(fr->status == mc->status, "%s: status %s", mc->name,
	    ap_status_name(fr->status));
	ck_assert_int_eq(fr->error, mc->error);
	ck_assert_int_eq(F.na, mc->started);
	ck_assert_uint_eq(fr->addresses, 1);	/* never the attempts */
	ck_assert_uint_eq(fr->nattempts, (size_t)mc->attempts);
	if (mc->outcome == O_STALL || mc->outcome == O_STARVE)
		/* Never early: the last round's full -t. */
		ck_assert_int_ge(fr->elapsed_us, 1000 * MS);
}
END_TEST

/* ---- Happy Eyeballs ----------------------------------------------- */

START_TEST(test_stagger_then_overtake_is_degraded)
{
	struct ap_race_config	c = config();

	race_begin(&c, "::1,127.0.0.2");
	ck_assert_int_eq(running(), 1);		/* IPv6 first */
	attempt_to("::1");
	clock_to(249 * MS);
	ck_assert_int_eq(running(), 1);
	clock_to(250 * MS);			/* the attempt delay */
	ck_assert_int_eq(running(), 2);
	clock_to(260 * MS);
	outcome("127.0.0.2", 0);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_CONNECTED);
	ck_assert_str_eq(F.rec[0].ip, "127.0.0.2");
	/* The stalled IPv6 address was overtaken: degraded (SPEC 4). */
	ck_assert(F.rec[0].degraded);
	ck_assert_uint_eq(F.rec[0].addresses, 2);
	/* -v sees the abandoned attempt too. */
	ck_assert_int_eq(F.seen, 2);
	ck_assert_int_eq(F.seen_cancelled, 1);
}
END_TEST

START_TEST(test_failure_starts_next_at_once)
{
	struct ap_race_config	c = config();

	race_begin(&c, "::1,127.0.0.2,127.0.0.3");
	clock_to(3 * MS);
	outcome("::1", ECONNREFUSED);
	ck_assert_int_eq(running(), 1);
	ck_assert_int_eq(F.a[1].started_us, 3 * MS);
	clock_to(4 * MS);
	outcome("127.0.0.2", 0);
	ck_assert(F.done);
	ck_assert(F.rec[0].degraded);
	ck_assert_int_eq(attempts_to("127.0.0.3"), 0);
}
END_TEST

START_TEST(test_sequential_one_at_a_time)
{
	struct ap_race_config	c = config();

	c.sequential = true;
	race_begin(&c, "::1,127.0.0.2");
	clock_to(900 * MS);
	ck_assert_int_eq(running(), 1);
	outcome("::1", ETIMEDOUT);
	ck_assert_int_eq(running(), 1);
	clock_to(1000 * MS);			/* the deadline */
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_TIMEOUT);
	ck_assert_int_ge(F.rec[0].elapsed_us, 1000 * MS);
}
END_TEST

/* The final prioritized error does not depend on the order. */
START_TEST(test_final_error_any_order)
{
	struct ap_race_config	c = config();
	const char		*first = _i ? "::1" : "127.0.0.2";
	const char		*second = _i ? "127.0.0.2" : "::1";

	race_begin(&c, "::1,127.0.0.2");
	clock_to(250 * MS);
	ck_assert_int_eq(running(), 2);
	clock_to(300 * MS);
	outcome(first, _i ? ECONNREFUSED : EHOSTUNREACH);
	clock_to(310 * MS);
	outcome(second, _i ? EHOSTUNREACH : ECONNREFUSED);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_REFUSED);
}
END_TEST

/* ---- -m: each address its own race -------------------------------- */

START_TEST(test_m_streams_each_record)
{
	struct ap_race_config	 c = config();
	const struct fake_record *fr;

	c.per_address = true;
	race_begin(&c, "::1,127.0.0.2");
	ck_assert_int_eq(running(), 2);		/* all at once */
	clock_to(10 * MS);
	outcome("127.0.0.2", 0);
	/* Written now, with its own elapsed time, not the slowest's. */
	ck_assert_int_eq(F.nrec, 1);
	ck_assert_int_eq(F.rec[0].at_us, 10 * MS);
	ck_assert_int_eq(F.rec[0].elapsed_us, 10 * MS);
	ck_assert(!F.done);
	clock_to(1000 * MS);
	ck_assert(F.done);
	ck_assert_int_eq(F.nrec, 2);
	fr = record_for("::1");
	ck_assert_int_eq(fr->status, AP_STATUS_TIMEOUT);
	ck_assert_uint_eq(fr->addresses, 1);
}
END_TEST

START_TEST(test_m_retries_only_what_timed_out)
{
	struct ap_race_config	c = config();

	c.per_address = true;
	c.retries = 2;
	race_begin(&c, "::1,127.0.0.2");
	clock_to(1 * MS);
	outcome("127.0.0.2", 0);
	clock_to(3000 * MS);
	ck_assert(F.done);
	/* One record per address, not per round (issue 10 defect 4). */
	ck_assert_int_eq(F.nrec, 2);
	ck_assert_int_eq(attempts_to("127.0.0.2"), 1);
	ck_assert_int_eq(attempts_to("::1"), 3);
	ck_assert_uint_eq(record_for("::1")->nattempts, 3);
	ck_assert_uint_eq(record_for("::1")->addresses, 1);
}
END_TEST

START_TEST(test_m_sequential_waits_for_each)
{
	struct ap_race_config	c = config();

	c.per_address = true;
	c.sequential = true;
	race_begin(&c, "::1,127.0.0.2,127.0.0.3");
	ck_assert_int_eq(running(), 1);
	clock_to(500 * MS);
	outcome("::1", ECONNREFUSED);
	ck_assert_int_eq(running(), 1);
	attempt_to("127.0.0.2");
	/* Its own deadline, counted from its own start. */
	clock_to(1499 * MS);
	ck_assert_int_eq(F.nrec, 1);
	clock_to(1500 * MS);
	ck_assert_int_eq(F.nrec, 2);
	attempt_to("127.0.0.3");
	outcome("127.0.0.3", 0);
	ck_assert(F.done);
	ck_assert_int_eq(F.nrec, 3);
	ck_assert_int_eq(record_for("127.0.0.2")->status, AP_STATUS_TIMEOUT);
}
END_TEST

START_TEST(test_m_expect_mismatch)
{
	struct ap_race_config	c = config();

	c.per_address = true;
	c.talk = c.expect = true;
	race_begin(&c, "::1,127.0.0.2");
	clock_to(2 * MS);
	outcome("::1", 0);
	outcome("127.0.0.2", 0);
	peer_says("::1", "SSH-2.0", true);
	peer_says("127.0.0.2", "HTTP/1.0", false);
	ck_assert(F.done);
	ck_assert_int_eq(record_for("::1")->status, AP_STATUS_CONNECTED);
	ck_assert_int_eq(record_for("127.0.0.2")->status,
	    AP_STATUS_MISMATCH);
}
END_TEST

START_TEST(test_banner_ends_at_first_data)
{
	struct ap_race_config	c = config();

	c.talk = c.banner = true;
	race_begin(&c, "127.0.0.2");
	clock_to(2 * MS);
	outcome("127.0.0.2", 0);
	ck_assert(!F.done);
	clock_to(7 * MS);
	peer_says("127.0.0.2", "SSH-2.0-x", true);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].at_us, 7 * MS);
	ck_assert_str_eq(F.rec[0].banner, "SSH-2.0-x");
}
END_TEST

START_TEST(test_talk_cut_at_deadline)
{
	struct ap_race_config	c = config();

	c.talk = c.expect = true;
	race_begin(&c, "127.0.0.2");
	clock_to(2 * MS);
	outcome("127.0.0.2", 0);
	clock_to(1000 * MS);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_MISMATCH);
}
END_TEST

/* ---- waits: --rate and back-pressure ------------------------------ */

START_TEST(test_rate_paces_second_attempt)
{
	struct ap_race_config	c = config();

	race_begin(&c, "::1,127.0.0.2");
	F.answers[0] = -1;		/* the stagger's start: no token */
	F.nanswers = 1;
	clock_to(250 * MS);
	ck_assert_int_eq(F.top->state, AP_RACE_STARVED);
	ck_assert_int_eq(running(), 1);
	clock_to(280 * MS);
	ap_race_resume(F.top);
	ck_assert_int_eq(running(), 2);
	ck_assert_int_eq(F.top->state, AP_RACE_RACING);
	outcome("127.0.0.2", 0);
	ck_assert(F.done);
	ck_assert_int_ge(F.unwaits, 1);
}
END_TEST

START_TEST(test_rate_wait_to_deadline_is_timeout)
{
	struct ap_race_config	c = config();

	race_begin(&c, "::1,127.0.0.2");
	clock_to(5 * MS);
	F.answers[0] = -1;
	F.nanswers = 1;
	outcome("::1", ECONNREFUSED);	/* the next one must wait */
	ck_assert_int_eq(F.top->state, AP_RACE_STARVED);
	clock_to(1000 * MS);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_REFUSED);
}
END_TEST

START_TEST(test_backpressure_verdict)
{
	struct ap_race_config	c = config();

	race_begin(&c, "::1,127.0.0.2");
	clock_to(5 * MS);
	F.answers[0] = EMFILE;
	F.answers[1] = EMFILE;
	F.nanswers = 2;
	outcome("::1", ETIMEDOUT);
	ck_assert_int_eq(F.top->state, AP_RACE_STARVED);
	clock_to(100 * MS);
	ap_race_resume(F.top);		/* still out of descriptors */
	ck_assert_int_eq(F.top->state, AP_RACE_STARVED);
	clock_to(1000 * MS);
	ck_assert(F.done);
	/* Only at the deadline is the shortage a verdict (SPEC 3.6); an
	 * answer from the network would still beat it. */
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_TIMEOUT);
	ck_assert_uint_eq(F.rec[0].addresses, 2);
}
END_TEST

/* A local shortage is the least of answers: an error from the handshake
 * stage beats it. */
START_TEST(test_backpressure_ranks_low)
{
	struct ap_race_config	c = config();

	c.sequential = true;
	race_begin(&c, "127.0.0.2,127.0.0.3");
	F.answers[0] = EMFILE;
	F.nanswers = 1;
	clock_to(5 * MS);
	outcome("127.0.0.2", EINVAL);
	clock_to(1000 * MS);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_ERROR);
	ck_assert_int_eq(F.rec[0].error, EINVAL);
}
END_TEST

/* ---- the deadline and cancel -------------------------------------- */

START_TEST(test_deadline_is_start_plus_timeout)
{
	struct ap_race_config	c = config();

	race_begin(&c, "127.0.0.2");
	ck_assert_int_eq(timer_of(F.top)->at[AP_RACE_DEADLINE], 1000 * MS);
	clock_to(999 * MS);
	ck_assert(!F.done);
	clock_to(1000 * MS);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].elapsed_us, 1000 * MS);
}
END_TEST

START_TEST(test_attempt_timeout_cap)
{
	struct ap_race_config	c = config();

	c.attempt_timeout_us = 300 * MS;
	race_begin(&c, "127.0.0.2");
	ck_assert_int_eq(F.a[0].timeout_us, 300 * MS);
	clock_to(300 * MS);
	outcome("127.0.0.2", ETIMEDOUT);
	ck_assert(F.done);
}
END_TEST

START_TEST(test_cancel_m_sequential_every_address)
{
	struct ap_race_config	c = config();
	int			i;

	c.per_address = true;
	c.sequential = true;
	race_begin(&c, "::1,127.0.0.2,127.0.0.3");
	clock_to(10 * MS);
	ap_race_cancel(F.top);
	ck_assert(F.done);
	ck_assert_int_eq(F.nrec, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(F.rec[i].status, AP_STATUS_CANCELLED);
	/* Each names its address, started or not. */
	record_for("::1");
	record_for("127.0.0.2");
	record_for("127.0.0.3");
	ck_assert_int_eq(F.na, 1);	/* nothing new started */
}
END_TEST

START_TEST(test_unresolved_and_dns_timeout)
{
	struct ap_race_target	t = { "n:80", "n", "-", 1, 0, 80 };
	struct ap_race_config	c = config();

	memset(&F, 0, sizeof(F));
	F.env.cfg = &c;
	F.env.ops = &fake_ops;
	F.top = ap_race_new(&F.env, &t);
	ap_race_addresses(F.top, NULL, 0, true, AP_ERR_NXDOMAIN);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_UNRESOLVED);
	ck_assert_int_eq(F.rec[0].error, AP_ERR_NXDOMAIN);

	memset(&F, 0, sizeof(F));
	c.per_address = _i;
	F.env.cfg = &c;
	F.env.ops = &fake_ops;
	F.top = ap_race_new(&F.env, &t);
	clock_to(1000 * MS);		/* DNS never answered */
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_UNRESOLVED);
	ck_assert_int_eq(F.rec[0].error, ETIMEDOUT);
}
END_TEST

START_TEST(test_late_address_joins)
{
	struct ap_race_target	t = { "n:80", "n", "-", 1, 0, 80 };
	struct ap_race_config	c = config();
	struct ap_addr		a, b;

	memset(&F, 0, sizeof(F));
	F.env.cfg = &c;
	F.env.ops = &fake_ops;
	F.top = ap_race_new(&F.env, &t);
	ap_addr_pton("127.0.0.2", 0, &a);
	ap_addr_pton("::1", 0, &b);
	ap_race_addresses(F.top, &a, 1, false, 0);
	ck_assert_int_eq(running(), 1);
	clock_to(100 * MS);
	ap_race_addresses(F.top, &b, 1, true, 0);
	/* The attempt delay has not passed: it waits for it. */
	ck_assert_int_eq(running(), 1);
	clock_to(250 * MS);
	ck_assert_int_eq(running(), 2);
	ap_race_cancel(F.top);
	ck_assert(F.done);
	ck_assert_int_eq(F.rec[0].status, AP_STATUS_CANCELLED);
}
END_TEST

static Suite *
race_suite(void)
{
	Suite	*s = suite_create("race");
	TCase	*tc;

	tc = tcase_create("matrix");
	tcase_add_loop_test(tc, test_matrix, 0, (int)NELEM(matrix));
	suite_add_tcase(s, tc);
	tc = tcase_create("happy_eyeballs");
	tcase_add_test(tc, test_stagger_then_overtake_is_degraded);
	tcase_add_test(tc, test_failure_starts_next_at_once);
	tcase_add_test(tc, test_sequential_one_at_a_time);
	tcase_add_loop_test(tc, test_final_error_any_order, 0, 2);
	tcase_add_test(tc, test_late_address_joins);
	suite_add_tcase(s, tc);
	tc = tcase_create("per_address");
	tcase_add_test(tc, test_m_streams_each_record);
	tcase_add_test(tc, test_m_retries_only_what_timed_out);
	tcase_add_test(tc, test_m_sequential_waits_for_each);
	tcase_add_test(tc, test_m_expect_mismatch);
	suite_add_tcase(s, tc);
	tc = tcase_create("talk");
	tcase_add_test(tc, test_banner_ends_at_first_data);
	tcase_add_test(tc, test_talk_cut_at_deadline);
	suite_add_tcase(s, tc);
	tc = tcase_create("waits");
	tcase_add_test(tc, test_rate_paces_second_attempt);
	tcase_add_test(tc, test_rate_wait_to_deadline_is_timeout);
	tcase_add_test(tc, test_backpressure_verdict);
	tcase_add_test(tc, test_backpressure_ranks_low);
	suite_add_tcase(s, tc);
	tc = tcase_create("deadline");
	tcase_add_test(tc, test_deadline_is_start_plus_timeout);
	tcase_add_test(tc, test_attempt_timeout_cap);
	tcase_add_test(tc, test_cancel_m_sequential_every_address);
	tcase_add_loop_test(tc, test_unresolved_and_dns_timeout, 0, 2);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(race_suite()));
}
