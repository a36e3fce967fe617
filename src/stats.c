/* SPDX-License-Identifier: ISC */
/* stats.c -- the -s summary (see stats.h).  Counting is O(1) per record;
 * percentiles sort a copy of the samples once, when the summary prints. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "result.h"
#include "stats.h"
#include "xmalloc.h"

struct ap_stats *
ap_stats_new(void)
{
	return (xcalloc(1, sizeof(struct ap_stats)));
}

void
ap_stats_free(struct ap_stats *st)
{
	if (st == NULL)
		return;
	free(st->rtt_us);
	free(st);
}

static void
rtt_push(struct ap_stats *st, int64_t rtt_us)
{
	if (st->nrtt == st->rtt_cap) {
		st->rtt_cap = st->rtt_cap == 0 ? 64 : st->rtt_cap * 2;
		st->rtt_us = xreallocarray(st->rtt_us, st->rtt_cap,
		    sizeof(*st->rtt_us));
	}
	st->rtt_us[st->nrtt++] = rtt_us;
}

void
ap_stats_add(struct ap_stats *st, const struct ap_result *r)
{
	st->targets++;
	/* Out-of-range statuses count as error, as ap_status_name() says. */
	if ((unsigned)r->status < AP_STATUS_COUNT)
		st->status[r->status]++;
	else
		st->status[AP_STATUS_ERROR]++;
	if (r->degraded)
		st->degraded++;
	st->addresses += r->addresses;
	if (r->rtt_us >= 0)
		rtt_push(st, r->rtt_us);
}

void
ap_stats_merge(struct ap_stats *dst, const struct ap_stats *src)
{
	size_t	 i;

	dst->targets += src->targets;
	for (i = 0; i < AP_STATUS_COUNT; i++)
		dst->status[i] += src->status[i];
	dst->degraded += src->degraded;
	dst->addresses += src->addresses;
	for (i = 0; i < src->nrtt; i++)
		rtt_push(dst, src->rtt_us[i]);
}

static int
int64_cmp(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return ((x > y) - (x < y));
}

int64_t
ap_stats_rank(const int64_t *sorted, size_t n, unsigned pct)
{
	size_t	 k;

	if (n == 0)
		return (-1);
	if (pct > 100)
		pct = 100;
	k = (size_t)(((uint64_t)pct * n + 99) / 100);
	return (sorted[k == 0 ? 0 : k - 1]);
}

static int64_t *
sorted_copy(const struct ap_stats *st)
{
	int64_t	*v;

	v = xreallocarray(NULL, st->nrtt, sizeof(*v));
	if (st->nrtt > 0) {
		memcpy(v, st->rtt_us, st->nrtt * sizeof(*v));
		qsort(v, st->nrtt, sizeof(*v), int64_cmp);
	}
	return (v);
}

int
ap_stats_print(const struct ap_stats *st, FILE *fp, int64_t elapsed_us,
    unsigned peak_inflight)
{
	char		 a[32], b[32], c[32], d[32];
	const char	*sep = ": ";
	int64_t		*v;
	size_t		 i;

	if (elapsed_us < 0)
		elapsed_us = 0;
	/* Seconds with 3 decimals: the microsecond formatter, scaled. */
	ap_format_ms(elapsed_us / 1000, a, sizeof(a));
	fprintf(fp, "asyncprobe: %llu target%s in %s s",
	    (unsigned long long)st->targets, st->targets == 1 ? "" : "s", a);
	if (elapsed_us > 0)
		fprintf(fp, " (%.2f/s)",
		    (double)st->targets * 1e6 / (double)elapsed_us);
	for (i = 0; i < AP_STATUS_COUNT; i++) {
		if (st->status[i] == 0)
			continue;
		fprintf(fp, "%s%llu %s", sep, (unsigned long long)st->status[i],
		    ap_status_name((enum ap_status)i));
		sep = ", ";
	}
	fprintf(fp, "; %llu degraded; %llu address%s tried",
	    (unsigned long long)st->degraded,
	    (unsigned long long)st->addresses,
	    st->addresses == 1 ? "" : "es");
	if (st->nrtt > 0) {
		v = sorted_copy(st);
		ap_format_ms(ap_stats_rank(v, st->nrtt, 0), a, sizeof(a));
		ap_format_ms(ap_stats_rank(v, st->nrtt, 50), b, sizeof(b));
		ap_format_ms(ap_stats_rank(v, st->nrtt, 95), c, sizeof(c));
		ap_format_ms(ap_stats_rank(v, st->nrtt, 100), d, sizeof(d));
		free(v);
		fprintf(fp, "; rtt min/median/p95/max %s/%s/%s/%s ms",
		    a, b, c, d);
	}
	fprintf(fp, "; peak %u in flight\n", peak_inflight);
	return (ferror(fp) ? -1 : 0);
}
