/* SPDX-License-Identifier: ISC */
/* monitor.c -- see monitor.h.  One event loop holds everything: the round
 * in progress (an engine hosted on the loop), the timer for the next one,
 * the signals, the HTTP server and the /probe engines it asks for.  An
 * engine says it is done from the loop; the monitor then tidies up from an
 * event of its own (reap), never from inside the engine. */
#include "config.h"

#include <sys/queue.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "changes.h"
#include "clock.h"
#include "monitor.h"
#include "outfile.h"
#include "serve.h"
#include "snapshot.h"
#include "xmalloc.h"

/* /probe requests probing at once; more are answered 503. */
#define PROBES_MAX	32

/* One /probe: a one-target engine writing blackbox_exporter's format into
 * memory, and the reply it owes. */
struct probe_job {
	LIST_ENTRY(probe_job)	 link;
	struct ap_monitor	*m;
	struct ap_options	 opt;		/* the run's, for one target */
	struct ap_input		*input;
	struct ap_writer	 w;
	FILE			*fp;
	char			*buf;
	size_t			 len;
	struct ap_engine	*eng;
	struct ap_serve_reply	*reply;
	bool			 over;
};

struct ap_monitor {
	const struct ap_options	*opt;
	struct ap_options	 ropt;		/* a round's: --max-runtime */
	struct ap_writer	*writer;
	struct ap_stats		*stats;
	struct event_base	*base;
	struct ap_snapshot	*list;
	struct ap_changes	*changes;
	struct ap_server	*server;
	/* The round in progress, or NULL between rounds. */
	struct ap_engine	*round;
	struct ap_input		*input;
	struct ap_outfile	*of;		/* -o: this round's file */
	bool			 round_over;	/* reap it */
	uint64_t		 nround;	/* rounds started */
	int64_t			 round_start_us;
	int64_t			 end_us;	/* --max-runtime; 0 none */
	bool			 per_round;	/* a whole output each round */
	bool			 begun;		/* the stream's header armed */
	bool			 invalid_said;	/* notes of bad lines */
	bool			 reload;	/* SIGHUP */
	bool			 stopping;
	int			 signal;
	struct ap_writer_round	 info;		/* for prom */
	/* /metrics: the prom writer every record also goes to. */
	struct ap_writer	 metrics;
	FILE			*metrics_fp;
	char			*metrics_buf;
	size_t			 metrics_len;
	LIST_HEAD(, probe_job)	 jobs;
	unsigned		 njobs;
	struct event		*next_ev, *reap_ev;
	struct event		*sig_ev[4];
	struct ap_engine_tally	 last;
	unsigned		 peak;		/* in flight, any round */
};

static void	stop(struct ap_monitor *);
static void	metrics_publish(struct ap_monitor *, bool whole);

/* ---- rounds ---------------------------------------------------------- */

static void
round_done(struct ap_engine *eng, void *arg)
{
	struct ap_monitor	*m = arg;

	(void)eng;
	m->round_over = true;
	event_active(m->reap_ev, EV_TIMEOUT, 1);
}

/* This round's output: -o's file of its own, the header. */
static int
output_start(struct ap_monitor *m)
{
	struct ap_writer	*w = m->writer;

	if (m->opt->quiet)
		return (0);
	if (m->opt->output != NULL) {
		if ((m->of = ap_outfile_open(m->opt->output)) == NULL) {
			ap_tally_failed(&m->last, m->opt->output, errno);
			return (-1);
		}
		w->fp = ap_outfile_fp(m->of);
	}
	if ((m->per_round || !m->begun) && ap_writer_begin(w) == -1) {
		ap_tally_failed(&m->last, "write", errno);
		return (-1);
	}
	m->begun = true;
	return (0);
}

/* /metrics gets every record of the round through a prom writer. */
static int
metrics_start(struct ap_monitor *m)
{
	if (m->server == NULL)
		return (0);
	m->metrics_buf = NULL;
	m->metrics_len = 0;
	if ((m->metrics_fp = open_memstream(&m->metrics_buf,
	    &m->metrics_len)) == NULL)
		return (-1);
	m->metrics.fp = m->metrics_fp;
	return (0);
}

