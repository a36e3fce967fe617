/* SPDX-License-Identifier: ISC */
/* engine.c -- see engine.h.  Each target is a small state machine:
 *
 *   RESOLVING --addresses--> CONNECTING --first success--> DONE (connected)
 *   CONNECTING --failure, more addresses--> CONNECTING (next at once)
 *   CONNECTING --attempt delay passes--> one more attempt alongside
 *   any --deadline--> DONE (what is still running ends as ETIMEDOUT)
 *
 * Only target_try_next() starts attempts and only target_finish() ends a
 * target; every event handler ends in one of the two. */
#include "config.h"

#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addrlist.h"
#include "engine.h"
#include "probe.h"
#include "progress.h"
#include "reorder.h"
#include "resolve.h"
#include "share.h"
#include "stats.h"
#include "xmalloc.h"

/* Descriptors kept back from -c for the process's own use: stdio, the
 * event loop, the DNS socket, input and output files. */
#define RESERVED_FDS		16
/* Input items handled in one go before the loop gets a turn. */
#define FILL_BATCH		256
/* Back-pressure retry delay bounds (out of descriptors or ports). */
#define RETRY_MIN_MS		5
#define RETRY_MAX_MS		200
/* -j: an engine hands its records to the real output in chunks this big
 * (whole records only), and when its loop is about to wait. */
#define SHARE_CHUNK		65536
/* Flush records at least this often even when the loop never idles. */
#define FLUSH_EVERY_US		100000
/* RFC 8305 3: how long an A answer waits for the AAAA one. */
#define RESOLUTION_DELAY_MS	50

/* Event priorities: socket readiness first, so a connect that completes
 * as its deadline expires counts as connected; the output flush last, so
 * it runs when the loop is about to wait. */
enum { PRIO_IO, PRIO_TIMER, PRIO_FLUSH, NPRIO };

enum target_state {
	TS_RESOLVING,		/* waiting for addresses */
	TS_CONNECTING,		/* attempts running or more to come */
	TS_DONE
};

struct attempt_slot {
	struct ap_probe		*probe;
	size_t			 attempt;	/* index in t->attempts */
};

struct target {
	struct ap_engine	*eng;
	TAILQ_ENTRY(target)	 entry;		/* eng->inflight */
	TAILQ_ENTRY(target)	 starved_entry;	/* eng->starved */
	bool			 starved;
	enum target_state	 state;
	char			*text;		/* in strings[] */
	char			*host;		/* in strings[] */
	uint16_t		 port;
	const char		*file;		/* borrowed from the input */
	unsigned long		 line;
	int64_t			 start_us;
	int64_t			 deadline_us;	/* -t from the start */
	struct event		*stagger;	/* attempt delay */
	bool			 stagger_running;
	struct ap_lookup	*lookup;
	bool			 resolved;	/* no more addresses coming */
	int			 dns_error;
	struct ap_addrlist	 addrs;
	struct ap_addr		 starved_addr;	/* next to retry */
	int			 starved_error;
	enum ap_stage		 starved_stage;
	struct attempt_slot	*active;
	size_t			 nactive, capactive;
	struct ap_attempt	*attempts;
	size_t			 nattempts, capattempts;
	int			 winner;	/* attempt index, -1 */
	struct ap_probe		*talker;	/* the winner, exchanging */
	bool			 exchanged;	/* its exchange is over */
	bool			 matched;	/* --expect seen */
	char			*banner;	/* peer's first bytes */
	size_t			 banner_len;
	int			 rounds_left;	/* -r retries still to go */
	uint64_t		 seq;		/* input item index */
	/* Room for the usual one or two addresses, so that most targets
	 * need no allocation beyond this one (text and host follow it). */
	struct ap_attempt	 attempts_inline[2];
	struct attempt_slot	 active_inline[2];
	char			 strings[];	/* text NUL host NUL */
};

TAILQ_HEAD(target_list, target);

struct ap_engine {
	const struct ap_options	*opt;
	struct ap_input		*input;
	struct ap_writer	*writer;
	struct ap_stats		*stats;
	struct event_base	*base;
	struct ap_resolver	*resolver;
	struct ap_addr		 source;
	bool			 have_source;
	int			 family;
	struct event		*deadline_ev;	/* the oldest target's */
	const struct timeval	*stagger_tv;	/* common timeout */
	struct event		*input_ev;	/* input readable */
	struct event		*fill_ev;	/* read more input soon */
	struct event		*flush_ev;
	struct event		*retry_ev;	/* back-pressure */
	struct event		*sigint_ev, *sigterm_ev;
	struct event		*sigusr1_ev;	/* progress line once */
	struct event		*progress_ev;	/* --progress refresh */
	bool			 progress_tty;	/* redraw in place */
	bool			 progress_drawn; /* a line is on screen */
	uint64_t		 total;		/* targets, 0: unknown */
	int64_t			 start_us;
	/* -j: the engines of one run; NULL when this one is alone. */
	struct ap_share		*share;
	int			 idx;		/* this engine's number */
	struct ap_share_counts	*counts;
	int			 wake[2];	/* pipe: share -> engine */
	struct event		*wake_ev;
	FILE			*ofp;		/* records not yet out */
	char			*obuf;
	size_t			 olen;
	struct event		*stop_ev;	/* end every target */
	struct target_list	 inflight;
	struct target_list	 starved;
	unsigned		 ninflight;
	unsigned		 max_inflight;	/* -c after the fd limit */
	unsigned		 cap;		/* lowered by back-pressure */
	unsigned		 peak;
	int			 retry_ms;
	bool			 input_done;
	bool			 stopping;	/* no more input */
	bool			 cancelling;	/* verdicts are cancelled */
	bool			 starved_again;	/* set by starve() */
	bool			 talk;		/* --send/--expect/--banner */
	struct ap_exchange	 exchange;
	struct event		*runtime_ev;	/* --max-runtime */
	struct event		*rate_ev;	/* --rate: next start */
	double			 rate;		/* this engine's share */
	double			 rate_next_us;	/* earliest next start */
	uint64_t		 next_seq;	/* index of the next item */
	struct ap_reorder	*reorder;	/* --ordered, else NULL */
	FILE			*group_fp;	/* --ordered: this item's */
	char			*group_buf;
	size_t			 group_len;
	int64_t			 last_flush_us;
	struct ap_engine_tally	 tally;
};

