/* SPDX-License-Identifier: ISC */
/* output_nagios.c -- a Nagios plugin's answer (monitoring-plugins
 * guidelines): one status line with perfdata, then long output naming the
 * targets down, written at end() from counts gathered per record, and the
 * plugin exit code.  Thresholds come from --warn-down and --crit-down;
 * everything else about the run is the engine's. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "xmalloc.h"


#define NAGIOS_LIST_MAX		10	/* targets down named, then "and N more" */
#define NAGIOS_NAME_MAX		64	/* bytes of one name shown */

enum nagios_code {
	NAGIOS_OK,
	NAGIOS_WARNING,
	NAGIOS_CRITICAL,
	NAGIOS_UNKNOWN
};

static const char *const code_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

static void	nagios_free(struct ap_writer *);

struct nagios_state {
	uint64_t	 status[AP_STATUS_COUNT];
	uint64_t	 total;			/* records, invalid lines too */
	int64_t		 rtt_max_us;		/* -1: no connect */
	int64_t		 first_us;		/* earliest target start */
	int64_t		 last_us;		/* latest verdict */
	char		*down[NAGIOS_LIST_MAX];	/* "name status ERRNO" */
	size_t		 ndown;
	uint64_t	 unnamed;		/* down, not in down[] */
	char		*unreadable;		/* the first input error */
	uint64_t	 nunreadable;
};

static struct nagios_state *
nagios_state(struct ap_writer *w)
{
	struct nagios_state	*st = w->state;

	if (st == NULL) {
		st = w->state = xcalloc(1, sizeof(*st));
		w->free_state = nagios_free;
		st->rtt_max_us = -1;
	}
	return (st);
}

/* host:port, [v6]:port; the line as written when it never parsed.  One
 * line, no '|' (it starts the perfdata), nothing a web UI or terminal
 * showing it would obey. */
static char *
nagios_line(const struct ap_result *r)
{
	static const struct ap_text_opts opts = { "|", true, false,
	    NAGIOS_NAME_MAX };
	char		*raw, *line, shown[NAGIOS_NAME_MAX + 4];
	const char	*err;
	size_t		 len;

	if (r->host != NULL && r->port != 0) {
		len = strlen(r->host) + sizeof("[]:65535");
		raw = xmalloc(len);
		snprintf(raw, len, strchr(r->host, ':') != NULL ? "[%s]:%u" :
		    "%s:%u", r->host, r->port);
	} else
		raw = xstrdup(r->target != NULL && *r->target != '\0' ?
		    r->target : "-");
	ap_text_escape(shown, sizeof(shown), raw, strlen(raw), &opts);
	free(raw);
	err = ap_errno_name(r->error);
	len = strlen(shown) + strlen(err) + 32 + AP_IPSTR_LEN;
	line = xmalloc(len);
	if (r->icmp != NULL && r->icmp->origin != AP_ICMP_NONE)
		/* The operator's first question: a firewall, or a router in
		 * front of a dead host?  A reason word and an address. */
		snprintf(line, len, "%s %s%s%s (%s from %s)", shown,
		    ap_status_name(r->status), *err != '\0' ? " " : "", err,
		    ap_icmp_name(r->icmp), r->icmp->from);
	else
		snprintf(line, len, "%s %s%s%s", shown,
		    ap_status_name(r->status), *err != '\0' ? " " : "", err);
	return (line);
}

static void
nagios_free(struct ap_writer *w)
{
	struct nagios_state	*st = w->state;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ndown; i++)
		free(st->down[i]);
	free(st->unreadable);
	free(st);
	w->state = NULL;
	w->free_state = NULL;
}

/* An input file the check could not read: it did not run as asked. */
static void
nagios_input_error(struct ap_writer *w, const char *reason)
{
	static const struct ap_text_opts opts = { "|", true, false, 200 };
	struct nagios_state	*st = nagios_state(w);
	char			 shown[204];

	if (st->nunreadable++ > 0)
		return;
	ap_text_escape(shown, sizeof(shown), reason, strlen(reason), &opts);
	st->unreadable = xstrdup(shown);
}

/* Neither up nor down: a line that never parsed, a target cut short. */
static bool
nagios_unknown(enum ap_status s)
{
	return (s == AP_STATUS_INVALID || s == AP_STATUS_CANCELLED);
}

static int
nagios_write(struct ap_writer *w, const struct ap_result *r)
{
	struct nagios_state	*st = nagios_state(w);
	int64_t			 end_us;

	/* The run's span from the records alone: first start, last end. */
	end_us = r->timestamp_ms * 1000;
	if (st->total == 0 || end_us - r->elapsed_us < st->first_us)
		st->first_us = end_us - r->elapsed_us;
	if (st->total == 0 || end_us > st->last_us)
		st->last_us = end_us;
	st->total++;
	if ((unsigned)r->status < AP_STATUS_COUNT)
		st->status[r->status]++;
	if (r->status == AP_STATUS_CONNECTED) {
		if (r->rtt_us > st->rtt_max_us)
			st->rtt_max_us = r->rtt_us;
		return (0);
	}
	if (nagios_unknown(r->status))
		return (0);
	/* Name the first ones down (with -m, each address's record). */
	if (st->ndown < NAGIOS_LIST_MAX)
		st->down[st->ndown++] = nagios_line(r);
	else
		st->unnamed++;
	return (0);
}

/*
 * The count a threshold stands for among total targets: N, or the
 * smallest count that is at least N% of them.
 */
static uint64_t
nagios_limit(const struct ap_threshold *th, uint64_t total)
{
	double		 v;
	uint64_t	 n;

	if (th == NULL || !th->set)
		return (1);
	v = th->percent ? th->value * (double)total / 100.0 : th->value;
	if (v <= 0)
		return (0);
	if (v >= 18446744073709551615.0)
		return (UINT64_MAX);
	/* Round up by hand: no libm for one ceil(). */
	n = (uint64_t)v;
	return ((double)n < v ? n + 1 : n);
}

