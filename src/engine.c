/* SPDX-License-Identifier: ISC */
/* engine.c -- see engine.h.  The engine object and the run around the
 * races: targets taken from the input (or, for -j, from the share) while
 * the process-wide -c budget, --rate and --ordered's window allow; names
 * resolved; each target's race (race.c) given its attempts (probe.c) and
 * timers; back-pressure; the end by signal, --max-runtime or a failing
 * output.  Records leave through record.c.  Calls go one way: engine ->
 * race -> (ops) -> probe, record. */
#include "config.h"

#include <sys/queue.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "engine.h"
#include "load.h"
#include "pool.h"
#include "probe.h"
#include "progress.h"
#include "race.h"
#include "record.h"
#include "resolve.h"
#include "share.h"
#include "xmalloc.h"

/* Input items handled in one go before the loop gets a turn. */
#define FILL_BATCH		256
/* Back-pressure retry delay bounds (out of descriptors or ports). */
#define RETRY_MIN_MS		5
#define RETRY_MAX_MS		200
/* RFC 8305 3: how long an A answer waits for the AAAA one. */
#define RESOLUTION_DELAY_MS	50


/* Which waiting queue a starved race is on (link.queued), and which
 * timer FIFOs it is on (link.armed). */
enum { QUEUE_NONE, QUEUE_STARVED, QUEUE_RATE };
enum { ARMED_DEADLINE = 1, ARMED_STAGGER = 2 };

TAILQ_HEAD(race_list, ap_race);

struct ap_engine {
	const struct ap_options	*opt;
	struct ap_input		*input;
	struct ap_share		*share;		/* -j, else NULL */
	int			 idx;		/* this engine's number */
	struct ap_writer	*writer;
	struct event_base	*base;
	struct ap_resolver	*resolver;
	struct ap_recorder	*rec;
	struct ap_race_config	 rcfg;
	struct ap_race_env	 renv;
	struct ap_exchange	 exchange;
	struct ap_addr		 source;
	bool			 have_source;
	int			 family;
	/* Limits: the process's (shared with -j) and this engine's own. */
	struct ap_budget	*budget;
	struct ap_pacer		*pacer;
	struct ap_budget	 own_budget;
	struct ap_pacer		 own_pacer;
	unsigned		 ninflight;	/* this engine's targets */
	unsigned		 cap;		/* lowered by back-pressure */
	unsigned		 peak;
	int			 retry_ms;
	bool			 starved_again;	/* set by starve() */
	struct ap_race		*serving;	/* rate_cb() resumes it */
	bool			 serving_waits;	/* and it waits again */
	/* The races: all in flight, and the FIFOs that serve as their
	 * timers (every deadline and every stagger has the same length,
	 * so arming order is expiry order: one event each, no heap). */
	struct race_list	 inflight;
	struct race_list	 deadlines;
	struct race_list	 staggers;
	struct race_list	 starved;	/* out of descriptors, ports */
	struct race_list	 rate_wait;	/* waiting for --rate */
	struct event		*deadline_ev, *stagger_ev;
	struct event		*input_ev;	/* input readable */
	struct event		*fill_ev;	/* read more input soon */
	struct event		*refill_ev;	/* after this pass's I/O */
	struct event		*retry_ev;	/* back-pressure */
	struct event		*rate_ev;	/* --rate: next start */
	struct event		*stop_ev;	/* end every target */
	struct event		*runtime_ev;	/* --max-runtime */
	struct event		*sigint_ev, *sigterm_ev, *sigusr1_ev;
	struct event		*progress_ev;
	struct event		*wake_ev;	/* -j: share -> engine */
	int			 wake[2];
	struct ap_engine_host	 host;		/* monitor mode: */
	bool			 hosted;	/* the base is the host's */
	bool			 over;		/* hosted: done told */
	struct event		*done_ev;	/* hosted: tell the host */
	struct ap_progress_line	 progress;	/* alone: the line */
	bool			 progress_on;
	bool			 input_done;
	bool			 stopping;	/* start nothing more */
	bool			 draining;	/* --max-runtime: the rest of
						   the input is cancelled */
	uint64_t		 next_seq;	/* index of the next item */
	uint64_t		 total;		/* for progress; 0 unknown */
	int64_t			 start_us;
	struct ap_engine_tally	 tally;
};

static void	fill(struct ap_engine *);
static void	done_cb(evutil_socket_t, short, void *);

/* Every target has its record: leave the loop, or, on the host's loop,
 * tell the host from the loop (never from deep inside a race). */
static void
engine_over(struct ap_engine *eng)
{
	if (eng->hosted)
		event_active(eng->done_ev, EV_TIMEOUT, 1);
	else
		event_base_loopexit(eng->base, NULL);
}

/* ---- failing and stopping ------------------------------------------- */

/* Stop taking input and end the run.  Called from deep inside a race's
 * handling (a write error), so the targets are ended from the loop. */
static void
engine_stop(struct ap_engine *eng)
{
	if (eng->stopping && eng->stop_ev != NULL &&
	    event_pending(eng->stop_ev, EV_TIMEOUT, NULL))
		return;
	eng->stopping = true;
	if (eng->stop_ev != NULL)
		event_active(eng->stop_ev, EV_TIMEOUT, 1);
}

bool
ap_write_closed(int error)
{
	return (error == EPIPE);
}

void
ap_tally_failed(struct ap_engine_tally *t, const char *what, int error)
{
	if (strcmp(what, "write") == 0 && ap_write_closed(error))
		t->output_closed = true;
	else if (t->system_error == 0) {
		t->system_error = error;
		t->system_what = what;
	}
}

