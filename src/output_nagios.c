/* SPDX-License-Identifier: ISC */
/* output_nagios.c -- a Nagios plugin's answer: one status line with
 * perfdata, written at end() from counts gathered per record, and the
 * plugin exit code for main.c.  Thresholds come from --warn-down and
 * --crit-down; everything else about the run is the engine's. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "xmalloc.h"


#define NAGIOS_LIST_MAX		10	/* failing targets named */
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

struct nagios_state {
	uint64_t	 status[AP_STATUS_COUNT];
	uint64_t	 total;
	int64_t		 rtt_max_us;		/* -1: no connect */
	int64_t		 first_us;		/* earliest target start */
	int64_t		 last_us;		/* latest verdict */
	char		*down[NAGIOS_LIST_MAX];	/* escaped, first failures */
	size_t		 ndown;
	bool		 more;			/* failures not named */
};

/* host:port, [v6]:port; the line as written when it never parsed. */
static char *
nagios_name(const struct ap_result *r)
{
	static const struct ap_text_opts opts = { "|", true, false,
	    NAGIOS_NAME_MAX };
	char	*raw, *name, shown[NAGIOS_NAME_MAX + 4];
	size_t	 len;

	if (r->host != NULL && r->port != 0) {
		len = strlen(r->host) + sizeof("[]:65535");
		raw = xmalloc(len);
		snprintf(raw, len, strchr(r->host, ':') != NULL ? "[%s]:%u" :
		    "%s:%u", r->host, r->port);
	} else
		raw = xstrdup(r->target != NULL && *r->target != '\0' ?
		    r->target : "-");
	/* One line, no '|' (it starts the perfdata), nothing a web UI or
	 * terminal showing it would obey. */
	ap_text_escape(shown, sizeof(shown), raw, strlen(raw), &opts);
	name = xstrdup(shown);
	free(raw);
	return (name);
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
	free(st);
	w->state = NULL;
	w->free_state = NULL;
}

static int
nagios_write(struct ap_writer *w, const struct ap_result *r)
{
	struct nagios_state	*st = w->state;
	int64_t			 end_us;
	char			*name;
	size_t			 i;

	if (st == NULL) {
		st = w->state = xcalloc(1, sizeof(*st));
		w->free_state = nagios_free;
		st->rtt_max_us = -1;
	}
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

	/* Name the first failures; -m repeats a name once per address. */
	if (st->ndown == NAGIOS_LIST_MAX && st->more)
		return (0);
	name = nagios_name(r);
	for (i = 0; i < st->ndown; i++) {
		if (strcmp(st->down[i], name) == 0)
			break;
	}
	if (i < st->ndown)
		free(name);
	else if (st->ndown < NAGIOS_LIST_MAX)
		st->down[st->ndown++] = name;
	else {
		free(name);
		st->more = true;
	}
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
	static const struct nagios_state	 empty = { .rtt_max_us = -1 };
	const struct nagios_state		*st = w->state;
	FILE					*fp = w->fp;
	uint64_t				 up, down, warn, crit;
	const char				*sep;
	size_t					 i;
	int					 s, code;

	if (st == NULL)
		st = &empty;
	up = st->status[AP_STATUS_CONNECTED];
	down = st->total - up;
	warn = nagios_limit(w->warn_down, st->total);
	crit = nagios_limit(w->crit_down, st->total);
	if (st->total == 0 || st->status[AP_STATUS_INVALID] > 0)
		code = NAGIOS_UNKNOWN;
	else if (down >= crit)
		code = NAGIOS_CRITICAL;
	else if (down >= warn)
		code = NAGIOS_WARNING;
	else
		code = NAGIOS_OK;

	fprintf(fp, "ASYNCPROBE %s - ", code_names[code]);
	if (st->total == 0)
		fputs("no targets", fp);
	else if (down == 0)
		fprintf(fp, "0/%llu targets down",
		    (unsigned long long)st->total);
	else {
		fprintf(fp, "%llu/%llu targets down (",
		    (unsigned long long)down, (unsigned long long)st->total);
		sep = "";
		for (s = 0; s < AP_STATUS_COUNT; s++) {
			if (s == AP_STATUS_CONNECTED || st->status[s] == 0)
				continue;
			fprintf(fp, "%s%s %llu", sep, ap_status_name(s),
			    (unsigned long long)st->status[s]);
			sep = ", ";
		}
		fputs("):", fp);
		for (i = 0; i < st->ndown; i++)
			fprintf(fp, "%s%s", i > 0 ? ", " : " ", st->down[i]);
		if (st->more)
			fputs(", ...", fp);
	}

	/*
	 * Perfdata (plugin guidelines): 'label'=value[UOM];warn;crit;min;max.
	 * warn and crit are the counts at which the state changes, as the
	 * options say them, percentages turned into counts of this run.
	 */
	fprintf(fp, " | up=%llu;;;0;%llu down=%llu;%llu;%llu;0;%llu rtt_max=",
	    (unsigned long long)up, (unsigned long long)st->total,
	    (unsigned long long)down, (unsigned long long)warn,
	    (unsigned long long)crit, (unsigned long long)st->total);
	if (st->rtt_max_us < 0)
		fputs("U", fp);		/* guidelines: value undetermined */
	else
		nagios_seconds(fp, st->rtt_max_us, 6);
	fputs(";;;0 elapsed=", fp);
	nagios_seconds(fp, st->last_us - st->first_us, 3);
	putc('\n', fp);

	nagios_free(w);
	/* Flushed here, so a code is only handed out for a line that left. */
	if (fflush(fp) == EOF || ferror(fp))
		return (-1);
	w->code = code;
	w->ended = true;
	return (0);
}

int
ap_output_nagios_code(const struct ap_writer *w)
{
	if (w->ops != &ap_output_nagios || !w->ended)
		return (NAGIOS_UNKNOWN);
	return (w->code);
}

const struct ap_writer_ops ap_output_nagios = {
	"nagios",
	NULL,
	nagios_write,
	nagios_end
};