static void
round_start(struct ap_monitor *m)
{
	struct ap_engine_host	 host;
	char			 errbuf[AP_ERRBUF_LEN * 2] = "";
	int64_t			 left;

	if (m->stopping)
		return;
	if (m->reload) {
		/* SIGHUP: the files as they are now, or, when one cannot be
		 * read, the list as it was. */
		m->reload = false;
		if (ap_snapshot_reload(m->list, errbuf, sizeof(errbuf)) == 0)
			m->invalid_said = false;
		else
			fprintf(stderr, "asyncprobe: %s; the list read before "
			    "stays\n", errbuf);
	}
	m->ropt = *m->opt;
	if (m->end_us != 0) {
		left = (m->end_us - ap_now_us() + 999) / 1000;
		m->ropt.max_runtime_ms = left < 1 ? 1 : (int)left;
	}
	m->nround++;
	m->round_start_us = ap_now_us();
	m->input = ap_snapshot_input(m->list);
	memset(&host, 0, sizeof(host));
	host.base = m->base;
	host.done = round_done;
	host.arg = m;
	host.round = m->nround;
	host.tap = m->server != NULL ? &m->metrics : NULL;
	host.changes = m->changes;
	host.invalid_said = m->invalid_said;
	if (output_start(m) == -1 || metrics_start(m) == -1 ||
	    (m->round = ap_engine_new_hosted(&m->ropt, m->input, &host,
	    m->writer, m->stats, errbuf, sizeof(errbuf))) == NULL) {
		if (m->last.system_error == 0) {
			fprintf(stderr, "asyncprobe: round %llu: %s\n",
			    (unsigned long long)m->nround, errbuf);
			ap_tally_failed(&m->last, "round", ENOMEM);
		}
		ap_input_free(m->input);
		m->input = NULL;
		ap_outfile_abandon(m->of);
		m->of = NULL;
		metrics_publish(m, false);
		stop(m);
		return;
	}
	if (m->opt->progress != AP_PROGRESS_NEVER)
		ap_engine_set_total(m->round, ap_snapshot_targets(m->list));
	ap_engine_start(m->round);
}

static void
next_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	round_start(arg);
}

/* Rounds start interval apart; one that ran long is followed at once. */
static void
schedule_next(struct ap_monitor *m)
{
	int64_t		 at = m->round_start_us + m->opt->interval_ms * 1000;
	int64_t		 now = ap_now_us(), wait = at - now;
	struct timeval	 tv;

	if ((m->opt->count > 0 && m->nround >= m->opt->count) ||
	    (m->end_us != 0 && (at >= m->end_us || now >= m->end_us))) {
		stop(m);	/* no other round fits */
		return;
	}
	if (wait <= 0) {
		event_active(m->next_ev, EV_TIMEOUT, 1);
		return;
	}
	tv.tv_sec = wait / 1000000;
	tv.tv_usec = wait % 1000000;
	evtimer_add(m->next_ev, &tv);
}

/* What /metrics answers from now on: this round, and which it was. */
static void
metrics_publish(struct ap_monitor *m, bool whole)
{
	if (m->metrics_fp == NULL)
		return;
	if (whole && ap_writer_end(&m->metrics) == 0 &&
	    fflush(m->metrics_fp) == 0)
		ap_serve_set_metrics(m->server, m->metrics_buf,
		    m->metrics_len);
	else
		ap_writer_discard(&m->metrics);
	fclose(m->metrics_fp);
	free(m->metrics_buf);
	m->metrics_fp = NULL;
	m->metrics_buf = NULL;
}