static void
engine_fail(struct ap_engine *eng, const char *what, int error)
{
	ap_tally_failed(&eng->tally, what, error);
	engine_stop(eng);
}

static void
record_fail_cb(void *arg)
{
	engine_stop(arg);
}

/* ---- the races' timers ---------------------------------------------- */

static void
arm(struct event *ev, int64_t at_us)
{
	struct timeval	tv;
	int64_t		us = at_us - ap_now_us();

	if (evtimer_pending(ev, NULL))
		return;
	if (us < 0)
		us = 0;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(ev, &tv);
}

static void
race_timer(void *ctx, struct ap_race *r, enum ap_race_timer which,
    int64_t at_us)
{
	struct ap_engine	*eng = ctx;
	struct race_list	*fifo;
	struct event		*ev;
	uint8_t			 bit;

	if (which == AP_RACE_DEADLINE) {
		fifo = &eng->deadlines;
		ev = eng->deadline_ev;
		bit = ARMED_DEADLINE;
		if (r->link.armed & bit)
			TAILQ_REMOVE(fifo, r, link.deadline);
		if (at_us >= 0) {
			TAILQ_INSERT_TAIL(fifo, r, link.deadline);
			arm(ev, TAILQ_FIRST(fifo)->deadline_us);
		}
	} else {
		fifo = &eng->staggers;
		ev = eng->stagger_ev;
		bit = ARMED_STAGGER;
		if (r->link.armed & bit)
			TAILQ_REMOVE(fifo, r, link.stagger);
		if (at_us >= 0) {
			TAILQ_INSERT_TAIL(fifo, r, link.stagger);
			arm(ev, TAILQ_FIRST(fifo)->stagger_until_us);
		}
	}
	if (at_us >= 0)
		r->link.armed |= bit;
	else
		r->link.armed &= (uint8_t)~bit;
}

/* The deadline fires when it is due and never before (SPEC 3.8): a timer
 * that wakes early (libevent's cached clock lags ours) is armed again. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_race		*r;
	int64_t			 now = ap_now_us();

	(void)fd, (void)what;
	while ((r = TAILQ_FIRST(&eng->deadlines)) != NULL &&
	    r->deadline_us <= now) {
		TAILQ_REMOVE(&eng->deadlines, r, link.deadline);
		r->link.armed &= (uint8_t)~ARMED_DEADLINE;
		ap_race_deadline(r);	/* may free r, or re-arm it */
	}
	if ((r = TAILQ_FIRST(&eng->deadlines)) != NULL)
		arm(eng->deadline_ev, r->deadline_us);
}

static void
stagger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_race		*r;
	int64_t			 now = ap_now_us();

	(void)fd, (void)what;
	while ((r = TAILQ_FIRST(&eng->staggers)) != NULL &&
	    r->stagger_until_us <= now) {
		TAILQ_REMOVE(&eng->staggers, r, link.stagger);
		r->link.armed &= (uint8_t)~ARMED_STAGGER;
		ap_race_stagger(r);
	}
	if ((r = TAILQ_FIRST(&eng->staggers)) != NULL)
		arm(eng->stagger_ev, r->stagger_until_us);
}

/* ---- the races' attempts -------------------------------------------- */

static int64_t
race_now(void *ctx)
{
	(void)ctx;
	return (ap_now_us());
}

static void
wait_on(struct ap_engine *eng, struct ap_race *r, int queue)
{
	struct race_list	*q = queue == QUEUE_RATE ? &eng->rate_wait :
				    &eng->starved;

	/* Its stagger and its place in a queue share the link: a race
	 * that waits has no stagger (race.c disarms it too). */
	if (r->link.armed & ARMED_STAGGER) {
		TAILQ_REMOVE(&eng->staggers, r, link.stagger);
		r->link.armed &= (uint8_t)~ARMED_STAGGER;
	}
	/* The race being served keeps its place at the head. */
	if (r == eng->serving) {
		TAILQ_INSERT_HEAD(q, r, link.wait);
		eng->serving_waits = true;
	} else
		TAILQ_INSERT_TAIL(q, r, link.wait);
	r->link.queued = (uint8_t)queue;
}

static void
race_unwait(void *ctx, struct ap_race *r)
{
	struct ap_engine	*eng = ctx;

	if (r->link.queued == QUEUE_NONE)
		return;
	TAILQ_REMOVE(r->link.queued == QUEUE_RATE ? &eng->rate_wait :
	    &eng->starved, r, link.wait);
	r->link.queued = QUEUE_NONE;
}

/* Out of descriptors or local ports: wait, take no new targets until
 * this one is served (SPEC 3.6: lower the concurrency for a while; it
 * grows back one by one), and try again after a backoff. */
static void
starve(struct ap_engine *eng, struct ap_race *r)
{
	struct timeval	tv;

	wait_on(eng, r, QUEUE_STARVED);
	eng->starved_again = true;
	eng->cap = eng->ninflight > 1 ? eng->ninflight - 1 : 1;
	if (!evtimer_pending(eng->retry_ev, NULL)) {
		tv.tv_sec = 0;
		tv.tv_usec = eng->retry_ms * 1000;
		evtimer_add(eng->retry_ev, &tv);
		eng->retry_ms = eng->retry_ms * 2 > RETRY_MAX_MS ?
		    RETRY_MAX_MS : eng->retry_ms * 2;
	}
}

