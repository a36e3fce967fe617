/* SPDX-License-Identifier: ISC */
/* output_csv.c -- RFC 4180 CSV: a header row, then one row per record with
 * the SPEC 5 fields in order and an extra "attempts" column.  Rows end in
 * CRLF as the RFC says; absent values are empty fields.  Each row is built
 * in a buffer and written with one fwrite(). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "output.h"


#define CSV_EOL		"\r\n"

static const char csv_header[] =
    "target,host,port,status,ip,rtt_ms,elapsed_ms,errno,error,icmp,"
    "icmp_from,addresses,"
    "degraded,line,banner,timestamp,attempts" CSV_EOL;
/* Monitor mode: the round after the SPEC 5 fields. */
static const char csv_header_rounds[] =
    "target,host,port,status,ip,rtt_ms,elapsed_ms,errno,error,icmp,"
    "icmp_from,addresses,"
    "degraded,line,banner,timestamp,round,attempts" CSV_EOL;

/*
 * What each byte asks of a field: 0 nothing, CSV_QUOTE quoting but no
 * change (RFC 4180 2.6: the separator), CSV_WORK a change: a quote is
 * doubled (and quoted), the controls (CR and LF too) become \xHH as in
 * text, and bytes from 0x80 go to the UTF-8 check.  One table lookup per
 * byte keeps the common field a single scan.
 */
#define CSV_QUOTE	1
#define CSV_WORK	2

static const unsigned char csv_class[256] = {
	/* 0x00: the C0 controls */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* 0x20: '"' and ',' */
	0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x70: DEL */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	/* 0x80 to 0xff: UTF-8 or not */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
};

/* Spreadsheets trim leading and trailing blanks unless quoted (a tab is
 * escaped, never kept). */
static inline bool
csv_blank_edge(const char *s, size_t len)
{
	return (len > 0 && (s[0] == ' ' || s[len - 1] == ' '));
}

/* Copied as is and unquoted: no byte of it is special, no blank edge. */
static inline bool
csv_plain(const char *s, size_t len)
{
	return (ap_output_span(csv_class, s, len) == len &&
	    !csv_blank_edge(s, len));
}

/*
 * A field must be quoted when it holds a separator or a quote (RFC 4180
 * 2.6; line breaks are escaped, never kept), and we also quote leading or
 * trailing blanks.
 */
static bool
csv_needs_quotes(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;

	if (csv_blank_edge(s, len))
		return (true);
	for (i = 0; i < len; i++) {
		if (u[i] == ',' || u[i] == '"')
			return (true);
	}
	return (false);
}

/*
 * Append a field's bytes: inner quotes doubled, the controls, the bytes
 * that start no well-formed UTF-8 sequence and the characters a terminal
 * would obey as \xHH (text.h), so that nothing a peer sends can drive
 * the terminal or spreadsheet that shows the file; the rest as it is.
 */
static void
csv_body(struct ap_obuf *b, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, run, n;
	char			 esc[4];

	while (i < len) {
		/* Separators stay: the field is quoted. */
		for (run = i; i < len && csv_class[u[i]] != CSV_WORK; i++)
			;
		ap_obuf_add(b, s + run, i - run);
		if (i == len)
			break;
		if (s[i] == '"') {
			AP_OBUF_LIT(b, "\"\"");
			n = 1;
		} else if ((n = ap_text_safe_len(s + i, len - i)) == 0) {
			ap_text_hex(u[i], esc);
			ap_obuf_add(b, esc, sizeof(esc));
			n = 1;
		} else
			ap_obuf_add(b, s + i, n);
		i += n;
	}
}

/*
 * A field and the comma after it (every field but the last has one).  The
 * common field is plain ASCII: one scan, one reservation, one copy.
 */
static inline void
csv_cell_len(struct ap_obuf *b, const char *s, size_t len)
{
	char	*p;
	bool	 quote;

	if (csv_plain(s, len)) {
		if ((p = ap_obuf_reserve(b, len + 1)) == NULL)
			return;
		ap_obuf_copy(p, s, len);
		p[len] = ',';
		b->len += len + 1;
		return;
	}
	if ((quote = csv_needs_quotes(s, len)))
		ap_obuf_addc(b, '"');
	csv_body(b, s, len);
	if (quote)
		ap_obuf_addc(b, '"');
	ap_obuf_addc(b, ',');
}

/* The peer's bytes (the banner): as csv_cell_len(), each backslash as \\
 * (ap_obuf_peer()). */
static void
csv_peer_cell(struct ap_obuf *b, const char *s, size_t len)
{
	bool	 quote;

	if (memchr(s, '\\', len) == NULL) {
		csv_cell_len(b, s, len);
		return;
	}
	if ((quote = csv_needs_quotes(s, len)))
		ap_obuf_addc(b, '"');
	ap_obuf_peer(b, s, len, csv_body);
	if (quote)
		ap_obuf_addc(b, '"');
	ap_obuf_addc(b, ',');
}

