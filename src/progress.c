/* SPDX-License-Identifier: ISC */
/* progress.c -- see progress.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "progress.h"

static void	append(char *, size_t, size_t *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

size_t
ap_progress_format(const struct ap_progress_view *v, char *buf, size_t len)
{
	double	secs = (double)v->elapsed_us / 1e6;
	double	rate = secs > 0 ? (double)v->done / secs : 0;
	size_t	off = 0;
	int	i, first = 1;

	if (len == 0)
		return (0);
	buf[0] = '\0';
	if (v->total > 0)
		append(buf, len, &off, "%llu/%llu done (%u%%)",
		    (unsigned long long)v->done,
		    (unsigned long long)v->total,
		    (unsigned)(v->done * 100 / v->total));
	else
		append(buf, len, &off, "%llu done",
		    (unsigned long long)v->done);
	append(buf, len, &off, ", %.0f/s", rate);
	for (i = 0; i < AP_STATUS_COUNT; i++) {
		if (v->status[i] == 0)
			continue;
		append(buf, len, &off, "%s %llu %s", first ? ":" : ",",
		    (unsigned long long)v->status[i],
		    ap_status_name((enum ap_status)i));
		first = 0;
	}
	append(buf, len, &off, "; %u in flight", v->inflight);
	if (v->total > v->done && rate > 0)
		append(buf, len, &off, "; ETA %.0fs",
		    (double)(v->total - v->done) / rate + 0.5);
	return (off);
}