static void
probe_cb(struct ap_probe *p, const struct ap_probe_outcome *o, void *arg)
{
	ap_race_attempt_done(arg, p, o);
}

static enum ap_race_start
race_attempt_start(void *ctx, struct ap_race *r, const struct ap_addr *dst,
    int64_t timeout_us, void **handle, int *error, enum ap_stage *stage)
{
	struct ap_engine	*eng = ctx;
	struct ap_probe		*p;
	struct timeval		 tv;

	if (eng->stopping) {
		/* The run is ending: the race is cancelled from the loop. */
		*error = ECANCELED;
		return (AP_RACE_WAIT);
	}
	/* --rate counts every attempt (SPEC 1), a race's second and its
	 * retries too; races that wait go first. */
	if (ap_pacer_limited(eng->pacer) && ((!TAILQ_EMPTY(&eng->rate_wait) &&
	    r != eng->serving) ||
	    ap_pacer_take(eng->pacer, ap_now_us()) > 0)) {
		wait_on(eng, r, QUEUE_RATE);
		arm(eng->rate_ev, ap_now_us() +
		    ap_pacer_peek(eng->pacer, ap_now_us()));
		*error = 0;
		*stage = AP_STAGE_NONE;
		return (AP_RACE_WAIT);
	}
	tv.tv_sec = timeout_us / 1000000;
	tv.tv_usec = timeout_us % 1000000;
	p = ap_probe_start(eng->base, dst, eng->have_source ? &eng->source :
	    NULL, timeout_us > 0 ? &tv : NULL, probe_cb, r, stage);
	if (p == NULL) {
		*error = errno;
		if (ap_probe_is_backpressure(errno))
			starve(eng, r);
		else
			engine_fail(eng, "connect", errno);
		return (AP_RACE_WAIT);
	}
	*handle = p;
	return (AP_RACE_STARTED);
}

/* A descriptor was released: a race starved of one may go on. */
static void
race_attempt_free(void *ctx, void *handle)
{
	struct ap_engine	*eng = ctx;

	ap_probe_free(handle);
	if (!TAILQ_EMPTY(&eng->starved))
		event_active(eng->retry_ev, EV_TIMEOUT, 1);
}

static void
exchange_cb(struct ap_probe *p, const struct ap_exchange_outcome *xo,
    void *arg)
{
	ap_race_talk_done(arg, p, xo);
}

static int
race_talk_start(void *ctx, struct ap_race *r, void *handle)
{
	struct ap_engine	*eng = ctx;

	return (ap_probe_exchange(handle, &eng->exchange, exchange_cb, r));
}

static void
race_talk_cut(void *ctx, void *handle)
{
	(void)ctx;
	ap_probe_exchange_finish(handle);
}

static void
race_attempt_seen(void *ctx, const struct ap_race *r,
    const struct ap_attempt *at)
{
	struct ap_engine	*eng = ctx;

	ap_record_attempt(eng->rec, ap_race_text(r), r->port, at);
}

static struct ap_race *
top(struct ap_race *r)
{
	return (r->parent != NULL ? r->parent : r);
}

static void
race_record(void *ctx, struct ap_race *r, struct ap_result *res)
{
	struct ap_engine	*eng = ctx;

	ap_record_emit(eng->rec, top(r)->link.group, res);
}

/* A target is over: its slot goes back to the budget, its records take
 * their turn (--ordered), and the engine takes the next target. */
static void
race_done(void *ctx, struct ap_race *r)
{
	struct ap_engine	*eng = ctx;
	uint64_t		 waiting;

	ap_resolver_cancel(r->link.lookup);
	TAILQ_REMOVE(&eng->inflight, r, link.inflight);
	eng->ninflight--;
	if ((waiting = ap_budget_give(eng->budget)) != 0 && eng->share != NULL)
		ap_share_wake_mask(eng->share, waiting & ~((uint64_t)1 <<
		    (eng->idx % 64)), 'b');
	ap_record_item_done(eng->rec, r->link.group, r->seq);
	ap_race_free(r);
	/* Additive increase after back-pressure lowered the cap. */
	if (eng->cap < eng->budget->max && TAILQ_EMPTY(&eng->starved))
		eng->cap++;
	if (!eng->stopping || eng->draining)
		/* Replace it once this pass's ready sockets are handled:
		 * completions first, then new connects back to back, as a
		 * raw epoll scanner does. */
		event_active(eng->refill_ev, EV_TIMEOUT, 1);
	else if (TAILQ_EMPTY(&eng->inflight) && eng->input_done)
		engine_over(eng);
}

static const struct ap_race_ops race_ops = {
	.now_us = race_now,
	.attempt_start = race_attempt_start,
	.attempt_free = race_attempt_free,
	.talk_start = race_talk_start,
	.talk_cut = race_talk_cut,
	.timer = race_timer,
	.unwait = race_unwait,
	.attempt_seen = race_attempt_seen,
	.record = race_record,
	.done = race_done,
};

/* ---- targets in --------------------------------------------------- */

static void
resolved_cb(const struct ap_addr *addrs, size_t n, bool done, int error,
    void *arg)
{
	struct ap_race	*r = arg;

	if (done)
		r->link.lookup = NULL;	/* the resolver dropped it */
	ap_race_addresses(r, addrs, n, done, error);
}

/* Feed a race what the pins or the hosts file know of its name; the
 * race interleaves the families itself. */
