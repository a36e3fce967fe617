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
#include "output.h"
#include "parallel.h"
#include "pool.h"
#include "stats.h"
#include "xmalloc.h"

#define EXIT_DOWN	1
#define EXIT_UNRESOLVED	2
#define EXIT_USAGE	3
#define EXIT_SYSTEM	4

/* -o FILE is written to a temporary file beside it and renamed into place
 * at the end, so a reader never sees half a file and a failed run leaves
 * the old one alone.  What is not a regular file (/dev/null, a FIFO, a
 * terminal) is written to directly: renaming over it would replace it. */
struct output_file {
	char	*path;
	char	*tmp;		/* NULL: written directly */
	FILE	*fp;
};

static mode_t
output_mode(const char *path)
{
	struct stat	st;
	mode_t		mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return (st.st_mode & 07777);
	mask = umask(0);
	umask(mask);
	return (0666 & ~mask);
}

static int
output_open(struct output_file *of, const char *path)
{
	struct stat	st;
	int		fd;

	of->path = xstrdup(path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return ((of->fp = fopen(path, "we")) == NULL ? -1 : 0);
	if (asprintf(&of->tmp, "%s.XXXXXX", path) == -1) {
		of->tmp = NULL;
		return (-1);
	}
	if ((fd = mkstemp(of->tmp)) == -1)
		return (-1);
	/* mkstemp() makes it 0600; the file it replaces would have been
	 * made 0666 less the umask (a collector running as another user
	 * reads a prom file), or keeps the mode it has. */
	if (fchmod(fd, output_mode(path)) == -1) {
		close(fd);
		unlink(of->tmp);
		return (-1);
	}
	if ((of->fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(of->tmp);
		return (-1);
	}
	return (0);
}

static int
output_commit(struct output_file *of)
{
	int	rc = 0;

	if (fflush(of->fp) == EOF ||
	    (of->tmp != NULL && fsync(fileno(of->fp)) == -1))
		rc = -1;
	if (fclose(of->fp) == EOF)
		rc = -1;
	of->fp = NULL;
	if (of->tmp == NULL)
		return (rc);
	if (rc == 0 && rename(of->tmp, of->path) == -1)
		rc = -1;
	if (rc == -1)
		unlink(of->tmp);
	return (rc);
}

static void
output_abandon(struct output_file *of)
{
	if (of->fp != NULL) {
		fclose(of->fp);
		of->fp = NULL;
		if (of->tmp != NULL)
			unlink(of->tmp);
	}
	free(of->tmp);
	free(of->path);
}

static const char *
format_name(enum ap_format f)
{
	switch (f) {
	case AP_FORMAT_CSV:
		return ("csv");
	case AP_FORMAT_JSON:
		return ("json");
	case AP_FORMAT_PROM:
		return ("prom");
	case AP_FORMAT_NAGIOS:
		return ("nagios");
	case AP_FORMAT_TEXT:
	default:
		return ("text");
	}
}

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

/* SPEC 6: the highest code that applies wins; a signal's over all. */
static int
exit_status(const struct ap_options *o, const struct ap_engine_tally *t)
{
	int	code = 0;

	if (t->system_error != 0)
		return (EXIT_SYSTEM);
	if (t->signal != 0)
		return (128 + t->signal);
	if (t->status[AP_STATUS_CONNECTED] < t->targets)
		code = EXIT_DOWN;
	if (t->status[AP_STATUS_UNRESOLVED] > 0)
		code = EXIT_UNRESOLVED;
	if (min_up_met(&o->min_up, t))
		code = 0;
	if (t->status[AP_STATUS_INVALID] > 0 || t->file_errors > 0)
		code = EXIT_USAGE;
	return (code);
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
thread_count(const struct ap_options *o)
{
	long	n = o->threads;

	if (o->ordered || o->format == AP_FORMAT_PROM ||
	    o->format == AP_FORMAT_NAGIOS)
		return (1);
	if (n <= 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return ((int)n);
}

int
main(int argc, char **argv)
{
	struct ap_options		 opt;
	struct output_file		 of;
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
	memset(&of, 0, sizeof(of));

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
	writer.ops = ap_output_find(format_name(opt.format));
	writer.verbose = opt.verbose;
	writer.warn_down = &opt.warn_down;
	writer.crit_down = &opt.crit_down;
	if (opt.output != NULL) {
		if (output_open(&of, opt.output) == -1) {
			fprintf(stderr, "asyncprobe: %s: %s\n", opt.output,
			    strerror(errno));
			output_abandon(&of);
			ap_options_free(&opt);
			return (EXIT_USAGE);
		}
		writer.fp = of.fp;
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
	if (opt.stats)
		stats = ap_stats_new();
	if (opt.progress == AP_PROGRESS_ALWAYS ||
	    (opt.progress == AP_PROGRESS_AUTO && isatty(STDERR_FILENO)))
		total = count_targets(&opt);
	if ((nthreads = thread_count(&opt)) > 1) {
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
	if (opt.output != NULL && tally->system_error == 0) {
		if (output_commit(&of) == -1) {
			fprintf(stderr, "asyncprobe: %s: %s\n", opt.output,
			    strerror(errno));
			code = EXIT_SYSTEM;
		}
	} else if (opt.output == NULL && !tally->output_closed &&
	    tally->system_error == 0 && fflush(stdout) == EOF &&
	    errno != EPIPE) {
		fprintf(stderr, "asyncprobe: write: %s\n", strerror(errno));
		code = EXIT_SYSTEM;
	}
	if (opt.format == AP_FORMAT_NAGIOS && tally->signal == 0 &&
	    !opt.quiet)
		/* A Nagios plugin speaks in its own codes (3: UNKNOWN). */
		code = code == EXIT_SYSTEM ? 3 :
		    ap_output_nagios_code(&writer);
	if (stats != NULL)
		ap_stats_print(stats, stderr, ap_now_us() - start_us, peak);
out:
	ap_writer_discard(&writer);
	ap_engine_free(eng);
	ap_stats_free(stats);
	ap_input_free(input);
	output_abandon(&of);
	ap_options_free(&opt);
	/* The pool's cached blocks are left to go with the process: see
	 * pool.h. */
	/* stdout may be a closed pipe: nothing more to say there. */
	if (fclose(stdout) == EOF && errno != EPIPE && code < EXIT_SYSTEM &&
	    (tally == NULL || !tally->output_closed))
		code = EXIT_SYSTEM;
	return (code);
}
