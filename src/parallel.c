/* SPDX-License-Identifier: ISC */
/* parallel.c -- see parallel.h.  The worker threads never see a signal:
 * the main thread reads them from a signalfd while it waits for the
 * workers (each says it is done on a pipe) and wakes every engine through
 * its own pipe, so one SIGINT cancels the whole run. */
#include "config.h"

#include <sys/resource.h>
#include <sys/signalfd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/thread.h>

#include "clock.h"
#include "parallel.h"
#include "progress.h"
#include "load.h"
#include "share.h"
#include "stats.h"
#include "xmalloc.h"

struct worker {
	pthread_t			 thread;
	struct ap_engine		*eng;
	struct ap_stats			*stats;
	const struct ap_engine_tally	*tally;
	atomic_int			*running;
	int				 done_fd;	/* tell main */
};

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	ssize_t		 n;

	w->tally = ap_engine_run(w->eng);
	atomic_fetch_sub(w->running, 1);
	n = write(w->done_fd, "d", 1);
	(void)n;
	return (NULL);
}

static void
show_progress(struct ap_share *share, int64_t start_us, uint64_t total,
    bool own_line)
{
	struct ap_share_counts	*c = ap_share_counts(share);
	struct ap_progress_view	v;
	int			i;

	memset(&v, 0, sizeof(v));
	v.done = atomic_load(&c->done);
	for (i = 0; i < AP_STATUS_COUNT; i++)
		v.status[i] = atomic_load(&c->status[i]);
	v.inflight = ap_budget_used(ap_share_budget(share));
	v.elapsed_us = ap_now_us() - start_us;
	v.total = total;
	ap_progress_draw(ap_share_progress(share), &v, own_line);
}

static void
merge(struct ap_engine_tally *dst, const struct ap_engine_tally *src)
{
	int	i;

	for (i = 0; i < AP_STATUS_COUNT; i++)
		dst->status[i] += src->status[i];
	dst->targets += src->targets;
	dst->file_errors += src->file_errors;
	dst->output_closed |= src->output_closed;
	if (dst->system_error == 0) {
		dst->system_error = src->system_error;
		dst->system_what = src->system_what;
	}
}

/* Wait for the workers; meanwhile take the signals and draw progress. */
static int
supervise(const struct ap_options *o, struct ap_share *share,
    atomic_int *running, uint64_t total, int sigfd, int donefd)
{
	struct ap_progress_line	*pl = ap_share_progress(share);
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	int64_t			 start = ap_now_us(), last = 0, every;
	bool			 tty = pl->tty;
	bool			 show;
	char			 buf[64];
	int			 sig, caught = 0;

	show = o->progress == AP_PROGRESS_ALWAYS ||
	    (o->progress == AP_PROGRESS_AUTO && tty);
	every = tty ? 250000 : 1000000;
	while (atomic_load(running) > 0) {
		pfd[0].fd = sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = donefd;
		pfd[1].events = POLLIN;
		sig = 0;
		if (poll(pfd, 2, show ? (int)(every / 1000) : -1) > 0) {
			if ((pfd[0].revents & POLLIN) &&
			    read(sigfd, &si, sizeof(si)) == sizeof(si))
				sig = (int)si.ssi_signo;
			if ((pfd[1].revents & POLLIN) &&
			    read(donefd, buf, sizeof(buf)) < 0)
				sig = 0;
		}
		if (sig == SIGINT || sig == SIGTERM) {
			if (caught == 0)
				caught = sig;
			ap_share_cancel(share);
			ap_share_wake_all(share, 'c');
		} else if (sig == SIGUSR1)
			show_progress(share, start, total, true);
		if (show && ap_now_us() - last >= every) {
			show_progress(share, start, total, false);
			last = ap_now_us();
		}
	}
	ap_progress_hold(pl, true);	/* erases the line */
	ap_progress_release(pl);
	return (caught);
}

/* Run the engines on their threads (which inherit the blocked signals;
 * supervise() reads them from sigfd), then write the output's end. */