/* An absent value is an empty field. */
static inline void
csv_cell(struct ap_obuf *b, const char *s)
{
	if (s != NULL)
		csv_cell_len(b, s, strlen(s));
	else
		ap_obuf_addc(b, ',');
}

/*
 * One of our own words (a status or errno name: letters, digits, '-'),
 * then the comma: never anything to quote or escape, so no scan.
 */
static inline void
csv_word_cell(struct ap_obuf *b, const char *s)
{
	size_t	 len = strlen(s);
	char	*p;

	if ((p = ap_obuf_reserve(b, len + 1)) == NULL)
		return;
	ap_obuf_copy(p, s, len);
	p[len] = ',';
	b->len += len + 1;
}

/* The header row, written just before the first record. */
static int
csv_begin(struct ap_writer *w)
{
	fputs(w->rounds ? csv_header_rounds : csv_header, w->fp);
	return (ferror(w->fp) ? -1 : 0);
}

static int
csv_write(struct ap_writer *w, const struct ap_result *r)
{
	struct ap_obuf		 b;
	const struct ap_attempt	*a;
	const char		*text, *file;
	char			 stack[AP_OBUF_STACK];
	size_t			 i, len;
	bool			 quote;

	ap_obuf_init(&b, stack, sizeof(stack));
	csv_cell(&b, r->target);
	csv_cell(&b, r->host);
	if (r->port != 0)
		ap_obuf_uint(&b, r->port);
	ap_obuf_addc(&b, ',');
	csv_word_cell(&b, ap_status_name(r->status));
	csv_cell(&b, r->ip);
	if (r->rtt_us >= 0)
		ap_obuf_ms(&b, r->rtt_us);
	ap_obuf_addc(&b, ',');
	ap_obuf_ms(&b, r->elapsed_us);
	ap_obuf_addc(&b, ',');
	csv_word_cell(&b, ap_errno_name(r->error));
	text = r->error_text != NULL ? r->error_text : ap_error_text(r->error);
	csv_cell(&b, text);
	/* A reason word and a numeric address: nothing to quote. */
	if (r->icmp != NULL && r->icmp->origin != AP_ICMP_NONE) {
		csv_word_cell(&b, ap_icmp_name(r->icmp));
		csv_word_cell(&b, r->icmp->from);
	} else
		AP_OBUF_LIT(&b, ",,");
	ap_obuf_uint(&b, r->addresses);
	if (r->degraded)
		AP_OBUF_LIT(&b, ",true,");
	else
		AP_OBUF_LIT(&b, ",false,");
	/*
	 * "FILE:LINE" is one field; ":LINE" never needs quotes, so the file
	 * name decides (quoting more than needed is always allowed).
	 */
	file = r->file != NULL ? r->file : "-";
	len = strlen(file);
	if (csv_plain(file, len)) {
		quote = false;
		ap_obuf_add(&b, file, len);
	} else {
		if ((quote = csv_needs_quotes(file, len)))
			ap_obuf_addc(&b, '"');
		csv_body(&b, file, len);
	}
	ap_obuf_addc(&b, ':');
	ap_obuf_uint(&b, r->line);
	if (quote)
		ap_obuf_addc(&b, '"');
	ap_obuf_addc(&b, ',');
	if (r->banner != NULL)
		csv_peer_cell(&b, r->banner, r->banner_len);
	else
		ap_obuf_addc(&b, ',');
	ap_obuf_timestamp(&b, r->timestamp_ms);
	ap_obuf_addc(&b, ',');
	if (w->rounds) {
		ap_obuf_uint(&b, r->round);
		ap_obuf_addc(&b, ',');
	}
	/*
	 * "ip=ERRNO;..." needs no quoting: numeric addresses and errno names
	 * never hold a comma, a quote or a line break.
	 */
	for (i = 0; i < r->nattempts && r->attempts != NULL; i++) {
		a = &r->attempts[i];
		if (i > 0)
			ap_obuf_addc(&b, ';');
		ap_obuf_add(&b, a->ip, strnlen(a->ip, sizeof(a->ip)));
		ap_obuf_addc(&b, '=');
		text = a->error == 0 ? "ok" : ap_errno_name(a->error);
		ap_obuf_add(&b, text, strlen(text));
	}
	AP_OBUF_LIT(&b, CSV_EOL);
	return (ap_obuf_flush(&b, w->fp));
}

const struct ap_writer_ops ap_output_csv = {
	.name = "csv",
	.begin = csv_begin,
	.write = csv_write,
};