/* The round is over: its output put in place, its tally kept. */
static void
round_reap(struct ap_monitor *m)
{
	const struct ap_engine_tally	*t = ap_engine_tally(m->round);
	struct ap_writer		*w = m->writer;
	bool				 whole;

	m->last = *t;
	if (ap_engine_peak_inflight(m->round) > m->peak)
		m->peak = ap_engine_peak_inflight(m->round);
	m->info.number = m->nround;
	m->info.duration_us = ap_now_us() - m->round_start_us;
	m->info.end_ms = ap_wall_ms();
	whole = t->signal == 0 && t->system_error == 0 && !t->output_closed;
	if (!m->opt->quiet && m->per_round && whole &&
	    ap_writer_end(w) == -1)
		ap_tally_failed(&m->last, "write", errno);
	else if (!whole)
		ap_writer_discard(w);
	if (m->of != NULL) {
		/* On a signal or a failure the old file stays (SPEC 1). */
		if (whole && m->last.system_error == 0) {
			if (ap_outfile_commit(m->of) == -1)
				ap_tally_failed(&m->last, m->opt->output,
				    errno);
		} else
			ap_outfile_abandon(m->of);
		m->of = NULL;
		w->fp = NULL;
	}
	metrics_publish(m, whole);
	if (m->changes != NULL && whole)
		ap_changes_next_round(m->changes);
	ap_engine_free(m->round);
	ap_input_free(m->input);
	m->round = NULL;
	m->input = NULL;
	m->round_over = false;
	m->invalid_said = true;
	if (m->signal != 0 && m->last.signal == 0)
		m->last.signal = m->signal;
	if (m->stopping || !whole || m->last.system_error != 0)
		stop(m);
	else
		schedule_next(m);
}

/* ---- /probe ----------------------------------------------------------- */

static void
job_done(struct ap_engine *eng, void *arg)
{
	struct probe_job	*job = arg;

	(void)eng;
	job->over = true;
	event_active(job->m->reap_ev, EV_TIMEOUT, 1);
}

static void
job_free(struct probe_job *job)
{
	ap_engine_free(job->eng);
	ap_input_free(job->input);
	ap_writer_discard(&job->w);
	if (job->fp != NULL)
		fclose(job->fp);
	free(job->buf);
	free(job);
}

static void
job_reap(struct ap_monitor *m, struct probe_job *job)
{
	bool	ok;

	LIST_REMOVE(job, link);
	m->njobs--;
	ok = ap_writer_end(&job->w) == 0 && fflush(job->fp) == 0;
	if (ok)
		ap_serve_reply(job->reply, 200, job->buf, job->len);
	else
		ap_serve_reply(job->reply, 500, "cannot write the answer\n",
		    strlen("cannot write the answer\n"));
	job_free(job);
}

static int
probe_check(void *arg, const char *target, char *why, size_t whylen)
{
	struct ap_monitor	*m = arg;
	int			 code;

	code = ap_snapshot_check(m->list, target, why, whylen);
	if (code == 403 && m->opt->serve_any)
		code = 0;
	return (code);
}

static int
probe_start(void *arg, const char *target, int timeout_ms,
    struct ap_serve_reply *reply)
{
	struct ap_monitor	*m = arg;
	struct probe_job	*job;
	struct ap_input_source	 src = { target, -1, 0, true };
	struct ap_engine_host	 host;
	char			 errbuf[AP_ERRBUF_LEN * 2];
	struct ap_options	*o;