static void
static_addresses(struct ap_race *r, const struct ap_addrlist *l)
{
	if (l->n4 == 0 && l->n6 == 0) {
		ap_race_addresses(r, NULL, 0, true, AP_ERR_NODATA);
		return;
	}
	if (l->n6 > 0 && l->n4 > 0)
		ap_race_addresses(r, l->v6, l->n6, false, 0);
	if (l->n4 > 0)
		ap_race_addresses(r, l->v4, l->n4, true, 0);
	else
		ap_race_addresses(r, l->v6, l->n6, true, 0);
}

static void
target_start(struct ap_engine *eng, const struct ap_input_item *it)
{
	struct ap_race_target	 tgt;
	struct ap_race		*r;
	struct ap_addrlist	 l;
	struct ap_addr		 a;

	tgt.text = it->text;
	tgt.host = it->host;
	tgt.file = it->file;
	tgt.line = it->line;
	tgt.seq = it->index;
	tgt.port = it->port;
	r = ap_race_new(&eng->renv, &tgt);
	r->link.group = ap_record_group_new(eng->rec);
	TAILQ_INSERT_TAIL(&eng->inflight, r, link.inflight);
	if (++eng->ninflight > eng->peak)
		eng->peak = eng->ninflight;
	/* From here on the race may end (and be freed) at any call. */
	if (it->host_is_ip) {
		/* Numeric hosts skip every name table and DNS. */
		if (eng->family == AF_UNSPEC || eng->family == it->ip_family) {
			ap_addr_from_bytes(&a, it->ip_family, it->ip, 0);
			if (it->ip_family == AF_INET6)
				a.u.sin6.sin6_scope_id = it->scope_id;
			ap_race_addresses(r, &a, 1, true, 0);
		} else
			/* -4, -6 or -S of the other family: no name was
			 * looked up, so not NODATA (issue 11). */
			ap_race_addresses(r, NULL, 0, true, EAFNOSUPPORT);
		return;
	}
	memset(&l, 0, sizeof(l));
	if (ap_resolver_static_port(eng->resolver, it->host, it->port, &l)) {
		static_addresses(r, &l);
		ap_addrlist_clear(&l);
		return;
	}
	if ((r->link.lookup = ap_resolver_start(eng->resolver, it->host,
	    resolved_cb, r)) == NULL)
		engine_fail(eng, "DNS client", errno);
}

/* --shard K/N: the input's targets are dealt round robin, so N runs with
 * K = 1..N cover every target (invalid lines included) exactly once. */
static bool
in_shard(const struct ap_engine *eng, const struct ap_input_item *it)
{
	return (eng->opt->shard_n <= 1 ||
	    it->index % eng->opt->shard_n == eng->opt->shard_k - 1);
}

static enum ap_input_rc
next_item(struct ap_engine *eng, struct ap_input_item *it, int *fd)
{
	enum ap_input_rc	rc;

	if (eng->share != NULL)
		return (ap_share_next(eng->share, eng->idx, it, fd));
	rc = ap_input_next(eng->input, it);
	*fd = ap_input_fd(eng->input);
	return (rc);
}

static void
input_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	fill(arg);
}

static void
wait_for_input(struct ap_engine *eng, int fd)
{
	if (fd == -1)
		return;		/* -j: another engine's wake-up will come */
	if (eng->input_ev == NULL &&
	    (eng->input_ev = event_new(eng->base, fd, EV_READ, input_cb,
	    eng)) == NULL) {
		engine_fail(eng, "event", ENOMEM);
		return;
	}
	event_add(eng->input_ev, NULL);
}

/* Read on after the loop has polled once more.  A zero timeout, not
 * event_active(): an event made active from its own callback runs again
 * in the same pass, and the loop would never poll. */
static void
fill_later(struct ap_engine *eng)
{
	static const struct timeval zero = { 0, 0 };

	evtimer_add(eng->fill_ev, &zero);
}

/* Whether one more target may start now: this engine's back-pressure
 * cap, --ordered's window, --rate (peeked, taken by the attempt) and the
 * process's -c budget (taken). */
static bool
room_for_one(struct ap_engine *eng)
{
	int64_t	wait = 0;

	if (eng->draining)
		return (true);	/* nothing starts: each is cancelled */
	if (eng->ninflight >= eng->cap || !ap_record_fits(eng->rec,
	    eng->next_seq))
		return (false);
	if (ap_pacer_limited(eng->pacer) && (!TAILQ_EMPTY(&eng->rate_wait) ||
	    (wait = ap_pacer_peek(eng->pacer, ap_now_us())) > 0)) {
		if (TAILQ_EMPTY(&eng->rate_wait))
			arm(eng->rate_ev, ap_now_us() + wait);
		return (false);
	}
	while (!ap_budget_take(eng->budget))
		/* Full: another engine's give wakes this one. */
		if (!ap_budget_wait(eng->budget, eng->idx))
			return (false);
	return (true);
}

static void
give_back(struct ap_engine *eng)
{
	uint64_t	waiting;

	if (eng->draining)
		return;
	if ((waiting = ap_budget_give(eng->budget)) != 0 && eng->share != NULL)
		ap_share_wake_mask(eng->share, waiting, 'b');
}

