/* SPDX-License-Identifier: ISC */
/* output_blackbox.c -- what --serve's /probe answers: one target's record
 * as blackbox_exporter's tcp prober reports it (probe_success,
 * probe_duration_seconds, probe_dns_lookup_time_seconds, probe_ip_protocol,
 * probe_ip_addr_hash, probe_failed_due_to_regex), so a blackbox scrape
 * config works unchanged, plus one asyncprobe series with the status and
 * errno blackbox_exporter has no word for.  No labels: Prometheus adds the
 * target's own (instance, job) when it scrapes.  Not in the -f registry:
 * one record per answer is all it is made for. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
#include "xmalloc.h"

/* The first record, as the series need it. */
struct blackbox_state {
	bool		 seen;		/* a record came */
	enum ap_status	 status;
	int		 error;		/* errno or AP_ERR_*; 0 */
	int64_t		 duration_us;	/* target start to verdict */
	int64_t		 dns_us;	/* target start to first attempt */
	uint32_t	 addr_hash;	/* FNV-1a of the address bytes */
	int		 protocol;	/* 4, 6, 0: no address */
};

static void
blackbox_free(struct ap_writer *w)
{
	free(w->state);
	w->state = NULL;
	w->free_state = NULL;
}

/* Resolution ends when the first attempt starts; with no attempt at all
 * (unresolved, invalid, cancelled while resolving) the whole time went
 * there, as it does for blackbox_exporter when the lookup fails. */
static int64_t
blackbox_dns_us(const struct ap_result *r)
{
	int64_t	 first;
	size_t	 i;

	if (r->nattempts == 0)
		return (r->elapsed_us);
	first = r->attempts[0].start_us;
	for (i = 1; i < r->nattempts; i++)
		if (r->attempts[i].start_us < first)
			first = r->attempts[i].start_us;
	return (first);
}

static int
blackbox_write(struct ap_writer *w, const struct ap_result *r)
{
	struct blackbox_state	*st = w->state;

	if (st == NULL) {
		st = w->state = xcalloc(1, sizeof(*st));
		w->free_state = blackbox_free;
	}
	/* /probe asks for one target; with -m the first address stands. */
	if (st->seen)
		return (0);
	st->seen = true;
	st->status = r->status;
	st->error = r->error;
	st->duration_us = r->elapsed_us;
	st->dns_us = blackbox_dns_us(r);
	st->protocol = ap_format_ip_hash(r->ip, &st->addr_hash);
	return (0);
}

/* Seconds with microseconds, by integer arithmetic: exact, no exponent. */
static void
blackbox_seconds(FILE *fp, const char *name, int64_t us)
{
	uint64_t	 mag;

	mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	fprintf(fp, "%s %s%llu.%06llu\n", name, us < 0 ? "-" : "",
	    (unsigned long long)(mag / 1000000),
	    (unsigned long long)(mag % 1000000));
}

static void
blackbox_family(FILE *fp, const char *name, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/*
 * The families in the order blackbox_exporter's registry writes them
 * (sorted by name), with its help texts.  The status and errno label
 * values come from result.c's fixed tables (lower-case words, upper-case
 * errno names, "E<number>"): nothing in them needs the escaping the prom
 * writer does (check_serve tests every one).
 */
static int
blackbox_end(struct ap_writer *w)
{
	static const struct blackbox_state	 none;
	const struct blackbox_state		*st = w->state;
	FILE					*fp = w->fp;

	if (st == NULL)
		st = &none;
	if (st->seen) {
		blackbox_family(fp, "asyncprobe_probe_status",
		    "1, labelled with the target's status and the errno "
		    "behind it (empty when connected).");
		fprintf(fp, "asyncprobe_probe_status{status=\"%s\","
		    "errno=\"%s\"} 1\n", ap_status_name(st->status),
		    ap_errno_name(st->error));
		blackbox_family(fp, "probe_dns_lookup_time_seconds",
		    "Returns the time taken for probe dns lookup in seconds");
		blackbox_seconds(fp, "probe_dns_lookup_time_seconds",
		    st->dns_us);
	}
	blackbox_family(fp, "probe_duration_seconds",
	    "Returns how long the probe took to complete in seconds");
	blackbox_seconds(fp, "probe_duration_seconds", st->duration_us);
	if (st->seen && w->expect) {
		blackbox_family(fp, "probe_failed_due_to_regex",
		    "Indicates if probe failed due to regex");
		fprintf(fp, "probe_failed_due_to_regex %d\n",
		    st->status == AP_STATUS_MISMATCH);
	}
	if (st->seen) {
		blackbox_family(fp, "probe_ip_addr_hash",
		    "Specifies the hash of IP address. It's useful to "
		    "detect if the IP address changes.");
		fprintf(fp, "probe_ip_addr_hash %lu\n",
		    (unsigned long)st->addr_hash);
		blackbox_family(fp, "probe_ip_protocol",
		    "Specifies whether probe ip protocol is IP4 or IP6");
		fprintf(fp, "probe_ip_protocol %d\n", st->protocol);
	}
	blackbox_family(fp, "probe_success",
	    "Displays whether or not the probe was a success");
	fprintf(fp, "probe_success %d\n", st->seen &&
	    st->status == AP_STATUS_CONNECTED);
	blackbox_free(w);
	return (ferror(fp) ? -1 : 0);
}

const struct ap_writer_ops ap_output_blackbox = {
	.name = "blackbox",
	.whole_run = true,
	.write = blackbox_write,
	.end = blackbox_end,
};
