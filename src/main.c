/* SPDX-License-Identifier: ISC */
/* main.c -- glue: options -> input -> engine -> writer; the tally becomes
 * the exit status (SPEC 6).  The only file that exits. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "cli.h"
#include "clock.h"
#include "engine.h"
#include "input.h"
#include "monitor.h"
#include "outfile.h"
#include "output.h"
#include "parallel.h"
#include "pool.h"
#include "stats.h"
#include "xmalloc.h"

#define EXIT_DOWN	1
#define EXIT_UNRESOLVED	2
#define EXIT_USAGE	3
#define EXIT_SYSTEM	4

/* -x N or N%: enough targets connected. */
static int
min_up_met(const struct ap_threshold *x, const struct ap_engine_tally *t)
{
	double	up = (double)t->status[AP_STATUS_CONNECTED];

	if (!x->set)
		return (0);
	if (x->percent)
		return (t->targets > 0 &&
		    up * 100.0 >= x->value * (double)t->targets);
	return (up >= x->value);
}

/*
 * SPEC 6: the highest code that applies wins; a signal's over all.  With
 * -x only "enough connected" counts, 0 or 1, as fping's -x (its 2 for a
 * name that did not resolve too); no targets at all is 1, as fping.
 */
static int
exit_status(const struct ap_options *o, const struct ap_engine_tally *t)
{
	int	code = 0;

	if (t->system_error != 0)
		return (EXIT_SYSTEM);
	if (t->signal != 0)
		return (128 + t->signal);
	if (t->targets == 0)
		code = EXIT_DOWN;
	else if (o->min_up.set)
		code = min_up_met(&o->min_up, t) ? 0 : EXIT_DOWN;
	else {
		if (t->status[AP_STATUS_CONNECTED] < t->targets)
			code = EXIT_DOWN;
		if (t->status[AP_STATUS_UNRESOLVED] > 0)
			code = EXIT_UNRESOLVED;
	}
	if (t->status[AP_STATUS_INVALID] > 0 || t->file_errors > 0)
		code = EXIT_USAGE;
	return (code);
}

/* A file the input could not read, for a format that sums up the run. */
static void
input_error_cb(const char *reason, void *arg)
{
	ap_writer_input_error(arg, reason);
}

/* For the progress line: how many records the input will give, when
 * every input is a regular file that can be read twice; 0 otherwise. */
