/* SPDX-License-Identifier: ISC */
/* output.c -- the writer registry and the helpers every format shares, so
 * a value prints the same in text, csv and json.  The formats themselves
 * live in output_<name>.c; choosing what to write is the caller's job. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"


#define WRITERS_MAX	16	/* the rows below and those registered */

/* A new format is one file plus one row here (zmap); the rows left NULL
 * are for ap_output_register(). */
static const struct ap_writer_ops *writers[WRITERS_MAX + 1] = {
	&ap_output_text,
	&ap_output_csv,
	&ap_output_json,
	&ap_output_prom,
	&ap_output_nagios,
	NULL
};
static bool	 list_made;	/* ap_output_list()'s text is current */

int
ap_output_register(const struct ap_writer_ops *ops)
{
	size_t	 n;

	if (ops == NULL || ops->name == NULL || ops->write == NULL ||
	    ap_output_find(ops->name) != NULL)
		return (-1);
	for (n = 0; writers[n] != NULL; n++)
		;
	if (n >= WRITERS_MAX)
		return (-1);
	writers[n] = ops;
	writers[n + 1] = NULL;
	list_made = false;
	return (0);
}

const struct ap_writer_ops *
ap_output_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; writers[i] != NULL; i++) {
		if (strcmp(writers[i]->name, name) == 0)
			return (writers[i]);
	}
	return (NULL);
}

const char *
ap_output_list(void)
{
	static char	 list[128];
	size_t		 i, len = 0;

	/* Built on the first call, from main() before any thread. */
	if (list_made)
		return (list);
	for (i = 0; writers[i] != NULL; i++) {
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? ", " : "", writers[i]->name);
		if (len >= sizeof(list))
			break;
	}
	list_made = true;
	return (list);
}

/*
 * The header waits here until the first record: then it goes to the
 * stream the writer was begun with, ahead of every record, whichever
 * copy of the writer (an -j engine's, an --ordered group's) formats that
 * record and wherever that copy buffers it.  A record reaches the stream
 * only after it is formatted, and formatting waits for the header.
 */
struct ap_writer_header {
	pthread_mutex_t	 lock;
	atomic_bool	 done;
	struct ap_writer w;		/* the writer as begun, fp the stream */
};

int
ap_writer_begin(struct ap_writer *w)
{
	struct ap_writer_header	*h;

	if (w->ops->begin == NULL || w->no_header || w->header != NULL)
		return (ferror(w->fp) ? -1 : 0);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (-1);
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		errno = ENOMEM;
		return (-1);
	}
	atomic_init(&h->done, false);
	h->w = *w;
	w->header = h;
	return (ferror(w->fp) ? -1 : 0);
}

/* The header onto the stream, once.  -1 when it cannot be written now
 * (stdio reports most failures later, at a flush, anyway). */
static int
write_header(struct ap_writer_header *h)
{
	int	 rc = 0;

	pthread_mutex_lock(&h->lock);
	if (!atomic_load_explicit(&h->done, memory_order_relaxed)) {
		rc = h->w.ops->begin(&h->w);
		atomic_store_explicit(&h->done, true, memory_order_release);
	}
	pthread_mutex_unlock(&h->lock);
	return (rc);
}

bool
ap_writer_header_pending(const struct ap_writer *w)
{
	return (w->header != NULL &&
	    !atomic_load_explicit(&w->header->done, memory_order_acquire));
}

/*
 * The wrappers turn a stream error into -1 whatever the writer returned:
 * stdio reports most write errors late, on a later call or at fflush().
 */
int
ap_writer_write(struct ap_writer *w, const struct ap_result *r)
{
	struct ap_writer_header	*h = w->header;

	if (h != NULL &&
	    !atomic_load_explicit(&h->done, memory_order_acquire) &&
	    write_header(h) == -1)
		return (-1);
	if (w->ops->write(w, r) == -1 || ferror(w->fp))
		return (-1);
	return (0);
}

static void
header_free(struct ap_writer *w)
{
	if (w->header == NULL)
		return;
	pthread_mutex_destroy(&w->header->lock);
	free(w->header);
	w->header = NULL;
}

int
ap_writer_end(struct ap_writer *w)
{
	int	 rc = 0;

	header_free(w);
	if (w->ops->end != NULL)
		rc = w->ops->end(w);
	/* The last chance to see ENOSPC or EPIPE before the caller exits. */
	if (fflush(w->fp) == EOF)
		rc = -1;
	if (rc == -1 || ferror(w->fp))
		return (-1);
	return (0);
}

void
ap_writer_discard(struct ap_writer *w)
{
	header_free(w);
	if (w->free_state != NULL)
		w->free_state(w);
	w->free_state = NULL;
	w->state = NULL;
}