static void	target_try_next(struct target *);
static void	target_finish(struct target *);
static void	engine_fill(struct ap_engine *);
static void	engine_stop(struct ap_engine *);

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
system_failure(struct ap_engine *eng, const char *what, int error)
{
	if (eng->tally.system_error == 0) {
		eng->tally.system_error = error;
		eng->tally.system_what = what;
	}
	engine_stop(eng);
}

/* ---- output ---------------------------------------------------------- */

/* A closed pipe (| head) ends the run quietly; any other write error is
 * a system failure (exit 4). */
static void
output_failed(struct ap_engine *eng, int error)
{
	if (error == EPIPE) {
		eng->tally.output_closed = true;
		engine_stop(eng);
	} else
		system_failure(eng, "write", error);
}

/* -j: hand the records gathered so far to the real output. */
static int
share_drain(struct ap_engine *eng, bool flush)
{
	if (fflush(eng->ofp) == EOF)
		return (-1);
	if (eng->olen > 0 &&
	    ap_share_write(eng->share, eng->obuf, eng->olen) == -1)
		return (-1);
	rewind(eng->ofp);
	eng->olen = 0;
	return (flush ? ap_share_write(eng->share, NULL, 0) : 0);
}

static void
flush_output(struct ap_engine *eng)
{
	int	rc;

	eng->last_flush_us = now_us();
	if (eng->tally.output_closed || eng->writer->fp == NULL)
		return;
	if (eng->share != NULL)
		rc = share_drain(eng, true);
	else
		rc = fflush(eng->writer->fp) == EOF ? -1 : 0;
	if (rc == -1)
		output_failed(eng, errno);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	flush_output(arg);
}

static bool
wanted(const struct ap_engine *eng, enum ap_status status)
{
	if (eng->opt->quiet)
		return (false);
	/* prom and nagios sum up the whole run: they see every record. */
	if (eng->opt->format == AP_FORMAT_PROM ||
	    eng->opt->format == AP_FORMAT_NAGIOS)
		return (true);
	if (eng->opt->only_alive)
		return (status == AP_STATUS_CONNECTED);
	if (eng->opt->only_unreachable)
		return (status != AP_STATUS_CONNECTED);
	return (true);
}

static void
emit(struct ap_engine *eng, struct ap_result *r)
{
	r->timestamp_ms = wall_ms();
	eng->tally.status[r->status]++;
	eng->tally.targets++;
	if (eng->counts != NULL) {
		atomic_fetch_add_explicit(&eng->counts->status[r->status], 1,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&eng->counts->done, 1,
		    memory_order_relaxed);
	}
	if (eng->stats != NULL)
		ap_stats_add(eng->stats, r);
	if (!wanted(eng, r->status) || eng->tally.output_closed ||
	    eng->tally.system_error != 0)
		return;
	if (eng->group_fp != NULL) {
		/* --ordered: formatted now, written when its turn comes. */
		struct ap_writer w = *eng->writer;

		w.fp = eng->group_fp;
		if (ap_writer_write(&w, r) == -1)
			system_failure(eng, "memory", ENOMEM);
		return;
	}
	if (eng->share != NULL) {
		/* -j: gathered here, handed out in whole-record chunks. */
		struct ap_writer w = *eng->writer;

		w.fp = eng->ofp;
		if (ap_writer_write(&w, r) == -1)
			system_failure(eng, "memory", ENOMEM);
		else if (ftell(eng->ofp) >= SHARE_CHUNK &&
		    share_drain(eng, false) == -1) {
			output_failed(eng, errno);
			return;
		}
	} else if (ap_writer_write(eng->writer, r) == -1) {
		output_failed(eng, errno);
		return;
	}
	/* Flushed when the loop is about to wait, and at least every
	 * FLUSH_EVERY_US when it never does. */
	if (now_us() - eng->last_flush_us > FLUSH_EVERY_US)
		flush_output(eng);
	else
		event_active(eng->flush_ev, EV_TIMEOUT, 1);
}

/* --ordered: the records of one input item are gathered, then wait for
 * their turn in the reorder ring. */
static void
group_begin(struct ap_engine *eng)
{
	if (eng->reorder == NULL)
		return;
	eng->group_buf = NULL;
	eng->group_len = 0;
	if ((eng->group_fp = open_memstream(&eng->group_buf,
	    &eng->group_len)) == NULL)
		system_failure(eng, "memory", errno);
}

static void
group_end(struct ap_engine *eng, uint64_t seq)
{
	if (eng->reorder == NULL)
		return;
	if (eng->group_fp != NULL) {
		if (fclose(eng->group_fp) == EOF)
			system_failure(eng, "memory", errno);
		eng->group_fp = NULL;
	}
	ap_reorder_put(eng->reorder, seq, eng->group_buf, eng->group_len);
	eng->group_buf = NULL;
	if (eng->tally.output_closed || eng->tally.system_error != 0)
		return;
	if (ap_reorder_flush(eng->reorder, eng->writer->fp) == -1) {
		output_failed(eng, errno);
		return;
	}
	event_active(eng->flush_ev, EV_TIMEOUT, 1);
}

static void
progress_erase(struct ap_engine *eng)
{
	if (eng->progress_drawn) {
		fputs("\r\033[K", stderr);
		eng->progress_drawn = false;
	}
}

/* A line on stderr that must not be torn by the progress line. */
static void
note(struct ap_engine *eng, const char *fmt, ...)
{
	va_list	ap;

	progress_erase(eng);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void
progress_show(struct ap_engine *eng, bool in_place)
{
	struct ap_progress_view	v;
	char			line[512];

	memset(&v, 0, sizeof(v));
	v.done = eng->tally.targets;
	memcpy(v.status, eng->tally.status, sizeof(v.status));
	v.inflight = eng->ninflight;
	v.elapsed_us = now_us() - eng->start_us;
	v.total = eng->total;
	ap_progress_format(&v, line, sizeof(line));
	progress_erase(eng);
	if (in_place) {
		fprintf(stderr, "\rasyncprobe: %s\033[K", line);
		eng->progress_drawn = true;
	} else
		fprintf(stderr, "asyncprobe: %s\n", line);
	fflush(stderr);
}

static void
progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;

	(void)fd, (void)what;
	progress_show(eng, eng->progress_tty);
}

static void
sigusr1_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* On demand, a line of its own (TIP 427's -connecting, for a run). */
	progress_show(arg, false);
}