static uint64_t
count_targets(const struct ap_options *o)
{
	struct ap_input		*in;
	struct ap_input_item	 it;
	struct stat		 st;
	enum ap_input_rc	 rc;
	uint64_t		 n = 0;
	char			**f;

	if (o->files == NULL || o->files[0] == NULL)
		return (0);
	for (f = o->files; *f != NULL; f++)
		if (strcmp(*f, "-") == 0 || stat(*f, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			return (0);
	if ((in = ap_input_new(o->files,
	    o->ports.count > 0 ? &o->ports : NULL)) == NULL)
		return (0);
	while ((rc = ap_input_next(in, &it)) != AP_INPUT_EOF) {
		if (rc == AP_INPUT_AGAIN)
			break;
		if ((rc == AP_INPUT_TARGET || rc == AP_INPUT_INVALID) &&
		    (o->shard_n <= 1 || it.index % o->shard_n ==
		    o->shard_k - 1))
			n++;
	}
	ap_input_free(in);
	return (n);
}

/* libevent's and evdns's own messages ("All nameservers have failed")
 * are noise next to the records that say what failed; -v -v shows them.
 * Set once, before any thread starts. */
static int	libevent_verbose;

static void
libevent_log_cb(int severity, const char *msg)
{
	(void)severity;
	if (libevent_verbose)
		fprintf(stderr, "asyncprobe: libevent: %s\n", msg);
}

static void
evdns_log_cb(int is_warning, const char *msg)
{
	libevent_log_cb(is_warning, msg);
}

/* -j: online CPUs unless given.  What must come out whole or in order
 * (prom, nagios, --ordered) takes one engine: one event loop. */
static int
thread_count(const struct ap_options *o, const struct ap_writer *w)
{
	long	n = o->threads;

	if (o->ordered || ap_writer_whole_run(w))
		return (1);
	if (n <= 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return ((int)n);
}

int
main(int argc, char **argv)
{
	struct ap_options		 opt;
	struct ap_outfile		*of = NULL;
	FILE				*devnull = NULL;
	struct ap_writer		 writer;
	struct ap_input			*input = NULL;
	struct ap_stats			*stats = NULL;
	struct ap_engine		*eng = NULL;
	const struct ap_engine_tally	*tally = NULL;
	struct ap_engine_tally		 ptally;
	uint64_t			 total = 0;
	unsigned			 peak = 0;
	int				 nthreads;
	enum ap_cli_rc			 rc;
	char				 errbuf[AP_ERRBUF_LEN * 2];
	int64_t				 start_us = ap_now_us();
	int				 code;

	/* A closed pipe is an EPIPE to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* Before any other libevent call: see pool.h. */
	ap_pool_use_for_libevent();

	rc = ap_cli_parse(argc, argv, &opt, errbuf, sizeof(errbuf));
	switch (rc) {
	case AP_CLI_HELP:
	case AP_CLI_VERSION:
		if (rc == AP_CLI_HELP)
			ap_cli_usage(stdout);
		else
			ap_cli_version(stdout);
		ap_options_free(&opt);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			fprintf(stderr, "asyncprobe: write: %s\n",
			    strerror(errno));
			return (EXIT_SYSTEM);
		}
		return (0);
	case AP_CLI_ERROR:
		fprintf(stderr, "asyncprobe: %s\n"
		    "Try 'asyncprobe --help' for more information.\n", errbuf);
		ap_options_free(&opt);
		return (EXIT_USAGE);
	case AP_CLI_OK:
		break;
	}

	libevent_verbose = opt.verbose >= 2;
	event_set_log_callback(libevent_log_cb);
	evdns_set_log_fn(evdns_log_cb);

	memset(&writer, 0, sizeof(writer));
	writer.ops = opt.format;
	writer.verbose = opt.verbose;
	writer.no_header = opt.no_header;
	writer.labels = opt.labels;
	writer.nlabels = opt.nlabels;
	writer.per_address = opt.all_addresses;
	writer.warn_down = &opt.warn_down;
	writer.crit_down = &opt.crit_down;
	if (opt.quiet && ap_writer_has_exit_code(&writer)) {
		/* -q -f nagios: no output, but the plugin's exit codes, which
		 * the writer works out from every record. */
		if ((devnull = fopen("/dev/null", "we")) == NULL) {
			fprintf(stderr, "asyncprobe: /dev/null: %s\n",
			    strerror(errno));
			ap_options_free(&opt);
			return (EXIT_SYSTEM);
		}
		writer.fp = devnull;
		opt.quiet = false;
	} else if (opt.output != NULL && opt.interval_ms == 0) {
		if ((of = ap_outfile_open(opt.output)) == NULL) {
			fprintf(stderr, "asyncprobe: %s: %s\n", opt.output,
			    strerror(errno));
			ap_options_free(&opt);
			return (EXIT_USAGE);
		}
		writer.fp = ap_outfile_fp(of);
	} else {
		writer.fp = stdout;
		/* Whole records leave in big writes; the engine flushes
		 * whenever its loop is about to wait. */
		if (!isatty(STDOUT_FILENO))
			setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	}

	if ((input = ap_input_new(opt.files,
	    opt.ports.count > 0 ? &opt.ports : NULL)) == NULL) {
		fprintf(stderr, "asyncprobe: %s\n", strerror(errno));
		code = EXIT_SYSTEM;
		goto out;
	}
	ap_input_on_error(input, input_error_cb, &writer);
	if (opt.stats)
		stats = ap_stats_new();
	if (opt.progress == AP_PROGRESS_ALWAYS ||
	    (opt.progress == AP_PROGRESS_AUTO && isatty(STDERR_FILENO)))
		total = count_targets(&opt);
	if (opt.interval_ms > 0) {
		/* Monitor mode: rounds; -o is put in place after each. */
		if (ap_monitor_run(&opt, &writer, stats, &ptally, &peak,
		    errbuf, sizeof(errbuf)) == -1) {
			fprintf(stderr, "asyncprobe: %s\n", errbuf);
			code = EXIT_USAGE;
			goto out;
		}
		tally = &ptally;
	} else if ((nthreads = thread_count(&opt, &writer)) > 1) {
		if (ap_parallel_run(&opt, input, &writer, stats, nthreads,
		    total, &ptally, &peak, errbuf, sizeof(errbuf)) == -1) {
			fprintf(stderr, "asyncprobe: %s\n", errbuf);
			code = EXIT_USAGE;
			goto out;
		}
		tally = &ptally;
	} else {
		if ((eng = ap_engine_new(&opt, input, &writer, stats, errbuf,
		    sizeof(errbuf))) == NULL) {
			fprintf(stderr, "asyncprobe: %s\n", errbuf);
			code = EXIT_USAGE;
			goto out;
		}
		ap_engine_set_total(eng, total);
		tally = ap_engine_run(eng);
		peak = ap_engine_peak_inflight(eng);
	}
	code = exit_status(&opt, tally);
	if (tally->system_error != 0)
		fprintf(stderr, "asyncprobe: %s: %s\n", tally->system_what,
		    strerror(tally->system_error));
	if (tally->targets == 0 && tally->file_errors == 0 &&
	    tally->signal == 0 && tally->system_error == 0)
		fprintf(stderr, "asyncprobe: no targets\n");
	/* On a signal or a failure the old file stays (SPEC 1), and when
	 * no input could be read: an empty list of a missing file must not
	 * replace the last good one (a metrics file would lose every
	 * series, as -q -o would make it). */
	if (of != NULL && tally->targets == 0 && tally->file_errors > 0 &&
	    tally->signal == 0)
		fprintf(stderr, "asyncprobe: %s left as it was: no input could "
		    "be read\n", opt.output);
	else if (of != NULL && tally->system_error == 0 &&
	    tally->signal == 0) {
		char	*path = xstrdup(ap_outfile_target(of));

		if (ap_outfile_commit(of) == -1) {
			fprintf(stderr, "asyncprobe: %s: %s\n", path,
			    strerror(errno));
			code = EXIT_SYSTEM;
		}
		free(path);
		of = NULL;
	} else if (of == NULL && devnull == NULL && !tally->output_closed &&
	    tally->system_error == 0 && fflush(stdout) == EOF &&
	    !ap_write_closed(errno)) {
		fprintf(stderr, "asyncprobe: write: %s\n", strerror(errno));
		code = EXIT_SYSTEM;
	}
	if (tally->signal == 0)
		/* A Nagios plugin speaks in its own codes (3: UNKNOWN). */
		code = ap_writer_exit_code(&writer, code);
	if (stats != NULL)
		ap_stats_print(stats, stderr, ap_now_us() - start_us, peak);
out:
	ap_writer_discard(&writer);
	ap_engine_free(eng);
	ap_stats_free(stats);
	ap_input_free(input);
	ap_outfile_abandon(of);
	if (devnull != NULL)
		fclose(devnull);
	ap_options_free(&opt);
	/* The pool's cached blocks are left to go with the process: see
	 * pool.h. */
	/* stdout may be a closed pipe: nothing more to say there. */
	if (fclose(stdout) == EOF && !ap_write_closed(errno) &&
	    code < EXIT_SYSTEM && (tally == NULL || !tally->output_closed))
		code = EXIT_SYSTEM;
	return (code);
}