bool
ap_writer_whole_run(const struct ap_writer *w)
{
	return (w->ops != NULL && w->ops->whole_run);
}

void
ap_writer_input_error(struct ap_writer *w, const char *reason)
{
	if (w->ops != NULL && w->ops->input_error != NULL)
		w->ops->input_error(w, reason);
}

bool
ap_writer_has_exit_code(const struct ap_writer *w)
{
	return (w->ops != NULL && w->ops->exit_code != NULL);
}

int
ap_writer_exit_code(const struct ap_writer *w, int status)
{
	if (!ap_writer_has_exit_code(w))
		return (status);
	return (w->ops->exit_code(w, status));
}

/*
 * The date and time of the last second formatted, per thread (-j runs one
 * engine per thread): records come out in time order, so most share their
 * second with the record before, and only ".mmmZ" is new.
 */
static _Thread_local struct {
	bool		 valid;		/* secs and text are set */
	int64_t		 secs;		/* since the epoch, UTC */
	size_t		 len;		/* of text; 0 if unprintable */
	char		 text[64];	/* "YYYY-MM-DDTHH:MM:SS" */
} ts_cache;

/* Two decimal digits, for the fields of a date. */
static char *
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return (p + 2);
}

/*
 * "YYYY-MM-DDTHH:MM:SS" for secs into buf (64 bytes); returns its length,
 * 0 when there is none.  Years 1000 to 9999 by hand, with the days-to-civil
 * arithmetic of H. Hinnant's "chrono-compatible low-level date algorithms"
 * (no lock, unlike gmtime_r()); any other year as strftime() prints it.
 */
static size_t
format_seconds(int64_t secs, char *buf)
{
	int64_t		 days, sod, era, doe, yoe, doy, mp, y, m, d;
	char		*p = buf;
	struct tm	 tm;
	time_t		 t;

	/* 1000-01-01T00:00:00 to 9999-12-31T23:59:59: glibc does not pad
	 * shorter years to four digits, and longer ones are longer. */
	if (secs < -30610224000LL || secs > 253402300799LL) {
		t = (time_t)secs;
		if ((int64_t)t != secs || gmtime_r(&t, &tm) == NULL)
			return (0);
		return (strftime(buf, 64, "%Y-%m-%dT%H:%M:%S", &tm));
	}
	/* Floor division: instants before 1970 belong to the day before. */
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	days += 719468;			/* from 1970-01-01 to 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;	/* day of the 400-year era */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;	/* month from March: 0 to 11 */
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);

	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, (unsigned)m);
	*p++ = '-';
	p = put2(p, (unsigned)d);
	*p++ = 'T';
	p = put2(p, (unsigned)(sod / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(sod / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(sod % 60));
	return ((size_t)(p - buf));
}

/*
 * The RFC 3339 text of ms into buf (64 bytes); returns its length, 0 when
 * the year cannot be printed.  Only a new second costs real work.
 */
static size_t
format_timestamp(int64_t ms, char *buf)
{
	int64_t	 frac, secs;
	size_t	 n;

	/* Floor division, so instants before 1970 still print sanely (and
	 * without overflow at INT64_MIN). */
	secs = ms / 1000;
	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (!ts_cache.valid || ts_cache.secs != secs) {
		ts_cache.len = format_seconds(secs, ts_cache.text);
		ts_cache.secs = secs;
		ts_cache.valid = true;
	}
	if ((n = ts_cache.len) == 0)
		return (0);
	if (n == 19)		/* the usual length, copied inline */
		memcpy(buf, ts_cache.text, 19);
	else
		memcpy(buf, ts_cache.text, n);
	buf[n++] = '.';
	buf[n++] = (char)('0' + frac / 100);
	buf[n++] = (char)('0' + frac / 10 % 10);
	buf[n++] = (char)('0' + frac % 10);
	buf[n++] = 'Z';
	return (n);
}

/* "00" to "99": numbers are written two digits per division. */
static const char digits2[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v, written backwards to end at end; returns the first. */
static char *
format_uint(uint64_t v, char *end)
{
	while (v >= 100) {
		end -= 2;
		memcpy(end, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, digits2 + 2 * v, 2);
	} else
		*--end = (char)('0' + v);
	return (end);
}

/* us as "[-]ms.uuu", ending at end (at least 24 bytes before it). */
static char *
format_ms(int64_t us, char *end)
{
	uint64_t	 mag;
	unsigned	 frac;
	char		*p = end;

	/* Integer arithmetic: exact, and no "-0.000" from rounding. */
	mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	frac = (unsigned)(mag % 1000);
	p -= 4;
	p[0] = '.';
	p[1] = (char)('0' + frac / 100);
	memcpy(p + 2, digits2 + 2 * (frac % 100), 2);
	p = format_uint(mag / 1000, p);
	if (us < 0)
		*--p = '-';
	return (p);
}

/* Copy n bytes as snprintf() would: truncated, always NUL-terminated. */
static void
copy_truncated(char *buf, size_t len, const char *s, size_t n)
{
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int
ap_format_ip_hash(const char *ip, uint32_t *hash)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		 buf[INET6_ADDRSTRLEN];
	const char	*pct;

	*hash = 0;
	if (ip == NULL || *ip == '\0')
		return (0);
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		*hash = ap_fnv1a(&a4, sizeof(a4), false);
		return (4);
	}
	/* A zone (fe80::1%eth0) is not part of the address bytes. */
	if ((pct = strchr(ip, '%')) != NULL &&
	    (size_t)(pct - ip) < sizeof(buf)) {
		memcpy(buf, ip, pct - ip);
		buf[pct - ip] = '\0';
		ip = buf;
	}
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		*hash = ap_fnv1a(&a6, sizeof(a6), false);
		return (6);
	}
	return (0);
}