/* Take targets from the input while there is room for them. */
static void
fill(struct ap_engine *eng)
{
	struct ap_input_item	it;
	enum ap_input_rc	rc;
	int			n, fd;

	for (n = 0; n < FILL_BATCH; n++) {
		if (eng->input_done || (eng->stopping && !eng->draining))
			break;
		if (!room_for_one(eng))
			break;
		rc = next_item(eng, &it, &fd);
		if (rc != AP_INPUT_TARGET)
			give_back(eng);
		switch (rc) {
		case AP_INPUT_TARGET:
			eng->next_seq = it.index + 1;
			if (!in_shard(eng, &it)) {
				give_back(eng);
				ap_record_item_done(eng->rec, NULL, it.index);
			} else if (eng->draining)
				ap_record_cancelled(eng->rec, &it);
			else if (eng->opt->numeric && !it.host_is_ip &&
			    !ap_resolver_pinned(eng->resolver, it.host,
			    it.port)) {
				give_back(eng);
				ap_record_invalid(eng->rec, &it, "a name, but "
				    "-n/--numeric forbids DNS: give an "
				    "address");
			} else
				target_start(eng, &it);
			break;
		case AP_INPUT_INVALID:
			eng->next_seq = it.index + 1;
			if (!in_shard(eng, &it))
				ap_record_item_done(eng->rec, NULL, it.index);
			else
				ap_record_invalid(eng->rec, &it, it.reason);
			break;
		case AP_INPUT_FILE_ERROR:
			ap_record_file_error(eng->rec, it.reason);
			eng->tally.file_errors++;
			break;
		case AP_INPUT_AGAIN:
			if (eng->draining && fd != -1) {
				/* --max-runtime stops the run: what the input
				 * holds now is cancelled, what it may say later
				 * is not waited for. */
				eng->input_done = true;
				break;
			}
			wait_for_input(eng, fd);
			return;
		case AP_INPUT_BUSY:
			/* A huge line: let ready sockets and signals have
			 * the loop, then read on. */
			fill_later(eng);
			return;
		case AP_INPUT_EOF:
			eng->input_done = true;
			break;
		}
	}
	if (n == FILL_BATCH)
		/* Let ready sockets have the loop, then read on. */
		fill_later(eng);
	if (eng->input_done && eng->ninflight == 0)
		engine_over(eng);
}

static void
fill_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	fill(arg);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_race		*r;

	(void)fd, (void)what;
	/* Serve starved races in arrival order; one that starves again
	 * goes back to the end and re-arms the backoff timer. */
	while ((r = TAILQ_FIRST(&eng->starved)) != NULL) {
		race_unwait(eng, r);
		eng->starved_again = false;
		ap_race_resume(r);	/* may end and free r */
		if (eng->starved_again)	/* still out: wait */
			return;
	}
	eng->retry_ms = RETRY_MIN_MS;
	evtimer_del(eng->retry_ev);
	fill(eng);
}

static void
rate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_race		*r;
	int64_t			 wait = 0;

	(void)fd, (void)what;
	/* Waiting races first, in order, one start each as it falls due;
	 * then new targets. */
	while ((r = TAILQ_FIRST(&eng->rate_wait)) != NULL) {
		if ((wait = ap_pacer_peek(eng->pacer, ap_now_us())) > 0) {
			arm(eng->rate_ev, ap_now_us() + wait);
			return;
		}
		race_unwait(eng, r);
		eng->serving = r;
		eng->serving_waits = false;
		ap_race_resume(r);	/* takes the start, may end r */
		eng->serving = NULL;
		if (eng->serving_waits)
			return;		/* another engine took it */
	}
	fill(eng);
}

/* ---- the end ------------------------------------------------------ */

/* -j: targets already read and dealt to this engine, but not started,
 * were read all the same: each gets its cancelled record. */
static void
cancel_dealt(struct ap_engine *eng)
{
	struct ap_input_item	it;
	enum ap_input_rc	rc;
	int			fd;

	ap_share_cancel(eng->share);
	while ((rc = ap_share_next(eng->share, eng->idx, &it, &fd)) ==
	    AP_INPUT_TARGET || rc == AP_INPUT_INVALID ||
	    rc == AP_INPUT_FILE_ERROR) {
		if (rc == AP_INPUT_FILE_ERROR) {
			ap_record_file_error(eng->rec, it.reason);
			eng->tally.file_errors++;
		} else if (!in_shard(eng, &it))
			continue;
		else if (rc == AP_INPUT_TARGET)
			ap_record_cancelled(eng->rec, &it);
		else
			ap_record_invalid(eng->rec, &it, it.reason);
	}
}

/* End every target in flight as cancelled (written after a signal or
 * --max-runtime, only counted after an output failure). */
static void
cancel_inflight(struct ap_engine *eng)
{
	struct ap_race	*r;

	eng->stopping = true;
	while ((r = TAILQ_FIRST(&eng->inflight)) != NULL)
		ap_race_cancel(r);	/* ends and frees r */
}

static void
cancel_all(struct ap_engine *eng)
{
	eng->draining = false;
	cancel_inflight(eng);
	if (eng->share != NULL)
		cancel_dealt(eng);
	engine_over(eng);
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	cancel_all(arg);
}

/* --max-runtime: what is in flight is cancelled, and so is every target
 * the input still holds: each gets its record (SPEC 1). */
static void
runtime_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;

	(void)fd, (void)what;
	if (eng->stopping)
		return;
	cancel_inflight(eng);
	eng->draining = true;
	fill(eng);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ap_engine	*eng = arg;

	(void)what;
	if (eng->tally.signal == 0)
		eng->tally.signal = (int)sig;
	cancel_all(eng);
}

static void
progress_view(struct ap_engine *eng, struct ap_progress_view *v)
{
	memset(v, 0, sizeof(*v));
	v->done = eng->tally.targets;
	memcpy(v->status, eng->tally.status, sizeof(v->status));
	v->inflight = eng->ninflight;
	v->elapsed_us = ap_now_us() - eng->start_us;
	v->total = eng->total;
}