static void
verbose_attempt(const struct target *t, const struct ap_attempt *a)
{
	if (t->eng->opt->verbose == 0)
		return;
	/* One line per attempt: which address, what came of it, how far
	 * it got, and when. */
	if (a->error == 0)
		note(t->eng, "asyncprobe: %s: %s port %u: connected in "
		    "%lld.%03lld ms\n", t->text, a->ip, t->port,
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
	else
		note(t->eng, "asyncprobe: %s: %s port %u: %s (%s, %s) "
		    "after %lld.%03lld ms\n", t->text, a->ip, t->port,
		    ap_status_name(ap_status_from_error(a->error)),
		    ap_errno_name(a->error), ap_stage_name(a->stage),
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
}

/* ---- targets --------------------------------------------------------- */

static void
target_free(struct target *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nactive; i++)
		ap_probe_free(t->active[i].probe);
	ap_probe_free(t->talker);
	ap_resolve_cancel(t->lookup);
	if (t->stagger != NULL)
		event_free(t->stagger);
	ap_addrlist_clear(&t->addrs);
	if (t->active != t->active_inline)
		free(t->active);
	if (t->attempts != t->attempts_inline)
		free(t->attempts);
	free(t->banner);
	free(t);
}

/* Double an array that starts inline in the target. */
static void *
grow(void *v, void *inline_v, size_t *cap, size_t size)
{
	void	*n;

	if (v == inline_v) {
		n = xreallocarray(NULL, *cap * 2, size);
		memcpy(n, v, *cap * size);
	} else
		n = xreallocarray(v, *cap * 2, size);
	*cap *= 2;
	return (n);
}

static struct ap_attempt *
attempt_add(struct target *t, const struct ap_addr *a)
{
	struct ap_attempt	*at;

	if (t->nattempts == t->capattempts)
		t->attempts = grow(t->attempts, t->attempts_inline,
		    &t->capattempts, sizeof(*t->attempts));
	at = &t->attempts[t->nattempts++];
	memset(at, 0, sizeof(*at));
	ap_addr_ntop(a, at->ip, sizeof(at->ip));
	at->family = a->u.sa.sa_family;
	at->start_us = now_us() - t->start_us;
	return (at);
}

static void
active_remove(struct target *t, size_t i)
{
	t->active[i] = t->active[--t->nactive];
}

/* A descriptor was released: a target starved of one may go on. */
static void
engine_kick_starved(struct ap_engine *eng)
{
	if (!TAILQ_EMPTY(&eng->starved))
		event_active(eng->retry_ev, EV_TIMEOUT, 1);
}

/* Close every attempt still running: another address has won. */
static void
abandon_others(struct target *t)
{
	struct ap_attempt	*at;
	int64_t			 now = now_us();
	size_t			 i;

	for (i = 0; i < t->nactive; i++) {
		at = &t->attempts[t->active[i].attempt];
		at->error = ECANCELED;
		at->stage = AP_STAGE_HANDSHAKE;
		at->duration_us = now - t->start_us - at->start_us;
		ap_probe_free(t->active[i].probe);
	}
	if (t->nactive > 0)
		engine_kick_starved(t->eng);
	t->nactive = 0;
}

static void
exchange_cb(struct ap_probe *p, const struct ap_exchange_outcome *xo,
    void *arg)
{
	struct target	*t = arg;

	(void)p;
	t->exchanged = true;
	t->matched = xo->matched;
	if (xo->len > 0) {
		t->banner = xmalloc(xo->len);
		memcpy(t->banner, xo->data, xo->len);
		t->banner_len = xo->len;
	}
	target_finish(t);	/* a no-op when the deadline is ending it */
}

static void
probe_cb(struct ap_probe *p, const struct ap_probe_outcome *o, void *arg)
{
	struct target		*t = arg;
	struct ap_attempt	*at;
	size_t			 i;

	for (i = 0; i < t->nactive; i++)
		if (t->active[i].probe == p)
			break;
	if (i == t->nactive)
		abort();	/* a probe the target does not own */
	at = &t->attempts[t->active[i].attempt];
	at->error = o->error;
	at->stage = o->stage;
	at->duration_us = o->duration_us;
	verbose_attempt(t, at);
	active_remove(t, i);
	if (at->error == 0 && t->eng->talk && !t->eng->opt->all_addresses) {
		/* The first to connect is the only one that talks. */
		t->winner = (int)(at - t->attempts);
		abandon_others(t);
		if (t->stagger != NULL)
			evtimer_del(t->stagger);
		if (ap_probe_exchange(p, &t->eng->exchange, exchange_cb,
		    t) == 0) {
			t->talker = p;
			return;
		}
		t->exchanged = true;
	}
	ap_probe_free(p);		/* o goes with it */
	engine_kick_starved(t->eng);
	if (at->error == 0) {
		/* -m probes every address; otherwise the first wins. */
		if (!t->eng->opt->all_addresses)
			t->winner = (int)(at - t->attempts);
	} else
		/* RFC 8305 5: a failure starts the next attempt at once. */
		t->stagger_running = false;
	target_try_next(t);
}

static void
stagger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct target	*t = arg;

	(void)fd, (void)what;
	t->stagger_running = false;
	target_try_next(t);
}

/* Every target has the same -t, so the in-flight list, kept in start
 * order, is also in deadline order: one timer, armed for the oldest
 * target, serves them all (limit.c's FIFO; no heap, no event each). */
static void
deadline_arm(struct ap_engine *eng)
{
	struct target	*t = TAILQ_FIRST(&eng->inflight);
	struct timeval	 tv;
	int64_t		 us;

	if (t == NULL || evtimer_pending(eng->deadline_ev, NULL))
		return;
	us = t->deadline_us - now_us();
	if (us < 0)
		us = 0;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(eng->deadline_ev, &tv);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct target		*t;
	int64_t			 now = now_us();

	(void)fd, (void)what;
	/* Within a millisecond counts: the loop's clock and ours differ
	 * by a little. */
	while ((t = TAILQ_FIRST(&eng->inflight)) != NULL &&
	    t->deadline_us <= now + 1000)
		target_finish(t);	/* a retry moves t to the end */
	deadline_arm(eng);
}

/* The time left before the target's deadline, as a cap for one attempt
 * when --attempt-timeout is shorter; NULL when the deadline alone rules. */
static const struct timeval *
attempt_timeout(const struct target *t, struct timeval *tv)
{
	int64_t	left = t->deadline_us - now_us();
	int64_t	cap = (int64_t)t->eng->opt->attempt_timeout_ms * 1000;

	if (cap <= 0 || cap >= left)
		return (NULL);
	tv->tv_sec = cap / 1000000;
	tv->tv_usec = cap % 1000000;
	return (tv);
}