void
ap_format_ms(int64_t us, char *buf, size_t len)
{
	char	 tmp[32], *p;

	p = format_ms(us, tmp + sizeof(tmp));
	copy_truncated(buf, len, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
ap_obuf_init(struct ap_obuf *b, char *stack, size_t size)
{
	b->p = stack;
	b->len = 0;
	b->cap = size;
	b->heap = NULL;
	b->failed = false;
}

int
ap_obuf_grow(struct ap_obuf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->failed || more > SIZE_MAX / 2 - b->len)
		goto fail;
	/* Doubling: a huge banner costs a few copies, not one per field. */
	cap = b->cap * 2;
	if (cap < b->len + more)
		cap = b->len + more;
	if (b->heap != NULL)
		p = realloc(b->heap, cap);
	else if ((p = malloc(cap)) != NULL && b->len > 0)
		memcpy(p, b->p, b->len);
	if (p == NULL)
		goto fail;
	b->p = b->heap = p;
	b->cap = cap;
	return (0);
fail:
	b->failed = true;
	return (-1);
}

/*
 * Each FILE is written by one thread only (each -j engine has its own), so
 * the stream's lock buys nothing; glibc can skip it.
 */
static size_t
obuf_fwrite(const char *p, size_t len, FILE *fp)
{
#if defined(HAVE_FWRITE_UNLOCKED) || defined(__GLIBC__)
	return (fwrite_unlocked(p, 1, len, fp));
#else
	return (fwrite(p, 1, len, fp));
#endif
}

int
ap_obuf_flush(struct ap_obuf *b, FILE *fp)
{
	int	 rc = 0;

	if (b->failed) {
		errno = ENOMEM;
		rc = -1;
	} else if (b->len > 0 && obuf_fwrite(b->p, b->len, fp) != b->len)
		rc = -1;
	/* The stack buffer may be gone by the next record: start afresh. */
	free(b->heap);
	ap_obuf_init(b, NULL, 0);
	return (rc);
}

/* Decimal digits in v: comparisons, cheaper than dividing. */
static size_t
count_digits(uint64_t v)
{
	uint64_t	 bound = 10;
	size_t		 n = 1;

	while (n < 20 && v >= bound) {
		bound *= 10;
		n++;
	}
	return (n);
}

/* Numbers are written in place, backwards from their last digit. */
void
ap_obuf_uint(struct ap_obuf *b, uint64_t v)
{
	size_t	 n = count_digits(v);
	char	*p;

	if ((p = ap_obuf_reserve(b, n)) == NULL)
		return;
	format_uint(v, p + n);
	b->len += n;
}

void
ap_obuf_ms(struct ap_obuf *b, int64_t us)
{
	uint64_t	 mag;
	size_t		 n;
	char		*p;

	mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	n = (us < 0) + count_digits(mag / 1000) + 4;	/* ".uuu" */
	if ((p = ap_obuf_reserve(b, n)) == NULL)
		return;
	format_ms(us, p + n);
	b->len += n;
}

void
ap_obuf_peer(struct ap_obuf *b, const char *s, size_t len,
    void (*escape)(struct ap_obuf *, const char *, size_t))
{
	const char	*bs;

	while ((bs = memchr(s, '\\', len)) != NULL) {
		escape(b, s, (size_t)(bs - s));
		AP_OBUF_LIT(b, "\\\\");
		len -= (size_t)(bs - s) + 1;
		s = bs + 1;
	}
	escape(b, s, len);
}

void
ap_obuf_timestamp(struct ap_obuf *b, int64_t ms)
{
	char	*p;

	if ((p = ap_obuf_reserve(b, 64)) != NULL)
		b->len += format_timestamp(ms, p);
}
