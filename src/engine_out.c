/* SPDX-License-Identifier: ISC */
/* engine_out.c -- the engine's output side: one record per target through
 * the writer (filtered, ordered, or gathered for -j), flushed when the
 * loop is about to wait; the progress line; and the notes on stderr that
 * must not tear it. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "progress.h"
#include "stats.h"

/* Out of memory, a broken loop, an output that fails: the first cause is
 * kept for the message, and the run ends (exit 4). */
void
ap_engine_fail(struct ap_engine *eng, const char *what, int error)
{
	if (eng->tally.system_error == 0) {
		eng->tally.system_error = error;
		eng->tally.system_what = what;
	}
	ap_engine_stop(eng);
}

/* A closed pipe (| head) ends the run quietly; any other write error is
 * a system failure (exit 4). */
static void
output_failed(struct ap_engine *eng, int error)
{
	if (error == EPIPE) {
		eng->tally.output_closed = true;
		ap_engine_stop(eng);
	} else
		ap_engine_fail(eng, "write", error);
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

void
ap_engine_flush(struct ap_engine *eng)
{
	int	rc;

	eng->last_flush_us = ap_now_us();
	if (eng->tally.output_closed || eng->writer->fp == NULL)
		return;
	if (eng->share != NULL)
		rc = share_drain(eng, true);
	else
		rc = fflush(eng->writer->fp) == EOF ? -1 : 0;
	if (rc == -1)
		output_failed(eng, errno);
}

void
ap_engine_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	ap_engine_flush(arg);
}

static bool
wanted(const struct ap_engine *eng, enum ap_status status)
{
	if (eng->opt->quiet)
		return (false);
	/* prom and nagios sum up the whole run: they see every record. */
	if (ap_writer_whole_run(eng->writer))
		return (true);
	if (eng->opt->only_alive)
		return (status == AP_STATUS_CONNECTED);
	if (eng->opt->only_unreachable)
		return (status != AP_STATUS_CONNECTED);
	return (true);
}

void
ap_engine_emit(struct ap_engine *eng, struct ap_result *r)
{
	r->timestamp_ms = ap_wall_ms();
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
			ap_engine_fail(eng, "memory", ENOMEM);
		return;
	}
	if (eng->share != NULL) {
		/* -j: gathered here, handed out in whole-record chunks. */
		struct ap_writer w = *eng->writer;

		w.fp = eng->ofp;
		if (ap_writer_write(&w, r) == -1)
			ap_engine_fail(eng, "memory", ENOMEM);
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
	 * FLUSH_EVERY_US when it never does (the clock is read every
	 * FLUSH_CHECK records: a loop that never waits makes many). */
	if (++eng->emits % FLUSH_CHECK == 0 &&
	    ap_now_us() - eng->last_flush_us > FLUSH_EVERY_US)
		ap_engine_flush(eng);
	else
		event_active(eng->flush_ev, EV_TIMEOUT, 1);
}

/* --ordered: the records of one input item are gathered, then wait for
 * their turn in the reorder ring. */
void
ap_engine_group_begin(struct ap_engine *eng)
{
	if (eng->reorder == NULL)
		return;
	eng->group_buf = NULL;
	eng->group_len = 0;
	if ((eng->group_fp = open_memstream(&eng->group_buf,
	    &eng->group_len)) == NULL)
		ap_engine_fail(eng, "memory", errno);
}

void
ap_engine_group_end(struct ap_engine *eng, uint64_t seq)
{
	if (eng->reorder == NULL)
		return;
	if (eng->group_fp != NULL) {
		if (fclose(eng->group_fp) == EOF)
			ap_engine_fail(eng, "memory", errno);
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

void
ap_engine_progress_erase(struct ap_engine *eng)
{
	if (eng->progress_drawn) {
		fputs("\r\033[K", stderr);
		eng->progress_drawn = false;
	}
}

/* A line on stderr that must not be torn by the progress line. */
void
ap_engine_note(struct ap_engine *eng, const char *fmt, ...)
{
	va_list	ap;

	ap_engine_progress_erase(eng);
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
	v.elapsed_us = ap_now_us() - eng->start_us;
	v.total = eng->total;
	ap_progress_format(&v, line, sizeof(line));
	ap_engine_progress_erase(eng);
	if (in_place) {
		fprintf(stderr, "\rasyncprobe: %s\033[K", line);
		eng->progress_drawn = true;
	} else
		fprintf(stderr, "asyncprobe: %s\n", line);
	fflush(stderr);
}

void
ap_engine_progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;

	(void)fd, (void)what;
	progress_show(eng, eng->progress_tty);
}

void
ap_engine_sigusr1_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* On demand, a line of its own (TIP 427's -connecting, for a run). */
	progress_show(arg, false);
}

void
ap_engine_verbose_attempt(const struct target *t, const struct ap_attempt *a)
{
	if (t->eng->opt->verbose == 0)
		return;
	/* One line per attempt: which address, what came of it, how far
	 * it got, and when. */
	if (a->error == 0)
		ap_engine_note(t->eng, "asyncprobe: %s: %s port %u: connected in "
		    "%lld.%03lld ms\n", t->text, a->ip, t->port,
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
	else
		ap_engine_note(t->eng, "asyncprobe: %s: %s port %u: %s (%s, %s) "
		    "after %lld.%03lld ms\n", t->text, a->ip, t->port,
		    ap_status_name(ap_status_from_error(a->error)),
		    ap_errno_name(a->error), ap_stage_name(a->stage),
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
}

void
ap_engine_invalid(struct ap_engine *eng, const struct ap_input_item *it,
    const char *reason)
{
	struct ap_result	r;

	ap_engine_note(eng, "%s:%lu: %s\n", it->file, it->line, reason);
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
	ap_engine_group_begin(eng);
	ap_engine_emit(eng, &r);
	ap_engine_group_end(eng, it->index);
}