static void
progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_progress_view	 v;

	(void)fd, (void)what;
	progress_view(eng, &v);
	ap_progress_draw(&eng->progress, &v, false);
}

static void
sigusr1_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct ap_progress_view	 v;

	(void)fd, (void)what;
	/* On demand, a line of its own (TIP 427's -connecting, for a run). */
	progress_view(eng, &v);
	ap_progress_draw(&eng->progress, &v, true);
}

/* ---- setup -------------------------------------------------------- */

/* A base is only ever used by the thread that made it: with -j, libevent's
 * global state is locked (evthread_use_pthreads()), never the bases. */
struct event_base *
ap_engine_base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return (NULL);
	/* PRECISE_TIMER: libevent's default clock is CLOCK_MONOTONIC_COARSE,
	 * a clock tick (4 ms) coarse, so an --attempt-timeout would end up
	 * to a tick early (SPEC 3.8: never early). */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK |
	    EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, AP_NPRIO) == -1) {
		event_base_free(base);
		base = NULL;
	}
	return (base);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	char			 buf[64];
	ssize_t			 n, i;
	bool			 cancel = false;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			if (buf[i] == 'c')
				cancel = true;
	if (cancel)
		cancel_all(eng);	/* a signal reached the run */
	else
		fill(eng);
}

