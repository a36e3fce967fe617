/* SPDX-License-Identifier: ISC */
/* record.c -- see record.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "changes.h"
#include "clock.h"
#include "record.h"
#include "reorder.h"
#include "share.h"
#include "stats.h"
#include "xmalloc.h"

/* -j: records go to the shared output in chunks this big (whole records
 * only), and when the loop is about to wait. */
#define SHARE_CHUNK	65536
/* Flush at least this often even when the loop never idles; the clock
 * is read every FLUSH_CHECK records. */
#define FLUSH_EVERY_US	100000
#define FLUSH_CHECK	32

struct ap_record_group {
	FILE	*fp;
	char	*buf;
	size_t	 len;
};

struct ap_recorder {
	struct ap_record_config	 c;
	struct ap_share_counts	*counts;	/* -j: for the progress line */
	struct ap_reorder	*reorder;	/* --ordered, else NULL */
	struct event		*flush_ev;
	FILE			*ofp;		/* -j: records not yet out */
	char			*obuf;
	size_t			 olen;
	int64_t			 last_flush_us;
	unsigned		 emits;
	bool			 whole_run;	/* prom, nagios */
};

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	ap_record_flush(arg);
}

struct ap_recorder *
ap_recorder_new(struct event_base *base, const struct ap_record_config *c)
{
	struct ap_recorder	*rec = xcalloc(1, sizeof(*rec));

	rec->c = *c;
	rec->last_flush_us = ap_now_us();
	/* prom and nagios sum up the whole run: they see every record,
	 * written whole at the end, so there is nothing to order. */
	rec->whole_run = ap_writer_whole_run(c->writer);
	if (c->opt->ordered && !rec->whole_run)
		rec->reorder = ap_reorder_new(c->window);
	/* The flush waits for a quiet pass. */
	if ((rec->flush_ev = event_new(base, -1, 0, flush_cb, rec)) == NULL ||
	    event_priority_set(rec->flush_ev, AP_PRIO_IDLE) == -1)
		goto fail;
	if (c->share != NULL) {
		rec->counts = ap_share_counts(c->share);
		if ((rec->ofp = open_memstream(&rec->obuf, &rec->olen)) ==
		    NULL)
			goto fail;
	}
	return (rec);
fail:
	ap_recorder_free(rec);
	return (NULL);
}

void
ap_recorder_free(struct ap_recorder *rec)
{
	if (rec == NULL)
		return;
	if (rec->flush_ev != NULL)
		event_free(rec->flush_ev);
	if (rec->ofp != NULL)
		fclose(rec->ofp);
	free(rec->obuf);
	ap_reorder_free(rec->reorder);
	free(rec);
}

bool
ap_record_ok(const struct ap_recorder *rec)
{
	return (!rec->c.tally->output_closed &&
	    rec->c.tally->system_error == 0);
}

/* Out of memory, a broken loop, an output that fails: the first cause is
 * kept for the message, and the run ends (exit 4). */
static void
failed(struct ap_recorder *rec, const char *what, int error)
{
	ap_tally_failed(rec->c.tally, what, error);
	rec->c.fail(rec->c.arg);
}

/* -j: hand the records gathered so far to the real output. */
static int
share_drain(struct ap_recorder *rec, bool flush)
{
	int	rc = 0;

	if (fflush(rec->ofp) == EOF)
		return (-1);
	if (rec->c.progress != NULL)
		ap_progress_hold(rec->c.progress, false);
	if (rec->olen > 0 &&
	    ap_share_write(rec->c.share, rec->obuf, rec->olen) == -1)
		rc = -1;
	if (rc == 0 && flush)
		rc = ap_share_write(rec->c.share, NULL, 0);
	if (rec->c.progress != NULL)
		ap_progress_release(rec->c.progress);
	rewind(rec->ofp);
	rec->olen = 0;
	return (rc);
}