static bool
may_start_another(const struct target *t)
{
	if (t->winner >= 0 || t->starved)
		return (false);
	if (t->eng->opt->all_addresses)
		return (true);	/* every address, all at once */
	if (t->nactive == 0)
		return (true);
	return (!t->eng->opt->sequential && !t->stagger_running);
}

static void
starve(struct target *t, const struct ap_addr *a, int error,
    enum ap_stage stage)
{
	struct ap_engine	*eng = t->eng;
	struct timeval		 tv;

	ap_addrlist_unget(&t->addrs, a);
	t->starved = true;
	t->starved_addr = *a;
	eng->starved_again = true;
	t->starved_error = error;
	t->starved_stage = stage;
	TAILQ_INSERT_TAIL(&eng->starved, t, starved_entry);
	/* Take no new targets until this one is served (SPEC 3.6: lower
	 * the concurrency for a while); it grows back one by one. */
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
abandon_oldest(struct target *t)
{
	struct ap_attempt	*at;
	size_t			 i, oldest = 0;

	for (i = 1; i < t->nactive; i++)
		if (t->active[i].attempt < t->active[oldest].attempt)
			oldest = i;
	at = &t->attempts[t->active[oldest].attempt];
	at->error = ETIMEDOUT;
	at->stage = AP_STAGE_HANDSHAKE;
	at->duration_us = now_us() - t->start_us - at->start_us;
	verbose_attempt(t, at);
	ap_probe_free(t->active[oldest].probe);
	active_remove(t, oldest);
}

static void
target_try_next(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	const struct ap_addr	*a;
	const struct ap_addr	*src;
	struct ap_probe		*p;
	struct ap_attempt	*at;
	struct timeval		 tv;
	enum ap_stage		 stage;
	struct ap_addr		 dst;

	while (may_start_another(t) && (a = ap_addrlist_next(&t->addrs))) {
		dst = *a;
		ap_addr_set_port(&dst, t->port);
		src = eng->have_source ? &eng->source : NULL;
		p = ap_probe_start(eng->base, &dst, src,
		    attempt_timeout(t, &tv), probe_cb, t, &stage);
		if (p == NULL) {
			if (!ap_probe_is_backpressure(errno)) {
				system_failure(eng, "connect", errno);
				return;
			}
			starve(t, a, errno, stage);
			/* A target racing stalled addresses must not hold
			 * descriptors the others wait for: out of them, it
			 * gives up its oldest attempt for the next address,
			 * as --attempt-timeout would have. */
			if (t->nactive > 0)
				abandon_oldest(t);
			break;
		}
		t->state = TS_CONNECTING;
		at = attempt_add(t, a);
		if (t->nactive == t->capactive)
			t->active = grow(t->active, t->active_inline,
			    &t->capactive, sizeof(*t->active));
		t->active[t->nactive].probe = p;
		t->active[t->nactive].attempt = (size_t)(at - t->attempts);
		t->nactive++;
		/* The stagger matters only while more addresses may come. */
		if (!eng->opt->sequential && (!t->resolved ||
		    ap_addrlist_pending(&t->addrs) > 0)) {
			if (t->stagger == NULL &&
			    (t->stagger = evtimer_new(eng->base, stagger_cb,
			    t)) == NULL) {
				system_failure(eng, "event", ENOMEM);
				return;
			}
			evtimer_add(t->stagger, eng->stagger_tv);
			t->stagger_running = true;
		}
	}
	/* A winner still talking (--send, --expect, --banner) ends through
	 * exchange_cb() or the deadline. */
	if ((t->winner >= 0 && t->talker == NULL) ||
	    (t->winner < 0 && t->nactive == 0 && !t->starved &&
	    t->resolved && ap_addrlist_pending(&t->addrs) == 0))
		target_finish(t);
}

static void
resolved_cb(const struct ap_addr *addrs, size_t n, bool done, int error,
    void *arg)
{
	struct target	*t = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		ap_addrlist_add(&t->addrs, &addrs[i].u.sa, addrs[i].len);
	if (done) {
		t->lookup = NULL;	/* the resolver dropped it */
		t->resolved = true;
		t->dns_error = error;
	}
	target_try_next(t);
}

/* Stop whatever still runs for t: attempts still racing end as timed out
 * (the deadline struck) or abandoned (another address won); a target
 * starved of descriptors to the end gets that as its last attempt. */
static void
target_settle(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	struct ap_attempt	*at;
	int64_t			 now = now_us();
	size_t			 i;

	if (t->talker != NULL) {
		if (!t->exchanged)	/* runs exchange_cb at once */
			ap_probe_exchange_finish(t->talker);
		ap_probe_free(t->talker);
		t->talker = NULL;
		engine_kick_starved(eng);
	}
	if (t->winner >= 0)
		abandon_others(t);
	for (i = 0; i < t->nactive; i++) {
		at = &t->attempts[t->active[i].attempt];
		/* Cut short by a signal or --max-runtime, not timed out. */
		at->error = eng->cancelling ? ECANCELED : ETIMEDOUT;
		at->stage = AP_STAGE_HANDSHAKE;
		at->duration_us = now - t->start_us - at->start_us;
		verbose_attempt(t, at);
		ap_probe_free(t->active[i].probe);
	}
	if (t->nactive > 0)
		engine_kick_starved(eng);
	t->nactive = 0;
	if (t->starved && t->winner < 0) {
		/* Out of descriptors or ports until the very end: only now
		 * is that a verdict (SPEC 3.6). */
		at = attempt_add(t, &t->starved_addr);
		at->error = t->starved_error;
		at->stage = t->starved_stage;
	}
	if (t->starved) {
		TAILQ_REMOVE(&eng->starved, t, starved_entry);
		t->starved = false;
	}
}

static void
result_init(const struct target *t, struct ap_result *r)
{
	memset(r, 0, sizeof(*r));
	r->target = t->text;
	r->host = t->host;
	r->port = t->port;
	r->ip = "";
	r->rtt_us = -1;
	r->elapsed_us = now_us() - t->start_us;
	r->file = t->file;
	r->line = t->line;
	r->attempts = t->attempts;
	r->nattempts = t->nattempts;
	r->addresses = (unsigned)t->nattempts;
}

/* The record of a target (SPEC 4): the winner, else the final
 * prioritized error, else why no address was found. */
static void
target_verdict(const struct target *t, struct ap_result *r)
{
	const struct ap_engine	*eng = t->eng;
	const struct ap_attempt	*at;
	size_t			 i;
	int			 best;

	result_init(t, r);
	if (t->winner >= 0) {
		at = &t->attempts[t->winner];
		r->status = AP_STATUS_CONNECTED;
		r->ip = at->ip;
		r->rtt_us = at->duration_us;
		for (i = 0; i < t->nattempts; i++)
			if (t->attempts[i].start_us <= at->start_us &&
			    t->attempts[i].error != 0 &&
			    t->attempts[i].error != ECANCELED)
				r->degraded = true;
		if (eng->opt->banner_max > 0) {
			r->banner = t->banner != NULL ? t->banner : "";
			r->banner_len = t->banner_len;
		}
		if (eng->opt->expect != NULL && !t->matched) {
			r->status = AP_STATUS_MISMATCH;
			r->error_text = "the expected text did not come";
		}
	} else if ((best = ap_result_final_error(t->attempts,
	    t->nattempts)) >= 0) {
		at = &t->attempts[best];
		r->error = at->error;
		r->status = ap_status_from_error(at->error);
		r->ip = at->ip;
	} else {
		/* No address was ever tried: the name is the problem, or
		 * the deadline came first. */
		r->status = AP_STATUS_UNRESOLVED;
		r->error = t->resolved ? t->dns_error : ETIMEDOUT;
		if (r->error == 0)
			r->error = AP_ERR_NODATA;
	}
	if (eng->cancelling && t->winner < 0) {
		r->status = AP_STATUS_CANCELLED;
		r->error = ECANCELED;
		r->error_text = NULL;
	}
}

/* -r: a timeout or a local shortage earns another round; a refusal or an
 * unreachable network is an answer and never does. */
static bool
target_retry(struct target *t, const struct ap_result *r)
{
	struct ap_engine	*eng = t->eng;

	if (t->rounds_left <= 0 || eng->stopping)
		return (false);
	if (r->status != AP_STATUS_TIMEOUT && !(r->status ==
	    AP_STATUS_ERROR && ap_probe_is_backpressure(r->error)))
		return (false);
	t->rounds_left--;
	t->state = TS_CONNECTING;
	t->addrs.next6 = t->addrs.next4 = 0;
	t->addrs.last_family = 0;
	t->stagger_running = false;
	t->deadline_us = now_us() + (int64_t)eng->opt->timeout_ms * 1000;
	/* The latest deadline of all: the end of the in-flight list. */
	TAILQ_REMOVE(&eng->inflight, t, entry);
	TAILQ_INSERT_TAIL(&eng->inflight, t, entry);
	deadline_arm(eng);
	target_try_next(t);
	return (true);
}

/* -m: one record per address tried, each with its own verdict. */
static void
emit_per_address(struct target *t)
{
	struct ap_result	 r;
	const struct ap_attempt	*at;
	size_t			 i;

	for (i = 0; i < t->nattempts; i++) {
		at = &t->attempts[i];
		result_init(t, &r);
		r.ip = at->ip;
		r.attempts = at;
		r.nattempts = 1;
		r.addresses = 1;
		if (at->error == 0) {
			r.status = AP_STATUS_CONNECTED;
			r.rtt_us = at->duration_us;
		} else {
			r.status = ap_status_from_error(at->error);
			r.error = at->error;
		}
		emit(t->eng, &r);
	}
}

/* The one place a target ends: its record is written, then it is freed
 * and the engine takes the next target from the input. */
static void
target_finish(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	struct ap_result	 r;

	if (t->state == TS_DONE)
		return;
	t->state = TS_DONE;
	target_settle(t);
	target_verdict(t, &r);
	if (target_retry(t, &r))
		return;
	group_begin(eng);
	if (eng->opt->all_addresses && t->nattempts > 0 && !eng->cancelling)
		emit_per_address(t);
	else
		emit(eng, &r);
	group_end(eng, t->seq);

	TAILQ_REMOVE(&eng->inflight, t, entry);
	eng->ninflight--;
	if (eng->counts != NULL)
		atomic_fetch_sub_explicit(&eng->counts->inflight, 1,
		    memory_order_relaxed);
	target_free(t);
	/* Additive increase after back-pressure lowered the cap. */
	if (eng->cap < eng->max_inflight && TAILQ_EMPTY(&eng->starved))
		eng->cap++;
	if (!eng->stopping)
		engine_fill(eng);
}

static void
invalid_record(struct ap_engine *eng, const struct ap_input_item *it,
    const char *reason)
{
	struct ap_result	r;

	note(eng, "%s:%lu: %s\n", it->file, it->line, reason);
	memset(&r, 0, sizeof(r));
	r.target = it->text;
	r.host = it->host != NULL ? it->host : "";
	r.port = it->port;
	r.status = AP_STATUS_INVALID;
	r.ip = "";
	r.rtt_us = -1;
	r.error_text = reason;
	r.file = it->file;
	r.line = it->line;
	group_begin(eng);
	emit(eng, &r);
	group_end(eng, it->index);
}

static void
target_start(struct ap_engine *eng, const struct ap_input_item *it)
{
	struct target	*t;
	struct ap_addr	 a;
	size_t		 textlen, hostlen;

	if (eng->opt->numeric && !it->host_is_ip) {
		invalid_record(eng, it, "a name, but -n/--numeric forbids "
		    "DNS: give an address");
		return;
	}
	textlen = strlen(it->text) + 1;
	hostlen = strlen(it->host) + 1;
	t = xmalloc(sizeof(*t) + textlen + hostlen);
	memset(t, 0, sizeof(*t));
	t->eng = eng;
	t->text = memcpy(t->strings, it->text, textlen);
	t->host = memcpy(t->strings + textlen, it->host, hostlen);
	t->attempts = t->attempts_inline;
	t->capattempts = 2;
	t->active = t->active_inline;
	t->capactive = 2;
	t->port = it->port;
	t->file = it->file;
	t->line = it->line;
	t->winner = -1;
	t->rounds_left = eng->opt->retries;
	t->seq = it->index;
	t->state = TS_RESOLVING;
	t->start_us = now_us();
	t->deadline_us = t->start_us + (int64_t)eng->opt->timeout_ms * 1000;
	TAILQ_INSERT_TAIL(&eng->inflight, t, entry);
	if (++eng->ninflight > eng->peak)
		eng->peak = eng->ninflight;
	if (eng->counts != NULL)
		atomic_fetch_add_explicit(&eng->counts->inflight, 1,
		    memory_order_relaxed);
	deadline_arm(eng);
	if (it->host_is_ip) {
		/* Numeric hosts skip every name table and DNS. */
		if (ap_addr_pton(it->host, 0, &a) == 0 &&
		    (eng->family == AF_UNSPEC ||
		    eng->family == a.u.sa.sa_family))
			ap_addrlist_add(&t->addrs, &a.u.sa, a.len);
		else
			t->dns_error = AP_ERR_NODATA;
		t->resolved = true;
	} else if (ap_resolver_static(eng->resolver, it->host, &t->addrs)) {
		t->resolved = true;
		if (ap_addrlist_count(&t->addrs) == 0)
			t->dns_error = AP_ERR_NODATA;
	} else {
		t->lookup = ap_resolve_start(eng->resolver, it->host,
		    resolved_cb, t);
		if (t->lookup == NULL) {
			system_failure(eng, "DNS client", errno);
			return;
		}
		return;
	}
	target_try_next(t);
}

static void
input_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	engine_fill(arg);
}

