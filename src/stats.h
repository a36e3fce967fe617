/* SPDX-License-Identifier: ISC */
/* stats.h -- the -s summary: counts per status, degraded targets, addresses
 * tried and connect rtt percentiles, accumulated one record at a time and
 * printed once on stderr.  No libevent; one per engine, merged for -j. */
#ifndef AP_STATS_H
#define AP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"

struct ap_stats {
	uint64_t	 targets;		/* records added */
	uint64_t	 status[AP_STATUS_COUNT]; /* records per status */
	uint64_t	 degraded;		/* connected after a failure */
	uint64_t	 addresses;		/* addresses tried, summed */
	int64_t		*rtt_us;		/* XXX unbounded: one per rtt */
	size_t		 nrtt;			/* samples in rtt_us */
	size_t		 rtt_cap;		/* slots in rtt_us */
};

/* Never NULL (xmalloc).  Free with ap_stats_free(); NULL is accepted. */
struct ap_stats	*ap_stats_new(void);
void		 ap_stats_free(struct ap_stats *);

/* Count one record; keeps its rtt when it has one (rtt_us >= 0). */
void		 ap_stats_add(struct ap_stats *, const struct ap_result *);
/* Add everything in src to dst (one engine per thread, one summary). */
void		 ap_stats_merge(struct ap_stats *dst,
		    const struct ap_stats *src);

/* Nearest-rank percentile (0..100; more is 100) of n sorted samples: the
 * ceil(pct/100 * n)-th, 1-based, so the median of an even count is the
 * lower middle; -1 when n is 0.  The summary's min/median/p95/max. */
int64_t		 ap_stats_rank(const int64_t *sorted, size_t n, unsigned pct);

/*
 * One line for people:
 *   asyncprobe: 12 targets in 1.204 s (9.97/s): 8 connected, 2 refused,
 *   1 timeout, 1 invalid; 1 degraded; 15 addresses tried; rtt
 *   min/median/p95/max 0.045/0.080/0.210/0.300 ms; peak 12 in flight
 * Statuses with no record and the rtt part without samples are left out.
 * Returns 0, or -1 when the stream failed.
 */
int		 ap_stats_print(const struct ap_stats *, FILE *,
		    int64_t elapsed_us, unsigned peak_inflight);

#endif