	if (m->njobs >= PROBES_MAX || m->stopping)
		return (-1);
	job = xcalloc(1, sizeof(*job));
	job->m = m;
	o = &job->opt;
	*o = *m->opt;
	/* One target, one record, now: nothing of the run's output side. */
	o->timeout_ms = timeout_ms;
	if (o->attempt_timeout_ms > timeout_ms)
		o->attempt_timeout_ms = timeout_ms;
	o->all_addresses = false;
	o->ordered = false;
	o->quiet = false;
	o->only_alive = o->only_unreachable = false;
	o->max_runtime_ms = 0;
	o->shard_k = o->shard_n = 1;	/* asked for: it is in the shard */
	o->progress = AP_PROGRESS_NEVER;
	o->verbose = 0;
	o->stats = false;
	job->input = ap_input_new_sources(&src, 1, NULL);
	job->w.ops = &ap_output_blackbox;
	job->w.expect = o->expect != NULL;
	if ((job->fp = open_memstream(&job->buf, &job->len)) == NULL)
		goto fail;
	job->w.fp = job->fp;
	memset(&host, 0, sizeof(host));
	host.base = m->base;
	host.done = job_done;
	host.arg = job;
	if ((job->eng = ap_engine_new_hosted(o, job->input, &host, &job->w,
	    NULL, errbuf, sizeof(errbuf))) == NULL ||
	    ap_writer_begin(&job->w) == -1)
		goto fail;
	job->reply = reply;
	LIST_INSERT_HEAD(&m->jobs, job, link);
	m->njobs++;
	ap_engine_start(job->eng);
	return (0);
fail:
	job_free(job);
	return (-1);
}

/* ---- the loop's own events ------------------------------------------ */

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_monitor	*m = arg;
	struct probe_job	*job, *next;

	(void)fd, (void)what;
	for (job = LIST_FIRST(&m->jobs); job != NULL; job = next) {
		next = LIST_NEXT(job, link);
		if (job->over)
			job_reap(m, job);
	}
	if (m->round != NULL && m->round_over)
		round_reap(m);
	if (m->stopping && m->round == NULL && LIST_EMPTY(&m->jobs))
		event_base_loopexit(m->base, NULL);
}

/* Start nothing more; what runs ends as cancelled, then the loop. */
static void
stop(struct ap_monitor *m)
{
	struct probe_job	*job;

	m->stopping = true;
	evtimer_del(m->next_ev);
	if (m->round != NULL && !m->round_over)
		ap_engine_cancel(m->round, m->signal);
	LIST_FOREACH(job, &m->jobs, link)
		if (!job->over)
			ap_engine_cancel(job->eng, SIGTERM);
	event_active(m->reap_ev, EV_TIMEOUT, 1);
}

static void
signal_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_monitor	*m = arg;
	int			 sig = (int)fd;

	(void)what;
	switch (sig) {
	case SIGHUP:
		m->reload = true;
		break;
	case SIGUSR1:
		fprintf(stderr, "asyncprobe: round %llu %s; the last one "
		    "finished: %llu of %llu targets connected\n",
		    (unsigned long long)m->nround,
		    m->round != NULL ? "running" : "done",
		    (unsigned long long)m->last.status[AP_STATUS_CONNECTED],
		    (unsigned long long)m->last.targets);
		break;
	default:
		if (m->signal == 0)
			m->signal = sig;
		m->last.signal = m->signal;
		stop(m);
		break;
	}
}

/* ---- setup ------------------------------------------------------------ */

static int
events_new(struct ap_monitor *m)
{
	static const int	 sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	int			 i;

	if ((m->next_ev = evtimer_new(m->base, next_cb, m)) == NULL ||
	    (m->reap_ev = event_new(m->base, -1, 0, reap_cb, m)) == NULL)
		return (-1);
	for (i = 0; i < 4; i++)
		if ((m->sig_ev[i] = evsignal_new(m->base, sigs[i], signal_cb,
		    m)) == NULL ||
		    event_priority_set(m->sig_ev[i], AP_PRIO_SIGNAL) == -1 ||
		    event_add(m->sig_ev[i], NULL) == -1)
			return (-1);
	return (0);
}