void
ap_record_flush(struct ap_recorder *rec)
{
	int	rc;

	rec->last_flush_us = ap_now_us();
	if (!ap_record_ok(rec) || rec->c.writer->fp == NULL)
		return;
	if (rec->c.share != NULL)
		rc = share_drain(rec, true);
	else {
		/* A buffered stdout writes here, not in write(). */
		if (rec->c.progress != NULL)
			ap_progress_hold(rec->c.progress, false);
		rc = fflush(rec->c.writer->fp) == EOF ? -1 : 0;
		if (rec->c.progress != NULL)
			ap_progress_release(rec->c.progress);
	}
	if (rc == -1)
		failed(rec, "write", errno);
}

static bool
wanted(const struct ap_recorder *rec, enum ap_status status)
{
	const struct ap_options	*o = rec->c.opt;

	if (o->quiet)
		return (false);
	if (rec->whole_run)
		return (true);
	if (o->only_alive)
		return (status == AP_STATUS_CONNECTED);
	if (o->only_unreachable)
		return (status != AP_STATUS_CONNECTED);
	return (true);
}

static void
count(struct ap_recorder *rec, const struct ap_result *r)
{
	rec->c.tally->status[r->status]++;
	rec->c.tally->targets++;
	if (rec->counts != NULL) {
		atomic_fetch_add_explicit(&rec->counts->status[r->status], 1,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&rec->counts->done, 1,
		    memory_order_relaxed);
	}
	if (rec->c.stats != NULL)
		ap_stats_add(rec->c.stats, r);
}

/* Write r to fp with the run's writer; -1 with errno.  The first record's
 * header goes straight to the real output (output.c), so past the
 * progress line like any write there. */
static int
write_to(struct ap_recorder *rec, FILE *fp, const struct ap_result *r)
{
	struct ap_writer	w = *rec->c.writer;
	bool			hold;
	int			rc;

	w.fp = fp;
	hold = rec->c.progress != NULL && ap_writer_header_pending(&w);
	if (hold)
		ap_progress_hold(rec->c.progress, false);
	rc = ap_writer_write(&w, r);
	if (hold)
		ap_progress_release(rec->c.progress);
	return (rc);
}

void
ap_record_emit(struct ap_recorder *rec, struct ap_record_group *g,
    struct ap_result *r)
{
	bool	changed = true;
	int	rc;

	r->timestamp_ms = ap_wall_ms();
	r->round = rec->c.round;
	count(rec, r);
	if (rec->c.tap != NULL && ap_writer_write(rec->c.tap, r) == -1) {
		failed(rec, "memory", ENOMEM);
		return;
	}
	if (rec->c.changes != NULL)
		changed = ap_changes_note(rec->c.changes, r);
	if (!changed || !wanted(rec, r->status) || !ap_record_ok(rec))
		return;
	if (g != NULL) {
		/* --ordered: formatted now, written when its turn comes. */
		if (write_to(rec, g->fp, r) == -1)
			failed(rec, "memory", ENOMEM);
		return;
	}
	if (rec->c.share != NULL) {
		if (write_to(rec, rec->ofp, r) == -1) {
			failed(rec, "memory", ENOMEM);
			return;
		}
		if (ftell(rec->ofp) >= SHARE_CHUNK &&
		    share_drain(rec, false) == -1) {
			failed(rec, "write", errno);
			return;
		}
	} else {
		if (rec->c.progress != NULL)
			ap_progress_hold(rec->c.progress, false);
		rc = ap_writer_write(rec->c.writer, r);
		if (rec->c.progress != NULL)
			ap_progress_release(rec->c.progress);
		if (rc == -1) {
			failed(rec, "write", errno);
			return;
		}
	}
	if (++rec->emits % FLUSH_CHECK == 0 &&
	    ap_now_us() - rec->last_flush_us > FLUSH_EVERY_US)
		ap_record_flush(rec);
	else
		event_active(rec->flush_ev, EV_TIMEOUT, 1);
}

struct ap_record_group *
ap_record_group_new(struct ap_recorder *rec)
{
	struct ap_record_group	*g;

	if (rec->reorder == NULL)
		return (NULL);
	g = xcalloc(1, sizeof(*g));
	if ((g->fp = open_memstream(&g->buf, &g->len)) == NULL) {
		free(g);
		failed(rec, "memory", errno);
		return (NULL);
	}
	return (g);
}

