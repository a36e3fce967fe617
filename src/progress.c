/* SPDX-License-Identifier: ISC */
/* progress.c -- see progress.h. */
#include "config.h"

#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

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

void
ap_progress_line_init(struct ap_progress_line *pl, FILE *out)
{
	struct stat	a, b;

	pthread_mutex_init(&pl->lock, NULL);
	pl->drawn = false;
	pl->tty = isatty(STDERR_FILENO);
	/* Records on the same terminal would be glued to the line. */
	pl->shared = pl->tty && out != NULL && isatty(fileno(out)) &&
	    fstat(fileno(out), &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
	    a.st_rdev == b.st_rdev;
}

void
ap_progress_line_destroy(struct ap_progress_line *pl)
{
	ap_progress_hold(pl, true);
	ap_progress_release(pl);
	pthread_mutex_destroy(&pl->lock);
}

static void
erase(struct ap_progress_line *pl)
{
	if (pl->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pl->drawn = false;
	}
}

void
ap_progress_draw(struct ap_progress_line *pl,
    const struct ap_progress_view *v, bool own_line)
{
	char	line[512];

	ap_progress_format(v, line, sizeof(line));
	pthread_mutex_lock(&pl->lock);
	erase(pl);
	if (pl->tty && !own_line) {
		fprintf(stderr, "\rasyncprobe: %s\033[K", line);
		pl->drawn = true;
	} else
		fprintf(stderr, "asyncprobe: %s\n", line);
	fflush(stderr);
	pthread_mutex_unlock(&pl->lock);
}

void
ap_progress_hold(struct ap_progress_line *pl, bool to_stderr)
{
	pthread_mutex_lock(&pl->lock);
	if (to_stderr || pl->shared)
		erase(pl);
}

void
ap_progress_release(struct ap_progress_line *pl)
{
	pthread_mutex_unlock(&pl->lock);
}