static int
serve_new(struct ap_monitor *m, char *errbuf, size_t errlen)
{
	struct ap_serve_config	c;
	char			host[AP_IPSTR_LEN];
	bool			v6;

	if (!m->opt->have_serve)
		return (0);
	memset(&c, 0, sizeof(c));
	c.addr = m->opt->serve;
	c.hooks.probe_check = probe_check;
	c.hooks.probe_start = probe_start;
	c.hooks.arg = m;
	c.probe_timeout_ms = m->opt->timeout_ms;
	if ((m->server = ap_serve_new(m->base, &c, errbuf, errlen)) == NULL)
		return (-1);
	m->metrics.ops = &ap_output_prom;
	m->metrics.labels = m->opt->labels;
	m->metrics.nlabels = m->opt->nlabels;
	m->metrics.per_address = m->opt->all_addresses;
	m->metrics.round_info = &m->info;
	ap_addr_ntop(&c.addr, host, sizeof(host));
	v6 = c.addr.u.sa.sa_family == AF_INET6;
	fprintf(stderr, "asyncprobe: serving http://%s%s%s:%u/\n",
	    v6 ? "[" : "", host, v6 ? "]" : "", ap_serve_port(m->server));
	return (0);
}

static void
monitor_free(struct ap_monitor *m)
{
	struct probe_job	*job;
	int			 i;

	while ((job = LIST_FIRST(&m->jobs)) != NULL) {
		LIST_REMOVE(job, link);
		ap_serve_reply(job->reply, 503, "shutting down\n",
		    strlen("shutting down\n"));
		job_free(job);
	}
	if (m->round != NULL) {
		ap_engine_free(m->round);
		ap_input_free(m->input);
	}
	ap_outfile_abandon(m->of);
	metrics_publish(m, false);
	ap_serve_free(m->server);
	for (i = 0; i < 4; i++)
		if (m->sig_ev[i] != NULL)
			event_free(m->sig_ev[i]);
	if (m->next_ev != NULL)
		event_free(m->next_ev);
	if (m->reap_ev != NULL)
		event_free(m->reap_ev);
	ap_changes_free(m->changes);
	ap_snapshot_free(m->list);
	if (m->base != NULL)
		event_base_free(m->base);
}

int
ap_monitor_run(const struct ap_options *opt, struct ap_writer *writer,
    struct ap_stats *stats, struct ap_engine_tally *last, unsigned *peak,
    char *errbuf, size_t errlen)
{
	struct ap_monitor	 m;
	FILE			*stream = writer->fp;
	int			 rc = -1;

	memset(&m, 0, sizeof(m));
	memset(last, 0, sizeof(*last));
	LIST_INIT(&m.jobs);
	m.opt = opt;
	m.writer = writer;
	m.stats = stats;
	writer->rounds = true;
	writer->round_info = &m.info;
	m.per_round = opt->output != NULL || ap_writer_whole_run(writer);
	if (opt->max_runtime_ms > 0)
		m.end_us = ap_now_us() + (int64_t)opt->max_runtime_ms * 1000;
	if (opt->changes)
		m.changes = ap_changes_new(opt->all_addresses);
	/* A monitor that cannot read its list has nothing to watch: a
	 * service manager should see it fail, not idle. */
	m.list = ap_snapshot_new(opt->files, opt->ports.count > 0 ?
	    &opt->ports : NULL);
	if (ap_snapshot_error(m.list, errbuf, errlen) == -1)
		goto out;
	if ((m.base = ap_engine_base_new()) == NULL || events_new(&m) == -1) {
		snprintf(errbuf, errlen, "cannot create the event loop");
		goto out;
	}
	if (serve_new(&m, errbuf, errlen) == -1)
		goto out;
	rc = 0;
	round_start(&m);
	if (!(m.stopping && m.round == NULL && LIST_EMPTY(&m.jobs)) &&
	    event_base_dispatch(m.base) == -1)
		ap_tally_failed(&m.last, "event loop", errno);
	/* A stream's end (text, csv, json on stdout): once, after all. */
	if (!opt->quiet && !m.per_round && m.begun && m.last.signal == 0 &&
	    m.last.system_error == 0 && !m.last.output_closed) {
		writer->fp = stream;
		if (ap_writer_end(writer) == -1)
			ap_tally_failed(&m.last, "write", errno);
	}
	*last = m.last;
	*peak = m.peak;
out:
	writer->fp = stream;
	writer->round_info = NULL;	/* m.info goes with this frame */
	monitor_free(&m);
	return (rc);
}