/* -j: the pipe the other engines and the main thread wake this one by. */
static int
share_setup(struct ap_engine *eng)
{
	if (pipe2(eng->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);
	ap_share_set_wake(eng->share, eng->idx, eng->wake[1]);
	if ((eng->wake_ev = event_new(eng->base, eng->wake[0],
	    EV_READ | EV_PERSIST, wake_cb, eng)) == NULL ||
	    event_add(eng->wake_ev, NULL) == -1)
		return (-1);
	return (0);
}

static void
race_config(struct ap_engine *eng, const struct ap_options *opt)
{
	struct ap_race_config	*c = &eng->rcfg;
	int			 delay = opt->attempt_delay_ms;

	if (delay < AP_ATTEMPT_DELAY_MIN_MS)
		delay = AP_ATTEMPT_DELAY_MIN_MS;
	if (delay > AP_ATTEMPT_DELAY_MAX_MS)
		delay = AP_ATTEMPT_DELAY_MAX_MS;
	c->timeout_us = (int64_t)opt->timeout_ms * 1000;
	c->attempt_timeout_us = (int64_t)opt->attempt_timeout_ms * 1000;
	c->attempt_delay_us = (int64_t)delay * 1000;
	c->sequential = opt->sequential;
	c->per_address = opt->all_addresses;
	c->retries = opt->retries;
	c->expect = opt->expect != NULL;
	c->banner = opt->banner_max > 0;
	c->talk = opt->send_data != NULL || c->expect || c->banner;
	eng->exchange.send = opt->send_data;
	eng->exchange.send_len = opt->send_len;
	eng->exchange.expect = opt->expect;
	eng->exchange.expect_len = opt->expect_len;
	eng->exchange.banner_max = (size_t)opt->banner_max;
}

static int
events_new(struct ap_engine *eng)
{
	struct event_base	*b = eng->base;

	eng->fill_ev = event_new(b, -1, 0, fill_cb, eng);
	eng->refill_ev = event_new(b, -1, 0, fill_cb, eng);
	eng->deadline_ev = evtimer_new(b, deadline_cb, eng);
	eng->stagger_ev = evtimer_new(b, stagger_cb, eng);
	eng->retry_ev = evtimer_new(b, retry_cb, eng);
	eng->rate_ev = evtimer_new(b, rate_cb, eng);
	eng->stop_ev = event_new(b, -1, 0, stop_cb, eng);
	eng->runtime_ev = evtimer_new(b, runtime_cb, eng);
	eng->progress_ev = event_new(b, -1, EV_PERSIST, progress_cb, eng);
	if (eng->fill_ev == NULL || eng->refill_ev == NULL ||
	    eng->deadline_ev == NULL || eng->stagger_ev == NULL ||
	    eng->retry_ev == NULL || eng->rate_ev == NULL ||
	    eng->stop_ev == NULL || eng->runtime_ev == NULL ||
	    eng->progress_ev == NULL ||
	    event_priority_set(eng->refill_ev, AP_PRIO_RUN) == -1 ||
	    event_priority_set(eng->deadline_ev, AP_PRIO_RUN) == -1 ||
	    event_priority_set(eng->stagger_ev, AP_PRIO_RUN) == -1 ||
	    event_priority_set(eng->progress_ev, AP_PRIO_RUN) == -1 ||
	    event_priority_set(eng->fill_ev, AP_PRIO_IDLE) == -1)
		return (-1);
	return (0);
}

static int
signals_new(struct ap_engine *eng)
{
	eng->sigint_ev = evsignal_new(eng->base, SIGINT, signal_cb, eng);
	eng->sigterm_ev = evsignal_new(eng->base, SIGTERM, signal_cb, eng);
	eng->sigusr1_ev = evsignal_new(eng->base, SIGUSR1, sigusr1_cb, eng);
	if (eng->sigint_ev == NULL || eng->sigusr1_ev == NULL ||
	    eng->sigterm_ev == NULL ||
	    event_priority_set(eng->sigint_ev, AP_PRIO_SIGNAL) == -1 ||
	    event_priority_set(eng->sigterm_ev, AP_PRIO_SIGNAL) == -1 ||
	    event_priority_set(eng->sigusr1_ev, AP_PRIO_SIGNAL) == -1 ||
	    event_add(eng->sigint_ev, NULL) == -1 ||
	    event_add(eng->sigterm_ev, NULL) == -1 ||
	    event_add(eng->sigusr1_ev, NULL) == -1)
		return (-1);
	return (0);
}

static struct ap_engine *
engine_new(const struct ap_options *opt, struct ap_input *input,
    struct ap_share *share, int idx, const struct ap_engine_host *host,
    struct ap_writer *writer, struct ap_stats *stats, char *errbuf,
    size_t errlen)
{
	struct ap_engine		*eng = xcalloc(1, sizeof(*eng));
	struct ap_resolver_config	 rc;
	struct ap_record_config		 recc;
	int				 i;

	eng->opt = opt;
	eng->input = input;
	eng->share = share;
	eng->idx = idx;
	eng->wake[0] = eng->wake[1] = -1;
	eng->writer = writer;
	eng->family = opt->family;
	eng->retry_ms = RETRY_MIN_MS;
	TAILQ_INIT(&eng->inflight);
	TAILQ_INIT(&eng->deadlines);
	TAILQ_INIT(&eng->staggers);
	TAILQ_INIT(&eng->starved);
	TAILQ_INIT(&eng->rate_wait);
	race_config(eng, opt);
	eng->renv.cfg = &eng->rcfg;
	eng->renv.ops = &race_ops;
	eng->renv.ctx = eng;
	/* -c and --rate hold for the whole process (SPEC 1): -j engines
	 * share one budget and one pacer. */
	if (share != NULL) {
		eng->budget = ap_share_budget(share);
		eng->pacer = ap_share_pacer(share);
	} else {
		ap_budget_init(&eng->own_budget,
		    ap_load_concurrency(opt->concurrency));
		ap_pacer_init(&eng->own_pacer, opt->rate, AP_RATE_CATCHUP_US,
		    ap_now_us());
		eng->budget = &eng->own_budget;
		eng->pacer = &eng->own_pacer;
	}
	eng->cap = eng->budget->max;

	if (opt->have_source) {
		eng->source = opt->source;
		eng->have_source = true;
		/* Only addresses of the source's family can be reached. */
		if (eng->family == AF_UNSPEC)
			eng->family = eng->source.u.sa.sa_family;
	}
	if (host != NULL) {
		eng->host = *host;
		eng->hosted = true;
		eng->base = host->base;
	} else if ((eng->base = ap_engine_base_new()) == NULL) {
		snprintf(errbuf, errlen, "cannot create the event loop");
		goto fail;
	}
	if (share == NULL)
		ap_progress_line_init(&eng->progress, writer->fp);
	memset(&recc, 0, sizeof(recc));
	recc.opt = opt;
	recc.writer = writer;
	recc.stats = stats;
	recc.share = share;
	recc.tally = &eng->tally;
	recc.window = 4 * (size_t)eng->budget->max + FILL_BATCH;
	recc.fail = record_fail_cb;
	recc.arg = eng;
	if (host != NULL) {
		recc.round = host->round;
		recc.tap = host->tap;
		recc.changes = host->changes;
		recc.invalid_said = host->invalid_said;
	}
	eng->progress_on = opt->progress == AP_PROGRESS_ALWAYS ||
	    (opt->progress == AP_PROGRESS_AUTO && isatty(STDERR_FILENO));
	if (share != NULL)
		recc.progress = ap_share_progress(share);
	else if (eng->progress_on)
		recc.progress = &eng->progress;
	if ((eng->rec = ap_recorder_new(eng->base, &recc)) == NULL) {
		snprintf(errbuf, errlen, "cannot set up the output");
		goto fail;
	}

	memset(&rc, 0, sizeof(rc));
	rc.family = eng->family;
	rc.hosts_file = opt->hosts_file;
	rc.nameservers = opt->resolvers;
	rc.nnameservers = opt->nresolvers;
	rc.resolution_delay_ms = RESOLUTION_DELAY_MS;
	if ((eng->resolver = ap_resolver_new(eng->base, &rc, errbuf,
	    errlen)) == NULL)
		goto fail;
	for (i = 0; i < opt->npins; i++)
		ap_resolver_pin(eng->resolver, &opt->pins[i]);
	if (events_new(eng) == -1) {
		snprintf(errbuf, errlen, "cannot create events");
		goto fail;
	}
	if (share != NULL) {
		/* Signals go to the main thread (only one event base may
		 * take them); it wakes every engine. */
		if (share_setup(eng) == -1) {
			snprintf(errbuf, errlen, "cannot set up engine %d: "
			    "%s", idx, strerror(errno));
			goto fail;
		}
	} else if (host != NULL) {
		/* The host takes the signals and calls ap_engine_cancel(). */
		if ((eng->done_ev = event_new(eng->base, -1, 0, done_cb,
		    eng)) == NULL) {
			snprintf(errbuf, errlen, "cannot create events");
			goto fail;
		}
	} else if (signals_new(eng) == -1) {
		snprintf(errbuf, errlen, "cannot create events");
		goto fail;
	}
	return (eng);
fail:
	ap_engine_free(eng);
	return (NULL);
}

struct ap_engine *
ap_engine_new(const struct ap_options *opt, struct ap_input *input,
    struct ap_writer *writer, struct ap_stats *stats, char *errbuf,
    size_t errlen)
{
	return (engine_new(opt, input, NULL, 0, NULL, writer, stats, errbuf,
	    errlen));
}

struct ap_engine *
ap_engine_new_shared(const struct ap_options *opt, struct ap_share *share,
    int idx, struct ap_writer *writer, struct ap_stats *stats,
    char *errbuf, size_t errlen)
{
	return (engine_new(opt, NULL, share, idx, NULL, writer, stats,
	    errbuf, errlen));
}

struct ap_engine *
ap_engine_new_hosted(const struct ap_options *opt, struct ap_input *input,
    const struct ap_engine_host *host, struct ap_writer *writer,
    struct ap_stats *stats, char *errbuf, size_t errlen)
{
	return (engine_new(opt, input, NULL, 0, host, writer, stats, errbuf,
	    errlen));
}

/* Arm the run's own timers and take the first targets. */
static void
run_start(struct ap_engine *eng, bool alone)
{
	eng->start_us = ap_now_us();
	if (alone && eng->progress_on) {
		/* At most 4 redraws a second on a terminal; elsewhere a
		 * line a second is plenty for a log. */
		struct timeval tv = { eng->progress.tty ? 0 : 1,
		    eng->progress.tty ? 250000 : 0 };

		event_add(eng->progress_ev, &tv);
	}
	if (eng->opt->max_runtime_ms > 0) {
		struct timeval tv = { eng->opt->max_runtime_ms / 1000,
		    (eng->opt->max_runtime_ms % 1000) * 1000 };

		evtimer_add(eng->runtime_ev, &tv);
	}
	fill(eng);
}

/* After the loop: nothing left in flight, every record out. */
static void
run_end(struct ap_engine *eng, bool alone)
{
	if (eng->ninflight > 0)		/* loop ended early: never lose one */
		cancel_all(eng);
	event_del(eng->progress_ev);
	event_del(eng->runtime_ev);
	if (alone)
		ap_progress_line_destroy(&eng->progress);	/* erases */
	if (ap_record_ok(eng->rec))
		ap_record_flush(eng->rec);
}

const struct ap_engine_tally *
ap_engine_run(struct ap_engine *eng)
{
	bool	alone = eng->share == NULL;

	/* -q: not even a header; prom and nagios write nothing either.
	 * -j: the caller writes the header and the end once. */
	if (alone && !eng->opt->quiet &&
	    ap_writer_begin(eng->writer) == -1) {
		ap_tally_failed(&eng->tally, "write", errno);
		return (&eng->tally);
	}
	run_start(eng, alone);
	if (!(eng->stopping && !eng->draining) &&
	    !(eng->input_done && eng->ninflight == 0) &&
	    event_base_dispatch(eng->base) == -1)
		engine_fail(eng, "event loop", errno);
	run_end(eng, alone);
	if (alone && !eng->opt->quiet && ap_record_ok(eng->rec) &&
	    ap_writer_end(eng->writer) == -1)
		ap_tally_failed(&eng->tally, "write", errno);
	return (&eng->tally);
}

void
ap_engine_start(struct ap_engine *eng)
{
	run_start(eng, true);
}

/* The hosted run is over: once, from the loop. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;

	(void)fd, (void)what;
	if (eng->over)
		return;
	eng->over = true;
	run_end(eng, true);
	eng->host.done(eng, eng->host.arg);
}

void
ap_engine_cancel(struct ap_engine *eng, int sig)
{
	if (eng->over)
		return;
	if (eng->tally.signal == 0)
		eng->tally.signal = sig;
	cancel_all(eng);
}

const struct ap_engine_tally *
ap_engine_tally(const struct ap_engine *eng)
{
	return (&eng->tally);
}

unsigned
ap_engine_peak_inflight(const struct ap_engine *eng)
{
	return (eng->peak);
}

void
ap_engine_set_total(struct ap_engine *eng, uint64_t total)
{
	eng->total = total;
}

unsigned
ap_engine_concurrency(const struct ap_engine *eng)
{
	return (eng->budget->max);
}

static void
event_free_null(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

void
ap_engine_free(struct ap_engine *eng)
{
	struct ap_race	*r, *k;

	if (eng == NULL)
		return;
	eng->stopping = true;
	while ((r = TAILQ_FIRST(&eng->inflight)) != NULL) {
		TAILQ_REMOVE(&eng->inflight, r, link.inflight);
		ap_resolver_cancel(r->link.lookup);
		while ((k = SLIST_FIRST(&r->kids)) != NULL) {
			SLIST_REMOVE_HEAD(&r->kids, sibling);
			ap_race_free(k);
		}
		ap_race_free(r);
	}
	event_free_null(eng->input_ev);
	event_free_null(eng->fill_ev);
	event_free_null(eng->refill_ev);
	event_free_null(eng->deadline_ev);
	event_free_null(eng->stagger_ev);
	event_free_null(eng->retry_ev);
	event_free_null(eng->rate_ev);
	event_free_null(eng->stop_ev);
	event_free_null(eng->runtime_ev);
	event_free_null(eng->sigint_ev);
	event_free_null(eng->sigterm_ev);
	event_free_null(eng->sigusr1_ev);
	event_free_null(eng->progress_ev);
	event_free_null(eng->wake_ev);
	if (eng->wake[0] != -1)
		close(eng->wake[0]);
	if (eng->wake[1] != -1) {
		ap_share_set_wake(eng->share, eng->idx, -1);
		close(eng->wake[1]);
	}
	event_free_null(eng->done_ev);
	ap_recorder_free(eng->rec);
	ap_resolver_free(eng->resolver);
	if (eng->base != NULL && !eng->hosted)
		event_base_free(eng->base);
	free(eng);
}