/*
 * The perfdata range that alerts exactly when down >= limit, as the
 * plugin does (guidelines: "N" alerts outside 0..N, "@N:" inside N..inf):
 * "limit-1", or "@0:" for a limit of 0, which always alerts.
 */
static void
nagios_range(FILE *fp, uint64_t limit)
{
	if (limit == 0)
		fputs("@0:", fp);
	else
		fprintf(fp, "%llu", (unsigned long long)(limit - 1));
}

/* Seconds from microseconds, exact: "0.012345". */
static void
nagios_seconds(FILE *fp, int64_t us, int decimals)
{
	uint64_t	 mag;

	mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	if (decimals == 3)
		fprintf(fp, "%s%llu.%03llus", us < 0 ? "-" : "",
		    (unsigned long long)(mag / 1000000),
		    (unsigned long long)(mag % 1000000 / 1000));
	else
		fprintf(fp, "%s%llu.%06llus", us < 0 ? "-" : "",
		    (unsigned long long)(mag / 1000000),
		    (unsigned long long)(mag % 1000000));
}

static int
nagios_end(struct ap_writer *w)
{
	const struct nagios_state	*st = nagios_state(w);
	FILE				*fp = w->fp;
	uint64_t			 up, down, targets, warn, crit, n;
	const char			*sep;
	size_t				 i;
	int				 s, code;

	up = st->status[AP_STATUS_CONNECTED];
	targets = st->total - st->status[AP_STATUS_INVALID];
	down = targets - up - st->status[AP_STATUS_CANCELLED];
	warn = nagios_limit(w->warn_down, targets);
	crit = nagios_limit(w->crit_down, targets);
	/* The check could not run as asked: UNKNOWN whatever it saw.  Lines
	 * it could not read or targets cut short only when nothing worse
	 * was found. */
	if (st->nunreadable > 0 || st->total == 0)
		code = NAGIOS_UNKNOWN;
	else if (down >= crit)
		code = NAGIOS_CRITICAL;
	else if (down >= warn)
		code = NAGIOS_WARNING;
	else if (st->status[AP_STATUS_INVALID] > 0 ||
	    st->status[AP_STATUS_CANCELLED] > 0)
		code = NAGIOS_UNKNOWN;
	else
		code = NAGIOS_OK;

	fprintf(fp, "ASYNCPROBE %s - ", code_names[code]);
	if (st->unreadable != NULL) {
		fprintf(fp, "cannot read %s", st->unreadable);
		if (st->nunreadable > 1)
			fprintf(fp, " (and %llu more)",
			    (unsigned long long)(st->nunreadable - 1));
		fputs(", ", fp);
	}
	if (st->total == 0)
		fputs("no targets", fp);
	else {
		fprintf(fp, "%llu/%llu targets down",
		    (unsigned long long)down, (unsigned long long)targets);
		sep = " (";
		for (s = 0; s < AP_STATUS_COUNT; s++) {
			if (s == AP_STATUS_CONNECTED || st->status[s] == 0 ||
			    nagios_unknown(s))
				continue;
			fprintf(fp, "%s%s %llu", sep, ap_status_name(s),
			    (unsigned long long)st->status[s]);
			sep = ", ";
		}
		if (*sep == ',')
			putc(')', fp);
		if ((n = st->status[AP_STATUS_CANCELLED]) > 0)
			fprintf(fp, ", %llu cancelled", (unsigned long long)n);
		if ((n = st->status[AP_STATUS_INVALID]) > 0)
			fprintf(fp, ", %llu invalid line%s",
			    (unsigned long long)n, n == 1 ? "" : "s");
	}

	/*
	 * Perfdata: 'label'=value[UOM];warn;crit;min;max, the ranges
	 * alerting at the very counts the status above used.
	 */
	fprintf(fp, " | up=%llu;;;0;%llu down=%llu;", (unsigned long long)up,
	    (unsigned long long)targets, (unsigned long long)down);
	nagios_range(fp, warn);
	putc(';', fp);
	nagios_range(fp, crit);
	fprintf(fp, ";0;%llu invalid=%llu;;;0 rtt_max=",
	    (unsigned long long)targets,
	    (unsigned long long)st->status[AP_STATUS_INVALID]);
	if (st->rtt_max_us < 0)
		fputs("U", fp);		/* guidelines: value undetermined */
	else
		nagios_seconds(fp, st->rtt_max_us, 6);
	fputs(";;;0 elapsed=", fp);
	nagios_seconds(fp, st->last_us - st->first_us, 3);
	putc('\n', fp);

	/* Long output: one line per target down, the first few. */
	for (i = 0; i < st->ndown; i++)
		fprintf(fp, "%s\n", st->down[i]);
	if (st->unnamed > 0)
		fprintf(fp, "and %llu more\n", (unsigned long long)st->unnamed);

	nagios_free(w);
	/* Flushed here, so a code is only handed out for a line that left. */
	if (fflush(fp) == EOF || ferror(fp))
		return (-1);
	w->code = code;
	w->ended = true;
	return (0);
}

/* A plugin speaks in its own codes: 3 UNKNOWN when it could not say. */
static int
nagios_exit_code(const struct ap_writer *w, int status)
{
	if (status == 4 || !w->ended)
		return (NAGIOS_UNKNOWN);
	return (w->code);
}

const struct ap_writer_ops ap_output_nagios = {
	.name = "nagios",
	.whole_run = true,
	.write = nagios_write,
	.end = nagios_end,
	.input_error = nagios_input_error,
	.exit_code = nagios_exit_code,
};