static void
run_threads(const struct ap_options *o, struct ap_share *share,
    struct worker *w, int n, uint64_t total, struct ap_writer *writer,
    int sigfd, int donefd, struct ap_engine_tally *tally)
{
	atomic_int	running;
	int		i, started;

	atomic_init(&running, 0);
	if (!o->quiet && ap_writer_begin(writer) == -1) {
		ap_tally_failed(tally, "write", errno);
		return;
	}
	for (started = 0; started < n; started++) {
		w[started].running = &running;
		atomic_fetch_add(&running, 1);
		if (pthread_create(&w[started].thread, NULL, worker_main,
		    &w[started]) != 0) {
			atomic_fetch_sub(&running, 1);
			/* Those running end now; nothing is lost. */
			ap_share_wake_all(share, 'c');
			ap_tally_failed(tally, "threads", EAGAIN);
			break;
		}
	}
	tally->signal = supervise(o, share, &running, total, sigfd, donefd);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		merge(tally, w[i].tally);
	}
	if (!o->quiet && !tally->output_closed && tally->system_error == 0 &&
	    ap_writer_end(writer) == -1)
		ap_tally_failed(tally, "write", errno);
}

/*
 * Grow the descriptor table now, while this is the only thread.  Linux
 * grows it by doubling, and once threads share it every growth waits for
 * an RCU grace period (synchronize_rcu() in expand_fdtable()): 10-20 ms
 * during which an engine starts nothing, several times on the way to -c
 * sockets.  Duplicating a descriptor to the highest number the run may
 * use, then closing it, grows the table once and at once.
 */
static void
reserve_fds(int fd, unsigned sockets)
{
	struct rlimit	rl;
	rlim_t		top = (rlim_t)sockets + 64;	/* and the run's own */
	int		dup;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && top >= rl.rlim_cur)
		top = rl.rlim_cur - 1;
	if ((dup = fcntl(fd, F_DUPFD_CLOEXEC, (int)top)) != -1)
		close(dup);
}

int
ap_parallel_run(const struct ap_options *o, struct ap_input *input,
    struct ap_writer *writer, struct ap_stats *stats, int n, uint64_t total,
    struct ap_engine_tally *tally, unsigned *peak, char *errbuf,
    size_t errlen)
{
	struct ap_share	*share;
	struct worker	*w;
	sigset_t	 set, old;
	int		 i, rc = -1, sigfd = -1;
	int		 done[2] = { -1, -1 };
	struct ap_progress_line progress;

	memset(tally, 0, sizeof(*tally));
	*peak = 0;
	/* libevent's globals (its random numbers for DNS IDs, its debug
	 * flags) are shared by every thread's bases: let it lock them. */
	if (evthread_use_pthreads() == -1) {
		snprintf(errbuf, errlen, "cannot set up threads in libevent");
		return (-1);
	}
	share = ap_share_new(input, n, writer->fp);
	/* -c and --rate hold for the whole process (SPEC 1). */
	ap_share_limits(share, ap_load_concurrency(o->concurrency),
	    o->rate, AP_RATE_CATCHUP_US, ap_now_us());
	ap_progress_line_init(&progress, writer->fp);
	ap_share_set_progress(share, &progress);
	w = xcalloc((size_t)n, sizeof(*w));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if ((sigfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1 ||
	    pipe2(done, O_CLOEXEC) == -1) {
		snprintf(errbuf, errlen, "cannot set up threads: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		w[i].done_fd = done[1];
		if (stats != NULL)
			w[i].stats = ap_stats_new();
		if ((w[i].eng = ap_engine_new_shared(o, share, i, writer,
		    w[i].stats, errbuf, errlen)) == NULL)
			goto out;
	}
	reserve_fds(done[0], ap_engine_concurrency(w[0].eng));
	run_threads(o, share, w, n, total, writer, sigfd, done[0], tally);
	*peak = ap_budget_peak(ap_share_budget(share));
	for (i = 0; i < n; i++) {
		if (stats != NULL)
			ap_stats_merge(stats, w[i].stats);
	}
	rc = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sigfd != -1)
		close(sigfd);
	if (done[0] != -1) {
		close(done[0]);
		close(done[1]);
	}
	for (i = 0; i < n; i++) {
		ap_engine_free(w[i].eng);
		ap_stats_free(w[i].stats);
	}
	free(w);
	ap_share_free(share);
	ap_progress_line_destroy(&progress);
	return (rc);
}