/* --shard K/N: the input's targets are dealt round robin, so N runs with
 * K = 1..N cover every target (invalid lines included) exactly once. */
static bool
in_shard(const struct ap_engine *eng, const struct ap_input_item *it)
{
	return (eng->opt->shard_n <= 1 ||
	    it->index % eng->opt->shard_n == eng->opt->shard_k - 1);
}

/* --rate: new targets start no closer together than 1/rate seconds, and
 * time lost (an idle input) is not made up in a burst. */
static bool
rate_allows(struct ap_engine *eng)
{
	double		wait_us;
	struct timeval	tv;

	if (eng->rate <= 0)
		return (true);
	wait_us = eng->rate_next_us - (double)now_us();
	if (wait_us <= 0)
		return (true);
	if (!evtimer_pending(eng->rate_ev, NULL)) {
		tv.tv_sec = (time_t)(wait_us / 1e6);
		tv.tv_usec = (suseconds_t)(wait_us - (double)tv.tv_sec * 1e6);
		evtimer_add(eng->rate_ev, &tv);
	}
	return (false);
}

static void
rate_take(struct ap_engine *eng)
{
	double	now = (double)now_us();

	if (eng->rate <= 0)
		return;
	if (eng->rate_next_us < now)
		eng->rate_next_us = now;
	eng->rate_next_us += 1e6 / eng->rate;
}

