/* SPDX-License-Identifier: ISC */
/* engine_run.c -- the engine's run: targets taken from the input (or, for
 * -j, from the share) while there is room, paced by --rate and --shard;
 * back-pressure; the end by signal, --max-runtime or output failure; and
 * setting up and freeing an engine. */
#include "config.h"

#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "xmalloc.h"

static void
input_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	ap_engine_fill(arg);
}

/* --shard K/N: the input's targets are dealt round robin, so N runs with
 * K = 1..N cover every target (invalid lines included) exactly once. */
static bool
in_shard(const struct ap_engine *eng, const struct ap_input_item *it)
{
	return (eng->opt->shard_n <= 1 ||
	    it->index % eng->opt->shard_n == eng->opt->shard_k - 1);
}

/* --rate: new targets start on a schedule of one every 1/rate seconds.
 * The loop's timer wakes up to a clock tick late (4 ms here, a dozen
 * starts at 3000/s), so starts that fell due meanwhile go at once: the
 * schedule lags at most RATE_CATCHUP_US behind the clock.  Longer gaps (an
 * idle input) are not made up in a burst. */
static bool
rate_allows(struct ap_engine *eng)
{
	double		wait_us;
	struct timeval	tv;

	if (eng->rate <= 0)
		return (true);
	wait_us = eng->rate_next_us - (double)ap_now_us();
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
	double	now = (double)ap_now_us();

	if (eng->rate <= 0)
		return;
	if (eng->rate_next_us < now - RATE_CATCHUP_US)
		eng->rate_next_us = now - RATE_CATCHUP_US;
	eng->rate_next_us += 1e6 / eng->rate;
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

static void
wait_for_input(struct ap_engine *eng, int fd)
{
	if (fd == -1)
		return;		/* -j: another engine's wake-up will come */
	if (eng->input_ev == NULL) {
		eng->input_ev = event_new(eng->base, fd, EV_READ, input_cb,
		    eng);
		if (eng->input_ev == NULL) {
			ap_engine_fail(eng, "event", ENOMEM);
			return;
		}
	}
	event_add(eng->input_ev, NULL);
}

/* Take targets from the input while there is room for them. */
void
ap_engine_fill(struct ap_engine *eng)
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
				ap_engine_group_end(eng, it.index);
			else {
				rate_take(eng);
				ap_engine_target_start(eng, &it);
			}
			break;
		case AP_INPUT_INVALID:
			eng->next_seq = it.index + 1;
			if (!in_shard(eng, &it))
				ap_engine_group_end(eng, it.index);
			else
				ap_engine_invalid(eng, &it, it.reason);
			break;
		case AP_INPUT_FILE_ERROR:
			ap_engine_note(eng, "asyncprobe: %s\n", it.reason);
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
	ap_engine_fill(arg);
}

/* Replace finished targets once this pass's ready sockets are all
 * handled: completions first, then new connects back to back, as a
 * raw epoll scanner does.  Interleaving them one for one costs more in
 * the kernel, which then keeps waking an idle peer for each SYN. */