void
ap_record_item_done(struct ap_recorder *rec, struct ap_record_group *g,
    uint64_t seq)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	if (rec->reorder == NULL)
		return;
	if (g != NULL) {
		if (fclose(g->fp) == EOF)
			failed(rec, "memory", errno);
		buf = g->buf;
		len = g->len;
		free(g);
	}
	ap_reorder_put(rec->reorder, seq, buf, len);
	if (!ap_record_ok(rec))
		return;
	if (rec->c.share != NULL)
		rc = ap_reorder_flush(rec->reorder, rec->ofp);
	else {
		if (rec->c.progress != NULL)
			ap_progress_hold(rec->c.progress, false);
		rc = ap_reorder_flush(rec->reorder, rec->c.writer->fp);
		if (rec->c.progress != NULL)
			ap_progress_release(rec->c.progress);
	}
	if (rc == -1) {
		failed(rec, "write", errno);
		return;
	}
	event_active(rec->flush_ev, EV_TIMEOUT, 1);
}

bool
ap_record_fits(const struct ap_recorder *rec, uint64_t seq)
{
	return (rec->reorder == NULL || ap_reorder_fits(rec->reorder, seq));
}

void
ap_record_note(struct ap_recorder *rec, const char *fmt, ...)
{
	va_list	ap;

	if (rec->c.progress != NULL)
		ap_progress_hold(rec->c.progress, true);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (rec->c.progress != NULL)
		ap_progress_release(rec->c.progress);
}

void
ap_record_attempt(struct ap_recorder *rec, const char *text, unsigned port,
    const struct ap_attempt *a)
{
	if (rec->c.opt->verbose == 0)
		return;
	/* One line per attempt: which address, what came of it, how far
	 * it got, and when. */
	if (a->error == 0)
		ap_record_note(rec, "asyncprobe: %s: %s port %u: connected in "
		    "%lld.%03lld ms\n", text, a->ip, port,
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
	else if (a->icmp.origin != AP_ICMP_NONE)
		ap_record_note(rec, "asyncprobe: %s: %s port %u: %s (%s, %s, "
		    "icmp %s from %s) after %lld.%03lld ms\n", text, a->ip,
		    port, ap_status_name(ap_attempt_status(a)),
		    ap_errno_name(a->error), ap_stage_name(a->stage),
		    ap_icmp_name(&a->icmp), a->icmp.from,
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
	else
		ap_record_note(rec, "asyncprobe: %s: %s port %u: %s (%s, %s) "
		    "after %lld.%03lld ms\n", text, a->ip, port,
		    a->error == ECANCELED ? "abandoned" :
		    ap_status_name(ap_attempt_status(a)),
		    ap_errno_name(a->error), ap_stage_name(a->stage),
		    (long long)(a->duration_us / 1000),
		    (long long)(a->duration_us % 1000));
}

/* A record with no attempt, from the input item alone. */
static void
item_record(struct ap_recorder *rec, const struct ap_input_item *it,
    enum ap_status status, int error, const char *reason)
{
	struct ap_record_group	*g = ap_record_group_new(rec);
	struct ap_result	 r;

	ap_result_init(&r, it->text, it->host != NULL ? it->host : "",
	    it->port, it->file, it->line);
	r.status = status;
	r.error = error;
	r.error_text = reason;
	ap_record_emit(rec, g, &r);
	ap_record_item_done(rec, g, it->index);
}

void
ap_record_invalid(struct ap_recorder *rec, const struct ap_input_item *it,
    const char *reason)
{
	if (!rec->c.invalid_said)
		ap_record_note(rec, "%s:%lu: %s\n", it->file, it->line,
		    reason);
	item_record(rec, it, AP_STATUS_INVALID, 0, reason);
}

void
ap_record_file_error(struct ap_recorder *rec, const char *reason)
{
	if (!rec->c.invalid_said)
		ap_record_note(rec, "asyncprobe: %s\n", reason);
}

void
ap_record_cancelled(struct ap_recorder *rec, const struct ap_input_item *it)
{
	item_record(rec, it, AP_STATUS_CANCELLED, ECANCELED, NULL);
}