/* Take targets from the input while there is room for them. */
/* Read on after the loop has polled once more.  A zero timeout, not
 * event_active(): an event made active from its own callback runs again
 * in the same pass, and the loop would never poll. */
static void
fill_later(struct ap_engine *eng)
{
	static const struct timeval zero = { 0, 0 };

	evtimer_add(eng->fill_ev, &zero);
}

static void
wait_for_input(struct ap_engine *eng, int fd)
{
	if (fd == -1)
		return;		/* -j: another engine's wake-up will come */
	if (eng->input_ev == NULL) {
		eng->input_ev = event_new(eng->base, fd, EV_READ, input_cb,
		    eng);
		if (eng->input_ev == NULL) {
			system_failure(eng, "event", ENOMEM);
			return;
		}
	}
	event_add(eng->input_ev, NULL);
}

static void
engine_fill(struct ap_engine *eng)
{
	struct ap_input_item	it;
	enum ap_input_rc	rc;
	int			n, fd;

	for (n = 0; n < FILL_BATCH; n++) {
		if (eng->input_done || eng->stopping ||
		    eng->ninflight >= eng->cap)
			break;
		if (eng->reorder != NULL &&
		    !ap_reorder_fits(eng->reorder, eng->next_seq))
			break;		/* the oldest item holds the window */
		if (!rate_allows(eng))
			break;
		if (eng->share != NULL)
			rc = ap_share_next(eng->share, eng->idx, &it, &fd);
		else {
			rc = ap_input_next(eng->input, &it);
			fd = ap_input_fd(eng->input);
		}
		switch (rc) {
		case AP_INPUT_TARGET:
			eng->next_seq = it.index + 1;
			if (!in_shard(eng, &it))
				group_end(eng, it.index);
			else {
				rate_take(eng);
				target_start(eng, &it);
			}
			break;
		case AP_INPUT_INVALID:
			eng->next_seq = it.index + 1;
			if (!in_shard(eng, &it))
				group_end(eng, it.index);
			else
				invalid_record(eng, &it, it.reason);
			break;
		case AP_INPUT_FILE_ERROR:
			note(eng, "asyncprobe: %s\n", it.reason);
			eng->tally.file_errors++;
			break;
		case AP_INPUT_AGAIN:
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
		event_base_loopexit(eng->base, NULL);
}

static void
fill_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	engine_fill(arg);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct target		*t;

	(void)fd, (void)what;
	/* Serve starved targets in arrival order; one that starves again
	 * goes back to the end and re-arms the backoff timer. */
	while ((t = TAILQ_FIRST(&eng->starved)) != NULL) {
		TAILQ_REMOVE(&eng->starved, t, starved_entry);
		t->starved = false;
		eng->starved_again = false;
		target_try_next(t);	/* may end and free t */
		if (eng->starved_again)	/* still out: wait */
			return;
	}
	eng->retry_ms = RETRY_MIN_MS;
	evtimer_del(eng->retry_ev);
	engine_fill(eng);
}

/* -j: targets already read and dealt to this engine, but not started,
 * were read all the same: each gets its cancelled record. */
static void
cancel_dealt(struct ap_engine *eng)
{
	struct ap_input_item	it;
	struct ap_result	r;
	enum ap_input_rc	rc;
	int			fd;

	ap_share_cancel(eng->share);
	for (;;) {
		rc = ap_share_next(eng->share, eng->idx, &it, &fd);
		if ((rc == AP_INPUT_TARGET || rc == AP_INPUT_INVALID) &&
		    !in_shard(eng, &it))
			continue;
		switch (rc) {
		case AP_INPUT_TARGET:
			memset(&r, 0, sizeof(r));
			r.target = it.text;
			r.host = it.host;
			r.port = it.port;
			r.status = AP_STATUS_CANCELLED;
			r.ip = "";
			r.rtt_us = -1;
			r.error = ECANCELED;
			r.file = it.file;
			r.line = it.line;
			emit(eng, &r);
			break;
		case AP_INPUT_INVALID:
			invalid_record(eng, &it, it.reason);
			break;
		case AP_INPUT_FILE_ERROR:
			note(eng, "asyncprobe: %s\n", it.reason);
			eng->tally.file_errors++;
			break;
		default:
			return;
		}
	}
}

/* End every target in flight as cancelled (written after a signal, only
 * counted after an output failure). */
static void
cancel_all(struct ap_engine *eng)
{
	struct target	*t;

	eng->stopping = true;
	eng->cancelling = true;
	while ((t = TAILQ_FIRST(&eng->inflight)) != NULL)
		target_finish(t);
	if (eng->share != NULL)
		cancel_dealt(eng);
	event_base_loopexit(eng->base, NULL);
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	cancel_all(arg);
}

/* Stop taking input and end the run.  Called from deep inside a target's
 * own handling (a write error), so the targets are ended from the loop. */
static void
engine_stop(struct ap_engine *eng)
{
	if (eng->stopping)
		return;
	eng->stopping = true;
	event_active(eng->stop_ev, EV_TIMEOUT, 1);
}

static void
runtime_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* --max-runtime: what has not finished is cancelled. */
	cancel_all(arg);
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

/* ---- setup ----------------------------------------------------------- */

/* Raise the soft descriptor limit to the hard one and keep -c under it
 * (SPEC 1), leaving room for the process's own descriptors. */
static unsigned
concurrency_limit(int wanted_c)
{
	struct rlimit	rl;
	rlim_t		room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return ((unsigned)wanted_c);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur > 2 * RESERVED_FDS ? rl.rlim_cur - RESERVED_FDS :
	    rl.rlim_cur / 2;
	if (room < 1)
		room = 1;
	if ((rlim_t)wanted_c > room)
		return ((unsigned)room);
	return ((unsigned)wanted_c);
}

/* A base is only ever used by the thread that made it: with -j, libevent's
 * global state is locked (evthread_use_pthreads()), never the bases. */
static struct event_base *
base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return (NULL);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return (base);
}