void
ap_engine_refill(struct ap_engine *eng)
{
	event_active(eng->refill_ev, EV_TIMEOUT, 1);
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
		ap_engine_target_try_next(t);	/* may end and free t */
		if (eng->starved_again)	/* still out: wait */
			return;
	}
	eng->retry_ms = RETRY_MIN_MS;
	evtimer_del(eng->retry_ev);
	ap_engine_fill(eng);
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
			ap_engine_emit(eng, &r);
			break;
		case AP_INPUT_INVALID:
			ap_engine_invalid(eng, &it, it.reason);
			break;
		case AP_INPUT_FILE_ERROR:
			ap_engine_note(eng, "asyncprobe: %s\n", it.reason);
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
		ap_engine_target_finish(t);
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
void
ap_engine_stop(struct ap_engine *eng)
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
		ap_engine_fill(eng);
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
	if (opt->ordered && !ap_writer_whole_run(writer))
		eng->reorder = ap_reorder_new(4 * (size_t)eng->max_inflight +
		    FILL_BATCH);
	eng->cap = eng->max_inflight;
	eng->last_flush_us = ap_now_us();

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
	eng->refill_ev = event_new(eng->base, -1, 0, fill_cb, eng);
	eng->deadline_ev = evtimer_new(eng->base, ap_engine_deadline_cb, eng);
	eng->flush_ev = event_new(eng->base, -1, 0, ap_engine_flush_cb, eng);
	eng->retry_ev = evtimer_new(eng->base, retry_cb, eng);
	eng->stop_ev = event_new(eng->base, -1, 0, stop_cb, eng);
	eng->runtime_ev = evtimer_new(eng->base, runtime_cb, eng);
	eng->rate_ev = evtimer_new(eng->base, fill_cb, eng);
	eng->progress_ev = event_new(eng->base, -1, EV_PERSIST, ap_engine_progress_cb,
	    eng);
	if (eng->fill_ev == NULL || eng->flush_ev == NULL ||
	    eng->refill_ev == NULL ||
	    event_priority_set(eng->refill_ev, PRIO_RUN) == -1 ||
	    eng->deadline_ev == NULL ||
	    event_priority_set(eng->deadline_ev, PRIO_RUN) == -1 ||
	    eng->retry_ev == NULL || eng->stop_ev == NULL ||
	    eng->runtime_ev == NULL || eng->rate_ev == NULL ||
	    eng->progress_ev == NULL ||
	    event_priority_set(eng->flush_ev, PRIO_IDLE) == -1 ||
	    event_priority_set(eng->fill_ev, PRIO_IDLE) == -1) {
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
	eng->sigusr1_ev = evsignal_new(eng->base, SIGUSR1, ap_engine_sigusr1_cb, eng);
	if (eng->sigint_ev == NULL || eng->sigusr1_ev == NULL ||
	    eng->sigterm_ev == NULL ||
	    event_priority_set(eng->sigint_ev, PRIO_SIGNAL) == -1 ||
	    event_priority_set(eng->sigterm_ev, PRIO_SIGNAL) == -1 ||
	    event_priority_set(eng->sigusr1_ev, PRIO_SIGNAL) == -1 ||
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
			ap_engine_fail(eng, "write", errno);
		return (&eng->tally);
	}
	eng->start_us = ap_now_us();
	eng->rate_next_us = (double)eng->start_us;	/* no catch-up at first */
	eng->progress_tty = isatty(STDERR_FILENO);
	if (alone && (eng->opt->progress == AP_PROGRESS_ALWAYS ||
	    (eng->opt->progress == AP_PROGRESS_AUTO && eng->progress_tty))) {
		/* At most 4 redraws a second on a terminal; elsewhere a
		 * line a second is plenty for a log. */
		struct timeval tv = { eng->progress_tty ? 0 : 1,
		    eng->progress_tty ? 250000 : 0 };

		event_priority_set(eng->progress_ev, PRIO_RUN);
		event_add(eng->progress_ev, &tv);
	}
	if (eng->opt->max_runtime_ms > 0) {
		struct timeval tv = { eng->opt->max_runtime_ms / 1000,
		    (eng->opt->max_runtime_ms % 1000) * 1000 };

		evtimer_add(eng->runtime_ev, &tv);
	}
	ap_engine_fill(eng);
	if (!eng->stopping && !(eng->input_done && eng->ninflight == 0) &&
	    event_base_dispatch(eng->base) == -1)
		ap_engine_fail(eng, "event loop", errno);
	if (eng->ninflight > 0)		/* loop ended early: never lose one */
		cancel_all(eng);
	ap_engine_progress_erase(eng);
	if (!alone) {
		if (!eng->tally.output_closed && eng->tally.system_error == 0)
			ap_engine_flush(eng);
		return (&eng->tally);
	}
	if (!eng->opt->quiet && !eng->tally.output_closed &&
	    eng->tally.system_error == 0 && ap_writer_end(eng->writer) == -1) {
		if (errno == EPIPE)
			eng->tally.output_closed = true;
		else
			ap_engine_fail(eng, "write", errno);
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
		ap_engine_target_free(t);
	}
	if (eng->input_ev != NULL)
		event_free(eng->input_ev);
	if (eng->fill_ev != NULL)
		event_free(eng->fill_ev);
	if (eng->refill_ev != NULL)
		event_free(eng->refill_ev);
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
