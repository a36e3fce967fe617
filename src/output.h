/* SPDX-License-Identifier: ISC */
/* output.h -- record writers (SPEC 5): one ops table per format, looked up
 * by name.  Writers format and write; they never filter, exit or flush on
 * their own (the engine flushes when its loop is about to wait). */
#ifndef AP_OUTPUT_H
#define AP_OUTPUT_H

#include <stdio.h>

#include "result.h"

struct ap_threshold;
struct ap_writer;

struct ap_writer_ops {
	const char	*name;					/* "text", ... */
	int		(*begin)(struct ap_writer *);		/* may be NULL */
	int		(*write)(struct ap_writer *, const struct ap_result *);
	int		(*end)(struct ap_writer *);		/* may be NULL */
};

struct ap_writer {
	const struct ap_writer_ops	*ops;
	FILE				*fp;		/* borrowed */
	int				 verbose;	/* text: list attempts */
	void				*state;		/* the format's own */
	/* Frees state; set by the format that allocated it (prom and
	 * nagios gather records until end()).  NULL: nothing to free. */
	void				(*free_state)(struct ap_writer *);
	/* nagios: --warn-down and --crit-down; borrowed, NULL means a
	 * count of 1 (the SPEC default). */
	const struct ap_threshold	*warn_down;
	const struct ap_threshold	*crit_down;
	/* nagios: the plugin exit code, valid once end() succeeded. */
	int				 code;
	bool				 ended;
};

/* NULL when there is no such format. */
const struct ap_writer_ops	*ap_output_find(const char *name);
/* "text, csv, json" for --help and error messages. */
const char			*ap_output_list(void);

/* Each returns 0, or -1 when the stream failed (ferror). */
int	ap_writer_begin(struct ap_writer *);
int	ap_writer_write(struct ap_writer *, const struct ap_result *);
int	ap_writer_end(struct ap_writer *);
/* Free what a format gathered when end() will not run (a write error, a
 * system failure).  end() frees it itself; safe to call again. */
void	ap_writer_discard(struct ap_writer *);

/*
 * The Nagios plugin exit code of a nagios writer after end(): 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  3 when end() has not run or failed.
 * main.c exits with it (SPEC 5) instead of the SPEC 6 status.
 */
int	ap_output_nagios_code(const struct ap_writer *);

/* Shared formatting helpers, so every format prints the same values. */
/* RFC 3339 UTC with milliseconds: 2026-11-24T08:25:24.123Z. */
void	ap_format_timestamp(int64_t ms, char *buf, size_t len);
/* Microseconds as milliseconds with 3 decimals: "12.345". */
void	ap_format_ms(int64_t us, char *buf, size_t len);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes
 * there are not valid UTF-8 (overlong, surrogate, truncated). */
size_t	ap_output_utf8_len(const char *s, size_t len);

extern const struct ap_writer_ops ap_output_text;
extern const struct ap_writer_ops ap_output_csv;
extern const struct ap_writer_ops ap_output_json;
extern const struct ap_writer_ops ap_output_prom;
extern const struct ap_writer_ops ap_output_nagios;

#endif
