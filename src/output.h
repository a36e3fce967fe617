/* SPDX-License-Identifier: ISC */
/* output.h -- record writers (SPEC 5): one ops table per format, looked up
 * by name.  Writers format and write; they never filter, exit or flush on
 * their own (the engine flushes when its loop is about to wait). */
#ifndef AP_OUTPUT_H
#define AP_OUTPUT_H

#include <stdio.h>

#include "result.h"

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
};

/* NULL when there is no such format. */
const struct ap_writer_ops	*ap_output_find(const char *name);
/* "text, csv, json" for --help and error messages. */
const char			*ap_output_list(void);

/* Each returns 0, or -1 when the stream failed (ferror). */
int	ap_writer_begin(struct ap_writer *);
int	ap_writer_write(struct ap_writer *, const struct ap_result *);
int	ap_writer_end(struct ap_writer *);

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

#endif
