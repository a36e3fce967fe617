/* SPDX-License-Identifier: ISC */
/* output.c -- the writer registry and the helpers every format shares, so
 * a value prints the same in text, csv and json.  The formats themselves
 * live in output_<name>.c; choosing what to write is the caller's job. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"


/* A new format is one file plus one row here (zmap). */
static const struct ap_writer_ops *const writers[] = {
	&ap_output_text,
	&ap_output_csv,
	&ap_output_json,
	&ap_output_prom,
	&ap_output_nagios,
	NULL
};

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
	return ("text, csv, json, prom, nagios");
}

/*
 * The wrappers turn a stream error into -1 whatever the writer returned:
 * stdio reports most write errors late, on a later call or at fflush().
 */
int
ap_writer_begin(struct ap_writer *w)
{
	int	 rc = 0;

	if (w->ops->begin != NULL)
		rc = w->ops->begin(w);
	if (rc == -1 || ferror(w->fp))
		return (-1);
	return (0);
}

int
ap_writer_write(struct ap_writer *w, const struct ap_result *r)
{
	if (w->ops->write(w, r) == -1 || ferror(w->fp))
		return (-1);
	return (0);
}

int
ap_writer_end(struct ap_writer *w)
{
	int	 rc = 0;

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
	if (w->free_state != NULL)
		w->free_state(w);
	w->free_state = NULL;
	w->state = NULL;
}

void
ap_format_timestamp(int64_t ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 secs;
	int64_t		 frac;
	char		 date[32];

	if (len == 0)
		return;
	/* Floor division, so instants before 1970 still print sanely. */
	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	secs = (time_t)((ms - frac) / 1000);
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s.%03dZ", date, (int)frac);
}

void
ap_format_ms(int64_t us, char *buf, size_t len)
{
	uint64_t	 mag;

	if (len == 0)
		return;
	/* Integer arithmetic: exact, and no "-0.000" from rounding. */
	mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	snprintf(buf, len, "%s%llu.%03llu", us < 0 ? "-" : "",
	    (unsigned long long)(mag / 1000), (unsigned long long)(mag % 1000));
}

/*
 * Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when s[0]
 * starts none: overlong forms, surrogates and code points past U+10FFFF
 * are rejected as RFC 3629 says.  Every writer keeps what this accepts and
 * escapes or replaces the rest, so no format passes invalid text on.
 */
size_t
ap_output_utf8_len(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n, i;
	unsigned char		 lo = 0x80, hi = 0xbf;

	if (len == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] < 0xc2)
		return (0);			/* continuation or overlong */
	else if (s[0] < 0xe0)
		n = 2;
	else if (s[0] < 0xf0) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (s[0] < 0xf5) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else
		return (0);
	if (len < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	}
	return (n);
}