static int
make_common_timeout(struct ap_engine *eng, int ms, const struct timeval **out)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	/* Every target shares the same durations, so libevent keeps their
	 * timers in O(1) queues instead of its heap. */
	*out = event_base_init_common_timeout(eng->base, &tv);
	return (*out == NULL ? -1 : 0);
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
		engine_fill(eng);
}

/* -j: the pipe the other engines and the main thread wake this one by,
 * and the buffer its records gather in. */
static int
share_setup(struct ap_engine *eng)
{
	eng->wake[0] = eng->wake[1] = -1;
	if (pipe2(eng->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);
	ap_share_set_wake(eng->share, eng->idx, eng->wake[1]);
	eng->counts = ap_share_counts(eng->share);
	if ((eng->wake_ev = event_new(eng->base, eng->wake[0],
	    EV_READ | EV_PERSIST, wake_cb, eng)) == NULL ||
	    event_add(eng->wake_ev, NULL) == -1)
		return (-1);
	if ((eng->ofp = open_memstream(&eng->obuf, &eng->olen)) == NULL)
		return (-1);
	return (0);
}

static struct ap_engine *
engine_new(const struct ap_options *opt, struct ap_input *input,
    struct ap_share *share, int idx, int nengines, struct ap_writer *writer,
    struct ap_stats *stats, char *errbuf, size_t errlen)
{
	struct ap_engine		*eng = xcalloc(1, sizeof(*eng));
	struct ap_resolver_config	 rc;
	int				 i, delay;

	eng->opt = opt;
	eng->input = input;
	eng->share = share;
	eng->idx = idx;
	eng->wake[0] = eng->wake[1] = -1;
	eng->writer = writer;
	eng->stats = stats;
	eng->family = opt->family;
	eng->retry_ms = RETRY_MIN_MS;
	TAILQ_INIT(&eng->inflight);
	TAILQ_INIT(&eng->starved);
	/* -j: the descriptors, -c and --rate are split between engines. */
	eng->max_inflight = concurrency_limit(opt->concurrency);
	eng->max_inflight = (eng->max_inflight + (unsigned)nengines - 1) /
	    (unsigned)nengines;
	eng->rate = (double)opt->rate / nengines;
	eng->exchange.send = opt->send_data;
	eng->exchange.send_len = opt->send_len;
	eng->exchange.expect = opt->expect;
	eng->exchange.expect_len = opt->expect_len;
	eng->exchange.banner_max = (size_t)opt->banner_max;
	eng->talk = opt->send_data != NULL || opt->expect != NULL ||
	    opt->banner_max > 0;
	/* prom and nagios are written whole at the end: nothing to order. */
	if (opt->ordered && opt->format != AP_FORMAT_PROM &&
	    opt->format != AP_FORMAT_NAGIOS)
		eng->reorder = ap_reorder_new(4 * (size_t)eng->max_inflight +
		    FILL_BATCH);
	eng->cap = eng->max_inflight;
	eng->last_flush_us = now_us();

	if (opt->source != NULL) {
		if (ap_addr_pton(opt->source, 0, &eng->source) == -1) {
			snprintf(errbuf, errlen, "invalid value '%s' for "
			    "-S/--source: not an IPv4 or IPv6 address",
			    opt->source);
			goto fail;
		}
		eng->have_source = true;
		/* Only addresses of the source's family can be reached. */
		if (eng->family == AF_UNSPEC)
			eng->family = eng->source.u.sa.sa_family;
	}

	if ((eng->base = base_new()) == NULL ||
	    event_base_priority_init(eng->base, NPRIO) == -1) {
		snprintf(errbuf, errlen, "cannot create the event loop");
		goto fail;
	}
	delay = opt->attempt_delay_ms;
	if (delay < AP_ATTEMPT_DELAY_MIN_MS)
		delay = AP_ATTEMPT_DELAY_MIN_MS;
	if (delay > AP_ATTEMPT_DELAY_MAX_MS)
		delay = AP_ATTEMPT_DELAY_MAX_MS;
	if (make_common_timeout(eng, delay, &eng->stagger_tv)) {
		snprintf(errbuf, errlen, "cannot create timers");
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
	for (i = 0; i < opt->npins; i++) {
		char	reason[AP_ERRBUF_LEN];

		if (ap_resolver_pin(eng->resolver, opt->pins[i].host,
		    opt->pins[i].addrs, reason, sizeof(reason)) == -1) {
			snprintf(errbuf, errlen, "invalid value '%s:%s' for "
			    "--resolve: %s", opt->pins[i].host,
			    opt->pins[i].addrs, reason);
			goto fail;
		}
	}

	eng->fill_ev = event_new(eng->base, -1, 0, fill_cb, eng);
	eng->deadline_ev = evtimer_new(eng->base, deadline_cb, eng);
	eng->flush_ev = event_new(eng->base, -1, 0, flush_cb, eng);
	eng->retry_ev = evtimer_new(eng->base, retry_cb, eng);
	eng->stop_ev = event_new(eng->base, -1, 0, stop_cb, eng);
	eng->runtime_ev = evtimer_new(eng->base, runtime_cb, eng);
	eng->rate_ev = evtimer_new(eng->base, fill_cb, eng);
	eng->progress_ev = event_new(eng->base, -1, EV_PERSIST, progress_cb,
	    eng);
	if (eng->fill_ev == NULL || eng->flush_ev == NULL ||
	    eng->deadline_ev == NULL ||
	    event_priority_set(eng->deadline_ev, PRIO_TIMER) == -1 ||
	    eng->retry_ev == NULL || eng->stop_ev == NULL ||
	    eng->runtime_ev == NULL || eng->rate_ev == NULL ||
	    eng->progress_ev == NULL ||
	    event_priority_set(eng->flush_ev, PRIO_FLUSH) == -1 ||
	    event_priority_set(eng->fill_ev, PRIO_FLUSH) == -1) {
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
		return (eng);
	}
	eng->sigint_ev = evsignal_new(eng->base, SIGINT, signal_cb, eng);
	eng->sigterm_ev = evsignal_new(eng->base, SIGTERM, signal_cb, eng);
	eng->sigusr1_ev = evsignal_new(eng->base, SIGUSR1, sigusr1_cb, eng);
	if (eng->sigint_ev == NULL || eng->sigusr1_ev == NULL ||
	    eng->sigterm_ev == NULL ||
	    event_add(eng->sigint_ev, NULL) == -1 ||
	    event_add(eng->sigterm_ev, NULL) == -1 ||
	    event_add(eng->sigusr1_ev, NULL) == -1) {
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
	return (engine_new(opt, input, NULL, 0, 1, writer, stats, errbuf,
	    errlen));
}

struct ap_engine *
ap_engine_new_shared(const struct ap_options *opt, struct ap_share *share,
    int idx, int nengines, struct ap_writer *writer, struct ap_stats *stats,
    char *errbuf, size_t errlen)
{
	return (engine_new(opt, NULL, share, idx, nengines, writer, stats,
	    errbuf, errlen));
}

const struct ap_engine_tally *
ap_engine_run(struct ap_engine *eng)
{
	bool	alone = eng->share == NULL;

	/* -q: not even a header; prom and nagios write nothing either.
	 * -j: the caller writes the header and the end once. */
	if (alone && !eng->opt->quiet &&
	    ap_writer_begin(eng->writer) == -1) {
		if (errno == EPIPE)
			eng->tally.output_closed = true;
		else
			system_failure(eng, "write", errno);
		return (&eng->tally);
	}
	eng->start_us = now_us();
	eng->progress_tty = isatty(STDERR_FILENO);
	if (alone && (eng->opt->progress == AP_PROGRESS_ALWAYS ||
	    (eng->opt->progress == AP_PROGRESS_AUTO && eng->progress_tty))) {
		/* At most 4 redraws a second on a terminal; elsewhere a
		 * line a second is plenty for a log. */
		struct timeval tv = { eng->progress_tty ? 0 : 1,
		    eng->progress_tty ? 250000 : 0 };

		event_priority_set(eng->progress_ev, PRIO_FLUSH);
		event_add(eng->progress_ev, &tv);
	}
	if (eng->opt->max_runtime_ms > 0) {
		struct timeval tv = { eng->opt->max_runtime_ms / 1000,
		    (eng->opt->max_runtime_ms % 1000) * 1000 };

		evtimer_add(eng->runtime_ev, &tv);
	}
	engine_fill(eng);
	if (!eng->stopping && !(eng->input_done && eng->ninflight == 0) &&
	    event_base_dispatch(eng->base) == -1)
		system_failure(eng, "event loop", errno);
	if (eng->ninflight > 0)		/* loop ended early: never lose one */
		cancel_all(eng);
	progress_erase(eng);
	if (!alone) {
		if (!eng->tally.output_closed && eng->tally.system_error == 0)
			flush_output(eng);
		return (&eng->tally);
	}
	if (!eng->opt->quiet && !eng->tally.output_closed &&
	    eng->tally.system_error == 0 && ap_writer_end(eng->writer) == -1) {
		if (errno == EPIPE)
			eng->tally.output_closed = true;
		else
			system_failure(eng, "write", errno);
	}
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
	return (eng->max_inflight);
}

void
ap_engine_free(struct ap_engine *eng)
{
	struct target	*t;

	if (eng == NULL)
		return;
	eng->stopping = true;
	while ((t = TAILQ_FIRST(&eng->inflight)) != NULL) {
		TAILQ_REMOVE(&eng->inflight, t, entry);
		target_free(t);
	}
	if (eng->input_ev != NULL)
		event_free(eng->input_ev);
	if (eng->fill_ev != NULL)
		event_free(eng->fill_ev);
	if (eng->deadline_ev != NULL)
		event_free(eng->deadline_ev);
	if (eng->flush_ev != NULL)
		event_free(eng->flush_ev);
	if (eng->retry_ev != NULL)
		event_free(eng->retry_ev);
	if (eng->stop_ev != NULL)
		event_free(eng->stop_ev);
	if (eng->runtime_ev != NULL)
		event_free(eng->runtime_ev);
	if (eng->rate_ev != NULL)
		event_free(eng->rate_ev);
	if (eng->group_fp != NULL)
		fclose(eng->group_fp);
	free(eng->group_buf);
	ap_reorder_free(eng->reorder);
	if (eng->sigint_ev != NULL)
		event_free(eng->sigint_ev);
	if (eng->sigterm_ev != NULL)
		event_free(eng->sigterm_ev);
	if (eng->sigusr1_ev != NULL)
		event_free(eng->sigusr1_ev);
	if (eng->progress_ev != NULL)
		event_free(eng->progress_ev);
	if (eng->wake_ev != NULL)
		event_free(eng->wake_ev);
	if (eng->wake[0] != -1)
		close(eng->wake[0]);
	if (eng->wake[1] != -1) {
		ap_share_set_wake(eng->share, eng->idx, -1);
		close(eng->wake[1]);
	}
	if (eng->ofp != NULL)
		fclose(eng->ofp);
	free(eng->obuf);
	ap_resolver_free(eng->resolver);
	if (eng->base != NULL)
		event_base_free(eng->base);
	free(eng);
}
